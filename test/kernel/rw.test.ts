// read(2) and write(2) through dax_iomap_rw (Linux 6.1, x86 __copy_user_flushcache): holes
// read as zeros, a write into a hole allocates and unmaps the hole's zero pages, and the
// copy's non-temporal and cleaned stores persist only at the next fence.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { runLines } from './scenario-rig.ts';

const run = (lines: string[] | string, opts: Parameters<typeof runLines>[2] = {}) => runLines('rw.dax', lines, opts);

describe('pwrite / pread', () => {
  it('a write(2) without fsync is not persistent before a fence; fsync fences it and promises it', () => {
    run(['file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'expect data F 0 64 byte 7', 'crash', 'expect durable', 'expect data F 0 64 zero']);
    run(['file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'A fsync F', 'crash', 'expect durable', 'expect data F 0 64 byte 7']);
    // eADR keeps the cache but not unfenced write-combining buffers (test/litmus/eadr-ntstore-unfenced):
    // the cached head of an unaligned copy survives, its non-temporal bulk does not
    run(['persistence eadr', 'file F size 2M', 'proc A', 'A pwrite F 3 61 byte 7', 'crash', 'expect data F 3 5 byte 7', 'expect data F 8 56 zero']);
  });

  it('x86: the aligned bulk goes around the cache, the unaligned head and tail are cleaned (clwb)', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 2 * 2 ** 20);
    const a = sim.process('A');
    const before = { ...sim.machine.cache.counters };
    a.pwrite(f, 3, 61, 9); // head 5 bytes (to 8), bulk 56, tail 0
    // one clean_cache_range of the first line, nothing else flushed; the rest non-temporal
    expect(sim.machine.cache.counters.flushInstructions - before.flushInstructions).toBe(1);
    expect(sim.machine.cache.crashImage().readByte(f.phys + 3)).toBe(0);
    a.sfence();
    expect(sim.machine.cache.crashImage().readByte(f.phys + 3)).toBe(9);
    expect(sim.machine.cache.crashImage().readByte(f.phys + 63)).toBe(9);
  });

  it('pread returns the file, zeros for holes; a pwrite into a hole allocates (uncommitted) and pread sees it', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 2 * 2 ** 20, { sparse: true });
    const a = sim.process('A');
    expect([...a.pread(f, 4096, 4)]).toEqual([0, 0, 0, 0]);
    a.pwrite(f, 4096, 4, 5);
    expect([...a.pread(f, 4096, 8)]).toEqual([5, 5, 5, 5, 0, 0, 0, 0]);
    expect(f.blocks!.uncommitted.has(1)).toBe(true);
    expect(f.blocks!.pa.has(0)).toBe(false);
    a.fsync(f);
    expect(f.blocks!.uncommitted.size).toBe(0);
  });

  it('a pwrite into a hole a process read through the zero page unmaps it (invalidate_inode_pages2_range)', () => {
    run(`
      file F size 2M sparse
      proc A
      A mmap a F offset 0 length 16K
      A read a 4K 8
      expect pte A a 4K present ro pte zero
      A pwrite F 4K 8 byte 3
      expect pte A a 4K absent
      expect view A a 4K 8 byte 3
      expect pte A a 4K present ro pte
    `);
  });

  it('bad input', () => {
    expect(() => parseScenario('file F size 2M\nproc A\nA pwrite F 2M 1\n', 'x.dax')).toThrow(/past the end of the file/);
    expect(() => parseScenario('file F size 2M\nproc A\nA pread G 0 1\n', 'x.dax')).toThrow(/unknown file 'G'/);
    expect(() => parseScenario('file F size 2M\nproc A\nA pread F 0 1 byte 2\n', 'x.dax')).toThrow(/expected 'P pread F O L'/);
    expect(() => parseScenario('file F size 2M\nproc A\nA pwrite F 0 1 bite 2\n', 'x.dax')).toThrow(/expected 'byte B', not 'bite'/);
  });
});

describe('fallocate zero (ext4_zero_range)', () => {
  it('breaks every layout of the file, drops the range’s entries, and the range reads as zeros', () => {
    run(`
      file F size 4M
      proc A
      proc B
      A mmap a F offset 0 length 4M
      B mmap b F offset 2M length 16K
      A write a 0 64 byte 4
      B write b 4K 64 byte 5
      expect pte A a 0 present rw dirty pmd
      A fallocate F zero 2M 8K
      # ext4_break_layouts: dax_layout_busy_page unmaps the whole file, far from the range too
      expect pte A a 0 absent
      expect pte B b 4K absent
      expect entry F 2M absent
      expect entry F 0 real pmd dirty
      expect data F 2M 8K zero
      expect view B b 4K 64 zero
      expect view A a 0 64 byte 4
    `);
  });

  it('keeps private copies (even_cows 0)', () => {
    run(['file F size 2M', 'proc A', 'A mmap p F offset 0 length 8K rw private', 'A write p 0 8 byte 9', 'A fallocate F zero 4K 4K', 'expect pte A p 0 present rw dirty pte', 'expect view A p 0 8 byte 9']);
  });

  it('bad input', () => {
    expect(() => parseScenario('file F size 2M\nproc A\nA fallocate F trim 0 4K\n', 'x.dax')).toThrow(/expected punch or zero, not 'trim'/);
    expect(() => parseScenario('file F size 2M\nproc A\nA fallocate F zero 2M 4K\n', 'x.dax')).toThrow(/past the end of the file/);
    expect(() => parseScenario('file F size 2M\nproc A\nA fallocate F zero 0\n', 'x.dax')).toThrow(/expected 'P fallocate F punch\|zero O L'/);
  });
});

describe('fallocate zero and the promise', () => {
  it('zeroed bytes are what the next msync promises, not the store they replaced', () => {
    run(['file F size 2M', 'proc A', 'A mmap a F offset 0 length 2M', 'A write a 64K 8 byte 4', 'A fallocate F zero 0 128K', 'A msync a', 'crash', 'expect durable', 'expect data F 64K 8 zero']);
  });
});

// read(2) and write(2) through dax_iomap_rw (Linux 6.1, x86 __copy_user_flushcache): holes
// read as zeros, a write into a hole allocates and unmaps the hole's zero pages, and the
// copy's non-temporal and cleaned stores persist at the writer's inode_unlock (x86, arm64) or
// its next fence (POWER), whichever CPU fsyncs.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { runLines } from './scenario-rig.ts';

const run = (lines: string[] | string, opts: Parameters<typeof runLines>[2] = {}) => runLines('rw.dax', lines, opts);

describe('pwrite / pread', () => {
  it('x86: write(2) is persistent when it returns (its inode_unlock is a LOCK XADD); fsync promises it', () => {
    run(['file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'expect data F 0 64 byte 7', 'crash', 'expect durable', 'expect data F 0 64 byte 7']);
    run(['file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'A fsync F', 'crash', 'expect durable', 'expect data F 0 64 byte 7']);
    // eADR keeps the cache, and the unlock has drained the write-combining buffers too
    run(['persistence eadr', 'file F size 2M', 'proc A', 'A pwrite F 3 61 byte 7', 'crash', 'expect data F 3 61 byte 7']);
  });

  it('POWER: write(2) without a later phwsync of its CPU is not persistent (dcbstps, no barrier)', () => {
    run(['arch ppc64-radix', 'file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'crash', 'expect durable', 'expect data F 0 64 zero']);
    run(['arch ppc64-radix', 'file F size 2M', 'proc A', 'A pwrite F 0 64 byte 7', 'A fsync F', 'crash', 'expect durable', 'expect data F 0 64 byte 7']);
  });

  it('x86: the aligned bulk goes around the cache, the unaligned head and tail are cleaned (clwb), and no sfence is needed', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 2 * 2 ** 20);
    const a = sim.process('A');
    const before = { ...sim.machine.cache.counters };
    a.pwrite(f, 3, 61, 9); // head 5 bytes (to 8), bulk 56, tail 0
    // one clean_cache_range of the first line, nothing else flushed; the rest non-temporal
    expect(sim.machine.cache.counters.flushInstructions - before.flushInstructions).toBe(1);
    // completed by the unlock, not by a fence
    expect(sim.machine.cache.counters.fences - before.fences).toBe(0);
    expect(sim.machine.cache.pendingFlushes(a.cpu)).toBe(0);
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

// Process A's write(2) on one CPU, process B's fsync on another, then the power fails. The
// fsync's only fence (generic_nvdimm_flush's pmem_wmb) runs on B's CPU, so what makes A's
// unaligned head and tail (clwb) and aligned bulk (movnti, or DC CVAP / dcbstps) persistent
// is A's own CPU: x86's LOCK XADD in inode_unlock, arm64's DSB ending dcache_clean_pop; on
// POWER nothing of A's (lwsync is no phwsync), and the bytes fsync promised are lost.
describe('write(2) on one CPU, fsync on another', () => {
  const crossCpu = (arch: string, outcome: readonly string[]) => [
    `arch ${arch}`,
    'file F size 2M',
    'proc A',
    'proc B',
    'A pwrite F 3 130 byte 7', // head 5 (cached, clwb), bulk 120, tail 5 (cached, clwb)
    'B fsync F',
    'crash',
    ...outcome,
  ];
  const durable = ['expect durable', 'expect data F 3 130 byte 7'];
  const lost = ['expect lost', 'expect data F 3 130 zero'];
  it.each([
    ['x86_64', durable],
    ['x86_64-la57', durable],
    ['arm64-4k', durable],
    ['arm64-64k', durable],
    ['ppc64-radix', lost],
    ['ppc64-hash', lost],
  ])('%s', (arch, outcome) => void run(crossCpu(arch, outcome)));

  it('POWER: the same write fsynced on its own CPU is durable (that phwsync is the one that counts)', () => {
    run(crossCpu('ppc64-radix', durable).map((l) => (l === 'B fsync F' ? 'A fsync F' : l)));
  });
});

// Sparse files on ext4 -o dax (Linux 6.1): holes read through the (huge) zero page, write
// faults allocating blocks from the device allocator (lowest free first, zeroed), the zero
// entries they replace, and allocation as metadata that only a commit makes durable.
import { describe, expect, it } from 'vitest';
import { formatError } from '../../src/cli/errors.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { runLines } from './scenario-rig.ts';

const run = (lines: string[] | string, opts: Parameters<typeof runLines>[2] = {}) => runLines('holes.dax', lines, opts);

describe('holes', () => {
  it('a PMD read fault maps the huge zero page; the write fault allocates 2 MiB and replaces it (dax_insert_entry unmaps the zero PMD)', () => {
    run(`
      file F size 4M sparse
      proc A
      A mmap a F offset 0 length 4M rw shared
      A read a 0 64
      expect pte A a 0 present ro clean pmd zero
      # 6.1: dax_insert_entry dirties read-fault entries too (versions.ts)
      expect entry F 0 zero pmd dirty
      expect view A a 0 64 zero
      A write a 64 64
      # wp_huge_pmd -> the DAX PMD fault: a write-protect fault on the zero PMD
      expect faults A read 1 write 0 wp 1
      expect pte A a 0 present rw dirty pmd
      expect entry F 0 real pmd dirty
      expect view A a 0 128 written
    `);
  });

  it('5.17 does not dirty the zero entry of a read fault', () => {
    run(['kernel 5.17', 'file F size 2M sparse', 'proc A', 'A mmap a F offset 0 length 2M', 'A read a 0 8', 'expect entry F 0 zero pmd clean']);
  });

  it('a PTE read of a hole inside a zero PMD entry downgrades it: the huge zero page leaves every VMA (pmd_downgrade)', () => {
    run(`
      file F size 2M sparse
      proc A
      proc B
      A mmap a F offset 0 length 2M
      B mmap b F offset 0 length 16K
      A read a 0 8
      expect pte A a 0 present ro pmd zero
      B read b 8K 8
      expect pte A a 0 absent
      expect pte B b 8K present ro clean pte zero
      expect entry F 8K zero pte
      expect entry F 0 absent
      # A's next write cannot have a PMD (a page entry is in the range): PTEs, a block each
      A write a 0 8 byte 1
      expect pte A a 0 present rw dirty pte
      expect entry F 0 real pte dirty
      expect pte B b 8K present ro clean pte zero
      A write a 8K 8 byte 2
      # replacing B's zero page: unmap_mapping_pages of that index in every VMA
      expect pte B b 8K absent
      expect view B b 8K 8 byte 2
    `);
  });

  it('a write fault on a hole zeroes the new block before mapping it (IOMAP_F_NEW), lowest free block first', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 4 * 4096, { sparse: true });
    const g = sim.file('G', 2 * 2 ** 20);
    const a = sim.process('A');
    const m = a.mmap('m', f, { offset: 0, length: 4 * 4096 });
    // G took the first 2 MiB extent; F's blocks come after it, in fault order
    a.write(m, 3 * 4096, 8, 0xaa);
    a.write(m, 0, 8, 0xbb);
    const e3 = sim.entry(a, m, 3 * 4096);
    const e0 = sim.entry(a, m, 0);
    expect(e3.pfn * 4096).toBe(g.phys + 2 * 2 ** 20);
    expect(e0.pfn).toBe(e3.pfn + 1);
    expect([...a.read(m, 3 * 4096 + 8, 8)]).toEqual(new Array(8).fill(0));
    expect(sim.kernel.metadataDirty.has(f)).toBe(true);
  });
});

describe('allocation is metadata', () => {
  const write = ['file F size 2M sparse', 'proc A', 'A mmap a F offset 0 length 2M'];

  it('a crash before any commit reverts the blocks: flushed data reads as zeros and the flush promised it', () => {
    run([...write, 'A write a 0 64', 'A flush a 0 64', 'A sfence', 'crash', 'expect lost', 'expect data F 0 64 zero']);
  });

  it('fsync commits the allocation with the data', () => {
    run([...write, 'A write a 0 64', 'A fsync F', 'crash', 'expect durable', 'expect data F 0 64 written']);
  });

  it('msync commits it too', () => {
    run([...write, 'A write a 0 64', 'A msync a 0 4K', 'crash', 'expect durable', 'expect data F 0 64 written']);
  });

  it("a MAP_SYNC write fault into a hole is synchronous: its sync commits the allocation, so clwb + sfence is enough", () => {
    const r = run(['file F size 2M sparse', 'proc A', 'A mmap a F offset 0 length 2M rw shared sync', 'A write a 0 64', 'A flush a 0 64', 'A sfence', 'crash', 'expect durable', 'expect data F 0 64 written']);
    // the fault's own fsync wrote the (new, empty) entry back: it is no statement's fsync
    expect(r.counters.entriesWrittenBack).toBe(0);
  });

  it('a file allocated whole has nothing to revert', () => {
    run(['file F size 2M', 'proc A', 'A mmap a F offset 0 length 2M', 'A write a 0 64', 'A flush a 0 64', 'A sfence', 'crash', 'expect durable']);
  });
});

describe('bad input', () => {
  const bad = (text: string): string => {
    try {
      parseScenario(text, 'x.dax');
    } catch (e) {
      return formatError(e);
    }
    return 'no error';
  };
  it('file options', () => {
    expect(bad('file F size 2M sparse sparse\n')).toMatch(/^daxsim: x\.dax:1: unexpected 'sparse'/);
    expect(parseScenario('file F size 2M fs xfs\n', 'x.dax').stmts[0]).toMatchObject({ op: 'file', fs: 'xfs' });
    expect(bad('file F size 2M fs btrfs\n')).toMatch(/^daxsim: x\.dax:1: fs must be ext4, xfs or virtiofs, not 'btrfs'$/);
    expect(bad('file F size 2M fs\n')).toMatch(/^daxsim: x\.dax:1: unexpected 'fs'/);
    expect(parseScenario('file F size 2M sparse fs ext4\n', 'x.dax').stmts[0]).toMatchObject({ op: 'file', sparse: true });
  });
});

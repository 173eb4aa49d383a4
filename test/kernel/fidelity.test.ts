// Deviations from Linux 6.1 that a reading of the source found (issue 10), each as a kernel
// scenario: set up processes and mappings, act, assert on entry bits, faults, counters and
// what survived the crash. Each names the kernel function the rule comes from.
import { describe, expect, it } from 'vitest';
import { oneMapping, seedMappings } from '../rig.ts';
import { x86PmdTransHuge } from '../../arch/x86_64.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { Strategy } from '../../src/kernel/kernel.ts';
import type { KernelVersion } from '../../src/kernel/versions.ts';

const MiB = 2 ** 20;
/** x86-64 PMD flags without the pfn field (bits 12..51). */
const X86_PFN_MASK = 0x000f_ffff_ffff_f000n;
const flagsOf = (raw: string): bigint => BigInt(raw) & ~X86_PFN_MASK;

describe('MAP_SYNC: IOMAP_F_DIRTY only while datasync metadata is uncommitted (ext4_inode_datasync_dirty)', () => {
  it('after an fsync and a write through A\'s PMD, B\'s MAP_SYNC write fault is ordinary: A\'s PMD stays 0x...8e7 and A\'s next write takes no fault', () => {
    const sim = new Simulation({ arch: 'x86_64', mkclean: 'range' });
    const F = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const B = sim.process('B');
    const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
    const b = B.mmap('b', F, { offset: 4096, length: 4096, sync: true });
    A.write(a, 0, 64);
    expect(flagsOf(sim.entry(A, a, 0).raw)).toBe(0x8400_0000_0000_08e7n); // the real kernel's value
    A.fsync(F);
    expect(flagsOf(sim.entry(A, a, 0).raw)).toBe(0x8400_0000_0000_08a5n);
    A.write(a, 0, 64); // write-protect fault: the PMD is writable and dirty again
    expect(flagsOf(sim.entry(A, a, 0).raw)).toBe(0x8400_0000_0000_08e7n);
    const before = sim.counters().entriesWrittenBack;
    B.write(b, 0, 64); // no allocation, nothing uncommitted: no dax_finish_sync_fault
    expect(sim.counters().entriesWrittenBack).toBe(before);
    expect(flagsOf(sim.entry(A, a, 0).raw)).toBe(0x8400_0000_0000_08e7n);
    A.write(a, 128, 64);
    expect(sim.faults(A)).toEqual({ read: 0, write: 1, wp: 1 });
    expect(sim.faults(B)).toEqual({ read: 0, write: 1, wp: 0 });
  });

  it('a file\'s metadata starts committed; only uncommitted datasync metadata makes the fault synchronous', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 2 * MiB, sync: true });
    expect(sim.kernel.metadataDirty.has(F)).toBe(false);
    P.write(m, 0, 64);
    expect(sim.counters().entriesWrittenBack).toBe(0); // an ordinary write fault
    expect(sim.kernel.metadataDirty.has(F)).toBe(false); // dax_insert_entry dirties pages, not datasync metadata
    sim.kernel.dirtyDatasyncMetadata(F); // e.g. a block allocation in the same transaction
    P.write(m, 2 * MiB - 64, 64); // PMD already writable: no fault at all
    expect(sim.faults(P)).toEqual({ read: 0, write: 1, wp: 0 });
  });
});

/** The seed's first three steps: A's PMD and B's PTE in one 2 MiB entry, an fsync (which the buggy kernel's misses B's PTE). */
function seedAfterFsync(mkclean: Strategy = 'buggy') {
  const { sim, F, A, B, a, b } = seedMappings({ arch: 'x86_64', mkclean });
  A.write(a, 0, 64);
  B.write(b, 0, 64);
  A.fsync(F);
  return { sim, F, A, B, b };
}

describe('the fsync inside a MAP_SYNC fault (dax_finish_sync_fault -> vfs_fsync_range) promises the user nothing', () => {
  it('buggy kernel: B\'s second write, never fsynced by anyone, is not reported lost because C\'s MAP_SYNC PMD fault synced the range', () => {
    const { sim, F, B, b } = seedAfterFsync();
    const C = sim.process('C');
    B.write(b, 0, 64); // no fault, stays in the CPU cache
    sim.kernel.dirtyDatasyncMetadata(F);
    const c = C.mmap('c', F, { offset: 0, length: 2 * MiB, sync: true });
    C.write(c, 1024, 8); // synchronous PMD fault: vfs_fsync_range over the 2 MiB, a clean entry
    C.flush(c, 1024, 8);
    C.sfence();
    expect(sim.crash()).toEqual({ durable: true, lost: [] });
    expect(sim.fileBytes(F, 4096, 1)[0]).not.toBe(sim.patternFor(3, 4096)); // B's second write is gone, unpromised
  });
});

describe('msync(2) rounds len up to a page (mm/msync.c)', () => {
  it('buggy kernel: msync b 0 64 promises the whole page, so B\'s unflushed store at byte 100 is a loss', () => {
    const { sim, B, b } = seedAfterFsync();
    B.write(b, 100, 8); // B's PTE was missed: no fault, the entry stays clean
    B.msync(b, 0, 64);
    expect(sim.crash().lost).toEqual([{ file: 'F', offset: 4096 + 100, length: 8 }]);
  });
});

describe('every DAX fault ends with dax_unlock_entry (dax_iomap_pte_fault)', () => {
  it('a MAP_PRIVATE write fault (do_cow_fault) leaves no entry locked', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const F = sim.file('F', 2 * MiB);
    const P = sim.process('P');
    const p = P.mmap('p', F, { offset: 0, length: 2 * MiB, shared: false });
    P.write(p, 8192, 8);
    expect(sim.daxEntries(F)).toEqual([expect.objectContaining({ index: 2, kind: 'empty', locked: false, dirty: false })]);
  });
});

describe('addresses above 2^31 never go through 32-bit bitwise operators', () => {
  it('s390x with pmd on: two reads through a 1 MiB segment mapping at 0x3f...: one read fault, no crash', () => {
    const { sim, P, m } = oneMapping({ arch: 's390x', pmd: 'on' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    expect(m.start).toBeGreaterThan(2 ** 32);
    P.read(m, 0, 8);
    P.read(m, 64, 8);
    P.write(m, 128, 8);
    expect(sim.entry(P, m, 0)).toMatchObject({ present: true, level: 'pmd', young: true, write: true, dirty: true });
    expect(sim.faults(P)).toEqual({ read: 1, write: 0, wp: 1 });
  });
});

describe('eADR: dax_flush returns at once (nvdimm_has_cache() false under ND_REGION_PERSIST_CACHE)', () => {
  it('the fsync writes no line back and issues no clwb, one fence, and the data is still durable', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', persistence: 'eadr' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.write(m, 0, 64);
    P.fsync(F);
    const c = sim.counters();
    expect(c.entriesWrittenBack).toBe(1); // dax_writeback_one still runs: mkclean, DIRTY cleared
    expect(c.linesWrittenBack).toBe(0);
    expect(c.cache.flushInstructions).toBe(0);
    expect(c.cache.fences).toBe(1);
    expect(sim.entry(P, m, 0)).toMatchObject({ write: false, dirty: false });
    expect(sim.crash().durable).toBe(true);
  });
});

describe('a synchronous MAP_SYNC PTE fault inside a PMD DAX entry faults twice (dax_insert_pfn_mkwrite, order 0)', () => {
  it('the first fault syncs and returns VM_FAULT_NOPAGE without a PTE; the retry is an ordinary write fault', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const F = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const B = sim.process('B');
    const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
    A.write(a, 0, 64); // a 2 MiB PMD entry
    sim.kernel.dirtyDatasyncMetadata(F);
    const b = B.mmap('b', F, { offset: 4096, length: 4096, sync: true });
    B.write(b, 0, 64);
    expect(sim.faults(B)).toEqual({ read: 0, write: 2, wp: 0 });
    expect(sim.counters().entriesWrittenBack).toBe(1); // the sync fault's vfs_fsync_range wrote the PMD entry back
    expect(sim.entry(B, b, 0)).toMatchObject({ present: true, level: 'pte', write: true, dirty: true });
    expect(sim.daxEntries(F)).toEqual([expect.objectContaining({ order: 9, dirty: true, locked: false })]);
  });

  it('a synchronous fault on a page entry maps the PTE at once: one fault', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const F = sim.file('F', 2 * MiB);
    const B = sim.process('B');
    sim.kernel.dirtyDatasyncMetadata(F);
    const b = B.mmap('b', F, { offset: 4096, length: 4096, sync: true });
    B.write(b, 0, 64);
    expect(sim.faults(B)).toEqual({ read: 0, write: 1, wp: 0 });
    expect(sim.kernel.metadataDirty.has(F)).toBe(false);
    expect(sim.daxEntries(F)).toEqual([expect.objectContaining({ index: 1, order: 0, dirty: true, locked: false })]);
  });
});

describe('s390: pfn_pte = mk_pte_phys ends in pte_mkyoung', () => {
  it('a read-faulted PTE is young (no _PAGE_INVALID): a second read of the page takes no fault', () => {
    const { sim, P, m } = oneMapping({ arch: 's390x' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.read(m, 0, 8);
    expect(sim.entry(P, m, 0)).toMatchObject({ present: true, level: 'pte', young: true, write: false });
    P.read(m, 8, 8);
    expect(sim.faults(P)).toEqual({ read: 1, write: 0, wp: 0 });
  });
});

describe('kernel versions: dax_insert_entry dirties the entry on read faults in 6.1 only', () => {
  function readThenFsync(kernel: KernelVersion) {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', kernel }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.read(m, 0, 8);
    const dirty = sim.daxEntries(F)[0]!.dirty;
    P.fsync(F);
    return { dirty, writtenBack: sim.counters().entriesWrittenBack, flushes: sim.counters().cache.flushInstructions };
  }

  it('6.1: a read fault marks the PMD entry DIRTY and the fsync writes the entry back (512 x 64 clwb)', () => {
    expect(readThenFsync('6.1')).toEqual({ dirty: true, writtenBack: 1, flushes: (2 * MiB) / 64 });
  });

  it.each(['5.19', '5.17'] as const)('%s: a read fault leaves the entry clean and the fsync writes nothing back', (kernel) => {
    expect(readThenFsync(kernel)).toEqual({ dirty: false, writtenBack: 0, flushes: 0 });
  });

  it('5.17 runs the buggy mkclean unless told otherwise; 5.19 and 6.1 the fix', () => {
    expect(new Simulation({ kernel: '5.17' }).strategy).toBe('buggy');
    expect(new Simulation({ kernel: '5.17', mkclean: 'range' }).strategy).toBe('range');
    expect(new Simulation({ kernel: '5.19' }).strategy).toBe('range');
    expect(new Simulation({}).kernelVersion).toBe('6.1');
  });
});

describe('one store fence per fsync (generic_nvdimm_flush), none per entry (arch_wb_cache_pmem)', () => {
  it.each(['x86_64', 'ppc64-radix'])('%s: an fsync writing back two entries issues exactly one fence', (arch) => {
    const { sim, F, P, m } = oneMapping({ arch }, 4 * MiB, { offset: 0, length: 4 * MiB });
    P.write(m, 0, 8);
    P.write(m, 2 * MiB, 8);
    const before = sim.counters().cache.fences;
    P.fsync(F);
    expect(sim.counters().entriesWrittenBack).toBe(2);
    expect(sim.counters().cache.fences - before).toBe(1);
    expect(sim.crash().durable).toBe(true);
  });
});

describe('page_vma_mapped_walk takes a PMD as huge by pmd_trans_huge || pmd_devmap', () => {
  it('x86: a DAX PMD is devmap and not trans_huge, and range still cleans it through the devmap half', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', mkclean: 'range' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.write(m, 0, 8);
    const e = sim.kernel.entryFor(P.mm, m.start);
    expect(e.devmap).toBe(true);
    expect(x86PmdTransHuge(e.raw)).toBe(false);
    P.fsync(F);
    expect(sim.entry(P, m, 0)).toMatchObject({ level: 'pmd', write: false, dirty: false });
  });
});

describe('the page strategy, two readings of Dan Williams\' proposal', () => {
  function seed(mkclean: Strategy) {
    const { sim, F, A, B, b } = seedAfterFsync(mkclean);
    const bAfter = sim.entry(B, b, 0);
    const vmas = sim.counters().mkcleanVmas;
    B.write(b, 0, 64);
    A.fsync(F);
    return { bAfter, vmas, result: sim.crash() };
  }

  it('page-head (page_mkclean_one on the head page in v4\'s VMA loop): visits both VMAs, misses B\'s PTE (head pfn + 1), loses the write', () => {
    const r = seed('page-head');
    expect(r.vmas).toBe(2);
    expect(r.bAfter).toMatchObject({ write: true, dirty: true });
    expect(r.result.lost).toEqual([{ file: 'F', offset: 4096, length: 64 }]);
  });

  it('page (page_mkclean_one for every page of the entry): cleans B\'s PTE, durable, at 512 i_mmap queries', () => {
    const r = seed('page');
    expect(r.bAfter).toMatchObject({ write: false, dirty: false });
    expect(r.vmas).toBe(513); // A's VMA for each of the 512 pages, B's for page 1
    expect(r.result.durable).toBe(true);
  });
});

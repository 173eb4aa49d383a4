// Other DAX fault and writeback cases the kernel model must reproduce: the December 2016
// PMD bug (f729c8c9b24f), MAP_PRIVATE copy-on-write (do_cow_fault, wp_page_copy), MAP_SYNC
// (dax_finish_sync_fault), msync and munmap, the PMD fault fallbacks
// (dax_iomap_pmd_fault, dax_fault_check_fallback) and every crash state.
import { describe, expect, it } from 'vitest';
import { oneMapping, seedMappings } from '../rig.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { Strategy } from '../../src/kernel/kernel.ts';

const MiB = 2 ** 20;

describe('December 2016: a PMD mapping left writable when mkclean has no PMD branch (fixed by f729c8c9b24f)', () => {
  function pmdOnly(mkclean: Strategy) {
    const sim = new Simulation({ arch: 'x86_64', mkclean });
    const F = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
    A.write(a, 0x1000, 64);
    A.fsync(F);
    const afterFsync = sim.entry(A, a, 0x1000);
    A.write(a, 0x1000, 64);
    const faults = sim.faults(A);
    A.fsync(F);
    return { afterFsync, faults, result: sim.crash() };
  }

  it('pre-f729c8c9b24f: the PMD stays writable and dirty, the second write takes no fault and is lost', () => {
    const { afterFsync, faults, result } = pmdOnly('pre-f729c8c9b24f');
    expect(afterFsync).toMatchObject({ present: true, level: 'pmd', write: true, dirty: true });
    expect(faults).toEqual({ read: 0, write: 1, wp: 0 });
    expect(result.lost).toEqual([{ file: 'F', offset: 0x1000, length: 64 }]);
  });

  it('buggy (with the PMD branch): the PMD is write-protected, the second write faults, durable', () => {
    const { afterFsync, faults, result } = pmdOnly('buggy');
    expect(afterFsync).toMatchObject({ present: true, level: 'pmd', write: false, dirty: false });
    expect(faults).toEqual({ read: 0, write: 1, wp: 1 });
    expect(result.durable).toBe(true);
  });
});

describe('MAP_PRIVATE', () => {
  it('a private write copies the page to DRAM: the file and its DAX entry are untouched, mkclean skips the VMA', () => {
    for (const mkclean of ['buggy', 'range', 'page'] as const) {
      const sim = new Simulation({ arch: 'x86_64', mkclean });
      const F = sim.file('F', 2 * MiB);
      const P = sim.process('P');
      const S = sim.process('S');
      const s = S.mmap('s', F, { offset: 0, length: 2 * MiB });
      const p = P.mmap('p', F, { offset: 0, length: 2 * MiB, shared: false });
      S.write(s, 0, 16, 0xaa);
      expect(Array.from(P.read(p, 0, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]); // read fault maps the file page
      P.write(p, 0, 16, 0x55); // wp fault on a private mapping: COW
      const e = sim.entry(P, p, 0);
      expect(e).toMatchObject({ present: true, level: 'pte', write: true, dirty: true, devmap: false, special: false });
      expect(e.pfn * sim.pageSize).toBeLessThan(sim.machine.mem.pmem.base); // a DRAM page
      expect(Array.from(S.read(s, 0, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
      S.fsync(F);
      expect(sim.entry(P, p, 0)).toMatchObject({ write: true, dirty: true }); // private: never cleaned
      expect(sim.faults(P)).toEqual({ read: 1, write: 0, wp: 1 });
      expect(sim.crash().durable).toBe(true);
      expect(Array.from(sim.fileBytes(F, 0, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    }
  });

  it('a private mapping never takes a PMD for a write (dax_iomap_pmd_fault falls back)', () => {
    const sim = new Simulation({ arch: 'x86_64', mkclean: 'range' });
    const F = sim.file('F', 2 * MiB);
    const P = sim.process('P');
    const p = P.mmap('p', F, { offset: 0, length: 2 * MiB, shared: false });
    P.write(p, 0, 8);
    expect(sim.entry(P, p, 0)).toMatchObject({ level: 'pte', write: true });
    expect(sim.daxEntries(F).every((e) => !e.dirty)).toBe(true);
  });
});

describe('MAP_SYNC', () => {
  it('a write fault while datasync metadata is uncommitted commits it first, then maps writable and dirties the entry; later stores need a flush', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', mkclean: 'range' }, 2 * MiB, { offset: 0, length: 2 * MiB, sync: true });
    sim.kernel.dirtyDatasyncMetadata(F); // as a block allocation would (ext4_update_inode_fsync_trans(.., 1))
    P.write(m, 0, 64);
    expect(sim.kernel.metadataDirty.has(F)).toBe(false); // dax_finish_sync_fault ran vfs_fsync_range
    expect(sim.entry(P, m, 0)).toMatchObject({ present: true, write: true, dirty: true, level: 'pmd' });
    expect(sim.daxEntries(F)[0]).toMatchObject({ dirty: true }); // dax_insert_pfn_mkwrite sets DIRTY
    // user-space persistence: clwb + sfence makes the store durable without fsync
    P.write(m, 128, 64);
    P.flush(m, 128, 64);
    P.sfence();
    P.write(m, 4096, 64); // never flushed, never synced: not promised
    expect(sim.crash()).toEqual({ durable: true, lost: [] });
    expect(sim.fileBytes(F, 128, 1)[0]).not.toBe(0);
    expect(sim.fileBytes(F, 4096, 1)[0]).toBe(0);
  });

  it('clwb without the sfence promises nothing', () => {
    const { sim, P, m } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 2 * MiB, sync: true });
    P.write(m, 0, 64);
    P.flush(m, 0, 64);
    expect(sim.crash().durable).toBe(true);
  });
});

describe('msync and munmap', () => {
  it('msync of one page of a mapping writes back the entry covering it (the whole 2 MiB entry)', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', mkclean: 'range' }, 4 * MiB, { offset: 0, length: 4 * MiB });
    P.write(m, 0, 64);
    P.write(m, 2 * MiB + 8, 64); // the second 2 MiB entry
    P.msync(m, 0, 4096);
    const entries = sim.daxEntries(F);
    expect(entries.map((e) => [e.index, e.dirty])).toEqual([[0, false], [512, true]]);
    const r = sim.crash();
    expect(r.durable).toBe(true); // only the first write was promised
    expect(sim.fileBytes(F, 2 * MiB + 8, 1)[0]).toBe(0);
  });

  it('munmap zaps the entries and flushes the TLB: a later access through the old address faults', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.write(m, 0, 8);
    const va = m.start;
    P.munmap(m);
    expect(sim.kernel.entryFor(P.mm, va).present).toBe(false);
    expect(sim.machine.hwMmu.translate(P.mm.cpu, va, 0, true)).toBe(-1);
    expect(F.mapping.iMmap.size).toBe(0);
  });
});

describe('PMD fault fallbacks (dax_fault_check_fallback)', () => {
  it('a mapping whose file offset is not 2 MiB-colour-aligned with its address uses PTEs', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const F = sim.file('F', 4 * MiB);
    const P = sim.process('P');
    // offset 4 KiB, length 2 MiB: thp_get_unmapped_area aligns the address to the offset's
    // colour, but the VMA cannot hold an aligned 2 MiB range, so every fault is a PTE fault.
    const m = P.mmap('m', F, { offset: 4096, length: 2 * MiB });
    P.write(m, 0, 8);
    expect(sim.entry(P, m, 0)).toMatchObject({ level: 'pte' });
  });

  it('FS_DAX_PMD off (pmd off): every fault is a PTE and every entry one page', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64', pmd: 'off' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.write(m, 0, 8);
    P.write(m, 8192, 8);
    expect(sim.entry(P, m, 0).level).toBe('pte');
    expect(sim.daxEntries(F).map((e) => [e.index, e.order])).toEqual([[0, 0], [2, 0]]);
  });

  it('an existing page entry in the 2 MiB range makes a later PMD fault fall back', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const F = sim.file('F', 2 * MiB);
    const B = sim.process('B');
    const A = sim.process('A');
    const b = B.mmap('b', F, { offset: 4096, length: 4096 });
    B.write(b, 0, 8); // page entry at index 1
    const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
    A.write(a, 0, 8);
    expect(sim.entry(A, a, 0).level).toBe('pte');
  });

  it('pmd on where Kconfig forbids it (s390x, no devmap) is a what-if: PMDs appear and buggy loses data', () => {
    const sim = new Simulation({ arch: 's390x', mkclean: 'buggy', pmd: 'on' });
    expect(sim.pmdWhatIf).toBe(true);
    const F = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const B = sim.process('B');
    const a = A.mmap('a', F, { offset: 0, length: 1 * MiB });
    const b = B.mmap('b', F, { offset: 4096, length: 4096 });
    A.write(a, 0, 8);
    expect(sim.entry(A, a, 0).level).toBe('pmd'); // a 1 MiB segment
    B.write(b, 0, 8);
    A.fsync(F);
    B.write(b, 0, 8);
    A.fsync(F);
    expect(sim.crash().durable).toBe(false);
  });
});

describe('every crash state (--all-states)', () => {
  it('a line evicted early with newer, unpromised data keeps the promise; an unsynced store is not promised', () => {
    const { sim, F, P, m } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 2 * MiB });
    P.write(m, 0, 64, 1);
    P.fsync(F);
    P.write(m, 0, 64, 2); // newer data, never synced: the line may or may not reach pmem
    const uncertain = sim.machine.cache.uncertainLines();
    expect(uncertain.some((u) => u.candidates.some((c) => c[0] === 2))).toBe(true);
    expect(sim.crash({ allStates: true })).toEqual({ durable: true, lost: [] });
  });

  it('the buggy seed loses B\'s write in every state where the line was not evicted early', () => {
    const { sim, F, A, B, a, b } = seedMappings({ arch: 'x86_64', mkclean: 'buggy' });
    A.write(a, 0, 64);
    B.write(b, 0, 64);
    A.fsync(F);
    B.write(b, 0, 64);
    A.fsync(F);
    expect(sim.crash({ allStates: true }).lost).toEqual([{ file: 'F', offset: 4096, length: 64 }]);
  });
});

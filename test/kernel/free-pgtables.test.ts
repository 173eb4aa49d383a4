// munmap frees the page tables nothing else maps through: unmap_region -> free_pgtables ->
// free_pgd_range (mm/mmap.c, mm/memory.c, 6.1), bounded by the neighbouring VMAs. Found by
// `daxsim verify` (test/verify/17-munmap-remap.dax): after a munmap and a new mmap, the real
// kernel's pgd and pud entries for the range were empty where the model kept tables.
import { describe, expect, it } from 'vitest';
import { oneMapping } from '../rig.ts';
import { newSlot } from '../../src/kernel/pgtable.ts';
import type { Mm } from '../../src/kernel/mm.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const MiB = 2 ** 20;

/** The level at which a software walk of `va` in `mm` stops (0 = an empty pgd entry), and the table bytes in use. */
function walkDepth(sim: Simulation, mm: Mm, va: number): number {
  const slot = newSlot();
  sim.kernel.pt.walk(mm.pgd, va, sim.kernel.pt.last, false, slot);
  return slot.level;
}

describe('munmap frees page tables as free_pgtables does', () => {
  it('the only mapping of an mm: every table below the pgd goes, the pgd entry is empty again', () => {
    const { sim, F, P: A, m: a } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 64 * 1024 });
    A.write(a, 4096, 64); // a PTE fault: pud, pmd and PTE tables allocated
    const va = a.start + 4096;
    expect(walkDepth(sim, A.mm, va)).toBe(3);
    const rootOnly = sim.kernel.pt.tableBytes - 3 * 4096;
    A.munmap(a);
    expect(walkDepth(sim, A.mm, va)).toBe(0); // pgd entry none: the walk stops at the root
    expect(sim.kernel.pt.tableBytes).toBe(rootOnly);
    // Mapping again faults afresh and rebuilds the tables from freed frames.
    const b = A.mmap('b', F, { offset: 0, length: 64 * 1024 });
    A.write(b, 4096, 64);
    expect(walkDepth(sim, A.mm, b.start + 4096)).toBe(3);
    expect(sim.faults(A)).toEqual({ read: 0, write: 2, wp: 0 });
  });

  it('a neighbour within the same 2 MiB keeps the PTE table (floor/ceiling), and its entries', () => {
    const { sim, F, P: A, m: a } = oneMapping({ arch: 'x86_64' }, 2 * MiB, { offset: 0, length: 4096 });
    const b = A.mmap('b', F, { offset: 4096, length: 4096 });
    A.write(a, 0, 64);
    A.write(b, 0, 64);
    const bytes = sim.kernel.pt.tableBytes;
    A.munmap(a);
    expect(sim.kernel.pt.tableBytes).toBe(bytes); // b still maps through every table
    expect(sim.entry(A, b, 0)).toMatchObject({ present: true, write: true, dirty: true });
    A.munmap(b);
    expect(walkDepth(sim, A.mm, b.start)).toBe(0);
  });
});

describe('s390: the region-third table is the root the hardware walks, and stays', () => {
  it('munmap of the only mapping frees the segment and page tables, not the region tables above', () => {
    const { sim, F, P: A, m: a } = oneMapping({ arch: 's390x' }, 2 * MiB, { offset: 0, length: 64 * 1024 });
    const before = sim.kernel.pt.tableBytes;
    A.write(a, 0, 64); // a segment table (pmd) and a page table below the region-third table
    expect(walkDepth(sim, A.mm, a.start)).toBe(4);
    A.munmap(a);
    expect(walkDepth(sim, A.mm, a.start)).toBe(2); // the region-third entry is empty again
    expect(sim.kernel.pt.tableBytes).toBe(before);
    const b = A.mmap('b', F, { offset: 0, length: 64 * 1024 });
    A.read(b, 0, 64);
    expect(sim.faults(A)).toEqual({ read: 1, write: 1, wp: 0 });
  });
});

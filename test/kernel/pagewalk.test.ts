// The one software range walk (src/kernel/pagewalk.ts, after mm/pagewalk.c): a process maps
// a 2 MiB DAX PMD and, 2 MiB further, a few 4 KiB pages of the same file; the walk over both
// must report the empty pgd/pud entries as holes at their depth, the PMD leaf to pmd_entry
// without descending, every PTE of the page table to pte_entry (empty ones too), and stop
// where a callback says so. zap_page_range (munmap) is a client: it clears what the walk
// reaches and counts, per leaf or hole, the references of a descent from the pgd to it.
import { describe, expect, it } from 'vitest';
import { ACTION_CONTINUE, ACTION_SUBTREE, walkPageRange, type MmWalk, type MmWalkOps } from '../../src/kernel/pagewalk.ts';
import { newSlot } from '../../src/kernel/pgtable.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { Layout } from '../../arch/types.ts';

const MiB = 2 ** 20;

interface Rec extends MmWalk {
  readonly seen: string[];
  /** Level at whose non-leaf entries pxdEntry answers ACTION_CONTINUE (-1: never). */
  skipLevel: number;
  /** Stop (return 7) at the pte_entry for this address (-1: never). */
  stopAt: number;
  readonly layout: Layout;
}

const OPS: MmWalkOps<Rec> = {
  pxdEntry(w, addr) {
    const leaf = w.layout.isLeaf(w.level, w.entry);
    w.seen.push(`${leaf ? 'leaf' : 'table'} ${w.level} ${addr.toString(16)}`);
    if (w.level === w.skipLevel) w.action = ACTION_CONTINUE;
    return 0;
  },
  pteEntry(w, addr) {
    if ((w.entry.lo & 1) !== 0) w.seen.push(`pte ${addr.toString(16)}`);
    return addr === w.stopAt ? 7 : 0;
  },
  pteHole(w, addr, next, depth) {
    w.seen.push(`hole ${depth} ${addr.toString(16)}-${next.toString(16)}`);
    return 0;
  },
};

function rig() {
  const sim = new Simulation({ arch: 'x86_64' });
  const F = sim.file('F', 4 * MiB);
  const A = sim.process('A');
  const huge = A.mmap('huge', F, { offset: 0, length: 2 * MiB });
  A.write(huge, 0, 8); // a PMD fault: one 2 MiB leaf
  const small = A.mmap('small', F, { offset: 2 * MiB, length: 16 * 4096 });
  for (const p of [0, 3, 15]) A.write(small, p * 4096, 8); // three PTEs in one page table
  const rec = (): Rec => ({ level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: ACTION_SUBTREE, seen: [], skipLevel: -1, stopAt: -1, layout: sim.layout });
  return { sim, A, huge, small, rec };
}

describe('walkPageRange (mm/pagewalk.c walk_page_range)', () => {
  it('reports holes at their depth, a huge PMD to pmd_entry without descending, and every PTE of the table', () => {
    const { sim, A, huge, small, rec } = rig();
    const w = rec();
    const start = Math.min(huge.start, small.start);
    const end = Math.max(huge.end, small.end);
    let ptes = 0;
    const counting: MmWalkOps<Rec> = { ...OPS, pteEntry: (x, addr, next) => (ptes++, OPS.pteEntry!(x, addr, next)) };
    expect(walkPageRange(sim.kernel.pt, A.mm.pgd, 0, start, end, counting, w)).toBe(0);
    const pmdLeaf = w.seen.filter((s) => s.startsWith('leaf'));
    expect(pmdLeaf).toEqual([`leaf ${sim.kernel.pmdLevel} ${huge.start.toString(16)}`]);
    expect(w.seen.filter((s) => s.startsWith('pte'))).toEqual([0, 3, 15].map((p) => `pte ${(small.start + p * 4096).toString(16)}`));
    // pte_entry for every PTE of the page table's part of the range, present or not
    expect(ptes).toBe(huge.start < small.start ? (end - 2 ** 21 * Math.floor(small.start / 2 ** 21)) / 4096 : (2 ** 21 * Math.ceil(small.end / 2 ** 21) - small.start) / 4096);
  });

  it('walks empty upper levels as holes of their own size, clipped to the range', () => {
    const { sim, A, rec } = rig();
    const w = rec();
    // Far above both mappings: an empty pgd entry (512 GiB each), reported at depth 0.
    const base = 2 ** 45;
    walkPageRange(sim.kernel.pt, A.mm.pgd, 0, base + 4096, base + 2 ** 39 + 8192, OPS, w);
    expect(w.seen).toEqual([`hole 0 ${(base + 4096).toString(16)}-${(base + 2 ** 39).toString(16)}`, `hole 0 ${(base + 2 ** 39).toString(16)}-${(base + 2 ** 39 + 8192).toString(16)}`]);
  });

  it('does not descend below an entry whose callback set ACTION_CONTINUE, and stops at a non-zero return', () => {
    const { sim, A, small, rec } = rig();
    const skip = rec();
    skip.skipLevel = sim.kernel.pmdLevel; // the pmd entry pointing at the page table
    walkPageRange(sim.kernel.pt, A.mm.pgd, 0, small.start, small.end, OPS, skip);
    expect(skip.seen.filter((s) => s.startsWith('pte'))).toEqual([]);
    const stop = rec();
    stop.stopAt = small.start + 3 * 4096;
    expect(walkPageRange(sim.kernel.pt, A.mm.pgd, 0, small.start, small.end, OPS, stop)).toBe(7);
    expect(stop.seen.filter((s) => s.startsWith('pte'))).toEqual([0, 3].map((p) => `pte ${(small.start + p * 4096).toString(16)}`));
  });
});

describe('zap_page_range as a pagewalk client', () => {
  it('clears every leaf of the range and counts a descent per leaf or hole, as a walk per address would', () => {
    const { sim, A, huge, small } = rig();
    const pt = sim.kernel.pt;
    // The per-address count: walk from the pgd to where each step stops, then step to that level's next boundary.
    const slot = newSlot();
    let expected = 0;
    for (const v of [huge, small]) {
      for (let va = v.start; va < v.end; ) {
        pt.walk(A.mm.pgd, va, pt.last, false, slot);
        expected += slot.level + 1;
        const leaf = !sim.layout.isNone(slot.level, slot.entry) && sim.layout.isLeaf(slot.level, slot.entry);
        if (leaf) expected++; // the entry written empty
        const size = pt.levelSize[slot.level]!;
        va = (Math.floor(va / size) + 1) * size;
      }
    }
    const before = sim.kernel.counters.ptRefs;
    A.munmap(huge);
    A.munmap(small);
    expect(sim.kernel.counters.ptRefs - before).toBe(expected);
    for (const va of [huge.start, small.start + 3 * 4096]) expect(pt.lookup(A.mm.pgd, va, slot)).toBe(false);
  });
});

// The mkclean benchmark's scenario shape, in one place for `bench/kernel.bench.ts` and
// `daxsim compare --sweep`: the seed scenario (src/scenario/seed.ts) with its one sharer
// generalised to n and its 2 MiB file to any size.
//
//   A maps the whole file (one VMA) and stores 8 bytes at the start of every leaf its faults
//   install: one store per PMD where a PMD fault maps the entry (FS_DAX_PMD, a PMD-aligned
//   PMD-sized range of file and VMA: dax_iomap_pmd_fault), one per page elsewhere; so every
//   DAX entry of the file is DIRTY and has one dirty line from A.
//   Sharer i (i = 0 .. n-1) maps one page of the file at page (i + 1) mod pages (so sharer 0
//   is the seed's B: page 1, head pfn + 1 under A's PMD entry) and stores 8 bytes into a line
//   of its own in it (line 1 + floor(i / pages), never A's line 0).
//
// Every process is an mm on its own CPU (n + 1 CPUs). Callers see every store through `store`
// (the bench records the leaf and replays the store; compare just lets it happen).

import type { DaxFile } from '../kernel/file.ts';
import type { Vma } from '../kernel/mm.ts';
import { newSlot } from '../kernel/pgtable.ts';
import { Simulation, type Process, type SimulationOptions } from '../sim/simulation.ts';

export interface SharersParams {
  /** Processes mapping one page each besides A. */
  sharers: number;
  /** Bytes of the file (A maps all of it); a multiple of the page size. */
  size: number;
}

export const MiB = 2 ** 20;

/** The seed's own shape: one sharer of a 2 MiB file. */
export const SEED_SHARERS: SharersParams = { sharers: 1, size: 2 * MiB };

export interface Sharer {
  proc: Process;
  vma: Vma;
  /** Offset of its store inside its one-page mapping. */
  offset: number;
}

export interface SharersScene {
  sim: Simulation;
  file: DaxFile;
  a: Process;
  aVma: Vma;
  sharers: Sharer[];
}

/**
 * One store of the shape: `proc` writes 8 bytes at `offset` of `vma`; `first` when it is A's
 * (the first store into its DAX entry). The default stores a value unique to the write.
 */
export type StoreFn = (proc: Process, vma: Vma, offset: number, first: boolean) => void;

const defaultStore: StoreFn = (proc, vma, offset) => proc.write(vma, offset, 8);

/** Builds the shape on a new simulation with `opts` (its CPUs are set here). */
export function sharersScene(opts: SimulationOptions, p: SharersParams, store: StoreFn = defaultStore): SharersScene {
  const sim = new Simulation({ ...opts, cpus: p.sharers + 1 });
  const page = sim.pageSize;
  const pages = p.size / page;
  const file = sim.file('F', p.size);
  const a = sim.process('A');
  const aVma = a.mmap('a', file, { offset: 0, length: p.size });
  const slot = newSlot();
  const k = sim.kernel;
  for (let off = 0; off < p.size; ) {
    store(a, aVma, off, true);
    const va = aVma.start + off;
    if (!k.pt.lookup(a.mm.pgd, va, slot)) throw new Error(`sharers: nothing maps 0x${va.toString(16)} after A's store`);
    off += 2 ** sim.layout.levels[slot.level]!.shift;
  }
  const sharers: Sharer[] = [];
  for (let i = 0; i < p.sharers; i++) {
    const proc = sim.process(`P${i}`);
    const vma = proc.mmap(`p${i}`, file, { offset: ((i + 1) % pages) * page, length: page });
    const offset = 64 * (1 + Math.floor(i / pages));
    store(proc, vma, offset, false);
    sharers.push({ proc, vma, offset });
  }
  return { sim, file, a, aVma, sharers };
}

// Benchmarks of the kernel model's writeback (GitHub issue 7): what one fsync costs under each
// mkclean strategy, on every arch layout, as the number of mappings of a dirty 2 MiB grows.
//
//   mkclean-<strategy>-<arch>-<n>   one fsync of a dirty 2 MiB, mapped by process A with one
//                                   PMD (or, where FS_DAX_PMD is off, with 512 4 KiB PTEs,
//                                   e.g. s390x) plus n processes that each map one page of it
//                                   at a different offset (pages 1, 2, ..., wrapping modulo the
//                                   pages in 2 MiB: 32 on ppc64-radix's 64 KiB pages) with one
//                                   PTE: the shape of src/compare/sharers.ts, which
//                                   `daxsim compare --sweep` runs too (n = 1 is the seed).
//   fsync-1g-<strategy>-<arch>      one fsync of a 1 GiB file, every DAX entry dirty, the whole
//                                   file mapped by 8 processes.
//
// What one operation (benchmark.js's hz) is: re-dirty, then fsync. The re-dirty puts the
// machine back into the state right after the user stores, without the MMU or the fault path
// (src/kernel has no "mark dirty" call, so it writes the same state the fault path wrote):
// every leaf the stores made dirty and writable (A's PMD or PTEs, each process's PTE) is
// written back to its dirty, writable value; every DAX entry of the range is tagged DIRTY;
// and the first store into each DAX entry is replayed into the pmem cache (8 bytes: one dirty
// line per entry; the other stores are not replayed, so the cache model's per-line cost does
// not swamp the page-table work). So every measured fsync does the full mkclean work: tag,
// then per entry mkclean (clean + write-protect + TLB flush of every leaf the strategy
// reaches), clwb of every line of the entry (flush_instructions; the model touches only its
// dirty lines), sfence. The fsync alone is also timed inside fn() (extra `fsync_per_s`), and
// extra() counts the kernel-side cost of one fsync on one more operation after the run:
// mkclean VMAs and leaves visited, leaves cleaned, page-table references, TLB flushes,
// entries and lines written back, clwb instructions.
//
//   npm run bench -- --filter '^mkclean-range-x86_64-512$' --json out.json

import { layouts } from '../arch/index.ts';
import type { Entry, Layout } from '../arch/types.ts';
import type { DaxEntry } from '../src/kernel/dax-entries.ts';
import type { DaxFile } from '../src/kernel/file.ts';
import { SEED_STRATEGIES, STRATEGIES, type Counters, type Kernel, type Strategy } from '../src/kernel/kernel.ts';
import type { Mm, Vma } from '../src/kernel/mm.ts';
import { newSlot } from '../src/kernel/pgtable.ts';
import { Access } from '../src/kernel/ports.ts';
import { Simulation, type Process } from '../src/sim/simulation.ts';
import { sharersScene } from '../src/compare/sharers.ts';
import type { BenchCase } from './case.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const SIZES = [1, 64, 512] as const;
const FSYNC_1G_PROCS = 8;

/** Layouts with 4 KiB or 64 KiB base pages (every layout daxsim models today). */
const ARCHES: readonly Layout[] = layouts.filter((l) => l.pageShift === 12 || l.pageShift === 16);

/** The machine one case measures, and what its re-dirty replays. */
interface Rig {
  sim: Simulation;
  k: Kernel;
  file: DaxFile;
  /** The process whose fsync is measured (A, CPU 0). */
  syncer: Mm;
  /** Page-table leaves the user stores made dirty and writable: address and that value. */
  leafPa: Float64Array;
  leafVal: Entry[];
  /** DAX entries of the synced range. */
  entries: DaxEntry[];
  /** Stores replayed into the cache: physical address and CPU. */
  storePa: Float64Array;
  storeCpu: Int32Array;
  /** Mapping shape, for extra(). */
  pmdLeaves: number;
  pteLeaves: number;
}

const word = new Uint8Array([0xa5, 0x5a, 1, 2, 3, 4, 5, 6]);

/** Records the leaf mapping `va` in `mm` (after the store that dirtied it) and the store itself. */
class RigBuilder {
  private readonly leaves = new Map<number, Entry>();
  private readonly stores: Array<[number, number]> = [];
  private readonly slot = newSlot();
  pmdLeaves = 0;
  pteLeaves = 0;

  constructor(readonly sim: Simulation) {}

  /** A user store of 8 bytes at `offset` of `vma` by `proc`; its leaf is recorded for the re-dirty, and the store itself when `replay`. */
  store(proc: Process, vma: Vma, offset: number, replay: boolean): void {
    proc.write(vma, offset, 8, 0x11);
    const k = this.sim.kernel;
    const va = vma.start + offset;
    if (!k.pt.lookup(proc.mm.pgd, va, this.slot)) throw new Error(`bench: nothing maps 0x${va.toString(16)} after a store`);
    if (!this.leaves.has(this.slot.pa)) {
      this.leaves.set(this.slot.pa, { lo: this.slot.entry.lo, hi: this.slot.entry.hi });
      if (this.slot.level === k.pmdLevel) this.pmdLeaves++;
      else this.pteLeaves++;
    }
    if (replay) this.stores.push([k.translateUser(proc.mm, va, Access.Read), proc.mm.cpu]);
  }

  build(file: DaxFile, syncer: Mm): Rig {
    const k = this.sim.kernel;
    const leafPa = Float64Array.from(this.leaves.keys());
    return {
      sim: this.sim,
      k,
      file,
      syncer,
      leafPa,
      leafVal: [...this.leaves.values()],
      entries: [...file.mapping.entries.all()],
      storePa: Float64Array.from(this.stores.map((s) => s[0])),
      storeCpu: Int32Array.from(this.stores.map((s) => s[1])),
      pmdLeaves: this.pmdLeaves,
      pteLeaves: this.pteLeaves,
    };
  }
}

/** Back to the state right after the user stores (see the header). Touches no kernel counter. */
function redirty(r: Rig): void {
  const pt = r.k.pt;
  const { leafPa, leafVal, entries, storePa, storeCpu } = r;
  for (let i = 0; i < leafPa.length; i++) pt.write(leafPa[i]!, leafVal[i]!);
  for (let i = 0; i < entries.length; i++) entries[i]!.dirty = true;
  const cache = r.sim.machine.cache;
  for (let i = 0; i < storePa.length; i++) cache.store(storeCpu[i]!, storePa[i]!, word);
}

/** The sharers shape (src/compare/sharers.ts) on a 2 MiB file: A's stores (one per leaf, the first into each DAX entry) replayed, the n sharers' not. */
function mkcleanRig(arch: string, strategy: Strategy, n: number): Rig {
  let b: RigBuilder | null = null;
  const scene = sharersScene({ arch, mkclean: strategy, check: false }, { sharers: n, size: 2 * MiB }, (proc, vma, offset, first) => {
    b ??= new RigBuilder(proc.sim);
    b.store(proc, vma, offset, first);
  });
  return b!.build(scene.file, scene.a.mm);
}

/** A 1 GiB file mapped whole by 8 processes, each storing 8 bytes into the first line of every DAX entry (the first of these stores replayed). */
function fsync1gRig(arch: string, strategy: Strategy): Rig {
  const sim = new Simulation({ arch, mkclean: strategy, check: false, cpus: FSYNC_1G_PROCS });
  const F = sim.file('F', GiB);
  const b = new RigBuilder(sim);
  const procs: Process[] = [];
  const maps: Vma[] = [];
  for (let i = 0; i < FSYNC_1G_PROCS; i++) {
    procs.push(sim.process(`P${i}`));
    maps.push(procs[i]!.mmap(`p${i}`, F, { offset: 0, length: GiB }));
  }
  // Where FS_DAX_PMD is on, an entry is 2 MiB (one PMD per process); otherwise one page (one PTE).
  const entryBytes = sim.fsDaxPmd ? sim.kernel.pmdSize : sim.pageSize;
  for (let off = 0, e = 0; off < GiB; off += entryBytes, e++) {
    for (let i = 0; i < FSYNC_1G_PROCS; i++) {
      const p = (e + i) % FSYNC_1G_PROCS;
      // the first stores at the entry's start; the other 7 in the same line, so each maps
      // the entry dirty and writable and the entry has one dirty line
      b.store(procs[p]!, maps[p]!, off + 8 * i, i === 0);
    }
  }
  return b.build(F, procs[0]!.mm);
}

type CostKey = keyof Counters;
const COSTS: ReadonlyArray<[CostKey, string]> = [
  ['mkcleanVmas', 'vmas_visited'],
  ['mkcleanCleaned', 'leaves_cleaned'],
  ['ptRefs', 'pt_refs'],
  ['tlbFlushes', 'tlb_flushes'],
  ['hpteFlushes', 'hpte_flushes'],
  ['entriesWrittenBack', 'entries_written_back'],
  ['linesWrittenBack', 'lines_written_back'],
];

/** A case: setup builds the rig; fn re-dirties and fsyncs; extra counts one more fsync. */
function fsyncCase(name: string, make: () => Rig, note: Record<string, string>, minSamples?: number): BenchCase {
  let rig: Rig | null = null;
  let ns = 0n;
  let fsyncs = 0;
  let extras: Record<string, number | string> | null = null;
  return {
    name,
    ...(minSamples !== undefined ? { minSamples } : {}),
    setup() {
      rig = make();
      ns = 0n;
      fsyncs = 0;
      extras = null;
    },
    fn() {
      const r = rig!;
      redirty(r);
      const t0 = process.hrtime.bigint();
      r.k.fsync(r.syncer, r.file);
      ns += process.hrtime.bigint() - t0;
      fsyncs++;
    },
    extra() {
      if (extras !== null) return extras;
      const r = rig!;
      const k = r.k;
      redirty(r);
      const before = { ...k.counters };
      const insn0 = r.sim.machine.cache.counters.flushInstructions;
      const events = k.events;
      let visits = 0;
      k.events = { mkcleanVisit: () => visits++ };
      k.fsync(r.syncer, r.file);
      k.events = events;
      const out: Record<string, number | string> = {
        fsync_per_s: fsyncs > 0 ? Number(((fsyncs * 1e9) / Number(ns)).toPrecision(4)) : 0,
        fs_dax_pmd: r.sim.fsDaxPmd ? 'y' : 'n',
        dax_entries: r.entries.length,
        pmd_mappings: r.pmdLeaves,
        pte_mappings: r.pteLeaves,
        leaves_visited: visits,
      };
      for (const [key, label] of COSTS) out[label] = k.counters[key] - before[key];
      out.flush_instructions = r.sim.machine.cache.counters.flushInstructions - insn0;
      Object.assign(out, note);
      extras = out;
      return out;
    },
  };
}

export const cases: BenchCase[] = [];

// Both readings of the page proposal (page, page-head) next to buggy and range.
for (const strategy of SEED_STRATEGIES) {
  for (const l of ARCHES) {
    // A PMD entry needs FS_DAX_PMD (a devmap bit) and a PMD no larger than the 2 MiB file.
    const pmd = l.devmap !== null && 2 ** l.levels[l.pmdLevel]!.shift <= 2 * MiB;
    const shape = pmd ? '2 MiB mapped by one PMD' : l.devmap === null ? 'no devmap bit: FS_DAX_PMD off, the 2 MiB is mapped by PTEs only' : 'PMD larger than 2 MiB: the 2 MiB is mapped by PTEs only';
    for (const n of SIZES) {
      cases.push(fsyncCase(`mkclean-${strategy}-${l.name}-${n}`, () => mkcleanRig(l.name, strategy, n), { mapping: shape }));
    }
  }
}

for (const strategy of STRATEGIES) {
  for (const l of ARCHES) {
    const limited = l.devmap === null;
    const shape = limited ? 'no devmap bit: 262144 page entries, 8 x 262144 PTEs' : 'PMD entries and PMD mappings';
    // Without FS_DAX_PMD one fsync of 1 GiB takes seconds (512 times the entries and leaves): 2 samples.
    cases.push(fsyncCase(`fsync-1g-${strategy}-${l.name}`, () => fsync1gRig(l.name, strategy), { mapping: shape }, limited ? 2 : undefined));
  }
}

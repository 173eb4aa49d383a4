// One side's state after a statement, in a form both sides share: each process's faults by
// kind, and for every page of every live mapping the entry at each page-table level, from the
// root down to the leaf (or the first empty entry). An entry's address field is the one part
// that cannot be equal (the tables and the file's blocks sit at different physical addresses
// in the model and in the guest), so it is normalised: a table pointer's address is cleared,
// and a leaf's address becomes the file offset it maps (as if the file's first block were at
// physical 0), or 0 with `maps: "ram"` for a page outside every file (a copy-on-write page).
// Every other bit is compared as it is.
import { mappingEnd } from '../kernel/mprotect.ts';
import type { Entry, Layout } from '../../arch/types.ts';
import type { RunNames } from '../scenario/run.ts';
import { newSlot } from '../kernel/pgtable.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { KernelMap, KernelStatement } from './records.ts';

export interface LevelValue {
  /** The entry with its address field normalised (see above). */
  value: bigint;
  /** "table", "F+0x1000" (a leaf mapping that offset of file F), or "ram". */
  maps: string;
  /** For a leaf in a file: the file offset it maps; lets runs of pages be grouped. */
  fileOffset?: number;
  leaf: boolean;
  /** A guest table entry whose span also covers the process's own memory (code, stack): present whatever the scenario does. */
  shared?: boolean;
}

export interface MapSnapshot {
  proc: string;
  map: string;
  /** pages[i][level]: the entry at each level for page i of the mapping, up to the leaf. */
  pages: LevelValue[][];
}

export type FaultCounts = { read: number; write: number; wp: number };

export interface Snapshot {
  faults: Record<string, FaultCounts>;
  /** Keyed by "P/M". */
  maps: Map<string, MapSnapshot>;
}

/** Where a file's blocks are: the model's one extent, or the guest's FIEMAP extents. */
export interface FileSpan {
  name: string;
  extents: ReadonlyArray<{ logical: number; phys: number; length: number }>;
}

/** The file and offset physical address `phys` holds, if any. */
export function fileOffsetOf(files: readonly FileSpan[], phys: number): { file: string; offset: number } | undefined {
  for (const f of files) for (const e of f.extents) if (phys >= e.phys && phys < e.phys + e.length) return { file: f.name, offset: e.logical + (phys - e.phys) };
  return undefined;
}

function toBig(e: Entry): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

function toEntry(v: bigint): Entry {
  return { lo: Number(v & 0xffffffffn), hi: Number((v >> 32n) & 0xffffffffn) };
}

/** The address bits of an entry at `level`: the pfn field, above the leaf's own alignment for a huge leaf (bit 12 of a PMD is _PAGE_PAT_LARGE). */
export function addressMask(layout: Layout, level: number, leaf: boolean): bigint {
  if (!leaf) return layout.pfn.mask;
  const align = (1n << BigInt(layout.levels[level]!.shift)) - 1n;
  return layout.pfn.mask & ~align;
}

export function normalise(layout: Layout, level: number, raw: bigint, files: readonly FileSpan[]): LevelValue {
  const e = toEntry(raw);
  const leaf = layout.isLeaf(level, e);
  const mask = addressMask(layout, level, leaf);
  const flags = raw & ~mask;
  if (!leaf || !layout.isPresent(level, e)) return { value: flags, maps: leaf ? 'none' : 'table', leaf };
  const phys = layout.leafPfn(level, e) * 2 ** layout.pageShift;
  const at = fileOffsetOf(files, phys);
  if (at === undefined) return { value: flags, maps: 'ram', leaf };
  const off = at.offset;
  return { value: flags | (BigInt(off) & mask), maps: `${at.file}+0x${off.toString(16)}`, fileOffset: off, leaf };
}

/** The model's snapshot, read from its page tables without touching A/D bits or counters. */
export function modelSnapshot(sim: Simulation, names: RunNames): Snapshot {
  const layout = sim.layout;
  const files: FileSpan[] = [...names.files.values()].map((f) => ({ name: f.name, extents: [{ logical: 0, phys: f.phys, length: f.size }] }));
  const faults: Record<string, FaultCounts> = {};
  for (const [n, p] of names.procs) faults[n] = sim.faults(p);
  const maps = new Map<string, MapSnapshot>();
  const slot = newSlot();
  const pt = sim.kernel.pt;
  const ps = sim.pageSize;
  for (const [name, vma] of names.maps) {
    if (!vma.mm.vmas.includes(vma)) continue;
    const pages: LevelValue[][] = [];
    const end = mappingEnd(vma); // over the pieces a partial mprotect split the mapping into
    for (let va = vma.start; va < end; va += ps) {
      const levels: LevelValue[] = [];
      for (let target = 0; target <= pt.last; target++) {
        pt.walk(vma.mm.pgd, va, target, false, slot);
        if (slot.level !== target || layout.isNone(target, slot.entry)) break;
        const v = normalise(layout, target, toBig(slot.entry), files);
        levels.push(v);
        if (v.leaf) break;
      }
      pages.push(levels);
    }
    maps.set(`${vma.mm.name}/${name}`, { proc: vma.mm.name, map: name, pages });
  }
  return { faults, maps };
}

/** The guest's snapshot: its entries, expanded to every page of each mapping. */
export function kernelSnapshot(layout: Layout, st: KernelStatement, files: readonly FileSpan[]): Snapshot {
  const maps = new Map<string, MapSnapshot>();
  const ps = 2 ** layout.pageShift;
  for (const m of st.maps) maps.set(`${m.proc}/${m.map}`, { proc: m.proc, map: m.map, pages: expand(layout, m, ps, files, st.others[m.proc] ?? []) });
  return { faults: st.faults, maps };
}

function expand(layout: Layout, m: KernelMap, ps: number, files: readonly FileSpan[], others: ReadonlyArray<[number, number]>): LevelValue[][] {
  const byKey = new Map<string, bigint>();
  for (const e of m.pt) byKey.set(`${e.level}@${e.va}`, e.raw);
  const pages: LevelValue[][] = [];
  for (let va = m.start; va < m.start + m.len; va += ps) {
    const levels: LevelValue[] = [];
    for (let i = 0; i < layout.levels.length; i++) {
      const size = 2 ** layout.levels[i]!.shift;
      const raw = byKey.get(`${layout.levels[i]!.name}@${Math.floor(va / size) * size}`);
      if (raw === undefined || raw === 0n) break;
      const v = normalise(layout, i, raw, files);
      const at = Math.floor(va / size) * size;
      if (!v.leaf && others.some(([a, b]) => a < at + size && b > at)) v.shared = true;
      levels.push(v);
      if (v.leaf) break;
    }
    pages.push(levels);
  }
  return pages;
}

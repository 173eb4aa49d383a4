// A minimal page-table builder for tests and benchmarks of the MMU: it writes entries through
// the layout's own constructors (mkTable / mkLeaf / mkNone) into DRAM, as the kernel's
// p?d_populate and set_pte_at would, without any of the kernel's bookkeeping. The kernel
// model (src/kernel) has its own, real page-table code; this one exists so src/mmu can be
// tested on its own.

import type { Entry, Layout, LeafProt } from '../../arch/types.ts';
import type { FrameAllocator } from '../mem/frames.ts';
import type { PhysMem } from '../mem/phys.ts';

export const DEFAULT_PROT: Readonly<LeafProt> = Object.freeze({
  write: true,
  user: true,
  exec: false,
  dirty: false,
  young: false,
  devmap: false,
  special: false,
});

export class TableBuilder {
  /** Physical address of the root table. */
  readonly rootTable: number;
  /** The root register value designating it (what Mmu.setRoot and Mmu.lookup take; x86 CR3 = the table, s390 an ASCE). */
  readonly root: number;
  private readonly e: Entry = { lo: 0, hi: 0 };

  /** `rootLevel`: the level of the root table (s390: 2 for a region-third ASCE); default the layout's largest root. */
  constructor(
    readonly layout: Layout,
    readonly mem: PhysMem,
    readonly frames: FrameAllocator,
    readonly rootLevel: number = Math.min(...layout.hooks.root.levels),
  ) {
    this.rootTable = this.newTable(rootLevel);
    this.root = layout.hooks.root.encode(this.rootTable, rootLevel);
  }

  /** A fresh table for `level`, filled with the layout's empty entry (s390's invalid patterns). */
  private newTable(level: number): number {
    const bytes = this.layout.tableBytes[level]!;
    const pa = this.frames.alloc(bytes);
    this.layout.mkNone(level, this.e);
    if (this.e.lo !== 0 || this.e.hi !== 0) {
      for (let off = 0; off < bytes; off += 8) this.mem.write64(pa + off, this.layout.endian, this.e);
    }
    return pa;
  }

  /** Index of va at `level`. */
  index(va: number, level: number): number {
    const lv = this.layout.levels[level]!;
    return Math.floor(va / 2 ** lv.shift) % 2 ** lv.bits;
  }

  /**
   * Physical address of the entry for va at `level`, allocating the tables above it if
   * `create`; -1 when a table on the way is missing (or a leaf sits above `level`).
   */
  entryPa(va: number, level: number, create = false): number {
    const L = this.layout;
    if (level < this.rootLevel) return -1;
    let table = this.rootTable;
    for (let l = this.rootLevel; l < level; l++) {
      const pa = table + this.index(va, l) * 8;
      this.mem.read64(pa, L.endian, this.e);
      if (L.isNone(l, this.e)) {
        if (!create) return -1;
        const t = this.newTable(l + 1);
        L.mkTable(l, t, this.e);
        this.mem.write64(pa, L.endian, this.e);
        table = t;
      } else {
        if (L.isLeaf(l, this.e)) return -1;
        table = L.tableAddress(l, this.e);
      }
    }
    return table + this.index(va, level) * 8;
  }

  /** Maps the page of `level`'s size at va to pa (both aligned to it). Returns the leaf entry's address. */
  map(va: number, pa: number, level: number, prot: Partial<LeafProt> = {}): number {
    const size = 2 ** this.layout.levels[level]!.shift;
    if (va % size !== 0 || pa % size !== 0) throw new RangeError(`va 0x${va.toString(16)} / pa 0x${pa.toString(16)} not aligned to ${size}`);
    const epa = this.entryPa(va, level, true);
    if (epa < 0) throw new RangeError(`a leaf above level ${level} covers 0x${va.toString(16)}`);
    this.layout.mkLeaf(level, pa / 2 ** this.layout.pageShift, { ...DEFAULT_PROT, ...prot }, this.e);
    this.mem.write64(epa, this.layout.endian, this.e);
    return epa;
  }

  /** The entry for va at `level` (a fresh object), or null if a table on the way is missing. */
  read(va: number, level: number): Entry | null {
    const epa = this.entryPa(va, level);
    if (epa < 0) return null;
    const out: Entry = { lo: 0, hi: 0 };
    this.mem.read64(epa, this.layout.endian, out);
    return out;
  }

  /** Read-modify-write of the entry for va at `level` (no TLB flush: that is the caller's business). */
  update(va: number, level: number, f: (e: Entry) => void): void {
    const epa = this.entryPa(va, level);
    if (epa < 0) throw new RangeError(`no entry for 0x${va.toString(16)} at level ${level}`);
    const e: Entry = { lo: 0, hi: 0 };
    this.mem.read64(epa, this.layout.endian, e);
    f(e);
    this.mem.write64(epa, this.layout.endian, e);
  }

  /** Writes the layout's empty entry for va at `level` (pte_clear, no flush). */
  clear(va: number, level: number): void {
    this.update(va, level, (e) => this.layout.mkNone(level, e));
  }
}

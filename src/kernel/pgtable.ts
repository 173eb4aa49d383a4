// The kernel's side of the page tables: pgd_offset / p4d_offset / pud_offset / pmd_offset /
// pte_offset_map and the p?d_alloc helpers (include/linux/pgtable.h, mm/memory.c
// __pte_alloc / __pmd_alloc ...). Entries are read and written through the arch layout, in
// the layout's byte order, in DRAM: the same words the hardware walker in src/mmu reads.

import type { Entry, Layout } from '../../arch/types.ts';
import type { FrameAllocator } from '../mem/frames.ts';
import type { PhysMem } from '../mem/phys.ts';

/** A uint32 with its bytes reversed (a big-endian word read on this little-endian host). */
function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Where a software walk stopped. Reused by callers; never allocated per walk. */
export interface Slot {
  /** Level index in layout.levels of the entry found (0 = root). */
  level: number;
  /** Physical address of that entry. */
  pa: number;
  /** Its value. */
  readonly entry: Entry;
}

export function newSlot(): Slot {
  return { level: 0, pa: 0, entry: { lo: 0, hi: 0 } };
}

export class PageTables {
  readonly last: number;
  private readonly scratch: Entry = { lo: 0, hi: 0 };
  /** Per level: the index's shift below bit 32 (-1 if at or above), above bit 32 (-1 if below), and PTRS_PER_xxx - 1. */
  private readonly loShift: Int32Array;
  private readonly hiShift: Int32Array;
  private readonly idxMask: Int32Array;
  /** Bytes one entry maps at each level (2^shift: PAGE_SIZE, PMD_SIZE, ...), precomputed for the walks. */
  readonly levelSize: Float64Array;
  /** Bytes of page-table memory allocated (for reports). */
  tableBytes = 0;
  private readonly dramBase: number;
  /** Entries are stored in the host's byte order (little-endian layouts on a little-endian host); otherwise the walk byte-swaps. */
  private readonly nativeOrder: boolean;

  constructor(
    readonly layout: Layout,
    readonly mem: PhysMem,
    private readonly frames: FrameAllocator,
  ) {
    this.last = layout.levels.length - 1;
    const n = layout.levels.length;
    this.loShift = new Int32Array(n);
    this.hiShift = new Int32Array(n);
    this.idxMask = new Int32Array(n);
    this.levelSize = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const { shift, bits } = layout.levels[i]!;
      if (bits < 1 || bits > 31 || shift < 1 || shift > 63) throw new RangeError(`level ${layout.levels[i]!.name}: index field ${shift}+${bits} out of range`);
      this.loShift[i] = shift < 32 ? shift : -1;
      this.hiShift[i] = shift >= 32 ? shift - 32 : -1;
      this.idxMask[i] = 2 ** bits - 1;
      this.levelSize[i] = 2 ** shift;
    }
    this.nativeOrder = (layout.endian === 'little') === (new Uint8Array(new Uint32Array([1]).buffer)[0] === 1);
    this.dramBase = mem.dram.base;
  }

  /** pgd_alloc: a zeroed root table. */
  allocRoot(): number {
    return this.allocTable(0);
  }

  /** A new table for `level`, every slot the layout's empty entry (pte_alloc_one, crst_table_alloc). */
  private allocTable(level: number): number {
    const bytes = this.layout.tableBytes[level]!;
    const pa = this.frames.alloc(bytes);
    this.tableBytes += bytes;
    this.layout.mkNone(level, this.scratch);
    if (this.scratch.lo !== 0 || this.scratch.hi !== 0) {
      for (let off = 0; off < bytes; off += 8) this.write(pa + off, this.scratch);
    }
    return pa;
  }

  /** The index of `va` at `level` (pgd_index, pud_index, ... pte_index). */
  index(level: number, va: number): number {
    return this.indexOf(level, va >>> 0, Math.floor(va / 4294967296));
  }

  /**
   * The index at `level` of the address whose uint32 halves are `hi`:`lo`: the same value as
   * floor(va / 2^shift) mod 2^bits, with integer shifts instead of float division and fmod
   * (va < 2^53, so hi < 2^21 and the field spans at most the two halves).
   */
  private indexOf(level: number, lo: number, hi: number): number {
    const ls = this.loShift[level]!;
    if (ls >= 0) return ((lo >>> ls) | (hi << (32 - ls))) & this.idxMask[level]!;
    return (hi >>> this.hiShift[level]!) & this.idxMask[level]!;
  }

  read(pa: number, out: Entry): void {
    this.mem.read64(pa, this.layout.endian, out);
  }

  write(pa: number, e: Entry): void {
    this.mem.write64(pa, this.layout.endian, e);
  }

  /**
   * Walks from `pgd` towards `target` for `va`. Stops early at an empty entry (or allocates
   * the missing table when `alloc`, as p?d_alloc does) and at a leaf above the target (a huge
   * mapping). `out` receives the level and address of the entry where the walk stopped.
   */
  walk(pgd: number, va: number, target: number, alloc: boolean, out: Slot): void {
    const layout = this.layout;
    // The halves of va (va < 2^53, so the quotient's floor is below 2^21 and >>> 0 is floor).
    const lo = va >>> 0;
    const hi = (va / 4294967296) >>> 0;
    const e = out.entry;
    const dramBase = this.dramBase;
    // DRAM's flat buffer (its low gigabyte as one array of host-order words, where the
    // FrameAllocator puts every table), loaded per walk and again after an allocation, which
    // may replace it. A big-endian layout's entry is the two words swapped and byte-reversed.
    const native = this.nativeOrder;
    let flat = this.mem.dram.flatU32;
    let flatLast8 = flat.length * 4 - 8;
    let table = pgd;
    for (let level = 0; ; level++) {
      // pgd_offset / p4d_offset / pud_offset / pmd_offset / pte_offset: the index at this level.
      const pa = table + this.indexOf(level, lo, hi) * 8;
      const d = pa - dramBase;
      if (d >= 0 && d <= flatLast8) {
        const w = d >>> 2; // d < FLAT_MAX_BYTES = 2^30
        if (native) {
          e.lo = flat[w]!;
          e.hi = flat[w + 1]!;
        } else {
          e.lo = bswap32(flat[w + 1]!);
          e.hi = bswap32(flat[w]!);
        }
      } else {
        this.read(pa, e);
      }
      let stop = level === target;
      if (!stop && layout.isNone(level, e)) {
        if (alloc) {
          // p?d_alloc: a new table below, linked in with p?d_populate.
          const next = this.allocTable(level + 1);
          layout.mkTable(level, next, this.scratch);
          this.write(pa, this.scratch);
          e.lo = this.scratch.lo;
          e.hi = this.scratch.hi;
          flat = this.mem.dram.flatU32;
          flatLast8 = flat.length * 4 - 8;
        } else {
          stop = true;
        }
      } else if (!stop) {
        stop = layout.isLeaf(level, e);
      }
      if (stop) {
        out.level = level;
        out.pa = pa;
        return;
      }
      table = layout.tableAddress(level, e);
    }
  }

  /**
   * free_pgd_range(tlb, addr, end, floor, ceiling) (mm/memory.c, 6.1), as unmap_region ->
   * free_pgtables calls it after munmap zapped [addr, end): floor is the previous VMA's end (or
   * FIRST_USER_ADDRESS, 0), ceiling the next VMA's start (or USER_PGTABLES_CEILING, 0 = the top).
   * Every PTE table under the range goes (free_pte_range); a table above it goes only when the
   * whole span its parent entry maps lies inside [floor, ceiling) (the tails of free_pmd_range,
   * free_pud_range, free_p4d_range). The root (mm->pgd) stays. `rootLevel`: the level of the
   * table the hardware starts at (s390's region-third ASCE: the levels above it are folded, and
   * never freed). Addresses are plain numbers below 2^57: aligned with division, never with `&`.
   */
  freeRange(pgd: number, addr: number, end: number, floor: number, ceiling: number, rootLevel = 0): void {
    if (this.last < 1) return;
    const ptSpan = this.levelSize[this.last - 1]!; // PMD_SIZE: what one PTE table maps
    addr = alignDown(addr, ptSpan);
    if (addr < floor) addr += ptSpan;
    if (ceiling !== 0) {
      ceiling = alignDown(ceiling, ptSpan);
      if (ceiling === 0) return;
    }
    if (ceiling !== 0 && end - 1 > ceiling - 1) end -= ptSpan;
    if (addr > end - 1) return;
    let table = pgd;
    for (let level = 0; level < rootLevel; level++) {
      const e = this.scratch;
      this.read(table + this.index(level, addr) * 8, e);
      if (this.layout.isNone(level, e) || this.layout.isLeaf(level, e)) return;
      table = this.layout.tableAddress(level, e);
    }
    this.freeEntries(rootLevel, table, addr, end, floor, ceiling);
  }

  /** The loop of free_p?d_range: each table entry of `level` in `table` covering [addr, end). */
  private freeEntries(level: number, table: number, addr: number, end: number, floor: number, ceiling: number): void {
    const size = this.levelSize[level]!;
    const e: Entry = { lo: 0, hi: 0 };
    while (addr < end) {
      const next = Math.min(alignDown(addr, size) + size, end);
      const pa = table + this.index(level, addr) * 8;
      this.read(pa, e);
      // p?d_none_or_clear_bad: skip empty entries (a huge leaf cannot remain after the zap).
      if (!this.layout.isNone(level, e) && !this.layout.isLeaf(level, e)) this.freeBelow(level, pa, e, addr, next, floor, ceiling);
      addr = next;
    }
  }

  /** The table under entry `e` (at `pa`, level `level`) for [addr, end), then that table itself when its whole span may go. */
  private freeBelow(level: number, pa: number, e: Entry, addr: number, end: number, floor: number, ceiling: number): void {
    const child = this.layout.tableAddress(level, e);
    if (level + 1 < this.last) {
      this.freeEntries(level + 1, child, addr, end, floor, ceiling);
      const span = this.levelSize[level]!;
      if (alignDown(addr, span) < floor) return;
      if (ceiling !== 0) {
        const c = alignDown(ceiling, span);
        if (c === 0 || end - 1 > c - 1) return;
      }
    }
    // pmd_clear / pud_clear / p4d_clear, then pte_free_tlb / pmd_free_tlb / pud_free_tlb.
    this.layout.mkNone(level, this.scratch);
    this.write(pa, this.scratch);
    const bytes = this.layout.tableBytes[level + 1]!;
    this.frames.release(child, bytes);
    this.tableBytes -= bytes;
  }

  /** The leaf mapping `va`, if any: out.level is its level; returns false if nothing maps it. */
  lookup(pgd: number, va: number, out: Slot): boolean {
    this.walk(pgd, va, this.last, false, out);
    const e = out.entry;
    return !this.layout.isNone(out.level, e) && this.layout.isLeaf(out.level, e) && this.layout.isPresent(out.level, e);
  }
}

/** x rounded down to a multiple of the power of two `size` (x & ~(size - 1) without 32-bit truncation). */
function alignDown(x: number, size: number): number {
  return Math.floor(x / size) * size;
}

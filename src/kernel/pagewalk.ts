// The kernel model's one software walk over a range of page tables, after mm/pagewalk.c
// (Linux 6.1): walk_page_range -> walk_pgd_range -> walk_p4d_range -> walk_pud_range ->
// walk_pmd_range -> walk_pte_range, calling the client's `struct mm_walk_ops` on the way down.
// Its clients: zap_page_range (writeback.ts), the kernel-format ptdump (src/report/
// kernel-ptdump.ts: mm/ptdump.c is itself a pagewalk client). The one-address descent
// (pgd_offset .. pte_offset_map, p?d_alloc) is PageTables.walk (pgtable.ts), which the range walk
// and page_vma_mapped_walk (mkclean.ts, which does not use pagewalk.c in the kernel either)
// build on; the hardware walk is src/mmu's generated code, checked against src/mmu/walk.ts.
//
// The kernel has one function per level (walk_p4d_range, walk_pud_range, ...) and one callback
// per level (pgd_entry, p4d_entry, pud_entry, pmd_entry); a layout here has 2 to 5 levels, so
// one recursive function walks any level and `pxdEntry` is the per-level callback, told the
// level in `w.level`. As in walk_pmd_range, a callback may set `w.action = ACTION_CONTINUE` so
// that the walk does not descend below the entry it was given. A huge leaf above the PTE level
// is never descended into (the kernel would split_huge_pmd for a pte_entry client; daxsim's
// clients handle huge leaves in pxdEntry instead, as zap_pmd_range does). What an entry is
// (none, table, leaf, present, its pfn) is decided by the layout's decoders (arch/<x>.ts:
// isNone, isLeaf, isPresent, leafPfn, tableAddress), the same for every walk of the kernel model.

import type { Entry } from '../../arch/types.ts';
import type { PageTables } from './pgtable.ts';

/** walk->action (include/linux/pagewalk.h enum page_walk_action). */
export const ACTION_SUBTREE = 0; // descend into the table below the entry
export const ACTION_CONTINUE = 1; // do not descend

/** struct mm_walk as the callbacks see it: where the walk is. One per client, reused. */
export interface MmWalk {
  /** Level index in layout.levels of the entry visited (0 = the layout's top level, pgd), whatever level the walk started at. */
  level: number;
  /** Physical address of that entry. */
  pa: number;
  /** Its value (a callback may change it; what it writes back to memory is its business). */
  readonly entry: Entry;
  /** Set by pxdEntry: ACTION_SUBTREE (default) or ACTION_CONTINUE. */
  action: number;
}

/** struct mm_walk_ops: each callback returns 0 to go on, anything else stops the walk and is returned by walkPageRange. */
export interface MmWalkOps<W extends MmWalk> {
  /** pgd_entry / p4d_entry / pud_entry / pmd_entry: a non-empty entry above the PTE level (a table or a huge leaf), [addr, next). */
  readonly pxdEntry?: (w: W, addr: number, next: number) => number;
  /** pte_entry: every PTE of a table in the range, empty ones too (walk_pte_range). */
  readonly pteEntry?: (w: W, addr: number, next: number) => number;
  /** pte_hole: an empty entry above the PTE level; `depth` is its level index in layout.levels (pagewalk.c's depth: 0 for a pgd entry). */
  readonly pteHole?: (w: W, addr: number, next: number, depth: number) => number;
}

/**
 * walk_page_range_novma(mm, start, end, ops, pgd, private) from `table`, a table at `level`
 * whose span contains [start, end): every entry overlapping the range, in address order.
 * Addresses are plain numbers below 2^53, aligned with division (never `&`).
 */
export function walkPageRange<W extends MmWalk>(pt: PageTables, table: number, level: number, start: number, end: number, ops: MmWalkOps<W>, w: W): number {
  if (start >= end) return 0;
  return walkLevel(pt, table, level, start, end, ops, w);
}

/** The loop of walk_p?d_range at `level`: p?d_offset, then per entry p?d_addr_end, hole, entry callback, and the level below. */
function walkLevel<W extends MmWalk>(pt: PageTables, table: number, level: number, addr: number, end: number, ops: MmWalkOps<W>, w: W): number {
  const layout = pt.layout;
  const last = pt.last;
  const size = pt.levelSize[level]!;
  const e = w.entry;
  let pa = table + pt.index(level, addr) * 8;
  for (; addr < end; pa += 8) {
    const next = Math.min((Math.floor(addr / size) + 1) * size, end); // p?d_addr_end
    pt.read(pa, e);
    w.level = level;
    w.pa = pa;
    let err = 0;
    if (level === last) {
      if (ops.pteEntry !== undefined) err = ops.pteEntry(w, addr, next);
    } else if (layout.isNone(level, e)) {
      if (ops.pteHole !== undefined) err = ops.pteHole(w, addr, next, level);
    } else {
      w.action = ACTION_SUBTREE;
      if (ops.pxdEntry !== undefined) err = ops.pxdEntry(w, addr, next);
      // The callback may have changed the entry (zap clears a huge leaf): decide on what it left.
      if (err === 0 && w.action === ACTION_SUBTREE && !layout.isNone(level, e) && !layout.isLeaf(level, e)) {
        err = walkLevel(pt, layout.tableAddress(level, e), level + 1, addr, next, ops, w);
      }
    }
    if (err !== 0) return err;
    addr = next;
  }
  return 0;
}

// The mkclean step of dax_writeback_one (fs/dax.c): write-protect and clean every user
// mapping of a DAX entry before its cache lines are flushed, so that the next store faults
// and re-dirties the entry. Five variants, selected per run:
//   buggy             dax_entry_mkclean (fs/dax.c, f729c8c9b24f .. v5.18): VMAs containing the
//                     entry's first index only; one address per VMA; the head pfn only.
//   pre-f729c8c9b24f  dax_mapping_entry_mkclean before Ross Zwisler's 2016 fix: as buggy but
//                     with no PMD branch (follow_pte fails on a huge PMD, the VMA is skipped).
//   range             v5.19+ (06083a0921fd): pfn_mkclean_range / page_vma_mkclean_one
//                     (mm/rmap.c) over every VMA overlapping the entry's index range, PTE and
//                     PMD mappings of any pfn in it.
//   page, page-head   Dan Williams' review proposal on Muchun Song's v4 patch ("make this
//                     patch use page_mkclean_one()"), never merged, so two readings:
//                     `page-head` takes it literally, page_mkclean_one on the entry's head
//                     page in place of pfn_mkclean_range(pfn, count, index, vma) in v4's loop
//                     over the VMAs overlapping the entry. fsdax pages were not compound pages
//                     then (folio_nr_pages == 1), so the walk matches the head pfn only and a
//                     PTE mapping head pfn + 1 is still missed. `page` calls it for every page
//                     of the entry (rmap_walk_file of each page), which does clean it.
//                     Under FS_DAX_LIMITED there are no struct pages to call it on, so both
//                     keep the page-less single-index path (dax_entry_mkclean).

import { clearBits, setBits } from '../../arch/bits.ts';
import type { Entry } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import type { MkcleanAction } from './events.ts';
import type { DaxFile } from './file.ts';
import type { Vma } from './mm.ts';
import { newSlot, type Slot } from './pgtable.ts';
import { spinLock, spinUnlock } from './locks.ts';
import { pmdLockOf } from './pmd-lock.ts';
import type { Strategy } from './strategies.ts';
import { AFTER, BEFORE, type Steps } from './task.ts';
import { flushPmdTlbRange, flushTlbPage } from './tlbflush.ts';


type MkcleanFn = (k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, count: number) => Steps;

/**
 * Each strategy's writeback step (strategies.ts describes them). Under FS_DAX_LIMITED there
 * are no struct pages for page_mkclean_one, so both readings of the proposal keep the
 * page-less single-index path (dax_entry_mkclean).
 */
const MKCLEAN: Readonly<Record<Strategy, MkcleanFn>> = {
  buggy: (k, file, e, index, pfn) => daxEntryMkclean(k, file, e, index, pfn, true),
  'pre-f729c8c9b24f': (k, file, e, index, pfn) => daxEntryMkclean(k, file, e, index, pfn, false),
  range: (k, file, e, index, pfn, count) => rangeMkclean(k, file, e, index, pfn, count),
  page: (k, file, e, index, pfn, count) => (k.layout.fsDaxLimited ? daxEntryMkclean(k, file, e, index, pfn, true) : pageMkclean(k, file, e, index, pfn, count)),
  'page-head': (k, file, e, index, pfn, count) => (k.layout.fsDaxLimited ? daxEntryMkclean(k, file, e, index, pfn, true) : pageHeadMkclean(k, file, e, index, pfn, count)),
};

/** The mkclean step of dax_writeback_one for entry `e` ([index, index + count), head pfn `pfn`): a task's path, which stops at mkclean_clear. */
export function mkcleanEntry(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, count: number): Steps {
  return MKCLEAN[k.config.strategy](k, file, e, index, pfn, count);
}

/**
 * The slot a walk of mkclean reads into: the kernel's scratch one, or under tasks one of its
 * own, since the walk stays live across its mkclean_clear point while other tasks run.
 */
function walkSlot(k: KernelContext): Slot {
  return k.tasks === null ? k.scratch.mkcleanSlot : newSlot();
}

/**
 * page_vma_mapped_walk's test for a huge PMD (mm/page_vma_mapped.c, 6.1):
 * `pmd_trans_huge(pmde) || (pmd_present(pmde) && pmd_devmap(pmde))`, the devmap half from
 * the v5.19 fix series. Without it a DAX PMD (devmap, so never trans_huge on x86 and radix)
 * would be walked as a page table.
 */
function pvmwHugePmd(k: KernelContext, lv: number, ent: Entry): boolean {
  const l = k.layout;
  // pmd_trans_huge is the arch's (layout.hooks.pmdTransHuge); without one, any PMD leaf.
  const transHuge = l.hooks.pmdTransHuge;
  if (transHuge === null) return l.isLeaf(lv, ent);
  return transHuge(ent) || (l.isPresent(lv, ent) && l.isDevmap(lv, ent));
}

function visit(k: KernelContext, file: DaxFile, e: DaxEntry, vma: Vma, va: number, level: number, action: MkcleanAction): void {
  k.events.mkcleanVisit?.(file, e, vma, va, k.layout.levels[level]!.name, action);
}

/** Report VMAs that map part of the entry but that the strategy's i_mmap query did not return. */
function reportMissed(k: KernelContext, file: DaxFile, e: DaxEntry, visited: readonly Vma[]): void {
  if (k.events.mkcleanMissed === undefined) return;
  const all = file.mapping.iMmap.query(e.index, e.index + 2 ** e.order - 1);
  for (const v of all) if (v.flags.shared && !visited.includes(v)) k.events.mkcleanMissed(file, e, v);
}

/** pgoff_address (fs/dax.c, v5.17). */
function pgoffAddress(k: KernelContext, index: number, vma: Vma): number {
  return vma.start + (index - vma.pgoff) * k.pageSize;
}

/**
 * flush_cache_page / flush_cache_range before a leaf is changed: include/asm-generic/
 * cacheflush.h's empty functions on every arch daxsim models (x86, powerpc, s390, arm64 and riscv
 * keep the generic ones; loongarch defines its own, empty), since no DAX kernel runs where data caches alias (fs/Kconfig: FS_DAX
 * depends on !(ARM || MIPS || SPARC), d92576f1167c "dax: does not work correctly with virtual
 * aliasing caches"). What range is flushed therefore changes nothing: the reason
 * pmd-flush-cache-range is a negative control.
 */
function flushCacheRange(_vma: Vma, _start: number, _end: number): void {
  // empty on every modelled arch (see above)
}

/**
 * What the slot of the leaf `old` (level `lv`) holds while mkclean changes it, into `out`.
 * A PTE: none (ptep_clear_flush in page_vma_mkclean_one, mm/rmap.c, and in v5.17's
 * dax_entry_mkclean). A PMD: pmdp_invalidate's value (the layout's pmdInvalidate): still
 * pmd_present and pmd_devmap to the kernel, so zap_pmd_range's unlocked test sends a racing
 * MADV_DONTNEED to zap_huge_pmd and the PMD lock; 024eee0e83f0 "mm: page_mkclean vs
 * MADV_DONTNEED race" (v5.1) made both mkcleans do so. bug mkclean-vs-dontneed brings back
 * its pmdp_huge_clear_flush: the PMD is none in between, and MADV_DONTNEED skips it.
 */
function transientLeaf(k: KernelContext, lv: number, old: Entry, out: Entry): void {
  const l = k.layout;
  if (lv !== k.pmdLevel || k.bug('mkclean-vs-dontneed')) {
    l.mkNone(lv, out);
    return;
  }
  const inv = l.hooks.pmdInvalidate;
  out.lo = old.lo;
  out.hi = old.hi;
  clearBits(out, inv.clear);
  setBits(out, inv.set);
  inv.after?.(lv, old, out);
}

/**
 * Write-protect and clean the leaf at `pa` (level `lv`) if it is dirty or writable, with the
 * TLB flush ptep_clear_flush / pmdp_invalidate does: cleanStart leaves the slot in its
 * transient state (transientLeaf) and flushes, cleanFinish sets the clean value made from the
 * old one (`entry`, unchanged in between). Returns false where there is nothing to clean.
 */
function cleanStart(k: KernelContext, vma: Vma, va: number, lv: number, pa: number, entry: Entry, cleared: Entry): boolean {
  const l = k.layout;
  if (!l.isDirty(lv, entry) && !l.isWrite(lv, entry)) return false;
  // The PMD branch flushes the whole huge page: e583b5c472bd "dax: fix cache flush on
  // PMD-mapped pages" (dax_entry_mkclean) and 7f9c9b607dc2 (page_vma_mkclean_one) replaced
  // flush_cache_page, which covers one page; bug pmd-flush-cache-range brings it back.
  const flushEnd = lv === k.pmdLevel && !k.bug('pmd-flush-cache-range') ? va + k.pmdSize : va + k.pageSize;
  flushCacheRange(vma, va, flushEnd);
  transientLeaf(k, lv, entry, cleared);
  k.writeEntry(pa, cleared);
  if (lv === k.pmdLevel) flushPmdTlbRange(k, vma.mm, va, k.bug('mkclean-vs-dontneed') ? 'pmdp_huge_clear_flush' : 'pmdp_invalidate');
  else flushTlbPage(k, vma.mm, va, 'ptep_clear_flush');
  return true;
}

function cleanFinish(k: KernelContext, lv: number, pa: number, entry: Entry): MkcleanAction {
  k.layout.wrprotect(lv, entry);
  k.layout.mkclean(lv, entry);
  k.writeEntry(pa, entry);
  k.counters.mkcleanCleaned++;
  return 'cleaned';
}

/** The leaf cleaned in one go: outside tasks nothing can run in between, nor wait for its lock. */
function cleanLeafNow(k: KernelContext, vma: Vma, va: number, lv: number, pa: number, entry: Entry): MkcleanAction {
  return cleanStart(k, vma, va, lv, pa, entry, k.scratch.cleared) ? cleanFinish(k, lv, pa, entry) : 'already-clean';
}

/**
 * The leaf cleaned as a task's step: the mkclean_clear point on either side of the transient
 * state and, over a huge PMD, the PMD lock page_vma_mapped_walk / follow_invalidate_pte hold
 * from reading it to page_vma_mapped_walk_done (pmd_lock; pmd-lock.ts), the leaf read again
 * under it. `entry` must be the walk's own (walkSlot), as it is live across the points.
 */
function* cleanLeaf(k: KernelContext, vma: Vma, va: number, lv: number, pa: number, entry: Entry): Steps<MkcleanAction> {
  const l = k.layout;
  const lock = lv === k.pmdLevel ? pmdLockOf(k, pa) : null;
  if (lock !== null) {
    yield* spinLock(k.tasks, lock);
    k.pt.read(pa, entry); // (not counted: the same reference as the walk's, counted there)
  }
  try {
    if (lock !== null && (l.isNone(lv, entry) || !l.isPresent(lv, entry))) return 'not-mapped';
    if (!l.isDirty(lv, entry) && !l.isWrite(lv, entry)) return 'already-clean';
    yield BEFORE.mkclean_clear;
    cleanStart(k, vma, va, lv, pa, entry, { lo: 0, hi: 0 });
    yield AFTER.mkclean_clear;
    return cleanFinish(k, lv, pa, entry);
  } finally {
    if (lock !== null) spinUnlock(k.tasks, lock);
  }
}

/**
 * follow_invalidate_pte at one address, then the PMD or PTE branch of dax_entry_mkclean:
 * null where the leaf maps exactly the head pfn and is to be cleaned (`slot` holds where the
 * walk stopped), else why not. The PMD branch exists only with CONFIG_FS_DAX_PMD, and not
 * before f729c8c9b24f, where follow_pte fails on a huge PMD and the VMA is skipped.
 */
function followLeaf(k: KernelContext, vma: Vma, address: number, pfn: number, pmdBranch: boolean, slot: Slot): MkcleanAction | null {
  const l = k.layout;
  k.pt.walk(vma.mm.pgd, address, k.pt.last, false, slot);
  k.counters.ptRefs += slot.level + 1;
  const lv = slot.level;
  const ent = slot.entry;
  const mapped = lv === k.pmdLevel ? pmdBranch && k.config.fsDaxPmd && !l.isNone(lv, ent) : lv === k.pt.last && !l.isNone(lv, ent) && l.isPresent(lv, ent);
  if (!mapped) return 'not-mapped';
  if (l.leafPfn(lv, ent) !== pfn) return 'pfn-mismatch';
  return null;
}

/** dax_entry_mkclean(mapping, index, pfn) with follow_invalidate_pte (fs/dax.c, v5.17). */
function* daxEntryMkclean(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, pmdBranch: boolean): Steps {
  const slot = walkSlot(k);
  const vmas = file.mapping.iMmap.query(index, index); // only VMAs containing index itself
  for (const vma of vmas) {
    k.counters.mkcleanVmas++;
    const address = pgoffAddress(k, index, vma);
    if (!vma.flags.shared) {
      visit(k, file, e, vma, address, k.pt.last, 'skipped-private');
      continue;
    }
    const found = followLeaf(k, vma, address, pfn, pmdBranch, slot);
    const action = found ?? (k.tasks === null ? cleanLeafNow(k, vma, address, slot.level, slot.pa, slot.entry) : yield* cleanLeaf(k, vma, address, slot.level, slot.pa, slot.entry));
    visit(k, file, e, vma, address, slot.level, action);
  }
  reportMissed(k, file, e, vmas);
}

/** vma_pgoff_address (mm/internal.h, from 6a8e0596f004); -1 for -EFAULT. */
function vmaPgoffAddress(k: KernelContext, pgoff: number, nrPages: number, vma: Vma): number {
  if (pgoff >= vma.pgoff) {
    const a = vma.start + (pgoff - vma.pgoff) * k.pageSize;
    return a >= vma.end ? -1 : a;
  }
  if (pgoff + nrPages - 1 >= vma.pgoff) return vma.start;
  return -1;
}

/** vma_address_end (mm/internal.h) for a pfn-based walk. */
function vmaAddressEnd(k: KernelContext, address: number, pgoff: number, nrPages: number, vma: Vma): number {
  if (nrPages === 1) return address + k.pageSize;
  const end = vma.start + (pgoff + nrPages - vma.pgoff) * k.pageSize;
  return end > vma.end ? vma.end : end;
}

/** The fixed writeback step: for every VMA overlapping [index, index + count - 1], pfn_mkclean_range. */
function* rangeMkclean(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, count: number): Steps {
  // vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff_start, pgoff_end) (mm/rmap.c
  // rmap_walk_file), into the kernel's reused array (null while a query's result is in use: a
  // listener that re-entered writeback gets a fresh one).
  const vmas = k.scratch.vmaPool ?? [];
  k.scratch.vmaPool = null;
  const n = file.mapping.iMmap.queryInto(index, index + count - 1, vmas);
  const w = newPvmw(k);
  for (let i = 0; i < n; i++) if (pfnMkcleanRange(k, file, e, vmas[i]!, pfn, count, index, w)) yield* mkcleanVma(k, file, e, vmas[i]!, w);
  if (k.events.mkcleanMissed !== undefined) reportMissed(k, file, e, vmas.slice(0, n));
  k.scratch.vmaPool = vmas;
}

/** pfn_mkclean_range (mm/rmap.c): aims `w` at the VMA for page_vma_mkclean_one's pfn-based walk, or false where there is none. */
function pfnMkcleanRange(k: KernelContext, file: DaxFile, e: DaxEntry, vma: Vma, pfn: number, nrPages: number, pgoff: number, w: Pvmw): boolean {
  k.counters.mkcleanVmas++;
  if (!vma.flags.shared) {
    visit(k, file, e, vma, vma.start, k.pt.last, 'skipped-private'); // invalid_mkclean_vma
    return false;
  }
  const address = vmaPgoffAddress(k, pgoff, nrPages, vma);
  if (address < 0) return false;
  pvmwStart(w, vma, address, vmaAddressEnd(k, address, pgoff, nrPages, vma), pfn, nrPages, false);
  return true;
}

/**
 * check_pmd / check_pte of page_vma_mapped_walk for a leaf at level `lv` mapping `entryPfn`.
 * pfn-based (`byPage` false, pfn_mkclean_range): check_pmd, [pmd_pfn, +HPAGE_PMD_NR) overlaps
 * [pfn, +nr); check_pte, entryPfn in [pfn, +nr). Page-based (`byPage`, page_mkclean_one of
 * the one page `pfn`): the leaf's pfn is that page's (a PMD maps it as its head).
 */
function matches(k: KernelContext, lv: number, entryPfn: number, pfn: number, nrPages: number, byPage: boolean): boolean {
  if (byPage) return entryPfn === pfn;
  if (lv === k.pmdLevel) return entryPfn < pfn + nrPages && pfn < entryPfn + k.pmdSize / k.pageSize;
  return entryPfn - pfn >= 0 && entryPfn - pfn < nrPages;
}

/**
 * struct page_vma_mapped_walk (include/linux/rmap.h) for one VMA: what to look for (`pfn`,
 * `nrPages`: pfn-based as pfn_mkclean_range's PVMW_PFN_WALK, or `byPage` for one struct page),
 * where (`address` up to `end`), and, after each pvmwNext that returned true, the leaf found:
 * its level (the PMD level for a huge PMD: pvmw->pmd set, pvmw->pte NULL), physical address
 * and value in `slot`, and whether check_pmd / check_pte matched (`hit`; unlike the kernel,
 * which skips them, daxsim also stops at present leaves that do not match, to report them as
 * visits). One per mkclean call, re-aimed at each VMA by pvmwStart.
 */
interface Pvmw {
  pfn: number;
  nrPages: number;
  byPage: boolean;
  pgd: number;
  address: number;
  end: number;
  /** The walk's descent and the leaf found (k.scratch.mkcleanSlot). */
  readonly slot: Slot;
  hit: boolean;
  /** Inside a page table (pvmw->pte set): the end of its span or `end`, where next_pte stops; 0 when not (restart from the pgd). */
  ptStop: number;
  /** A PMD leaf was returned: the next call ends the walk (`if (pvmw->pmd && !pvmw->pte) return not_found(pvmw)`). */
  done: boolean;
  /** bug arm64-pmd-leaf: the PTEs being stepped through are a huge PMD's data block (pmdWalkedAsTable). */
  dataAsTable: boolean;
  /** The CPU whose loads read that block (the mm's: the caches are coherent, so any CPU reads the same words). */
  cpu: number;
}

/**
 * bug arm64-pmd-leaf (23bc8f69f0ec "arm64: mm: fix p?d_leaf()" reverted): the walk of the
 * linux-next kernels that had Muchun Song's v5 "mm: pvmw: add support for walking devmap
 * pages" (next-20220331; its PMD test was `pmd_leaf(pmde) || is_pmd_migration_entry(pmde)`,
 * the merged series went back to pmd_trans_huge || pmd_devmap, as 6.1 has) on an arm64 whose
 * pmd_leaf was still pmd_sect. A PROT_NONE huge PMD (PTE_VALID clear) is pmd_present but not
 * pmd_sect, so the walk took it for a page table and map_pte read the 2 MiB block it maps as
 * PTEs (Qian Cai's report: the oops in page_vma_mapped_walk taking that "table"'s PTE lock,
 * with lock debugging; without it the lock word is the data page's struct page ->private, zero
 * for fsdax, and the walk goes on over the data).
 */
function pmdWalkedAsTable(k: KernelContext, ent: Entry): boolean {
  const preFix = k.layout.hooks.pmdLeafPreFix;
  return preFix !== null && k.bug('arm64-pmd-leaf') && k.layout.isPresent(k.pmdLevel, ent) && !preFix(ent);
}

/** The 8 bytes at `pa` of a data block read as a PTE: a kernel load, through the CPU cache. */
function readDataWord(k: KernelContext, cpu: number, pa: number, out: Entry): void {
  const b = k.scratch.dataWord;
  k.machine.cache.load(cpu, pa, 8, b, 0);
  k.counters.ptRefs++;
  const lo = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  // the layout's byte order (entries are CPU-order halves; arm64 is little-endian)
  if (k.layout.endian === 'little') {
    out.lo = lo;
    out.hi = hi;
  } else {
    out.lo = swap32(hi);
    out.hi = swap32(lo);
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function newPvmw(k: KernelContext): Pvmw {
  return { pfn: 0, nrPages: 0, byPage: false, pgd: 0, address: 0, end: 0, slot: walkSlot(k), hit: false, ptStop: 0, done: false, dataAsTable: false, cpu: 0 };
}

/** Aims `w` at [address, end) of `vma` (the pvmw initialiser of page_vma_mkclean_one / page_mkclean_one). */
function pvmwStart(w: Pvmw, vma: Vma, address: number, end: number, pfn: number, nrPages: number, byPage: boolean): void {
  w.pgd = vma.mm.pgd;
  w.address = address;
  w.end = end;
  w.pfn = pfn;
  w.nrPages = nrPages;
  w.byPage = byPage;
  w.ptStop = 0;
  w.done = false;
  w.dataAsTable = false;
  w.cpu = vma.mm.cpu;
}

/**
 * page_vma_mapped_walk(pvmw) (mm/page_vma_mapped.c): the next present leaf of the range, true
 * with w.slot and w.hit set, false at the end. From the pgd it skips a missing upper level to
 * its next boundary (step_forward); a PMD leaf (trans-huge, or devmap with 6472f6d2f7d9) is
 * returned once, matched with check_pmd or not, and ends the walk of this VMA; in a page table
 * it steps pvmw->pte++ to the table's end or `end`, and crossing into the next table restarts
 * from the pgd. Counts each descent's references and each further PTE read.
 */
function pvmwNext(k: KernelContext, w: Pvmw): boolean {
  if (w.done) return false;
  const slot = w.slot;
  const ent = slot.entry;
  const l = k.layout;
  const pt = k.pt;
  const last = pt.last;
  const pageSize = k.pageSize;
  const end = w.end;
  // The walk's position in locals, stored back into `w` when a leaf is returned.
  let address = w.address;
  let pa = slot.pa;
  let ptStop = w.ptStop;
  // Whether the entry at `pa` is already in `ent` (the descent just read it).
  let loaded = false;
  // bug arm64-pmd-leaf: the "page table" is the data block of a PROT_NONE huge PMD.
  let dataAsTable = w.dataAsTable;
  if (ptStop !== 0) {
    // next_pte: the PTE after the one returned last.
    address += pageSize;
    pa += 8;
  }
  for (;;) {
    if (ptStop !== 0) {
      for (; address < ptStop; address += pageSize, pa += 8) {
        if (dataAsTable) readDataWord(k, w.cpu, pa, ent);
        else if (!loaded) k.readEntry(pa, ent);
        loaded = false;
        if (l.isNone(last, ent) || !l.isPresent(last, ent)) continue;
        w.hit = matches(k, last, l.leafPfn(last, ent), w.pfn, w.nrPages, w.byPage);
        w.address = address;
        w.ptStop = ptStop;
        w.dataAsTable = dataAsTable;
        slot.pa = pa;
        slot.level = last;
        return true;
      }
      ptStop = 0;
      dataAsTable = false;
    }
    if (address >= end) {
      w.address = address;
      w.ptStop = 0;
      return false;
    }
    pt.walk(w.pgd, address, last, false, slot);
    k.counters.ptRefs += slot.level + 1;
    const lv = slot.level;
    if (lv === k.pmdLevel && pmdWalkedAsTable(k, ent)) {
      // map_pte on a huge PMD: pte_offset_map reads the block it maps as a page table.
      ptStop = Math.min(end, (Math.floor(address / pt.levelSize[lv]!) + 1) * pt.levelSize[lv]!);
      pa = l.tableAddress(lv, ent) + pt.index(last, address) * 8;
      dataAsTable = true;
      continue;
    }
    if (lv < last && (l.isNone(lv, ent) || !l.isLeaf(lv, ent) || (lv === k.pmdLevel && !pvmwHugePmd(k, lv, ent)))) {
      // a missing level: step_forward to the next boundary of that level
      const size = pt.levelSize[lv]!;
      address = (Math.floor(address / size) + 1) * size;
      continue;
    }
    if (lv === k.pmdLevel) {
      w.hit = l.isPresent(lv, ent) && matches(k, lv, l.leafPfn(lv, ent), w.pfn, w.nrPages, w.byPage);
      w.address = address;
      w.ptStop = 0;
      w.done = true;
      return true;
    }
    // map_pte: this page table, up to its end or `end`.
    const tableSize = pt.levelSize[last - 1]!;
    ptStop = Math.min(end, (Math.floor(address / tableSize) + 1) * tableSize);
    pa = slot.pa;
    loaded = true;
  }
}

/**
 * page_vma_mkclean_one / page_mkclean_one's loop: every leaf the walk returns, cleaned when it
 * matched; as a task's steps only under tasks (no generator per VMA or leaf outside them).
 */
function mkcleanVma(k: KernelContext, file: DaxFile, e: DaxEntry, vma: Vma, w: Pvmw): Steps {
  if (k.tasks !== null) return mkcleanVmaSteps(k, file, e, vma, w);
  const slot = w.slot;
  while (pvmwNext(k, w)) visit(k, file, e, vma, w.address, slot.level, w.hit ? cleanLeafNow(k, vma, w.address, slot.level, slot.pa, slot.entry) : 'pfn-mismatch');
  return NO_STEPS;
}

function* mkcleanVmaSteps(k: KernelContext, file: DaxFile, e: DaxEntry, vma: Vma, w: Pvmw): Steps {
  const slot = w.slot;
  while (pvmwNext(k, w)) {
    const action = w.hit ? yield* cleanLeaf(k, vma, w.address, slot.level, slot.pa, slot.entry) : 'pfn-mismatch';
    visit(k, file, e, vma, w.address, slot.level, action);
  }
}

/** A path already at its end: what a step done at once returns to `yield*`. */
const NO_STEPS: Steps = (function* (): Steps {})();
NO_STEPS.next();

/**
 * Dan Williams' alternative: page_mkclean on each struct page of the entry. rmap_walk_file
 * queries i_mmap at the page's own index (a DAX page is not compound); page_mkclean_one
 * walks that one address with a page-based page_vma_mapped_walk: a PMD is a hit when it maps
 * this page as its head (pmd_page == page), a PTE when its pfn is this page's pfn.
 */
function* pageMkclean(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, count: number): Steps {
  // The VMAs reached, for reportMissed only: not collected when nobody listens.
  const visited = k.events.mkcleanMissed !== undefined ? new Set<Vma>() : null;
  const w = newPvmw(k);
  // Each page's i_mmap query goes into the kernel's reused array (as in rangeMkclean).
  const vmas = k.scratch.vmaPool ?? [];
  k.scratch.vmaPool = null;
  for (let i = 0; i < count; i++) {
    const pageIndex = index + i;
    const pagePfn = pfn + i;
    const n = file.mapping.iMmap.queryInto(pageIndex, pageIndex, vmas);
    for (let j = 0; j < n; j++) {
      const vma = vmas[j]!;
      visited?.add(vma);
      k.counters.mkcleanVmas++;
      if (!vma.flags.shared) continue; // invalid_mkclean_vma
      const address = pgoffAddress(k, pageIndex, vma);
      pvmwStart(w, vma, address, address + k.pageSize, pagePfn, 1, true);
      yield* mkcleanVma(k, file, e, vma, w);
    }
  }
  k.scratch.vmaPool = vmas;
  if (visited !== null) reportMissed(k, file, e, [...visited]);
}

/**
 * The literal reading of Dan Williams' proposal: Muchun Song's v4 loop
 * (vma_interval_tree_foreach over [index, index + count - 1]) calling page_mkclean_one on
 * the entry's head page instead of pfn_mkclean_range. page_mkclean_one computes the head
 * page's address in each VMA (vma_address: -EFAULT where the VMA does not map the head
 * index, as for a VMA starting inside the entry) and walks one page (a non-compound page:
 * nr_pages 1), so only leaves mapping the head pfn are cleaned.
 */
function* pageHeadMkclean(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, count: number): Steps {
  const vmas = file.mapping.iMmap.query(index, index + count - 1);
  const w = newPvmw(k);
  for (const vma of vmas) {
    k.counters.mkcleanVmas++;
    if (!vma.flags.shared) {
      visit(k, file, e, vma, vma.start, k.pt.last, 'skipped-private'); // invalid_mkclean_vma
      continue;
    }
    const address = vmaPgoffAddress(k, index, 1, vma);
    if (address < 0) continue;
    pvmwStart(w, vma, address, address + k.pageSize, pfn, 1, true);
    yield* mkcleanVma(k, file, e, vma, w);
  }
  reportMissed(k, file, e, vmas);
}

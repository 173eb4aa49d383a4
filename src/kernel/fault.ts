// Page faults on DAX mappings, as Linux 6.1 handles them:
//   handle_mm_fault / __handle_mm_fault / handle_pte_fault / do_fault / do_wp_page (mm/memory.c),
//   wp_huge_pmd, huge_pmd_set_accessed (mm/huge_memory.c),
//   dax_iomap_pte_fault, dax_iomap_pmd_fault, grab_mapping_entry, dax_insert_entry,
//   dax_finish_sync_fault, dax_insert_pfn_mkwrite (fs/dax.c), with
//   ext4_dax_huge_fault (fs/ext4/file.c) calling dax_finish_sync_fault on VM_FAULT_NEEDDSYNC.
// The entries themselves are set in insert-pfn.ts (insert_pfn, get_locked_pte, insert_pfn_pmd).
// Each function below models the kernel function it is named after. Rules that differ
// between the kernel versions daxsim runs (5.17, 5.19, 6.1) come from k.config.rules
// (versions.ts, each with the commit that changed it).

import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import { daxUnlockEntry, daxWakeEntry, getUnlockedEntry, putUnlockedEntry } from './entry-lock.ts';
import type { FaultKind } from './events.ts';
import { UserFault } from './errors.ts';
import { blockPa } from './file.ts';
import { flushFaulting, getLockedPte, insertPfn, insertPfnPmd, leafProt, pfnIsDevmap } from './insert-pfn.ts';
import { ext4DaxFault, iomapBegin, isSynchronous, pmdExtent } from './iomap.ts';
import { isBadPmem } from './memory-failure.ts';
import { anonMappers, linearPageIndex, putAnonPage, reuseAnonPage, type DaxFile, type Vma } from './mm.ts';
import type { HwFault } from './ports.ts';
import { AFTER, BEFORE, type Steps } from './task.ts';
import { flushPmdTlbRange, flushTlbPage } from './tlbflush.ts';
import { unmapMappingPages, vfsFsyncRangeSteps } from './writeback.ts';

type DaxResult = 'nopage' | 'fallback';

/**
 * handle_mm_fault, after the arch's fault entry (arch-fault.ts) found `vma` and checked
 * access_error; `write` is FAULT_FLAG_WRITE, `hw` the hardware's report (for listeners; null
 * from get_user_pages' faultin_page, gup.ts).
 */
export function* handleMmFault(k: KernelContext, vma: Vma, va: number, write: boolean, hw: HwFault | null): Steps {
  const how = yield* handleFault(k, vma, va, write);
  k.countFault(vma.mm, how.kind);
  k.events.fault?.(vma.mm, va, how.kind, how.how, hw);
}

interface Handled {
  kind: FaultKind;
  how: string;
}

/** __handle_mm_fault: try the PMD level first (DAX VMAs are always THP-eligible), then PTEs. */
function* handleFault(k: KernelContext, vma: Vma, va: number, write: boolean): Steps<Handled> {
  const slot = k.scratch.faultSlot;
  const l = k.layout;
  const pmdLevel = k.pmdLevel;
  k.pt.walk(vma.mm.pgd, va, pmdLevel, true, slot);
  k.counters.ptRefs += slot.level + 1;
  if (slot.level !== pmdLevel) {
    // A leaf above the PMD level: DAX never installs PUDs, so this cannot happen here.
    throw new UserFault('SIGBUS', `unexpected ${l.levels[slot.level]!.name} leaf at 0x${va.toString(16)}`);
  }
  const pmdPa = slot.pa;
  // The point between pmd_alloc and `pmd_none(*vmf.pmd)`: another task may change the PMD
  // here, and this fault then acts on what it read (the entry is read again after the pause).
  yield BEFORE.pmd_none_check;
  k.pt.read(pmdPa, slot.entry);
  const none = l.isNone(pmdLevel, slot.entry);
  const leaf = !none && l.isLeaf(pmdLevel, slot.entry);
  const wp = leaf && write && !l.isWrite(pmdLevel, slot.entry);
  yield AFTER.pmd_none_check;
  if (none) {
    // create_huge_pmd -> ->huge_fault(PE_SIZE_PMD) -> dax_iomap_pmd_fault
    const r = yield* ext4DaxFault(k, vma, daxIomapPmdFault(k, vma, va, write, pmdPa));
    if (r !== 'fallback') return { kind: write ? 'write' : 'read', how: `pmd ${r}` };
  } else if (leaf) {
    if (wp) {
      // wp_huge_pmd -> ->huge_fault(PE_SIZE_PMD): the DAX PMD fault upgrades the PMD in place.
      const r = yield* ext4DaxFault(k, vma, daxIomapPmdFault(k, vma, va, write, pmdPa));
      if (r !== 'fallback') return { kind: 'wp', how: 'pmd wp' };
      // __split_huge_pmd of a file (DAX) PMD just zaps it; the access refaults with PTEs.
      // Still a write-protect fault as far as the process is concerned.
      zapPmd(k, vma, va, pmdPa);
      return { kind: 'wp', how: `pmd wp fallback, ${(yield* handlePteFault(k, vma, va, write, pmdPa)).how}` };
    } else {
      hugePmdSetAccessed(k, vma, va, write, pmdPa);
      return { kind: write ? 'write' : 'read', how: 'pmd access flags' };
    }
  }
  return yield* handlePteFault(k, vma, va, write, pmdPa);
}

/** huge_pmd_set_accessed -> touch_pmd: young, and dirty on a write (mm/huge_memory.c). */
function hugePmdSetAccessed(k: KernelContext, vma: Vma, va: number, write: boolean, pmdPa: number): void {
  const scratch = k.scratch.faultEntry;
  const l = k.layout;
  k.readEntry(pmdPa, scratch);
  l.mkyoung(k.pmdLevel, scratch);
  if (write) l.mkdirty(k.pmdLevel, scratch);
  k.writeEntry(pmdPa, scratch);
  // haddr = address & HPAGE_PMD_MASK, in arithmetic: addresses exceed 2^31 (no 32-bit `&`).
  flushFaulting(k, vma, Math.floor(va / k.pmdSize) * k.pmdSize, k.pmdSize);
}

function zapPmd(k: KernelContext, vma: Vma, va: number, pmdPa: number): void {
  const scratch = k.scratch.faultEntry;
  k.layout.mkNone(k.pmdLevel, scratch);
  k.writeEntry(pmdPa, scratch);
  const haddr = Math.floor(va / k.pmdSize) * k.pmdSize;
  flushPmdTlbRange(k, vma.mm, haddr, '__split_huge_pmd');
}

/** handle_pte_fault (mm/memory.c); `pmdPa` is the PMD slot above the PTE table. */
function* handlePteFault(k: KernelContext, vma: Vma, va: number, write: boolean, pmdPa: number): Steps<Handled> {
  const slot = k.scratch.faultSlot;
  const l = k.layout;
  const last = k.pt.last;
  // No allocation here: over a none PMD handle_pte_fault sets vmf->pte = NULL and goes to
  // do_fault; the PTE table appears only where an entry is set (getLockedPte).
  k.pt.walk(vma.mm.pgd, va, last, false, slot);
  k.counters.ptRefs += 1;
  const noTable = slot.level !== last && l.isNone(slot.level, slot.entry);
  // pmd_devmap_trans_unstable: a PMD leaf another task installed after this fault's
  // pmd_none_check; return 0 and let the access fault again (only after a point, in a race).
  if (slot.level !== last && !noTable) return { kind: write ? 'write' : 'read', how: 'pmd changed under the fault: retry' };
  const ptePa = slot.pa;
  const e = slot.entry;
  if (noTable || l.isNone(last, e)) {
    // do_fault: do_read_fault / do_cow_fault / do_shared_fault, each ending in ->fault.
    if (!write) return { kind: 'read', how: yield* ext4DaxFault(k, vma, daxIomapPteFault(k, vma, va, false, pmdPa)) };
    if (!vma.flags.shared) return { kind: 'write', how: yield* ext4DaxFault(k, vma, doCowFault(k, vma, va, pmdPa)) };
    return { kind: 'write', how: yield* ext4DaxFault(k, vma, daxIomapPteFault(k, vma, va, true, pmdPa)) };
  }
  if (write && !l.isWrite(last, e)) return { kind: 'wp', how: yield* doWpPage(k, vma, va, ptePa, pmdPa) };
  // A present, permitted entry: the hardware wanted young/dirty the kernel keeps in
  // software (s390), or a stale TLB. pte_mkyoung, pte_mkdirty on a write,
  // ptep_set_access_flags, flush_tlb_fix_spurious_fault.
  l.mkyoung(last, e);
  if (write) l.mkdirty(last, e);
  k.writeEntry(ptePa, e);
  flushFaulting(k, vma, va, k.pageSize);
  return { kind: write ? 'write' : 'read', how: 'access flags' };
}

/**
 * do_wp_page: vm_normal_page() is NULL for DAX PTEs (devmap/special in a VM_MIXEDMAP VMA),
 * so a VM_SHARED|VM_WRITE VMA goes to wp_pfn_shared -> ->pfn_mkwrite (the DAX fault, which
 * re-dirties the entry and upgrades the PTE in place); a private VMA copies (wp_page_copy).
 */
function* doWpPage(k: KernelContext, vma: Vma, va: number, ptePa: number, pmdPa: number): Steps<string> {
  if (vma.flags.shared) return 'wp ' + (yield* ext4DaxFault(k, vma, daxIomapPteFault(k, vma, va, true, pmdPa)));
  // An anonymous copy mapped by this VMA alone (exclusive, or its other mappers gone since
  // fork: page_count 1) is reused in place, page_move_anon_rmap + wp_page_reuse; one fork
  // shares (fork.ts) is copied again.
  const orig = k.scratch.faultEntry;
  k.pt.read(ptePa, orig); // vmf->orig_pte, which handle_pte_fault's walk read
  const l = k.layout;
  const pa = l.leafPfn(k.pt.last, orig) * k.pageSize;
  if (vma.cowPages.get(linearPageIndex(vma, va, k.pageShift)) === pa && anonMappers(k, pa) === 1) {
    reuseAnonPage(k, pa);
    l.mkyoung(k.pt.last, orig);
    l.mkdirty(k.pt.last, orig);
    if (vma.flags.write) l.mkwrite(k.pt.last, orig); // maybe_mkwrite
    k.writeEntry(ptePa, orig);
    flushFaulting(k, vma, va, k.pageSize);
    return 'wp reuse';
  }
  return 'wp ' + wpPageCopy(k, vma, va, ptePa);
}

/**
 * do_cow_fault: ->fault with vmf->cow_page; DAX copies the file page (dax_fault_cow_page).
 * dax_iomap_pte_fault grabs the entry (order 0), dax_fault_iter returns from
 * dax_fault_cow_page without inserting or dirtying anything, and the fault ends, as every
 * DAX fault does, with dax_unlock_entry. dax_fault_cow_page maps the copy with finish_fault,
 * which installs the PTE table over a none PMD (pmd_install of __do_fault's prealloc_pte)
 * and gives up with VM_FAULT_NOPAGE over a PMD leaf (pmd_devmap_trans_unstable).
 */
function* doCowFault(k: KernelContext, vma: Vma, va: number, pmdPa: number): Steps<string> {
  const index = checkIndex(k, vma, va);
  const e = (yield* grabMappingEntry(k, vma, index, 0))!;
  try {
    if (pmdRacedIn(k, pmdPa)) return 'cow: a PMD raced in (VM_FAULT_NOPAGE)';
    yield BEFORE.iomap_begin;
    const pa = blockPa(vma.file, index, k.pageSize);
    yield AFTER.iomap_begin;
    // dax_fault_cow_page: a hole or unwritten extent gives a cleared page (clear_user_highpage)
    yield BEFORE.insert_pfn;
    const ptePa = getLockedPte(k, vma, va); // finish_fault
    if (ptePa < 0) return 'cow: a PMD raced in (finish_fault: VM_FAULT_NOPAGE)';
    copyToAnon(k, vma, va, index, ptePa, pa);
    yield AFTER.insert_pfn;
  } finally {
    daxUnlockEntry(k, vma.file, index, e);
  }
  return 'cow';
}

/**
 * "we have raced with a PMD fault that overlaps with the PTE we need to set up"
 * (dax_iomap_pte_fault, after grab_mapping_entry: pmd_trans_huge || pmd_devmap ->
 * VM_FAULT_NOPAGE). Only a task paused after its pmd_none_check can find a PMD leaf here.
 * bug pmd-pte-collision: Ross Zwisler's 2017 "dax: Fix race between colliding PMD & PTE
 * entries" added this test (its follow-up gave it this form, in place of a split_huge_pmd);
 * before it the PTE fault went on under the PMD.
 */
function pmdRacedIn(k: KernelContext, pmdPa: number): boolean {
  if (k.bug('pmd-pte-collision')) return false;
  const above = k.scratch.faultEntry;
  k.pt.read(pmdPa, above);
  return !k.layout.isNone(k.pmdLevel, above) && k.layout.isLeaf(k.pmdLevel, above);
}

/** wp_page_copy for a private mapping of a read-faulted DAX page. */
function wpPageCopy(k: KernelContext, vma: Vma, va: number, ptePa: number): string {
  const scratch = k.scratch.faultEntry;
  const index = linearPageIndex(vma, va, k.pageShift);
  const l = k.layout;
  k.readEntry(ptePa, scratch);
  const srcPa = l.leafPfn(k.pt.last, scratch) * k.pageSize;
  copyToAnon(k, vma, va, index, ptePa, srcPa);
  flushTlbPage(k, vma.mm, va, 'ptep_clear_flush_notify');
  return 'cow';
}

/** Copies one page (through the CPU cache where it is pmem) into a new DRAM page mapped writable. */
function copyToAnon(k: KernelContext, vma: Vma, va: number, index: number, ptePa: number, srcPa: number): void {
  const scratch = k.scratch.faultEntry;
  const ps = k.pageSize;
  const m = k.machine;
  const page = m.dramFrames.alloc(ps);
  const buf = new Uint8Array(ps);
  if (srcPa < 0) buf.fill(0); // a hole: nothing to copy
  else if (m.mem.pmem.contains(srcPa, ps)) m.cache.load(vma.mm.cpu, srcPa, ps, buf);
  else m.mem.readBytes(srcPa, ps, buf);
  m.mem.writeBytes(page, buf);
  const old = vma.cowPages.get(index);
  if (old !== undefined) putAnonPage(k, old);
  vma.cowPages.set(index, page);
  vma.anonVma = true; // anon_vma_prepare
  // An anonymous page has a struct page: neither special nor devmap (do_set_pte / wp_page_copy).
  k.layout.mkLeaf(k.pt.last, page / ps, { ...leafProt(k, vma, true, false), special: false }, scratch);
  k.writeEntry(ptePa, scratch);
}

/** SIGBUS past EOF (dax_iomap_pte_fault: pos >= i_size). */
function checkIndex(k: KernelContext, vma: Vma, va: number): number {
  const index = linearPageIndex(vma, va, k.pageShift);
  if (index * k.pageSize >= vma.file.size) {
    throw new UserFault('SIGBUS', `access at 0x${va.toString(16)} is past the end of file ${vma.file.name}`);
  }
  return index;
}

/**
 * grab_mapping_entry (fs/dax.c): lock the entry covering `index`, creating a locked empty
 * one if there is none. A PMD-order request fails (VM_FAULT_FALLBACK) over page entries; a
 * page-order request inside a zero/empty PMD entry downgrades it, inside a real PMD entry
 * keeps it.
 */
function* grabMappingEntry(k: KernelContext, vma: Vma, index: number, order: number): Steps<DaxEntry | null> {
  yield BEFORE.grab_mapping_entry;
  const e = yield* grabEntry(k, vma.file, index, order);
  yield AFTER.grab_mapping_entry;
  return e;
}

function* grabEntry(k: KernelContext, file: DaxFile, index: number, order: number): Steps<DaxEntry | null> {
  const entries = file.mapping.entries;
  const n = 2 ** order;
  const head = index - (index % n);
  const found = yield* getUnlockedEntry(k, file, head, order);
  if (found === 'conflict') return null; // dax_is_conflict: VM_FAULT_FALLBACK
  let e = found;
  if (order > 0 && e !== undefined && e.order < order) {
    // bug missed-wakeup-pmd: the code before 23c84eb78375 got here after its wait, found the
    // page entry unlocked and fell back (`if (dax_is_pte_entry(entry)) { put_unlocked_entry;
    // goto fallback; }`, grab_mapping_entry since b15cd800682f).
    putUnlockedEntry(k, file, head, e, 'next');
    return null;
  }
  if (order === 0 && e !== undefined && e.order > 0 && e.kind !== 'real') {
    // pmd_downgrade: the entry locked while unmap_mapping_pages(mapping, index &
    // ~PG_PMD_COLOUR, PG_PMD_NR, false) takes the huge zero page out of every VMA, then
    // deleted, and every waiter woken (WAKE_ALL) to look again.
    e.locked = true;
    if (e.kind === 'zero') unmapMappingPages(k, file, e.index, 2 ** e.order, false);
    entries.delete(e);
    daxWakeEntry(k, file, head, e, 'all');
    e = undefined;
  }
  if (e === undefined) {
    e = { index: head, order, pfn: 0, kind: 'empty', locked: true, dirty: false, towrite: false };
    entries.insert(e);
  }
  e.locked = true;
  return e;
}

/**
 * dax_insert_entry: a real entry replaces empty/zero ones, an existing real entry (a PMD
 * entry under a PTE fault) stays. It marks the entry PAGECACHE_TAG_DIRTY when `dirty`:
 * 5.17/5.19 `write && !sync` (from dax_fault_iter), 6.1 `!dax_fault_is_synchronous(...)`,
 * reads included (versions.ts). __mark_inode_dirty(I_DIRTY_PAGES) goes with it; that is not
 * datasync metadata, so it never makes a MAP_SYNC fault synchronous.
 */
function daxInsertEntry(k: KernelContext, file: DaxFile, e: DaxEntry, index: number, pfn: number, write: boolean, sync: boolean, zeroPage = false): void {
  // "we are replacing a zero page with block mapping": unmap_mapping_pages of the PMD range
  // or of the one index, even_cows false (fs/dax.c dax_insert_entry).
  if (!zeroPage && e.kind === 'zero') {
    if (e.order > 0) unmapMappingPages(k, file, e.index, 2 ** e.order, false);
    else unmapMappingPages(k, file, index, 1, false);
  }
  if (e.kind !== 'real') {
    e.kind = zeroPage ? 'zero' : 'real';
    e.pfn = pfn;
  }
  const dirty = k.config.rules.dirtyOnReadFault ? !sync : write && !sync;
  if (dirty) e.dirty = true;
}

/** dax_iomap_pte_fault + dax_fault_iter for a page-size fault. Returns how it was handled. */
function* daxIomapPteFault(k: KernelContext, vma: Vma, va: number, write: boolean, pmdPa: number): Steps<string> {
  const index = checkIndex(k, vma, va);
  const file = vma.file;
  // bug fault-races-write: from 9f141d6ef625 "dax: Call ->iomap_begin without entry lock
  // during dax fault" until "dax: fix data corruption when fault races with write" (Jan
  // Kara, 2017) dax_iomap_fault called ->iomap_begin before grab_mapping_entry, so a read fault could see a hole, then lose the race to write(2)
  // allocating the block and invalidating (nothing yet), and map the zero page over the
  // written data. The fix locks the entry first: the write's invalidation then waits for the
  // fault and unmaps what it mapped.
  const early = k.bug('fault-races-write') || k.bug('simultaneous-write-faults'); // both predate this order
  let pa = early ? yield* iomapBegin(k, vma, va, index, write, undefined) : -1;
  const e = (yield* grabMappingEntry(k, vma, index, 0))!;
  let pfn = 0;
  let sync = false;
  try {
    if (pmdRacedIn(k, pmdPa)) return 'pte: a PMD raced in (VM_FAULT_NOPAGE)';
    if (!early) pa = yield* iomapBegin(k, vma, va, index, write, e);
    if (pa < 0) return yield* daxLoadHole(k, vma, va, index, e);
    pfn = pa / k.pageSize;
    sync = isSynchronous(k, vma, write);
    daxInsertEntry(k, file, e, index, e.order > 0 ? e.pfn : pfn, write, sync);
    // dax_fault_is_synchronous: VM_FAULT_NEEDDSYNC, nothing mapped yet.
    if (!sync) {
      yield BEFORE.insert_pfn;
      insertPfn(k, vma, va, pfn, write);
      yield AFTER.insert_pfn;
    }
  } finally {
    daxUnlockEntry(k, file, index, e); // at the end of dax_iomap_pte_fault
  }
  if (!sync) return write ? 'pte write' : 'pte read';
  return yield* daxFinishSyncFault(k, vma, va, index, 0, pfn, pmdPa);
}

/**
 * dax_load_hole (fs/dax.c): a read of a hole maps the shared zero page (my_zero_pfn) read-only
 * with vmf_insert_mixed, and the entry becomes a DAX_ZERO_PAGE entry, marked DIRTY as any
 * entry dax_insert_entry makes (6.1: `!dax_fault_is_synchronous`, so yes; 5.17/5.19: a read
 * never dirties it). The zero page is a normal page without PFN_DEV: special, not devmap.
 */
function* daxLoadHole(k: KernelContext, vma: Vma, va: number, index: number, e: DaxEntry): Steps<string> {
  const pfn = k.zeroPfn();
  daxInsertEntry(k, vma.file, e, index, pfn, false, false, true);
  yield BEFORE.insert_pfn;
  const ptePa = getLockedPte(k, vma, va); // vmf_insert_mixed -> insert_pfn
  if (ptePa < 0) return 'pte hole (a PMD raced in)';
  const scratch = k.scratch.faultEntry;
  k.readEntry(ptePa, scratch);
  if (!k.layout.isNone(k.pt.last, scratch)) return 'pte hole (already mapped)';
  k.layout.mkLeaf(k.pt.last, pfn, { ...leafProt(k, vma, false, false), special: true }, scratch);
  k.writeEntry(ptePa, scratch);
  yield AFTER.insert_pfn;
  return 'pte hole (zero page)';
}

/**
 * dax_pmd_load_hole (fs/dax.c): the huge zero page (mm_get_huge_zero_page) mapped read-only
 * by a PMD, pmd_mkhuge(mk_pmd(zero_page, vm_page_prot)): neither devmap nor special; a PMD
 * that is no longer none falls back.
 */
function* daxPmdLoadHole(k: KernelContext, vma: Vma, pmdAddr: number, index: number, e: DaxEntry, pmdPa: number): Steps<DaxResult> {
  const scratch = k.scratch.faultEntry;
  const lv = k.pmdLevel;
  const pfn = k.hugeZeroPagePfn();
  daxInsertEntry(k, vma.file, e, index, pfn, false, false, true);
  yield BEFORE.insert_pfn;
  k.readEntry(pmdPa, scratch);
  if (!k.layout.isNone(lv, scratch)) return 'fallback';
  k.layout.mkLeaf(lv, pfn, { ...leafProt(k, vma, false, false), special: false }, scratch);
  k.writeEntry(pmdPa, scratch);
  yield AFTER.insert_pfn;
  return 'nopage';
}

/**
 * dax_finish_sync_fault (fs/dax.c), called by ext4_dax_huge_fault on VM_FAULT_NEEDDSYNC:
 * vfs_fsync_range(file, pgoff << PAGE_SHIFT, + (PAGE_SIZE << order) - 1, datasync 1), from
 * the faulting page's own index even for a PMD (vmf->pgoff is linear_page_index of the
 * address), then dax_insert_pfn_mkwrite. That fsync writes back and commits, but it is the
 * kernel's, not a promise to the user.
 *
 * dax_insert_pfn_mkwrite looks the entry up again with XA_STATE_ORDER(pgoff, order): for an
 * order-0 fault whose entry is a PMD entry (`order == 0 && !dax_is_pte_entry(entry)`, a PTE
 * fault inside a 2 MiB entry another process mapped with a PMD) it returns VM_FAULT_NOPAGE
 * without marking or mapping anything, so the access faults again; by then the fsync has
 * committed the metadata and the second fault is an ordinary write fault. Otherwise it marks
 * the entry DIRTY and maps the pfn writable (vmf_insert_mixed_mkwrite / vmf_insert_pfn_pmd).
 */
function* daxFinishSyncFault(k: KernelContext, vma: Vma, va: number, index: number, order: number, pfn: number, pmdPa: number): Steps<string> {
  const pgoff = linearPageIndex(vma, va, k.pageShift);
  const start = pgoff * k.pageSize;
  const file = vma.file;
  yield* vfsFsyncRangeSteps(k, vma.mm.cpu, file, start, Math.min(start + k.pageSize * 2 ** order, file.size), false);
  // dax_insert_pfn_mkwrite: get_unlocked_entry(&xas, order), waiting for the lock.
  const found = yield* getUnlockedEntry(k, file, index, order);
  if (found === undefined || found === 'conflict' || (order === 0 && found.order > 0)) {
    putUnlockedEntry(k, file, index, found, 'next');
    return order === 0 ? 'pte sync, PMD entry: retry (VM_FAULT_NOPAGE)' : 'pmd sync: retry';
  }
  const e = found;
  e.dirty = true;
  e.locked = true;
  try {
    yield BEFORE.insert_pfn;
    if (order === 0) insertPfn(k, vma, va, pfn, true);
    else insertPfnPmd(k, vma, Math.floor(va / k.pmdSize) * k.pmdSize, pfn, true, pmdPa);
    yield AFTER.insert_pfn;
  } finally {
    daxUnlockEntry(k, file, index, e);
  }
  return order === 0 ? 'pte sync' : 'pmd sync';
}

/** dax_iomap_pmd_fault (fs/dax.c) with dax_fault_check_fallback; `pmdPa` is the PMD slot. */
function* daxIomapPmdFault(k: KernelContext, vma: Vma, va: number, write: boolean, pmdPa: number): Steps<DaxResult> {
  if (!k.config.fsDaxPmd) return 'fallback'; // CONFIG_FS_DAX_PMD=n: the stub
  const ps = k.pageSize;
  const pmdAddr = Math.floor(va / k.pmdSize) * k.pmdSize;
  // PG_PMD_NR pages per entry; PG_PMD_COLOUR = PG_PMD_NR - 1 as a modulus: pfns, page indexes
  // and va >> PAGE_SHIFT exceed 2^31, so no 32-bit `&` / `|` on them.
  const nr = 2 ** k.pmdOrder;
  const pgoff = linearPageIndex(vma, va, k.pageShift);
  // dax_fault_check_fallback: colour mismatch ((vmf->pgoff & PG_PMD_COLOUR) !=
  // ((vmf->address >> PAGE_SHIFT) & PG_PMD_COLOUR)), private write, PMD outside the VMA.
  if (pgoff % nr !== Math.floor(va / ps) % nr) return 'fallback';
  if (write && !vma.flags.shared) return 'fallback';
  if (pmdAddr < vma.start || pmdAddr + k.pmdSize > vma.end) return 'fallback';
  const maxPgoff = Math.ceil(vma.file.size / ps);
  const index = pgoff - (pgoff % nr); // xas.xa_index, aligned by XA_STATE_ORDER
  if (index >= maxPgoff) throw new UserFault('SIGBUS', `access at 0x${va.toString(16)} is past the end of file ${vma.file.name}`);
  if (index + nr - 1 >= maxPgoff) return 'fallback'; // (xas.xa_index | PG_PMD_COLOUR) >= max_pgoff
  const e = yield* grabMappingEntry(k, vma, index, k.pmdOrder);
  if (e === null) return 'fallback';
  let pfn = 0;
  let sync = false;
  try {
    // "we have raced with a PTE fault that overlaps with the PMD we need to set up": a page
    // table where this fault saw none; return 0 and retry (dax_iomap_pmd_fault). Only a task
    // paused after its pmd_none_check can find one. bug pmd-pte-collision: the test came
    // with Ross Zwisler's 2017 fix; before it the PMD fault went on over the PTE table.
    const now = k.scratch.faultEntry;
    k.pt.read(pmdPa, now);
    if (!k.bug('pmd-pte-collision') && !k.layout.isNone(k.pmdLevel, now) && !k.layout.isLeaf(k.pmdLevel, now)) return 'nopage';
    yield BEFORE.iomap_begin;
    let ext = pmdExtent(k, vma.file, index, nr);
    if (ext === 'mixed') return 'fallback';
    const hole = ext === 'hole';
    if (hole && write) {
      // dax_iomap_pfn: "For larger pages we need devmap" (length > 1 && !pfn_t_devmap).
      if (!pfnIsDevmap(k) && !k.config.pmdWhatIf) return 'fallback';
      // ext4_iomap_alloc of the whole PMD (alloc.ts: one aligned extent, or fall back)
      const pa = k.allocBlocks(vma.mm.cpu, vma.file, index, nr, k.pmdSize);
      if (pa < 0) return 'fallback';
      ext = pa;
    }
    yield AFTER.iomap_begin;
    // dax_fault_iter: dax_iomap_direct_access -EIO (a bad block in the extent) -> VM_FAULT_FALLBACK for a PMD
    if (typeof ext === 'number' && isBadPmem(k, ext, nr)) return 'fallback';
    if (hole && !write) return yield* daxPmdLoadHole(k, vma, pmdAddr, index, e, pmdPa);
    // dax_iomap_pfn: "For larger pages we need devmap" (length > 1 && !pfn_t_devmap).
    if (!pfnIsDevmap(k) && !k.config.pmdWhatIf) return 'fallback';
    pfn = (ext as number) / ps;
    sync = isSynchronous(k, vma, write);
    daxInsertEntry(k, vma.file, e, index, pfn, write, sync);
    if (!sync) {
      yield BEFORE.insert_pfn;
      insertPfnPmd(k, vma, pmdAddr, pfn, write, pmdPa, va);
      yield AFTER.insert_pfn;
    }
  } finally {
    if (e.kind === 'empty' && e.order > 0) vma.file.mapping.entries.delete(e); // fallback leaves no empty PMD entry behind
    daxUnlockEntry(k, vma.file, index, e);
  }
  if (sync) yield* daxFinishSyncFault(k, vma, va, index, k.pmdOrder, pfn, pmdPa);
  return 'nopage';
}

/** insert_pfn_pmd (mm/huge_memory.c); `faultVa` is the faulting address `haddr` is aligned from. */
// Page faults on DAX mappings, as Linux 6.1 handles them:
//   handle_mm_fault / __handle_mm_fault / handle_pte_fault / do_fault / do_wp_page (mm/memory.c),
//   wp_huge_pmd, huge_pmd_set_accessed, insert_pfn_pmd (mm/huge_memory.c),
//   dax_iomap_pte_fault, dax_iomap_pmd_fault, grab_mapping_entry, dax_insert_entry,
//   dax_finish_sync_fault, dax_insert_pfn_mkwrite (fs/dax.c), insert_pfn (mm/memory.c), with
//   ext4_dax_huge_fault (fs/ext4/file.c) calling dax_finish_sync_fault on VM_FAULT_NEEDDSYNC.
// Each function below models the kernel function it is named after. Rules that differ
// between the kernel versions daxsim runs (5.17, 5.19, 6.1) come from k.config.rules
// (versions.ts, each with the commit that changed it).

import type { LeafProt } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import type { FaultKind } from './events.ts';
import { UserFault } from './errors.ts';
import { blockPa } from './file.ts';
import { linearPageIndex, type DaxFile, type Vma } from './mm.ts';
import type { HwFault } from './ports.ts';
import { flushPmdTlbRange, flushTlbPage } from './tlbflush.ts';
import { unmapMappingPages, vfsFsyncRange } from './writeback.ts';

type DaxResult = 'nopage' | 'fallback';

/**
 * handle_mm_fault, after the arch's fault entry (arch-fault.ts) found `vma` and checked
 * access_error; `write` is FAULT_FLAG_WRITE, `hw` the hardware's report (for listeners; null
 * from get_user_pages' faultin_page, gup.ts).
 */
export function handleMmFault(k: KernelContext, vma: Vma, va: number, write: boolean, hw: HwFault | null): void {
  const how = handleFault(k, vma, va, write);
  k.countFault(vma.mm, how.kind);
  k.events.fault?.(vma.mm, va, how.kind, how.how, hw);
}

interface Handled {
  kind: FaultKind;
  how: string;
}

/** __handle_mm_fault: try the PMD level first (DAX VMAs are always THP-eligible), then PTEs. */
function handleFault(k: KernelContext, vma: Vma, va: number, write: boolean): Handled {
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
  if (l.isNone(pmdLevel, slot.entry)) {
    // create_huge_pmd -> ->huge_fault(PE_SIZE_PMD) -> dax_iomap_pmd_fault
    const r = daxIomapPmdFault(k, vma, va, write, pmdPa);
    if (r !== 'fallback') return { kind: write ? 'write' : 'read', how: `pmd ${r}` };
  } else if (l.isLeaf(pmdLevel, slot.entry)) {
    if (write && !l.isWrite(pmdLevel, slot.entry)) {
      // wp_huge_pmd -> ->huge_fault(PE_SIZE_PMD): the DAX PMD fault upgrades the PMD in place.
      const r = daxIomapPmdFault(k, vma, va, write, pmdPa);
      if (r !== 'fallback') return { kind: 'wp', how: 'pmd wp' };
      // __split_huge_pmd of a file (DAX) PMD just zaps it; the access refaults with PTEs.
      // Still a write-protect fault as far as the process is concerned.
      zapPmd(k, vma, va, pmdPa);
      return { kind: 'wp', how: `pmd wp fallback, ${handlePteFault(k, vma, va, write).how}` };
    } else {
      hugePmdSetAccessed(k, vma, va, write, pmdPa);
      return { kind: write ? 'write' : 'read', how: 'pmd access flags' };
    }
  }
  return handlePteFault(k, vma, va, write);
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

/** handle_pte_fault (mm/memory.c). */
function handlePteFault(k: KernelContext, vma: Vma, va: number, write: boolean): Handled {
  const slot = k.scratch.faultSlot;
  const l = k.layout;
  const last = k.pt.last;
  k.pt.walk(vma.mm.pgd, va, last, true, slot);
  k.counters.ptRefs += 1;
  const ptePa = slot.pa;
  const e = slot.entry;
  if (l.isNone(last, e)) {
    // do_fault: do_read_fault / do_cow_fault / do_shared_fault, each ending in ->fault.
    if (!write) return { kind: 'read', how: daxIomapPteFault(k, vma, va, false, ptePa) };
    if (!vma.flags.shared) return { kind: 'write', how: doCowFault(k, vma, va, ptePa) };
    return { kind: 'write', how: daxIomapPteFault(k, vma, va, true, ptePa) };
  }
  if (write && !l.isWrite(last, e)) return { kind: 'wp', how: doWpPage(k, vma, va, ptePa) };
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
function doWpPage(k: KernelContext, vma: Vma, va: number, ptePa: number): string {
  if (vma.flags.shared) return 'wp ' + daxIomapPteFault(k, vma, va, true, ptePa);
  return 'wp ' + wpPageCopy(k, vma, va, ptePa);
}

/**
 * do_cow_fault: ->fault with vmf->cow_page; DAX copies the file page (dax_fault_cow_page).
 * dax_iomap_pte_fault grabs the entry (order 0), dax_fault_iter returns from
 * dax_fault_cow_page without inserting or dirtying anything, and the fault ends, as every
 * DAX fault does, with dax_unlock_entry.
 */
function doCowFault(k: KernelContext, vma: Vma, va: number, ptePa: number): string {
  const index = checkIndex(k, vma, va);
  const e = grabMappingEntry(k, vma, index, 0)!;
  try {
    // dax_fault_cow_page: a hole or unwritten extent gives a cleared page (clear_user_highpage)
    copyToAnon(k, vma, va, index, ptePa, blockPa(vma.file, index, k.pageSize));
  } finally {
    e.locked = false; // dax_unlock_entry
  }
  return 'cow';
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
  if (old !== undefined) m.dramFrames.release(old, ps);
  vma.cowPages.set(index, page);
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

/** The pgprot a DAX mapping's entry gets (vm_page_prot with write-notify, then mkwrite/mkdirty). */
function leafProt(k: KernelContext, vma: Vma, mkwrite: boolean, devmapPfn: boolean): LeafProt {
  // protection_map includes the accessed bit where the hardware keeps one (x86 PAGE_SHARED,
  // radix _PAGE_BASE); s390's PAGE_RO/PAGE_RW do not (they carry _PAGE_INVALID instead).
  const hwYoung = hasBits(k.layout.hw.accessed[k.pt.last]!) || k.layout.hooks.newLeafYoung;
  return {
    write: mkwrite && vma.flags.write,
    user: true,
    exec: false,
    dirty: mkwrite,
    young: mkwrite || hwYoung,
    devmap: devmapPfn,
    special: !devmapPfn,
  };
}

function hasBits(m: { lo: number; hi: number }): boolean {
  return m.lo !== 0 || m.hi !== 0;
}

/**
 * pfn_t_devmap(pfn) for the pfns the pmem driver hands out (include/linux/pfn_t.h): a
 * property of the pfn_t, not of any page-table entry, since the fault asks it before an
 * entry exists. drivers/nvdimm/pmem.c sets PFN_DEV|PFN_MAP when the device has struct pages
 * (devm_memremap_pages, ZONE_DEVICE), and pfn_t_devmap is constant false without
 * CONFIG_ARCH_HAS_PTE_DEVMAP; so it holds exactly where the layout has a devmap bit. Walks
 * over existing entries read the entry's own bit instead (pmd_devmap, mkclean.ts).
 */
function pfnIsDevmap(k: KernelContext): boolean {
  return k.layout.devmap !== null;
}

/**
 * grab_mapping_entry (fs/dax.c): lock the entry covering `index`, creating a locked empty
 * one if there is none. A PMD-order request fails (VM_FAULT_FALLBACK) over page entries; a
 * page-order request inside a zero/empty PMD entry downgrades it, inside a real PMD entry
 * keeps it.
 */
function grabMappingEntry(k: KernelContext, vma: Vma, index: number, order: number): DaxEntry | null {
  const entries = vma.file.mapping.entries;
  const n = 2 ** order;
  const head = index - (index % n);
  let e = entries.find(head);
  if (order > 0) {
    if (e === undefined && entries.hasPageEntryInPmd(head)) return null;
    if (e !== undefined && e.order < order) return null;
  } else if (e !== undefined && e.order > 0 && e.kind !== 'real') {
    // pmd_downgrade: unmap_mapping_pages(mapping, index & ~PG_PMD_COLOUR, PG_PMD_NR, false)
    // takes the huge zero page out of every VMA before the PMD entry is deleted.
    if (e.kind === 'zero') unmapMappingPages(k, vma.file, e.index, 2 ** e.order, false);
    entries.delete(e);
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

/**
 * dax_fault_is_synchronous: an IOMAP_WRITE fault on a VM_SYNC VMA while the filesystem
 * reports IOMAP_F_DIRTY, i.e. the inode has uncommitted datasync metadata (Kernel.metadataDirty).
 */
function isSynchronous(k: KernelContext, vma: Vma, write: boolean): boolean {
  // bug map-sync-metadata: the kernel before the v4.15 MAP_SYNC series (for ext4 b8a6176c214c
  // "ext4: Support for synchronous DAX faults": ext4_iomap_begin reports IOMAP_F_DIRTY, the
  // fault handler calls dax_finish_sync_fault). Before it MAP_SYNC was an unknown flag a
  // MAP_SHARED mmap ignored, and no fault was synchronous: a block a write fault allocated is
  // mapped writable before its allocation is committed.
  if (k.bug('map-sync-metadata')) return false;
  return write && vma.flags.sync && k.metadataDirty.has(vma.file);
}

/** dax_iomap_pte_fault + dax_fault_iter for a page-size fault. Returns how it was handled. */
function daxIomapPteFault(k: KernelContext, vma: Vma, va: number, write: boolean, ptePa: number): string {
  const index = checkIndex(k, vma, va);
  const e = grabMappingEntry(k, vma, index, 0)!;
  let pa = blockPa(vma.file, index, k.pageSize);
  if (pa < 0 && !write) {
    try {
      return daxLoadHole(k, vma, va, index, e, ptePa);
    } finally {
      e.locked = false;
    }
  }
  if (pa < 0) {
    // ext4_iomap_begin(IOMAP_WRITE) -> ext4_iomap_alloc: the hole gets a block (IOMAP_F_NEW)
    pa = k.allocBlocks(vma.mm.cpu, vma.file, index, 1, k.pageSize);
    if (pa < 0) {
      e.locked = false;
      if (e.kind === 'empty') vma.file.mapping.entries.delete(e);
      throw new UserFault('SIGBUS', `no space left on the pmem device for a block at 0x${va.toString(16)} (ENOSPC)`);
    }
  }
  const pfn = pa / k.pageSize;
  let sync = false;
  try {
    sync = isSynchronous(k, vma, write);
    daxInsertEntry(k, vma.file, e, index, e.order > 0 ? e.pfn : pfn, write, sync);
    // dax_fault_is_synchronous: VM_FAULT_NEEDDSYNC, nothing mapped yet.
    if (!sync) insertPfn(k, vma, va, pfn, write, ptePa);
  } finally {
    e.locked = false; // dax_unlock_entry at the end of dax_iomap_pte_fault
  }
  if (!sync) return write ? 'pte write' : 'pte read';
  return daxFinishSyncFault(k, vma, va, index, 0, pfn, ptePa);
}

/**
 * dax_load_hole (fs/dax.c): a read of a hole maps the shared zero page (my_zero_pfn) read-only
 * with vmf_insert_mixed, and the entry becomes a DAX_ZERO_PAGE entry, marked DIRTY as any
 * entry dax_insert_entry makes (6.1: `!dax_fault_is_synchronous`, so yes; 5.17/5.19: a read
 * never dirties it). The zero page is a normal page without PFN_DEV: special, not devmap.
 */
function daxLoadHole(k: KernelContext, vma: Vma, va: number, index: number, e: DaxEntry, ptePa: number): string {
  const pfn = k.zeroPfn();
  daxInsertEntry(k, vma.file, e, index, pfn, false, false, true);
  const scratch = k.scratch.faultEntry;
  k.readEntry(ptePa, scratch);
  if (!k.layout.isNone(k.pt.last, scratch)) return 'pte hole (already mapped)';
  k.layout.mkLeaf(k.pt.last, pfn, { ...leafProt(k, vma, false, false), special: true }, scratch);
  k.writeEntry(ptePa, scratch);
  return 'pte hole (zero page)';
}

/**
 * dax_pmd_load_hole (fs/dax.c): the huge zero page (mm_get_huge_zero_page) mapped read-only
 * by a PMD, pmd_mkhuge(mk_pmd(zero_page, vm_page_prot)): neither devmap nor special; a PMD
 * that is no longer none falls back.
 */
function daxPmdLoadHole(k: KernelContext, vma: Vma, pmdAddr: number, index: number, e: DaxEntry, pmdPa: number): DaxResult {
  const scratch = k.scratch.faultEntry;
  const lv = k.pmdLevel;
  const pfn = k.hugeZeroPagePfn();
  daxInsertEntry(k, vma.file, e, index, pfn, false, false, true);
  k.readEntry(pmdPa, scratch);
  if (!k.layout.isNone(lv, scratch)) return 'fallback';
  k.layout.mkLeaf(lv, pfn, { ...leafProt(k, vma, false, false), special: false }, scratch);
  k.writeEntry(pmdPa, scratch);
  return 'nopage';
}

/**
 * What ext4_iomap_begin reports for the PMD at `index` of a sparse file: the extent's
 * physical address when all its blocks are allocated, contiguous and PMD-aligned (what
 * dax_iomap_direct_access needs for a PMD pfn), 'hole' when none is, and 'mixed' otherwise
 * (iomap_length < PMD_SIZE, or a misaligned pfn: VM_FAULT_FALLBACK).
 */
function pmdExtent(k: KernelContext, file: DaxFile, index: number, nr: number): number | 'hole' | 'mixed' {
  if (file.blocks === undefined) return file.phys + index * k.pageSize;
  const head = file.blocks.pa.get(index);
  let holes = 0;
  for (let i = 0; i < nr; i++) {
    const pa = file.blocks.pa.get(index + i);
    if (pa === undefined) holes++;
    else if (head === undefined || pa !== head + i * k.pageSize) return 'mixed';
  }
  if (holes === nr) return 'hole';
  if (holes > 0 || head! % k.pmdSize !== 0) return 'mixed';
  return head!;
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
function daxFinishSyncFault(k: KernelContext, vma: Vma, va: number, index: number, order: number, pfn: number, slotPa: number): string {
  const pgoff = linearPageIndex(vma, va, k.pageShift);
  const start = pgoff * k.pageSize;
  vfsFsyncRange(k, vma.mm.cpu, vma.file, start, Math.min(start + k.pageSize * 2 ** order, vma.file.size), false);
  const e = vma.file.mapping.entries.find(index);
  if (e === undefined || (order === 0 && e.order > 0)) return order === 0 ? 'pte sync, PMD entry: retry (VM_FAULT_NOPAGE)' : 'pmd sync: retry';
  e.dirty = true;
  e.locked = true;
  try {
    if (order === 0) insertPfn(k, vma, va, pfn, true, slotPa);
    else insertPfnPmd(k, vma, Math.floor(va / k.pmdSize) * k.pmdSize, pfn, true, slotPa);
  } finally {
    e.locked = false;
  }
  return order === 0 ? 'pte sync' : 'pmd sync';
}

/**
 * insert_pfn (mm/memory.c) for vmf_insert_mixed (read) and vmf_insert_mixed_mkwrite
 * (write): a new entry is devmap or special, writable/dirty/young only for mkwrite; an
 * existing entry with the same pfn is made young, dirty and writable in place.
 */
function insertPfn(k: KernelContext, vma: Vma, va: number, pfn: number, mkwrite: boolean, ptePa: number): void {
  const scratch = k.scratch.faultEntry;
  const l = k.layout;
  const last = k.pt.last;
  k.readEntry(ptePa, scratch);
  if (!l.isNone(last, scratch)) {
    if (!mkwrite) return;
    if (l.leafPfn(last, scratch) !== pfn) {
      // a different pfn is mapped: only the zero page may be (insert_pfn, mm/memory.c)
      if (!k.isZeroPfn(l.leafPfn(last, scratch))) k.warnOnce('insert_pfn (mm/memory.c)', 'WARN_ON_ONCE(!is_zero_pfn(pte_pfn(*pte)))');
      return;
    }
    // bug insert-pfn-set-pte-at: before cae85cb8add3 "mm/memory.c: fix modifying of page
    // protection by insert_pfn()" the upgrade fell through to set_pte_at over the present
    // entry, which powerpc's set_pte_at forbids (arch/powerpc/mm/pgtable.c:
    // VM_WARN_ON(pte_hw_valid(*ptep) && !pte_protnone(*ptep))); the fix uses
    // ptep_set_access_flags. The value written is the same.
    if (k.bug('insert-pfn-set-pte-at') && l.hooks.setPteAtChecksValid) {
      k.vmWarnOn('set_pte_at (arch/powerpc/mm/pgtable.c)', 'VM_WARN_ON(pte_hw_valid(*ptep) && !pte_protnone(*ptep)) from insert_pfn');
    }
    l.mkyoung(last, scratch);
    l.mkdirty(last, scratch);
    if (vma.flags.write) l.mkwrite(last, scratch);
    k.writeEntry(ptePa, scratch);
    flushFaulting(k, vma, va, k.pageSize);
    return;
  }
  l.mkLeaf(last, pfn, leafProt(k, vma, mkwrite, pfnIsDevmap(k)), scratch);
  k.writeEntry(ptePa, scratch);
}

/**
 * After a permission upgrade the faulting CPU's TLB may still hold the old, read-only
 * translation. On x86 the page fault itself invalidated it (Intel SDM Vol. 3A §4.10.4.2);
 * other arches flush in update_mmu_cache / flush_tlb_fix_spurious_fault. Modelled as a
 * flush of the faulting page on the faulting CPU.
 */
function flushFaulting(k: KernelContext, vma: Vma, va: number, size: number): void {
  const start = Math.floor(va / size) * size;
  k.machine.mmu.flushPage(vma.mm.cpu, start);
}

/** dax_iomap_pmd_fault (fs/dax.c) with dax_fault_check_fallback; `pmdPa` is the PMD slot. */
function daxIomapPmdFault(k: KernelContext, vma: Vma, va: number, write: boolean, pmdPa: number): DaxResult {
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
  const e = grabMappingEntry(k, vma, index, k.pmdOrder);
  if (e === null) return 'fallback';
  let pfn = 0;
  let sync = false;
  try {
    let ext = pmdExtent(k, vma.file, index, nr);
    if (ext === 'mixed') return 'fallback';
    if (ext === 'hole' && !write) return daxPmdLoadHole(k, vma, pmdAddr, index, e, pmdPa);
    // dax_iomap_pfn: "For larger pages we need devmap" (length > 1 && !pfn_t_devmap).
    if (!pfnIsDevmap(k) && !k.config.pmdWhatIf) return 'fallback';
    if (ext === 'hole') {
      // ext4_iomap_alloc of the whole PMD (alloc.ts: one aligned extent, or fall back)
      const pa = k.allocBlocks(vma.mm.cpu, vma.file, index, nr, k.pmdSize);
      if (pa < 0) return 'fallback';
      ext = pa;
    }
    pfn = ext / ps;
    sync = isSynchronous(k, vma, write);
    daxInsertEntry(k, vma.file, e, index, pfn, write, sync);
    if (!sync) insertPfnPmd(k, vma, pmdAddr, pfn, write, pmdPa, va);
  } finally {
    if (e.kind === 'empty' && e.order > 0) vma.file.mapping.entries.delete(e); // fallback leaves no empty PMD entry behind
    e.locked = false;
  }
  if (sync) daxFinishSyncFault(k, vma, va, index, k.pmdOrder, pfn, pmdPa);
  return 'nopage';
}

/** insert_pfn_pmd (mm/huge_memory.c); `faultVa` is the faulting address `haddr` is aligned from. */
function insertPfnPmd(k: KernelContext, vma: Vma, haddr: number, pfn: number, write: boolean, pmdPa: number, faultVa = haddr): void {
  const scratch = k.scratch.faultEntry;
  const l = k.layout;
  const lv = k.pmdLevel;
  k.readEntry(pmdPa, scratch);
  if (!l.isNone(lv, scratch)) {
    // bug pmd-livelock: before 01871e59af5c "mm, dax: fix livelock, allow dax pmd mappings
    // to become writeable", insert_pfn_pmd left a present PMD as it was: a write fault on a
    // read-only DAX PMD returned VM_FAULT_NOPAGE without making it writable, and the access
    // faulted again, forever.
    if (k.bug('pmd-livelock')) return;
    if (!write) return;
    if (l.leafPfn(lv, scratch) !== pfn) {
      if (!k.isZeroPfn(l.leafPfn(lv, scratch))) k.warnOnce('insert_pfn_pmd (mm/huge_memory.c)', 'WARN_ON_ONCE(!is_huge_zero_pmd(*pmd))');
      return;
    }
    // pmdp_set_access_flags(vma, addr, ...). bug pmd-unaligned-access-flags: before
    // fce86ff5802b "mm/huge_memory: fix vmf_insert_pfn_{pmd, pud}() crash, handle unaligned
    // addresses" the DAX fault passed vmf->address itself, not `& PMD_MASK`, and x86's
    // assertion on it fired.
    const addr = k.bug('pmd-unaligned-access-flags') ? faultVa : haddr;
    if (addr % k.pmdSize !== 0 && l.hooks.pmdpSetAccessFlagsAligned) {
      k.vmBugOn('pmdp_set_access_flags (arch/x86/mm/pgtable.c)', 'VM_BUG_ON(address & ~HPAGE_PMD_MASK)');
    }
    l.mkyoung(lv, scratch);
    l.mkdirty(lv, scratch);
    if (vma.flags.write) l.mkwrite(lv, scratch);
    k.writeEntry(pmdPa, scratch);
    flushFaulting(k, vma, haddr, k.pmdSize);
    return;
  }
  const devmap = pfnIsDevmap(k);
  l.mkLeaf(lv, pfn, { ...leafProt(k, vma, write, devmap), special: false }, scratch);
  k.writeEntry(pmdPa, scratch);
}

// Setting a DAX fault's page-table entry, as Linux 6.1 does it: insert_pfn and get_locked_pte
// (mm/memory.c, for vmf_insert_mixed / vmf_insert_mixed_mkwrite), insert_pfn_pmd
// (mm/huge_memory.c, for vmf_insert_pfn_pmd), the pgprot a DAX entry gets, pfn_t_devmap, and
// the flush of the faulting CPU after an upgrade. fault.ts's fault paths call these at their
// `insert_pfn` point.

import type { Entry, LeafProt } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import type { Vma } from './mm.ts';

/**
 * get_locked_pte -> pte_alloc_map_lock (mm/memory.c: walk_to_pmd, __pte_alloc ->
 * pmd_install), as insert_pfn and finish_fault reach it: the PTE slot for `va`, the PTE table
 * allocated now if the PMD is still none. This is where a DAX PTE fault's table appears
 * (handle_pte_fault allocates none). -1 over a PMD leaf: finish_fault's
 * pmd_devmap_trans_unstable. insert_pfn gets there only with bug pmd-pte-collision (the
 * kernel then walked the leaf as a table); it maps nothing.
 */
export function getLockedPte(k: KernelContext, vma: Vma, va: number): number {
  const slot = k.scratch.faultSlot;
  k.pt.walk(vma.mm.pgd, va, k.pt.last, true, slot);
  return slot.level === k.pt.last ? slot.pa : -1;
}

/** The pgprot a DAX mapping's entry gets (vm_page_prot with write-notify, then mkwrite/mkdirty). */
export function leafProt(k: KernelContext, vma: Vma, mkwrite: boolean, devmapPfn: boolean): LeafProt {
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
export function pfnIsDevmap(k: KernelContext): boolean {
  return k.layout.devmap !== null;
}

/**
 * insert_pfn (mm/memory.c) for vmf_insert_mixed (read) and vmf_insert_mixed_mkwrite
 * (write): a new entry is devmap or special, writable/dirty/young only for mkwrite; an
 * existing entry with the same pfn is made young, dirty and writable in place.
 */
export function insertPfn(k: KernelContext, vma: Vma, va: number, pfn: number, mkwrite: boolean): void {
  const ptePa = getLockedPte(k, vma, va);
  if (ptePa < 0) return;
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
    upgradeInPlace(k, vma, last, ptePa, scratch, va, k.pageSize);
    return;
  }
  l.mkLeaf(last, pfn, leafProt(k, vma, mkwrite, pfnIsDevmap(k)), scratch);
  k.writeEntry(ptePa, scratch);
}

/**
 * The upgrade of a present entry with the same pfn, in insert_pfn (ptep_set_access_flags) and
 * insert_pfn_pmd (pmdp_set_access_flags): young, dirty, writable where the VMA is
 * (maybe_mkwrite), then the faulting CPU's stale translation flushed.
 */
function upgradeInPlace(k: KernelContext, vma: Vma, level: number, pa: number, e: Entry, addr: number, size: number): void {
  const l = k.layout;
  l.mkyoung(level, e);
  l.mkdirty(level, e);
  if (vma.flags.write) l.mkwrite(level, e);
  k.writeEntry(pa, e);
  flushFaulting(k, vma, addr, size);
}

/**
 * After a permission upgrade the faulting CPU's TLB may still hold the old, read-only
 * translation. On x86 the page fault itself invalidated it (Intel SDM Vol. 3A §4.10.4.2);
 * other arches flush in update_mmu_cache / flush_tlb_fix_spurious_fault. Modelled as a
 * flush of the faulting page on the faulting CPU.
 */
export function flushFaulting(k: KernelContext, vma: Vma, va: number, size: number): void {
  const start = Math.floor(va / size) * size;
  k.machine.mmu.flushPage(vma.mm.cpu, start);
  // A thread's fault: the faulting CPU is one of the mm's threads (all of them, as the model
  // does not carry the faulting CPU down here).
  if (vma.mm.threads !== undefined) for (const cpu of vma.mm.threads) k.machine.mmu.flushPage(cpu, start);
}

export function insertPfnPmd(k: KernelContext, vma: Vma, haddr: number, pfn: number, write: boolean, pmdPa: number, faultVa = haddr): void {
  const scratch = k.scratch.faultEntry;
  const l = k.layout;
  const lv = k.pmdLevel;
  k.readEntry(pmdPa, scratch);
  // bug pmd-pte-collision: the insert_pfn_pmd of 2017 (from 01871e59af5c until c6f3c5ee40c1
  // "mm/huge_memory.c: fix modifying of page protection by insert_pfn_pmd()" brought the
  // `!pmd_none` test back, 2019) did set_pmd_at over whatever the PMD held, so a PMD
  // fault that missed the PTE table a racing PTE fault had installed overwrote it: the table
  // and the anonymous (COW) pages it maps are leaked, the range maps the file again.
  const overTable = k.bug('pmd-pte-collision') && !l.isNone(lv, scratch) && !l.isLeaf(lv, scratch);
  if (!l.isNone(lv, scratch) && !overTable) {
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
    upgradeInPlace(k, vma, lv, pmdPa, scratch, haddr, k.pmdSize);
    return;
  }
  const devmap = pfnIsDevmap(k);
  l.mkLeaf(lv, pfn, { ...leafProt(k, vma, write, devmap), special: false }, scratch);
  k.writeEntry(pmdPa, scratch);
}

// fork's copy of the page tables (Linux 6.1 mm/memory.c copy_page_range) for the VMAs that
// need one: vma_needs_copy is true for a VMA with an anon_vma (a private mapping that made a
// copy-on-write page) or with VM_PFNMAP | VM_MIXEDMAP (virtiofs's fuse_dax_mmap sets
// VM_MIXEDMAP; ext4's and xfs's DAX VMAs have neither, so their children fault everything in).

import type { KernelContext } from './context.ts';
import { FS_RULES } from './fs.ts';
import { dupAnonPage, type Vma } from './mm.ts';
import { ACTION_CONTINUE, walkPageRange, type MmWalk, type MmWalkOps } from './pagewalk.ts';
import { newSlot, type Slot } from './pgtable.ts';

/** vma_needs_copy(dst_vma, src_vma) (mm/memory.c). */
export function vmaNeedsCopy(src: Vma): boolean {
  return FS_RULES[src.file.fs].vmMixedMap || src.anonVma === true;
}

interface CopyWalk extends MmWalk {
  readonly k: KernelContext;
  readonly src: Vma;
  readonly dst: Vma;
  /** is_cow_mapping(vm_flags): private and VM_MAYWRITE (the file is open read-write here). */
  readonly cow: boolean;
  readonly dstSlot: Slot;
}

/**
 * copy_pmd_range -> copy_huge_pmd for a huge leaf: "Skip if can be re-fill on fault"
 * (!vma_is_anonymous(dst_vma)), so a DAX PMD is not copied; copy_pte_range ->
 * copy_present_pte for each present PTE: an anonymous page is shared (page_try_dup_anon_rmap:
 * one more mapper, no longer PageAnonExclusive), a DAX pfn has no struct page to count
 * (vm_normal_page is NULL for a devmap / special pte of a VM_MIXEDMAP VMA); in a COW mapping a
 * writable PTE is write-protected in the parent (ptep_set_wrprotect) and the child; a shared
 * mapping's copy is made clean; every copy is old (pte_mkold); set_pte_at in the child.
 */
const COPY_OPS: MmWalkOps<CopyWalk> = {
  pxdEntry(w) {
    if (w.k.layout.isLeaf(w.level, w.entry)) w.action = ACTION_CONTINUE;
    return 0;
  },
  pteEntry(w, addr) {
    const k = w.k;
    const l = k.layout;
    const lv = w.level;
    const e = w.entry;
    if (l.isNone(lv, e) || !l.isPresent(lv, e)) return 0;
    const pa = l.leafPfn(lv, e) * k.pageSize;
    const index = w.src.pgoff + (addr - w.src.start) / k.pageSize;
    if (w.src.cowPages.get(index) === pa) {
      dupAnonPage(k, pa);
      w.dst.cowPages.set(index, pa);
    }
    if (w.cow && l.isWrite(lv, e)) {
      l.wrprotect(lv, e);
      k.writeEntry(w.pa, e);
    }
    if (w.src.flags.shared) l.mkclean(lv, e);
    l.mkold(lv, e);
    k.pt.walk(w.dst.mm.pgd, addr, k.pt.last, true, w.dstSlot);
    k.writeEntry(w.dstSlot.pa, e);
    return 0;
  },
};

/** copy_page_range(dst_vma, src_vma) where vma_needs_copy holds; the caller flushes the parent's TLB (dup_mmap's flush_tlb_mm). */
export function copyPageRange(k: KernelContext, dst: Vma, src: Vma): void {
  if (!vmaNeedsCopy(src)) return;
  if (src.anonVma === true) dst.anonVma = true; // anon_vma_fork
  const w: CopyWalk = { level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: 0, k, src, dst, cow: !src.flags.shared, dstSlot: newSlot() };
  walkPageRange(k.pt, src.mm.pgd, 0, src.start, src.end, COPY_OPS, w);
}

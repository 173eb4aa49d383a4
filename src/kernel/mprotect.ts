// mprotect(2) and madvise(MADV_DONTNEED) on a DAX file mapping (Linux 6.1, mm/mprotect.c,
// mm/madvise.c): the VMA's new vm_flags and vm_page_prot, and what change_protection does to
// the entries already there.

import type { Entry } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import { KernelError } from './errors.ts';
import type { Vma } from './mm.ts';
import { ACTION_CONTINUE, walkPageRange, type MmWalk, type MmWalkOps } from './pagewalk.ts';
import { flushTlbRange } from './tlbflush.ts';
import { isAnonCopy, zapVmaRange } from './writeback.ts';

/** PROT_READ / PROT_WRITE as the statement names them (`none` is refused: see mprotectFixup). */
export type Protection = 'none' | 'ro' | 'rw';

/** change_protection's walk: the kernel, the VMA, and whether dirty PTEs may become writable. */
interface ChangeProtWalk extends MmWalk {
  readonly k: KernelContext;
  readonly vma: Vma;
  /** vm_page_prot has the write bit (never for a shared DAX VMA: vma_wants_writenotify). */
  readonly write: boolean;
  /** MM_CP_TRY_CHANGE_WRITABLE. */
  readonly tryWritable: boolean;
  readonly scratch: Entry;
}

/**
 * pte_modify(oldpte, newprot) keeps _PAGE_CHG_MASK (the pfn, dirty, accessed, devmap,
 * special) and takes the permission bits from newprot; the only permission that differs
 * between the protections modelled here (PAGE_SHARED/PAGE_COPY/PAGE_READONLY) is write.
 */
function modify(w: ChangeProtWalk): void {
  const l = w.k.layout;
  w.scratch.lo = w.entry.lo;
  w.scratch.hi = w.entry.hi;
  if (w.write) l.mkwrite(w.level, w.scratch);
  else l.wrprotect(w.level, w.scratch);
}

/**
 * change_pmd_range -> change_huge_pmd for a huge leaf (mm/huge_memory.c: pmd_modify and no
 * MM_CP_TRY_CHANGE_WRITABLE upgrade in 6.1), change_pte_range for a PTE (mm/mprotect.c:
 * pte_modify, then pte_mkwrite where can_change_pte_writable holds: the PTE is dirty and,
 * in a private VMA, maps an exclusive anonymous page; a DAX pfn or the zero page never is).
 */
const CHANGE_PROT_OPS: MmWalkOps<ChangeProtWalk> = {
  pxdEntry(w) {
    const l = w.k.layout;
    if (!l.isLeaf(w.level, w.entry)) return 0;
    if (l.isPresent(w.level, w.entry)) {
      modify(w);
      w.k.writeEntry(w.pa, w.scratch);
    }
    w.action = ACTION_CONTINUE;
    return 0;
  },
  pteEntry(w) {
    const l = w.k.layout;
    if (l.isNone(w.level, w.entry) || !l.isPresent(w.level, w.entry)) return 0;
    modify(w);
    if (w.tryWritable && !l.isWrite(w.level, w.scratch) && l.isDirty(w.level, w.scratch)) {
      if (w.vma.flags.shared || isAnonCopy(w.k, w.vma, l.leafPfn(w.level, w.scratch))) l.mkwrite(w.level, w.scratch);
    }
    w.k.writeEntry(w.pa, w.scratch);
    return 0;
  },
};

/**
 * mprotect_fixup (mm/mprotect.c) for the whole VMA: the new vm_flags, then
 * try_change_writable (VM_SHARED: vma_wants_writenotify, true for ext4's DAX vm_ops with
 * page_mkwrite; private: VM_WRITE), vma_set_page_prot (vm_page_prot without the write bit
 * when writenotify is wanted, and always for a private VMA: PAGE_COPY), change_protection,
 * the TLB flush of the range. The file is taken to be open O_RDWR (VM_MAYWRITE), so `rw` is
 * allowed on any mapping. Part of a VMA would need split_vma, and PROT_NONE each layout's
 * _PAGE_PROTNONE / PAGE_NONE encoding in pte_modify (arch/): neither is modelled yet.
 */
export function mprotectFixup(k: KernelContext, vma: Vma, prot: Protection): void {
  if (prot === 'none') throw new KernelError('mprotect PROT_NONE is not modelled yet (each layout\'s PAGE_NONE entry encoding)');
  const write = prot === 'rw';
  vma.flags = { ...vma.flags, read: true, write };
  // vma_wants_writenotify(vma): VM_SHARED and VM_WRITE and vm_ops->page_mkwrite (ext4_dax_vm_ops)
  const writenotify = vma.flags.shared && write;
  const tryWritable = vma.flags.shared ? writenotify : write;
  // vm_get_page_prot(VM_SHARED|VM_WRITE) is PAGE_SHARED, with writenotify made read-only;
  // a private VMA's PAGE_COPY never has the write bit (COW)
  const pageProtWrite = vma.flags.shared && write && !writenotify;
  const w: ChangeProtWalk = { level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: 0, k, vma, write: pageProtWrite, tryWritable, scratch: { lo: 0, hi: 0 } };
  walkPageRange(k.pt, vma.mm.pgd, 0, vma.start, vma.end, CHANGE_PROT_OPS, w);
  flushTlbRange(k, vma.mm, vma.start, vma.end, 'change_protection');
}

/**
 * madvise(MADV_DONTNEED) over [start, end) of one VMA (mm/madvise.c
 * madvise_dontneed_single_vma -> zap_page_range_single, details NULL): every entry goes,
 * anonymous copies too (should_zap_page without details), and the copies are freed.
 * madvise_dontneed_free_valid_vma lets a DAX VMA through (VM_MIXEDMAP, not VM_PFNMAP or
 * VM_LOCKED: can_madv_lru_vma).
 */
export function madviseDontneed(k: KernelContext, vma: Vma, start: number, end: number): void {
  zapVmaRange(k, vma, start, end);
}

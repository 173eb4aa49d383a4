// mprotect(2) and madvise(MADV_DONTNEED) on a DAX file mapping (Linux 6.1, mm/mprotect.c,
// mm/madvise.c): the VMA's new vm_flags and vm_page_prot, split_vma where the range covers
// part of a VMA, and what change_protection does to the entries already there (PROT_NONE in
// each arch's own encoding, arch/<x>.ts protNone).

import type { Entry, LeafProt } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import { anonExclusive, type Vma, type VmFlags } from './mm.ts';
import { ACTION_CONTINUE, walkPageRange, type MmWalk, type MmWalkOps } from './pagewalk.ts';
import { flushPmdTlbRange, flushTlbRange } from './tlbflush.ts';
import { isAnonCopy, zapVmaRange } from './writeback.ts';

/** PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE as the statement names them. */
export type Protection = 'none' | 'ro' | 'rw';

/** change_protection's walk: the kernel, the VMA, and what vm_page_prot the entries get. */
interface ChangeProtWalk extends MmWalk {
  readonly k: KernelContext;
  readonly vma: Vma;
  /** vm_page_prot is PAGE_NONE (no VM_READ | VM_WRITE | VM_EXEC). */
  readonly none: boolean;
  /** vm_page_prot has the write bit (never for a shared DAX VMA: vma_wants_writenotify). */
  readonly write: boolean;
  /** MM_CP_TRY_CHANGE_WRITABLE. */
  readonly tryWritable: boolean;
  readonly scratch: Entry;
  readonly prot: LeafProt;
  readonly newprot: Entry;
}

/**
 * pte_modify(oldpte, newprot) / pmd_modify: the arch keeps its _PAGE_CHG_MASK (pfn, dirty,
 * accessed, soft-dirty, devmap, special) and takes the permission bits from newprot. PAGE_NONE
 * is the arch's own encoding (ArchHooks.protNone). From a PROT_NONE entry back to a readable
 * one, newprot is the leaf the VMA's new vm_page_prot builds (mkLeaf: PAGE_READONLY's bits,
 * the write bit then as below) and the arch's pte_modify takes its bits outside the change
 * mask (x86's flip_protnone_guard un-inverting the pfn); otherwise the protections modelled
 * here (PAGE_SHARED / PAGE_COPY / PAGE_READONLY) differ only in write.
 */
function modify(w: ChangeProtWalk): void {
  const l = w.k.layout;
  const lv = w.level;
  const e = w.scratch;
  e.lo = w.entry.lo;
  e.hi = w.entry.hi;
  if (w.none) {
    l.hooks.protNone.mk(lv, e);
    return;
  }
  if (l.hooks.protNone.is(lv, e)) {
    // newprot: the leaf vm_page_prot builds (mkLeaf), its bits outside the change mask taken
    const p = w.prot;
    p.dirty = l.isDirty(lv, e);
    p.young = l.isYoung(lv, e);
    p.devmap = l.isDevmap(lv, e);
    p.special = l.isSpecial(lv, e);
    l.mkLeaf(lv, l.leafPfn(lv, e), p, w.newprot);
    l.hooks.protNone.modify(lv, e, w.newprot);
  }
  if (w.write) l.mkwrite(lv, e);
  else l.wrprotect(lv, e);
}

/**
 * __split_huge_pmd for a DAX file mapping (mm/huge_memory.c __split_huge_pmd_locked): not
 * anonymous, so pmdp_huge_clear_flush and, vma_is_special_huge (vma_is_dax), nothing more:
 * the PMD is gone and the next fault maps PTEs (the DAX entry stays). Only a huge leaf
 * (pmd_trans_huge || pmd_devmap, present or PROT_NONE) is split.
 */
function splitHugePmd(k: KernelContext, vma: Vma, pa: number, addr: number): void {
  k.layout.mkNone(k.pmdLevel, k.scratch.mprotectNone);
  k.writeEntry(pa, k.scratch.mprotectNone);
  flushPmdTlbRange(k, vma.mm, addr, 'pmdp_huge_clear_flush');
}

/**
 * change_pmd_range -> change_huge_pmd for a huge leaf (mm/huge_memory.c: pmdp_invalidate_ad,
 * then pmd_modify of the old value and no MM_CP_TRY_CHANGE_WRITABLE upgrade in 6.1), or
 * __split_huge_pmd first where the range covers only part of it (next - addr !=
 * HPAGE_PMD_SIZE); change_pte_range for a PTE (mm/mprotect.c: pte_modify, then pte_mkwrite
 * where can_change_pte_writable holds: the PTE is dirty and, in a private VMA, maps an
 * exclusive anonymous page; a DAX pfn or the zero page never is).
 */
const CHANGE_PROT_OPS: MmWalkOps<ChangeProtWalk> = {
  pxdEntry(w, addr, next) {
    const l = w.k.layout;
    if (!l.isLeaf(w.level, w.entry)) return 0;
    if (w.level === w.k.pmdLevel && next - addr !== w.k.pmdSize) {
      splitHugePmd(w.k, w.vma, w.pa, addr);
    } else if (l.isPresent(w.level, w.entry)) {
      modify(w);
      w.k.writeEntry(w.pa, w.scratch);
      if (l.hooks.pmdpInvalidateAdFlushes && w.level === w.k.pmdLevel) flushPmdTlbRange(w.k, w.vma.mm, addr, 'pmdp_invalidate_ad');
    }
    w.action = ACTION_CONTINUE;
    return 0;
  },
  pteEntry(w) {
    const l = w.k.layout;
    if (l.isNone(w.level, w.entry) || !l.isPresent(w.level, w.entry)) return 0;
    modify(w);
    if (w.tryWritable && !w.none && !l.isWrite(w.level, w.scratch) && l.isDirty(w.level, w.scratch)) {
      // can_change_pte_writable: a private PTE only for a PageAnonExclusive page (not one fork shares)
      const pa = l.leafPfn(w.level, w.scratch) * w.k.pageSize;
      if (w.vma.flags.shared || (isAnonCopy(w.k, w.vma, pa / w.k.pageSize) && anonExclusive(w.k, pa))) l.mkwrite(w.level, w.scratch);
    }
    w.k.writeEntry(w.pa, w.scratch);
    return 0;
  },
};

/** The vm_flags mprotect(prot) gives a VMA: VM_READ, VM_WRITE from prot, the rest kept. */
function protFlags(vma: Vma, prot: Protection): VmFlags {
  return { ...vma.flags, read: prot !== 'none', write: prot === 'rw' };
}

function sameFlags(a: VmFlags, b: VmFlags): boolean {
  return a.read === b.read && a.write === b.write && a.shared === b.shared && a.sync === b.sync;
}

/**
 * mprotect_fixup (mm/mprotect.c) for [start, end) of one VMA: nothing if the flags do not
 * change; split_vma at start and at end where they fall inside it (__split_vma, mm/mmap.c);
 * the new vm_flags, then try_change_writable (VM_SHARED: vma_wants_writenotify, true for
 * ext4's DAX vm_ops with page_mkwrite; private: VM_WRITE), vma_set_page_prot (PAGE_NONE
 * without VM_READ | VM_WRITE; vm_page_prot without the write bit when writenotify is wanted,
 * and always for a private VMA: PAGE_COPY), change_protection, the TLB flush of the range.
 * The file is taken to be open O_RDWR (VM_MAYWRITE), so `rw` is allowed on any mapping.
 * Returns the VMA now covering [start, end).
 */
export function mprotectFixup(k: KernelContext, vma: Vma, prot: Protection, start = vma.start, end = vma.end): Vma {
  const flags = protFlags(vma, prot);
  if (sameFlags(flags, vma.flags)) return vma;
  let v = vma;
  if (start !== v.start) v = splitVma(k, v, start);
  if (end !== v.end) splitVma(k, v, end);
  v.flags = flags;
  const write = prot === 'rw';
  // vma_wants_writenotify(vma): VM_SHARED and VM_WRITE and vm_ops->page_mkwrite (ext4_dax_vm_ops)
  const writenotify = v.flags.shared && write;
  const tryWritable = v.flags.shared ? writenotify : write;
  // vm_get_page_prot(VM_SHARED|VM_WRITE) is PAGE_SHARED, with writenotify made read-only;
  // a private VMA's PAGE_COPY never has the write bit (COW)
  const pageProtWrite = v.flags.shared && write && !writenotify;
  const prot0: LeafProt = { write: false, user: true, exec: false, dirty: false, young: false, devmap: false, special: false };
  const w: ChangeProtWalk = { level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: 0, k, vma: v, none: prot === 'none', write: pageProtWrite, tryWritable, scratch: { lo: 0, hi: 0 }, prot: prot0, newprot: { lo: 0, hi: 0 } };
  walkPageRange(k.pt, v.mm.pgd, 0, v.start, v.end, CHANGE_PROT_OPS, w);
  flushTlbRange(k, v.mm, v.start, v.end, 'change_protection');
  return v;
}

/**
 * mprotect(addr, len, prot) over [start, end) of the mapping `first` (do_mprotect_pkey's loop
 * over the VMAs in the range, here the pieces earlier mprotects split the mapping into), then
 * vma_merge's effect: neighbouring pieces with the same flags become one VMA again.
 */
export function mprotectRange(k: KernelContext, first: Vma, start: number, end: number, prot: Protection): void {
  for (const v of mappingPieces(first)) {
    const s = Math.max(start, v.start);
    const e = Math.min(end, v.end);
    if (s < e) mprotectFixup(k, v, prot, s, e);
  }
  mergePieces(k, first);
}

/** The VMAs of the scenario's mapping `first` (itself and the pieces split from it), by address. */
export function mappingPieces(first: Vma): Vma[] {
  return first.mm.vmas.filter((v) => v === first || v.origin === first);
}

/** The end of the mapping `first` over all its pieces. */
export function mappingEnd(first: Vma): number {
  let end = first.end;
  for (const v of mappingPieces(first)) end = Math.max(end, v.end);
  return end;
}

/**
 * __split_vma(mm, vma, addr, 0) (mm/mmap.c): `vma` keeps [vm_start, addr), a new VMA takes
 * [addr, vm_end) with vm_pgoff advanced, both in the mm and i_mmap; vma_adjust_trans_huge
 * first splits a huge PMD that straddles addr (split_huge_pmd_address). The anonymous
 * copy-on-write pages go with the half that maps them. Returns the new upper VMA.
 */
export function splitVma(k: KernelContext, vma: Vma, addr: number): Vma {
  const ps = k.pageSize;
  if (addr % k.pmdSize !== 0) {
    const slot = k.scratch.mprotectSlot;
    k.pt.walk(vma.mm.pgd, addr, k.pmdLevel, false, slot);
    const l = k.layout;
    if (slot.level === k.pmdLevel && !l.isNone(slot.level, slot.entry) && l.isLeaf(slot.level, slot.entry)) splitHugePmd(k, vma, slot.pa, addr);
  }
  const origin = vma.origin ?? vma;
  const pgoff = vma.pgoff + (addr - vma.start) / ps;
  const upper: Vma = { mm: vma.mm, name: vma.name, start: addr, end: vma.end, pgoff, flags: vma.flags, file: vma.file, cowPages: new Map(), origin };
  for (const [index, pa] of vma.cowPages) {
    if (index >= pgoff) {
      upper.cowPages.set(index, pa);
      vma.cowPages.delete(index);
    }
  }
  const tree = vma.file.mapping.iMmap;
  tree.remove(vma.pgoff, vma);
  vma.end = addr;
  tree.insert(vma.pgoff, pgoff - 1, vma);
  tree.insert(pgoff, pgoff + (upper.end - addr) / ps - 1, upper);
  vma.mm.vmas.push(upper);
  vma.mm.vmas.sort((a, b) => a.start - b.start);
  return upper;
}

/** vma_merge of neighbouring pieces of one mapping with the same flags (contiguous pgoff, same file): the lower one grows. */
function mergePieces(k: KernelContext, first: Vma): void {
  const pieces = mappingPieces(first);
  const tree = first.file.mapping.iMmap;
  for (let i = 0; i + 1 < pieces.length; ) {
    const lo = pieces[i]!;
    const hi = pieces[i + 1]!;
    if (lo.end !== hi.start || !sameFlags(lo.flags, hi.flags)) {
      i++;
      continue;
    }
    tree.remove(hi.pgoff, hi);
    tree.remove(lo.pgoff, lo);
    lo.end = hi.end;
    tree.insert(lo.pgoff, lo.pgoff + (lo.end - lo.start) / k.pageSize - 1, lo);
    for (const [index, pa] of hi.cowPages) lo.cowPages.set(index, pa);
    const vmas = first.mm.vmas;
    vmas.splice(vmas.indexOf(hi), 1);
    pieces.splice(i + 1, 1);
  }
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

// How each architecture's kernel turns a flush request into TLB invalidations
// (flush_tlb_page, flush_tlb_range, flush_pmd_tlb_range), as a table per arch family:
//   x86    arch/x86/mm/tlb.c flush_tlb_mm_range: one INVLPG per stride page, or a full flush of
//          the mm when (end - start) >> stride_shift > tlb_single_page_flush_ceiling (33).
//          flush_tlb_range (arch/x86/include/asm/tlbflush.h) strides by PAGE_SHIFT for non-
//          hugetlb VMAs, and flush_pmd_tlb_range is flush_tlb_range (include/linux/pgtable.h),
//          so invalidating a DAX PMD flushes the whole mm (512 > 33).
//   ppc64  arch/powerpc/mm/book3s64/radix_tlb.c: tlbie per page of the range's page size, or a
//          flush by PID above tlb_single_page_flush_ceiling (33); radix__flush_pmd_tlb_range
//          uses the 2M page size, so a PMD is one tlbie.
//   s390   arch/s390/include/asm/tlbflush.h: flush_tlb_page is empty because the page-table
//          update itself invalidates: IPTE for a PTE, IDTE for a segment (pgtable.c
//          ptep_xchg_direct, pmdp_xchg_direct). Modelled as one invalidation per entry.

import type { KernelContext } from './context.ts';
import type { Mm } from './mm.ts';

interface FlushPolicy {
  /** Above this many stride pages a range flush becomes a flush of the whole mm; Infinity: never. */
  readonly ceiling: number;
  /** A PMD range is flushed with the PMD page size as stride (one invalidation), or with PAGE_SIZE. */
  readonly pmdStrideIsPmd: boolean;
}

const POLICY: Record<'x86' | 'ppc64' | 's390', FlushPolicy> = {
  x86: { ceiling: 33, pmdStrideIsPmd: false },
  ppc64: { ceiling: 33, pmdStrideIsPmd: true },
  s390: { ceiling: Infinity, pmdStrideIsPmd: true },
};

/** flush_tlb_mm_range(mm, start, end, stride) on the CPU running `mm`. */
function flushRange(k: KernelContext, mm: Mm, start: number, end: number, stride: number, why: string): void {
  const policy = POLICY[k.layout.family];
  const mmu = k.machine.mmu;
  const pages = Math.ceil((end - start) / stride);
  k.counters.tlbFlushes++;
  if (pages > policy.ceiling) mmu.flushMm(mm.cpu);
  else for (let va = start; va < end; va += stride) mmu.flushPage(mm.cpu, va);
  k.events.tlbFlush?.(mm, start, end, why);
}

/** flush_tlb_page (ptep_clear_flush and friends). */
export function flushTlbPage(k: KernelContext, mm: Mm, va: number, why: string): void {
  const ps = k.pageSize;
  const start = va - (va % ps); // va is a non-negative integer: the page's start
  // flush_tlb_mm_range of one stride page: every family's ceiling is at least 1, so this is
  // always the single invalidation (INVLPG / tlbie / IPTE) flushRange would issue.
  k.counters.tlbFlushes++;
  k.machine.mmu.flushPage(mm.cpu, start);
  k.events.tlbFlush?.(mm, start, start + ps, why);
}

/** flush_pmd_tlb_range (pmdp_invalidate, zapping or splitting a huge PMD). */
export function flushPmdTlbRange(k: KernelContext, mm: Mm, va: number, why: string): void {
  const start = Math.floor(va / k.pmdSize) * k.pmdSize;
  flushRange(k, mm, start, start + k.pmdSize, POLICY[k.layout.family].pmdStrideIsPmd ? k.pmdSize : k.pageSize, why);
}

/** flush_tlb_range over a VMA's pages (zap_page_range's tlb_finish_mmu). */
export function flushTlbRange(k: KernelContext, mm: Mm, start: number, end: number, why: string): void {
  flushRange(k, mm, start, end, k.pageSize, why);
}

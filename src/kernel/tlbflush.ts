// How the kernel turns a flush request into TLB invalidations (flush_tlb_page,
// flush_tlb_range, flush_pmd_tlb_range). The policy is the arch's (layout.hooks.tlbFlush:
// x86's flush_tlb_mm_range ceiling, radix tlbie per stride, s390 IPTE/IDTE at the update;
// each layout cites its source).

import type { KernelContext } from './context.ts';
import type { Mm } from './mm.ts';

/** flush_tlb_mm_range(mm, start, end, stride) on the CPU running `mm`. */
function flushRange(k: KernelContext, mm: Mm, start: number, end: number, stride: number, why: string): void {
  const policy = k.layout.hooks.tlbFlush;
  const mmu = k.machine.mmu;
  const pages = Math.ceil((end - start) / stride);
  k.counters.tlbFlushes++;
  for (let t = -1; t < (mm.threads?.length ?? 0); t++) {
    const cpu = t < 0 ? mm.cpu : mm.threads![t]!; // every CPU of mm_cpumask
    if (pages > policy.ceiling) mmu.flushMm(cpu);
    else for (let va = start; va < end; va += stride) mmu.flushPage(cpu, va);
  }
  k.events.tlbFlush?.(mm, start, end, why);
}

/** flush_tlb_page (ptep_clear_flush and friends). */
export function flushTlbPage(k: KernelContext, mm: Mm, va: number, why: string): void {
  const ps = k.pageSize;
  const start = va - (va % ps); // va is a non-negative integer: the page's start
  // flush_tlb_mm_range of one stride page: every arch's ceiling is at least 1, so this is
  // always the single invalidation (INVLPG / tlbie / IPTE) flushRange would issue.
  k.counters.tlbFlushes++;
  k.machine.mmu.flushPage(mm.cpu, start);
  if (mm.threads !== undefined) for (const cpu of mm.threads) k.machine.mmu.flushPage(cpu, start);
  k.events.tlbFlush?.(mm, start, start + ps, why);
}

/** flush_pmd_tlb_range (pmdp_invalidate, zapping or splitting a huge PMD). */
export function flushPmdTlbRange(k: KernelContext, mm: Mm, va: number, why: string): void {
  const start = Math.floor(va / k.pmdSize) * k.pmdSize;
  flushRange(k, mm, start, start + k.pmdSize, k.layout.hooks.tlbFlush.pmdStrideIsPmd ? k.pmdSize : k.pageSize, why);
}

/** flush_tlb_range over a VMA's pages (zap_page_range's tlb_finish_mmu). */
export function flushTlbRange(k: KernelContext, mm: Mm, start: number, end: number, why: string): void {
  flushRange(k, mm, start, end, k.pageSize, why);
}

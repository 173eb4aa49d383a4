// The kernel's arch_wb_cache_pmem(): the write-back dax_flush() (drivers/dax/super.c) asks for
// over one DAX entry, as the layout describes it (layout.hooks.wbCachePmem: the instruction and
// its block size, each layout citing its arch's source). It issues no fence on any arch (arm64's
// loop ends in a DSB that completes its own write-backs: hook.completes): the fence comes once
// per fsync, from the REQ_PREFLUSH the filesystem sends after writeback, which pmem_submit_bio()
// (drivers/nvdimm/pmem.c) turns into nvdimm_flush() -> generic_nvdimm_flush()
// (drivers/nvdimm/region_devs.c), whose pmem_wmb() is the store fence (src/kernel/writeback.ts
// issues it). Where the arch has no CONFIG_ARCH_HAS_PMEM_API the hook
// is null and arch_wb_cache_pmem() is the empty inline of include/linux/libnvdimm.h.
//
// Whether dax_flush() calls it at all is the platform's: src/machine/machine.ts (eADR).

import type { PmemWritebackHook } from '../../arch/types.ts';
import type { PmemCache } from './pmem-cache.ts';

/**
 * arch_wb_cache_pmem(pa, len), without a fence. Returns the dirty lines it queued for
 * write-back; they reach pmem at the fsync's fence, or when it returns where the loop
 * completes itself (arm64).
 */
export function archWbCachePmem(cache: PmemCache, cpu: number, hook: PmemWritebackHook | null, pa: number, len: number): number {
  if (len <= 0 || hook === null) return 0;
  const lines = cache.wbRange(cpu, pa, len, hook.insn, hook.blockBytes);
  if (hook.completes) cache.completeFlushes(cpu);
  return lines;
}

// The kernel's arch_wb_cache_pmem() for each architecture family: the write-back dax_flush()
// (drivers/dax/super.c) asks for over one DAX entry. It issues no fence on any family: the
// fence comes once per fsync, from the REQ_PREFLUSH the filesystem sends after writeback,
// which pmem_submit_bio() (drivers/nvdimm/pmem.c) turns into nvdimm_flush() ->
// generic_nvdimm_flush() (drivers/nvdimm/region_devs.c), whose pmem_wmb() is the store fence
// (src/kernel/writeback.ts issues it).
//
// x86-64 (Linux 6.1 arch/x86/lib/usercopy_64.c): arch_wb_cache_pmem() = clean_cache_range(),
//   one CLWB per boot_cpu_data.x86_clflush_size (64-byte) line from addr rounded down to the
//   end; pmem_wmb() is wmb() = SFENCE (arch/x86/include/asm/barrier.h).
// ppc64 (arch/powerpc/lib/pmem.c): clean_pmem_range() -> __clean_pmem_range(), dcbstps on
//   every L1 d-cache block (128 bytes on POWER8/9/10) when CPU_FTR_ARCH_207S, no barrier;
//   pmem_wmb() is phwsync (arch/powerpc/include/asm/barrier.h). Modelled with the same
//   line-level semantics as x86: dcbstps = a write-back of the block (two 64-byte lines of
//   this model) that is persistent after the barrier.
// s390: no CONFIG_ARCH_HAS_PMEM_API (arch/s390/Kconfig does not select it), so
//   arch_wb_cache_pmem() is the empty inline in include/linux/libnvdimm.h.
//
// Whether dax_flush() calls it at all is the platform's: src/machine/machine.ts (eADR).

import type { PmemCache } from './pmem-cache.ts';

export type ArchFamily = 'x86' | 'ppc64' | 's390';

/** POWER L1 d-cache block (l1_dcache_bytes() on POWER8/9/10). */
export const PPC64_DCACHE_BYTES = 128;

/**
 * arch_wb_cache_pmem(pa, len), without a fence. Returns the dirty lines it queued for
 * write-back; they reach pmem at the fsync's fence.
 */
export function archWbCachePmem(cache: PmemCache, cpu: number, family: ArchFamily, pa: number, len: number): number {
  if (len <= 0) return 0;
  switch (family) {
    case 'x86':
      return cache.wbRange(cpu, pa, len, 'clwb'); // clean_cache_range(): clwb(p) per line
    case 'ppc64':
      return cache.wbRange(cpu, pa, len, 'clwb', PPC64_DCACHE_BYTES); // __clean_pmem_range(): dcbstps per block
    case 's390':
      return 0; // no ARCH_HAS_PMEM_API: arch_wb_cache_pmem() is empty
  }
}

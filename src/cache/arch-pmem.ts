// The kernel's arch_wb_cache_pmem() for each architecture family, followed by the fence the
// kernel issues before it reports the data durable.
//
// x86-64 (Linux 6.1 arch/x86/lib/usercopy_64.c): arch_wb_cache_pmem() = clean_cache_range(),
//   one CLWB per boot_cpu_data.x86_clflush_size (64-byte) line from addr rounded down to the
//   end. It issues no fence itself: dax_flush() (drivers/dax/super.c) only calls it, and the
//   fence comes from the REQ_PREFLUSH the filesystem sends after writeback (fsync), handled by
//   pmem_submit_bio() -> nvdimm_flush() -> generic_nvdimm_flush()
//   (drivers/nvdimm/region_devs.c), whose pmem_wmb() is wmb() = SFENCE on x86-64
//   (include/asm-generic/barrier.h, arch/x86/include/asm/barrier.h).
// ppc64 (arch/powerpc/lib/pmem.c): clean_pmem_range() = dcbstps on every L1 d-cache block
//   (128 bytes on POWER8/9/10) when CPU_FTR_ARCH_207S, then pmem_wmb() = phwsync
//   (arch/powerpc/include/asm/barrier.h). Modelled with the same line-level semantics as x86:
//   dcbstps = a write-back of the block (two 64-byte lines of this model) that is guaranteed
//   persistent after the barrier, phwsync = the fence.
// s390: no CONFIG_ARCH_HAS_PMEM_API (arch/s390/Kconfig does not select it), so
//   arch_wb_cache_pmem() is the empty inline in include/linux/libnvdimm.h: nothing is written
//   back and no fence is issued here.

import type { PmemCache } from './pmem-cache.ts';

export type ArchFamily = 'x86' | 'ppc64' | 's390';

/** POWER L1 d-cache block (l1_dcache_bytes() on POWER8/9/10). */
export const PPC64_DCACHE_BYTES = 128;

/** arch_wb_cache_pmem(pa, len) then the kernel's pmem fence; returns the dirty lines written back. */
export function archWbCachePmem(cache: PmemCache, cpu: number, family: ArchFamily, pa: number, len: number): number {
  if (len <= 0) return 0;
  const before = cache.counters.linesWrittenBack;
  switch (family) {
    case 'x86':
      cache.wbRange(cpu, pa, len, 'clwb'); // clean_cache_range(): clwb(p) per line
      cache.sfence(cpu); // generic_nvdimm_flush(): pmem_wmb() = wmb() = sfence
      break;
    case 'ppc64':
      cache.wbRange(cpu, pa, len, 'clwb', PPC64_DCACHE_BYTES); // __clean_pmem_range(): dcbstps per block
      cache.sfence(cpu); // pmem_wmb() = phwsync
      break;
    case 's390':
      return 0; // no ARCH_HAS_PMEM_API: arch_wb_cache_pmem() is empty
  }
  return cache.counters.linesWrittenBack - before;
}

// What the kernel model needs from the machine below it: the hardware page walker with its
// TLBs (src/mmu) and the CPU cache in front of pmem (src/cache). The kernel calls down, never
// the reverse (README "What is modelled": dependencies point one way).

import type { Access } from '../../arch/fault.ts';
import type { HwFault } from '../mmu/fault.ts';

// One access type from the runner to the walker: the MMU's own (arch/fault.ts).
export { Access } from '../../arch/fault.ts';
export type { HwFault } from '../mmu/fault.ts';

export interface MmuPort {
  /** Load the page-table root (CR3 / PID / ASCE) of the mm this CPU runs. */
  setRoot(cpu: number, rootPa: number): void;
  /** Physical address for `va`, or -1 on a fault (the fault itself from lastFault()). */
  translate(cpu: number, va: number, access: Access, user: boolean): number;
  /** The last fault as the hardware reported it: error code / DSISR / PGM code, address, access. */
  lastFault(): HwFault;
  /** A fault's one-line text in the architecture's words (for messages and traces only). */
  describeFault(f: HwFault): string;
  /** flush_tlb_page: the translation of one page on this CPU, whatever its size. */
  flushPage(cpu: number, va: number): void;
  /** flush_tlb_range on this CPU. */
  flushRange(cpu: number, start: number, end: number): void;
  /** flush_tlb_mm: every translation of this CPU's address space. */
  flushMm(cpu: number): void;
}

export interface CachePort {
  store(cpu: number, pa: number, src: Uint8Array, srcOffset?: number, len?: number): void;
  load(cpu: number, pa: number, len: number, out: Uint8Array, outOffset?: number): void;
  /** MOVNTI: around the cache, persistent at the CPU's next fence (the pmem driver's memcpy_flushcache). */
  ntstore(cpu: number, pa: number, src: Uint8Array, srcOffset?: number, len?: number): void;
  clwb(cpu: number, pa: number): void;
  sfence(cpu: number): void;
  /** A barrier that completes this CPU's flushes and WC stores without being a fence (x86 LOCK-prefixed RMW). */
  completeFlushes(cpu: number): void;
  /** An inbound device (DMA) write: coherent with every CPU's cached copy, in the persistence domain when it returns. */
  deviceWrite(pa: number, src: Uint8Array, srcOffset: number, len: number): void;
}

/** The kernel's pmem flush helper (arch_wb_cache_pmem), bound to the layout's hook. Returns lines written back. */
export type PmemFlush = (cpu: number, pa: number, len: number) => number;

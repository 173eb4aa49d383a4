// One emulated machine: physical memory (DRAM for page tables and anonymous pages, a sparse
// pmem device), the MMU with a TLB per CPU, and the write-back cache in front of pmem with
// the arch's pmem flush helper. This is what the kernel model runs on (src/kernel/ports.ts).

import type { Layout } from '../../arch/types.ts';
import { archWbCachePmem, PmemCache, type Persistence } from '../cache/index.ts';
import { FrameAllocator } from '../mem/frames.ts';
import { PhysMem } from '../mem/phys.ts';
import type { MmuPort } from '../kernel/ports.ts';
import { faultText, Mmu, type HwFault } from '../mmu/index.ts';

export type { Persistence };

export interface MachineOptions {
  readonly layout: Layout;
  readonly persistence: Persistence;
  /** CPUs, one per process. */
  readonly cpus: number;
  /** DRAM bytes (page tables, COW pages); default 4 GiB, sparse. */
  readonly dramBytes?: number;
  /** pmem device bytes; default 1 TiB, sparse. */
  readonly pmemBytes?: number;
  /** TLBs on (default). */
  readonly tlb?: boolean;
}

const GiB = 2 ** 30;
/** Where the pmem device sits in the physical address space (above DRAM, as an e820 pmem range would). */
const PMEM_BASE = 64 * GiB;

export class Machine {
  readonly layout: Layout;
  readonly mem: PhysMem;
  readonly dramFrames: FrameAllocator;
  readonly cache: PmemCache;
  readonly cpus: number;
  readonly hwMmu: Mmu;
  readonly mmu: MmuPort;
  readonly pmemFlush: (cpu: number, pa: number, len: number) => number;

  /** Machines kept by reusable(), one per configuration. */
  private static readonly pool = new Map<string, Machine>();

  /**
   * A machine for `opts`, as new, but reused: the first call for a configuration builds it, later
   * calls reset() and return the same one, so a search running thousands of short scenarios in a
   * thread keeps one set of memory chunks, TLB arrays and compiled walker per configuration
   * instead of allocating them per scenario. A previous holder of the machine must be done with it.
   */
  static reusable(opts: MachineOptions): Machine {
    const key = `${opts.layout.name}/${opts.persistence}/${opts.cpus}/${opts.dramBytes ?? ''}/${opts.pmemBytes ?? ''}/${opts.tlb ?? true}`;
    let m = Machine.pool.get(key);
    if (m === undefined || m.layout !== opts.layout) {
      m = new Machine(opts);
      Machine.pool.set(key, m);
    } else {
      m.reset();
    }
    return m;
  }

  constructor(opts: MachineOptions) {
    const dramBytes = opts.dramBytes ?? 4 * GiB;
    const pmemBytes = opts.pmemBytes ?? 1024 * GiB;
    this.layout = opts.layout;
    this.cpus = opts.cpus;
    this.mem = new PhysMem({ kind: 'dram', base: 0, size: dramBytes }, { kind: 'pmem', base: PMEM_BASE, size: pmemBytes });
    this.dramFrames = new FrameAllocator(this.mem, this.mem.dram);
    this.reserveFirmware();
    this.cache = new PmemCache(this.mem, { cpus: opts.cpus, persistence: opts.persistence });
    // The arch's pmem write-back (layout.hooks.wbCachePmem; s390's is a stand-in, explained there).
    const wb = opts.layout.hooks.wbCachePmem;
    const cache = this.cache;
    // dax_flush (drivers/dax/super.c) returns at once unless dax_write_cache_enabled(): the
    // pmem driver enables it with nvdimm_has_cache(nd_region) (drivers/nvdimm/pmem.c), which
    // is false once ND_REGION_PERSIST_CACHE is set (drivers/nvdimm/region_devs.c), and the
    // NFIT sets that when the platform reports ACPI_NFIT_CAPABILITY_CACHE_FLUSH, i.e. eADR
    // (drivers/acpi/nfit/core.c acpi_nfit_register_region). So on eADR the kernel writes
    // nothing back; the fence of the fsync's REQ_PREFLUSH is still issued.
    const writeCache = opts.persistence !== 'eadr';
    this.pmemFlush = writeCache ? (cpu, pa, len) => archWbCachePmem(cache, cpu, wb, pa, len) : () => 0;
    this.hwMmu = new Mmu(opts.layout, this.mem, { cpus: opts.cpus, tlb: opts.tlb ?? true });
    const hw = this.hwMmu;
    this.mmu = {
      // The root register value (layout.hooks.root: x86 CR3, s390 an ASCE), as the kernel encodes it.
      setRoot: (cpu, root) => hw.setRoot(cpu, root),
      translate: (cpu, va, access, user) => hw.translate(cpu, va, access, user),
      lastFault: () => hw.fault.record(),
      describeFault: (f) => faultText(hw.fault.hook, f),
      flushPage: (cpu, va) => hw.flushPage(cpu, va),
      flushRange: (cpu, start, end) => hw.flushRange(cpu, start, end),
      flushMm: (cpu) => hw.flushAsid(cpu),
    };
  }

  /** Keeps physical page 0 and the first MiB of DRAM unused, as firmware does. */
  private reserveFirmware(): void {
    this.dramFrames.alloc(2 ** 20);
  }

  /**
   * Back to the state of a new machine of the same options: memory all zero (chunks kept for
   * reuse), no frame allocated, the cache clean with nothing pending, every TLB empty, counters
   * zero. The MMU's per-CPU roots are stale until the kernel loads them (it does for each process).
   */
  reset(): void {
    this.mem.reset();
    this.dramFrames.reset();
    this.reserveFirmware();
    this.cache.reset();
    for (let c = 0; c < this.cpus; c++) this.hwMmu.flushAll(c);
    this.hwMmu.counters.reset();
  }

  /** The last fault as data (the arch's error code / DSISR / PGM code, address, access), as the kernel receives it. */
  lastFault(): HwFault {
    return this.hwMmu.fault.record();
  }

  /** MMU counters (walks, memory references, TLB hits/misses, faults by kind). */
  mmuCounters(): Record<string, number> {
    return { ...this.hwMmu.counters.snapshot() };
  }
}

// The kernel's state, as every kernel function of this model receives it: the machine it runs
// on (ports.ts), its configuration (Kconfig, the version's rules, the mkclean strategy), the
// page tables, processes, files, counters and listeners, and the software page-table accessors.
// It plays the part of the globals and per-CPU state a kernel function reaches in Linux. The
// system calls are the Kernel class built on it (kernel.ts); fault.ts, writeback.ts,
// mkclean.ts and tlbflush.ts import only this module, so imports in src/kernel point one way.

import type { Entry, Layout } from '../../arch/types.ts';
import type { FrameAllocator } from '../mem/frames.ts';
import type { PhysMem } from '../mem/phys.ts';
import type { KernelEvents, FaultKind } from './events.ts';
import { BlockAllocator } from './alloc.ts';
import { KernelBug } from './errors.ts';
import type { DaxFile } from './file.ts';
import type { Mm, Vma } from './mm.ts';
import type { RwSemaphore, SpinLock } from './locks.ts';
import { PageTables, newSlot, type Slot } from './pgtable.ts';
import type { CachePort, MmuPort, PmemFlush } from './ports.ts';
import type { Strategy } from './strategies.ts';
import type { Scheduler } from './task.ts';
import type { KernelRules, KernelVersion } from './versions.ts';
import { DaxWaitTable, type WaitQueue } from './waitqueue.ts';

export interface KernelConfig {
  /** Whose fault and writeback rules apply (versions.ts). */
  readonly version: KernelVersion;
  readonly rules: KernelRules;
  readonly strategy: Strategy;
  /** CONFIG_FS_DAX_PMD as built. */
  readonly fsDaxPmd: boolean;
  /** FS_DAX_PMD forced on where Kconfig would not allow it: DAX PMDs without a devmap bit (a what-if). */
  readonly pmdWhatIf: boolean;
  /** The `bug` switches in effect (bugs.ts): each reverts one fix; the strategy already reflects the mkclean ones. */
  readonly bugs: readonly string[];
  /**
   * CONFIG_DEBUG_VM: VM_WARN_ON and VM_BUG_ON check their condition (include/linux/mmdebug.h);
   * without it they compile to nothing. Debian 12's 6.1 builds without it (the default).
   */
  readonly debugVm?: boolean;
}

export interface MachinePorts {
  readonly layout: Layout;
  readonly mem: PhysMem;
  /** DRAM frames: page tables and anonymous (COW) pages. */
  readonly dramFrames: FrameAllocator;
  readonly mmu: MmuPort;
  readonly cache: CachePort;
  readonly pmemFlush: PmemFlush;
}

/** A leaf as the layout's predicates decode it (pte_write, pte_dirty, pte_young, pte_devmap, ...). */
export interface DecodedEntry {
  present: boolean;
  write: boolean;
  dirty: boolean;
  young: boolean;
  devmap: boolean;
  special: boolean;
  /** pte_protnone / pmd_protnone: a PROT_NONE leaf (present to the kernel, faulting in hardware). */
  protnone?: boolean;
  /** The level of the leaf (`pte`, `pmd`, ...), or where the walk stopped if absent. */
  level: string;
  pfn: number;
}

export interface Counters {
  /** Page-table entries the kernel read or wrote (software walks: faults, mkclean, zap). */
  ptRefs: number;
  /** VMAs a mkclean strategy visited. */
  mkcleanVmas: number;
  /** Page-table entries a mkclean strategy cleaned and write-protected. */
  mkcleanCleaned: number;
  /** TLB flushes issued by the kernel (each flush call on each CPU). */
  tlbFlushes: number;
  /** dax_writeback_one calls that flushed an entry. */
  entriesWrittenBack: number;
  /** Cache lines written back by the kernel's pmem flush. */
  linesWrittenBack: number;
  /** HPTE invalidations at entry updates (flush_hash_page / flush_hash_hugepage; 0 unless the layout has an HPT: layout.hooks.hpte). */
  hpteFlushes: number;
}

/**
 * Scratch state of the software walks, one set per kernel instead of module-level variables
 * shared by every kernel in the process: each module that walks owns its own fields, so a walk
 * in one (a fault) and a walk in another it calls (the writeback inside a MAP_SYNC fault)
 * never share a slot.
 */
export class Scratch {
  /** fault.ts: where the fault's walk stopped, and an entry being rebuilt. */
  readonly faultSlot: Slot = newSlot();
  readonly faultEntry: Entry = { lo: 0, hi: 0 };
  /** mkclean.ts: the walk of each visit, the cleared value ptep_clear_flush writes. */
  readonly mkcleanSlot: Slot = newSlot();
  readonly cleared: Entry = { lo: 0, hi: 0 };
  /** mkclean.ts: the array rangeMkclean's i_mmap query fills; null while one is in use. */
  vmaPool: Vma[] | null = [];
  /** writeback.ts: the empty entry zap_page_range writes. */
  readonly none: Entry = { lo: 0, hi: 0 };
  /** mkclean.ts, bug arm64-pmd-leaf: the 8 bytes of a data block read as a PTE. */
  readonly dataWord = new Uint8Array(8);
  /** mprotect.ts: split_vma's look at the PMD at the split point, the empty entry a split writes. */
  readonly mprotectSlot: Slot = newSlot();
  readonly mprotectNone: Entry = { lo: 0, hi: 0 };
  /** writeEntry: the old value the HPT bookkeeping compares (layout.hooks.hpte). */
  readonly hpteOld: Entry = { lo: 0, hi: 0 };
}

export class KernelContext {
  readonly layout: Layout;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly pmdLevel: number;
  /** PMD_SHIFT and PMD_ORDER = PMD_SHIFT - PAGE_SHIFT; PG_PMD_NR pages per PMD entry. */
  readonly pmdShift: number;
  readonly pmdSize: number;
  readonly pmdOrder: number;
  readonly pt: PageTables;
  readonly mms: Mm[] = [];
  readonly files: DaxFile[] = [];
  readonly faults = new Map<Mm, Record<FaultKind, number>>();
  readonly counters: Counters = { ptRefs: 0, mkcleanVmas: 0, mkcleanCleaned: 0, tlbFlushes: 0, entriesWrittenBack: 0, linesWrittenBack: 0, hpteFlushes: 0 };
  /**
   * Files with uncommitted datasync metadata: what makes ext4_iomap_begin report
   * IOMAP_F_DIRTY to a MAP_SYNC write fault (fs/ext4/inode.c ext4_set_iomap:
   * ext4_inode_datasync_dirty, true while the transaction in i_datasync_tid is not committed).
   * Only block allocation, i_size changes and the like move i_datasync_tid
   * (ext4_update_inode_fsync_trans(handle, inode, 1), fs/ext4/extents.c); a DAX write fault
   * on allocated blocks changes timestamps only (ext4_do_update_inode: need_datasync stays 0).
   * Files start committed (allocated, fallocated and fsynced before the scenario), so this is
   * empty until dirtyDatasyncMetadata(); an fsync or msync commits it.
   */
  readonly metadataDirty = new Set<DaxFile>();
  /**
   * Anonymous (copy-on-write) pages fork shared between processes (copy_present_pte), by
   * physical address: how many VMAs map each (page_mapcount), and whether it is still
   * PageAnonExclusive; a page absent here is mapped once and exclusive (mm.ts anon helpers).
   */
  readonly anonShared = new Map<number, { mappers: number; exclusive: boolean }>();
  events: KernelEvents = {};
  readonly scratch = new Scratch();
  /**
   * The kernel log: the WARN/BUG conditions the modelled paths check, recorded rather than
   * thrown so a run goes on as the kernel does after a WARN_ON (`expect dmesg`). Each line
   * starts `WARNING:` or `BUG:` as the kernel's report does (lib/bug.c report_bug).
   */
  readonly log: string[] = [];
  /** fs/dax.c's hashed wait table of the DAX entry locks (entry-lock.ts). */
  readonly daxWait = new DaxWaitTable();
  /** Each mapping's invalidate_lock (locks.ts), made on first use. */
  readonly invalidateLocks = new Map<DaxFile, RwSemaphore>();
  /** Each inode's i_rwsem (locks.ts): write(2) exclusive, read(2) shared. */
  readonly inodeLocks = new Map<DaxFile, RwSemaphore>();
  /** Each mm's mmap_lock (locks.ts): faults shared, mmap/munmap/mprotect/fork exclusive. */
  readonly mmapLocks = new Map<Mm, RwSemaphore>();
  /** The task driver while a scenario runs tasks (task.ts): whose code runs, who to wake; null outside one. */
  tasks: Scheduler | null = null;
  /** page_ref_count of the pages someone holds, by pfn (gup.ts); a page not here is idle (1). */
  readonly pageRefs = new Map<number, number>();
  /** wait_var_event's queues of the pages' refcounts, by pfn (gup.ts waitPageIdle: break layouts waiting for pins). */
  readonly refcountWaits = new Map<number, WaitQueue>();
  /** The PMD page-table locks, by PMD table (pmd-lock.ts), made on first use. */
  readonly pmdLocks = new Map<number, SpinLock>();

  constructor(
    readonly machine: MachinePorts,
    readonly config: KernelConfig,
  ) {
    this.layout = machine.layout;
    this.pageShift = this.layout.pageShift;
    this.pageSize = 2 ** this.pageShift;
    this.pmdLevel = this.layout.pmdLevel;
    this.pmdShift = this.layout.levels[this.pmdLevel]!.shift;
    this.pmdSize = 2 ** this.pmdShift;
    this.pmdOrder = this.pmdShift - this.pageShift;
    this.pt = new PageTables(this.layout, machine.mem, machine.dramFrames);
    this.blockAlloc = new BlockAllocator(machine.mem.pmem.base, machine.mem.pmem.end);
    this.bugSet = new Set(config.bugs);
  }

  /** The `bug` switches in effect, for the variants that test them (bugs.ts). */
  private readonly bugSet: ReadonlySet<string>;

  /** Whether the fix of library bug `name` is reverted in this run. */
  bug(name: string): boolean {
    return this.bugSet.has(name);
  }

  /** The pmem device's block allocator (alloc.ts). */
  readonly blockAlloc: BlockAllocator;
  /** Which sparse file and page index each allocated block holds, by the block's physical address. */
  readonly blockOwner = new Map<number, { file: DaxFile; index: number }>();
  private zeroPagePfn = -1;
  private hugeZeroPfn = -1;

  /** The file and byte offset physical address `pa` holds, if it is a file's block. */
  fileOffsetAt(pa: number): { file: DaxFile; offset: number } | undefined {
    const blockStart = Math.floor(pa / this.pageSize) * this.pageSize;
    const owner = this.blockOwner.get(blockStart);
    if (owner !== undefined) return { file: owner.file, offset: owner.index * this.pageSize + (pa - blockStart) };
    for (const f of this.files) if (pa >= f.phys && pa < f.phys + f.size) return { file: f, offset: pa - f.phys };
    return undefined;
  }

  /**
   * ZERO_PAGE / my_zero_pfn (the kernel's empty_zero_page, in DRAM), for dax_load_hole: made
   * the first time a hole is read so that runs without holes allocate nothing new.
   */
  zeroPfn(): number {
    if (this.zeroPagePfn < 0) {
      this.zeroPagePfn = this.machine.dramFrames.alloc(this.pageSize) / this.pageSize;
      this.zeroPfns.add(this.zeroPagePfn);
    }
    return this.zeroPagePfn;
  }

  /** mm_get_huge_zero_page (mm/huge_memory.c): a PMD-size zeroed DRAM page, allocated on first use. */
  hugeZeroPagePfn(): number {
    if (this.hugeZeroPfn < 0) {
      this.hugeZeroPfn = this.machine.dramFrames.alloc(this.pmdSize) / this.pageSize;
      this.zeroPfns.add(this.hugeZeroPfn);
    }
    return this.hugeZeroPfn;
  }

  /**
   * ext4_iomap_alloc -> ext4_map_blocks(EXT4_GET_BLOCKS_CREATE_ZERO) for `count` pages at
   * `index` of a sparse file (fs/ext4/inode.c): one extent aligned to `align` from the device
   * allocator, zeroed before anything maps or writes it (ext4_issue_zeroout: the pmem driver's
   * write_pmem, memcpy_flushcache's non-temporal stores, persistent at the CPU's next fence),
   * recorded as uncommitted metadata of the inode (ext4_update_inode_fsync_trans with
   * datasync: i_datasync_tid moves, so a MAP_SYNC fault becomes synchronous). Returns the
   * extent's physical address, or -1 when the device has no such extent.
   */
  allocBlocks(cpu: number, file: DaxFile, index: number, count: number, align: number): number {
    const blocks = file.blocks!;
    const size = count * this.pageSize;
    const pa = this.blockAlloc.alloc(size, align);
    if (pa < 0) return -1;
    this.machine.cache.ntstore(cpu, pa, new Uint8Array(size));
    for (let i = 0; i < count; i++) {
      blocks.pa.set(index + i, pa + i * this.pageSize);
      blocks.uncommitted.add(index + i);
      this.blockOwner.set(pa + i * this.pageSize, { file, index: index + i });
    }
    this.metadataDirty.add(file);
    return pa;
  }

  /** The file whose blocks hold physical address `pa`. */
  fileAt(pa: number): DaxFile | undefined {
    return this.fileOffsetAt(pa)?.file;
  }

  /**
   * The (huge) zero page's pfn, once a hole is read through one (dax_load_hole,
   * dax_pmd_load_hole); none is mapped before, so nothing maps it.
   */
  readonly zeroPfns = new Set<number>();

  isZeroPfn(pfn: number): boolean {
    return this.zeroPfns.has(pfn);
  }

  /** VM_WARN_ON(cond) at `where`: a warning with CONFIG_DEBUG_VM, nothing without (include/linux/mmdebug.h). */
  vmWarnOn(where: string, what: string): void {
    if (this.config.debugVm === true) this.log.push(`WARNING: ${where}: ${what}`);
  }

  /** VM_BUG_ON(cond) at `where`: with CONFIG_DEBUG_VM the kernel BUG()s and the task dies; without, nothing. */
  vmBugOn(where: string, what: string): void {
    if (this.config.debugVm !== true) return;
    const line = `BUG: kernel BUG at ${where}: ${what}`;
    this.log.push(line);
    throw new KernelBug(line);
  }

  /** WARN_ON_ONCE(cond) at `where` (the kernel function): logged once per place, the path goes on. */
  warnOnce(where: string, what: string): void {
    const line = `WARNING: ${where}: ${what}`;
    if (!this.log.includes(line)) this.log.push(line);
  }

  countFault(mm: Mm, kind: FaultKind): void {
    this.faults.get(mm)![kind]++;
  }

  readEntry(pa: number, out: Entry): void {
    this.counters.ptRefs++;
    this.pt.read(pa, out);
  }

  writeEntry(pa: number, e: Entry): void {
    this.counters.ptRefs++;
    // book3s64 hash: pte_update's HPTE flush, set_pte_at's filter (arch/ppc64-hash.ts)
    const hpte = this.layout.hooks.hpte;
    if (hpte !== undefined) {
      this.pt.read(pa, this.scratch.hpteOld);
      this.counters.hpteFlushes += hpte.update(this.scratch.hpteOld, e);
    }
    this.pt.write(pa, e);
  }

  /** What P's page tables hold for `va`, decoded by the layout (for `expect pte`, dumps, the API). */
  entryFor(mm: Mm, va: number): DecodedEntry & { raw: Entry } {
    const slot = newSlot();
    const found = this.pt.lookup(mm.pgd, va, slot);
    const l = this.layout;
    const e = slot.entry;
    const level = l.levels[slot.level]!.name;
    if (!found) return { present: false, write: false, dirty: false, young: false, devmap: false, special: false, protnone: false, level, pfn: 0, raw: { ...e } };
    return {
      present: true,
      write: l.isWrite(slot.level, e),
      dirty: l.isDirty(slot.level, e),
      young: l.isYoung(slot.level, e),
      devmap: l.isDevmap(slot.level, e),
      special: l.isSpecial(slot.level, e),
      protnone: l.hooks.protNone.is(slot.level, e),
      level,
      pfn: l.leafPfn(slot.level, e),
      raw: { ...e },
    };
  }

}

// The kernel model's system calls and user accesses: processes (mm_struct on their own CPU),
// VMAs, DAX files, mmap/munmap/fsync/msync, loads, stores and user flushes through the MMU.
// The state they share with every kernel function is context.ts; faults, writeback and
// mkclean live in their own modules (fault.ts, writeback.ts, mkclean.ts), one function per
// kernel function modelled, and import only context.ts.

import { KernelContext, type KernelConfig, type MachinePorts } from './context.ts';
import { FaultLivelock, KernelError } from './errors.ts';
import { doUserAddrFault } from './arch-fault.ts';
import { newDaxFile, type DaxFile } from './file.ts';
import { copyPageRange } from './fork.ts';
import { flushTlbMm } from './tlbflush.ts';
import { FS_RULES, type FsName } from './fs.ts';
import { dmaWrite, pinUserPages, unpinUserPages, type Pin } from './gup.ts';
import { putAnonPage, type Mm, type Vma, type VmFlags } from './mm.ts';
import { Access } from './ports.ts';
import { daxIomapRead, daxIomapWriteSteps, invalidateInodePages2Range, writeUnlockBarrier } from './rw.ts';
import { downRead, downWrite, inodeLock, mmapLock, upRead, upWrite } from './locks.ts';
import { runSteps, type Steps } from './task.ts';
import { madviseDontneed, mappingEnd, mappingPieces, mprotectRange, type Protection } from './mprotect.ts';
import { zapPmdRangeLocked } from './pmd-lock.ts';
import { ext4PunchHole, ext4Setattr, ext4ZeroRange } from './truncate.ts';
import { vfsFsyncRangeSteps, zapVmaRange } from './writeback.ts';

export { ALL_STRATEGIES, SEED_STRATEGIES, STRATEGIES, type Strategy } from './strategies.ts';
export { FaultLivelock, KernelBug, KernelError, UserFault } from './errors.ts';
export type { Counters, DecodedEntry, KernelConfig, MachinePorts } from './context.ts';

/** The system calls and user accesses, on the kernel's state. */
export class Kernel extends KernelContext {
  /** mmap_base: top-down search starts here for every mm (below 2^46 on every layout). */
  static readonly MMAP_BASE = 0x3f00_0000_0000;

  constructor(machine: MachinePorts, config: KernelConfig) {
    super(machine, config);
  }

  // -- setup ------------------------------------------------------------------------

  /**
   * A file of `size` bytes whose blocks are one 2 MiB-aligned extent of the pmem device, the
   * lowest the device's allocator has free; `sparse`: every block a hole until something
   * allocates it (alloc.ts, Kernel context allocBlocks).
   */
  createFile(name: string, size: number, sparse = false, fs: FsName = 'ext4'): DaxFile {
    if (size <= 0 || size % this.pageSize !== 0) throw new KernelError(`file size ${size} must be a positive multiple of the page size (${this.pageSize})`);
    if (sparse) {
      const f = newDaxFile(name, size, NaN, this.pmdOrder, true, fs);
      this.files.push(f);
      return f;
    }
    const align = Math.max(this.pmdSize, 2 * 1024 * 1024);
    const phys = this.blockAlloc.alloc(size, align);
    if (phys < 0) {
      const lowest = this.blockAlloc.peek(this.pageSize, align);
      throw new KernelError(`file ${name} (${size} bytes) does not fit on the pmem device (${this.machine.mem.pmem.size} bytes, ${lowest < 0 ? 0 : this.machine.mem.pmem.end - lowest} free)`);
    }
    const f = newDaxFile(name, size, phys, this.pmdOrder, false, fs);
    this.files.push(f);
    return f;
  }

  /**
   * The inode gets datasync metadata a later fsync must commit (ext4_update_inode_fsync_trans
   * with datasync = 1: block allocation, an i_size change). No statement of the scenario
   * language allocates blocks yet; the library and tests call this to model one.
   */
  dirtyDatasyncMetadata(file: DaxFile): void {
    this.metadataDirty.add(file);
  }

  /** A process with its own page tables, running on its own CPU. */
  createProcess(name: string): Mm {
    const id = this.mms.length;
    const mm: Mm = { id, name, cpu: this.nextCpu++, pgd: this.pt.allocRoot(), vmas: [], mmapTop: this.layout.hooks.mmapBase };
    this.mms.push(mm);
    this.faults.set(mm, { read: 0, write: 0, wp: 0 });
    // The root register the hardware walks from (arch hook): s390 init_new_context gives a new mm
    // a region-third ASCE (3 levels; mmaps stay below mmap_base < 4 TiB, so no crst_table_upgrade),
    // here the region-third table under pgd[0] / p4d[0] of the 5-level tree this model walks.
    const rootLevel = this.layout.hooks.root.levelFor(mm.mmapTop);
    const root = { level: 0, pa: mm.pgd, entry: { lo: 0, hi: 0 } };
    if (rootLevel > 0) this.pt.walk(mm.pgd, 0, rootLevel, true, root);
    this.machine.mmu.setRoot(mm.cpu, this.layout.hooks.root.encode(root.pa, rootLevel));
    return mm;
  }

  /** CPUs handed out so far: each process and each thread runs on one of its own. */
  private nextCpu = 0;

  /**
   * A thread of `mm` (clone(CLONE_VM)): the same page tables on a CPU of its own, whose TLB
   * the mm's flushes reach too (mm_cpumask). Returns the thread's CPU.
   */
  createThread(mm: Mm): number {
    const cpu = this.nextCpu++;
    const threads = mm.threads ?? (mm.threads = []);
    threads.push(cpu);
    const rootLevel = this.layout.hooks.root.levelFor(mm.mmapTop);
    const root = { level: 0, pa: mm.pgd, entry: { lo: 0, hi: 0 } };
    if (rootLevel > 0) this.pt.walk(mm.pgd, 0, rootLevel, true, root);
    this.machine.mmu.setRoot(cpu, this.layout.hooks.root.encode(root.pa, rootLevel));
    return cpu;
  }

  // -- system calls -------------------------------------------------------------------

  /**
   * mmap(NULL, length, prot, flags, fd, offset). The address is chosen as ext4/xfs DAX do
   * (thp_get_unmapped_area, mm/huge_memory.c): pad the search by PMD_SIZE and place the
   * mapping so that address and file offset agree modulo PMD_SIZE, when the length allows a
   * huge page; otherwise a plain top-down search.
   */
  mmap(mm: Mm, name: string, file: DaxFile, offset: number, length: number, flags: VmFlags): Vma {
    const ps = this.pageSize;
    if (offset % ps !== 0) throw new KernelError(`offset ${offset} is not page aligned (EINVAL)`);
    if (length <= 0) throw new KernelError('length must be positive (EINVAL)');
    const len = Math.ceil(length / ps) * ps;
    if (flags.sync && !flags.shared) throw new KernelError('MAP_SYNC needs MAP_SHARED_VALIDATE (EOPNOTSUPP)');
    // do_mmap: MAP_SHARED_VALIDATE with a flag the file's f_op->mmap_supported_flags lacks
    if (flags.sync && !FS_RULES[file.fs].mapSync) throw new KernelError(`MAP_SYNC on ${file.fs} file ${file.name}: its file_operations support no MAP_SYNC (EOPNOTSUPP)`);
    const size = this.pmdSize;
    const offAlign = Math.ceil(offset / size) * size;
    const huge = offset + len > offAlign && offset + len - offAlign >= size;
    const pad = huge ? size : 0;
    let start = mm.mmapTop - len - pad;
    if (huge) start += (((offset - start) % size) + size) % size;
    if (start < ps) throw new KernelError('address space exhausted (ENOMEM)');
    mm.mmapTop = start;
    const vma: Vma = { mm, name, start, end: start + len, pgoff: offset / ps, flags, file, cowPages: new Map() };
    mm.vmas.push(vma);
    mm.vmas.sort((a, b) => a.start - b.start);
    file.mapping.iMmap.insert(vma.pgoff, vma.pgoff + len / ps - 1, vma);
    return vma;
  }

  /** munmap: zap the VMA's page-table entries (flushing TLBs), unlink it from i_mmap and the mm, free the page tables left empty. */
  munmap(vma: Vma): void {
    // the pieces a partial mprotect split the mapping into go with it (munmap of its whole range)
    for (const v of mappingPieces(vma)) if (v !== vma) this.unmapVma(v);
    this.unmapVma(vma);
  }

  private unmapVma(vma: Vma): void {
    zapVmaRange(this, vma, vma.start, vma.end);
    vma.file.mapping.iMmap.remove(vma.pgoff, vma);
    const vmas = vma.mm.vmas;
    const i = vmas.indexOf(vma);
    if (i >= 0) vmas.splice(i, 1);
    // unmap_region -> free_pgtables (mm/mmap.c): the page tables nothing else maps through go too,
    // bounded by the neighbouring VMAs (vmas stay sorted by start).
    const prev = i > 0 ? vmas[i - 1] : undefined;
    const next = i >= 0 ? vmas[i] : undefined;
    // The walk starts where createProcess put the hardware's root (s390: the region-third table).
    const rootLevel = this.layout.hooks.root.levelFor(this.layout.hooks.mmapBase);
    this.pt.freeRange(vma.mm.pgd, vma.start, vma.end, prev?.end ?? 0, next?.start ?? 0, rootLevel);
    for (const pa of vma.cowPages.values()) putAnonPage(this, pa);
    vma.cowPages.clear();
  }

  /**
   * madvise(addr, len, MADV_DONTNEED) over part of one VMA (mprotect.ts): addr page aligned
   * (EINVAL), len rounded up to a page (mm/madvise.c do_madvise: PAGE_ALIGN), the range inside
   * the VMA (daxsim's madvise does not cross VMAs).
   */
  madviseDontneed(vma: Vma, offset: number, length: number): void {
    runSteps(this.madviseDontneedSteps(vma, offset, length));
  }

  /** madvise dontneed as a task's path: a huge PMD's zap waits for its PMD lock (pmd-lock.ts). */
  *madviseDontneedSteps(vma: Vma, offset: number, length: number): Steps {
    const [start, end] = this.vmaRange(vma, offset, length, 'madvise');
    for (const v of mappingPieces(vma)) {
      const s = Math.max(start, v.start);
      const e = Math.min(end, v.end);
      if (s < e) yield* zapPmdRangeLocked(this, v, s, e, () => madviseDontneed(this, v, s, e));
    }
  }

  /** mprotect(addr, len, prot) over part or all of a mapping (mprotect.ts: split_vma where it covers part of a VMA). */
  mprotect(vma: Vma, offset: number, length: number, prot: Protection): void {
    const [start, end] = this.vmaRange(vma, offset, length, 'mprotect');
    mprotectRange(this, vma, start, end, prot);
  }

  /** [start, end) of `length` bytes at `offset` in the VMA, the length rounded up to a page, as madvise and mprotect take them. */
  private vmaRange(vma: Vma, offset: number, length: number, what: string): [number, number] {
    const ps = this.pageSize;
    if (offset % ps !== 0) throw new KernelError(`${what} offset ${offset} is not page aligned (EINVAL)`);
    const end = vma.start + offset + Math.ceil(length / ps) * ps;
    if (offset < 0 || length <= 0 || end > mappingEnd(vma)) throw new KernelError(`${what} range is outside mapping ${vma.name} (ENOMEM)`);
    return [vma.start + offset, end];
  }

  /**
   * fork(): dup_mmap (kernel/fork.c) into `child`, a new mm: each VMA copied (the child's
   * named `<child>.<name>`), linked into i_mmap next to its parent (vma_interval_tree_insert_after),
   * then copy_page_range only where vma_needs_copy (mm/memory.c) holds: a VMA with an anon_vma
   * (a private one that made a copy-on-write page) or VM_PFNMAP|VM_MIXEDMAP (virtiofs). ext4's
   * and xfs's DAX VMAs are neither (ext4_file_mmap sets VM_HUGEPAGE only), so the child starts
   * with no entries and faults them in. A private VMA's anonymous pages are shared,
   * write-protected in both, until a write copies them (fork.ts).
   */
  fork(parent: Mm, child: Mm): Vma[] {
    child.mmapTop = parent.mmapTop;
    const out: Vma[] = [];
    const copyOf = new Map<Vma, Vma>();
    for (const v of parent.vmas) {
      // a piece of a split mapping stays a piece of the child's copy of that mapping
      const origin = v.origin === undefined ? undefined : copyOf.get(v.origin);
      const vma: Vma = { mm: child, name: `${child.name}.${v.name}`, start: v.start, end: v.end, pgoff: v.pgoff, flags: v.flags, file: v.file, cowPages: new Map(), ...(origin !== undefined ? { origin } : {}) };
      copyOf.set(v, vma);
      child.vmas.push(vma);
      v.file.mapping.iMmap.insert(vma.pgoff, vma.pgoff + (vma.end - vma.start) / this.pageSize - 1, vma);
      if (origin === undefined) out.push(vma);
      copyPageRange(this, vma, v);
    }
    // dup_mmap ends with flush_tlb_mm(oldmm): the parent's write-protected PTEs
    flushTlbMm(this, parent, 'dup_mmap');
    return out;
  }

  /** exit_mmap (mm/mmap.c): every VMA unmapped (unmap_vmas), its page tables freed (free_pgtables), unlinked from i_mmap. */
  exitMmap(mm: Mm): void {
    while (mm.vmas.length > 0) this.unmapVma(mm.vmas[mm.vmas.length - 1]!);
  }

  /** fsync(fd): vfs_fsync_range over the whole file, on the calling process's CPU; the user's promise. */
  fsync(mm: Mm, file: DaxFile): void {
    runSteps(this.fsyncSteps(mm.cpu, file));
  }

  /** fsync as a task's path on `cpu`. */
  fsyncSteps(cpu: number, file: DaxFile): Steps {
    return vfsFsyncRangeSteps(this, cpu, file, 0, file.size, true);
  }

  /**
   * msync(addr, len, MS_SYNC) over part of a VMA (mm/msync.c ksys_msync): len is rounded up
   * to a whole page (`len = (len + ~PAGE_MASK) & PAGE_MASK`), then vfs_fsync_range of the file
   * range behind [start, min(end, vm_end)) for a VM_SHARED VMA. What the rounded pages hold
   * is promised, not only [offset, offset + length).
   */
  msync(vma: Vma, offset: number, length: number): void {
    runSteps(this.msyncSteps(vma, offset, length, vma.mm.cpu));
  }

  /** msync as a task's path on `cpu`. */
  *msyncSteps(vma: Vma, offset: number, length: number, cpu: number): Steps {
    const ps = this.pageSize;
    if (offset % ps !== 0) throw new KernelError(`msync offset ${offset} is not page aligned (EINVAL)`);
    const vmEnd = mappingEnd(vma);
    if (offset < 0 || length < 0 || vma.start + offset + length > vmEnd) throw new KernelError('msync range is outside the mapping (ENOMEM)');
    if (!vma.flags.shared) return; // msync of a private mapping writes nothing back
    const end = Math.min(vma.start + offset + Math.ceil(length / ps) * ps, vmEnd);
    const fstart = vma.pgoff * ps + offset;
    yield* vfsFsyncRangeSteps(this, cpu, vma.file, fstart, fstart + (end - vma.start - offset), true);
  }

  /** pwrite(fd, data, offset) on the calling process's CPU (rw.ts); ENOSPC when the device is full. */
  pwrite(mm: Mm, file: DaxFile, offset: number, data: Uint8Array): void {
    runSteps(this.pwriteSteps(mm.cpu, file, offset, data));
  }

  /** pwrite as a task's path on `cpu`. */
  *pwriteSteps(cpu: number, file: DaxFile, offset: number, data: Uint8Array): Steps {
    if (offset < 0 || offset + data.length > file.size) throw new KernelError(`pwrite [${offset}, ${offset + data.length}) is past the end of file ${file.name} (daxsim's pwrite does not extend files)`);
    const sem = inodeLock(this, file); // ext4_dax_write_iter: inode_lock
    yield* downWrite(this.tasks, sem);
    try {
      if (!(yield* daxIomapWriteSteps(this, cpu, file, offset, data))) throw new KernelError(`no space left on the pmem device (ENOSPC)`);
    } finally {
      writeUnlockBarrier(this, cpu); // inode_unlock's atomic RMW
      upWrite(this.tasks, sem);
    }
  }

  /** fallocate(fd, FALLOC_FL_ZERO_RANGE, offset, length) on the calling process's CPU (truncate.ts). */
  fallocateZero(mm: Mm, file: DaxFile, offset: number, length: number): void {
    runSteps(this.fallocateZeroSteps(mm.cpu, file, offset, length));
  }

  /** fallocate zero as a task's path on `cpu`: it may wait for the invalidate_lock and for pinned pages. */
  *fallocateZeroSteps(cpu: number, file: DaxFile, offset: number, length: number): Steps {
    if (offset < 0 || length <= 0 || offset + length > file.size) throw new KernelError(`fallocate zero [${offset}, ${offset + length}) is outside file ${file.name} (daxsim's fallocate does not extend files)`);
    yield* ext4ZeroRange(this, cpu, file, offset, length);
  }

  /** fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) on the calling process's CPU (truncate.ts). */
  fallocatePunch(mm: Mm, file: DaxFile, offset: number, length: number): void {
    runSteps(this.fallocatePunchSteps(mm.cpu, file, offset, length));
  }

  /** fallocate punch as a task's path on `cpu`. */
  *fallocatePunchSteps(cpu: number, file: DaxFile, offset: number, length: number): Steps {
    if (offset < 0 || length <= 0) throw new KernelError(`fallocate punch [${offset}, ${offset + length}) is not a range (EINVAL)`);
    yield* ext4PunchHole(this, cpu, file, offset, length);
  }

  /** truncate(path, size): ext4_setattr (truncate.ts); daxsim keeps i_size page aligned. */
  truncate(file: DaxFile, size: number): void {
    runSteps(this.truncateSteps(file, size));
  }

  /** truncate as a task's path. */
  *truncateSteps(file: DaxFile, size: number): Steps {
    if (size < 0 || size % this.pageSize !== 0) throw new KernelError(`truncate size ${size} is not a multiple of the page size (${this.pageSize}): daxsim keeps i_size page aligned`);
    yield* ext4Setattr(this, file, size);
  }

  /**
   * open(2) of `file` (no O_TRUNC) as a task's path: the filesystem's open; on virtiofs
   * invalidate_inode_pages2 of the whole mapping (fs.ts openInvalidates), which waits for
   * each locked DAX entry, under no lock of the inode.
   */
  *openSteps(file: DaxFile): Steps {
    const pages = Math.ceil(file.size / this.pageSize);
    // invalidate_inode_pages2_range returns at once when the mapping is empty (mapping_empty)
    if (!FS_RULES[file.fs].openInvalidates || file.mapping.entries.nrpages === 0 || pages === 0) return;
    yield* invalidateInodePages2Range(this, file, 0, pages - 1);
  }

  /** pread(fd, out, offset) on the calling process's CPU (rw.ts). */
  pread(mm: Mm, file: DaxFile, offset: number, out: Uint8Array): void {
    runSteps(this.preadSteps(mm.cpu, file, offset, out));
  }

  /** pread as a task's path on `cpu`: ext4_dax_read_iter holds i_rwsem shared, so it waits for a write(2). */
  *preadSteps(cpu: number, file: DaxFile, offset: number, out: Uint8Array): Steps {
    if (offset < 0 || offset + out.length > file.size) throw new KernelError(`pread [${offset}, ${offset + out.length}) is past the end of file ${file.name}`);
    const sem = inodeLock(this, file);
    yield* downRead(this.tasks, sem);
    try {
      daxIomapRead(this, cpu, file, offset, out);
    } finally {
      upRead(this.tasks, sem);
    }
  }

  // -- pins and DMA (gup.ts) ------------------------------------------------------------

  /** pin_user_pages(FOLL_WRITE) of the pages behind [offset, offset + length) of `vma`, as pin `name`. */
  pin(vma: Vma, name: string, offset: number, length: number): Pin {
    return runSteps(this.pinSteps(vma, name, offset, length));
  }

  /** pin as a task's path: its faults may stop at points or sleep. */
  *pinSteps(vma: Vma, name: string, offset: number, length: number): Steps<Pin> {
    if (!vma.mm.vmas.includes(vma)) throw new KernelError(`pin of mapping ${vma.name}, which was unmapped (EFAULT)`);
    if (offset < 0 || length <= 0 || offset + length > vma.end - vma.start) throw new KernelError(`pin [${offset}, ${offset + length}) is outside mapping ${vma.name} (EFAULT)`);
    // pin_user_pages_unlocked / _fast's slow path: mmap_read_lock around __get_user_pages
    const sem = mmapLock(this, vma.mm);
    yield* downRead(this.tasks, sem);
    try {
      return yield* pinUserPages(this, vma, name, offset, length);
    } finally {
      upRead(this.tasks, sem);
    }
  }

  /** A device store of `data` at byte `offset` of pin `pin`'s range. */
  dma(pin: Pin, offset: number, data: Uint8Array): void {
    if (offset < 0 || offset + data.length > pin.length) throw new KernelError(`dma [${offset}, ${offset + data.length}) is outside pin ${pin.name} (${pin.length} bytes)`);
    dmaWrite(this, pin, offset, data);
  }

  /** unpin_user_pages of pin `pin`. */
  unpin(pin: Pin): void {
    unpinUserPages(this, pin);
    this.tasks?.settle();
  }

  // -- user-space accesses ------------------------------------------------------------

  /** Stores `data` at `va` in `mm` through the MMU, taking faults as needed. */
  userWrite(mm: Mm, va: number, data: Uint8Array, cpu = mm.cpu): void {
    runSteps(this.userAccess(mm, va, data, Access.Write, cpu));
  }

  /** Loads `out.length` bytes at `va` through the MMU. */
  userRead(mm: Mm, va: number, out: Uint8Array, cpu = mm.cpu): void {
    runSteps(this.userAccess(mm, va, out, Access.Read, cpu));
  }

  /** clwb of every cache line of [va, va+len) from user space (translating as a load would). */
  userFlush(mm: Mm, va: number, len: number, cpu = mm.cpu): void {
    runSteps(this.userFlushSteps(mm, va, len, cpu));
  }

  *userFlushSteps(mm: Mm, va: number, len: number, cpu: number): Steps {
    const line = 64; // CLWB works on 64-byte lines (CPUID.01H:EBX[15:8] * 8, Intel SDM Vol. 2)
    for (let a = Math.floor(va / line) * line; a < va + len; a += line) {
      // the translation without a fault needs no path (no generator per cache line)
      let pa = this.machine.mmu.translate(cpu, a, Access.Read, true);
      if (pa < 0) pa = yield* this.translateUserSteps(mm, a, Access.Read, cpu, true);
      this.machine.cache.clwb(cpu, pa);
      const at = this.fileOffsetAt(pa);
      if (at !== undefined) this.events.userFlush?.(cpu, at.file, at.offset);
    }
  }

  userFence(mm: Mm, cpu = mm.cpu): void {
    this.machine.cache.sfence(cpu);
    this.events.userFence?.(cpu);
  }

  /** Stores or loads through the MMU on `cpu` (a task's path: the faults it takes may stop or sleep). */
  *userAccess(mm: Mm, va: number, buf: Uint8Array, access: Access, cpu = mm.cpu): Steps {
    const ps = this.pageSize;
    const write = access === Access.Write;
    let done = 0;
    while (done < buf.length) {
      const at = va + done;
      const n = Math.min(buf.length - done, ps - (at % ps));
      let pa = this.machine.mmu.translate(cpu, at, access, true);
      if (pa < 0) pa = yield* this.translateUserSteps(mm, at, access, cpu, true);
      const mem = this.machine.mem;
      if (mem.pmem.contains(pa, n)) {
        if (write) {
          this.machine.cache.store(cpu, pa, buf, done, n);
          const where = this.fileOffsetAt(pa);
          if (where !== undefined) this.events.fileStore?.(where.file, where.offset, n, cpu, buf, done);
        } else {
          this.machine.cache.load(cpu, pa, n, buf, done);
        }
      } else if (write) {
        mem.writeBytes(pa, buf, done, n);
      } else {
        mem.readBytes(pa, n, buf, done);
      }
      done += n;
    }
  }

  /** translate, handling faults as the CPU and kernel do: fault, fix up, retry the access. */
  translateUser(mm: Mm, va: number, access: Access, cpu = mm.cpu): number {
    return runSteps(this.translateUserSteps(mm, va, access, cpu));
  }

  /** translateUser as a task's path; `faulted`: the caller's own first attempt just faulted (mmu.lastFault holds it). */
  *translateUserSteps(mm: Mm, va: number, access: Access, cpu: number, faulted = false): Steps<number> {
    const mmu = this.machine.mmu;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0 || !faulted) {
        const pa = mmu.translate(cpu, va, access, true);
        if (pa >= 0) return pa;
      }
      yield* doUserAddrFault(this, mm, mmu.lastFault());
    }
    throw new FaultLivelock(`fault loop at 0x${va.toString(16)}: the fault handler did not make the access possible (${mmu.describeFault(mmu.lastFault())})`);
  }

  // -- helpers used by the kernel modules -------------------------------------------

}

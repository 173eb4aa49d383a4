// The library API: one emulated machine (an arch layout, physical memory, MMU with per-CPU
// TLBs, the pmem cache) running the kernel model, with the durability checker listening.
// The scenario runner and the CLI are built on it; users write their own fidelity tests
// with it (README, "Library").

import { mappingEnd } from '../kernel/mprotect.ts';
import type { FsName } from '../kernel/fs.ts';
import { findLayout, layouts } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { DurabilityChecker, type LostRange } from '../check/durability.ts';
import { BUG_LIBRARY, bugsOfStrategy, bugStrategy, resolveBug, type BugInfo } from '../kernel/bugs.ts';
import type { DaxEntry } from '../kernel/dax-entries.ts';
import type { KernelEvents } from '../kernel/events.ts';
import { resolvePmd, type PmdSetting } from '../kernel/kconfig.ts';
import { committedPa, forEachBlock, type DaxFile } from '../kernel/file.ts';
import { ALL_STRATEGIES, Kernel, type Counters, type DecodedEntry, type Strategy } from '../kernel/kernel.ts';
import type { Pin } from '../kernel/gup.ts';
import type { Mm, Vma } from '../kernel/mm.ts';
import { Access } from '../kernel/ports.ts';
import { runSteps, type Steps } from '../kernel/task.ts';
import { DEFAULT_KERNEL, isKernelVersion, KERNEL_RULES, KERNEL_VERSIONS, type KernelVersion } from '../kernel/versions.ts';
import { Machine, type Persistence } from '../machine/machine.ts';

// Kconfig (FS_DAX_PMD, FS_DAX_LIMITED, ZONE_DEVICE) is the kernel layer's: src/kernel/kconfig.ts.
export { resolvePmd, type PmdSetting } from '../kernel/kconfig.ts';

export interface SimulationOptions {
  /** Architecture layout name (`daxsim arches`); default x86_64. */
  arch?: string;
  /** Kernel version whose fault and writeback rules apply; default 6.1. */
  kernel?: KernelVersion;
  /** mkclean strategy; default the kernel's own (buggy on 5.17, range on 5.19 and 6.1). */
  mkclean?: Strategy;
  /**
   * `bug` switches (src/kernel/bugs.ts): library names or fix commits, each reverting one fix.
   * The mkclean ones choose the strategy unless `mkclean` is given.
   */
  bugs?: readonly string[];
  /** CONFIG_DEBUG_VM: VM_WARN_ON / VM_BUG_ON check (default false, as Debian 12's 6.1). */
  debugVm?: boolean;
  /** Persistence domain; default adr. */
  persistence?: Persistence;
  /** FS_DAX_PMD; `auto` follows Kconfig. Default auto. */
  pmd?: PmdSetting;
  /** CPUs (one per process); default 64. */
  cpus?: number;
  /** Size of the pmem device in bytes; default 1 TiB (sparse: only touched memory costs). */
  pmemBytes?: number;
  /** Per-CPU TLBs on (default) or off. */
  tlb?: boolean;
  /** Track the durability promise (default true; benchmarks turn it off). */
  check?: boolean;
  /**
   * Run on this thread's pooled machine for these options (Machine.reusable), reset to new,
   * instead of building one: for searches running many short simulations one after another.
   * The previous simulation on that machine must no longer be used. Default false.
   */
  reuseMachine?: boolean;
}

export interface MapOptions {
  offset: number;
  length: number;
  /** PROT_WRITE (default true). */
  write?: boolean;
  /** MAP_SHARED (default) or MAP_PRIVATE. */
  shared?: boolean;
  /** MAP_SYNC (default false). */
  sync?: boolean;
}

/** A page-table entry as the layout decodes it. */
export interface EntryView extends DecodedEntry {
  /** The raw 64-bit value in hex (CPU order). */
  raw: string;
}

export interface DaxEntryView {
  index: number;
  order: number;
  pfn: number;
  kind: string;
  locked: boolean;
  dirty: boolean;
  towrite: boolean;
}

export interface CrashResult {
  durable: boolean;
  lost: LostRange[];
}

export class SimulationError extends Error {}

/** The checker of the last simulation on each pooled machine: recycled when the machine is reused. */
const lastChecker = new WeakMap<Machine, DurabilityChecker>();

export class Simulation {
  readonly layout: Layout;
  readonly machine: Machine;
  readonly kernel: Kernel;
  readonly kernelVersion: KernelVersion;
  readonly strategy: Strategy;
  /** The `bug` switches in effect, in library order (src/kernel/bugs.ts). */
  readonly bugs: readonly string[];
  readonly persistence: Persistence;
  readonly fsDaxPmd: boolean;
  readonly pmdWhatIf: boolean;
  private readonly checker: DurabilityChecker | null;
  private nextWrite = 1;
  private crashed: CrashResult | null = null;

  constructor(opts: SimulationOptions = {}) {
    const archName = opts.arch ?? 'x86_64';
    const layout = findLayout(archName);
    if (layout === undefined) throw new SimulationError(`unknown arch '${archName}' (known: ${layouts.map((l) => l.name).join(', ')})`);
    const version = opts.kernel ?? DEFAULT_KERNEL;
    if (!isKernelVersion(version)) throw new SimulationError(`unknown kernel '${String(version)}' (known: ${KERNEL_VERSIONS.join(', ')})`);
    const rules = KERNEL_RULES[version];
    const bugs: BugInfo[] = [];
    for (const name of opts.bugs ?? []) {
      const b = resolveBug(name);
      if (typeof b === 'string') throw new SimulationError(b);
      if (!bugs.includes(b)) bugs.push(b);
    }
    const strategy = opts.mkclean ?? bugStrategy(bugs) ?? rules.mkclean;
    if (!ALL_STRATEGIES.includes(strategy)) throw new SimulationError(`unknown mkclean strategy '${String(strategy)}' (known: ${ALL_STRATEGIES.join(', ')})`);
    this.layout = layout;
    this.kernelVersion = version;
    this.strategy = strategy;
    // `mkclean buggy` is `bug seed-pte-in-pmd`, `mkclean pre-f729c8c9b24f` is `bug pmd-wrprotect`:
    // a strategy chosen explicitly is a switch too (a version's default is not).
    const names = new Set(bugs.map((b) => b.name));
    if (opts.mkclean !== undefined) for (const n of bugsOfStrategy(opts.mkclean)) names.add(n);
    this.bugs = BUG_LIBRARY.filter((b) => names.has(b.name)).map((b) => b.name);
    this.persistence = opts.persistence ?? 'adr';
    const pmd = resolvePmd(layout, opts.pmd ?? 'auto');
    this.fsDaxPmd = pmd.fsDaxPmd;
    this.pmdWhatIf = pmd.whatIf;
    const machineOpts = { layout, persistence: this.persistence, cpus: opts.cpus ?? 64, pmemBytes: opts.pmemBytes, tlb: opts.tlb };
    this.machine = opts.reuseMachine === true ? Machine.reusable(machineOpts) : new Machine(machineOpts);
    this.kernel = new Kernel(this.machine, { version, rules, strategy, fsDaxPmd: pmd.fsDaxPmd, pmdWhatIf: pmd.whatIf, bugs: this.bugs, debugVm: opts.debugVm === true });
    if (opts.check === false) {
      this.checker = null;
    } else {
      const ps = this.kernel.pageSize;
      this.checker = new DurabilityChecker((file, off) => committedPa(file, off, ps));
      if (opts.reuseMachine === true) {
        lastChecker.get(this.machine)?.recycle();
        lastChecker.set(this.machine, this.checker);
      }
      this.kernel.events = this.checker.events();
    }
  }

  /** Adds listeners for kernel events (trace, report) next to the checker's. */
  listen(extra: KernelEvents): void {
    const base = this.kernel.events;
    const merged: KernelEvents = { ...base };
    for (const key of Object.keys(extra) as Array<keyof KernelEvents>) {
      const a = base[key] as ((...args: unknown[]) => void) | undefined;
      const b = extra[key] as ((...args: unknown[]) => void) | undefined;
      if (b === undefined) continue;
      (merged as Record<string, unknown>)[key] = a === undefined ? b : (...args: unknown[]) => {
        a(...args);
        b(...args);
      };
    }
    this.kernel.events = merged;
  }

  get fsDaxLimited(): boolean {
    return this.layout.fsDaxLimited;
  }

  get pageSize(): number {
    return this.kernel.pageSize;
  }

  // -- building the scene --------------------------------------------------------------

  /** A file on the pmem device; `sparse`: every block a hole until a fault or write allocates it; `fs`: whose DAX rules apply (default ext4). */
  file(name: string, size: number, opts: { sparse?: boolean; fs?: FsName } = {}): DaxFile {
    this.live();
    return this.kernel.createFile(name, size, opts.sparse === true, opts.fs ?? 'ext4');
  }

  process(name: string): Process {
    this.live();
    if (this.cpusUsed >= this.machine.cpus) throw new SimulationError(`too many processes: the machine has ${this.machine.cpus} CPUs`);
    this.cpusUsed++;
    return new Process(this, this.kernel.createProcess(name));
  }

  private cpusUsed = 0;

  /** A thread of `proc` named `name`: the same mm on a CPU of its own (its own TLB). */
  thread(proc: Process, name: string): Process {
    this.live();
    if (this.cpusUsed >= this.machine.cpus) throw new SimulationError(`too many processes and threads: the machine has ${this.machine.cpus} CPUs`);
    this.cpusUsed++;
    return new Process(this, proc.mm, this.kernel.createThread(proc.mm), name);
  }

  /** A value unique to write number `w` at file offset `x`: 1 + (37w + x) mod 255, never 0. */
  patternFor(w: number, x: number): number {
    return 1 + ((w * 37 + x) % 255);
  }

  /**
   * A device store into pin `pin` (DMA, straight to pmem) of `length` bytes at byte `offset` of
   * its range: `byte` everywhere, or a value unique to this store at each pinned byte.
   */
  dma(pin: Pin, offset: number, length: number, byte?: number): void {
    this.live();
    const data = new Uint8Array(length);
    if (byte !== undefined) data.fill(byte);
    else {
      const w = this.takeWriteId();
      for (let i = 0; i < length; i++) data[i] = this.patternFor(w, offset + i);
    }
    this.kernel.dma(pin, offset, data);
  }

  /** unpin_user_pages of `pin`. */
  unpin(pin: Pin): void {
    this.live();
    this.kernel.unpin(pin);
  }

  /** @internal */
  takeWriteId(): number {
    return this.nextWrite++;
  }

  /** @internal */
  live(): void {
    if (this.crashed !== null) throw new SimulationError('the machine has crashed: only inspection is possible');
  }

  // -- crash and inspection ------------------------------------------------------------

  /**
   * Power fails. ADR: only what reached the persistence domain survives; eADR: the cache is
   * flushed. By default the worst case (no line evicted on its own); `allStates` checks every
   * state the cache model allows.
   */
  crash(opts: { allStates?: boolean } = {}): CrashResult {
    this.live();
    const image = this.machine.cache.crashImage();
    let lost: LostRange[] = [];
    if (this.checker !== null) {
      lost = opts.allStates === true
        ? this.checker.checkAllStates(image, this.machine.cache.uncertainLines(), this.kernel.files)
        : this.checker.check(image, this.kernel.files);
    }
    this.crashed = { durable: lost.length === 0, lost };
    return this.crashed;
  }

  get crashResult(): CrashResult | null {
    return this.crashed;
  }

  /** The bytes of `file` that survived the crash (worst case), or its current content before one. */
  fileBytes(file: DaxFile, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (this.crashed !== null) {
      const image = this.machine.cache.crashImage();
      for (let i = 0; i < length; i++) {
        const pa = committedPa(file, offset + i, this.pageSize);
        out[i] = pa < 0 ? 0 : image.readByte(pa);
      }
    } else {
      readFileNow(this.machine.cache, file, offset, length, out, this.pageSize);
    }
    return out;
  }

  /** What `proc`'s page tables hold for offset `offset` of mapping `vma`. */
  entry(proc: Process, vma: Vma, offset: number): EntryView {
    const e = this.kernel.entryFor(proc.mm, vma.start + offset);
    const raw = '0x' + ((BigInt(e.raw.hi) << 32n) | BigInt(e.raw.lo)).toString(16).padStart(16, '0');
    return { ...e, raw };
  }

  daxEntries(file: DaxFile): DaxEntryView[] {
    return file.mapping.entries.all().map((e: DaxEntry) => ({ index: e.index, order: e.order, pfn: e.pfn, kind: e.kind, locked: e.locked, dirty: e.dirty, towrite: e.towrite }));
  }

  faults(proc: Process): { read: number; write: number; wp: number } {
    return { ...this.kernel.faults.get(proc.mm)! };
  }

  counters(): Counters & { cache: Record<string, number>; mmu: Record<string, number> } {
    return { ...this.kernel.counters, cache: { ...this.machine.cache.counters }, mmu: this.machine.mmuCounters() };
  }
}

/** What the file holds now at [offset, offset + len): through the cache, zeros in holes. */
function readFileNow(cache: Machine['cache'], file: DaxFile, offset: number, len: number, out: Uint8Array, pageSize: number): void {
  if (file.blocks === undefined) {
    cache.load(0, file.phys + offset, len, out);
    return;
  }
  forEachBlock(file, offset, len, pageSize, (pa, done, n) => {
    if (pa < 0) out.fill(0, done, done + n);
    else cache.load(0, pa, n, out, done);
  });
}

export class Process {
  /** The CPU it runs on: the mm's own, or a thread's. */
  readonly cpu: number;
  private readonly threadName: string | undefined;

  constructor(
    readonly sim: Simulation,
    readonly mm: Mm,
    cpu?: number,
    threadName?: string,
  ) {
    this.cpu = cpu ?? mm.cpu;
    this.threadName = threadName;
  }

  get name(): string {
    return this.threadName ?? this.mm.name;
  }

  mmap(name: string, file: DaxFile, opts: MapOptions): Vma {
    this.sim.live();
    return this.sim.kernel.mmap(this.mm, name, file, opts.offset, opts.length, {
      read: true,
      write: opts.write ?? true,
      shared: opts.shared ?? true,
      sync: opts.sync ?? false,
    });
  }

  /** Stores `length` bytes at `offset` of `vma`: `byte` everywhere, or a value unique to this write. */
  write(vma: Vma, offset: number, length: number, byte?: number): void {
    runSteps(this.writeSteps(vma, offset, length, byte));
  }

  /** write() as a task's path (the faults it takes may stop at points or sleep). */
  writeSteps(vma: Vma, offset: number, length: number, byte?: number): Steps {
    this.sim.live();
    this.own(vma);
    const data = new Uint8Array(length);
    if (byte !== undefined) data.fill(byte);
    else {
      const w = this.sim.takeWriteId();
      const base = vma.pgoff * this.sim.pageSize + offset;
      for (let i = 0; i < length; i++) data[i] = this.sim.patternFor(w, base + i);
    }
    return this.sim.kernel.userAccess(this.mm, vma.start + offset, data, Access.Write, this.cpu);
  }

  read(vma: Vma, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    runSteps(this.readSteps(vma, offset, out));
    return out;
  }

  /** read() into `out` as a task's path. */
  readSteps(vma: Vma, offset: number, out: Uint8Array): Steps {
    this.sim.live();
    this.own(vma);
    return this.sim.kernel.userAccess(this.mm, vma.start + offset, out, Access.Read, this.cpu);
  }

  /** clwb of every line of [offset, offset+length) of `vma`. */
  flush(vma: Vma, offset: number, length: number): void {
    runSteps(this.flushSteps(vma, offset, length));
  }

  flushSteps(vma: Vma, offset: number, length: number): Steps {
    this.sim.live();
    this.own(vma);
    return this.sim.kernel.userFlushSteps(this.mm, vma.start + offset, length, this.cpu);
  }

  sfence(): void {
    this.sim.live();
    this.sim.kernel.userFence(this.mm, this.cpu);
  }

  /** write(2) of `length` bytes at `offset` of `file`: `byte` everywhere, or a value unique to this write. */
  pwrite(file: DaxFile, offset: number, length: number, byte?: number): void {
    runSteps(this.pwriteSteps(file, offset, length, byte));
  }

  pwriteSteps(file: DaxFile, offset: number, length: number, byte?: number): Steps {
    this.sim.live();
    const data = new Uint8Array(length);
    if (byte !== undefined) data.fill(byte);
    else {
      const w = this.sim.takeWriteId();
      for (let i = 0; i < length; i++) data[i] = this.sim.patternFor(w, offset + i);
    }
    return this.sim.kernel.pwriteSteps(this.cpu, file, offset, data);
  }

  /** fallocate(FALLOC_FL_ZERO_RANGE) of [offset, offset + length) of `file`. */
  fallocateZero(file: DaxFile, offset: number, length: number): void {
    runSteps(this.fallocateSteps('zero', file, offset, length));
  }

  /** fallocate(FALLOC_FL_PUNCH_HOLE) of [offset, offset + length) of `file`. */
  fallocatePunch(file: DaxFile, offset: number, length: number): void {
    runSteps(this.fallocateSteps('punch', file, offset, length));
  }

  /** fallocate zero or punch as this task's path: it may wait for the invalidate_lock or for pinned pages. */
  fallocateSteps(mode: 'zero' | 'punch', file: DaxFile, offset: number, length: number): Steps {
    this.sim.live();
    const k = this.sim.kernel;
    return mode === 'zero' ? k.fallocateZeroSteps(this.cpu, file, offset, length) : k.fallocatePunchSteps(this.cpu, file, offset, length);
  }

  /** madvise(MADV_DONTNEED) of [offset, offset + length) of mapping `vma`. */
  madviseDontneed(vma: Vma, offset: number, length: number): void {
    runSteps(this.madviseSteps(vma, offset, length));
  }

  madviseSteps(vma: Vma, offset: number, length: number): Steps {
    this.sim.live();
    return this.sim.kernel.madviseDontneedSteps(vma, offset, length);
  }

  /** mprotect of [offset, offset + length) of mapping `vma` (the whole mapping). */
  mprotect(vma: Vma, offset: number, length: number, prot: 'none' | 'ro' | 'rw'): void {
    this.sim.live();
    this.sim.kernel.mprotect(vma, offset, length, prot);
  }

  /** fork(): a new process `name` with copies of this one's mappings, returned (named `<name>.<mapping>`). */
  fork(name: string): { child: Process; vmas: Vma[] } {
    const child = this.sim.process(name);
    return { child, vmas: this.sim.kernel.fork(this.mm, child.mm) };
  }

  /** exit(): the mm torn down (exit_mmap). */
  exit(): void {
    this.sim.live();
    this.sim.kernel.exitMmap(this.mm);
  }

  /** pin_user_pages(FOLL_WRITE) of [offset, offset + length) of mapping `vma`: a pin named `name` (src/kernel/gup.ts). */
  pin(vma: Vma, offset: number, length: number, name: string): Pin {
    return runSteps(this.pinSteps(vma, offset, length, name));
  }

  pinSteps(vma: Vma, offset: number, length: number, name: string): Steps<Pin> {
    this.sim.live();
    this.own(vma);
    return this.sim.kernel.pinSteps(vma, name, offset, length);
  }

  /** open(2) of `file` (the descriptor is not kept: only what the open does to the mapping). */
  open(file: DaxFile): void {
    runSteps(this.openSteps(file));
  }

  openSteps(file: DaxFile): Steps {
    this.sim.live();
    return this.sim.kernel.openSteps(file);
  }

  /** truncate(2) of `file` to `size` bytes. */
  truncate(file: DaxFile, size: number): void {
    runSteps(this.truncateSteps(file, size));
  }

  truncateSteps(file: DaxFile, size: number): Steps {
    this.sim.live();
    return this.sim.kernel.truncateSteps(file, size);
  }

  /** read(2) of `length` bytes at `offset` of `file`. */
  pread(file: DaxFile, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    runSteps(this.preadSteps(file, offset, out));
    return out;
  }

  preadSteps(file: DaxFile, offset: number, out: Uint8Array): Steps {
    this.sim.live();
    return this.sim.kernel.preadSteps(this.cpu, file, offset, out);
  }

  fsync(file: DaxFile): void {
    runSteps(this.fsyncSteps(file));
  }

  fsyncSteps(file: DaxFile): Steps {
    this.sim.live();
    return this.sim.kernel.fsyncSteps(this.cpu, file);
  }

  msync(vma: Vma, offset = 0, length?: number): void {
    runSteps(this.msyncSteps(vma, offset, length));
  }

  msyncSteps(vma: Vma, offset = 0, length?: number): Steps {
    this.sim.live();
    this.own(vma);
    return this.sim.kernel.msyncSteps(vma, offset, length ?? mappingEnd(vma) - vma.start - offset, this.cpu);
  }

  munmap(vma: Vma): void {
    this.sim.live();
    this.own(vma);
    this.sim.kernel.munmap(vma);
  }

  private own(vma: Vma): void {
    if (vma.mm !== this.mm) throw new SimulationError(`mapping ${vma.name} belongs to ${vma.mm.name}, not ${this.mm.name}`);
    if (!this.mm.vmas.includes(vma)) throw new SimulationError(`mapping ${vma.name} was unmapped`);
  }
}

// Runs a parsed scenario on a Simulation and builds the report `run --json` prints (README, "JSON output"):
// {"arch","kernel","mkclean","persistence","fs_dax_limited","fs_dax_pmd","durable","lost","faults","expects",...}.
// An error the model raises as a refusal of the scenario (SimulationError, the kernel's
// KernelError for EINVAL-style refusals, a UserFault's SIGSEGV/SIGBUS) becomes a one-line
// InputError naming its line (exit 2); anything else is a daxsim bug, an InternalError naming
// the statement being run (exit 3).

import type { LostRange } from '../check/durability.ts';
import type { KernelEvents } from '../kernel/events.ts';
import { daxKconfig } from '../kernel/kconfig.ts';
import type { DaxFile } from '../kernel/file.ts';
import { ALL_STRATEGIES, FaultLivelock, KernelBug, KernelError, UserFault, type Strategy } from '../kernel/kernel.ts';
import type { Pin } from '../kernel/gup.ts';
import type { Vma } from '../kernel/mm.ts';
import { isFree, mmapLock } from '../kernel/locks.ts';
import { mergeTaskEvents, Scheduler, Task, WouldSleep, type Steps, type TaskEvents } from '../kernel/task.ts';
import { DEFAULT_KERNEL, isKernelVersion, KERNEL_RULES, KERNEL_VERSIONS, type KernelVersion } from '../kernel/versions.ts';
import type { Persistence } from '../machine/machine.ts';
import { Perm } from '../mmu/index.ts';
import { Simulation, SimulationError, type PmdSetting, type Process } from '../sim/simulation.ts';
import { InputError, InternalError } from './errors.ts';
import { compareBytes, describeLost } from './bytes.ts';
import { formatStmt } from './format.ts';
export { describeLost } from './bytes.ts';
import type { Guard, Outcome, Scenario, Stmt } from './parse.ts';
import { describeTask, isHung, MMAP_LOCK_OPS, settleWokenTasks, stateOf, STEP_OPS, taskPath, TASK_OPS, taskReports, type TaskReport } from './task-report.ts';
export type { TaskReport } from './task-report.ts';

/**
 * What the runner asks of a trace writer (src/scenario/trace.ts TraceRecorder implements it):
 * an interface here, so the runner does not import the writer that imports its report type.
 */
export interface StatementTracer {
  kernelEvents(sim: Simulation): KernelEvents;
  statement(line: number, text: string, tid: number, trackName: string, body: () => void): void;
  walks(tid: number, before: Record<string, number>, after: Record<string, number>): void;
  taskEvents?(): TaskEvents; // where tasks ran, paused, slept and woke (the task lanes)
}

export interface RunOptions {
  /** CLI overrides of the file's settings. */
  arch?: string;
  /** Kernel version (`--kernel`); overrides the file's `kernel` line. */
  kernel?: string;
  mkclean?: string;
  /** `--bug` switches, added to the file's `bug` lines. */
  bugs?: readonly string[];
  persistence?: Persistence;
  pmd?: PmdSetting;
  /** Check every crash state instead of the worst case. */
  allStates?: boolean;
  trace?: StatementTracer;
  /** Called after each statement (dumps, reports). */
  afterStatement?: (stmt: Stmt, sim: Simulation, names: RunNames) => void;
  /** Extra kernel event listeners (the HTML report), added before the first statement. */
  events?: KernelEvents;
  taskEvents?: TaskEvents; // task listeners (the HTML report's task lanes)
  /** Run on the thread's pooled machine (SimulationOptions.reuseMachine): for explore. */
  reuseMachine?: boolean;
}

export interface RunNames {
  readonly files: ReadonlyMap<string, DaxFile>;
  readonly procs: ReadonlyMap<string, Process>;
  readonly maps: ReadonlyMap<string, Vma>;
}

export interface ExpectResult {
  line: number;
  ok: boolean;
  text: string;
  /** What was found, when it differs. */
  actual?: string;
  /** `if bug` / `if fixed`: the run this expectation is for. */
  when?: Guard;
}

export interface RunReport {
  arch: string;
  /** The kernel version whose rules applied. */
  kernel: KernelVersion;
  mkclean: string;
  persistence: Persistence;
  fs_dax_limited: boolean;
  fs_dax_pmd: boolean;
  /** FS_DAX_PMD forced on where Kconfig does not allow it. */
  pmd_what_if: boolean;
  /** Kconfig cannot enable FS_DAX on this arch (riscv64, loongarch64 in 6.1): the whole DAX run is a what-if. */
  fs_dax_what_if: boolean;
  durable: boolean;
  lost: LostRange[];
  /** Line of the crash statement, or null when the run ended without one (then the report crashes at the end). */
  crash_line: number | null;
  faults: Record<string, { read: number; write: number; wp: number }>;
  expects: ExpectResult[];
  counters: ReturnType<Simulation['counters']>;
  /** The `bug` switches in effect (src/kernel/bugs.ts), in library order. */
  bugs: readonly string[];
  /** Guarded expectations for the other run (`if bug` in a fixed run, `if fixed` in a buggy one): evaluated, not counted. */
  expects_skipped: ExpectResult[];
  /** The kernel log (WARN/BUG lines). */
  dmesg: string[];
  /** Each process's and thread's task at the end: done, paused at a point, blocked on a lock (task.ts). */
  tasks: Record<string, TaskReport>;
}


function pickSetting<T extends string>(scn: Scenario, key: 'arch' | 'kernel' | 'mkclean' | 'persistence' | 'pmd', override: T | undefined, fallback: T): { value: T; where: string } {
  if (override !== undefined) return { value: override, where: `--${key}` };
  const v = scn.settings[key] as T | undefined;
  if (v !== undefined) return { value: v, where: `${scn.file}:${scn.settingLines[key]}` };
  return { value: fallback, where: `--${key}` };
}

export function buildSimulation(scn: Scenario, opts: RunOptions, cpus: number): Simulation {
  const arch = pickSetting(scn, 'arch', opts.arch, 'x86_64');
  const kernel = pickSetting<string>(scn, 'kernel', opts.kernel, DEFAULT_KERNEL);
  if (!isKernelVersion(kernel.value)) throw new InputError(kernel.where, `unknown kernel '${kernel.value}' (known: ${KERNEL_VERSIONS.join(', ')})`);
  // `kernel 5.17` implies `mkclean buggy` unless a mkclean line or option says otherwise.
  const mk = pickSetting<string>(scn, 'mkclean', opts.mkclean, KERNEL_RULES[kernel.value].mkclean);
  // A strategy given explicitly is a bug switch when it is one (mkclean buggy); the version's
  // default is not, and leaves the choice to the `bug` switches (src/kernel/bugs.ts bugStrategy).
  const explicitMkclean = opts.mkclean !== undefined || scn.settings.mkclean !== undefined;
  const bugs = [...(scn.bugs ?? []).map((b) => b.name), ...(opts.bugs ?? [])];
  const persistence = pickSetting<Persistence>(scn, 'persistence', opts.persistence, 'adr');
  const pmd = pickSetting<PmdSetting>(scn, 'pmd', opts.pmd, 'auto');
  if (!ALL_STRATEGIES.includes(mk.value as Strategy)) throw new InputError(mk.where, `unknown mkclean strategy '${mk.value}' (known: ${ALL_STRATEGIES.join(', ')})`);
  try {
    return new Simulation({ arch: arch.value, kernel: kernel.value, mkclean: explicitMkclean ? (mk.value as Strategy) : undefined, bugs, debugVm: scn.settings.debug_vm === 'on', persistence: persistence.value, pmd: pmd.value, cpus, reuseMachine: opts.reuseMachine });
  } catch (e) {
    if (e instanceof SimulationError) throw new InputError(arch.where, e.message);
    throw e;
  }
}

export function runScenario(scn: Scenario, opts: RunOptions = {}): RunReport {
  const procCount = scn.stmts.filter((s) => s.op === 'proc' || s.op === 'fork' || s.op === 'thread').length;
  const sim = buildSimulation(scn, opts, Math.max(1, procCount));
  const files = new Map<string, DaxFile>();
  const procs = new Map<string, Process>();
  const maps = new Map<string, Vma>();
  const pins = new Map<string, Pin>();
  const names: RunNames = { files, procs, maps };
  const expects: ExpectResult[] = [];
  const skipped: ExpectResult[] = [];
  let crashLine: number | null = null;
  if (opts.trace !== undefined) sim.listen(opts.trace.kernelEvents(sim));
  if (opts.events !== undefined) sim.listen(opts.events);
  const observe = observeFor(scn, sim);
  const bugOn = sim.bugs.length > 0;
  // Every process and thread is a task; a statement without `start` runs to its end unless it must sleep.
  const sched = new Scheduler();
  sim.kernel.tasks = sched;
  sched.events = mergeTaskEvents(opts.trace?.taskEvents?.(), opts.taskEvents);
  const tasks = new Map<string, Task>();
  const outcomes = new Map<Task, Outcome>();
  const addTask = (p: Process): void => void tasks.set(p.name, new Task(p.name, p.cpu));
  let last: Outcome = 'ok';
  const record = (s: { line: number; text: string; when?: Guard }, ok: boolean, actual: string): void => {
    const r: ExpectResult = { line: s.line, ok, text: s.text, ...(ok ? {} : { actual }), ...(s.when !== undefined ? { when: s.when } : {}) };
    if (s.when === undefined || (s.when === 'bug') === bugOn) expects.push(r);
    else skipped.push(r);
  };

  const exec = (s: Stmt): void => {
    switch (s.op) {
      case 'file':
        files.set(s.name, sim.file(s.name, s.size, { sparse: s.sparse === true, ...(s.fs !== undefined ? { fs: s.fs } : {}) }));
        return;
      case 'proc':
        procs.set(s.name, sim.process(s.name));
        addTask(procs.get(s.name)!);
        return;
      case 'thread':
        procs.set(s.name, sim.thread(procs.get(s.of)!, s.name));
        addTask(procs.get(s.name)!);
        return;
      case 'mmap':
        maps.set(s.name, procs.get(s.proc)!.mmap(s.name, files.get(s.file)!, { offset: s.offset, length: s.length, write: s.write, shared: s.shared, sync: s.sync }));
        return;
      case 'write':
        procs.get(s.proc)!.write(maps.get(s.map)!, s.offset, s.length, s.byte ?? undefined);
        return;
      case 'read':
        procs.get(s.proc)!.read(maps.get(s.map)!, s.offset, s.length);
        return;
      case 'flush':
        procs.get(s.proc)!.flush(maps.get(s.map)!, s.offset, s.length);
        return;
      case 'sfence':
        procs.get(s.proc)!.sfence();
        return;
      case 'fsync':
        procs.get(s.proc)!.fsync(files.get(s.file)!);
        return;
      case 'pwrite':
        procs.get(s.proc)!.pwrite(files.get(s.file)!, s.offset, s.length, s.byte ?? undefined);
        return;
      case 'pread':
        procs.get(s.proc)!.pread(files.get(s.file)!, s.offset, s.length);
        return;
      case 'fallocate':
        if (s.mode === 'punch') procs.get(s.proc)!.fallocatePunch(files.get(s.file)!, s.offset, s.length);
        else procs.get(s.proc)!.fallocateZero(files.get(s.file)!, s.offset, s.length);
        return;
      case 'truncate':
        procs.get(s.proc)!.truncate(files.get(s.file)!, s.size);
        return;
      case 'open':
        procs.get(s.proc)!.open(files.get(s.file)!);
        return;
      case 'fork': {
        const { child, vmas } = procs.get(s.proc)!.fork(s.child);
        procs.set(s.child, child);
        addTask(child);
        for (const v of vmas) maps.set(v.name, v);
        return;
      }
      case 'exit':
        procs.get(s.proc)!.exit();
        return;
      case 'madvise':
        procs.get(s.proc)!.madviseDontneed(maps.get(s.map)!, s.offset, s.length);
        return;
      case 'mprotect':
        procs.get(s.proc)!.mprotect(maps.get(s.map)!, s.offset, s.length, s.prot);
        return;
      case 'msync':
        procs.get(s.proc)!.msync(maps.get(s.map)!, s.offset, s.length ?? undefined);
        return;
      case 'munmap':
        procs.get(s.proc)!.munmap(maps.get(s.map)!);
        return;
      case 'dma':
        return sim.dma(pins.get(s.pin)!, s.offset, s.length, s.byte ?? undefined);
      case 'unpin':
        return sim.unpin(pins.get(s.pin)!);
      case 'crash':
        sim.crash({ allStates: opts.allStates });
        crashLine = s.line;
        return;
      case 'expect-durable': {
        const r = sim.crashResult!;
        const ok = s.lost ? !r.durable : r.durable;
        record(s, ok, r.durable ? 'durable' : `lost ${describeLost(r.lost)}`);
        return;
      }
      case 'expect-pte': {
        const vma = maps.get(s.map)!;
        const proc = procs.get(s.proc)!;
        const e = sim.entry(proc, vma, s.offset);
        const ok =
          e.present === s.present &&
          (s.write === null || e.write === s.write) &&
          (s.dirty === null || e.dirty === s.dirty) &&
          (s.level === null || e.level === s.level);
        const zero = e.present && sim.kernel.isZeroPfn(e.pfn);
        const actual = e.present ? `present ${e.write ? 'rw' : 'ro'} ${e.dirty ? 'dirty' : 'clean'} ${e.level}${zero ? ' zero' : ''}${e.protnone ? ' none' : ''}` : 'absent';
        record(s, ok && (s.zero !== true || zero) && (s.protnone !== true || e.protnone === true), actual);
        return;
      }
      case 'expect-entry': {
        const file = files.get(s.file)!;
        const e = file.mapping.entries.find(Math.floor(s.offset / sim.pageSize));
        const level = e === undefined ? null : e.order > 0 ? 'pmd' : 'pte';
        const ok =
          e === undefined
            ? s.kind === 'absent'
            : e.kind === s.kind && (s.level === null || level === s.level) && (s.dirty === null || e.dirty === s.dirty) && (!s.locked || e.locked);
        record(s, ok, e === undefined ? 'absent' : `${e.kind} ${level} ${e.dirty ? 'dirty' : 'clean'}${e.locked ? ' locked' : ''}`);
        return;
      }
      case 'expect-writeback': {
        const n = observe.lastWriteback.get(files.get(s.file)!);
        record(s, n === s.entries, n === undefined ? `no fsync or msync of ${s.file} yet` : `${n} entries`);
        return;
      }
      case 'expect-faults': {
        const f = sim.faults(procs.get(s.proc)!);
        record(s, f.read === s.read && f.write === s.write && f.wp === s.wp, `read ${f.read} write ${f.write} wp ${f.wp}`);
        return;
      }
      case 'expect-data': {
        const file = files.get(s.file)!;
        const got = sim.fileBytes(file, s.offset, s.length);
        const r = compareBytes(got, s.want, s.offset, () => sim.fileBytes(file, s.offset, s.length), observe.written(file, s.offset, s.length));
        record(s, r === null, r ?? '');
        return;
      }
      case 'expect-view': {
        const vma = maps.get(s.map)!;
        const got = procs.get(s.proc)!.read(vma, s.offset, s.length);
        const fileOffset = vma.pgoff * sim.pageSize + s.offset;
        const r = compareBytes(got, s.want, fileOffset, () => sim.fileBytes(vma.file, fileOffset, s.length), observe.written(vma.file, fileOffset, s.length));
        record(s, r === null, r ?? '');
        return;
      }
      case 'expect-last':
        record(s, last === s.outcome, last);
        return;
      case 'expect-dmesg': {
        const log = sim.kernel.log;
        const ok = s.contains === null ? !log.some((l) => /^(WARNING|BUG):/.test(l)) : log.some((l) => l.includes(s.contains!));
        record(s, ok, log.length === 0 ? 'an empty log' : log.join(' | '));
        return;
      }
      case 'expect-tlb': {
        // What the process's CPU would use for the page without walking: a stale entry counts.
        const proc = procs.get(s.proc)!;
        const t = sim.machine.hwMmu.tlbProbe(proc.cpu, maps.get(s.map)!.start + s.offset);
        const write = t !== null && (t.perms & Perm.W) !== 0;
        const dirty = t !== null && (t.perms & Perm.D) !== 0;
        const ok = (t !== null) === s.cached && (t === null || ((s.write === null || write === s.write) && (s.dirty === null || dirty === s.dirty)));
        const actual = t !== null ? `cached ${write ? 'rw' : 'ro'} ${dirty ? 'dirty' : 'clean'} (${t.pageSize / 1024}K page)` : 'empty';
        expects.push({ line: s.line, ok, text: s.text, ...(ok ? {} : { actual }) });
        return;
      }
      case 'expect-task': {
        const t = tasks.get(s.proc)!;
        const ok = s.state === 'done' ? t.state === 'done' || t.state === 'idle' : isHung(t, tasks.values());
        record(s, ok, describeTask(t, tasks.values()));
        return;
      }
    }
  };

  function* pinPath(name: string, path: Steps<Pin>): Steps { // names its pin once it has one
    pins.set(name, yield* path);
  }
  const pathOf = (s: Stmt): Steps => (s.op === 'pin' ? pinPath(s.pin, procs.get(s.proc)!.pinSteps(maps.get(s.map)!, s.offset, s.length, s.pin)) : taskPath(s, names, () => exec(s)));

  /**
   * Runs a task statement (plain, `start` or `resume`) until its task ends, pauses or sleeps;
   * an error of the statement itself is thrown here, as a plain statement's always was.
   */
  const runTask = (s: Stmt, where: string): void => {
    const proc = 'proc' in s ? s.proc : '';
    const task = tasks.get(proc)!;
    if (s.op === 'resume') {
      if (task.state !== 'paused') throw new InputError(where, `${proc} is not paused (${describeTask(task, tasks.values())}): only a task stopped at a point can resume`);
      sched.resume(task, s.line, s.until);
    } else {
      if (task.state === 'paused' || task.state === 'blocked') throw new InputError(where, `${proc} is ${describeTask(task, tasks.values())}: its statement on line ${task.line} has not finished (resume it, or wake it, first)`);
      // plain code (mmap, munmap, ...) cannot stop, and sleeps only on a busy mmap_lock
      if (!STEP_OPS.has(s.op) && !(MMAP_LOCK_OPS.has(s.op) && !isFree(mmapLock(sim.kernel, procs.get(proc)!.mm)))) return exec(s);
      const inner = s.op === 'start' ? s.stmt : s;
      sched.start(task, observe.wrap(inner, files, maps, pathOf(inner)), s.line, s.op === 'start' ? s.until : null);
    }
    // (read through a function: the checks above narrowed task.state, which the driver changed)
    if (stateOf(task) === 'blocked') last = 'blocked';
    const err = task.error;
    task.error = null;
    if (err !== null) throw err;
  };

  const settleWoken = (): void => settleWokenTasks(tasks.values(), outcomes, scn.file, outcomeOf);

  /** One statement: a task's through the driver, the scenario's own directly. */
  const runOne = (s: Stmt, where: string): void => {
    if (TASK_OPS.has(s.op)) runTask(s, where);
    else observe.run(s, files, maps, () => exec(s));
  };

  const stmts = scn.stmts;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    const where = `${scn.file}:${s.line}`;
    if (!s.op.startsWith('expect')) {
      // An outcome other than ok is an error of the scenario unless the next statement
      // expects it (`expect last`): then it is recorded and the run goes on.
      last = 'ok';
      if (stmts[i + 1]?.op === 'expect-last') {
        try {
          runOne(s, where);
        } catch (e) {
          const o = outcomeOf(e);
          if (o === null) throw e instanceof InputError ? e : new InputError(where, e instanceof Error ? e.message.split('\n')[0]! : String(e));
          last = o;
        }
        settleWoken();
        opts.afterStatement?.(s, sim, names);
        continue;
      }
    }
    try {
      if (opts.trace !== undefined) {
        const proc = 'proc' in s ? procs.get(s.proc) : undefined;
        const tid = proc !== undefined ? proc.cpu + 1 : 0;
        const before = sim.machine.mmuCounters();
        opts.trace.statement(s.line, statementText(s), tid, proc !== undefined ? `${proc.name} (cpu ${proc.cpu})` : 'kernel / machine', () => runOne(s, where));
        opts.trace.walks(tid, before, sim.machine.mmuCounters());
      } else {
        runOne(s, where);
      }
      settleWoken();
      opts.afterStatement?.(s, sim, names);
    } catch (e) {
      if (e instanceof InputError || e instanceof InternalError) throw e;
      // A kernel BUG is the kernel's outcome, not the scenario's error: logged (dmesg), the
      // statement ends there, and the run goes on as the rest of the machine would.
      if (e instanceof KernelBug) {
        last = 'bug';
        continue;
      }
      if (e instanceof SimulationError || e instanceof KernelError || e instanceof UserFault || e instanceof WouldSleep) throw new InputError(where, e.message.split('\n')[0]!);
      throw new InternalError(`${where} (${statementText(s)})`, e);
    }
  }
  // A `start ... until` or `resume until` whose statement ended without passing its point.
  const missed = sched.missed[0];
  if (missed !== undefined) throw new InputError(`${scn.file}:${missed.line}`, `${missed.task} never reached 'until ${missed.until.when} ${missed.until.point}': its statement ended without passing that point`);
  sim.kernel.tasks = null;

  const result = sim.crashResult ?? sim.crash({ allStates: opts.allStates });
  const faults: RunReport['faults'] = {};
  for (const [n, p] of procs) faults[n] = sim.faults(p);
  return {
    arch: sim.layout.name,
    kernel: sim.kernelVersion,
    mkclean: sim.strategy,
    persistence: sim.persistence,
    fs_dax_limited: sim.fsDaxLimited,
    fs_dax_pmd: sim.fsDaxPmd,
    pmd_what_if: sim.pmdWhatIf,
    fs_dax_what_if: !daxKconfig(sim.layout).fsDax,
    durable: result.durable,
    lost: result.lost,
    crash_line: crashLine,
    faults,
    expects,
    counters: sim.counters(),
    bugs: sim.bugs,
    expects_skipped: skipped,
    dmesg: [...sim.kernel.log],
    tasks: taskReports(tasks, outcomes),
  };
}



/** What a statement's error means as an outcome (`expect last`), or null for an error of the scenario. */
function outcomeOf(e: unknown): Outcome | null {
  if (e instanceof UserFault) return e.signal;
  if (e instanceof FaultLivelock) return 'livelock';
  if (e instanceof KernelBug) return 'bug';
  if (e instanceof KernelError) {
    const m = /\((E[A-Z]+)\)/.exec(e.message);
    if (m !== null && (m[1] === 'EINVAL' || m[1] === 'EBUSY')) return m[1];
  }
  return null;
}

/**
 * What some expectations need recorded while the scenario runs, listened for only when the
 * scenario has such an expectation (so other runs' counters and events stay as they were):
 * the bytes each file last received from a store (`written`), and how many DAX entries the
 * last fsync/msync of each file wrote back (`expect writeback`).
 */
interface Observer {
  readonly lastWriteback: Map<DaxFile, number>;
  /** The bytes last stored at [offset, offset + length) of the file (zeros where nothing was). */
  written(file: DaxFile, offset: number, length: number): Uint8Array;
  /** Runs one statement, counting the writebacks of an fsync/msync. */
  run(s: Stmt, files: ReadonlyMap<string, DaxFile>, maps: ReadonlyMap<string, Vma>, body: () => void): void;
  /** The same around a task's path, which may pause in between. */
  wrap(s: Stmt, files: ReadonlyMap<string, DaxFile>, maps: ReadonlyMap<string, Vma>, path: Steps): Steps;
}

function observeFor(scn: Scenario, sim: Simulation): Observer {
  const wantsWritten = scn.stmts.some((s) => (s.op === 'expect-data' || s.op === 'expect-view') && s.want.kind === 'written');
  const wantsWriteback = scn.stmts.some((s) => s.op === 'expect-writeback');
  const chunk = 4096; // the shadow's granularity, not a page size
  const shadow = new Map<DaxFile, Map<number, Uint8Array>>();
  const lastWriteback = new Map<DaxFile, number>();
  const written = new Map<DaxFile, number>();
  const syncedFile = (s: Stmt, files: ReadonlyMap<string, DaxFile>, maps: ReadonlyMap<string, Vma>): DaxFile | undefined =>
    !wantsWriteback ? undefined : s.op === 'fsync' ? files.get(s.file) : s.op === 'msync' ? maps.get(s.map)?.file : undefined;
  if (wantsWritten) {
    sim.listen({
      fileStore(file, offset, len) {
        const bytes = sim.fileBytes(file, offset, len);
        let pages = shadow.get(file);
        if (pages === undefined) shadow.set(file, (pages = new Map()));
        for (let i = 0; i < len; i++) {
          const at = offset + i;
          const key = Math.floor(at / chunk);
          let page = pages.get(key);
          if (page === undefined) pages.set(key, (page = new Uint8Array(chunk)));
          page[at - key * chunk] = bytes[i]!;
        }
      },
    });
  }
  if (wantsWriteback) {
    sim.listen({
      writeback(file) {
        written.set(file, (written.get(file) ?? 0) + 1);
      },
    });
  }
  return {
    lastWriteback,
    written(file, offset, length) {
      const out = new Uint8Array(length);
      const pages = shadow.get(file);
      if (pages === undefined) return out;
      for (let i = 0; i < length; i++) {
        const at = offset + i;
        const page = pages.get(Math.floor(at / chunk));
        if (page !== undefined) out[i] = page[at % chunk]!;
      }
      return out;
    },
    run(s, files, maps, body) {
      const file = syncedFile(s, files, maps);
      if (file === undefined) return body();
      const before = written.get(file) ?? 0;
      body();
      lastWriteback.set(file, (written.get(file) ?? 0) - before);
    },
    wrap(s, files, maps, path) {
      const file = syncedFile(s, files, maps);
      return file === undefined ? path : counted(file, path);
    },
  };
  function* counted(file: DaxFile, path: Steps): Steps {
    const before = written.get(file) ?? 0;
    yield* path;
    lastWriteback.set(file, (written.get(file) ?? 0) - before);
  }
}

/** How many words of a statement name it in a trace slice or an internal error (an expect: all of it). */
const LABEL_WORDS: Readonly<Record<Stmt['op'], number>> = {
  file: 2,
  proc: 2,
  mmap: 3,
  write: 3,
  read: 3,
  flush: 3,
  sfence: 2,
  fsync: 3,
  msync: 3,
  munmap: 3,
  pin: 3, dma: 2, unpin: 2, poison: 3,
  pwrite: 3,
  pread: 3,
  fallocate: 3,
  truncate: 3,
  open: 3,
  fork: 3,
  exit: 2,
  madvise: 3,
  mprotect: 3,
  crash: 1,
  thread: 4,
  start: 4,
  resume: 2,
  'expect-task': Infinity,
  'expect-durable': Infinity,
  'expect-pte': Infinity,
  'expect-tlb': Infinity,
  'expect-entry': Infinity,
  'expect-writeback': Infinity,
  'expect-faults': Infinity,
  'expect-data': Infinity,
  'expect-view': Infinity,
  'expect-last': Infinity,
  'expect-dmesg': Infinity,
};

/** A statement's short name: `A write a`, `file F`, or an expect's whole text. */
function statementText(s: Stmt): string {
  return formatStmt(s).split(' ').slice(0, LABEL_WORDS[s.op]).join(' ');
}

/** Exit status of `run`: 1 if an expect failed, or if data was lost and the scenario did not say `expect lost`. */
export function runExitCode(r: RunReport): number {
  if (r.expects.some((e) => !e.ok)) return 1;
  // A guarded `if bug expect lost` counts as saying so too, for either run of its file.
  const hasDurabilityExpect = [...r.expects, ...(r.expects_skipped ?? [])].some((e) => /^expect (durable|lost)$/.test(e.text));
  if (!hasDurabilityExpect && !r.durable) return 1;
  return 0;
}

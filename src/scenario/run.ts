// Runs a parsed scenario on a Simulation and builds the report `run --json` prints (README, "JSON output"):
// {"arch","kernel","mkclean","persistence","fs_dax_limited","fs_dax_pmd","durable","lost","faults","expects",...}.
// An error the model raises as a refusal of the scenario (SimulationError, the kernel's
// KernelError for EINVAL-style refusals, a UserFault's SIGSEGV/SIGBUS) becomes a one-line
// InputError naming its line (exit 2); anything else is a daxsim bug, an InternalError naming
// the statement being run (exit 3).

import { InternalError } from '../cli/errors.ts';
import type { LostRange } from '../check/durability.ts';
import type { KernelEvents } from '../kernel/events.ts';
import { daxKconfig } from '../kernel/kconfig.ts';
import type { DaxFile } from '../kernel/file.ts';
import { ALL_STRATEGIES, KernelError, UserFault, type Strategy } from '../kernel/kernel.ts';
import type { Vma } from '../kernel/mm.ts';
import { DEFAULT_KERNEL, isKernelVersion, KERNEL_RULES, KERNEL_VERSIONS, type KernelVersion } from '../kernel/versions.ts';
import type { Persistence } from '../machine/machine.ts';
import { Simulation, SimulationError, type PmdSetting, type Process } from '../sim/simulation.ts';
import { InputError } from './errors.ts';
import type { Scenario, Stmt } from './parse.ts';

/**
 * What the runner asks of a trace writer (src/scenario/trace.ts TraceRecorder implements it):
 * an interface here, so the runner does not import the writer that imports its report type.
 */
export interface StatementTracer {
  kernelEvents(): KernelEvents;
  statement(line: number, text: string, tid: number, trackName: string, body: () => void): void;
  walks(tid: number, before: Record<string, number>, after: Record<string, number>): void;
}

export interface RunOptions {
  /** CLI overrides of the file's settings. */
  arch?: string;
  /** Kernel version (`--kernel`); overrides the file's `kernel` line. */
  kernel?: string;
  mkclean?: string;
  persistence?: Persistence;
  pmd?: PmdSetting;
  /** Check every crash state instead of the worst case. */
  allStates?: boolean;
  trace?: StatementTracer;
  /** Called after each statement (dumps, reports). */
  afterStatement?: (stmt: Stmt, sim: Simulation, names: RunNames) => void;
  /** Extra kernel event listeners (the HTML report), added before the first statement. */
  events?: KernelEvents;
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
  const persistence = pickSetting<Persistence>(scn, 'persistence', opts.persistence, 'adr');
  const pmd = pickSetting<PmdSetting>(scn, 'pmd', opts.pmd, 'auto');
  if (!ALL_STRATEGIES.includes(mk.value as Strategy)) throw new InputError(mk.where, `unknown mkclean strategy '${mk.value}' (known: ${ALL_STRATEGIES.join(', ')})`);
  try {
    return new Simulation({ arch: arch.value, kernel: kernel.value, mkclean: mk.value as Strategy, persistence: persistence.value, pmd: pmd.value, cpus, reuseMachine: opts.reuseMachine });
  } catch (e) {
    if (e instanceof SimulationError) throw new InputError(arch.where, e.message);
    throw e;
  }
}

export function runScenario(scn: Scenario, opts: RunOptions = {}): RunReport {
  const procCount = scn.stmts.filter((s) => s.op === 'proc').length;
  const sim = buildSimulation(scn, opts, Math.max(1, procCount));
  const files = new Map<string, DaxFile>();
  const procs = new Map<string, Process>();
  const maps = new Map<string, Vma>();
  const names: RunNames = { files, procs, maps };
  const expects: ExpectResult[] = [];
  let crashLine: number | null = null;
  if (opts.trace !== undefined) sim.listen(opts.trace.kernelEvents());
  if (opts.events !== undefined) sim.listen(opts.events);

  const exec = (s: Stmt): void => {
    switch (s.op) {
      case 'file':
        files.set(s.name, sim.file(s.name, s.size));
        return;
      case 'proc':
        procs.set(s.name, sim.process(s.name));
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
      case 'msync':
        procs.get(s.proc)!.msync(maps.get(s.map)!, s.offset, s.length ?? undefined);
        return;
      case 'munmap':
        procs.get(s.proc)!.munmap(maps.get(s.map)!);
        return;
      case 'crash':
        sim.crash({ allStates: opts.allStates });
        crashLine = s.line;
        return;
      case 'expect-durable': {
        const r = sim.crashResult!;
        const ok = s.lost ? !r.durable : r.durable;
        expects.push({ line: s.line, ok, text: s.text, ...(ok ? {} : { actual: r.durable ? 'durable' : `lost ${describeLost(r.lost)}` }) });
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
        const actual = e.present ? `present ${e.write ? 'rw' : 'ro'} ${e.dirty ? 'dirty' : 'clean'} ${e.level}` : 'absent';
        expects.push({ line: s.line, ok, text: s.text, ...(ok ? {} : { actual }) });
        return;
      }
    }
  };

  for (const s of scn.stmts) {
    const where = `${scn.file}:${s.line}`;
    try {
      if (opts.trace !== undefined) {
        const proc = 'proc' in s ? procs.get(s.proc) : undefined;
        const tid = proc !== undefined ? proc.mm.cpu + 1 : 0;
        const before = sim.machine.mmuCounters();
        opts.trace.statement(s.line, statementText(s), tid, proc !== undefined ? `${proc.name} (cpu ${proc.mm.cpu})` : 'kernel / machine', () => exec(s));
        opts.trace.walks(tid, before, sim.machine.mmuCounters());
      } else {
        exec(s);
      }
      opts.afterStatement?.(s, sim, names);
    } catch (e) {
      if (e instanceof InputError || e instanceof InternalError) throw e;
      if (e instanceof SimulationError || e instanceof KernelError || e instanceof UserFault) throw new InputError(where, e.message.split('\n')[0]!);
      throw new InternalError(`${where} (${statementText(s)})`, e);
    }
  }

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
  };
}

export function describeLost(lost: readonly LostRange[]): string {
  const total = lost.reduce((a, r) => a + r.length, 0);
  const parts = lost.slice(0, 4).map((r) => `${r.file}[0x${r.offset.toString(16)}+${r.length}]`);
  return `${total} bytes: ${parts.join(', ')}${lost.length > 4 ? ', ...' : ''}`;
}

function statementText(s: Stmt): string {
  switch (s.op) {
    case 'file':
      return `file ${s.name}`;
    case 'proc':
      return `proc ${s.name}`;
    case 'mmap':
      return `${s.proc} mmap ${s.name}`;
    case 'sfence':
      return `${s.proc} sfence`;
    case 'fsync':
      return `${s.proc} fsync ${s.file}`;
    case 'crash':
      return 'crash';
    case 'expect-durable':
    case 'expect-pte':
      return s.text;
    default:
      return `${s.proc} ${s.op} ${s.map}`;
  }
}

/** Exit status of `run`: 1 if an expect failed, or if data was lost and the scenario did not say `expect lost`. */
export function runExitCode(r: RunReport): number {
  if (r.expects.some((e) => !e.ok)) return 1;
  const hasDurabilityExpect = r.expects.some((e) => /^expect (durable|lost)$/.test(e.text));
  if (!hasDurabilityExpect && !r.durable) return 1;
  return 0;
}

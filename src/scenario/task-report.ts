// The runner's view of tasks (src/kernel/task.ts): which statements run as a task's path, when
// a sleeping task is a hang, and each task's state as `run --json` reports it ("tasks").

import { KernelError, UserFault } from '../kernel/kernel.ts';
import { downRead, downWrite, mmapLock, upRead, upWrite } from '../kernel/locks.ts';
import { WouldSleep, type Steps, type Task } from '../kernel/task.ts';
import { memoryFailureSteps } from '../kernel/memory-failure.ts';
import type { DaxFile } from '../kernel/file.ts';
import type { Vma } from '../kernel/mm.ts';
import { SimulationError, type Process } from '../sim/simulation.ts';
import { InputError, InternalError } from './errors.ts';
import type { Outcome, Stmt } from './parse.ts';

export interface TaskReport {
  state: 'idle' | 'done' | 'paused' | 'blocked';
  /** The line of its last statement. */
  line: number;
  /** Where it is paused: `before insert_pfn`. */
  at?: string;
  /** What it sleeps on, while blocked. */
  waiting_for?: string;
  /** Blocked with no task paused that could go on and wake it. */
  hang?: boolean;
  /** How its last statement ended, when not ok (SIGBUS, EINVAL, ...), if it ended while another statement ran. */
  outcome?: Outcome;
}

/** Statements a process or thread runs (as its task's path); the rest are the scenario's own. */
export const TASK_OPS: ReadonlySet<Stmt['op']> = new Set(['mmap', 'write', 'read', 'flush', 'sfence', 'fsync', 'msync', 'munmap', 'pwrite', 'pread', 'fallocate', 'truncate', 'open', 'fork', 'exit', 'madvise', 'mprotect', 'start', 'resume', 'pin', 'poison']);
/** The task statements whose path can stop at a point or sleep; the others are plain code. */
export const STEP_OPS: ReadonlySet<Stmt['op']> = new Set(['write', 'read', 'flush', 'fsync', 'msync', 'pwrite', 'pread', 'start', 'resume', 'fallocate', 'truncate', 'open', 'madvise', 'pin', 'poison']);

/** A statement of a task, whose body is ordinary code: one step, no point. */
export function* syncPath(body: () => void): Steps {
  body();
}

export function stateOf(t: Task): Task['state'] {
  return t.state;
}

/** Whether `t` sleeps with no task left that could run and wake it (every other one done, idle or asleep). */
export function isHung(t: Task, all: Iterable<Task>): boolean {
  if (t.state !== 'blocked') return false;
  for (const o of all) if (o.state === 'paused' || o.state === 'running') return false;
  return true;
}

export function taskReports(tasks: ReadonlyMap<string, Task>, outcomes: ReadonlyMap<Task, Outcome>): Record<string, TaskReport> {
  const out: Record<string, TaskReport> = {};
  for (const [name, t] of tasks) {
    const state = t.state === 'running' ? 'paused' : t.state;
    const r: TaskReport = { state, line: t.line };
    if (t.pausedAt !== null) r.at = `${t.pausedAt.when} ${t.pausedAt.point}`;
    if (t.waiter !== null) {
      r.waiting_for = t.waiter.what;
      r.hang = isHung(t, tasks.values());
    }
    const o = outcomes.get(t);
    if (o !== undefined) r.outcome = o;
    out[name] = r;
  }
  return out;
}

/** A task's state in words: `paused before insert_pfn (line 7)`, `blocked on DAX entry F[0x0]`. */
export function describeTask(t: Task, all: Iterable<Task>): string {
  if (t.state === 'paused') return `paused ${t.pausedAt!.when} ${t.pausedAt!.point} (line ${t.line})`;
  if (t.state === 'blocked') return `blocked on ${t.waiter!.what} (line ${t.line})${isHung(t, all) ? ', and no task can wake it' : ''}`;
  return t.state === 'idle' ? 'idle' : `done (line ${t.line})`;
}

/**
 * Errors of tasks that ran woken during another statement: an outcome (SIGBUS, EINVAL, ...) is
 * kept for the report; anything else is the scenario's error at the task's own line, or a
 * daxsim bug.
 */
export function settleWokenTasks(tasks: Iterable<Task>, outcomes: Map<Task, Outcome>, file: string, outcomeOf: (e: unknown) => Outcome | null): void {
  for (const t of tasks) {
    if (t.error === null) continue;
    const err = t.error;
    t.error = null;
    const o = outcomeOf(err);
    if (o !== null) {
      outcomes.set(t, o);
      continue;
    }
    const at = `${file}:${t.line}`;
    if (err instanceof InputError || err instanceof InternalError) throw err;
    if (err instanceof SimulationError || err instanceof KernelError || err instanceof UserFault || err instanceof WouldSleep) throw new InputError(at, err.message.split('\n')[0]!);
    throw new InternalError(`${at} (${t.name}, woken)`, err);
  }
}

/** P's statement `s` as a kernel path: step by step where it can stop or sleep, else `plain` in one step. */
export function taskPath(s: Stmt, n: { files: ReadonlyMap<string, DaxFile>; procs: ReadonlyMap<string, Process>; maps: ReadonlyMap<string, Vma> }, plain: () => void): Steps {
  switch (s.op) {
    case 'write':
      return n.procs.get(s.proc)!.writeSteps(n.maps.get(s.map)!, s.offset, s.length, s.byte ?? undefined);
    case 'read':
      return n.procs.get(s.proc)!.readSteps(n.maps.get(s.map)!, s.offset, new Uint8Array(s.length));
    case 'flush':
      return n.procs.get(s.proc)!.flushSteps(n.maps.get(s.map)!, s.offset, s.length);
    case 'fsync':
      return n.procs.get(s.proc)!.fsyncSteps(n.files.get(s.file)!);
    case 'msync':
      return n.procs.get(s.proc)!.msyncSteps(n.maps.get(s.map)!, s.offset, s.length ?? undefined);
    case 'pwrite':
      return n.procs.get(s.proc)!.pwriteSteps(n.files.get(s.file)!, s.offset, s.length, s.byte ?? undefined);
    case 'pread':
      return n.procs.get(s.proc)!.preadSteps(n.files.get(s.file)!, s.offset, new Uint8Array(s.length));
    case 'fallocate':
      return n.procs.get(s.proc)!.fallocateSteps(s.mode, n.files.get(s.file)!, s.offset, s.length);
    case 'truncate':
      return n.procs.get(s.proc)!.truncateSteps(n.files.get(s.file)!, s.size);
    case 'open':
      return n.procs.get(s.proc)!.openSteps(n.files.get(s.file)!);
    case 'poison': {
      const p = n.procs.get(s.proc)!;
      return memoryFailureSteps(p.sim.kernel, p.mm, p.cpu, n.files.get(s.file)!, s.offset);
    }
    case 'madvise':
      // mmap_lock shared, then zap_pmd_range, which may wait for a PMD lock (pmd-lock.ts)
      return underMmapLock(n.procs.get(s.proc)!, true, n.procs.get(s.proc)!.madviseSteps(n.maps.get(s.map)!, s.offset, s.length));
    case 'mmap':
    case 'munmap':
    case 'mprotect':
    case 'fork':
    case 'exit':
      return underMmapLock(n.procs.get(s.proc)!, false, syncPath(plain));
    default:
      return syncPath(plain);
  }
}

/** The statements that take `proc`'s mmap_lock (locks.ts mmapLock): MADV_DONTNEED shared, the others exclusive. */
export const MMAP_LOCK_OPS: ReadonlySet<Stmt['op']> = new Set(['mmap', 'munmap', 'mprotect', 'fork', 'exit', 'madvise']);

function* underMmapLock(proc: Process, shared: boolean, path: Steps): Steps {
  const k = proc.sim.kernel;
  const sem = mmapLock(k, proc.mm);
  yield* shared ? downRead(k.tasks, sem) : downWrite(k.tasks, sem);
  try {
    yield* path;
  } finally {
    if (shared) upRead(k.tasks, sem);
    else upWrite(k.tasks, sem);
  }
}

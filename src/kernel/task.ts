// Tasks: the kernel paths a statement runs, as generators that stop at named points and sleep
// on wait queues, and the one driver that interleaves them (the scheduler of this model).
//
// API for kernel code (stable: other modules build on it):
// - A kernel path that contains a point or may sleep is a generator function returning
//   `Steps<T>` (`function* f(k: KernelContext, ...): Steps<T>`); it calls others of its kind
//   with `yield*`, and plain functions as before. The hardware walk, the TLB and the cache
//   stay synchronous and never yield.
// - A point: `yield BEFORE.insert_pfn` just before the kernel step and `yield AFTER.insert_pfn`
//   right after it (POINTS lists the names; each exists in every kernel variant). Nothing the
//   path holds in `k.scratch` may be live across a yield: re-read entries after one.
// - Sleeping: build a `Waiter` with `prepareToWait` / `prepareToWaitExclusive` on a
//   `WaitQueue` (waitqueue.ts) or take a lock that does so (locks.ts, entry-lock.ts), then
//   `yield waiter`; the path resumes only once something woke the waiter, and re-checks its
//   condition as the kernel's wait loops do (`for (;;) { ...; schedule(); }`).
// - Waking: `wakeUp(queue, nrExclusive, key)` (waitqueue.ts) marks the waiters and tells the
//   driver through `Waiter.owner`; a woken task runs at the end of the waking step (the
//   waker's next yield or its end), to completion or the point its `until` names.
// - Outside a task (the library API, the tests' direct calls) `runSteps(g)` drives a path
//   to its end: points are ignored, and a sleep there means nobody could ever wake it.

/** The named points of the kernel paths (`until before|after POINT`), in path order. */
export const POINTS = ['iomap_begin', 'grab_mapping_entry', 'insert_pfn', 'pmd_none_check', 'mkclean_clear', 'unmap_mapping_range', 'free_blocks', 'dax_writeback_one'] as const;
export type PointName = (typeof POINTS)[number];

export function isPointName(s: string): s is PointName {
  return (POINTS as readonly string[]).includes(s);
}

export interface PointMark {
  readonly kind: 'point';
  readonly point: PointName;
  readonly when: 'before' | 'after';
}

/** A task waiting on a wait queue (wait_queue_entry_t, with the DAX key where it has one). */
export interface Waiter {
  readonly kind: 'sleep';
  /** The task that sleeps (null outside a task: runSteps). */
  readonly owner: Task | null;
  /** WQ_FLAG_EXCLUSIVE: prepare_to_wait_exclusive (queued at the tail, counted by wake-one). */
  readonly exclusive: boolean;
  /** exceptional_entry_key: the mapping and entry index a DAX waiter waits for (-1: no key, any wake matches). */
  readonly xa: number;
  readonly index: number;
  /** What the task waits for, for reports ("DAX entry F[0x0]", "invalidate_lock of F"). */
  readonly what: string;
  woken: boolean;
}

export type KernelYield = PointMark | Waiter;
/** A kernel path that may stop at a point or sleep, returning T. */
export type Steps<T = void> = Generator<KernelYield, T, void>;

function marks(when: 'before' | 'after'): Readonly<Record<PointName, PointMark>> {
  const out = {} as Record<PointName, PointMark>;
  for (const p of POINTS) out[p] = { kind: 'point', point: p, when };
  return out;
}
/** The marks a path yields around its steps: one frozen object each, no allocation per yield. */
export const BEFORE = marks('before');
export const AFTER = marks('after');

/** What `yield*` takes: a generator path, or a Ready one. */
export type Path<T> = Iterable<KernelYield, T, void>;

/** A path already at its end with `value` (`yield*` of it yields nothing): for lookups that need no sleep. */
export class Ready<T> implements Iterator<KernelYield, T, void> {
  constructor(public value: T) {}
  next(): IteratorResult<KernelYield, T> {
    return { done: true, value: this.value };
  }
  [Symbol.iterator](): this {
    return this;
  }
}

/** A path run outside any task (runSteps) had to sleep: nothing could ever wake it. */
export class WouldSleep extends Error {}

/** Drives a kernel path to its end outside any task: points pass, a sleep can never end. */
export function runSteps<T>(g: Steps<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done === true) return r.value;
    const y = r.value;
    if (y.kind === 'sleep' && !y.woken) throw new WouldSleep(`it would sleep on ${y.what}, outside any task`);
  }
}

export type TaskState = 'idle' | 'running' | 'paused' | 'blocked' | 'done';

/** Where a start/resume stops: before or after a named point. */
export interface Until {
  readonly when: 'before' | 'after';
  readonly point: PointName;
}

/** What a driver listener hears (the trace's and the HTML report's task lanes). */
export interface TaskEvents {
  ran?(task: Task, line: number): void;
  paused?(task: Task, mark: PointMark): void;
  blocked?(task: Task, w: Waiter): void;
  woke?(task: Task, by: Task | null): void;
  done?(task: Task): void;
}

/** Several listeners as one: each event goes to every listener that has it, in order. */
export function mergeTaskEvents(...lists: readonly (TaskEvents | undefined)[]): TaskEvents {
  const all = lists.filter((l): l is TaskEvents => l !== undefined);
  if (all.length <= 1) return all[0] ?? {};
  return {
    ran: (t, line) => all.forEach((l) => l.ran?.(t, line)),
    paused: (t, m) => all.forEach((l) => l.paused?.(t, m)),
    blocked: (t, w) => all.forEach((l) => l.blocked?.(t, w)),
    woke: (t, by) => all.forEach((l) => l.woke?.(t, by)),
    done: (t) => all.forEach((l) => l.done?.(t)),
  };
}

/** A process or a `thread T of P`: one statement at a time, run as a kernel path. */
export class Task {
  state: TaskState = 'idle';
  /** The statement's line being run (or last run). */
  line = 0;
  /** The path of the current statement, while it is not done. */
  gen: Steps | null = null;
  until: Until | null = null;
  /** Line of the start/resume whose `until` is still to be reached. */
  untilLine = 0;
  /** The point where the task paused, while paused. */
  pausedAt: PointMark | null = null;
  /** The waiter it sleeps on, while blocked. */
  waiter: Waiter | null = null;
  /** How the last statement ended when it threw: the error (the runner reads it as an outcome). */
  error: unknown = null;

  constructor(
    readonly name: string,
    readonly cpu: number,
  ) {}
}

/** A point a start/resume named that its statement ended without reaching. */
export interface MissedPoint {
  readonly task: string;
  readonly line: number;
  readonly until: Until;
}

/**
 * The driver: runs a task's path until its point, a sleep or its end, then the tasks the
 * step woke, in FIFO order (each to completion or its own `until`). `current` is the task
 * whose code runs (Linux `current`), what a kernel path records as a waiter's owner.
 */
export class Scheduler {
  current: Task | null = null;
  private readonly woken: Task[] = [];
  readonly missed: MissedPoint[] = [];
  events: TaskEvents = {};

  /** Starts `path` as `task`'s statement at `line`, stopping at `until` if given. */
  start(task: Task, path: Steps, line: number, until: Until | null): void {
    task.gen = path;
    task.line = line;
    task.error = null;
    task.pausedAt = null;
    this.setUntil(task, until, line);
    this.run(task);
  }

  /** Resumes a paused task (the caller checked it is paused). */
  resume(task: Task, line: number, until: Until | null): void {
    task.pausedAt = null;
    this.setUntil(task, until, line);
    this.run(task);
  }

  /** Called by waitqueue.ts when a waiter of `task` is woken: it runs at the end of the waking step. */
  wake(task: Task): void {
    if (!this.woken.includes(task)) this.woken.push(task);
  }

  private setUntil(task: Task, until: Until | null, line: number): void {
    if (task.until !== null && until !== null) this.missed.push({ task: task.name, line: task.untilLine, until: task.until });
    if (until !== null) {
      task.until = until;
      task.untilLine = line;
    }
  }

  private run(task: Task): void {
    const outer = this.current;
    task.state = 'running';
    this.events.ran?.(task, task.line);
    try {
      const gen = task.gen!;
      for (;;) {
        this.current = task;
        let r: IteratorResult<KernelYield, void>;
        try {
          r = gen.next();
        } catch (e) {
          this.current = outer;
          task.error = e;
          this.finish(task);
          return;
        }
        this.current = outer;
        if (r.done === true) {
          this.finish(task);
          return;
        }
        const y = r.value;
        if (y.kind === 'sleep') {
          if (y.woken) continue;
          task.state = 'blocked';
          task.waiter = y;
          this.events.blocked?.(task, y);
          this.runWoken(task);
          return;
        }
        const u = task.until;
        if (u !== null && u.point === y.point && u.when === y.when) {
          task.until = null;
          task.state = 'paused';
          task.pausedAt = y;
          this.events.paused?.(task, y);
          this.runWoken(task);
          return;
        }
        if (this.woken.length > 0) this.runWoken(task);
      }
    } finally {
      this.current = outer;
    }
  }

  private finish(task: Task): void {
    task.state = 'done';
    task.gen = null;
    task.waiter = null;
    if (task.until !== null) {
      this.missed.push({ task: task.name, line: task.untilLine, until: task.until });
      task.until = null;
    }
    this.events.done?.(task);
    this.runWoken(task);
  }

  /**
   * The end of a step no task ran (`unpin`: the device's driver dropping its pins): the tasks it
   * woke run now, as they would at the end of a task's step.
   */
  settle(): void {
    if (this.current === null) this.runWoken(null);
  }

  /** The tasks the last step woke, FIFO, each to completion or its `until`. */
  private runWoken(by: Task | null): void {
    while (this.woken.length > 0) {
      const t = this.woken.shift()!;
      if (t.state !== 'blocked' || t.waiter === null || !t.waiter.woken) continue;
      t.waiter = null;
      this.events.woke?.(t, by);
      this.run(t);
    }
  }
}

// Runs a litmus exploration over comlink worker threads when it is big enough to pay for
// them. The state graph is partitioned (Explorer.partition): each worker owns the states
// whose registers and load counts hash to it, searches them with its own visited set, and
// hands the successors it finds for other workers back here; they are routed to their
// owners, each worker being called again whenever it is idle and has states waiting, until
// none is busy and none has anything waiting. Only loads move a state to another part. Every reachable state is
// searched by exactly one worker, so the union of the workers' outcomes is exactly the
// in-process outcome set.

import { transfer, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LitmusError } from './errors.ts';
import { Explorer, MAX_MILLIS, MAX_OUTCOMES, MAX_STATES, tooManyOutcomes, type Outcome } from './explore.ts';
import type { LitmusTest } from './parse.ts';
import type { Failure, LitmusWorkerApi } from './worker.ts';

/** The worker's module: compiled (dist/, as installed and as the bin runs), worker.js next to
 * this one; from the TypeScript sources (tests, tsx), worker-entry.mjs, which registers tsx
 * before loading worker.ts. */
const WORKER_URL = new URL(import.meta.url.endsWith('.js') ? './worker.js' : './worker-entry.mjs', import.meta.url);

/** A test whose state graph has at most this many states is explored in-process. */
export const SMALL_STATES = 100_000;

/** Waiting states a worker searches from per call (smaller: results flow to the others sooner). */
const ROOTS_PER_CALL = 4096;

export interface ParallelOutcome extends Outcome {
  /** Worker threads used; 0 when explored in this thread. */
  workers: number;
}

export function defaultLitmusWorkers(): number {
  return availableParallelism();
}

function failed(r: unknown): r is Failure {
  return typeof r === 'object' && r !== null && 'error' in r;
}

/**
 * Explores `t`: in this thread when `workers` is 0 or the test is small (at most
 * SMALL_STATES states, found by trying), else over `workers` threads (default: one per core).
 * `maxStates` bounds the states each thread visits.
 */
export async function exploreParallel(t: LitmusTest, opts: { workers?: number; maxStates?: number; force?: boolean } = {}): Promise<ParallelOutcome> {
  const deadline = Date.now() + MAX_MILLIS;
  const maxStates = opts.maxStates ?? MAX_STATES;
  const workers = opts.workers ?? defaultLitmusWorkers();
  if (workers <= 0) {
    const x = new Explorer(t, maxStates, deadline);
    x.run();
    return { ...x.outcome(x.rows(), x.visited), workers: 0 };
  }
  if (opts.force !== true) {
    const trial = new Explorer(t, maxStates, deadline);
    if (trial.runWithin(Math.min(SMALL_STATES, maxStates))) return { ...trial.outcome(trial.rows(), trial.visited), workers: 0 };
  }
  const threads = Array.from({ length: workers }, () => {
    const worker = new Worker(WORKER_URL);
    let failure: Error | null = null;
    worker.on('error', (e) => {
      failure = e;
    });
    const api: Remote<LitmusWorkerApi> = wrap<LitmusWorkerApi>(nodeEndpoint(worker));
    const call = async <T>(p: PromiseLike<T | Failure>): Promise<T> => {
      let r: T | Failure;
      try {
        r = await p;
      } catch (e) {
        throw failure ?? e;
      }
      if (failed(r)) throw new LitmusError(r.error.where, r.error.message);
      return r;
    };
    return { worker, api, call };
  });
  try {
    await Promise.all(threads.map((w, i) => w.call(w.api.init(t, maxStates, deadline, i, workers))));
    // each worker is called again as soon as it is idle and has states to search, so the
    // workers overlap; the search ends when none is busy and none has anything waiting
    const inboxes: Uint32Array[][] = threads.map(() => []);
    const waiting = threads.map(() => 1);
    const busy = new Map<number, Promise<void>>();
    const first = threads.map(() => true);
    for (;;) {
      threads.forEach((w, i) => {
        if (busy.has(i) || (waiting[i] === 0 && inboxes[i]!.length === 0)) return;
        const parts = inboxes[i]!.splice(0);
        const inbox = new Uint32Array(parts.reduce((n, a) => n + a.length, 0));
        let off = 0;
        for (const a of parts) {
          inbox.set(a, off);
          off += a.length;
        }
        const isFirst = first[i]!;
        first[i] = false;
        busy.set(
          i,
          w.call<{ out: Uint32Array[]; waiting: number }>(w.api.step(transfer(inbox, [inbox.buffer]), isFirst, ROOTS_PER_CALL)).then((r) => {
            waiting[i] = r.waiting;
            r.out.forEach((a, j) => {
              if (a.length > 0) inboxes[j]!.push(a);
            });
            busy.delete(i);
          }),
        );
      });
      if (busy.size === 0) break;
      await Promise.race(busy.values());
    }
    const results = await Promise.all(threads.map((w) => w.call(w.api.result())));
    const rows = new Set<string>();
    let visited = 0;
    for (const r of results) {
      for (const row of r.rows) rows.add(row);
      visited += r.visited;
    }
    // each worker kept its own outcomes under the budget; together they may not exceed it either
    if (rows.size > MAX_OUTCOMES) throw new LitmusError(`${t.file}:${t.threads[t.threads.length - 1]!.line}`, tooManyOutcomes());
    // decoding needs only the test's interned values, the same in every explorer
    return { ...new Explorer(t, maxStates, deadline).outcome(rows, visited), workers };
  } finally {
    await Promise.all(threads.map((w) => w.worker.terminate()));
  }
}

// Runs an exploration over N comlink worker threads (or in this thread with 0 workers).
//
// Each worker generates its scenarios itself from (seed, index) (engine.ts), so what goes to a
// worker is a range of scenario numbers and what comes back is two counts and the first
// scenario of each signature in the range: a few hundred bytes per batch, whatever its size.
// Batches are sized from each worker's measured rate to take about BATCH_MS (small while the
// rate is unknown, then shrinking again towards the end of the count or of the time limit, so
// the workers finish together and the limit is kept). Handed-out ranges always complete, so
// the scenarios run are 0 .. n-1; keeping the lowest number of each finding makes a search
// with --count the same whatever the number of workers or the batch sizes. Then one scenario
// per finding is shrunk (a function of the seed and that number), spread over the workers.
//
// A worker's start-up (thread, tsx, loading the simulator: about 0.5-1 s) is measured and
// reported on its own; every worker starts searching as soon as it is ready, the search time
// and rate are counted from the first worker ready, and so is --time.

import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { exploreBatch, shrinkCandidate, type BatchResult, type Candidate, type ExploreConfig, type Finding } from './engine.ts';
import type { WorkerApi } from './worker.ts';

/** The worker's module: compiled (dist/, as installed and as the bin runs), worker.js next to
 * this one; from the TypeScript sources (tests, tsx), worker-entry.mjs, which registers tsx
 * before loading worker.ts. */
const WORKER_URL = new URL(import.meta.url.endsWith('.js') ? './worker.js' : './worker-entry.mjs', import.meta.url);

export interface Limits {
  /** Scenarios to run (numbers 0 .. count-1), or null for no count limit. */
  count: number | null;
  /** Seconds of search (from the first worker ready), or null for no time limit. */
  seconds: number | null;
}

/** What the caller may do while a search runs. */
export interface ExploreHooks {
  onProgress?: (p: Progress) => void;
  /** Called with each finding as soon as it is shrunk (so it is written before the next one). */
  onFinding?: (f: Finding) => void;
  /** Set `stopped` (a signal) to stop handing out scenarios: batches in flight finish, what was
   * found is shrunk and returned. */
  stop?: { stopped: boolean };
}

export interface Progress {
  scenarios: number;
  runs: number;
  findings: number;
  /** Seconds since the search started (0 while the workers start). */
  elapsed: number;
  /** Fraction done, by count or by time, whichever is nearer. */
  fraction: number;
  phase: 'start' | 'search' | 'shrink';
}

export interface WorkerStats {
  /** Seconds from spawning the worker to its engine answering (0 in-process). */
  startupSeconds: number;
  scenarios: number;
  batches: number;
  /** Seconds the worker spent running its batches. */
  busySeconds: number;
}

export interface ExploreResult {
  scenarios: number;
  runs: number;
  /** Seconds in all: start-up, search and shrinking. */
  elapsed: number;
  /** Seconds until every worker was ready (0 in-process). */
  startupSeconds: number;
  /** Seconds of search, from the first worker ready to the last batch back. */
  searchSeconds: number;
  /** True when hooks.stop ended the search before its limit. */
  stopped: boolean;
  workers: number;
  perWorker: WorkerStats[];
  findings: Finding[];
}

interface Backend {
  /** Resolves when the backend can take work. */
  ready: Promise<void>;
  batch(cfg: ExploreConfig, start: number, count: number): Promise<BatchResult>;
  shrink(cfg: ExploreConfig, c: Candidate): Promise<Finding>;
  close(): Promise<void>;
}

/** Batches aim at this many milliseconds of work once a worker's rate is known. */
const BATCH_MS = 200;
/** The first batch of each worker, while its rate is unknown (and its JIT cold). */
const FIRST_BATCH = 4;
const MAX_BATCH = 5000;

/** One worker per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

function inProcess(): Backend {
  return {
    ready: Promise.resolve(),
    batch: async (cfg, start, count) => exploreBatch(cfg, start, count),
    shrink: async (cfg, c) => shrinkCandidate(cfg, c),
    close: async () => {},
  };
}

function threaded(): Backend {
  const worker = new Worker(WORKER_URL);
  const api: Remote<WorkerApi> = wrap<WorkerApi>(nodeEndpoint(worker));
  let closing = false;
  // A worker that fails to load or dies rejects whatever is waiting on it, instead of hanging.
  let failure: Error | null = null;
  const waiting = new Set<(e: Error) => void>();
  const fail = (e: Error): void => {
    failure ??= e;
    for (const reject of waiting) reject(failure);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!closing) fail(new Error(`explore worker exited (code ${code})`));
  });
  const guard = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure !== null) return reject(failure);
      waiting.add(reject);
      p.then(
        (v) => {
          waiting.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          waiting.delete(reject);
          reject(failure ?? e);
        },
      );
    });
  return {
    ready: guard(api.ready()).then(() => {}),
    batch: (cfg, start, count) => guard(api.batch(cfg, start, count)),
    shrink: (cfg, c) => guard(api.shrink(cfg, c)),
    close: async () => {
      closing = true;
      await worker.terminate();
    },
  };
}

export async function explore(cfg: ExploreConfig, limits: Limits, workers: number, hooks: ExploreHooks = {}): Promise<ExploreResult> {
  const { onProgress, onFinding, stop } = hooks;
  const t0 = performance.now();
  const backends = workers <= 0 ? [inProcess()] : Array.from({ length: workers }, threaded);
  const stats: WorkerStats[] = backends.map(() => ({ startupSeconds: 0, scenarios: 0, batches: 0, busySeconds: 0 }));
  const best = new Map<string, Candidate>();
  let searchStart: number | null = null;
  let next = 0;
  let scenarios = 0;
  let runs = 0;
  const searchElapsed = (): number => (searchStart === null ? 0 : (performance.now() - searchStart) / 1000);
  const fraction = (): number => {
    const byCount = limits.count !== null ? scenarios / limits.count : 0;
    const byTime = limits.seconds !== null ? searchElapsed() / limits.seconds : 0;
    return Math.min(1, Math.max(byCount, byTime));
  };
  const report = (phase: Progress['phase']): void => onProgress?.({ scenarios, runs, findings: best.size, elapsed: searchElapsed(), fraction: fraction(), phase });
  /** The next range for a backend running `rate` scenarios per millisecond (null: unknown yet). */
  const take = (rate: number | null): [number, number] | null => {
    if (stop?.stopped === true) return null;
    let size = rate === null ? FIRST_BATCH : Math.round(rate * BATCH_MS);
    if (limits.count !== null) {
      const left = limits.count - next;
      if (left <= 0) return null;
      // Towards the end, smaller batches so that the workers finish at about the same time.
      size = Math.min(size, left, Math.ceil(left / (2 * backends.length)));
    }
    if (limits.seconds !== null) {
      const leftMs = limits.seconds * 1000 - searchElapsed() * 1000;
      if (leftMs <= 0) return null;
      if (rate !== null) size = Math.min(size, Math.round(rate * leftMs));
    }
    size = Math.max(1, Math.min(MAX_BATCH, size));
    const range: [number, number] = [next, size];
    next += size;
    return range;
  };
  report('start');
  try {
    await Promise.all(
      backends.map(async (b, w) => {
        await b.ready;
        const ready = performance.now();
        stats[w]!.startupSeconds = workers <= 0 ? 0 : (ready - t0) / 1000;
        searchStart ??= ready;
        let rate: number | null = null;
        for (let r = take(rate); r !== null; r = take(rate)) {
          const sent = performance.now();
          const res = await b.batch(cfg, r[0], r[1]);
          // Scenarios per millisecond of round trip, smoothed (the cold first batch underestimates it).
          const now = res.scenarios / Math.max(1, performance.now() - sent);
          rate = rate === null ? now : 0.5 * rate + 0.5 * now;
          stats[w]!.batches++;
          stats[w]!.scenarios += res.scenarios;
          stats[w]!.busySeconds += res.ms / 1000;
          scenarios += res.scenarios;
          runs += res.runs;
          for (const c of res.candidates) {
            const old = best.get(c.signature);
            if (old === undefined || c.index < old.index) best.set(c.signature, c);
          }
          report('search');
        }
      }),
    );
    const searchSeconds = searchElapsed();
    const startupSeconds = Math.max(...stats.map((s) => s.startupSeconds));
    const todo = [...best.values()].sort((a, b) => (a.signature < b.signature ? -1 : 1));
    const findings: Finding[] = new Array(todo.length);
    let k = 0;
    await Promise.all(
      backends.map(async (b) => {
        for (let i = k++; i < todo.length; i = k++) {
          findings[i] = await b.shrink(cfg, todo[i]!);
          onFinding?.(findings[i]!);
          report('shrink');
        }
      }),
    );
    const stopped = stop?.stopped === true && (limits.count === null || scenarios < limits.count);
    return { scenarios, runs, elapsed: (performance.now() - t0) / 1000, startupSeconds, searchSeconds, stopped, workers: Math.max(0, workers), perWorker: stats, findings };
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
}

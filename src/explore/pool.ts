// Runs an exploration over N comlink worker threads (or in this thread with 0 workers):
// hands out batches of scenario numbers until the count or the time limit, keeps the lowest
// scenario number of each finding (so a search with --count is the same whatever the
// number of workers), then shrinks one scenario per finding, spread over the workers.

import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { exploreBatch, shrinkCandidate, type BatchResult, type Candidate, type ExploreConfig, type Finding } from './engine.ts';
import type { WorkerApi } from './worker.ts';

export interface Limits {
  /** Scenarios to run (numbers 0 .. count-1), or null for no count limit. */
  count: number | null;
  /** Seconds, or null for no time limit. */
  seconds: number | null;
}

export interface Progress {
  scenarios: number;
  runs: number;
  findings: number;
  elapsed: number;
  /** Fraction done, by count or by time, whichever is nearer. */
  fraction: number;
  phase: 'search' | 'shrink';
}

export interface ExploreResult {
  scenarios: number;
  runs: number;
  elapsed: number;
  searchSeconds: number;
  workers: number;
  findings: Finding[];
}

interface Backend {
  batch(cfg: ExploreConfig, start: number, count: number): Promise<BatchResult>;
  shrink(cfg: ExploreConfig, c: Candidate): Promise<Finding>;
  close(): Promise<void>;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

function inProcess(): Backend {
  return {
    batch: async (cfg, start, count) => exploreBatch(cfg, start, count),
    shrink: async (cfg, c) => shrinkCandidate(cfg, c),
    close: async () => {},
  };
}

function threaded(): Backend {
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
  const api: Remote<WorkerApi> = wrap<WorkerApi>(nodeEndpoint(worker));
  let failure: Error | null = null;
  worker.on('error', (e) => {
    failure = e;
  });
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw failure ?? e;
    }
  };
  return {
    batch: (cfg, start, count) => guard(api.batch(cfg, start, count)),
    shrink: (cfg, c) => guard(api.shrink(cfg, c)),
    close: async () => {
      await worker.terminate();
    },
  };
}

export async function explore(cfg: ExploreConfig, limits: Limits, workers: number, onProgress?: (p: Progress) => void): Promise<ExploreResult> {
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const backends = workers <= 0 ? [inProcess()] : Array.from({ length: workers }, threaded);
  const best = new Map<string, Candidate>();
  let next = 0;
  let scenarios = 0;
  let runs = 0;
  const fraction = (): number => {
    const byCount = limits.count !== null ? scenarios / limits.count : 0;
    const byTime = limits.seconds !== null ? elapsed() / limits.seconds : 0;
    return Math.min(1, Math.max(byCount, byTime));
  };
  const report = (phase: Progress['phase']): void => onProgress?.({ scenarios, runs, findings: best.size, elapsed: elapsed(), fraction: fraction(), phase });
  // Small batches keep the time limit tight and the load balanced.
  const batchSize = 4;
  const take = (): [number, number] | null => {
    if (limits.seconds !== null && elapsed() >= limits.seconds) return null;
    const end = limits.count !== null ? Math.min(limits.count, next + batchSize) : next + batchSize;
    if (end <= next) return null;
    const range: [number, number] = [next, end - next];
    next = end;
    return range;
  };
  try {
    await Promise.all(
      backends.map(async (b) => {
        for (let r = take(); r !== null; r = take()) {
          const res = await b.batch(cfg, r[0], r[1]);
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
    const searchSeconds = elapsed();
    const todo = [...best.values()].sort((a, b) => (a.signature < b.signature ? -1 : 1));
    const findings: Finding[] = new Array(todo.length);
    let k = 0;
    await Promise.all(
      backends.map(async (b) => {
        for (let i = k++; i < todo.length; i = k++) {
          findings[i] = await b.shrink(cfg, todo[i]!);
          report('shrink');
        }
      }),
    );
    return { scenarios, runs, elapsed: elapsed(), searchSeconds, workers: Math.max(0, workers), findings };
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
}

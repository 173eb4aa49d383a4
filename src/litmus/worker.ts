// One litmus worker thread: an Explorer, one part of a partitioned search (parallel.ts),
// behind a comlink endpoint (node adapter). Bounds hit in the worker come back as values
// (a LitmusError would lose its class and `where` on the way).
import { expose, transfer } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { LitmusError } from './errors.ts';
import { Explorer } from './explore.ts';
import type { LitmusTest } from './parse.ts';

export type Failure = { error: { where: string; message: string } };

export interface LitmusWorkerApi {
  /** Builds the explorer of part `part` of `parts`. */
  init(test: LitmusTest, maxStates: number, deadline: number, part: number, parts: number): null;
  /** One slice (Explorer.step): the states found for each part, and how many roots wait. */
  step(inbox: Uint32Array, first: boolean, maxRoots: number): { out: Uint32Array[]; waiting: number } | Failure;
  /** Encoded outcome rows found, and states visited, by this worker. */
  result(): { rows: string[]; visited: number };
}

let x: Explorer | null = null;

const api: LitmusWorkerApi = {
  init: (test, maxStates, deadline, part, parts) => {
    x = new Explorer(test, maxStates, deadline);
    x.partition(part, parts);
    return null;
  },
  step: (inbox, first, maxRoots) => {
    try {
      const r = x!.step(inbox, first, maxRoots);
      return transfer(r, r.out.map((a) => a.buffer));
    } catch (e) {
      if (e instanceof LitmusError) return { error: { where: e.where, message: e.message } };
      throw e;
    }
  },
  result: () => ({ rows: x!.rows(), visited: x!.visited }),
};

if (parentPort === null) throw new Error('litmus worker: not started as a worker thread');
expose(api, nodeEndpoint(parentPort));

// One explore worker thread: the engine behind a comlink endpoint (node adapter). The main
// thread sends only (config, first index, count); the worker generates those scenarios itself
// from (seed, index) and answers with counts and the first scenario of each signature.
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { exploreBatch, shrinkCandidate, type BatchResult, type Candidate, type ExploreConfig, type Finding } from './engine.ts';

export interface WorkerApi {
  /** Answers once the engine is loaded: the end of the worker's start-up. */
  ready(): true;
  batch(cfg: ExploreConfig, start: number, count: number): BatchResult;
  shrink(cfg: ExploreConfig, c: Candidate): Finding;
}

const api: WorkerApi = {
  ready: () => true,
  batch: (cfg, start, count) => exploreBatch(cfg, start, count),
  shrink: (cfg, c) => shrinkCandidate(cfg, c),
};

if (parentPort === null) throw new Error('explore worker: not started as a worker thread');
expose(api, nodeEndpoint(parentPort));

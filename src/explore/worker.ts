// One explore worker thread: the engine behind a comlink endpoint (node adapter).
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { exploreBatch, shrinkCandidate, type BatchResult, type Candidate, type ExploreConfig, type Finding } from './engine.ts';

export interface WorkerApi {
  batch(cfg: ExploreConfig, start: number, count: number): BatchResult;
  shrink(cfg: ExploreConfig, c: Candidate): Finding;
}

const api: WorkerApi = {
  batch: (cfg, start, count) => exploreBatch(cfg, start, count),
  shrink: (cfg, c) => shrinkCandidate(cfg, c),
};

if (parentPort === null) throw new Error('explore worker: not started as a worker thread');
expose(api, nodeEndpoint(parentPort));

// Litmus tests for the persistency model: parse, explore, format.
import { readFileSync } from 'node:fs';
import { LitmusError } from './errors.ts';
import { explore, type Outcome } from './explore.ts';
import { parseLitmus, type LitmusTest } from './parse.ts';

export { parseLitmus, MAX_OPS, MAX_OPS_PER_THREAD, MAX_THREADS, type LitmusTest, type Op, type OpKind, type Loc, type Thread } from './parse.ts';
export { explore, formatState, toJson, Explorer, MAX_STATES, MAX_MILLIS, MAX_OUTCOMES, type Outcome } from './explore.ts';
export { exploreParallel, defaultLitmusWorkers, SMALL_STATES, type ParallelOutcome } from './parallel.ts';

/** Reads and parses a .litmus file. */
export function readLitmusFile(path: string): LitmusTest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LitmusError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseLitmus(text, path);
}

/** Reads, parses and explores a .litmus file (in this thread). */
export function runLitmusFile(path: string): { test: LitmusTest; outcome: Outcome } {
  const test = readLitmusFile(path);
  return { test, outcome: explore(test) };
}

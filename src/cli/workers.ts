// How many worker threads a command may start: at most the machine's cores (more only share
// them) and what memory allows: each explore or litmus worker is a V8 isolate with its own
// machines, about 38 MiB resident for an explore worker (issue 17's reliability campaign), so
// the workers may take half of the free memory at WORKER_BYTES each.
import os from 'node:os';

/** Resident memory reserved per worker: the ~38 MiB measured, with some headroom. */
export const WORKER_BYTES = 48 * 2 ** 20;

export function workerLimit(): { max: number; why: string } {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const byMemory = Math.max(1, Math.floor(os.freemem() / 2 / WORKER_BYTES));
  const max = Math.max(1, Math.min(cores, byMemory));
  return { max, why: max === cores ? `this machine has ${cores} core${cores === 1 ? '' : 's'}` : `free memory allows ${byMemory} worker${byMemory === 1 ? '' : 's'} of ${WORKER_BYTES >> 20} MiB` };
}

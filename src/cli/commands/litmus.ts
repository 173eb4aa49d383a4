// `daxsim litmus <file.litmus> [--json] [--workers N]`: every persistent-memory state that may
// be observed after the crash (shared/docs/interface.md, "Litmus files"). --workers N > 0
// explores a big test (more than SMALL_STATES machine states) over N comlink worker threads;
// 0, the default, explores in this thread: measured on a 2-core machine, the partitioned
// search (litmus/parallel.ts) does not yet beat one thread, so it is opt-in.
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { exploreParallel, formatState, readLitmusFile, toJson } from '../../litmus/index.ts';

const USAGE = 'usage: daxsim litmus <file.litmus> [--json] [--workers N]';

export const command: Command = {
  summary: 'every pmem state observable after a crash: <file.litmus> [--json] [--workers N]',
  async run(args: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { json: { type: 'boolean' }, workers: { type: 'string' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new InputError('litmus', (e as Error).message.split('\n')[0]!);
    }
    const files = parsed.positionals;
    if (files.length !== 1) throw new InputError('litmus', USAGE);
    let workers = 0;
    if (parsed.values.workers !== undefined) {
      const w = parsed.values.workers;
      if (!/^[0-9]+$/.test(w) || Number(w) > 256) throw new InputError('litmus', `--workers: '${w}' is not a number from 0 to 256`);
      workers = Number(w);
    }
    const test = readLitmusFile(files[0]!);
    const outcome = await exploreParallel(test, { workers });
    if (parsed.values.json === true) process.stdout.write(JSON.stringify(toJson(outcome)) + '\n');
    else for (const row of outcome.states) process.stdout.write(formatState(outcome.keys, row) + '\n');
    return 0;
  },
};

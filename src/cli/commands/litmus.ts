// `daxsim litmus <file.litmus> [--json]`: every persistent-memory state that may be observed
// after the crash (shared/docs/interface.md, "Litmus files").
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { formatState, runLitmusFile, toJson } from '../../litmus/index.ts';

export const command: Command = {
  summary: 'every pmem state observable after a crash: <file.litmus> [--json]',
  async run(args: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new InputError('litmus', (e as Error).message.split('\n')[0]!);
    }
    const files = parsed.positionals;
    if (files.length !== 1) throw new InputError('litmus', 'usage: daxsim litmus <file.litmus> [--json]');
    const { outcome } = runLitmusFile(files[0]!);
    if (parsed.values.json === true) process.stdout.write(JSON.stringify(toJson(outcome)) + '\n');
    else for (const row of outcome.states) process.stdout.write(formatState(outcome.keys, row) + '\n');
    return 0;
  },
};

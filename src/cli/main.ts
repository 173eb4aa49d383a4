#!/usr/bin/env node
// The daxsim command line: dispatches to one module per command (src/cli/commands/).
// Exit codes (interface.md): 0 success, 1 an expect failed or a violation was found,
// 2 bad input or usage, always as one line on stderr.

import { formatError, InputError } from './errors.ts';
import { commands } from './registry.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.get(name);
  if (cmd === undefined) throw new InputError('usage', `unknown command '${name}' (try: ${[...commands.keys()].join(', ')})`);
  return cmd.run(rest);
}

function usage(): string {
  const lines = ['usage: daxsim <command> [arguments] [options]', '', 'commands:'];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(formatError(e) + '\n');
    process.exitCode = 2;
  },
);

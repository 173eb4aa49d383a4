// The CLI's main logic as a function: `runCli(argv, io)` dispatches to a command and returns
// its exit code instead of exiting, so tests (and the fuzz test) can call it in-process.
// Commands write to process.stdout / process.stderr; while a command runs, runCli sends
// those writes to `io` when one is given (calls must then not overlap).

import { formatError, InputError } from './errors.ts';
import { commands } from './registry.ts';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** Runs one daxsim invocation; never throws: errors become one line on `io.err` and exit 2. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const restore = io === processIo ? () => {} : redirect(io);
  try {
    return await dispatch([...argv], io);
  } catch (e) {
    io.err(formatError(e) + '\n');
    return 2;
  } finally {
    restore();
  }
}

/** Collects what an invocation printed: for tests. */
export async function runCliCaptured(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    if (name === undefined) throw new InputError('usage', `no command given (try: ${[...commands.keys()].join(', ')})`);
    return 0;
  }
  const cmd = commands.get(name);
  if (cmd === undefined) throw new InputError('usage', `unknown command '${name}' (try: ${[...commands.keys()].join(', ')})`);
  return cmd.run(rest);
}

export function usage(): string {
  const lines = ['usage: daxsim <command> [arguments] [options]', '', 'commands:'];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

type Write = typeof process.stdout.write;

function redirect(io: CliIo): () => void {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const to = (f: (s: string) => void): Write =>
    ((chunk: unknown, ...rest: unknown[]): boolean => {
      f(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as Write;
  process.stdout.write = to(io.out);
  process.stderr.write = to(io.err);
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}

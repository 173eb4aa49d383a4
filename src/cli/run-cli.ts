// The CLI's main logic as a function: `runCli(argv, io)` dispatches to a command and returns
// its exit code instead of exiting, so tests (and the fuzz test) can call it in-process.
// Commands write to process.stdout / process.stderr; while a command runs, runCli sends
// those writes to `io` when one is given (calls must then not overlap).

import { packageVersion } from '../sim/package-root.ts';
import { exitCodeOf, formatError, InputError } from './errors.ts';
import { helpText } from './help.ts';
import { checkOutputs } from './output.ts';
import { commands } from './registry.ts';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** Runs one daxsim invocation; never throws: errors become one line on `io.err`, exit 2 for
 * bad input, 3 for an internal error. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const restore = io === processIo ? () => {} : redirect(io);
  try {
    return await dispatch([...argv], io);
  } catch (e) {
    io.err(formatError(e) + '\n');
    return exitCodeOf(e);
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
  if (name === '--version' || name === '-V') {
    io.out(`daxsim ${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === undefined) {
      io.out(usage());
      throw new InputError('usage', `no command given (try: ${[...commands.keys()].join(', ')})`);
    }
    const topic = rest[0];
    const c = topic !== undefined ? commands.get(topic) : undefined;
    io.out(c !== undefined ? helpText(topic!, c.summary) : usage());
    return 0;
  }
  const cmd = commands.get(name);
  if (cmd === undefined) throw new InputError('usage', `unknown command '${name}' (try: ${[...commands.keys()].join(', ')}; daxsim --help)`);
  const end = rest.indexOf('--');
  const own = end >= 0 ? rest.slice(0, end) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.out(helpText(name, cmd.summary));
    return 0;
  }
  checkOutputs(name, rest);
  return cmd.run(rest);
}

export function usage(): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = ['usage: daxsim <command> [arguments] [options]', '       daxsim <command> --help | daxsim --version', '', 'commands:'];
  for (const [name, c] of commands) lines.push(`  ${name.padEnd(width)}  ${c.summary}`);
  lines.push('', 'exit status: 0 success, 1 an expect failed or a violation was found, 2 bad input or usage, 3 a bug in daxsim');
  return lines.join('\n') + '\n';
}

/** The package's version, from the package.json above this module (sources or build). */
export function version(): string {
  return packageVersion();
}

/**
 * A reader that closed the pipe (`daxsim arches | head -1`) ends the output quietly: EPIPE on
 * stdout or stderr is swallowed (Node ignores SIGPIPE and reports it as an 'error' event,
 * which would otherwise be an uncaught exception with a stack trace), and later writes to
 * that stream are dropped. The command finishes and exits with its own status.
 */
export function guardPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        stream.write = (() => true) as typeof stream.write;
        return;
      }
      process.exitCode = 3;
    });
  }
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

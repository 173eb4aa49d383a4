// Bad input: what a scenario (or any input file, or a command line) got wrong, reported as
// one line `daxsim: <where>: <what is wrong>` with exit code 2 (README "Command line").
// Raised where the input is read (the scenario parser and runner, the litmus parser, the
// commands); the CLI only formats it (src/cli/errors.ts).

export class InputError extends Error {
  /** `where` is `file:line` for scenario and litmus input, or the command for usage errors. */
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A daxsim bug met while running a statement (never bad input): the CLI prints
 * `daxsim: internal error: <file>:<line> (<statement>): <what>` and exits 3.
 */
export class InternalError extends Error {
  /** `where` is the statement being run when the model failed, as `file:line (text)`. */
  constructor(
    readonly where: string,
    readonly cause: unknown,
  ) {
    super(`${where}: ${firstLine(cause)}`);
  }
}

/** An error's first line, with its class name unless it is a plain Error. */
export function firstLine(e: unknown): string {
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message.split('\n')[0]}`;
  return String(e).split('\n')[0]!;
}

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

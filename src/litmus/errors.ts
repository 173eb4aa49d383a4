// Bad input to a litmus test: what the `.litmus` parser, the condition parser and the
// explorer's bounds reject, as `<file>:<line>` and a reason. The CLI prints it as one line
// `daxsim: <where>: <what is wrong>` and exits 2 (src/cli/errors.ts formats it; README
// "Conventions every command follows").

export class LitmusError extends Error {
  override readonly name = 'LitmusError';

  /** `where` is `file:line`, or the file alone when it cannot be read. */
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(message);
  }
}

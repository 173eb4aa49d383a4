// Bad input is reported as one line, `daxsim: <where>: <what is wrong>`, and exit code 2
// (../shared/docs/interface.md). Anything that throws InputError is bad input; anything else
// escaping a command is a daxsim bug and is still reported in one line, with exit code 2.

import { InputError } from '../scenario/errors.ts';

// The class lives with the code that reads input (src/scenario/errors.ts).
export { InputError };

export function formatError(e: unknown): string {
  if (e instanceof InputError) return `daxsim: ${e.where}: ${e.message}`;
  const msg = e instanceof Error ? e.message : String(e);
  return `daxsim: internal error: ${msg.split('\n')[0]}`;
}

// Errors as the CLI reports them (README, "Exit codes"):
// - InputError: bad input or usage, one line `daxsim: <where>: <what is wrong>`, exit 2.
// - InternalError: a daxsim bug met while running a statement, one line
//   `daxsim: internal error: <file>:<line> (<statement>): <what>`, exit 3.
// - anything else escaping a command is a daxsim bug too: `daxsim: internal error: <what>`, exit 3.
// Words echoed from the input are cut (`echo`) so a 200 KB word cannot fill the terminal.

import { LitmusError } from '../litmus/errors.ts';
import { firstLine as describe, InputError, InternalError } from '../scenario/errors.ts';

// Each error class lives in the layer that raises it (src/scenario/errors.ts, src/litmus/errors.ts);
// the CLI only tells them apart and formats them.
export { InputError, InternalError, LitmusError };

/** Bad input from any layer: a place (`file:line` or the command) and a reason; exit 2. */
export function isUserError(e: unknown): e is InputError | LitmusError {
  return e instanceof InputError || e instanceof LitmusError;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INPUT = 2;
export const EXIT_INTERNAL = 3;

/** Longest word echoed back in a message. */
export const ECHO_MAX = 40;

/** A word from the input as messages quote it: at most ECHO_MAX characters, then `...`. */
export function echo(word: string): string {
  return word.length <= ECHO_MAX ? word : `${word.slice(0, ECHO_MAX)}... (${word.length} characters)`;
}

export function exitCodeOf(e: unknown): number {
  return isUserError(e) ? EXIT_INPUT : EXIT_INTERNAL;
}

/** Longest message printed: the line stays one readable line whatever the input held. */
const MESSAGE_MAX = 400;

/** Cuts every quoted word (no blanks inside: words are blank-separated) longer than ECHO_MAX, then the whole line at MESSAGE_MAX. */
export function cutMessage(s: string): string {
  const cut = s.replace(new RegExp(`'([^'\\s]{${ECHO_MAX + 1},})'`, 'g'), (_, w: string) => `'${echo(w)}'`).replace(/[\r\n]+/g, ' ');
  return cut.length <= MESSAGE_MAX ? cut : `${cut.slice(0, MESSAGE_MAX)}... (message cut)`;
}

export function formatError(e: unknown): string {
  if (isUserError(e)) return cutMessage(`daxsim: ${e.where}: ${e.message}`);
  if (e instanceof InternalError) return cutMessage(`daxsim: internal error: ${e.message}`);
  return cutMessage(`daxsim: internal error: ${describe(e)}`);
}

// The task statements of the scenario language (README "Tasks, points and races"): `thread T
// of P`, `P start S [until before|after POINT]`, `P resume [until ...]`, parsed here for
// parse.ts.

import { isPointName, POINTS, type Until } from '../kernel/task.ts';
import { InputError } from './errors.ts';
import type { ExpectStmt } from './expect-types.ts';
import { LIMITS } from './limits.ts';
/** `thread T of P`: a task sharing P's mm on a CPU of its own. */
export type ThreadStmt = { op: 'thread'; line: number; name: string; of: string };
/** `P resume [until before|after POINT]`: a paused task goes on. */
export type ResumeStmt = { op: 'resume'; line: number; proc: string; until: Until | null };

/** `until before|after POINT` from words[i..]: exactly three words, a known point. */
export function parseUntil(words: readonly string[], i: number, fail: (msg: string) => never): Until {
  const when = words[i + 1];
  const point = words[i + 2] ?? '';
  if (words.length !== i + 3 || (when !== 'before' && when !== 'after')) fail(`expected 'until before|after POINT' at the end`);
  if (!isPointName(point)) fail(`unknown point '${point}' (points: ${POINTS.join(', ')})`);
  return { when: when as 'before' | 'after', point: point as Until['point'] };
}

export type { Until } from '../kernel/task.ts';

/** A `P start S [until ...]` line: S is parsed as P's statement number `at`, then wrapped. */
export interface StartAt {
  readonly at: number;
  readonly proc: string;
  readonly line: number;
  readonly until: Until | null;
}

/**
 * `P start S [until ...]`: records where it stops in `starts` and returns the words of P's
 * statement S, to be parsed as a statement of P (number `at`); any other line's words as they are.
 */
export function splitStart(words: string[], line: number, where: string, starts: StartAt[], at: number): string[] {
  if (words[1] !== 'start') return words;
  const fail = (msg: string): never => {
    throw new InputError(where, msg);
  };
  const u = words.indexOf('until');
  const until = u < 0 ? null : parseUntil(words, u, fail);
  const inner = [words[0]!, ...words.slice(2, u < 0 ? words.length : u)];
  if (inner.length < 2) fail(`expected 'P start S [until before|after POINT]', S a statement of P`);
  if (inner[1] === 'start' || inner[1] === 'resume') fail(`'${inner[1]}' cannot be started: start runs one statement of P`);
  starts.push({ at, proc: inner[0]!, line, until });
  return inner;
}

/** What `thread T of P` checks against the names parse.ts has seen. */
export interface ThreadContext {
  fail(msg: string): never;
  name(w: string, what: string): string;
  readonly files: ReadonlyMap<string, unknown>;
  readonly procs: Set<string>;
  readonly maps: ReadonlyMap<string, unknown>;
  readonly threadOf: Map<string, string>;
  readonly exited: ReadonlySet<string>;
}

/** `thread T of P`: T a new name, P a declared process (not a thread) that has not exited. */
export function parseThread(words: readonly string[], line: number, c: ThreadContext): ThreadStmt {
  if (words.length !== 4 || words[2] !== 'of') c.fail(`expected 'thread T of P'`);
  const n = c.name(words[1]!, 'thread');
  const of = words[3]!;
  if (!c.procs.has(of) || c.threadOf.has(of)) c.fail(`unknown process '${of}' (a thread belongs to a declared process)`);
  if (c.exited.has(of)) c.fail(`process ${of} has exited`);
  if (c.files.has(n) || c.procs.has(n) || c.maps.has(n)) c.fail(`name '${n}' is already used`);
  if (c.procs.size >= LIMITS.processes) c.fail(`too many processes and threads (limit ${LIMITS.processes})`);
  c.procs.add(n);
  c.threadOf.set(n, of);
  return { op: 'thread', line, name: n, of };
}

/** `P resume [until before|after POINT]`. */
export function parseResume(words: readonly string[], line: number, fail: (msg: string) => never): ResumeStmt {
  if (words.length !== 2 && words[2] !== 'until') fail(`expected 'P resume [until before|after POINT]'`);
  return { op: 'resume', line, proc: words[0]!, until: words.length === 2 ? null : parseUntil(words, 2, fail) };
}

/** The process a thread belongs to (undefined for a process); a thread cannot fork or exit. */
export function threadVerb(threadOf: ReadonlyMap<string, string>, task: string, verb: string, fail: (msg: string) => never): string | undefined {
  const owner = threadOf.get(task);
  if (owner !== undefined && (verb === 'fork' || verb === 'exit')) fail(`thread ${task} cannot ${verb} (threads of a process share its mm: fork or exit the process ${owner})`);
  return owner;
}

/** `expect done P` / `expect hang P`. */
export function parseExpectTask(words: readonly string[], line: number, text: string, procs: ReadonlySet<string>, fail: (msg: string) => never): ExpectStmt {
  if (words.length !== 3) fail(`expected 'expect ${words[1]} P'`);
  if (!procs.has(words[2]!)) fail(`unknown process or thread '${words[2]}'`);
  return { op: 'expect-task', line, text, proc: words[2]!, state: words[1] === 'done' ? 'done' : 'hang' };
}

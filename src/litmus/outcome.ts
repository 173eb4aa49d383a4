// What a litmus exploration produces: the crash outcomes (one row of values per distinct
// state of the registers and persisted locations), how they are ordered and printed, and the
// bound on how many are kept.

export interface Outcome {
  /** Output keys, in print order: registers `T<i>:<reg>` then locations. */
  keys: string[];
  /** One row of values per state, sorted. */
  states: number[][];
  /** Machine states visited. */
  visited: number;
}

/** Most distinct crash outcomes printed: lines persist independently, so n uncertain lines give
 * up to 2^n outcomes (16 unflushed stores in each of 2 threads: 2^32), and the set of them, not
 * the machine states, is what exhausts memory. */
export const MAX_OUTCOMES = 1_000_000;

export function tooManyOutcomes(max = MAX_OUTCOMES): string {
  return `more than ${max} distinct crash outcomes (every unflushed line may or may not persist); flush and fence some stores, or use fewer`;
}

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function cmpRow(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** `T1:r=1 X=1 Y=0` */
export function formatState(keys: string[], row: number[]): string {
  return keys.map((k, i) => `${k}=${row[i]}`).join(' ');
}

export function toJson(o: Outcome): { states: Array<Record<string, number>> } {
  return { states: o.states.map((row) => Object.fromEntries(o.keys.map((k, i) => [k, row[i]!]))) };
}

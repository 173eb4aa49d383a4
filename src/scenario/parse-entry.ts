// `expect entry F O absent|empty|zero|real [pte|pmd] [dirty|clean] [locked]` (README "Expectations
// for replays"): the DAX entry covering file offset O, parsed from a line's words after parse.ts
// checked their number and the file (its size given).

import type { ExpectStmt } from './expect-types.ts';

type EntryExpect = Extract<ExpectStmt, { op: 'expect-entry' }>;

/** The words of an `expect entry` line (file F of `size` bytes) as its statement, or a failure. */
export function parseExpectEntry(words: readonly string[], line: number, text: string, size: number, num: (w: string, what: string) => number, fail: (msg: string) => never): EntryExpect {
  const offset = num(words[3]!, 'offset');
  if (offset >= size) fail(`offset ${offset} is past the end of file '${words[2]}' (${size} bytes)`);
  const kind = words[4];
  if (kind !== 'absent' && kind !== 'empty' && kind !== 'zero' && kind !== 'real') return fail(`expected absent, empty, zero or real, not '${kind}'`);
  let level: 'pte' | 'pmd' | null = null;
  let dirty: boolean | null = null;
  let locked = false;
  for (const w of words.slice(5)) {
    if ((w === 'pte' || w === 'pmd') && level === null) level = w;
    else if ((w === 'dirty' || w === 'clean') && dirty === null) dirty = w === 'dirty';
    else if (w === 'locked' && !locked) locked = true;
    else fail(`unexpected '${w}' (expected pte|pmd, dirty|clean, locked, each at most once)`);
  }
  if (kind === 'absent' && (level !== null || dirty !== null || locked)) fail('an absent entry has no level/dirty/locked to check');
  return { op: 'expect-entry', line, text, file: words[2]!, offset, kind, level, dirty, locked };
}

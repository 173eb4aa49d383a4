// The memory-failure statement of the scenario language (README "Memory failure"):
// `P poison F O`, a media error on the pmem block behind offset O of F, handled by
// memory_failure in P's context (as madvise(MADV_HWPOISON) or the machine check of P's own
// access would run it). What runs it is src/kernel/memory-failure.ts.

export interface PoisonStmt {
  readonly op: 'poison';
  readonly line: number;
  readonly proc: string;
  readonly file: string;
  readonly offset: number;
}

/** What the statement needs of the line parse.ts is reading. */
export interface PoisonLine {
  readonly words: readonly string[];
  readonly line: number;
  fail(msg: string): never;
  num(w: string, what: string): number;
  /** The size of the declared file `w`. */
  fileNamed(w: string): number;
}

export function parsePoison(c: PoisonLine, proc: string): PoisonStmt {
  const w = c.words;
  if (w.length !== 4) c.fail(`expected 'P poison F O'`);
  const size = c.fileNamed(w[2]!);
  const offset = c.num(w[3]!, 'offset');
  if (offset >= size) c.fail(`offset ${offset} is past the end of file '${w[2]}' (${size} bytes)`);
  return { op: 'poison', line: c.line, proc, file: w[2]!, offset };
}

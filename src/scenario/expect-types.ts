// The bug library's expect statements as the parser returns them (parse.ts; README "Language reference").

/**
 * `if bug expect ...` / `if fixed expect ...`: an expectation for the run with a `bug` switch
 * on (a `bug` line, `--bug`, or a mkclean that is one) or for the run with none, so one replay
 * file under test/bugs/ carries the buggy and the fixed kernel's behaviour (README, "The bug library").
 */
export type Guard = 'bug' | 'fixed';

/** What `expect view|data` compare the bytes with. */
export type BytesWanted = { kind: 'zero' } | { kind: 'file' } | { kind: 'written' } | { kind: 'byte'; byte: number };

/** The outcome of a statement, as `expect last` names it. */
export type Outcome = 'ok' | 'blocked' | 'livelock' | 'bug' | 'EINVAL' | 'EBUSY' | 'SIGBUS' | 'SIGSEGV';
export const OUTCOMES: readonly Outcome[] = ['ok', 'blocked', 'livelock', 'bug', 'EINVAL', 'EBUSY', 'SIGBUS', 'SIGSEGV'];

/** The bug library's expectations (README "Language reference"), one line in the report and one object in --json's expects each. */
export type ExpectStmt = { line: number; text: string; when?: Guard } & (
  | { op: 'expect-entry'; file: string; offset: number; kind: 'absent' | 'empty' | 'zero' | 'real'; level: 'pte' | 'pmd' | null; dirty: boolean | null; locked: boolean }
  | { op: 'expect-writeback'; file: string; entries: number }
  | { op: 'expect-faults'; proc: string; read: number; write: number; wp: number }
  | { op: 'expect-data'; file: string; offset: number; length: number; want: BytesWanted }
  | { op: 'expect-view'; proc: string; map: string; offset: number; length: number; want: BytesWanted }
  /** What P's CPU's TLB holds for the page at offset O of M (Mmu.tlbProbe: no walk, no side effect). */
  | { op: 'expect-tlb'; proc: string; map: string; offset: number; cached: boolean; write: boolean | null; dirty: boolean | null }
  | { op: 'expect-last'; outcome: Outcome }
  | { op: 'expect-dmesg'; contains: string | null }
  /** `expect done P`: P's last statement finished; `expect hang P`: P sleeps and no task left can wake it. */
  | { op: 'expect-task'; proc: string; state: 'done' | 'hang' }
);

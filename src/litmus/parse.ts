// Parser for .litmus files (README, "Language reference"):
//   persistence adr|eadr
//   T0: store X 1; clwb X; sfence; store Y 1
//   T1: store Z 1
// `#` starts a comment. A location is a name (its own 64-byte line) or `name+off`, off a
// multiple of 8 below 64 (another 8-byte word of the same line). Values are 64-bit words,
// given in decimal or 0x hex, at most 2^53-1 (exact JS numbers).
// Comment lines `# expect: T1:r=1 X=1 Y=0` list the expected outcome set, and one herd7-style
// condition line (`exists (X=0 /\ Y=1)`, `~exists (...)`, `forall (...)`, condition.ts) states
// the expected verdict; `litmus` checks both.

import { LitmusError } from './errors.ts';
import type { Persistence } from '../cache/pmem-cache.ts';
import { isConditionLine, parseCondition, unknownKeys, type Condition } from './condition.ts';

export type OpKind = 'store' | 'ntstore' | 'load' | 'clflush' | 'clflushopt' | 'clwb' | 'sfence' | 'mfence';

export interface Loc {
  /** Index of the line (one per distinct name, in order of first mention). */
  line: number;
  /** Word index within the line, 0..7. */
  word: number;
  /** Printed name: `X` or `X+8`. */
  name: string;
}

export interface Op {
  kind: OpKind;
  loc?: Loc;
  value?: number;
  /** load: index of the register in `LitmusTest.regs`. */
  reg?: number;
  /** Source text of the op, for messages. */
  text: string;
}

export interface Thread {
  id: number;
  line: number;
  ops: Op[];
}

export interface LitmusTest {
  file: string;
  persistence: Persistence;
  threads: Thread[];
  /** Line names, by line index. */
  lineNames: string[];
  /** Every location named, printed names, with its line/word. */
  locs: Loc[];
  /** Registers, printed as `T<i>:<reg>`. */
  regs: Array<{ thread: number; name: string; key: string }>;
  /** `# expect:` outcome lines, as written (normalised spacing). */
  expect: string[];
  /** Line of the first `# expect:` comment (0 when there is none). */
  expectLine: number;
  /** The herd7-style final condition, if the file states one. */
  condition: Condition | null;
}

/** Limits that keep exploration bounded (the explorer also caps visited states). */
export const MAX_THREADS = 8;
export const MAX_OPS_PER_THREAD = 16;
export const MAX_OPS = 40;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseNumber(s: string, where: string): number {
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.exec(s);
  if (m === null) throw new LitmusError(where, `'${s}' is not a number`);
  const v = Number(s);
  if (!Number.isSafeInteger(v)) throw new LitmusError(where, `value ${s} is larger than 2^53-1`);
  return v;
}

export function parseLitmus(text: string, file: string): LitmusTest {
  let persistence: Persistence | null = null;
  const threads = new Map<number, Thread>();
  const lineIndex = new Map<string, number>();
  const lineNames: string[] = [];
  const locByName = new Map<string, Loc>();
  const regByKey = new Map<string, number>();
  const regs: LitmusTest['regs'] = [];
  const expect: string[] = [];
  let expectLine = 0;
  let condition: Condition | null = null;

  const loc = (s: string, where: string): Loc => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\+([0-9]+|0[xX][0-9a-fA-F]+))?$/.exec(s);
    if (m === null) throw new LitmusError(where, `'${s}' is not a location (NAME or NAME+8 ... NAME+56)`);
    const base = m[1]!;
    const off = m[2] === undefined ? 0 : Number(m[2]);
    if (off % 8 !== 0 || off > 56) throw new LitmusError(where, `offset in '${s}' must be a multiple of 8 from 0 to 56`);
    let li = lineIndex.get(base);
    if (li === undefined) {
      li = lineNames.length;
      lineIndex.set(base, li);
      lineNames.push(base);
    }
    const name = off === 0 ? base : `${base}+${off}`;
    let l = locByName.get(name);
    if (l === undefined) {
      l = { line: li, word: off / 8, name };
      locByName.set(name, l);
    }
    return l;
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    if (hash >= 0) {
      const ex = /^\s*#\s*expect:\s*(.*)$/.exec(raw);
      if (ex !== null) {
        expect.push(ex[1]!.trim().split(/\s+/).filter((w) => w !== '').join(' '));
        if (expectLine === 0) expectLine = i + 1;
      }
    }
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const words = body.split(/\s+/);
    if (isConditionLine(body)) {
      if (condition !== null) throw new LitmusError(where, `a second condition (the first is on line ${condition.line})`);
      condition = parseCondition(body, where, i + 1);
      continue;
    }
    if (words[0] === 'persistence') {
      if (words.length !== 2 || (words[1] !== 'adr' && words[1] !== 'eadr')) throw new LitmusError(where, `expected 'persistence adr' or 'persistence eadr'`);
      if (persistence !== null) throw new LitmusError(where, 'persistence given twice');
      persistence = words[1];
      continue;
    }
    const tm = /^T([0-9]+)\s*:(.*)$/.exec(body);
    if (tm === null) throw new LitmusError(where, `expected 'persistence adr|eadr', 'T<n>: op; op; ...' or a condition (exists|~exists|forall (...)), not '${words[0]}'`);
    const id = Number(tm[1]);
    if (threads.has(id)) throw new LitmusError(where, `thread T${id} defined twice`);
    if (id >= MAX_THREADS) throw new LitmusError(where, `at most ${MAX_THREADS} threads (T0..T${MAX_THREADS - 1}) can be explored`);
    const ops: Op[] = [];
    const parts = tm[2]!.split(';').map((p) => p.trim());
    // a trailing ';' is allowed; an empty op elsewhere is not
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const p of parts) {
      if (p === '') throw new LitmusError(where, `empty operation in T${id}`);
      const w = p.split(/\s+/);
      const op = w[0]!;
      const arity = (n: number, form: string): void => {
        if (w.length !== n) throw new LitmusError(where, `'${p}': expected '${form}'`);
      };
      switch (op) {
        case 'store':
        case 'ntstore':
          arity(3, `${op} LOC VALUE`);
          ops.push({ kind: op, loc: loc(w[1]!, where), value: parseNumber(w[2]!, where), text: p });
          break;
        case 'load': {
          arity(3, 'load LOC REG');
          if (!NAME.test(w[2]!)) throw new LitmusError(where, `'${w[2]}' is not a register name`);
          const key = `T${id}:${w[2]}`;
          let r = regByKey.get(key);
          if (r === undefined) {
            r = regs.length;
            regByKey.set(key, r);
            regs.push({ thread: id, name: w[2]!, key });
          }
          ops.push({ kind: 'load', loc: loc(w[1]!, where), reg: r, text: p });
          break;
        }
        case 'clflush':
        case 'clflushopt':
        case 'clwb':
          arity(2, `${op} LOC`);
          ops.push({ kind: op, loc: loc(w[1]!, where), text: p });
          break;
        case 'sfence':
        case 'mfence':
          arity(1, op);
          ops.push({ kind: op, text: p });
          break;
        default:
          throw new LitmusError(where, `unknown operation '${op}' (store, load, clflush, clflushopt, clwb, sfence, mfence, ntstore)`);
      }
    }
    if (ops.length > MAX_OPS_PER_THREAD) throw new LitmusError(where, `T${id} has ${ops.length} operations; at most ${MAX_OPS_PER_THREAD} per thread can be explored`);
    threads.set(id, { id, line: i + 1, ops });
  }
  const ids = [...threads.keys()].sort((a, b) => a - b);
  if (ids.length === 0) throw new LitmusError(`${file}:1`, 'no threads (expected lines like "T0: store X 1")');
  for (let k = 0; k < ids.length; k++) {
    if (ids[k] !== k) throw new LitmusError(`${file}:${threads.get(ids[k]!)!.line}`, `threads must be numbered T0, T1, ... without gaps; T${k} is missing`);
  }
  const ordered = ids.map((k) => threads.get(k)!);
  const total = ordered.reduce((n, t) => n + t.ops.length, 0);
  if (total > MAX_OPS) throw new LitmusError(`${file}:${ordered[ordered.length - 1]!.line}`, `${total} operations in all; at most ${MAX_OPS} can be explored`);
  const cond = condition as Condition | null;
  if (cond !== null) {
    const names = [...regs.map((r) => r.key), ...locByName.keys()];
    const bad = unknownKeys(cond.prop, names);
    if (bad.length > 0) throw new LitmusError(`${file}:${cond.line}`, `condition names '${bad[0]}', which no thread loads or stores (known: ${names.join(', ')})`);
  }
  return {
    file,
    expectLine,
    condition: cond,
    persistence: persistence ?? 'adr',
    threads: ordered,
    lineNames,
    locs: [...locByName.values()],
    regs,
    expect,
  };
}

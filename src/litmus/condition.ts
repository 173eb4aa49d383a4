// Final-state conditions in herd7's style (the herd7 manual, "Litmus tests": a test ends with
// `exists`, `~exists` or `forall` and a proposition over final values):
//   exists (X=0 /\ Y=1)      Ok if some outcome satisfies it
//   ~exists (T1:r=1)         Ok if none does
//   forall (X=1 \/ Y=1)      Ok if every outcome does
// Atoms are `K=V` or `K!=V`, K a location (`X`, `X+8`) or a register, written `T1:r` as daxsim
// prints it or `1:r` / `P1:r` as herd7 does; `/\` binds tighter than `\/`; `~` negates;
// parentheses group; `true` and `false` are constants.
import { LitmusError } from './errors.ts';

export type CondKind = 'exists' | 'not-exists' | 'forall';

export type Prop =
  | { op: 'and' | 'or'; args: Prop[] }
  | { op: 'not'; arg: Prop }
  | { op: 'const'; value: boolean }
  | { op: 'eq' | 'ne'; key: string; value: number };

export interface Condition {
  kind: CondKind;
  prop: Prop;
  /** As written, spacing normalised. */
  text: string;
  line: number;
}

const KEYWORD: ReadonlyArray<readonly [string, CondKind]> = [
  ['~exists', 'not-exists'],
  ['exists', 'exists'],
  ['forall', 'forall'],
];

/** Whether a (comment-free) line starts a condition. */
export function isConditionLine(body: string): boolean {
  return /^(~\s*exists|exists|forall)\b/.test(body);
}

/** Parses `exists (...)` etc.; `regKey` maps a written register to daxsim's `T<i>:<reg>`. */
export function parseCondition(body: string, where: string, line: number): Condition {
  const norm = body.replace(/^~\s*exists/, '~exists');
  const kw = KEYWORD.find(([k]) => norm.startsWith(k))!;
  const toks = tokenize(norm.slice(kw[0].length), where);
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const take = (t: string): void => {
    if (toks[i] !== t) throw new LitmusError(where, `condition: expected '${t}', found ${toks[i] === undefined ? 'the end' : `'${toks[i]}'`}`);
    i++;
  };
  /** `next ( sep next )*`: one operand stands for itself, more make an `op` node. */
  const chain = (sep: string, op: 'or' | 'and', next: () => Prop) => (): Prop => {
    const args = [next()];
    while (peek() === sep) {
      i++;
      args.push(next());
    }
    return args.length === 1 ? args[0]! : { op, args };
  };
  const disj: () => Prop = chain('\\/', 'or', () => conj());
  const conj: () => Prop = chain('/\\', 'and', () => unary());
  const unary = (): Prop => {
    const t = peek();
    if (t === undefined) throw new LitmusError(where, 'condition: expected a proposition, found the end');
    if (t === '~') {
      i++;
      return { op: 'not', arg: unary() };
    }
    if (t === '(') {
      i++;
      const p = disj();
      take(')');
      return p;
    }
    if (t === 'true' || t === 'false') {
      i++;
      return { op: 'const', value: t === 'true' };
    }
    const key = registerKey(t);
    if (!/^([A-Za-z_][A-Za-z0-9_]*(\+[0-9]+)?|T[0-9]+:[A-Za-z_][A-Za-z0-9_]*)$/.test(key)) throw new LitmusError(where, `condition: '${t}' is not a location or register (X, X+8, T1:r or 1:r)`);
    i++;
    const rel = peek();
    if (rel !== '=' && rel !== '!=') throw new LitmusError(where, `condition: expected '=' or '!=' after '${t}'`);
    i++;
    const v = peek();
    if (v === undefined || !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(v) || !Number.isSafeInteger(Number(v))) throw new LitmusError(where, `condition: expected a value after '${t}${rel}'`);
    i++;
    return { op: rel === '=' ? 'eq' : 'ne', key, value: Number(v) };
  };
  const prop = disj();
  if (i < toks.length) throw new LitmusError(where, `condition: unexpected '${toks[i]}'`);
  return { kind: kw[1], prop, text: `${kw[0]} ${toks.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')').replace(/ (!?=) /g, '$1').replace(/~ /g, '~')}`, line };
}

/** herd7 writes registers `1:r` or `P1:r`; daxsim prints `T1:r`. */
function registerKey(t: string): string {
  const m = /^(?:P|T)?([0-9]+):([A-Za-z_][A-Za-z0-9_]*)$/.exec(t);
  return m === null ? t : `T${m[1]}:${m[2]}`;
}

function tokenize(s: string, where: string): string[] {
  const toks: string[] = [];
  const re = /\s*(\/\\|\\\/|!=|=|~|\(|\)|[A-Za-z0-9_:+]+)/y;
  let at = 0;
  while (at < s.length) {
    if (/^\s*$/.test(s.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(s);
    if (m === null) throw new LitmusError(where, `condition: unexpected '${s.slice(at).trim().slice(0, 20)}'`);
    toks.push(m[1]!);
    at = re.lastIndex;
  }
  return toks;
}

/** Keys the proposition names that no outcome has (a typo would make it vacuous). */
export function unknownKeys(p: Prop, keys: readonly string[]): string[] {
  switch (p.op) {
    case 'and':
    case 'or':
      return p.args.flatMap((a) => unknownKeys(a, keys));
    case 'not':
      return unknownKeys(p.arg, keys);
    case 'const':
      return [];
    default:
      return keys.includes(p.key) ? [] : [p.key];
  }
}

export function holds(p: Prop, keys: readonly string[], row: readonly number[]): boolean {
  switch (p.op) {
    case 'and':
      return p.args.every((a) => holds(a, keys, row));
    case 'or':
      return p.args.some((a) => holds(a, keys, row));
    case 'not':
      return !holds(p.arg, keys, row);
    case 'const':
      return p.value;
    case 'eq':
      return row[keys.indexOf(p.key)] === p.value;
    case 'ne':
      return row[keys.indexOf(p.key)] !== p.value;
  }
}

export interface Verdict {
  ok: boolean;
  /** Outcomes satisfying the proposition, and the others (herd7's Positive / Negative). */
  positive: number;
  negative: number;
  /** The outcomes that decide: the satisfying ones for `exists`, the violating ones otherwise. */
  witnesses: number[][];
}

export function judge(c: Condition, keys: readonly string[], states: readonly number[][]): Verdict {
  const pos = states.filter((r) => holds(c.prop, keys, r));
  const neg = states.filter((r) => !holds(c.prop, keys, r));
  const ok = c.kind === 'exists' ? pos.length > 0 : c.kind === 'not-exists' ? pos.length === 0 : neg.length === 0;
  const witnesses = c.kind === 'forall' ? neg : pos;
  return { ok, positive: pos.length, negative: neg.length, witnesses };
}

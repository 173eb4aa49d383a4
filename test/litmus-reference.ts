// Exhaustive explorer of a litmus test: every interleaving the machine allows, then power
// fails, with every persistence outcome the model allows.
//
// The machine (an operational model in the style of Px86sim, Raad et al. POPL 2020 §4, with
// the ordering table of the Intel SDM):
// - Each thread has a FIFO store buffer (x86-TSO, SDM Vol. 3A §8.2.2, §8.2.3.5 "intra-processor
//   forwarding"). store, ntstore, clflush, clflushopt, clwb and sfence enter it; a load reads
//   the newest buffered store to its word, else the cache. mfence waits for an empty buffer
//   (SDM Vol. 2 MFENCE: loads and stores after it wait for all earlier ones).
// - An entry leaves the buffer when no earlier entry of the same buffer must go first:
//     nothing passes an earlier sfence, and an sfence passes nothing (SDM Vol. 2 SFENCE;
//       CLFLUSHOPT/CLWB "ordered with respect to fence instructions");
//     entries to the same line keep their order (CLFLUSHOPT/CLWB "ordered with respect to
//       older writes to the cache line being invalidated"; CLFLUSH likewise; same-address
//       order for streaming stores);
//     store and clflush keep their order with earlier stores and clflushes to any line
//       (SDM §8.2.2 "writes are not reordered with other writes"; CLFLUSH "ordered with
//       respect to writes ... other executions of CLFLUSH");
//     clflushopt/clwb pass earlier stores and flushes to other lines (CLFLUSHOPT: "not
//       ordered with respect to writes to other cache lines ... CLFLUSH and CLFLUSHOPT to other
//       lines"), and later stores pass them (Px86 Fig. 2: x:=1; flushopt x; y:=1 may persist y
//       without x);
//     ntstore passes and is passed by stores to other lines (SDM §8.2.2: streaming stores are
//       the exception to write-write order; Px86 treats an nt-write likewise).
// - Leaving the buffer: a store becomes visible (enters the coherent cache), appending a
//   snapshot of its line; a flush writes the line's current snapshot back (Px86: a flush is
//   propagated only once every write to its location in the persistence buffer has
//   persisted), so that snapshot becomes the line's persisted lower bound; an ntstore becomes
//   visible and persistent at once (it goes around the cache to the memory controller,
//   writing back and invalidating the line if cached, SDM Vol. 1 §10.4.6.2).
// - A dirty line may be evicted at any moment, so under ADR a line persists as any of its
//   snapshots from the lower bound to the newest (per-line persist order = visibility order,
//   whole lines; no tearing inside a line). Lines are independent: all cross-line order comes
//   from flushes, already folded into the lower bounds. Under eADR the cache is written back
//   on power loss: each line persists as its newest visible snapshot; store buffers (and the
//   WC data of ntstores still in them) are lost.
// - Power fails after each thread's last operation has executed. A fence counts as executed
//   once it has completed (left the buffer): at the crash no sfence remains buffered, so
//   "clwb X; sfence" makes X persistent, while entries after a thread's last fence, and a
//   clflush with no fence after it, may still be in flight and are lost.
//
// States are memoised (a string key of the whole machine), so shared suffixes of interleavings
// are explored once; visited states are capped, never a hang.

import { LitmusError } from '../src/litmus/errors.ts';
// The outcome's shape, order and printing are shared with the explorer; the semantics are this file's own.
import { cmpRow, cmpStr, type Outcome } from '../src/litmus/outcome.ts';
import type { LitmusTest } from '../src/litmus/parse.ts';

export const MAX_STATES = 200_000;
/** Wall-clock budget, so that no input can make the command hang (ms). */
export const MAX_MILLIS = 60_000;

const enum K {
  W = 0, // store
  N = 1, // ntstore
  F = 2, // clflush
  O = 3, // clflushopt / clwb (same persistence and ordering, SDM Vol. 2 CLWB)
  S = 4, // sfence
}

interface Entry {
  k: K;
  line: number;
  word: number;
  value: number;
}

interface State {
  pcs: number[];
  regs: number[];
  bufs: Entry[][];
  /** Newest visible content of each line, 8 words. */
  cur: number[][];
  /** ADR: the snapshots since the lower bound (as keys of `cur`-like arrays), lower bound first. */
  cands: number[][][];
}

function blocks(p: Entry, e: Entry): boolean {
  if (p.k === K.S || e.k === K.S) return true;
  if (p.line === e.line) return true;
  if (e.k === K.W || e.k === K.F) return p.k === K.W || p.k === K.F;
  return false; // clflushopt/clwb and ntstore pass other lines
}

function keyOf(s: State): string {
  let k = s.pcs.join(',') + '|' + s.regs.join(',') + '|';
  for (const b of s.bufs) {
    for (const e of b) k += `${e.k}.${e.line}.${e.word}.${e.value};`;
    k += '/';
  }
  for (let i = 0; i < s.cur.length; i++) {
    k += s.cur[i]!.join(',') + '[';
    for (const c of s.cands[i]!) k += c.join(',') + ';';
    k += ']';
  }
  return k;
}

function sameLine(a: number[], b: number[]): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function explore(t: LitmusTest, maxStates = MAX_STATES): Outcome {
  const eadr = t.persistence === 'eadr';
  const nLines = t.lineNames.length;
  const regOrder = t.regs.map((r, i) => ({ ...r, i })).sort((a, b) => a.thread - b.thread || cmpStr(a.name, b.name));
  const locOrder = [...t.locs].sort((a, b) => cmpStr(t.lineNames[a.line]!, t.lineNames[b.line]!) || a.word - b.word);
  const keys = [...regOrder.map((r) => r.key), ...locOrder.map((l) => l.name)];
  const results = new Set<string>();
  const visited = new Set<string>();
  const lastLine = t.threads[t.threads.length - 1]!.line;
  const deadline = Date.now() + MAX_MILLIS;

  const init: State = {
    pcs: t.threads.map(() => 0),
    regs: t.regs.map(() => 0),
    bufs: t.threads.map(() => []),
    cur: Array.from({ length: nLines }, () => new Array<number>(8).fill(0)),
    cands: Array.from({ length: nLines }, () => [new Array<number>(8).fill(0)]),
  };

  const crash = (s: State): void => {
    const regPart = regOrder.map((r) => s.regs[r.i]!);
    // Product over lines of their possible persisted snapshots.
    const choices: number[][][] = s.cur.map((c, i) => (eadr ? [c] : s.cands[i]!));
    const pick = new Array<number>(nLines).fill(0);
    for (;;) {
      const row = regPart.concat(locOrder.map((l) => choices[l.line]![pick[l.line]!]![l.word]!));
      results.add(row.join(','));
      let i = 0;
      for (; i < nLines; i++) {
        if (++pick[i]! < choices[i]!.length) break;
        pick[i] = 0;
      }
      if (i === nLines) break;
    }
  };

  const clone = (s: State): State => ({ pcs: s.pcs.slice(), regs: s.regs.slice(), bufs: s.bufs.map((b) => b.slice()), cur: s.cur.slice(), cands: s.cands.slice() });

  const apply = (s: State, e: Entry): void => {
    switch (e.k) {
      case K.W:
      case K.N: {
        const line = s.cur[e.line]!.slice();
        line[e.word] = e.value;
        s.cur[e.line] = line;
        if (e.k === K.N) s.cands[e.line] = [line];
        else if (!s.cands[e.line]!.some((c) => sameLine(c, line))) s.cands[e.line] = [...s.cands[e.line]!, line];
        break;
      }
      case K.F:
      case K.O:
        s.cands[e.line] = [s.cur[e.line]!];
        break;
      case K.S:
        break;
    }
  };

  const stack: State[] = [init];
  while (stack.length > 0) {
    const s = stack.pop()!;
    const key = keyOf(s);
    if (visited.has(key)) continue;
    visited.add(key);
    if (visited.size > maxStates) {
      throw new LitmusError(`${t.file}:${lastLine}`, `exploration exceeds ${maxStates} machine states; use fewer threads or operations`);
    }
    if ((visited.size & 1023) === 0 && Date.now() > deadline) {
      throw new LitmusError(`${t.file}:${lastLine}`, `exploration exceeds ${MAX_MILLIS / 1000} s (${visited.size} machine states); use fewer threads or operations`);
    }
    let done = true;
    for (let ti = 0; ti < t.threads.length; ti++) {
      const ops = t.threads[ti]!.ops;
      const pc = s.pcs[ti]!;
      const buf = s.bufs[ti]!;
      if (pc < ops.length) {
        done = false;
        const op = ops[pc]!;
        if (op.kind === 'mfence' && buf.length > 0) continue;
        const n = clone(s);
        n.pcs[ti] = pc + 1;
        const l = op.loc;
        switch (op.kind) {
          case 'load': {
            let v = s.cur[l!.line]![l!.word]!;
            for (let i = buf.length - 1; i >= 0; i--) {
              const e = buf[i]!;
              if ((e.k === K.W || e.k === K.N) && e.line === l!.line && e.word === l!.word) {
                v = e.value;
                break;
              }
            }
            n.regs[op.reg!] = v;
            break;
          }
          case 'mfence':
            break;
          case 'store':
            n.bufs[ti]!.push({ k: K.W, line: l!.line, word: l!.word, value: op.value! });
            break;
          case 'ntstore':
            n.bufs[ti]!.push({ k: K.N, line: l!.line, word: l!.word, value: op.value! });
            break;
          case 'clflush':
            n.bufs[ti]!.push({ k: K.F, line: l!.line, word: 0, value: 0 });
            break;
          case 'clflushopt':
          case 'clwb':
            n.bufs[ti]!.push({ k: K.O, line: l!.line, word: 0, value: 0 });
            break;
          case 'sfence':
            n.bufs[ti]!.push({ k: K.S, line: -1, word: 0, value: 0 });
            break;
        }
        stack.push(n);
      }
    }
    let fenceBuffered = false;
    for (let ti = 0; ti < t.threads.length; ti++) {
      const buf = s.bufs[ti]!;
      for (let i = 0; i < buf.length; i++) {
        const e = buf[i]!;
        if (e.k === K.S) fenceBuffered = true;
        let ok = true;
        for (let j = 0; j < i && ok; j++) if (blocks(buf[j]!, e)) ok = false;
        if (!ok) continue;
        const n = clone(s);
        n.bufs[ti] = buf.slice(0, i).concat(buf.slice(i + 1));
        apply(n, e);
        stack.push(n);
      }
    }
    if (done && !fenceBuffered) crash(s);
  }

  const states = [...results].map((r) => (r === '' ? [] : r.split(',').map(Number)));
  states.sort(cmpRow);
  return { keys, states, visited: visited.size };
}

// Exhaustive explorer of a litmus test: every interleaving the machine allows, then power
// fails, with every persistence outcome the model allows.
//
// The machine it explores, and the ordering table, are described in ops.ts.
//
// Encoding. Every value of the test is interned to a small index (0 is index 0); a line's
// content (8 value indices) to a content id; a line's state (newest content, set of
// snapshots it may persist as) to a line-state id, with the effect of each buffered op on a
// line state memoised in a table. A store buffer holds ops of its own thread in program
// order, so it is a bit mask over the thread's op indices (at most 16). A machine state is
// then a fixed-length Uint32Array: per thread pc | mask << 5, the value index of each
// register, the line-state id of each line; visited states live in an open-addressing hash
// set over those words.
//
// Canonical states. The snapshots a line may persist as form a set (their order is never
// read), stored sorted; under eADR they are never read at all, so a line's state is just its
// newest content. The outcome of a crash depends only on the registers and line states, so
// each distinct such part is expanded into outcome rows once.
//
// Reduction (persistent sets, Godefroid 1996). In a state where some thread's next op is
// *local* — store, ntstore, clflush, clflushopt, clwb or sfence (it only appends to the
// thread's own buffer), mfence with an empty buffer (it only reads that buffer), or a load of
// a line to which no other thread has a store or ntstore buffered or still to issue (its
// value can then only change through the thread's own buffer) — only that op is explored.
// Soundness: such an op stays enabled until its thread moves, and it commutes with every
// step of the other threads and with the drains of its own buffer (a drain removes an older
// entry, the op appends a newer one or reads a word whose forwarded-or-cached value the drain
// does not change), so every step sequence that leaves it out is independent of it; the crash
// cannot happen before it either (its thread has not finished). Such a set is persistent,
// and a persistent-set search of a finite acyclic state graph (every step issues an op or
// drains an entry, so none repeats a state) reaches every terminal state, i.e. every crash
// outcome, even with visited states cached, since the chosen set depends on the state only.

import { LitmusError } from './errors.ts';
import { compileOps, KL, KM, KN, KS, KW } from './ops.ts';
import { cmpRow, cmpStr, MAX_OUTCOMES, tooManyOutcomes, type Outcome } from './outcome.ts';
import type { LitmusTest } from './parse.ts';
import { WordSet } from './word-set.ts';

export { formatState, MAX_OUTCOMES, toJson, tooManyOutcomes, type Outcome } from './outcome.ts';

export const MAX_STATES = 4_000_000;
/** Wall-clock budget, so that no input can make the command hang (ms). */
export const MAX_MILLIS = 60_000;
const PC_BITS = 5;
const PC_MASK = (1 << PC_BITS) - 1;


/** Thrown inside the search when a bound is hit; turned into an LitmusError by the caller. */
class Budget extends Error {}
class Soft extends Error {}

/**
 * The explorer of one test. `explore()` runs it to the end in this thread; the parallel
 * driver (parallel.ts) builds the same explorer in every worker, cuts the state graph at the
 * same deterministic frontier, and has each worker search some of the frontier's subtrees.
 */
export class Explorer {
  readonly keys: string[];
  private readonly eadr: boolean;
  private readonly nT: number;
  private readonly nR: number;
  private readonly nL: number;
  /** Words per machine state: threads, registers, lines. */
  private readonly stride: number;
  // interned values
  private readonly vals: number[] = [];
  // per global op
  private readonly kind: Int8Array;
  private readonly oLine: Int32Array;
  private readonly oWord: Int32Array;
  private readonly oVal: Int32Array;
  private readonly oReg: Int32Array;
  /** Earlier ops of the same thread (local bit mask) that an entry may not pass. */
  private readonly blockMask: Uint32Array;
  /** For a load: earlier stores/ntstores of the same thread to the same word. */
  private readonly fwdMask: Uint32Array;
  // per thread
  private readonly base: Int32Array;
  private readonly nOps: Int32Array;
  private readonly fenceMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's stores/ntstores to the line. */
  private readonly writeMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's stores, ntstores and flushes of the line. */
  private readonly touchMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's loads of the line. */
  private readonly loadMask: Uint32Array;
  /** [thread * 17 + pc]: how many loads the thread has executed at that pc. */
  private readonly loadsBefore: Int32Array;
  /** For a buffered op: whether an sfence or mfence follows it in its thread's program. */
  private readonly guarded: Uint8Array;
  // outputs
  private readonly regOut: number[];
  private readonly locOut: Array<{ line: number; word: number }>;
  // contents and line states
  private readonly contents: number[] = [];
  private readonly contentIds = new Map<string, number>();
  private readonly lsCur: number[] = [];
  private readonly lsCands: number[][] = [];
  private readonly lsIds = new Map<string, number>();
  private trans: Int32Array;
  private readonly nOpsAll: number;
  // search
  private readonly visitedSet: WordSet;
  private readonly crashSet: WordSet;
  private readonly results = new Set<string>();
  private readonly lastLine: number;

  constructor(
    readonly test: LitmusTest,
    private readonly maxStates = MAX_STATES,
    private readonly deadline = Date.now() + MAX_MILLIS,
    private readonly maxOutcomes = MAX_OUTCOMES,
  ) {
    const t = test;
    this.eadr = t.persistence === 'eadr';
    this.nT = t.threads.length;
    this.nR = t.regs.length;
    this.nL = t.lineNames.length;
    this.stride = this.nT + this.nR + this.nL;
    this.lastLine = t.threads[t.threads.length - 1]!.line;
    const regOrder = t.regs.map((r, i) => ({ ...r, i })).sort((a, b) => a.thread - b.thread || cmpStr(a.name, b.name));
    const locOrder = [...t.locs].sort((a, b) => cmpStr(t.lineNames[a.line]!, t.lineNames[b.line]!) || a.word - b.word);
    this.keys = [...regOrder.map((r) => r.key), ...locOrder.map((l) => l.name)];
    this.regOut = regOrder.map((r) => r.i);
    this.locOut = locOrder.map((l) => ({ line: l.line, word: l.word }));

    const valIndex = new Map<number, number>([[0, 0]]);
    this.vals.push(0);
    const val = (v: number): number => {
      let i = valIndex.get(v);
      if (i === undefined) {
        i = this.vals.length;
        valIndex.set(v, i);
        this.vals.push(v);
      }
      return i;
    };
    const o = compileOps(t, this.nL, val);
    this.nOpsAll = o.nOpsAll;
    this.kind = o.kind;
    this.oLine = o.oLine;
    this.oWord = o.oWord;
    this.oVal = o.oVal;
    this.oReg = o.oReg;
    this.blockMask = o.blockMask;
    this.fwdMask = o.fwdMask;
    this.base = o.base;
    this.nOps = o.nOps;
    this.fenceMask = o.fenceMask;
    this.writeMask = o.writeMask;
    this.touchMask = o.touchMask;
    this.loadMask = o.loadMask;
    this.loadsBefore = o.loadsBefore;
    this.guarded = o.guarded;
    const n = o.nOpsAll;
    const zero = this.content(new Array<number>(8).fill(0));
    this.lineState(zero, [zero]); // line state 0: all zero
    this.trans = new Int32Array(Math.max(1, n) * 16).fill(-1);
    this.visitedSet = new WordSet(this.stride);
    this.crashSet = new WordSet(this.nR + this.nL);
  }

  private content(words: number[]): number {
    const key = words.join(',');
    let id = this.contentIds.get(key);
    if (id === undefined) {
      id = this.contentIds.size;
      this.contentIds.set(key, id);
      this.contents.push(...words);
    }
    return id;
  }

  private lineState(cur: number, cands: number[]): number {
    const key = `${cur}|${cands.join(',')}`;
    let id = this.lsIds.get(key);
    if (id === undefined) {
      id = this.lsCur.length;
      this.lsIds.set(key, id);
      this.lsCur.push(cur);
      this.lsCands.push(cands);
    }
    return id;
  }

  /** The line state after buffered op g (store, ntstore, flush) leaves the buffer. */
  private lineStep(ls: number, g: number): number {
    const n = this.nOpsAll;
    const idx = ls * n + g;
    if (idx < this.trans.length) {
      const r = this.trans[idx]!;
      if (r >= 0) return r;
    }
    const cur = this.lsCur[ls]!;
    const cands = this.lsCands[ls]!;
    let next: number;
    const k = this.kind[g]!;
    if (k === KW || k === KN) {
      const words = this.contents.slice(cur * 8, cur * 8 + 8);
      words[this.oWord[g]!] = this.oVal[g]!;
      const c = this.content(words);
      if (k === KN || this.eadr) next = this.lineState(c, [c]);
      else next = this.lineState(c, cands.includes(c) ? cands : [...cands, c].sort((a, b) => a - b));
    } else {
      next = this.lineState(cur, [cur]);
    }
    if (idx >= this.trans.length) {
      let len = this.trans.length;
      while (len <= idx) len *= 2;
      const t = new Int32Array(len).fill(-1);
      t.set(this.trans);
      this.trans = t;
    }
    this.trans[idx] = next;
    return next;
  }

  private crash(s: Uint32Array, off: number): void {
    const nT = this.nT;
    if (!this.crashSet.add(s, off + nT)) return;
    const rowLen = this.regOut.length + this.locOut.length;
    const row = new Array<number>(rowLen);
    for (let i = 0; i < this.regOut.length; i++) row[i] = s[off + nT + this.regOut[i]!]!;
    const lineOff = off + nT + this.nR;
    const choices: number[][] = [];
    for (let l = 0; l < this.nL; l++) {
      const ls = s[lineOff + l]!;
      choices.push(this.eadr ? [this.lsCur[ls]!] : this.lsCands[ls]!);
    }
    const pick = new Array<number>(this.nL).fill(0);
    const r0 = this.regOut.length;
    for (;;) {
      for (let i = 0; i < this.locOut.length; i++) {
        const lo = this.locOut[i]!;
        row[r0 + i] = this.contents[choices[lo.line]![pick[lo.line]!]! * 8 + lo.word]!;
      }
      this.results.add(String.fromCharCode(...row));
      this.checkOutcomes();
      let i = 0;
      for (; i < this.nL; i++) {
        if (++pick[i]! < choices[i]!.length) break;
        pick[i] = 0;
      }
      if (i === this.nL) break;
    }
  }

  /** Whether the load g of thread ti can read a value another thread has yet to make visible. */
  private raced(s: Uint32Array, off: number, ti: number, g: number): boolean {
    const line = this.oLine[g]!;
    for (let tj = 0; tj < this.nT; tj++) {
      if (tj === ti) continue;
      const w = s[off + tj]!;
      const pending = (0xffff << (w & PC_MASK)) & 0xffff;
      if (((w >>> PC_BITS) | pending) & this.writeMask[tj * this.nL + line]!) return true;
    }
    return false;
  }

  /**
   * Whether draining entry g of thread ti may be explored alone: it is an sfence, or a fence
   * follows it in its thread (so power cannot fail before it drains) and no other thread has
   * buffered or still to issue an entry of its line, nor, for a store, a load of its line.
   */
  private privateDrain(s: Uint32Array, off: number, ti: number, g: number): boolean {
    const k = this.kind[g]!;
    if (k === KS) return true;
    if (this.guarded[g] === 0) return false;
    const line = this.oLine[g]!;
    const store = k === KW || k === KN;
    for (let tj = 0; tj < this.nT; tj++) {
      if (tj === ti) continue;
      const w = s[off + tj]!;
      const pending = (0xffff << (w & PC_MASK)) & 0xffff;
      const i = tj * this.nL + line;
      if (((w >>> PC_BITS) | pending) & this.touchMask[i]!) return false;
      if (store && pending & this.loadMask[i]!) return false;
    }
    return true;
  }

  /**
   * Calls `emit(next)` for each successor of state s[off..] kept by the reduction (next is a
   * scratch buffer, valid during the call), after recording the crash outcomes of s when
   * it is a state power may fail in.
   */
  private expand(s: Uint32Array, off: number, next: Uint32Array, emit: (n: Uint32Array) => void): void {
    const nT = this.nT;
    // a local next op: the only successor explored (see the header comment)
    for (let ti = 0; ti < nT; ti++) {
      const w = s[off + ti]!;
      const pc = w & PC_MASK;
      if (pc >= this.nOps[ti]!) continue;
      const g = this.base[ti]! + pc;
      const k = this.kind[g]!;
      const mask = w >>> PC_BITS;
      if (k === KM ? mask !== 0 : k === KL && this.raced(s, off, ti, g)) continue;
      this.issue(s, off, next, ti, g);
      emit(next);
      return;
    }
    for (let ti = 0; ti < nT; ti++) {
      const w = s[off + ti]!;
      const mask = w >>> PC_BITS;
      for (let m = mask; m !== 0; m &= m - 1) {
        const p = 31 - Math.clz32(m & -m);
        const g = this.base[ti]! + p;
        if (mask & this.blockMask[g]! || !this.privateDrain(s, off, ti, g)) continue;
        this.drain(s, off, next, ti, p, g);
        emit(next);
        return;
      }
    }
    let done = true;
    let fence = false;
    for (let ti = 0; ti < nT; ti++) {
      const w = s[off + ti]!;
      const pc = w & PC_MASK;
      const mask = w >>> PC_BITS;
      if (mask & this.fenceMask[ti]!) fence = true;
      if (pc < this.nOps[ti]!) {
        done = false;
        const g = this.base[ti]! + pc;
        if (this.kind[g] !== KM || mask === 0) {
          this.issue(s, off, next, ti, g);
          emit(next);
        }
      }
      // drains: each entry no earlier entry blocks
      for (let m = mask; m !== 0; m &= m - 1) {
        const p = 31 - Math.clz32(m & -m);
        const g = this.base[ti]! + p;
        if (mask & this.blockMask[g]!) continue;
        this.drain(s, off, next, ti, p, g);
        emit(next);
      }
    }
    if (done && !fence) this.crash(s, off);
  }

  private drain(s: Uint32Array, off: number, next: Uint32Array, ti: number, p: number, g: number): void {
    for (let i = 0; i < this.stride; i++) next[i] = s[off + i]!;
    const w = s[off + ti]!;
    next[ti] = (w & PC_MASK) | (((w >>> PC_BITS) & ~(1 << p)) << PC_BITS);
    if (this.kind[g] !== KS) {
      const l = this.nT + this.nR + this.oLine[g]!;
      next[l] = this.lineStep(s[off + l]!, g);
    }
  }

  private issue(s: Uint32Array, off: number, next: Uint32Array, ti: number, g: number): void {
    for (let i = 0; i < this.stride; i++) next[i] = s[off + i]!;
    const w = s[off + ti]!;
    const pc = w & PC_MASK;
    let mask = w >>> PC_BITS;
    const k = this.kind[g]!;
    if (k === KL) {
      const fwd = mask & this.fwdMask[g]!;
      let v: number;
      if (fwd !== 0) v = this.oVal[this.base[ti]! + 31 - Math.clz32(fwd)]!;
      else v = this.contents[this.lsCur[s[off + this.nT + this.nR + this.oLine[g]!]!]! * 8 + this.oWord[g]!]!;
      next[this.nT + this.oReg[g]!] = v;
    } else if (k !== KM) {
      mask |= 1 << pc;
    }
    next[ti] = (pc + 1) | (mask << PC_BITS);
  }

  private tooMany(): never {
    throw new Budget(`exploration exceeds ${this.maxStates} machine states; use fewer threads or operations`);
  }

  /** A soft bound on visited states (runWithin): hitting it stops the search, not an error. */
  private soft = Infinity;

  private checkBudget(): void {
    const n = this.visitedSet.size;
    if (n > this.soft) throw new Soft();
    if (n > this.maxStates) this.tooMany();
    if ((n & 1023) === 0 && Date.now() > this.deadline) {
      throw new Budget(`exploration exceeds ${MAX_MILLIS / 1000} s (${n} machine states); use fewer threads or operations`);
    }
  }

  private outcomeSteps = 0;

  /** The outcome product is enumerated lazily, but still bounded by count and by the clock. */
  private checkOutcomes(): void {
    const n = this.results.size;
    if (n > this.maxOutcomes) {
      throw new Budget(tooManyOutcomes(this.maxOutcomes));
    }
    if ((++this.outcomeSteps & 4095) === 0 && Date.now() > this.deadline) {
      throw new Budget(`exploration exceeds ${MAX_MILLIS / 1000} s (${n} crash outcomes so far); use fewer threads or operations`);
    }
  }

  private initial(): Uint32Array {
    return new Uint32Array(this.stride); // pcs 0, empty buffers, registers 0, lines all-zero (state 0)
  }

  /** Depth-first search from the given states (already in the visited set). */
  private dfs(roots: Uint32Array, count: number): void {
    const S = this.stride;
    let stack = new Uint32Array(Math.max(64, count * 2) * Math.max(1, S));
    stack.set(roots.subarray(0, count * S));
    let sp = count;
    const cur = new Uint32Array(S);
    const next = new Uint32Array(S);
    const emit = (n: Uint32Array): void => {
      if (this.parts > 1) {
        const o = this.ownerOf(n);
        if (o !== this.part) {
          if (this.sent!.add(n, 0)) this.pack(n, this.outbox[o]!);
          return;
        }
      }
      if (!this.visitedSet.add(n, 0)) return;
      this.checkBudget();
      if ((sp + 1) * S > stack.length) {
        const b = new Uint32Array(stack.length * 2);
        b.set(stack);
        stack = b;
      }
      stack.set(n, sp * S);
      sp++;
    };
    while (sp > 0) {
      sp--;
      cur.set(stack.subarray(sp * S, sp * S + S));
      this.expand(cur, 0, next, emit);
    }
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof Budget) throw new LitmusError(`${this.test.file}:${this.lastLine}`, e.message);
      throw e;
    }
  }

  /** Explores the whole state graph in this thread. */
  run(): void {
    this.guard(() => {
      const s = this.initial();
      this.visitedSet.add(s, 0);
      this.dfs(s, 1);
    });
  }

  /**
   * Explores the whole state graph in this thread unless it has more than `states` states:
   * then stops and returns false (the explorer is then spent).
   */
  runWithin(states: number): boolean {
    this.soft = states;
    try {
      this.run();
      return true;
    } catch (e) {
      if (e instanceof Soft) return false;
      throw e;
    } finally {
      this.soft = Infinity;
    }
  }

  /**
   * Makes this explorer one of `parts` that share the state graph: a state belongs to the
   * part given by a hash of its registers and of how many loads each thread has executed.
   * Only loads change that, so most steps stay in their part; a successor of another part is
   * put in an outbox (step() returns them) instead of being searched here.
   */
  partition(part: number, parts: number): void {
    this.part = part;
    this.parts = parts;
    this.outbox = Array.from({ length: parts }, () => []);
    this.sent = new WordSet(this.stride);
  }

  private part = 0;
  private parts = 1;
  private outbox: number[][] = [];
  private sent: WordSet | null = null;

  /**
   * Line-state ids are this explorer's own, so states cross to other workers as words: the
   * thread and register words, then per line its snapshot count, newest content and
   * snapshots (8 value indices each; values are interned alike everywhere).
   */
  private pack(n: Uint32Array, out: number[]): void {
    const head = this.nT + this.nR;
    for (let i = 0; i < head; i++) out.push(n[i]!);
    for (let l = 0; l < this.nL; l++) {
      const ls = n[head + l]!;
      const cands = this.lsCands[ls]!;
      out.push(cands.length);
      for (const c of [this.lsCur[ls]!, ...cands]) for (let w = 0; w < 8; w++) out.push(this.contents[c * 8 + w]!);
    }
  }

  private unpack(src: Uint32Array, off: number, n: Uint32Array): number {
    const head = this.nT + this.nR;
    for (let i = 0; i < head; i++) n[i] = src[off++]!;
    for (let l = 0; l < this.nL; l++) {
      const k = src[off++]!;
      const ids: number[] = [];
      for (let c = 0; c <= k; c++, off += 8) ids.push(this.content(Array.from(src.subarray(off, off + 8))));
      n[head + l] = this.lineState(ids[0]!, ids.slice(1).sort((a, b) => a - b));
    }
    return off;
  }

  private ownerOf(n: Uint32Array): number {
    let h = 0x9e3779b9;
    for (let ti = 0; ti < this.nT; ti++) h = Math.imul(h ^ this.loadsBefore[ti * 17 + (n[ti]! & PC_MASK)]!, 0x01000193);
    for (let r = 0; r < this.nR; r++) h = Math.imul(h ^ n[this.nT + r]!, 0x01000193);
    // murmur3's finaliser, then the high bits pick the part
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return Math.floor(((h >>> 0) * this.parts) / 2 ** 32);
  }

  /** States of this part waiting to be searched from (stride words each). */
  private roots: number[] = [];

  /**
   * A slice of a partitioned search: adds the states of `inbox` (packed; in the first call
   * also the initial state if it is ours) to the waiting roots, searches from at most
   * `maxRoots` of them everything of this part they reach, and returns the successors found
   * for each other part (packed) and how many roots still wait.
   */
  step(inbox: Uint32Array, first: boolean, maxRoots: number): { out: Uint32Array[]; waiting: number } {
    return this.guard(() => {
      const S = this.stride;
      const take = (src: Uint32Array): void => {
        if (!this.visitedSet.add(src, 0)) return;
        this.checkBudget();
        for (let i = 0; i < S; i++) this.roots.push(src[i]!);
      };
      if (first) {
        const s0 = this.initial();
        if (this.ownerOf(s0) === this.part) take(s0);
      }
      const s = new Uint32Array(S);
      for (let off = 0; off < inbox.length; ) {
        off = this.unpack(inbox, off, s);
        take(s);
      }
      const n = Math.min(maxRoots, this.roots.length / S);
      const batch = Uint32Array.from(this.roots.slice(this.roots.length - n * S));
      this.roots.length -= n * S;
      this.dfs(batch, n);
      const out = this.outbox.map((o) => Uint32Array.from(o));
      for (const o of this.outbox) o.length = 0;
      return { out, waiting: this.roots.length / S };
    });
  }

  get visited(): number {
    return this.visitedSet.size;
  }

  /** Outcome rows found so far, encoded (one UTF-16 code unit per interned value). */
  rows(): string[] {
    return [...this.results];
  }

  /** Decodes and sorts encoded rows (from this explorer or from workers of the same test). */
  outcome(rows: Iterable<string>, visited: number): Outcome {
    const states: number[][] = [];
    for (const r of rows) {
      const row = new Array<number>(r.length);
      for (let i = 0; i < r.length; i++) row[i] = this.vals[r.charCodeAt(i)]!;
      states.push(row);
    }
    states.sort(cmpRow);
    return { keys: this.keys, states, visited };
  }
}

export function explore(t: LitmusTest, maxStates = MAX_STATES): Outcome {
  const x = new Explorer(t, maxStates);
  x.run();
  return x.outcome(x.rows(), x.visited);
}


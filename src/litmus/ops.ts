// The operations of a litmus test compiled into the tables the explorer reads (explore.ts):
// each op's kind, line, word, value and register, and the masks of the earlier ops of its
// thread it may not pass in the store buffer. The ordering those masks encode:
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
// - Leaving the buffer: a store becomes visible (enters the coherent cache), adding a
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

import type { LitmusTest } from './parse.ts';

// op kinds
export const KW = 0; // store
export const KN = 1; // ntstore
export const KF = 2; // clflush
export const KO = 3; // clflushopt / clwb (same persistence and ordering, SDM Vol. 2 CLWB)
export const KS = 4; // sfence
export const KL = 5; // load
export const KM = 6; // mfence

/** Per global op (threads' ops in order), per thread, and per thread and line. */
export interface OpTables {
  /** Ops in all threads. */
  readonly nOpsAll: number;
  readonly kind: Int8Array;
  readonly oLine: Int32Array;
  readonly oWord: Int32Array;
  readonly oVal: Int32Array;
  readonly oReg: Int32Array;
  /** Earlier ops of the same thread (local bit mask) that an entry may not pass. */
  readonly blockMask: Uint32Array;
  /** For a load: earlier stores/ntstores of the same thread to the same word. */
  readonly fwdMask: Uint32Array;
  /** Per thread: its first global op, its op count, and the local mask of its sfences. */
  readonly base: Int32Array;
  readonly nOps: Int32Array;
  readonly fenceMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's stores/ntstores to the line. */
  readonly writeMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's stores, ntstores and flushes of the line. */
  readonly touchMask: Uint32Array;
  /** [thread * nL + line]: local mask of the thread's loads of the line. */
  readonly loadMask: Uint32Array;
  /** [thread * 17 + pc]: how many loads the thread has executed at that pc. */
  readonly loadsBefore: Int32Array;
  /** For a buffered op: whether an sfence or mfence follows it in its thread's program. */
  readonly guarded: Uint8Array;
}

/** The tables of test `t` with `nL` lines; `val` interns a stored value to its index. */
export function compileOps(t: LitmusTest, nL: number, val: (v: number) => number): OpTables {
  const nT = t.threads.length;
  const n = t.threads.reduce((a, th) => a + th.ops.length, 0);
  const kind = new Int8Array(n);
  const oLine = new Int32Array(n).fill(-1);
  const oWord = new Int32Array(n);
  const oVal = new Int32Array(n);
  const oReg = new Int32Array(n).fill(-1);
  const blockMask = new Uint32Array(n);
  const fwdMask = new Uint32Array(n);
  const base = new Int32Array(nT);
  const nOps = new Int32Array(nT);
  const fenceMask = new Uint32Array(nT);
  const writeMask = new Uint32Array(nT * nL);
  const touchMask = new Uint32Array(nT * nL);
  const loadMask = new Uint32Array(nT * nL);
  const guarded = new Uint8Array(n);
  const loadsBefore = new Int32Array(nT * 17);
  let g = 0;
  for (let ti = 0; ti < nT; ti++) {
    const ops = t.threads[ti]!.ops;
    base[ti] = g;
    nOps[ti] = ops.length;
    for (let p = 0; p < ops.length; p++, g++) {
      const op = ops[p]!;
      const k =
        op.kind === 'store' ? KW
        : op.kind === 'ntstore' ? KN
        : op.kind === 'clflush' ? KF
        : op.kind === 'clflushopt' || op.kind === 'clwb' ? KO
        : op.kind === 'sfence' ? KS
        : op.kind === 'load' ? KL
        : KM;
      kind[g] = k;
      if (op.loc !== undefined) {
        oLine[g] = op.loc.line;
        oWord[g] = op.loc.word;
      }
      if (op.value !== undefined) oVal[g] = val(op.value);
      if (op.reg !== undefined) oReg[g] = op.reg;
      if (k === KS) fenceMask[ti]! |= 1 << p;
      if (k === KW || k === KN) writeMask[ti * nL + op.loc!.line]! |= 1 << p;
      if (k === KW || k === KN || k === KF || k === KO) touchMask[ti * nL + op.loc!.line]! |= 1 << p;
      if (k === KL) loadMask[ti * nL + op.loc!.line]! |= 1 << p;
      loadsBefore[ti * 17 + p + 1] = loadsBefore[ti * 17 + p]! + (k === KL ? 1 : 0);
      guarded[g] = ops.slice(p + 1).some((o) => o.kind === 'sfence' || o.kind === 'mfence') ? 1 : 0;
      // the ordering table, as in the header comment
      for (let j = 0; j < p; j++) {
        const jg = base[ti]! + j;
        const jk = kind[jg]!;
        if (jk === KL || jk === KM) continue; // never buffered
        if (k === KL) {
          if ((jk === KW || jk === KN) && oLine[jg] === oLine[g] && oWord[jg] === oWord[g]) fwdMask[g]! |= 1 << j;
          continue;
        }
        if (k === KM) continue;
        let blocks: boolean;
        if (jk === KS || k === KS) blocks = true;
        else if (oLine[jg] === oLine[g]) blocks = true;
        else if (k === KW || k === KF) blocks = jk === KW || jk === KF;
        else blocks = false;
        if (blocks) blockMask[g]! |= 1 << j;
      }
    }
  }
  return { nOpsAll: n, kind, oLine, oWord, oVal, oReg, blockMask, fwdMask, base, nOps, fenceMask, writeMask, touchMask, loadMask, loadsBefore, guarded };
}

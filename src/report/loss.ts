// Why a crash lost what it lost, and which promises held by luck: a ledger of the kernel events
// of one run (stores, faults, fsync/msync and user flush+fence promises, dax_writeback_one,
// mkclean's misses), each tied to the statement (line, process) it happened in. The HTML report
// and the trace read it; neither changes what the kernel does.
//
// The reasoning follows the kernel's durability contract for DAX (fs/dax.c): a store through a
// writable, dirty mapping is written back by the next fsync only if the DAX entry covering it
// is DIRTY, and only a write fault (dax_iomap_pte_fault / dax_iomap_pmd_fault ->
// dax_insert_entry, or the wp path) marks it DIRTY again after dax_writeback_one cleared it.
// dax_writeback_one's mkclean must therefore write-protect every mapping of the entry, or a
// later store through the mapping it left writable takes no fault and is "unprotected": the
// entry stays clean, the next fsync writes nothing back for it, and the promise it makes is
// broken. The durability checker (src/check) says which bytes were lost; this ledger says why.
// An unprotected store that survived anyway did so because something else wrote its line back
// (another entry-dirtying fault and fsync, or another CPU's clwb): the promise held by luck.

import type { LostRange } from '../check/durability.ts';
import type { KernelEvents } from '../kernel/events.ts';
import type { Simulation } from '../sim/simulation.ts';

const LINE = 64;

/** Where a record happened: the statement's line and the process that ran it (null: machine-wide). */
export interface At {
  line: number;
  proc: string | null;
  /** Order of the event in the run. */
  seq: number;
  /** The owner's clock when it happened (the trace's timestamp). */
  ts: number;
}

export interface StoreRec extends At {
  /** The process whose CPU stored. */
  by: string;
  file: string;
  offset: number;
  end: number;
  /** A write or wp fault preceded it in the same access. */
  faulted: boolean;
  /** No fault and its DAX entry was not DIRTY: no fsync will write it back unless something re-dirties the entry. */
  unprotected: boolean;
  entryIndex: number | null;
}

export interface PromiseRec extends At {
  kind: 'sync' | 'flush+sfence';
  by: string | null;
  file: string;
  start: number;
  end: number;
}

export interface WritebackRec extends At {
  file: string;
  entryIndex: number;
  /** File byte range of the entry. */
  start: number;
  end: number;
  lines: number;
}

export type MkcleanReason = 'VMA not returned by i_mmap' | 'pfn mismatch' | 'private mapping skipped';

export interface MkcleanMiss extends At {
  file: string;
  entryIndex: number;
  start: number;
  end: number;
  /** The process whose mapping was left writable and dirty. */
  victim: string;
  vma: string;
  reason: MkcleanReason;
}

export interface UserFlushRec extends At {
  by: string;
  file: string;
  line64: number;
}

/** One lost byte range, explained. */
export interface LossExplanation {
  range: LostRange;
  /** The store whose value the crash lost (the last one before the promise). */
  store: StoreRec | null;
  /** The fsync/msync (or flush+sfence) whose promise was broken. */
  promise: PromiseRec | null;
  /** The mkclean that left the storing process's mapping writable, with why. */
  missed: MkcleanMiss | null;
  /** Writebacks of the entry between the store and the crash (none: nothing wrote it back). */
  writebacksAfter: WritebackRec[];
}

/** A promise that held although the store it covers was unprotected. */
export interface LuckRec {
  store: StoreRec;
  promise: PromiseRec;
  /** What wrote the line back instead: a writeback of the entry, or another CPU's clwb. */
  savedBy: WritebackRec | UserFlushRec;
  /** For a writeback: the faulting store of another process that made the entry DIRTY again. */
  redirtied: StoreRec | null;
  missed: MkcleanMiss | null;
}

const REASON: Readonly<Record<string, MkcleanReason>> = { 'pfn-mismatch': 'pfn mismatch', 'skipped-private': 'private mapping skipped' };

export class LossLedger {
  readonly stores: StoreRec[] = [];
  readonly promises: PromiseRec[] = [];
  readonly writebacks: WritebackRec[] = [];
  readonly misses: MkcleanMiss[] = [];
  readonly flushes: UserFlushRec[] = [];
  private seq = 0;
  private sim: Simulation | null = null;
  /** CPUs that took a write fault since their last store. */
  private readonly faulted = new Set<number>();
  private readonly pendingFlush = new Map<number, UserFlushRec[]>();
  /** Records not yet tied to a statement (until endStatement). */
  private pending: At[] = [];

  constructor(private readonly clock: () => number = () => 0) {}

  /** The simulation, once known (the first afterStatement): for page size, entries and process names. */
  attach(sim: Simulation): void {
    this.sim = sim;
  }

  private nameOf(cpu: number): string {
    return this.sim?.kernel.mms.find((m) => m.cpu === cpu)?.name ?? `cpu ${cpu}`;
  }

  /** A new record's place in the run; its statement is filled in by endStatement. */
  private stamp(): At {
    return { line: 0, proc: null, seq: this.seq++, ts: this.clock() };
  }

  private keep<T extends At>(list: T[], rec: T): T {
    list.push(rec);
    this.pending.push(rec);
    return rec;
  }

  /** Ties the events since the last call to statement `line` run by `proc`. */
  endStatement(line: number, proc: string | null): void {
    for (const a of this.pending) {
      a.line = line;
      a.proc = proc;
    }
    this.pending = [];
  }

  private entryRange(index: number, order: number): { start: number; end: number } {
    const ps = this.sim?.pageSize ?? 4096;
    return { start: index * ps, end: (index + 2 ** order) * ps };
  }

  events(): KernelEvents {
    return {
      fault: (mm, _va, kind) => {
        if (kind !== 'read') this.faulted.add(mm.cpu);
      },
      fileStore: (file, offset, len, cpu) => {
        const ps = this.sim?.pageSize ?? 4096;
        const e = file.mapping.entries.find(Math.floor(offset / ps));
        const faulted = this.faulted.delete(cpu);
        const unprotected = !faulted && e !== undefined && !e.dirty;
        const last = this.stores[this.stores.length - 1];
        // One record per contiguous store of one statement and file (the kernel stores page by page).
        if (last !== undefined && this.pending.includes(last) && last.file === file.name && last.end === offset && last.by === this.nameOf(cpu) && last.unprotected === unprotected) {
          last.end = offset + len;
          last.faulted ||= faulted;
          return;
        }
        this.keep(this.stores, { ...this.stamp(), by: this.nameOf(cpu), file: file.name, offset, end: offset + len, faulted, unprotected, entryIndex: e?.index ?? null });
      },
      fileSynced: (file, start, end) => {
        this.keep(this.promises, { ...this.stamp(), kind: 'sync', by: null, file: file.name, start, end });
      },
      userFlush: (cpu, file, lineOffset) => {
        const rec = this.keep(this.flushes, { ...this.stamp(), by: this.nameOf(cpu), file: file.name, line64: lineOffset - (lineOffset % LINE) });
        const list = this.pendingFlush.get(cpu) ?? [];
        list.push(rec);
        this.pendingFlush.set(cpu, list);
      },
      userFence: (cpu) => {
        for (const f of this.pendingFlush.get(cpu) ?? []) {
          this.keep(this.promises, { ...this.stamp(), kind: 'flush+sfence', by: this.nameOf(cpu), file: f.file, start: f.line64, end: f.line64 + LINE });
        }
        this.pendingFlush.delete(cpu);
      },
      writeback: (file, entry, lines) => {
        this.keep(this.writebacks, { ...this.stamp(), file: file.name, entryIndex: entry.index, ...this.entryRange(entry.index, entry.order), lines });
      },
      mkcleanVisit: (file, entry, vma, _va, _level, action) => {
        const reason = REASON[action];
        if (reason === undefined) return;
        this.keep(this.misses, { ...this.stamp(), file: file.name, entryIndex: entry.index, ...this.entryRange(entry.index, entry.order), victim: vma.mm.name, vma: vma.name, reason });
      },
      mkcleanMissed: (file, entry, vma) => {
        this.keep(this.misses, { ...this.stamp(), file: file.name, entryIndex: entry.index, ...this.entryRange(entry.index, entry.order), victim: vma.mm.name, vma: vma.name, reason: 'VMA not returned by i_mmap' });
      },
    };
  }

  /** Writebacks covering byte `off` of `file` after sequence number `seq`. */
  private writebacksOf(file: string, off: number, afterSeq: number): WritebackRec[] {
    return this.writebacks.filter((w) => w.file === file && w.start <= off && off < w.end && w.seq > afterSeq && w.lines > 0);
  }

  /** The last store to byte `off` of `file` before `seq`. */
  private lastStore(file: string, off: number, beforeSeq: number): StoreRec | null {
    let s: StoreRec | null = null;
    for (const x of this.stores) if (x.file === file && x.offset <= off && off < x.end && x.seq < beforeSeq) s = x;
    return s;
  }

  /**
   * The mkclean miss that left `store`'s mapping writable: the last one on its entry and process
   * before it. A skipped private VMA cannot be it when another miss is there (a store through a
   * private mapping lands in its anonymous copy, not in pmem), so it is chosen only as the last resort.
   */
  missFor(store: StoreRec): MkcleanMiss | null {
    let m: MkcleanMiss | null = null;
    let priv: MkcleanMiss | null = null;
    for (const x of this.misses) {
      if (x.file !== store.file || x.start > store.offset || store.offset >= x.end || x.victim !== store.by || x.seq > store.seq) continue;
      if (x.reason === 'private mapping skipped') priv = x;
      else m = x;
    }
    return m ?? priv;
  }

  /** Each lost range with the store, the promise and the mkclean miss behind it. */
  explain(lost: readonly LostRange[]): LossExplanation[] {
    return lost.map((range) => {
      let promise: PromiseRec | null = null;
      for (const p of this.promises) if (p.file === range.file && p.start <= range.offset && range.offset < p.end) promise = p;
      const store = this.lastStore(range.file, range.offset, promise?.seq ?? Infinity);
      const missed = store !== null ? this.missFor(store) : null;
      return { range, store, promise, missed, writebacksAfter: store !== null ? this.writebacksOf(range.file, range.offset, store.seq) : [] };
    });
  }

  /**
   * Promises that held only because something else wrote the line back: an unprotected store
   * (no fault, entry clean) covered by a later fsync/msync, none of whose bytes were lost, whose
   * line a writeback of its entry or another CPU's clwb reached after the store.
   */
  luck(lost: readonly LostRange[]): LuckRec[] {
    const out: LuckRec[] = [];
    const isLost = (s: StoreRec): boolean => lost.some((r) => r.file === s.file && r.offset < s.end && s.offset < r.offset + r.length);
    for (const s of this.stores) {
      if (!s.unprotected || isLost(s)) continue;
      const promise = this.promises.find((p) => p.kind === 'sync' && p.file === s.file && p.seq > s.seq && p.start < s.end && s.offset < p.end);
      if (promise === undefined) continue;
      // The store must still hold the promised value: no later store to the same bytes before the promise.
      if (this.lastStore(s.file, s.offset, promise.seq) !== s) continue;
      const wb = this.writebacksOf(s.file, s.offset, s.seq)[0];
      const line64 = s.offset - (s.offset % LINE);
      const fl = this.flushes.find((f) => f.file === s.file && f.line64 === line64 && f.seq > s.seq && f.by !== s.by);
      const savedBy = wb !== undefined && (fl === undefined || wb.seq < fl.seq) ? wb : fl;
      if (savedBy === undefined) continue;
      let redirtied: StoreRec | null = null;
      if ('entryIndex' in savedBy) for (const x of this.stores) if (x.faulted && x.file === s.file && x.by !== s.by && savedBy.start <= x.offset && x.offset < savedBy.end && x.seq > s.seq && x.seq < savedBy.seq) redirtied = x;
      out.push({ store: s, promise, savedBy, redirtied, missed: this.missFor(s) });
    }
    return out;
  }

  /** The stores, writebacks and promises of statement `line`, for per-step notes. */
  ofLine(line: number): { stores: StoreRec[]; writebacks: WritebackRec[]; promises: PromiseRec[]; misses: MkcleanMiss[] } {
    return {
      stores: this.stores.filter((x) => x.line === line),
      writebacks: this.writebacks.filter((x) => x.line === line),
      promises: this.promises.filter((x) => x.line === line),
      misses: this.misses.filter((x) => x.line === line),
    };
  }
}

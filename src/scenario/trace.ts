// `--trace out.json`: a Trace Event Format file (the JSON Object Format of Google's "Trace
// Event Format" document, as chrome://tracing and Perfetto's JSON importer read it).
//
// Tracks: one process per simulated process, named after it, with one thread per CPU it runs
// on ("A on cpu 0"; today every process has one CPU of its own); a "machine" process for statements that belong to no process (file,
// proc, crash, expect) and for the counter tracks. Slices (B/E pairs) nest as the kernel's
// call chain does: a statement (the system call or the user access) contains the page faults
// it took (handle_mm_fault), which contain what they did (dax_finish_sync_fault's fsync, TLB
// flushes); an fsync contains one dax_writeback_one slice per entry, which contains mkclean's
// visits and misses and the TLB flushes it issued. A TLB flush is an instant on the CPU that
// issued it and, when it invalidates another process's CPU, one on that CPU too. Flow arrows
// (s/t/f) go from each store to the fsync/msync (or flush+sfence) that promised it and, when
// the crash lost its bytes, on to the crash. Counter tracks: dirty pmem cache lines and DIRTY
// DAX entries after each statement and each writeback, and the page walks so far.
//
// Time is virtual and says what it counts: the clock advances by one per model step (entering
// or leaving a statement, fault or writeback, a TLB flush, an mkclean visit, a promise, each
// page a store touches), and one step is written as 1 us, so the order is exact and a slice's
// duration is the number of steps inside it. otherData.clock and the machine process's label
// say so in the file.

import type { KernelEvents } from '../kernel/events.ts';
import type { Task, TaskEvents } from '../kernel/task.ts';
import type { RunReport } from './run.ts';
import type { Simulation } from '../sim/simulation.ts';
import { mergeListeners } from '../report/listeners.ts';
import { LossLedger } from '../report/loss.ts';

type Phase = 'B' | 'E' | 'X' | 'i' | 'C' | 'M' | 's' | 't' | 'f';

export interface TraceEvent {
  name: string;
  cat: string;
  ph: Phase;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 'g' | 'p' | 't';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

const hex = (n: number): string => '0x' + n.toString(16);

/** The machine process (and its one thread): statements without a process, counters. */
const MACHINE = 1;
/** Simulated processes are pids 10, 11, ... in order of appearance; CPU c is thread 1000 + c of the process running there. */
const FIRST_PID = 10;
const tidOf = (cpu: number): number => 1000 + cpu;

const CLOCK = 'virtual: 1 us = one model step (entering or leaving a statement, fault or writeback; a TLB flush; an mkclean visit; a promise; a page touched by a store)';

/** A statement's slice: where it is and when. */
interface Slice {
  pid: number;
  tid: number;
  start: number;
  end: number;
}

interface Track {
  pid: number;
  tid: number;
  /** Open B slices, innermost last. */
  open: string[];
}

export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private ts = 0;
  /** By `pid/tid`. */
  private readonly tracks = new Map<string, Track>();
  /** pid of each simulated process, by name. */
  private readonly pids = new Map<string, number>();
  /** The track each CPU last ran on (userFence reports only the CPU). */
  private readonly onCpu = new Map<number, Track>();
  private readonly machine: Track;
  /** The track of the statement being run (kernel work goes there: it runs in that task's context). */
  private current: Track;
  private sim: Simulation | null = null;
  private readonly ledger = new LossLedger(() => this.ts);
  /** Statement slices by line: [start, end] on their track (flows bind to them). */
  private readonly slices = new Map<number, Slice>();
  /** The E event of the last statement, to which walks() adds its counts. */
  private lastEnd: TraceEvent | null = null;
  /** The power-failure slice added at the end when the scenario has no crash statement. */
  private endCrash: Slice | null = null;
  private readonly lastCounter = new Map<string, number>();

  constructor() {
    this.machine = this.track(MACHINE, MACHINE, 'machine', 'statements of no process (file, proc, crash, expect)');
    this.current = this.machine;
    this.events.push({ name: 'process_labels', cat: '__metadata', ph: 'M', ts: 0, pid: MACHINE, tid: MACHINE, args: { labels: `clock ${CLOCK}` } });
  }

  private tick(): number {
    return (this.ts += 1);
  }

  private track(pid: number, tid: number, process: string, thread: string): Track {
    let t = this.tracks.get(`${pid}/${tid}`);
    if (t !== undefined) return t;
    t = { pid, tid, open: [] };
    this.tracks.set(`${pid}/${tid}`, t);
    const meta = (name: string, args: Record<string, unknown>): void => void this.events.push({ name, cat: '__metadata', ph: 'M', ts: 0, pid, tid, args });
    if (![...this.tracks.values()].some((x) => x !== t && x.pid === pid)) {
      meta('process_name', { name: process });
      meta('process_sort_index', { sort_index: pid });
    }
    meta('thread_name', { name: thread });
    meta('thread_sort_index', { sort_index: tid });
    return t;
  }

  /** The track of process `name` on CPU `cpu`. */
  private trackOf(name: string, cpu: number): Track {
    let pid = this.pids.get(name);
    if (pid === undefined) {
      pid = FIRST_PID + this.pids.size;
      this.pids.set(name, pid);
    }
    const t = this.track(pid, tidOf(cpu), name, `${name} on cpu ${cpu}`);
    this.onCpu.set(cpu, t);
    return t;
  }

  /** The track CPU `cpu` last ran on, or its process's as the simulation names it. */
  private trackOfCpu(cpu: number): Track {
    return this.onCpu.get(cpu) ?? this.trackOf(this.sim?.kernel.mms.find((m) => m.cpu === cpu)?.name ?? `cpu ${cpu}`, cpu);
  }

  private begin(t: Track, name: string, cat: string, args?: Record<string, unknown>): void {
    t.open.push(name);
    this.events.push({ name, cat, ph: 'B', ts: this.tick(), pid: t.pid, tid: t.tid, ...(args !== undefined ? { args } : {}) });
  }

  private end(t: Track, args?: Record<string, unknown>): TraceEvent {
    const name = t.open.pop()!;
    const e: TraceEvent = { name, cat: 'end', ph: 'E', ts: this.tick(), pid: t.pid, tid: t.tid, ...(args !== undefined ? { args } : {}) };
    this.events.push(e);
    return e;
  }

  private instant(t: Track, name: string, cat: string, args: Record<string, unknown>): void {
    this.events.push({ name, cat, ph: 'i', s: 't', ts: this.tick(), pid: t.pid, tid: t.tid, args });
  }

  /**
   * A statement of the scenario as a slice on its process's CPU track (tid 0: the machine's),
   * with everything the kernel did for it nested inside.
   */
  statement(line: number, text: string, tid: number, trackName: string, body: () => void): void {
    const m = /^(.*) \(cpu (\d+)\)$/.exec(trackName);
    const t = tid === 0 || m === null ? this.machine : this.trackOf(m[1]!, Number(m[2]));
    this.current = t;
    const depth = t.open.length;
    this.begin(t, text, /fsync|msync|munmap|mmap/.test(text) ? 'syscall' : 'statement', { line });
    const start = this.ts;
    try {
      body();
    } finally {
      while (t.open.length > depth + 1) this.end(t, { unfinished: true }); // a fault that ended in a signal
      this.lastEnd = this.end(t);
      this.slices.set(line, { pid: t.pid, tid: t.tid, start, end: this.ts });
      this.ledger.endStatement(line, t === this.machine ? null : (m?.[1] ?? null));
    }
  }

  /** The page walks and TLB hits of the statement just run (MMU counter deltas), added to its slice, and the walk counter. */
  walks(_tid: number, before: Record<string, number>, after: Record<string, number>): void {
    const d = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    if (this.lastEnd !== null) this.lastEnd.args = { walks: d('walks'), walk_refs: d('walkRefs'), tlb_hits: d('tlbHits'), tlb_misses: d('tlbMisses'), a_d_writes: d('aWrites') + d('dWrites') };
    this.counter('page walks', 'walks', after.walks ?? 0);
  }

  /** After each statement: the simulation (process names, counters). */
  afterStatement(sim: Simulation): void {
    this.sim = sim;
    this.ledger.attach(sim);
    this.counters();
  }

  /** A counter sample, only when its value changed. */
  private counter(name: string, key: string, value: number): void {
    if (this.lastCounter.get(name) === value) return;
    this.lastCounter.set(name, value);
    this.events.push({ name, cat: 'counter', ph: 'C', ts: this.ts, pid: MACHINE, tid: MACHINE, args: { [key]: value } });
  }

  private counters(): void {
    const sim = this.sim;
    if (sim === null) return;
    this.counter('dirty cache lines', 'lines', sim.machine.cache.dirtyLines().length);
    this.counter('DIRTY DAX entries', 'entries', sim.kernel.files.reduce((a, f) => a + f.mapping.entries.all().filter((e) => e.dirty).length, 0));
  }

  kernelEvents(sim: Simulation): KernelEvents {
    // The fault's text is built here, where it is printed; the kernel hands on the record.
    const mmu = sim.machine.mmu;
    const own: KernelEvents = {
      faultStart: (mm, va, write) => this.begin(this.trackOf(mm.name, mm.cpu), `page fault (${write ? 'write' : 'read'})`, 'fault', { va: hex(va) }),
      fault: (mm, va, kind, how, hw) => {
        const t = this.trackOf(mm.name, mm.cpu);
        // (a fault a paused task resumed began in an earlier statement's slice, closed since)
        if (t.open.at(-1)?.startsWith('page fault') === true) this.end(t, { kind, how, hw: hw === null ? 'get_user_pages (no trap)' : mmu.describeFault(hw), va: hex(va) });
      },
      tlbFlush: (mm, start, end, why) => {
        const from = this.current;
        const target = this.trackOf(mm.name, mm.cpu);
        this.instant(from, `TLB flush (${why})`, 'tlb', { process: mm.name, cpu: mm.cpu, start: hex(start), end: hex(end) });
        if (target !== from) this.instant(target, `TLB invalidated (${why})`, 'tlb', { start: hex(start), end: hex(end) });
      },
      writebackStart: (file, e) => this.begin(this.current, 'dax_writeback_one', 'writeback', { file: file.name, index: e.index, order: e.order, pfn: hex(e.pfn) }),
      writeback: (_file, _e, lines) => {
        if (this.current.open.length > 0) this.end(this.current, { lines_written_back: lines });
        this.counters();
      },
      mkcleanVisit: (file, e, vma, va, level, action) =>
        this.instant(this.current, `mkclean ${action}`, 'mkclean', { file: file.name, entry_index: e.index, process: vma.mm.name, mapping: vma.name, va: hex(va), level }),
      mkcleanMissed: (file, e, vma) => this.instant(this.current, 'mkclean missed', 'mkclean', { file: file.name, entry_index: e.index, process: vma.mm.name, mapping: vma.name, why: 'VMA not returned by i_mmap' }),
      fileSynced: (file, start, end) => this.instant(this.current, 'promise: synced', 'durability', { file: file.name, start: hex(start), end: hex(end) }),
      fileStore: () => void this.tick(),
      userFence: (cpu) => this.instant(this.trackOfCpu(cpu), 'sfence', 'durability', {}),
    };
    // The ledger listens too (stores, promises, writebacks, misses), after the trace's own
    // handlers, so its records carry the timestamp those just took.
    return mergeListeners(own, this.ledger.events());
  }

  /**
   * The task lanes: an instant on each task's track where it runs a statement, pauses at a
   * point, blocks (on what), is woken (by whom) and ends; while a woken task runs, the kernel
   * work it does (flushes, writebacks, mkclean) goes on its track, not the waker's.
   */
  taskEvents(): TaskEvents {
    const outer: Track[] = [];
    const lane = (t: Task): Track => this.trackOf(t.name, t.cpu);
    const leave = (t: Task, name: string, args: Record<string, unknown>): void => {
      this.instant(lane(t), name, 'task', args);
      this.current = outer.pop() ?? this.machine;
    };
    return {
      ran: (t, line) => {
        outer.push(this.current);
        this.current = lane(t);
        this.instant(this.current, `runs line ${line}`, 'task', { line });
      },
      paused: (t, m) => leave(t, `paused ${m.when} ${m.point}`, { line: t.line }),
      blocked: (t, w) => leave(t, `blocked on ${w.what}`, { line: t.line }),
      woke: (t, by) => this.instant(lane(t), `woken${by !== null ? ` by ${by.name}` : ''}`, 'task', { line: t.line }),
      done: (t) => leave(t, t.error === null ? 'done' : 'ended (error or signal)', { line: t.line }),
    };
  }

  /** The document; with the run's report, flow arrows from stores to their promise and to the crash that lost them. */
  toJSON(report?: RunReport): { schema: 2; traceEvents: TraceEvent[]; displayTimeUnit: 'ns' | 'ms'; otherData: Record<string, string> } {
    const events = [...this.events];
    if (report !== undefined) events.push(...this.flows(report));
    // traceEvents, displayTimeUnit and otherData are the format's own (camelCase) keys; "schema"
    // is daxsim's convention for every JSON document it writes (readers ignore unknown keys).
    return { schema: 2, traceEvents: events, displayTimeUnit: 'ms', otherData: { clock: CLOCK, producer: 'daxsim' } };
  }

  private flows(report: RunReport): TraceEvent[] {
    const out: TraceEvent[] = [];
    let crash = report.crash_line !== null ? this.slices.get(report.crash_line) : undefined;
    if (crash === undefined) {
      // No crash statement: power fails at the end of the run (one slice, added once).
      if (this.endCrash === null) {
        const t = this.machine;
        this.begin(t, 'power failure (end of run)', 'statement');
        const start = this.ts;
        this.end(t);
        this.endCrash = { pid: MACHINE, tid: MACHINE, start, end: this.ts };
        out.push(...this.events.slice(-2));
      }
      crash = this.endCrash;
    }
    if (!report.durable) {
      const bytes = report.lost.reduce((a, r) => a + r.length, 0);
      out.push({ name: `LOST ${bytes} promised bytes`, cat: 'durability', ph: 'i', s: 'g', ts: (crash.start + crash.end) / 2, pid: crash.pid, tid: crash.tid, args: { lost: report.lost.map((r) => `${r.file}[${hex(r.offset)}+${r.length}]`) } });
    }
    const lostBy = new Set(this.ledger.explain(report.lost).map((x) => x.store));
    let id = 0;
    for (const s of this.ledger.stores) {
      const p = this.ledger.promises.find((x) => x.file === s.file && x.seq > s.seq && x.start < s.end && s.offset < x.end);
      if (p === undefined) continue;
      const from = this.slices.get(s.line);
      const to = this.slices.get(p.line);
      if (from === undefined || to === undefined) continue;
      id++;
      const lost = lostBy.has(s);
      const name = lost ? 'store -> promise -> lost' : 'store -> promise';
      const args = { store_line: s.line, promise_line: p.line, file: s.file, offset: hex(s.offset), length: s.end - s.offset };
      out.push({ name, cat: 'durability', ph: 's', id, ts: s.ts, pid: from.pid, tid: from.tid, args });
      if (lost) {
        out.push({ name, cat: 'durability', ph: 't', id, ts: p.ts, pid: to.pid, tid: to.tid });
        out.push({ name, cat: 'durability', ph: 'f', bp: 'e', id, ts: (crash.start + crash.end) / 2, pid: crash.pid, tid: crash.tid });
      } else {
        out.push({ name, cat: 'durability', ph: 'f', bp: 'e', id, ts: p.ts, pid: to.pid, tid: to.tid });
      }
    }
    return out;
  }
}

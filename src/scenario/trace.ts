// Chrome trace-event output (--trace out.json), viewable in Perfetto or chrome://tracing:
// one track per process (its CPU) plus a kernel-writeback track; statements as complete
// events, faults / TLB flushes / write-backs / mkclean visits as instant events, and MMU
// counters (walks, TLB hits and misses) as counter events. Time is virtual: one
// microsecond per event, so the order is exact and the picture readable.

import type { KernelEvents } from '../kernel/events.ts';

interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'C' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

const hex = (n: number): string => '0x' + n.toString(16);

export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private ts = 0;
  private readonly named = new Set<number>();

  private tick(): number {
    return (this.ts += 1);
  }

  private track(tid: number, name: string): void {
    if (this.named.has(tid)) return;
    this.named.add(tid);
    this.events.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid, args: { name } });
  }

  /** A statement of the scenario, as a span on its process's track (tid 0 = machine-wide). */
  statement(line: number, text: string, tid: number, trackName: string, body: () => void): void {
    this.track(tid, trackName);
    const start = this.tick();
    try {
      body();
    } finally {
      const end = this.tick();
      this.events.push({ name: text, cat: 'statement', ph: 'X', ts: start, dur: end - start, pid: 1, tid, args: { line } });
    }
  }

  /**
   * The page walks a statement caused (MMU counter deltas), as an instant event on its track,
   * and the running totals as counter tracks.
   */
  walks(tid: number, before: Record<string, number>, after: Record<string, number>): void {
    const d = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    if (d('walks') > 0) {
      this.events.push({
        name: `page walks: ${d('walks')}`,
        cat: 'walk',
        ph: 'i',
        s: 't',
        ts: this.tick(),
        pid: 1,
        tid,
        args: { walks: d('walks'), walk_refs: d('walkRefs'), tlb_hits: d('tlbHits'), tlb_misses: d('tlbMisses'), a_d_writes: d('aWrites') + d('dWrites') },
      });
    }
    this.events.push({ name: 'mmu', cat: 'counter', ph: 'C', ts: this.ts, pid: 1, tid: 0, args: { walks: after.walks ?? 0, tlb_hits: after.tlbHits ?? 0, tlb_misses: after.tlbMisses ?? 0 } });
  }

  kernelEvents(): KernelEvents {
    const instant = (name: string, cat: string, tid: number, args: Record<string, unknown>): void => {
      this.events.push({ name, cat, ph: 'i', s: 't', ts: this.tick(), pid: 1, tid, args });
    };
    return {
      fault: (mm, va, kind, how, hw) => instant(`fault ${kind}`, 'fault', mm.cpu + 1, { va: hex(va), how, hw, process: mm.name }),
      tlbFlush: (mm, start, end, why) => instant(`tlb flush (${why})`, 'tlb', mm.cpu + 1, { process: mm.name, start: hex(start), end: hex(end) }),
      writeback: (file, e, lines) => instant('dax_writeback_one', 'writeback', 0, { file: file.name, index: e.index, order: e.order, pfn: hex(e.pfn), lines_written_back: lines }),
      mkcleanVisit: (file, e, vma, va, level, action) =>
        instant(`mkclean ${action}`, 'mkclean', 0, { file: file.name, entry_index: e.index, process: vma.mm.name, mapping: vma.name, va: hex(va), level }),
      mkcleanMissed: (file, e, vma) => instant('mkclean missed', 'mkclean', 0, { file: file.name, entry_index: e.index, process: vma.mm.name, mapping: vma.name }),
    };
  }

  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: string } {
    return { traceEvents: this.events, displayTimeUnit: 'ns' };
  }
}

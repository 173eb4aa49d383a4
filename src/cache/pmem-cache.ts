// The CPU caches in front of persistent memory, and the persistence domain.
//
// What is modelled (one real thing: the coherent write-back cache hierarchy of an x86 package
// plus the write-combining buffers, seen from the memory controller):
//
// - 64-byte lines, write-back, write-allocate (Intel SDM Vol. 3A §11.3, "Write-back (WB)").
//   The caches of all CPUs are coherent (MESI, SDM Vol. 3A §11.4), so one copy of each line
//   stands for every CPU's view: a store by CPU 0 is seen by a later load of CPU 1.
//   Store buffers are not modelled here: every store() is globally visible when it returns.
//   The litmus explorer (src/litmus/explore.ts) adds the TSO store buffers.
// - Only the pmem region goes through the model. DRAM is not persistent and holds the
//   machine's page tables; loads and stores to it go straight to PhysMem (a crash that
//   loses DRAM is the kernel model's business, not the cache's).
// - PhysMem's pmem region IS the persistence domain: what the memory controller holds
//   (ADR flushes its write-pending queue on power loss, so reaching the controller =
//   persistent). A line written back is written there.
// - Only dirty lines are tracked: Map<line number, Line>. A clean line costs nothing, so
//   cleaning a clean 2 MiB range is 32768 map misses, and wbRange() walks the dirty set
//   instead when the range holds more lines than the cache holds dirty ones.
//
// Persistence rules (Px86, Raad, Wickerson, Neiger, Vafeiadis, POPL 2020, §3 "Px86 informal":
// writes to a location persist in the order they become visible; a dirty line may be written
// back (evicted) at any moment; CLFLUSH/CLFLUSHOPT/CLWB write the line back; CLFLUSHOPT and
// CLWB are only guaranteed complete at a later SFENCE/MFENCE of the same CPU):
// - A line's persistent content is always one snapshot of the line as it was after one of
//   the stores into it (per-line persist order = visibility order; the line is written back
//   as a whole, Intel SDM Vol. 3A §11.3 "write-backs are of full lines"). We do not model
//   tearing inside a line: Intel promises only 8-byte power-fail atomicity, and a torn
//   line could mix snapshots at 8-byte granularity; that is a documented under-approximation.
// - clwb / clflushopt (SDM Vol. 2 CLWB, CLFLUSHOPT: "not ordered with respect to ... writes
//   to other cache lines"; completion only guaranteed by SFENCE/MFENCE, SDM Vol. 2 SFENCE):
//   the line as it is now becomes the guaranteed-persistent lower bound at the CPU's next
//   sfence/mfence. Until then it may or may not have been written.
// - clflush (SDM Vol. 2 CLFLUSH: "ordered with respect to ... writes, other CLFLUSH
//   instructions, fences"): as clwb, but also complete once the same CPU's next store or
//   clflush executes (a later write cannot become visible before it).
// - A store by a CPU to a line completes that CPU's pending flushes and WC data of the same
//   line first: they are ordered with the CPU's later writes to their line (SDM Vol. 2
//   CLFLUSHOPT/CLWB, same-line order; Vol. 3A §8.2.2 same-address order), and store() makes
//   the write visible at once. This keeps PmemCache's crash states equal to the litmus
//   explorer's for a drained single-CPU program (test/cache/model-vs-litmus.test.ts).
// - ntstore (SDM Vol. 2 MOVNTI; Vol. 3A §11.3.1 write combining; Vol. 3A §8.2.2: streaming
//   stores are not ordered with other writes): the data goes around the cache into a WC
//   buffer, reaching the memory controller at the CPU's next fence at the latest. WC buffers
//   are not in the persistence domain under ADR nor under eADR (Intel's eADR guidance still
//   requires SFENCE after non-temporal stores), so an unfenced ntstore is uncertain under both.
//   For loads and snapshots the ntstore is visible at once (one allowed behaviour: the WC
//   buffer may be evicted at any time).
// - ADR: on power failure only the persistence domain (PhysMem) survives: worst case = media.
//   eADR: the caches are flushed on power loss (dirty lines survive); WC buffers do not.

import type { PhysMem } from '../mem/phys.ts';

export type Persistence = 'adr' | 'eadr';

export const LINE_SHIFT = 6;
export const LINE_SIZE = 1 << LINE_SHIFT; // x86 CPUID.01H:EBX[15:8]*8 = 64 (SDM Vol. 2 CPUID)

/** The bytes of pmem after a crash, as a view: nothing is modified. */
export interface CrashImage {
  readByte(pa: number): number;
  readBytes(pa: number, len: number, out: Uint8Array, outOffset?: number): void;
}

export interface PmemCacheOptions {
  cpus: number;
  persistence: Persistence;
  /** Keep every line snapshot since the last guaranteed persist (exact uncertainLines()). Off:
   * uncertainLines() offers the persisted content, each pending flush's snapshot and the
   * current content only (a subset of the possible states; see uncertainLines). */
  history?: boolean;
}

/** One dirty line. `version`s are drawn from one counter for the whole cache, so a pending
 * flush that names a version of a line since cleaned and re-dirtied is recognisably stale. */
interface Line {
  readonly no: number;
  /** Current coherent content. */
  data: Uint8Array;
  /** Version of `data` (the store that produced it). */
  version: number;
  /** Version whose content the persistence domain holds (0: what media held when the line became dirty). */
  persistedVersion: number;
  /** Flush / WC entries of any CPU naming this line, not yet completed. */
  pending: number;
  /** Unfenced ntstores into this line (eADR does not save them). */
  ntPending: number;
  /** eADR: the cached content without unfenced ntstore data (null: the media content). */
  eadrBase: Uint8Array | null;
  /** history mode: snapshots newer than persistedVersion, oldest first. */
  hist: Array<{ version: number; data: Uint8Array }> | null;
  /** Not yet completed flush / WC entries of every CPU on this line, oldest (lowest version)
   * first: what uncertainLines() offers and what a same-line store must complete, found
   * without scanning every CPU's queue (which made both quadratic in the dirty lines); null
   * until the line's first flush (most dirty lines are never flushed before a fence). */
  queue: Pending[] | null;
}

/** What PmemCache.eachLine does with each line of its range. */
const enum Op {
  Load,
  Store,
  Nt,
}

const enum Kind {
  Clwb = 0, // clwb and clflushopt: complete at a fence
  Clflush = 1, // complete at a fence or the CPU's next write / clflush
  Nt = 2, // WC buffer content: persisted at a fence
}

interface Pending {
  kind: Kind;
  cpu: number;
  /** Completed (by a fence, a later ordered write or a clflush) and only waiting to be dropped from its CPU's list. */
  done: boolean;
  no: number;
  line: Line;
  version: number;
  /** The line content to be written (the snapshot at the flush / ntstore). */
  data: Uint8Array;
}

export class PmemCache {
  readonly persistence: Persistence;
  readonly cpus: number;
  readonly history: boolean;
  readonly counters = { stores: 0, loads: 0, linesWrittenBack: 0, bytesWrittenBack: 0, fences: 0, flushInstructions: 0 };
  private readonly lines = new Map<number, Line>();
  /** The keys' line numbers sorted (wbRange over ranges larger than the dirty set); null when stale. */
  private sortedNos: number[] | null = null;
  /** Per CPU: its flush / WC entries in program order; completed ones are skipped and
   * compacted away (`live` counts the others). */
  private readonly pend: Pending[][];
  private readonly live: number[];
  /** Per CPU: its pending clflushes (a store or clflush of that CPU must complete them first),
   * and whether there are any (the store fast path reads only the flag). */
  private readonly clflushes: Pending[][];
  private readonly hasClflush: boolean[];
  private seq = 0;
  private readonly pmemBase: number;
  private readonly pmemEnd: number;
  /** Map keys are line numbers relative to the pmem base: small integers (V8 Smis) hash fast. */
  private readonly baseNo: number;

  constructor(
    readonly mem: PhysMem,
    opts: PmemCacheOptions,
  ) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1) throw new RangeError(`cpus must be a positive integer, not ${opts.cpus}`);
    this.persistence = opts.persistence;
    this.cpus = opts.cpus;
    this.history = opts.history ?? false;
    this.pend = Array.from({ length: opts.cpus }, () => []);
    this.live = new Array<number>(opts.cpus).fill(0);
    this.clflushes = Array.from({ length: opts.cpus }, () => []);
    this.hasClflush = new Array<boolean>(opts.cpus).fill(false);
    this.pmemBase = mem.pmem.base;
    this.pmemEnd = mem.pmem.end;
    this.baseNo = Math.floor(mem.pmem.base / LINE_SIZE);
  }

  /** Back to the state of a new cache over the same memory (no dirty line, nothing pending,
   * counters zero), so a machine can be reused for another run without reallocating it. */
  reset(): void {
    this.lines.clear();
    this.sortedNos = null;
    this.clearPending();
    this.seq = 0;
    const k = this.counters;
    k.stores = k.loads = k.linesWrittenBack = k.bytesWrittenBack = k.fences = k.flushInstructions = 0;
  }

  // ---- stores and loads -------------------------------------------------------------------

  /** A store of `len` bytes (one snapshot per line touched). DRAM bypasses the model. */
  store(cpu: number, pa: number, src: Uint8Array, srcOffset = 0, len = src.length - srcOffset): void {
    if (this.bypassed(true, pa, len, src, srcOffset)) return;
    if (this.hasClflush[cpu]) this.completeOrdered(cpu, -1);
    // Fast path: a small store inside one line already dirty, nothing pending on it.
    const no0 = Math.floor(pa / LINE_SIZE);
    const l0 = this.lines.get(no0 - this.baseNo);
    if (l0 !== undefined && l0.pending === 0 && l0.hist === null && len <= 16 && pa + len <= (no0 + 1) * LINE_SIZE) {
      const off = pa - no0 * LINE_SIZE;
      const d = l0.data;
      for (let i = 0; i < len; i++) d[off + i] = src[srcOffset + i]!;
      l0.version = ++this.seq;
      return;
    }
    this.eachLine(Op.Store, cpu, pa, len, src, srcOffset);
  }

  /** A load sees the coherent (cached) content. */
  load(cpu: number, pa: number, len: number, out: Uint8Array, outOffset = 0): void {
    if (!this.bypassed(false, pa, len, out, outOffset)) this.eachLine(Op.Load, cpu, pa, len, out, outOffset);
  }

  /** MOVNTI / MOVNTDQ: write-combining, around the cache, persistent at the CPU's next fence. */
  ntstore(cpu: number, pa: number, src: Uint8Array, srcOffset = 0, len = src.length - srcOffset): void {
    if (!this.bypassed(true, pa, len, src, srcOffset)) this.eachLine(Op.Nt, cpu, pa, len, src, srcOffset);
  }

  /** Counts the access; outside pmem (DRAM) it goes straight to PhysMem, and true says it is done. */
  private bypassed(write: boolean, pa: number, len: number, buf: Uint8Array, bufOffset: number): boolean {
    if (write) this.counters.stores++;
    else this.counters.loads++;
    if (this.isPmem(pa, len)) return false;
    if (write) this.mem.writeBytes(pa, buf, bufOffset, len);
    else this.mem.readBytes(pa, len, buf, bufOffset);
    return true;
  }

  /** A store, load or ntstore of [pa, pa + len) in pmem, line by line: `buf` from `bufOffset`
   * is the data stored or the room loaded into. */
  private eachLine(op: Op, cpu: number, pa: number, len: number, buf: Uint8Array, bufOffset: number): void {
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const no = Math.floor(at / LINE_SIZE);
      const off = at - no * LINE_SIZE;
      const n = Math.min(len - done, LINE_SIZE - off);
      const from = bufOffset + done;
      if (op === Op.Load) {
        const line = this.lines.get(no - this.baseNo);
        if (line === undefined) this.mem.readBytes(at, n, buf, from);
        else buf.set(line.data.subarray(off, off + n), from);
      } else if (op === Op.Store) {
        if (this.live[cpu]! > 0 && (this.lines.get(no - this.baseNo)?.pending ?? 0) > 0) this.completeOrdered(cpu, no);
        const line = this.dirty(no);
        line.data.set(buf.subarray(from, from + n), off);
        if (line.ntPending > 0) {
          // The cached copy takes the store; unfenced WC data stays outside it (eADR view).
          const base = line.eadrBase ?? this.media(no);
          base.set(buf.subarray(from, from + n), off);
          line.eadrBase = base;
        }
        this.bump(line);
      } else {
        const wasDirty = this.lines.has(no - this.baseNo);
        const line = this.dirty(no);
        if (line.ntPending === 0) line.eadrBase = wasDirty ? line.data.slice() : null;
        line.data.set(buf.subarray(from, from + n), off);
        this.bump(line);
        line.ntPending++;
        this.enqueue(cpu, Kind.Nt, line);
      }
      done += n;
    }
  }

  /** An inbound device (DMA) write: in the persistence domain at once, and seen by every cached copy and every snapshot a dirty line may still be written back with (the caches snoop device writes, SDM Vol. 3A §11.4), so no later write-back or crash state brings the old bytes back. */
  deviceWrite(pa: number, src: Uint8Array, srcOffset = 0, len = src.length - srcOffset): void {
    this.mem.writeBytes(pa, src, srcOffset, len);
    if (!this.isPmem(pa, len)) return;
    for (let at = pa; at < pa + len; at = (Math.floor(at / LINE_SIZE) + 1) * LINE_SIZE) {
      const no = Math.floor(at / LINE_SIZE);
      const line = this.lines.get(no - this.baseNo);
      if (line === undefined) continue;
      const part = src.subarray(srcOffset + at - pa, srcOffset + Math.min(pa + len, (no + 1) * LINE_SIZE) - pa);
      for (const d of [line.data, line.eadrBase, ...(line.hist ?? []).map((h) => h.data), ...(line.queue ?? []).map((q) => q.data)]) d?.set(part, at - no * LINE_SIZE);
    }
  }

  // ---- flushes and fences -----------------------------------------------------------------

  clflush(cpu: number, pa: number): void {
    this.flushLine(cpu, pa, Kind.Clflush);
  }

  clflushopt(cpu: number, pa: number): void {
    this.flushLine(cpu, pa, Kind.Clwb);
  }

  /** CLWB: like CLFLUSHOPT for persistence (the line may stay cached; SDM Vol. 2 CLWB). */
  clwb(cpu: number, pa: number): void {
    this.flushLine(cpu, pa, Kind.Clwb);
  }

  /** SFENCE: every earlier CLFLUSHOPT/CLWB/ntstore of this CPU is complete (SDM Vol. 2 SFENCE,
   * CLWB "...can be ordered by SFENCE"; Px86: an sfence waits for the CPU's flushopts). */
  sfence(cpu: number): void {
    this.counters.fences++;
    this.drain(cpu);
  }

  /** MFENCE: as SFENCE for persistence, and also orders loads (SDM Vol. 2 MFENCE). */
  mfence(cpu: number): void {
    this.counters.fences++;
    this.drain(cpu);
  }

  /** No fence instruction (not counted), but it completes the CPU's flushes and WC data as one: x86's LOCK-prefixed RMW, arm64's DSB. */
  completeFlushes(cpu: number): void {
    this.drain(cpu);
  }

  /** clwb (or clflushopt / clflush) of every line of [pa, pa+len): the per-line loop a kernel
   * runs, made cheap: iterates the dirty set when it is smaller than the range. Counts one
   * flush instruction per line, as the CPU executes them all. Returns dirty lines hit. */
  wbRange(cpu: number, pa: number, len: number, insn: 'clwb' | 'clflushopt' | 'clflush' = 'clwb', lineBytes = LINE_SIZE): number {
    if (len <= 0) return 0;
    if (lineBytes < LINE_SIZE || lineBytes % LINE_SIZE !== 0) throw new RangeError(`flush granule ${lineBytes} is not a multiple of ${LINE_SIZE}`);
    const kind = insn === 'clflush' ? Kind.Clflush : Kind.Clwb;
    const first = Math.floor(pa / lineBytes) * lineBytes;
    const end = pa + len;
    const nInsn = Math.ceil((end - first) / lineBytes);
    this.counters.flushInstructions += nInsn;
    const firstNo = first / LINE_SIZE;
    const endNo = (Math.ceil(end / lineBytes) * lineBytes) / LINE_SIZE;
    let hit = 0;
    if (endNo - firstNo > this.lines.size) {
      // The dirty lines in range, ascending: a binary search into the sorted dirty set (kept
      // until a line is added or cleaned, so a kernel's flushes of many ranges in a row sort
      // it once; queueing a write-back changes neither).
      const nos = this.sortedDirty();
      let lo = 0;
      let hi = nos.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (nos[mid]! < firstNo) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < nos.length && nos[i]! < endNo; i++) if (this.flushNo(cpu, nos[i]!, kind)) hit++;
    } else {
      for (let no = firstNo; no < endNo; no++) if (this.lines.has(no - this.baseNo) && this.flushNo(cpu, no, kind)) hit++;
    }
    return hit;
  }

  // ---- inspection and crashes -------------------------------------------------------------

  dirtyLines(): Array<{ pa: number; pending: boolean }> {
    return [...this.lines.values()].sort((a, b) => a.no - b.no).map((l) => ({ pa: l.no * LINE_SIZE, pending: l.pending > 0 }));
  }

  /** Flushes still pending on `cpu` (waiting for its next fence). */
  pendingFlushes(cpu: number): number {
    return this.live[cpu]!;
  }

  /** Worst case: nothing not guaranteed persistent survives. ADR: the media only. eADR: the
   * cache is written on power loss, unfenced WC (ntstore) data is not. */
  crashImage(): CrashImage {
    const over = new Map<number, Uint8Array>();
    if (this.persistence === 'eadr') {
      for (const l of this.lines.values()) {
        if (l.ntPending === 0) over.set(l.no, l.data);
        else if (l.eadrBase !== null) over.set(l.no, l.eadrBase);
      }
    }
    return new OverlayImage(this.mem, over);
  }

  /** Every line whose persistent content after a crash now is not determined, with its
   * possible contents; candidates[0] is the worst case (the one crashImage() shows).
   * ADR: the persisted snapshot and every later snapshot of the line (history mode), or,
   * without history, the persisted snapshot, each pending flush's snapshot and the current
   * content (a subset: snapshots between them are left out). Lines are independent: with no
   * fence in flight, nothing orders write-backs of different lines (Px86: persist order is
   * constrained only per location and by flushes, which have either completed — and moved
   * the lower bound — or not). eADR: only lines with unfenced ntstore data are uncertain. */
  uncertainLines(): Array<{ pa: number; candidates: Uint8Array[] }> {
    const out: Array<{ pa: number; candidates: Uint8Array[] }> = [];
    const nos = [...this.lines.values()].map((l) => l.no).sort((a, b) => a - b);
    for (const no of nos) {
      const l = this.lines.get(no - this.baseNo)!;
      const cands: Uint8Array[] = [];
      if (this.persistence === 'eadr') {
        if (l.ntPending === 0) continue;
        cands.push(l.eadrBase ?? this.media(no));
        for (const p of l.queue ?? []) if (p.kind === Kind.Nt) cands.push(p.data);
        cands.push(l.data);
      } else {
        cands.push(this.media(no));
        if (l.hist !== null) for (const h of l.hist) cands.push(h.data);
        else {
          for (const p of l.queue ?? []) if (p.version > l.persistedVersion) cands.push(p.data);
          cands.push(l.data);
        }
      }
      const uniq = dedupe(cands);
      if (uniq.length > 1) out.push({ pa: no * LINE_SIZE, candidates: uniq });
    }
    return out;
  }

  /** Power fails: writes `image` (default the worst case) into the media and empties the
   * cache and every CPU's pending flushes, so the machine can be restarted after the crash. */
  applyCrash(image: CrashImage = this.crashImage()): void {
    const buf = new Uint8Array(LINE_SIZE);
    for (const no of [...this.lines.values()].map((l) => l.no)) {
      image.readBytes(no * LINE_SIZE, LINE_SIZE, buf);
      this.mem.writeBytes(no * LINE_SIZE, buf);
    }
    this.lines.clear();
    this.sortedNos = null;
    this.clearPending();
  }

  private clearPending(): void {
    for (let c = 0; c < this.cpus; c++) {
      this.pend[c]!.length = 0;
      this.live[c] = 0;
      this.clflushes[c]!.length = 0;
      this.hasClflush[c] = false;
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private isPmem(pa: number, len: number): boolean {
    if (pa >= this.pmemBase && pa + len <= this.pmemEnd) return true;
    if (pa + len <= this.pmemBase || pa >= this.pmemEnd) return false;
    throw new RangeError(`access 0x${pa.toString(16)} (+${len}) straddles the pmem range`);
  }

  private media(no: number): Uint8Array {
    const b = new Uint8Array(LINE_SIZE);
    this.mem.readBytes(no * LINE_SIZE, LINE_SIZE, b);
    return b;
  }

  /** Line numbers of the dirty lines, ascending; rebuilt after the dirty set changed. */
  private sortedDirty(): number[] {
    let nos = this.sortedNos;
    if (nos === null) {
      nos = [];
      for (const l of this.lines.values()) nos.push(l.no);
      nos.sort((a, b) => a - b);
      this.sortedNos = nos;
    }
    return nos;
  }

  /** The line, made dirty (write-allocate: the fill reads the media). */
  private dirty(no: number): Line {
    let l = this.lines.get(no - this.baseNo);
    if (l === undefined) {
      l = { no, data: this.media(no), version: 0, persistedVersion: 0, pending: 0, ntPending: 0, eadrBase: null, hist: this.history ? [] : null, queue: null };
      l.version = l.persistedVersion = ++this.seq;
      this.lines.set(no - this.baseNo, l);
      this.sortedNos = null;
    }
    return l;
  }

  private bump(line: Line): void {
    line.version = ++this.seq;
    if (line.hist !== null) line.hist.push({ version: line.version, data: line.data.slice() });
  }

  private flushLine(cpu: number, pa: number, kind: Kind): void {
    this.counters.flushInstructions++;
    if (!this.isPmem(pa, 1)) return;
    const no = Math.floor(pa / LINE_SIZE);
    if (kind === Kind.Clflush && this.hasClflush[cpu]) this.completeOrdered(cpu, -1);
    if (this.lines.has(no - this.baseNo)) this.flushNo(cpu, no, kind);
  }

  /** Queues the write-back of dirty line `no` on `cpu`. Returns true. */
  private flushNo(cpu: number, no: number, kind: Kind): boolean {
    this.enqueue(cpu, kind, this.lines.get(no - this.baseNo)!);
    return true;
  }

  /** A flush or WC entry of `line`'s content now, waiting on `cpu`. */
  private enqueue(cpu: number, kind: Kind, line: Line): void {
    const p: Pending = { kind, cpu, done: false, no: line.no, line, version: line.version, data: line.data.slice() };
    line.pending++;
    (line.queue ??= []).push(p);
    this.pend[cpu]!.push(p);
    this.live[cpu]!++;
    if (kind === Kind.Clflush) {
      this.clflushes[cpu]!.push(p);
      this.hasClflush[cpu] = true;
    }
  }

  /** This CPU's write (or clflush) is about to become visible: every pending entry ordered
   * before it must have completed. That is each clflush (CLFLUSH is ordered with later writes
   * and clflushes, SDM Vol. 2 CLFLUSH) and, for a write to line `no`, each entry on that line
   * (flushes and WC data are ordered with later writes to their own line, SDM Vol. 2
   * CLFLUSHOPT/CLWB; same-address order of streaming stores, Vol. 3A §8.2.2), together with
   * the earlier entries on the same lines that those entries are themselves ordered after.
   * Found through the lines' queues, so the cost is the entries completed, not the CPU's
   * whole list (a store over a range just flushed without a fence stays linear). */
  private completeOrdered(cpu: number, no: number): void {
    const line = no >= 0 ? this.lines.get(no - this.baseNo) : undefined;
    if (line !== undefined) this.completeLineUpTo(line, cpu, null);
    const cl = this.clflushes[cpu]!;
    for (const c of cl) if (!c.done) this.completeLineUpTo(c.line, cpu, c);
    cl.length = 0;
    this.hasClflush[cpu] = false;
    this.compact(cpu);
  }

  /** Completes `cpu`'s entries on `line`, oldest first, up to and including `last` (null: all). */
  private completeLineUpTo(line: Line, cpu: number, last: Pending | null): void {
    const mine: Pending[] = [];
    for (const p of line.queue ?? []) {
      if (p.cpu !== cpu) continue;
      mine.push(p);
      if (p === last) break;
    }
    for (const p of mine) this.complete(p);
  }

  /** Drops completed entries from `cpu`'s list once they are the majority (amortised linear). */
  private compact(cpu: number): void {
    const list = this.pend[cpu]!;
    if (list.length < 64 || this.live[cpu]! * 2 > list.length) return;
    let k = 0;
    for (const p of list) if (!p.done) list[k++] = p;
    list.length = k;
  }

  private drain(cpu: number): void {
    const list = this.pend[cpu]!;
    if (list.length === 0) return;
    this.pend[cpu] = [];
    this.clflushes[cpu]!.length = 0;
    this.hasClflush[cpu] = false;
    for (const p of list) if (!p.done) this.complete(p);
  }

  /** A flush or WC entry reaches the memory controller: its snapshot becomes persistent. */
  private complete(p: Pending): void {
    const l = p.line;
    p.done = true;
    this.live[p.cpu]!--;
    const q = l.queue!;
    if (q[0] === p) q.shift();
    else q.splice(q.indexOf(p), 1);
    l.pending--;
    if (p.kind === Kind.Nt) {
      l.ntPending--;
      if (l.ntPending === 0) l.eadrBase = null;
    }
    if (p.version > l.persistedVersion) {
      this.mem.writeBytes(p.no * LINE_SIZE, p.data);
      this.counters.linesWrittenBack++;
      this.counters.bytesWrittenBack += LINE_SIZE;
      l.persistedVersion = p.version;
      if (l.hist !== null) {
        let i = 0;
        while (i < l.hist.length && l.hist[i]!.version <= p.version) i++;
        if (i > 0) l.hist.splice(0, i);
      }
    }
    if (l.version === l.persistedVersion && l.pending === 0) {
      this.lines.delete(p.no - this.baseNo); // clean
      this.sortedNos = null;
    }
  }
}

function dedupe(cands: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const c of cands) {
    const k = Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('latin1');
    if (!seen.has(k)) {
      seen.add(k);
      out.push(c);
    }
  }
  return out;
}

/** A view of pmem: `over` lines (by line number) replace the media content. */
export class OverlayImage implements CrashImage {
  constructor(
    private readonly mem: PhysMem,
    private readonly over: ReadonlyMap<number, Uint8Array>,
  ) {}

  readByte(pa: number): number {
    const no = Math.floor(pa / LINE_SIZE);
    const l = this.over.get(no);
    return l === undefined ? this.mem.readByte(pa) : l[pa - no * LINE_SIZE]!;
  }

  readBytes(pa: number, len: number, out: Uint8Array, outOffset = 0): void {
    if (this.over.size === 0) {
      this.mem.readBytes(pa, len, out, outOffset);
      return;
    }
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const no = Math.floor(at / LINE_SIZE);
      const off = at - no * LINE_SIZE;
      const n = Math.min(len - done, LINE_SIZE - off);
      const l = this.over.get(no);
      if (l === undefined) this.mem.readBytes(at, n, out, outOffset + done);
      else out.set(l.subarray(off, off + n), outOffset + done);
      done += n;
    }
  }
}

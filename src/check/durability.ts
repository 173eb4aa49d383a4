// The durability promise and its check. While a scenario runs, the checker records, per byte
// of every file, the value a completed fsync / msync(MS_SYNC) or a user clwb + sfence
// promised durable. After the crash it compares the surviving pmem image with the promise:
// a promised byte survives if the image holds the promised value or any value stored to
// that byte after the promise (newer data reaching pmem early is not a loss).
//
// Bookkeeping is per 4 KiB page of file offsets, allocated only where bytes were written.
//
// An fsync promises what the file held when it was called, not what it holds when it returns:
// a store another task makes while the fsync is paused or asleep inside (a task scenario) may
// or may not be written back (dax_writeback_one may have passed its entry already), so such a
// byte keeps the value stored before the call as its promise, and the newer values count as
// later ones. fsync(2) promises "all modified data ... at the time of the call" (POSIX).

import type { DaxFile } from '../kernel/file.ts';
import type { KernelEvents } from '../kernel/events.ts';

const PAGE = 4096;
const LINE = 64;

interface PageState {
  /** Current (last stored) value of each byte. */
  readonly current: Uint8Array;
  /** 1 where a byte was ever stored. */
  readonly written: Uint8Array;
  /** Promised value and whether one exists. */
  readonly promised: Uint8Array;
  readonly hasPromise: Uint8Array;
  /** Values stored after the promise, per byte offset in the page (rare: only overwritten promised bytes). */
  readonly later: Map<number, number[]>;
  /** Every byte ever stored is in [writtenLo, writtenHi) (empty while lo >= hi): promise() looks only there. */
  writtenLo: number;
  writtenHi: number;
}

export interface LostRange {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

/** Reads the surviving content of pmem after a crash. */
export interface SurvivingImage {
  readByte(pa: number): number;
}

/** What a crash may have left of one cache line whose fate is not determined. */
export interface UncertainLine {
  readonly pa: number;
  readonly candidates: readonly Uint8Array[];
}

/** Page buffers (4 x PAGE bytes, zeroed) given back by recycle(), for the next page() of any checker. */
const spareBuffers: ArrayBuffer[] = [];

/** A byte a store changed while an fsync of it was in progress: its state at the first such store. */
interface ByteBefore {
  readonly written: number;
  readonly value: number;
  readonly hasPromise: number;
  readonly promised: number;
  readonly later: readonly number[] | undefined;
  /** The values stored since the fsync began, in order. */
  readonly during: number[];
}

/** An fsync/msync in progress on one CPU: its range and the bytes stores changed since it began. */
interface SyncWindow {
  readonly file: DaxFile;
  readonly start: number;
  readonly end: number;
  readonly before: Map<number, ByteBefore>;
}
/** At most this many spare buffers are kept (16 KiB each: 4 MiB in all). */
const MAX_SPARE = 256;

export class DurabilityChecker {
  private readonly files = new Map<DaxFile, Map<number, PageState>>();
  /** Per CPU: file lines clwb'd since that CPU's last fence, with their content at clwb time. */
  private readonly pendingFlush = new Map<number, Array<{ file: DaxFile; line: number; value: Uint8Array }>>();
  /** Per CPU: the fsync that CPU's task is inside (almost always none). */
  private readonly syncs = new Map<number, SyncWindow>();

  /**
   * `crashPa` says where byte `off` of a file is on the device after a crash, -1 where the
   * committed metadata has a hole there (a block allocated since the last commit is reverted,
   * so the byte reads as zero): file.ts committedPa. By default a file is its one extent at
   * file.phys.
   */
  constructor(private readonly crashPa: (file: DaxFile, off: number) => number = (file, off) => file.phys + off) {}

  /** The kernel events this checker listens to; merge into Kernel.events. */
  events(): KernelEvents {
    return {
      fileStore: (file, offset, len, _cpu, data, dataOffset) => this.stored(file, offset, len, data, dataOffset),
      fileSyncStart: (file, start, end, cpu) => this.syncs.set(cpu, { file, start, end, before: new Map() }),
      fileSynced: (file, start, end, cpu) => this.synced(file, start, end, cpu),
      userFlush: (cpu, file, lineOffset) => this.userFlush(cpu, file, lineOffset),
      userFence: (cpu) => this.userFence(cpu),
    };
  }

  private pages(file: DaxFile): Map<number, PageState> {
    let m = this.files.get(file);
    if (m === undefined) {
      m = new Map();
      this.files.set(file, m);
    }
    return m;
  }

  private page(file: DaxFile, index: number): PageState {
    const m = this.pages(file);
    let p = m.get(index);
    if (p === undefined) {
      // One buffer for the four arrays, reused from a recycled checker when there is one.
      const buf = spareBuffers.pop() ?? new ArrayBuffer(4 * PAGE);
      p = {
        current: new Uint8Array(buf, 0, PAGE),
        written: new Uint8Array(buf, PAGE, PAGE),
        promised: new Uint8Array(buf, 2 * PAGE, PAGE),
        hasPromise: new Uint8Array(buf, 3 * PAGE, PAGE),
        later: new Map(),
        writtenLo: PAGE,
        writtenHi: 0,
      };
      m.set(index, p);
    }
    return p;
  }

  /**
   * The checker is done with (its simulation is no longer used): its page buffers are zeroed
   * and kept for later checkers, and it forgets everything it recorded.
   */
  recycle(): void {
    for (const m of this.files.values()) {
      for (const p of m.values()) {
        if (spareBuffers.length >= MAX_SPARE) break;
        const buf = p.current.buffer as ArrayBuffer;
        new Uint8Array(buf).fill(0);
        spareBuffers.push(buf);
      }
    }
    this.files.clear();
    this.pendingFlush.clear();
    this.syncs.clear();
  }

  /**
   * A store of `len` bytes at `offset` completed; the event carries the bytes (data[dataOffset ..]),
   * so the checker never reads back from the cache whose crash it judges.
   */
  private stored(file: DaxFile, offset: number, len: number, data: Uint8Array, dataOffset: number): void {
    for (let i = 0; i < len; ) {
      const at = offset + i;
      const p = this.page(file, Math.floor(at / PAGE));
      const o = at % PAGE;
      const n = Math.min(len - i, PAGE - o);
      if (o < p.writtenLo) p.writtenLo = o;
      if (o + n > p.writtenHi) p.writtenHi = o + n;
      if (this.syncs.size !== 0) this.storedDuringSync(file, at, n, p, o, data, dataOffset + i);
      for (let j = 0; j < n; j++) {
        const v = data[dataOffset + i + j]!;
        p.current[o + j] = v;
        p.written[o + j] = 1;
        if (p.hasPromise[o + j] === 1) {
          const list = p.later.get(o + j);
          if (list === undefined) p.later.set(o + j, [v]);
          else list.push(v);
        }
      }
      i += n;
    }
  }

  /** Bytes [at, at + n) of `file` (page `p` from `o`) are about to take data[from ..]: note them in every fsync in progress over them. */
  private storedDuringSync(file: DaxFile, at: number, n: number, p: PageState, o: number, data: Uint8Array, from: number): void {
    for (const w of this.syncs.values()) {
      if (w.file !== file || at + n <= w.start || at >= w.end) continue;
      for (let j = Math.max(0, w.start - at); j < Math.min(n, w.end - at); j++) {
        let b = w.before.get(at + j);
        if (b === undefined) {
          const q = o + j;
          b = { written: p.written[q]!, value: p.current[q]!, hasPromise: p.hasPromise[q]!, promised: p.promised[q]!, later: p.later.get(q)?.slice(), during: [] };
          w.before.set(at + j, b);
        }
        b.during.push(data[from + j]!);
      }
    }
  }

  /** The fsync begun on `cpu` returned: it promises what [start, end) held when it began. */
  private synced(file: DaxFile, start: number, end: number, cpu: number | undefined): void {
    const w = cpu === undefined ? undefined : this.syncs.get(cpu);
    if (w !== undefined) this.syncs.delete(cpu!);
    this.promise(file, start, end);
    if (w === undefined) return;
    for (const [off, b] of w.before) {
      const p = this.page(file, Math.floor(off / PAGE));
      const q = off % PAGE;
      if (b.written === 1) {
        // the value before the call is the promise; what came during it is newer
        p.promised[q] = b.value;
        p.hasPromise[q] = 1;
        p.later.set(q, b.during); // the window is done with: its list becomes the page's
      } else {
        // first stored during the call: the promise (if any) is the one before it
        p.promised[q] = b.promised;
        p.hasPromise[q] = b.hasPromise;
        if (b.hasPromise === 1) p.later.set(q, [...(b.later ?? []), ...b.during]);
        else p.later.delete(q);
      }
    }
  }

  /** Everything stored in [start, end) of `file` so far is now promised durable. */
  private promise(file: DaxFile, start: number, end: number): void {
    const m = this.files.get(file);
    if (m === undefined) return;
    for (const [index, p] of m) {
      const base = index * PAGE;
      if (base + PAGE <= start || base >= end) continue;
      const from = Math.max(start, base, base + p.writtenLo) - base;
      const to = Math.min(end, base + PAGE, base + p.writtenHi) - base;
      const { written, current, promised, hasPromise, later } = p;
      if (later.size === 0) {
        // Nothing to forget: the same, without a map operation per byte.
        for (let o = from; o < to; o++) {
          if (written[o] !== 1) continue;
          promised[o] = current[o]!;
          hasPromise[o] = 1;
        }
        continue;
      }
      for (let o = from; o < to; o++) {
        if (written[o] !== 1) continue;
        promised[o] = current[o]!;
        hasPromise[o] = 1;
        later.delete(o);
      }
    }
  }

  private userFlush(cpu: number, file: DaxFile, lineOffset: number): void {
    const line = Math.floor(lineOffset / LINE) * LINE;
    const p = this.page(file, Math.floor(line / PAGE));
    const o = line % PAGE;
    let list = this.pendingFlush.get(cpu);
    if (list === undefined) {
      list = [];
      this.pendingFlush.set(cpu, list);
    }
    // The written mask travels with the value: only bytes ever stored are promised.
    const value = new Uint8Array(LINE * 2);
    value.set(p.current.subarray(o, o + LINE), 0);
    value.set(p.written.subarray(o, o + LINE), LINE);
    list.push({ file, line, value });
  }

  /** sfence: the lines this CPU clwb'd before it are durable with their content at clwb time. */
  private userFence(cpu: number): void {
    const list = this.pendingFlush.get(cpu);
    if (list === undefined) return;
    for (const { file, line, value } of list) {
      const p = this.page(file, Math.floor(line / PAGE));
      const o = line % PAGE;
      for (let j = 0; j < LINE; j++) {
        if (value[LINE + j] !== 1) continue;
        if (p.hasPromise[o + j] === 1 && p.promised[o + j] === value[j]) continue;
        p.promised[o + j] = value[j]!;
        p.hasPromise[o + j] = 1;
        // values stored after the clwb but before now are newer than the promise
        const newer = p.current[o + j]!;
        if (newer !== value[j]) p.later.set(o + j, [newer]);
        else p.later.delete(o + j);
      }
    }
    list.length = 0;
  }

  /** Whether `value` at byte `off` of `file` keeps the promise (true where nothing was promised). */
  private keeps(file: DaxFile, off: number, value: number): boolean {
    const p = this.files.get(file)?.get(Math.floor(off / PAGE));
    if (p === undefined) return true;
    const o = off % PAGE;
    if (p.hasPromise[o] !== 1 || value === p.promised[o]) return true;
    return p.later.get(o)?.includes(value) === true;
  }

  /** Promised bytes the image does not hold, per file, as maximal ranges. */
  check(image: SurvivingImage, fileList: readonly DaxFile[]): LostRange[] {
    return this.collect(fileList, (file, off) => {
      const pa = this.crashPa(file, off);
      return pa < 0 ? 0 : image.readByte(pa);
    });
  }

  /**
   * Every crash state: a line whose fate is not determined may hold any of its candidates.
   * Lines persist independently (src/cache), so a byte is lost in some state iff the worst
   * case loses it or some candidate of its line does; checking each candidate of each line
   * covers every state without enumerating their product.
   */
  checkAllStates(image: SurvivingImage, uncertain: readonly UncertainLine[], fileList: readonly DaxFile[]): LostRange[] {
    const candidatesAt = new Map<number, readonly Uint8Array[]>();
    for (const u of uncertain) candidatesAt.set(u.pa, u.candidates);
    return this.collect(fileList, (file, off) => {
      const pa = this.crashPa(file, off);
      if (pa < 0) return 0; // a reverted block: a hole reads zeros in every state
      const worst = image.readByte(pa);
      if (!this.keeps(file, off, worst)) return worst;
      const line = pa - (pa % LINE);
      for (const cand of candidatesAt.get(line) ?? []) {
        const v = cand[pa - line]!;
        if (!this.keeps(file, off, v)) return v;
      }
      return worst;
    });
  }

  /** Lost ranges: promised bytes for which `survivor` returns a value that breaks the promise. */
  private collect(fileList: readonly DaxFile[], survivor: (file: DaxFile, off: number) => number): LostRange[] {
    const lost: LostRange[] = [];
    for (const file of fileList) {
      const m = this.files.get(file);
      if (m === undefined) continue;
      const bad: number[] = [];
      for (const [index, p] of [...m].sort((a, b) => a[0] - b[0])) {
        // Only the promised bytes (a native search for the next one), checked as keeps() does.
        const has = p.hasPromise;
        for (let o = has.indexOf(1); o !== -1; o = has.indexOf(1, o + 1)) {
          const off = index * PAGE + o;
          const v = survivor(file, off);
          if (v === p.promised[o] || p.later.get(o)?.includes(v) === true) continue;
          bad.push(off);
        }
      }
      lost.push(...toRanges(file.name, bad));
    }
    return lost;
  }
}

function toRanges(file: string, offsets: readonly number[]): LostRange[] {
  const out: LostRange[] = [];
  let start = -1;
  let prev = -2;
  for (const o of offsets) {
    if (o !== prev + 1) {
      if (start >= 0) out.push({ file, offset: start, length: prev - start + 1 });
      start = o;
    }
    prev = o;
  }
  if (start >= 0) out.push({ file, offset: start, length: prev - start + 1 });
  return out;
}

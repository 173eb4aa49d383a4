// The durability promise and its check. While a scenario runs, the checker records, per byte
// of every file, the value a completed fsync / msync(MS_SYNC) or a user clwb + sfence
// promised durable. After the crash it compares the surviving pmem image with the promise:
// a promised byte survives if the image holds the promised value or any value stored to
// that byte after the promise (newer data reaching pmem early is not a loss).
//
// Bookkeeping is per 4 KiB page of file offsets, allocated only where bytes were written.

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

export class DurabilityChecker {
  private readonly files = new Map<DaxFile, Map<number, PageState>>();
  /** Per CPU: file lines clwb'd since that CPU's last fence, with their content at clwb time. */
  private readonly pendingFlush = new Map<number, Array<{ file: DaxFile; line: number; value: Uint8Array }>>();

  constructor(private readonly readStored: (file: DaxFile, offset: number, len: number, out: Uint8Array) => void) {}

  /** The kernel events this checker listens to; merge into Kernel.events. */
  events(): KernelEvents {
    return {
      fileStore: (file, offset, len) => this.stored(file, offset, len),
      fileSynced: (file, start, end) => this.promise(file, start, end),
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
      p = { current: new Uint8Array(PAGE), written: new Uint8Array(PAGE), promised: new Uint8Array(PAGE), hasPromise: new Uint8Array(PAGE), later: new Map() };
      m.set(index, p);
    }
    return p;
  }

  /** A store of `len` bytes at `offset` completed: read back what it stored. */
  private stored(file: DaxFile, offset: number, len: number): void {
    const buf = new Uint8Array(len);
    this.readStored(file, offset, len, buf);
    for (let i = 0; i < len; ) {
      const at = offset + i;
      const p = this.page(file, Math.floor(at / PAGE));
      const o = at % PAGE;
      const n = Math.min(len - i, PAGE - o);
      for (let j = 0; j < n; j++) {
        const v = buf[i + j]!;
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

  /** Everything stored in [start, end) of `file` so far is now promised durable. */
  private promise(file: DaxFile, start: number, end: number): void {
    const m = this.files.get(file);
    if (m === undefined) return;
    for (const [index, p] of m) {
      const base = index * PAGE;
      if (base + PAGE <= start || base >= end) continue;
      const from = Math.max(start, base) - base;
      const to = Math.min(end, base + PAGE) - base;
      for (let o = from; o < to; o++) {
        if (p.written[o] !== 1) continue;
        p.promised[o] = p.current[o]!;
        p.hasPromise[o] = 1;
        p.later.delete(o);
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

  /** Promised bytes of `file` that the image does not hold, as maximal ranges. */
  check(image: SurvivingImage, fileList: readonly DaxFile[]): LostRange[] {
    const lost: LostRange[] = [];
    for (const file of fileList) {
      const m = this.files.get(file);
      if (m === undefined) continue;
      const bad: number[] = [];
      for (const [index, p] of [...m].sort((a, b) => a[0] - b[0])) {
        for (let o = 0; o < PAGE; o++) {
          if (p.hasPromise[o] !== 1) continue;
          const off = index * PAGE + o;
          const v = image.readByte(file.phys + off);
          if (v === p.promised[o]) continue;
          if (p.later.get(o)?.includes(v) === true) continue;
          bad.push(off);
        }
      }
      lost.push(...toRanges(file.name, bad));
    }
    return lost;
  }

  /**
   * Every crash state: a line whose fate is undetermined may hold any of its candidates.
   * Lines are independent for this question (a byte is lost in some state iff some candidate
   * of its line loses it), so checking each candidate of each line covers every state.
   */
  checkAllStates(image: SurvivingImage, uncertain: readonly UncertainLine[], fileList: readonly DaxFile[]): LostRange[] {
    const worst = this.check(image, fileList);
    const lostSet = new Set<string>();
    const extra: Array<{ file: string; off: number }> = [];
    for (const u of uncertain) {
      for (const cand of u.candidates) {
        const overlay: SurvivingImage = {
          readByte: (pa) => (pa >= u.pa && pa < u.pa + cand.length ? cand[pa - u.pa]! : image.readByte(pa)),
        };
        for (const file of fileList) {
          if (u.pa + cand.length <= file.phys || u.pa >= file.phys + file.size) continue;
          for (const r of this.check(overlay, [file])) {
            for (let o = r.offset; o < r.offset + r.length; o++) {
              const key = `${file.name}:${o}`;
              if (!lostSet.has(key)) {
                lostSet.add(key);
                extra.push({ file: file.name, off: o });
              }
            }
          }
        }
      }
    }
    for (const r of worst) for (let o = r.offset; o < r.offset + r.length; o++) {
      const key = `${r.file}:${o}`;
      if (!lostSet.has(key)) {
        lostSet.add(key);
        extra.push({ file: r.file, off: o });
      }
    }
    const out: LostRange[] = [];
    const byFile = new Map<string, number[]>();
    for (const x of extra) {
      const l = byFile.get(x.file) ?? [];
      l.push(x.off);
      byFile.set(x.file, l);
    }
    for (const [f, offs] of byFile) out.push(...toRanges(f, offs.sort((a, b) => a - b)));
    return out;
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

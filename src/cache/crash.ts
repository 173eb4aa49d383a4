// Crash states: the set of pmem images that may be observed after power fails now.
//
// A state picks one candidate per uncertain line (PmemCache.uncertainLines()); lines are
// independent (see there: Px86 orders write-backs of different lines only through flushes,
// and a flush has either completed, moving the line's lower bound, or not). The number of
// states is the product of the candidate counts. Up to `limit` states are enumerated
// exhaustively (worst case first, then in mixed-radix order); beyond, a sound sample is
// drawn: the worst case, the all-newest case, every single-line deviation from the worst case
// (each line's every candidate with all other lines at their worst), then seeded random
// combinations up to `limit`. Every sampled state is a real crash state; coverage is
// reported as `exhaustive: false` with the count drawn and the total.

import { OverlayImage, type CrashImage, type PmemCache } from './pmem-cache.ts';
import { LINE_SIZE } from './pmem-cache.ts';

export interface CrashStates {
  /** How many crash states exist (may exceed Number.MAX_SAFE_INTEGER: then Infinity). */
  total: number;
  /** True when `images` holds every state. */
  exhaustive: boolean;
  images: CrashImage[];
}

export interface CrashEnumOptions {
  /** Most states to return (default 4096). */
  limit?: number;
  /** Seed for sampling (default 1). */
  seed?: number;
}

export function crashStates(cache: PmemCache, opts: CrashEnumOptions = {}): CrashStates {
  const limit = opts.limit ?? 4096;
  const lines = cache.uncertainLines();
  const base = cache.crashImage();
  let total = 1;
  for (const l of lines) total *= l.candidates.length;
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) total = Infinity;
  // A state is kept sparse: only the lines not at their worst case (candidate 0, what `base`
  // shows) are overlaid, so the single-line deviations cost O(1) each instead of O(lines).
  const pick = (choice: ReadonlyMap<number, number>): CrashImage => {
    const over = new Map<number, Uint8Array>();
    for (const [i, c] of choice) over.set(lines[i]!.pa / LINE_SIZE, lines[i]!.candidates[c]!);
    return new LayeredImage(base, new OverlayImage(cache.mem, over), over);
  };
  const images: CrashImage[] = [];
  if (total <= limit) {
    const digits = new Array<number>(lines.length).fill(0);
    for (let n = 0; n < total; n++) {
      const choice = new Map<number, number>();
      digits.forEach((d, i) => d !== 0 && choice.set(i, d));
      images.push(pick(choice));
      for (let i = 0; i < digits.length; i++) {
        if (++digits[i]! < lines[i]!.candidates.length) break;
        digits[i] = 0;
      }
    }
    return { total, exhaustive: true, images };
  }
  const seen = new Set<string>();
  const add = (choice: Map<number, number>): void => {
    if (images.length >= limit) return;
    const k = [...choice].map(([i, c]) => `${i}:${c}`).join(',');
    if (seen.has(k)) return;
    seen.add(k);
    images.push(pick(choice));
  };
  add(new Map());
  add(new Map(lines.map((l, i) => [i, l.candidates.length - 1])));
  for (let i = 0; i < lines.length && images.length < limit; i++) {
    for (let c = 1; c < lines[i]!.candidates.length; c++) add(new Map([[i, c]]));
  }
  let s = (opts.seed ?? 1) >>> 0 || 1;
  const rnd = (n: number): number => {
    // xorshift32: deterministic for a seed
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  for (let tries = 0; images.length < limit && tries < limit * 4; tries++) {
    const choice = new Map<number, number>();
    lines.forEach((l, i) => {
      const c = rnd(l.candidates.length);
      if (c !== 0) choice.set(i, c);
    });
    add(choice);
  }
  return { total, exhaustive: false, images };
}

/** Lines of `over` come from `top`; the rest from `base` (the worst-case image). */
class LayeredImage implements CrashImage {
  constructor(
    private readonly base: CrashImage,
    private readonly top: CrashImage,
    private readonly over: ReadonlyMap<number, Uint8Array>,
  ) {}

  readByte(pa: number): number {
    return this.over.has(Math.floor(pa / LINE_SIZE)) ? this.top.readByte(pa) : this.base.readByte(pa);
  }

  readBytes(pa: number, len: number, out: Uint8Array, outOffset = 0): void {
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const no = Math.floor(at / LINE_SIZE);
      const n = Math.min(len - done, LINE_SIZE - (at - no * LINE_SIZE));
      (this.over.has(no) ? this.top : this.base).readBytes(at, n, out, outOffset + done);
      done += n;
    }
  }
}

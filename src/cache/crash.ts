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
  const pick = (choice: ArrayLike<number>): CrashImage => {
    const over = new Map<number, Uint8Array>();
    for (let i = 0; i < lines.length; i++) over.set(lines[i]!.pa / LINE_SIZE, lines[i]!.candidates[choice[i]!]!);
    return new LayeredImage(base, new OverlayImage(cache.mem, over), over);
  };
  const images: CrashImage[] = [];
  if (total <= limit) {
    const digits = new Array<number>(lines.length).fill(0);
    for (let n = 0; n < total; n++) {
      images.push(pick(digits));
      for (let i = 0; i < digits.length; i++) {
        if (++digits[i]! < lines[i]!.candidates.length) break;
        digits[i] = 0;
      }
    }
    return { total, exhaustive: true, images };
  }
  const seen = new Set<string>();
  const add = (choice: number[]): void => {
    const k = choice.join(',');
    if (images.length >= limit || seen.has(k)) return;
    seen.add(k);
    images.push(pick(choice));
  };
  const zero = new Array<number>(lines.length).fill(0);
  add(zero);
  add(lines.map((l) => l.candidates.length - 1));
  for (let i = 0; i < lines.length && images.length < limit; i++) {
    for (let c = 1; c < lines[i]!.candidates.length; c++) {
      const ch = zero.slice();
      ch[i] = c;
      add(ch);
    }
  }
  let s = (opts.seed ?? 1) >>> 0 || 1;
  const rnd = (n: number): number => {
    // xorshift32: deterministic for a seed (design.md "Determinism")
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  for (let tries = 0; images.length < limit && tries < limit * 4; tries++) add(lines.map((l) => rnd(l.candidates.length)));
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

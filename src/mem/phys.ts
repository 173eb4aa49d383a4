// Physical memory: a DRAM range (page tables, anonymous pages) and a pmem range (the DAX
// device), addressed by physical address. Backing store is sparse: fixed-size chunks allocated
// on first store, so a 1 TiB pmem device costs only what is touched. Loads of untouched memory
// read zero, as a freshly zeroed device would.
//
// DRAM's first FLAT_MAX_BYTES are one flat buffer instead (Region.flat32), grown by doubling up
// to the highest chunk stored to, its chunks being views into it: the hardware walk (src/mmu)
// reads an entry with one indexed load instead of chunk index, chunk, word. Page tables live
// there (the frame allocator hands DRAM out from the bottom).
//
// 64-bit entries are read and written as two 32-bit halves in the layout's byte order, so
// no BigInt is needed on the walk path. Physical addresses are JS numbers: every address
// below 2^53 is exact, and the largest physical address any modelled arch allows is 2^52.

import type { Endian, Entry } from '../../arch/types.ts';

export const CHUNK_SHIFT = 16; // 64 KiB chunks: one radix 64K page, sixteen 4 KiB pages
export const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SIZE - 1;

/** Regions with at most this many chunk slots also keep a dense index of their chunks (2^22 x 64 KiB = 256 GiB). */
export const MAX_DENSE_SLOTS = 1 << 22;
/** What a dense index holds for a chunk never stored to: zeros, shared, never written. */
export const ZERO_CHUNK: Uint32Array = new Uint32Array(CHUNK_SIZE / 4);
/** ZERO_CHUNK as int32 words, for dense32. */
export const ZERO_CHUNK32: Int32Array = new Int32Array(ZERO_CHUNK.buffer);
const INV_CHUNK = 1 / CHUNK_SIZE;

/** What PhysMem.eachChunk does with each chunk of its range. */
const enum ChunkOp {
  Read,
  Write,
  Zero,
}
const NO_BYTES = new Uint8Array(0);
/** The most of a region kept flat (16 Ki chunks); chunks above it are separate. */
export const FLAT_MAX_BYTES = 2 ** 30;
/** The first size of a flat buffer (grown by doubling). */
const FLAT_MIN_BYTES = 2 ** 21;
const EMPTY32 = new Int32Array(0);

export type RegionKind = 'dram' | 'pmem';

export interface RegionSpec {
  readonly kind: RegionKind;
  readonly base: number;
  readonly size: number;
}

/** The host is little-endian on every platform Node ships for; checked once. */
const HOST_LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

export class PhysMemError extends Error {}

export class Region {
  readonly kind: RegionKind;
  readonly base: number;
  readonly size: number;
  readonly end: number;
  private readonly chunks = new Map<number, Uint32Array>();
  /** Zeroed chunks kept by reset() for the next touch() (a reused machine allocates none). */
  private readonly spare: Uint32Array[] = [];
  /**
   * For regions of at most MAX_DENSE_SLOTS chunks (DRAM), the chunks by index: a plain array
   * (ZERO_CHUNK where nothing was stored), grown in place up to the highest chunk touched, so
   * readers index it with an integer instead of a Map lookup. null for larger regions (a 1 TiB
   * pmem device would need 2^24 slots). Chunks are never dropped, so a reader may keep it.
   */
  readonly dense: Uint32Array[] | null;
  /** The same chunks as Int32Array views (the MMU's generated walk keeps entry halves int32). */
  readonly dense32: Int32Array[] | null;
  /**
   * Regions with a dense index (DRAM): their first flatChunks chunks as one array of int32
   * words, word w holding bytes base + 4w .. base + 4w + 3; the chunks there are views into
   * it. Replaced by a larger copy when a store reaches past it (readers load it per use, never
   * keep it across a store); words of chunks never stored to are zero.
   */
  flat32: Int32Array = EMPTY32;
  /** The same buffer as uint32 words. */
  flatU32: Uint32Array = new Uint32Array(0);
  /** Chunks the flat buffer could ever cover (0: no flat part). */
  private readonly flatLimit: number;
  /** One-entry lookup cache: consecutive accesses mostly hit the same chunk. */
  private lastIndex = -1;
  private lastChunk: Uint32Array | null = null;

  constructor(spec: RegionSpec) {
    if (spec.base % CHUNK_SIZE !== 0 || spec.size % CHUNK_SIZE !== 0 || spec.size <= 0) {
      throw new PhysMemError(`${spec.kind} range must be a positive multiple of ${CHUNK_SIZE} bytes, aligned`);
    }
    if (spec.base + spec.size > 2 ** 52) {
      throw new PhysMemError(`${spec.kind} range ends past 2^52, the largest physical address modelled`);
    }
    this.kind = spec.kind;
    this.base = spec.base;
    this.size = spec.size;
    this.end = spec.base + spec.size;
    this.dense = spec.size / CHUNK_SIZE <= MAX_DENSE_SLOTS ? [] : null;
    this.dense32 = this.dense !== null ? [] : null;
    // Only DRAM is flat (page tables; pmem chunks are handed to the cache and crash images whole).
    this.flatLimit = this.dense !== null && spec.kind === 'dram' ? Math.min(spec.size, FLAT_MAX_BYTES) / CHUNK_SIZE : 0;
  }

  /** Chunks the flat buffer covers now. */
  get flatChunks(): number {
    return (this.flat32.length * 4) / CHUNK_SIZE;
  }

  /** Grows the flat buffer to cover chunk idx (doubling, up to flatLimit), re-pointing the chunks in it. */
  private growFlat(idx: number): void {
    let bytes = Math.max(FLAT_MIN_BYTES, this.flat32.length * 8);
    while (bytes < (idx + 1) * CHUNK_SIZE) bytes *= 2;
    bytes = Math.min(bytes, this.flatLimit * CHUNK_SIZE);
    const buf = new ArrayBuffer(bytes);
    const u32 = new Uint32Array(buf);
    u32.set(this.flatU32);
    const old = this.flatChunks;
    this.flatU32 = u32;
    this.flat32 = new Int32Array(buf);
    for (const i of this.chunks.keys()) if (i < old) this.placeChunk(i, new Uint32Array(buf, i * CHUNK_SIZE, CHUNK_SIZE / 4));
    this.lastIndex = -1;
    this.lastChunk = null;
  }

  /** Records chunk c as chunk idx, in the map and the dense index. */
  private placeChunk(idx: number, c: Uint32Array): void {
    this.chunks.set(idx, c);
    const d = this.dense;
    const d32 = this.dense32;
    if (d !== null && d32 !== null) {
      while (d.length <= idx) {
        d.push(ZERO_CHUNK);
        d32.push(ZERO_CHUNK32);
      }
      d[idx] = c;
      d32[idx] = new Int32Array(c.buffer, c.byteOffset, c.length);
    }
  }

  contains(pa: number, len = 1): boolean {
    return pa >= this.base && pa + len <= this.end;
  }

  /** Host bytes held by touched chunks. */
  get residentBytes(): number {
    return this.chunks.size * CHUNK_SIZE;
  }

  get touchedChunks(): number {
    return this.chunks.size;
  }

  /** The chunk holding `pa`, or null if never stored to. */
  peek(pa: number): Uint32Array | null {
    const idx = Math.floor((pa - this.base) / CHUNK_SIZE);
    if (idx === this.lastIndex) return this.lastChunk;
    const c = this.chunks.get(idx) ?? null;
    if (c !== null) {
      this.lastIndex = idx;
      this.lastChunk = c;
    }
    return c;
  }

  /** The chunk holding `pa`, allocated if needed. */
  touch(pa: number): Uint32Array {
    const idx = Math.floor((pa - this.base) / CHUNK_SIZE);
    if (idx === this.lastIndex && this.lastChunk !== null) return this.lastChunk;
    let c = this.chunks.get(idx);
    if (c === undefined) {
      if (idx < this.flatLimit) {
        if (idx >= this.flatChunks) this.growFlat(idx);
        c = new Uint32Array(this.flatU32.buffer, idx * CHUNK_SIZE, CHUNK_SIZE / 4);
      } else {
        c = this.spare.pop() ?? new Uint32Array(CHUNK_SIZE / 4);
      }
      this.placeChunk(idx, c);
    }
    this.lastIndex = idx;
    this.lastChunk = c;
    return c;
  }

  /**
   * Back to the state of a new region: every chunk is zeroed and kept for reuse by touch(), and
   * the dense index reads ZERO_CHUNK again (the arrays themselves are kept: readers hold them;
   * so is the flat buffer, all zero again).
   */
  reset(): void {
    // Only what was stored to is zeroed (the flat buffer's other words are zero already); views
    // into the flat buffer are dropped, separate chunks kept for reuse.
    for (const [i, c] of this.chunks) {
      c.fill(0);
      if (i >= this.flatLimit) this.spare.push(c);
    }
    this.chunks.clear();
    const d = this.dense;
    const d32 = this.dense32;
    if (d !== null && d32 !== null) {
      d.fill(ZERO_CHUNK);
      d32.fill(ZERO_CHUNK32);
    }
    this.lastIndex = -1;
    this.lastChunk = null;
  }

  /** Chunk indexes that hold data, ascending (for dumps and crash images). */
  touchedIndexes(): number[] {
    return [...this.chunks.keys()].sort((a, b) => a - b);
  }
}

export class PhysMem {
  readonly regions: readonly Region[];
  readonly dram: Region;
  readonly pmem: Region;

  /** DRAM's base, and its size less 8: an 8-byte access at pa is in DRAM iff 0 <= pa - dramBase <= dramLast8. */
  private readonly dramBase: number;
  private readonly dramLast8: number;
  /** DRAM's dense chunk index (an empty array when DRAM has none: the fast path then never matches). */
  private readonly dramDense: Uint32Array[];
  private readonly dramFast: boolean;

  constructor(dram: RegionSpec, pmem: RegionSpec) {
    this.dram = new Region(dram);
    this.pmem = new Region(pmem);
    if (this.dram.base < this.pmem.end && this.pmem.base < this.dram.end) {
      throw new PhysMemError('dram and pmem ranges overlap');
    }
    this.regions = [this.dram, this.pmem];
    this.dramBase = this.dram.base;
    this.dramLast8 = this.dram.size - 8;
    this.dramDense = this.dram.dense ?? [];
    this.dramFast = this.dram.dense !== null;
  }

  /** Back to the state of a new PhysMem (all zero, nothing touched), keeping the chunks' storage. */
  reset(): void {
    this.dram.reset();
    this.pmem.reset();
  }

  regionOf(pa: number, len = 1): Region {
    if (this.dram.contains(pa, len)) return this.dram;
    if (this.pmem.contains(pa, len)) return this.pmem;
    throw new PhysMemError(`physical address 0x${pa.toString(16)} (+${len}) is outside dram and pmem`);
  }

  /** Reads the 64-bit entry at `pa` (8-byte aligned) in byte order `endian` into `out`. */
  read64(pa: number, endian: Endian, out: Entry): void {
    const d = pa - this.dramBase;
    let c: Uint32Array;
    let i: number;
    if (d >= 0 && d <= this.dramLast8 && this.dramFast) {
      // DRAM (page tables): the flat buffer, else the dense chunk index (DRAM is below 2^38 here).
      const flat = this.dram.flatU32;
      if (d < flat.length * 4) {
        c = flat;
        i = d >>> 2; // d < FLAT_MAX_BYTES
      } else {
        const idx = Math.floor(d * INV_CHUNK);
        const dense = this.dramDense;
        c = idx < dense.length ? dense[idx]! : ZERO_CHUNK;
        i = (d & CHUNK_MASK) >>> 2;
      }
    } else {
      const r = this.regionOf(pa, 8);
      // A chunk never written reads as zeros (ZERO_CHUNK, as the dense index gives for DRAM).
      c = r.peek(pa) ?? ZERO_CHUNK;
      i = ((pa - r.base) & CHUNK_MASK) >>> 2;
    }
    const w0 = c[i]!;
    const w1 = c[i + 1]!;
    if ((endian === 'little') === HOST_LITTLE) {
      out.lo = w0;
      out.hi = w1;
    } else {
      out.lo = bswap32(w1);
      out.hi = bswap32(w0);
    }
  }

  /** Stores a 64-bit entry at `pa` (8-byte aligned) in byte order `endian`. */
  write64(pa: number, endian: Endian, e: Entry): void {
    const d = pa - this.dramBase;
    let r: Region;
    let c: Uint32Array;
    if (d >= 0 && d <= this.dramLast8 && this.dramFast) {
      const idx = Math.floor(d * INV_CHUNK);
      const dense = this.dramDense;
      r = this.dram;
      c = idx < dense.length ? dense[idx]! : ZERO_CHUNK;
      if (c === ZERO_CHUNK) c = r.touch(pa);
    } else {
      r = this.regionOf(pa, 8);
      c = r.touch(pa);
    }
    const i = ((pa - r.base) & CHUNK_MASK) >>> 2;
    if ((endian === 'little') === HOST_LITTLE) {
      c[i] = e.lo;
      c[i + 1] = e.hi;
    } else {
      c[i] = bswap32(e.hi);
      c[i + 1] = bswap32(e.lo);
    }
  }

  readByte(pa: number): number {
    const r = this.regionOf(pa);
    const c = r.peek(pa);
    if (c === null) return 0;
    const off = (pa - r.base) & CHUNK_MASK;
    return (c[off >>> 2]! >>> ((off & 3) * 8)) & 0xff;
  }

  /** Copies `len` bytes at `pa` into `out` starting at `outOffset`. */
  readBytes(pa: number, len: number, out: Uint8Array, outOffset = 0): void {
    this.eachChunk(ChunkOp.Read, pa, len, out, outOffset);
  }

  writeBytes(pa: number, src: Uint8Array, srcOffset = 0, len = src.length - srcOffset): void {
    this.eachChunk(ChunkOp.Write, pa, len, src, srcOffset);
  }

  /** Zero `len` bytes at `pa`; chunks never touched stay untouched. */
  zero(pa: number, len: number): void {
    this.eachChunk(ChunkOp.Zero, pa, len, NO_BYTES, 0);
  }

  /** readBytes, writeBytes and zero: [pa, pa + len) of one region chunk by chunk, `buf` from
   * `bufOffset` on the other side of the copy. Only a write touches (allocates) a chunk. */
  private eachChunk(op: ChunkOp, pa: number, len: number, buf: Uint8Array, bufOffset: number): void {
    const r = this.regionOf(pa, len);
    let done = 0;
    while (done < len) {
      const at = pa + done;
      const off = (at - r.base) & CHUNK_MASK;
      const n = Math.min(len - done, CHUNK_SIZE - off);
      const from = bufOffset + done;
      if (op === ChunkOp.Write) {
        const c = r.touch(at);
        new Uint8Array(c.buffer, c.byteOffset + off, n).set(buf.subarray(from, from + n));
      } else {
        const c = r.peek(at);
        if (op === ChunkOp.Zero) {
          if (c !== null) new Uint8Array(c.buffer, c.byteOffset + off, n).fill(0);
        } else if (c === null) buf.fill(0, from, from + n);
        else buf.set(new Uint8Array(c.buffer, c.byteOffset + off, n), from);
      }
      done += n;
    }
  }
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';

const GiB = 2 ** 30;
const TiB = 2 ** 40;

function machine(): PhysMem {
  return new PhysMem({ kind: 'dram', base: 0, size: 1 * GiB }, { kind: 'pmem', base: 4 * TiB, size: 1 * TiB });
}

describe('physical memory', () => {
  it('declares a 1 TiB pmem device while only touched chunks take host memory', () => {
    const before = process.memoryUsage().arrayBuffers;
    const mem = machine();
    // Touch one byte every 64 GiB across the whole device.
    for (let pa = mem.pmem.base; pa < mem.pmem.end; pa += 64 * GiB) mem.writeBytes(pa, new Uint8Array([0xa5]));
    mem.writeBytes(mem.pmem.end - 1, new Uint8Array([0x5a]));
    expect(mem.pmem.touchedChunks).toBe(17);
    expect(mem.readByte(mem.pmem.end - 1)).toBe(0x5a);
    expect(mem.readByte(mem.pmem.base + 12345)).toBe(0);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(4 * 2 ** 20);
  });

  it('stores 64-bit entries in the requested byte order', () => {
    const mem = machine();
    const e = { lo: 0x89abcdef, hi: 0x01234567 };
    mem.write64(0x1000, 'little', e);
    mem.write64(0x2000, 'big', e);
    const raw = new Uint8Array(8);
    mem.readBytes(0x1000, 8, raw);
    expect([...raw]).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
    mem.readBytes(0x2000, 8, raw);
    expect([...raw]).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
  });

  it('round-trips entries in both byte orders', () => {
    const mem = machine();
    const out = { lo: 0, hi: 0 };
    fc.assert(
      fc.property(fc.nat({ max: GiB / 8 - 1 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.constantFrom('little' as const, 'big' as const), (slot, lo, hi, endian) => {
        mem.write64(slot * 8, endian, { lo, hi });
        mem.read64(slot * 8, endian, out);
        return out.lo === lo && out.hi === hi;
      }),
    );
  });

  it('rejects addresses outside both ranges', () => {
    const mem = machine();
    expect(() => mem.readByte(2 * GiB)).toThrow(/outside dram and pmem/);
  });

  it('allocates zeroed, naturally aligned frames of any power-of-two size', () => {
    const mem = machine();
    const frames = new FrameAllocator(mem, mem.dram);
    const a = frames.alloc(256);
    const b = frames.alloc(65536);
    expect(a % 256).toBe(0);
    expect(b % 65536).toBe(0);
    mem.writeBytes(a, new Uint8Array([1, 2, 3]));
    frames.release(a, 256);
    const c = frames.alloc(256);
    expect(c).toBe(a);
    expect(mem.readByte(c)).toBe(0);
  });
});

describe('addresses and sizes above 2^31 (issue 10 item 5: no 32-bit bitwise truncation)', () => {
  it('a frame size of 2^32 + 4096 is not a power of two', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 16 * GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB });
    const frames = new FrameAllocator(mem, mem.dram);
    expect(() => frames.alloc(2 ** 32 + 4096)).toThrow(/not a power of two/);
    expect(() => frames.alloc(3 * 4096)).toThrow(/not a power of two/);
    // 4 GiB blocks are: aligned to their size, above 2^32.
    const a = frames.alloc(2 ** 32);
    const b = frames.alloc(2 ** 32);
    expect([a % 2 ** 32, b]).toEqual([0, a + 2 ** 32]);
  });

  it('entries above 4 GiB of DRAM and past 2^40 of pmem keep every address bit', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 16 * GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB });
    const e = { lo: 0xdeadbeef, hi: 0x8000f00d };
    for (const pa of [2 ** 31, 2 ** 32 + 8, 15 * GiB + 0xfff8, 4 * TiB + 2 ** 39 + 8]) {
      mem.write64(pa, 'big', e);
      const out = { lo: 0, hi: 0 };
      mem.read64(pa, 'big', out);
      expect(out).toEqual(e);
      // Nothing landed 4 GiB lower (a truncated address would alias there).
      mem.read64(pa - 2 ** 32 >= 0 ? pa - 2 ** 32 : pa + 8, 'big', out);
      expect(out).not.toEqual(e);
    }
  });
});

describe('flat DRAM (the walk reads one buffer)', () => {
  it('grows to cover stores, keeping every word, and the dense chunk index points into it', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 4 * GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB });
    const dense = mem.dram.dense!;
    mem.write64(0x100008, 'little', { lo: 0x11111111, hi: 0x22222222 });
    const first = mem.dram.flat32;
    expect(first.length * 4).toBeGreaterThanOrEqual(0x110000);
    // A store far above grows (replaces) the buffer; what was there stays.
    mem.write64(100 * 2 ** 20 + 16, 'big', { lo: 0x33333333, hi: 0x44444444 });
    const grown = mem.dram.flat32;
    expect(grown).not.toBe(first);
    expect(grown.length * 4).toBeGreaterThan(100 * 2 ** 20);
    expect([grown[0x100008 / 4], grown[0x100008 / 4 + 1]]).toEqual([0x11111111, 0x22222222]);
    // The dense index (what the kernel's page-table code reads) sees the same words.
    expect(dense[0x100008 >>> 16]![(0x100008 & 0xffff) / 4]).toBe(0x11111111);
    const e = { lo: 0, hi: 0 };
    mem.read64(100 * 2 ** 20 + 16, 'big', e);
    expect(e).toEqual({ lo: 0x33333333, hi: 0x44444444 });
    // Above the flat gigabyte, chunks are separate again.
    mem.write64(3 * GiB, 'little', { lo: 5, hi: 6 });
    mem.read64(3 * GiB, 'little', e);
    expect(e).toEqual({ lo: 5, hi: 6 });
    expect(mem.dram.flat32.length * 4).toBeLessThanOrEqual(GiB);
    // Byte access through chunk views addresses the view, not its buffer's start.
    const b = new Uint8Array(8);
    mem.readBytes(0x100008, 8, b);
    expect([...b]).toEqual([0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22]);
    // reset: all zero again, the buffer kept.
    mem.reset();
    mem.read64(0x100008, 'little', e);
    expect(e).toEqual({ lo: 0, hi: 0 });
    expect(grown.subarray(0x100000 / 4, 0x110000 / 4).every((w) => w === 0)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mem/phys.ts';
import { ppc64Radix } from '../../arch/ppc64-radix.ts';
import { x86_64 } from '../../arch/x86_64.ts';
import { archWbCachePmem, crashStates, LINE_SIZE, PmemCache, type Persistence } from '../../src/cache/index.ts';

const X86_WB = x86_64.hooks.wbCachePmem;
const PPC_WB = ppc64Radix.hooks.wbCachePmem;

const GiB = 2 ** 30;
const TiB = 2 ** 40;
const PM = 4 * TiB; // pmem base
const MiB2 = 2 * 2 ** 20;

function machine(persistence: Persistence, history = false): { mem: PhysMem; cache: PmemCache } {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 1 * GiB }, { kind: 'pmem', base: PM, size: 1 * TiB });
  return { mem, cache: new PmemCache(mem, { cpus: 4, persistence, history }) };
}

const u64 = (v: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
};
const rd = (img: { readBytes(pa: number, len: number, out: Uint8Array): void }, pa: number): number => {
  const b = new Uint8Array(8);
  img.readBytes(pa, 8, b);
  return Number(new DataView(b.buffer).getBigUint64(0, true));
};

describe('PmemCache persistence domain', () => {
  it('ADR: a store followed by a crash is lost in the worst case', () => {
    const { mem, cache } = machine('adr');
    cache.store(0, PM + 64, u64(7));
    expect(rd(cache.crashImage(), PM + 64)).toBe(0);
    expect(mem.readByte(PM + 64)).toBe(0); // media untouched
    expect(cache.uncertainLines().map((l) => l.pa)).toEqual([PM + 64]);
  });

  it('eADR: a store followed by a crash is kept', () => {
    const { cache } = machine('eadr');
    cache.store(0, PM + 64, u64(7));
    expect(rd(cache.crashImage(), PM + 64)).toBe(7);
    expect(cache.uncertainLines()).toEqual([]);
  });

  it('store, clwb, sfence, crash is kept under both', () => {
    for (const p of ['adr', 'eadr'] as const) {
      const { mem, cache } = machine(p);
      cache.store(1, PM, u64(9));
      cache.clwb(1, PM);
      cache.sfence(1);
      expect(rd(cache.crashImage(), PM)).toBe(9);
      expect(rd(mem, PM)).toBe(9);
      expect(cache.uncertainLines()).toEqual([]);
      expect(cache.dirtyLines()).toEqual([]);
      expect(cache.counters.linesWrittenBack).toBe(1);
    }
  });

  it('clwb without a fence leaves the line uncertain: old or new', () => {
    const { cache } = machine('adr');
    cache.store(0, PM, u64(1));
    cache.clwb(0, PM);
    expect(cache.dirtyLines()).toEqual([{ pa: PM, pending: true }]);
    expect(rd(cache.crashImage(), PM)).toBe(0);
    const u = cache.uncertainLines();
    expect(u).toHaveLength(1);
    expect(u[0]!.candidates.map((c) => rd({ readBytes: (_pa, len, out) => out.set(c.subarray(0, len)) }, 0))).toEqual([0, 1]);
    // A fence on another CPU does not complete CPU 0's clwb (SDM Vol. 2 SFENCE: this CPU's stores).
    cache.sfence(1);
    expect(rd(cache.crashImage(), PM)).toBe(0);
    cache.sfence(0);
    expect(rd(cache.crashImage(), PM)).toBe(1);
  });

  it('clwb snapshots the line: a later store stays dirty after the fence', () => {
    const { cache } = machine('adr', true);
    cache.store(0, PM, u64(1));
    cache.clwb(0, PM);
    cache.store(0, PM, u64(2));
    cache.sfence(0);
    expect(rd(cache.crashImage(), PM)).toBe(1);
    const u = cache.uncertainLines();
    expect(u.map((l) => l.candidates.length)).toEqual([2]);
    expect(cache.dirtyLines()).toEqual([{ pa: PM, pending: false }]);
  });

  it('clflush completes at the same CPU\'s next store (ordered with writes) or fence', () => {
    const { cache } = machine('adr');
    cache.store(0, PM, u64(1));
    cache.clflush(0, PM);
    expect(rd(cache.crashImage(), PM)).toBe(0); // not yet guaranteed
    cache.store(0, PM + 4096, u64(2)); // a later write is visible only after the clflush
    expect(rd(cache.crashImage(), PM)).toBe(1);
    expect(rd(cache.crashImage(), PM + 4096)).toBe(0);
    // clflushopt is not ordered with later writes to other lines
    cache.store(0, PM + 128, u64(3));
    cache.clflushopt(0, PM + 128);
    cache.store(0, PM + 8192, u64(4));
    expect(rd(cache.crashImage(), PM + 128)).toBe(0);
    cache.mfence(0);
    expect(rd(cache.crashImage(), PM + 128)).toBe(3);
  });

  it('ntstore: visible at once, persistent only after the fence, under ADR and eADR', () => {
    for (const p of ['adr', 'eadr'] as const) {
      const { cache } = machine(p);
      cache.ntstore(2, PM + 256, u64(5));
      const b = new Uint8Array(8);
      cache.load(3, PM + 256, 8, b);
      expect(rd({ readBytes: (_pa, len, out) => out.set(b.subarray(0, len)) }, 0)).toBe(5);
      expect(rd(cache.crashImage(), PM + 256)).toBe(0);
      expect(cache.uncertainLines()).toHaveLength(1);
      cache.sfence(2);
      expect(rd(cache.crashImage(), PM + 256)).toBe(5);
      expect(cache.uncertainLines()).toHaveLength(0);
    }
  });

  it('eADR: an unfenced ntstore into a dirty line loses only the ntstore data', () => {
    const { cache } = machine('eadr');
    cache.store(0, PM, u64(1));
    cache.ntstore(0, PM + 8, u64(2));
    cache.store(1, PM + 16, u64(3)); // another CPU: not ordered after CPU 0's WC data
    const img = cache.crashImage();
    expect([rd(img, PM), rd(img, PM + 8), rd(img, PM + 16)]).toEqual([1, 0, 3]);
    // the same CPU's later store to the line drains its WC data first (same-address order)
    cache.store(0, PM + 24, u64(4));
    const img2 = cache.crashImage();
    expect([rd(img2, PM), rd(img2, PM + 8), rd(img2, PM + 16), rd(img2, PM + 24)]).toEqual([1, 2, 3, 4]);
  });

  it('coherence: a store by CPU 0 is read by CPU 1', () => {
    const { cache } = machine('adr');
    cache.store(0, PM + 1000, new Uint8Array([1, 2, 3]));
    const out = new Uint8Array(5);
    cache.load(1, PM + 999, 5, out);
    expect([...out]).toEqual([0, 1, 2, 3, 0]);
    // and a clwb by CPU 2 writes CPU 0's data back
    cache.clwb(2, PM + 1000);
    cache.sfence(2);
    expect(cache.crashImage().readByte(PM + 1001)).toBe(2);
  });

  it('stores spanning lines make each line dirty; DRAM bypasses the cache', () => {
    const { mem, cache } = machine('adr');
    cache.store(0, PM + 60, new Uint8Array(10).fill(9));
    expect(cache.dirtyLines().map((l) => l.pa)).toEqual([PM, PM + 64]);
    cache.store(0, 0x1000, new Uint8Array([0xaa]));
    expect(mem.readByte(0x1000)).toBe(0xaa);
    expect(cache.dirtyLines()).toHaveLength(2);
    expect(() => cache.store(0, PM - 4, new Uint8Array(8))).toThrow(/straddles/);
  });
});

describe('archWbCachePmem', () => {
  it('x86: clwb over a 2 MiB range, no fence of its own (the fsync issues it); cheap when few lines are dirty', () => {
    const { mem, cache } = machine('adr');
    const base = PM + 4 * MiB2;
    for (const off of [0, 4096, MiB2 - 8]) cache.store(0, base + off, u64(off + 1));
    cache.store(0, base + MiB2, u64(99)); // outside the range
    const t0 = performance.now();
    const n = archWbCachePmem(cache, 0, X86_WB, base, MiB2);
    const dt = performance.now() - t0;
    expect(n).toBe(3);
    expect(cache.counters.flushInstructions).toBe(MiB2 / LINE_SIZE);
    expect(cache.counters.fences).toBe(0);
    cache.sfence(0); // generic_nvdimm_flush's pmem_wmb(), once per fsync
    for (const off of [0, 4096, MiB2 - 8]) expect(rd(mem, base + off)).toBe(off + 1);
    expect(rd(cache.crashImage(), base + MiB2)).toBe(0);
    expect(cache.dirtyLines().map((l) => l.pa)).toEqual([base + MiB2]);
    expect(dt).toBeLessThan(200);
  });

  it('x86: a clean 2 MiB range writes nothing back', () => {
    const { cache } = machine('adr');
    expect(archWbCachePmem(cache, 0, X86_WB, PM, MiB2)).toBe(0);
    expect(cache.counters.linesWrittenBack).toBe(0);
  });

  it('x86: an unaligned range covers every line it touches', () => {
    const { mem, cache } = machine('adr');
    cache.store(0, PM + 60, new Uint8Array(8).fill(1)); // lines 0 and 1
    expect(archWbCachePmem(cache, 0, X86_WB, PM + 63, 2)).toBe(2);
    cache.sfence(0);
    expect(mem.readByte(PM + 67)).toBe(1);
  });

  it('ppc64: dcbstps per 128-byte block (both 64-byte halves), no barrier of its own', () => {
    const { mem, cache } = machine('adr');
    cache.store(0, PM + 64 + 8, u64(3)); // the second half of block 0
    expect(archWbCachePmem(cache, 0, PPC_WB, PM, 8)).toBe(1);
    expect(cache.counters.fences).toBe(0);
    cache.sfence(0); // pmem_wmb() = phwsync, from the fsync's flush
    expect(rd(mem, PM + 72)).toBe(3);
    expect(cache.counters.flushInstructions).toBe(1);
  });

  it('no ARCH_HAS_PMEM_API (the empty inline of libnvdimm.h): nothing written back', () => {
    const { cache } = machine('adr');
    cache.store(0, PM, u64(3));
    expect(archWbCachePmem(cache, 0, null, PM, 4096)).toBe(0);
    expect(rd(cache.crashImage(), PM)).toBe(0);
    expect(cache.counters.fences).toBe(0);
  });
});

describe('crash states', () => {
  it('enumerates every combination of uncertain lines, worst case first', () => {
    const { cache } = machine('adr', true);
    cache.store(0, PM, u64(1));
    cache.store(0, PM, u64(2));
    cache.store(0, PM + 64, u64(5));
    const cs = crashStates(cache);
    expect(cs.exhaustive).toBe(true);
    expect(cs.total).toBe(6);
    const seen = cs.images.map((im) => `${rd(im, PM)},${rd(im, PM + 64)}`).sort();
    expect(seen).toEqual(['0,0', '0,5', '1,0', '1,5', '2,0', '2,5']);
    expect(`${rd(cs.images[0]!, PM)},${rd(cs.images[0]!, PM + 64)}`).toBe('0,0');
  });

  it('samples soundly beyond the limit and says so', () => {
    const { cache } = machine('adr');
    for (let i = 0; i < 20; i++) cache.store(0, PM + i * 64, u64(i + 1));
    const cs = crashStates(cache, { limit: 100, seed: 7 });
    expect(cs.total).toBe(2 ** 20);
    expect(cs.exhaustive).toBe(false);
    expect(cs.images).toHaveLength(100);
    for (const im of cs.images) for (let i = 0; i < 20; i++) expect([0, i + 1]).toContain(rd(im, PM + i * 64));
  });

  it('applyCrash makes the worst case the new media and empties the cache', () => {
    const { mem, cache } = machine('adr');
    cache.store(0, PM, u64(1));
    cache.clwb(0, PM);
    cache.sfence(0);
    cache.store(0, PM, u64(2));
    cache.clwb(0, PM);
    cache.applyCrash();
    expect(rd(mem, PM)).toBe(1);
    expect(cache.dirtyLines()).toEqual([]);
    expect(cache.pendingFlushes(0)).toBe(0);
    const b = new Uint8Array(8);
    cache.load(0, PM, 8, b);
    expect(b[0]).toBe(1);
  });
});

// The batched translateMany() (its own generated loop: the TLB probe inline, and with the TLB
// off the walk inline, leaving for walkTo on anything but a plain walk) against translate()
// one address at a time, on two identical machines built from the same random page tables:
// the same physical addresses, the same first fault, the same counters, the same memory (A/D).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, Mmu } from '../../src/mmu/index.ts';

const TiB = 2 ** 40;
const PMEM = 4 * TiB;

interface Map1 {
  slot: number;
  write: boolean;
  young: boolean;
  dirty: boolean;
  level: number;
}

function machine(L: Layout, rootLevel: number, maps: readonly Map1[], tlb: boolean, unit: number) {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 30 }, { kind: 'pmem', base: PMEM, size: TiB });
  const b = new TableBuilder(L, mem, new FrameAllocator(mem, mem.dram), rootLevel);
  for (const m of maps) {
    const va = 2 ** 36 + m.slot * unit;
    if (b.entryPa(va, m.level, true) < 0) continue;
    b.map(va, PMEM + m.slot * unit, m.level, { write: m.write, young: m.young, dirty: m.dirty, user: true });
  }
  const mmu = new Mmu(L, mem, { tlb, tlbEntries: 64 });
  mmu.setRoot(0, b.root);
  return { mmu, mem, b };
}

const cases = layouts.flatMap((l) => l.hooks.root.levels.map((r) => [l.name, r, l] as const));
describe.each(cases)('translateMany = translate one by one on %s from a level-%i root', (_n, rootLevel, L) => {
  const n = L.levels.length;
  const leafLevels = L.levels.map((_, l) => l).filter((l) => l >= rootLevel && (L.levels[l]!.leaf || l === n - 1));
  const unit = Math.max(...leafLevels.map((l) => 2 ** L.levels[l]!.shift));
  const page = 2 ** L.levels[n - 1]!.shift;
  it('agrees on addresses, the first fault, counters and memory', () => {
    fc.assert(
      fc.property(
        // Mostly mapped, mostly young and dirty with 4 KiB pages, so runs of plain walks (the
        // batched walk's interleaved pair path) are common; the rest takes every other path.
        fc.array(
          fc.record({
            slot: fc.integer({ min: 0, max: 6 }),
            write: fc.boolean(),
            young: fc.oneof(fc.constant(true), fc.boolean()),
            dirty: fc.oneof(fc.constant(true), fc.boolean()),
            level: fc.oneof(fc.constant(n - 1), fc.constantFrom(...leafLevels)),
          }),
          { minLength: 4, maxLength: 10 },
        ),
        // Offsets mostly inside the slot's first page (where a base page is mapped), some anywhere.
        fc.array(fc.record({ slot: fc.integer({ min: 0, max: 6 }), off: fc.oneof(fc.nat({ max: page - 1 }), fc.nat()) }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(Access.Read, Access.Write),
        fc.boolean(),
        (maps, addrs, access, tlb) => {
          const a = machine(L, rootLevel, maps, tlb, unit);
          const b = machine(L, rootLevel, maps, tlb, unit);
          const vas = Float64Array.from(addrs, (x) => 2 ** 36 + x.slot * unit + (x.off % unit));
          // Twice over, so the second pass meets the TLB entries and A/D bits of the first.
          for (let pass = 0; pass < 2; pass++) {
            let want = vas.length;
            const pas: number[] = [];
            for (let i = 0; i < vas.length; i++) {
              const pa = a.mmu.translate(0, vas[i]!, access, true);
              if (pa < 0) {
                want = i;
                break;
              }
              pas.push(pa);
            }
            const dst = new Float64Array(vas.length);
            const got = b.mmu.translateMany(0, vas, 0, vas.length, access, true, dst);
            expect(got).toBe(want);
            expect([...dst.subarray(0, got)]).toEqual(pas);
            if (want < vas.length) expect(b.mmu.fault.record()).toEqual(a.mmu.fault.record());
            expect(b.mmu.counters.snapshot()).toEqual(a.mmu.counters.snapshot());
          }
          const ma = new Uint8Array(a.mem.dram.flat32.buffer);
          const mb = new Uint8Array(b.mem.dram.flat32.buffer);
          expect(Buffer.compare(ma, mb)).toBe(0);
        },
      ),
      { numRuns: Number(process.env.WALK_EQ_RUNS ?? 100) },
    );
  });
});

describe('translateMany on a warm TLB', () => {
  it('runs of hits (its unrolled probe) give what translate gives, counted the same', () => {
    for (const L of layouts) {
      const page = 2 ** L.levels[L.levels.length - 1]!.shift;
      const maps: Map1[] = [];
      const a = machine(L, Math.min(...L.hooks.root.levels), maps, true, page);
      const b = machine(L, Math.min(...L.hooks.root.levels), maps, true, page);
      for (const m of [a, b]) for (let p = 0; p < 16; p++) m.b.map(2 ** 36 + p * page, PMEM + p * page, L.levels.length - 1, { write: true, young: true, dirty: true });
      // 61 addresses (not a multiple of the lanes), every page twice or more; then a fault.
      const vas = Float64Array.from({ length: 62 }, (_, i) => (i === 61 ? 2 ** 37 : 2 ** 36 + ((i * 5) % 16) * page + i * 8));
      for (let pass = 0; pass < 2; pass++) {
        const want: number[] = [];
        for (const va of vas) {
          const pa = a.mmu.translate(0, va, Access.Read, true);
          if (pa < 0) break;
          want.push(pa);
        }
        const dst = new Float64Array(vas.length);
        expect(b.mmu.translateMany(0, vas, 0, vas.length, Access.Read, true, dst)).toBe(61);
        expect([...dst.subarray(0, 61)]).toEqual(want);
        expect(b.mmu.counters.snapshot()).toEqual(a.mmu.counters.snapshot());
        expect(b.mmu.fault.record()).toEqual(a.mmu.fault.record());
      }
      expect(b.mmu.counters.snapshot().tlbHits).toBeGreaterThan(100);
    }
  });
});

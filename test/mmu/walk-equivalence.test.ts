// The generated walk (src/mmu/codegen.ts) against the rule-by-rule reference (Mmu.lookup) on
// random page tables with random flag bits flipped, for every layout and every level its root
// register can designate (s390: region-first, -second and -third ASCEs): same translation,
// same fault kind at the same level, and the rights lookup reports decide success.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import type { Entry, Layout } from '../../arch/types.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, FaultKind, Mmu, Perm } from '../../src/mmu/index.ts';

const GiB = 2 ** 30;
const TiB = 2 ** 40;
const PMEM = 4 * TiB;

/** Bits of an entry at `level` that are neither a table address nor a frame bit: flipping them keeps every pointer inside DRAM. */
function flagBits(L: Layout, level: number): number[] {
  const out: number[] = [];
  const e: Entry = { lo: 0, hi: 0 };
  for (let b = 0; b < 64; b++) {
    e.lo = b < 32 ? (1 << b) >>> 0 : 0;
    e.hi = b >= 32 ? (1 << (b - 32)) >>> 0 : 0;
    let addr = 0;
    try {
      addr = (level < L.levels.length - 1 ? L.tableAddress(level, e) : 0) + L.leafPfn(level, e);
    } catch {
      addr = 1;
    }
    if (addr === 0) out.push(b);
  }
  return out;
}

interface Mapping {
  slot: number;
  level: number;
  write: boolean;
  user: boolean;
  exec: boolean;
  young: boolean;
  dirty: boolean;
}

const mappingArb = (L: Layout, rootLevel: number): fc.Arbitrary<Mapping> =>
  fc.record({
    slot: fc.integer({ min: 0, max: 7 }),
    level: fc.constantFrom(...L.levels.map((lv, l) => l).filter((l) => l >= rootLevel && (L.levels[l]!.leaf || l === L.levels.length - 1))),
    write: fc.boolean(),
    user: fc.boolean(),
    exec: fc.boolean(),
    young: fc.boolean(),
    dirty: fc.boolean(),
  });

const cases = layouts.flatMap((l) => l.hooks.root.levels.map((r) => [l.name, r, l] as const));
describe.each(cases)('generated walk = reference walk on %s from a level-%i root', (_n, rootLevel, L) => {
  const n = L.levels.length;
  const flags = L.levels.map((_, l) => flagBits(L, l));
  // Each slot is a region as large as the biggest leaf, so any leaf size fits at its start.
  const biggest = Math.max(...L.levels.filter((lv, l) => lv.leaf || l === n - 1).map((lv) => 2 ** lv.shift));
  const base = 2 ** 36;

  it('agrees on translations and faults', () => {
    fc.assert(
      fc.property(
        fc.array(mappingArb(L, rootLevel), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ slot: fc.integer({ min: 0, max: 7 }), level: fc.integer({ min: rootLevel, max: n - 1 }), bit: fc.nat() }), { maxLength: 4 }),
        fc.array(fc.record({ slot: fc.integer({ min: 0, max: 8 }), off: fc.nat(), access: fc.constantFrom(Access.Read, Access.Write, Access.Exec), user: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (maps, flips, accesses, tlb) => {
          const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: PMEM, size: TiB });
          const b = new TableBuilder(L, mem, new FrameAllocator(mem, mem.dram), rootLevel);
          const mmu = new Mmu(L, mem, { cpus: 1, tlb });
          mmu.setRoot(0, b.root);
          for (const m of maps) {
            const va = base + m.slot * biggest;
            if (b.entryPa(va, m.level, true) < 0) continue; // a bigger leaf already covers it
            b.map(va, PMEM + m.slot * biggest, m.level, { ...m, devmap: false, special: false });
          }
          for (const f of flips) {
            const va = base + f.slot * biggest;
            if (b.entryPa(va, f.level) < 0) continue;
            const bits = flags[f.level]!;
            const bit = bits[f.bit % bits.length]!;
            b.update(va, f.level, (e) => {
              if (bit < 32) e.lo = (e.lo ^ (1 << bit)) >>> 0;
              else e.hi = (e.hi ^ (1 << (bit - 32))) >>> 0;
            });
          }
          for (const a of accesses) {
            const va = base + a.slot * biggest + (a.off % biggest);
            const ref = mmu.lookup(b.root, va);
            const pa = mmu.translate(0, va, a.access, a.user);
            if (ref.status === 'mapped') {
              let need = a.access === Access.Write ? Perm.W : a.access === Access.Exec ? Perm.X : Perm.R;
              if (a.user) need |= Perm.U;
              if ((ref.perms & need) === need) {
                expect(pa).toBe(ref.pa);
              } else {
                expect(pa).toBe(-1);
                expect(mmu.fault.kind).toBe(FaultKind.Protection);
                expect(mmu.fault.level).toBe(ref.level);
              }
            } else {
              expect(pa).toBe(-1);
              expect(mmu.fault.kind).toBe(ref.status === 'not-present' ? FaultKind.NotPresent : FaultKind.Reserved);
              expect(mmu.fault.level).toBe(ref.level);
              expect(mmu.fault.entryPa).toBe(ref.entryPa);
            }
            // Whatever the walk set (A/D), a second access translates the same way.
            expect(mmu.translate(0, va, a.access, a.user)).toBe(pa);
          }
        },
      ),
      { numRuns: Number(process.env.WALK_EQ_RUNS ?? 150), seed: process.env.WALK_EQ_SEED !== undefined ? Number(process.env.WALK_EQ_SEED) : undefined },
    );
  });
});

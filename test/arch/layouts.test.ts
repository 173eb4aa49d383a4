// Properties every layout must satisfy: encode/decode round trips, the invariants of the
// kernel's mm/debug_vm_pgtable.c (Linux 6.1; each test names the function it mirrors), and
// consistency between the kernel-side predicates and the hardware rules.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findLayout, layouts } from '../../arch/index.ts';
import { entryToBigInt, newEntry } from '../../arch/bits.ts';
import type { Entry, Layout, LeafProt, Mask } from '../../arch/types.ts';

const protArb: fc.Arbitrary<LeafProt> = fc.record({
  write: fc.boolean(),
  user: fc.boolean(),
  exec: fc.boolean(),
  dirty: fc.boolean(),
  young: fc.boolean(),
  devmap: fc.boolean(),
  special: fc.boolean(),
});

/** A pfn below 2^46 bytes of physical address, aligned for a leaf at `level`. */
function pfnArb(l: Layout, level: number): fc.Arbitrary<number> {
  const alignShift = level === l.levels.length - 1 ? 0 : l.levels[level]!.shift - l.pageShift;
  const maxPfn = 2 ** (46 - l.pageShift);
  // pfn 0 is left out: s390's pud_present tests for a non-zero origin (arch/s390/include/asm/pgtable.h),
  // so a region-third leaf of pfn 0 reads as not present there, and no kernel maps pfn 0 that way.
  return fc.integer({ min: 1, max: maxPfn / 2 ** alignShift - 1 }).map((k) => k * 2 ** alignShift);
}

function leafLevels(l: Layout): number[] {
  return l.levels.flatMap((lv, i) => (lv.leaf ? [i] : []));
}

function holds(e: Entry, m: Mask, whenSet: boolean): boolean {
  return ((e.lo & m.lo) !== 0 || (e.hi & m.hi) !== 0) === whenSet;
}

function copy(e: Entry): Entry {
  return { lo: e.lo, hi: e.hi };
}

/** Applies a modifier to a copy, as the kernel's pte_mk*() return a new value. */
function mod(f: (level: number, e: Entry) => void, level: number, e: Entry): Entry {
  const c = copy(e);
  f(level, c);
  return c;
}

/** Architectures with pud-level devmap (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD and pud_mkdevmap). */
const PUD_DEVMAP: Record<string, boolean> = { x86_64: true, 'x86_64-la57': true, 'ppc64-radix': false, s390x: false, 'arm64-4k': false, 'arm64-64k': false, 'ppc64-radix-4k': false, loongarch64: false, 'ppc64-hash': false };

describe('arch/index.ts', () => {
  it('lists the four architectures the command line documents, and at least one without devmap', () => {
    const names = layouts.map((l) => l.name);
    for (const n of ['x86_64', 'x86_64-la57', 'ppc64-radix']) expect(names).toContain(n);
    expect(layouts.some((l) => l.devmap === null)).toBe(true);
    expect(findLayout('x86_64')).toBe(layouts[0]);
    expect(findLayout('nope')).toBeUndefined();
  });

  it('fsDaxLimited only without a devmap bit (FS_DAX_LIMITED is page-less DAX), and devmap names a flag of the table', () => {
    for (const l of layouts) {
      if (l.fsDaxLimited) expect(l.devmap).toBeNull();
      if (l.devmap !== null) expect(l.flags[l.devmap]).toBeTypeOf('bigint');
    }
  });

  it('geometry is consistent: shifts descend by index widths, pte shift is PAGE_SHIFT, tableBytes = 8 << bits', () => {
    // (the pfn field's shift is checked below)
    for (const l of layouts) {
      const n = l.levels.length;
      expect(l.levels[n - 1]!.name).toBe('pte');
      expect(l.levels[n - 1]!.shift).toBe(l.pageShift);
      expect(l.levels[l.pmdLevel]!.name).toBe('pmd');
      for (let i = 0; i < n - 1; i++) expect(l.levels[i]!.shift).toBe(l.levels[i + 1]!.shift + l.levels[i + 1]!.bits);
      expect(l.tableBytes).toEqual(l.levels.map((lv) => 8 * 2 ** lv.bits));
      expect(l.levels[n - 1]!.leaf).toBe(true);
      for (const arr of Object.values(l.hw)) expect((arr as readonly unknown[]).length).toBe(n);
      expect(l.sources.length).toBeGreaterThan(0);
      // The pfn field starts at PAGE_SHIFT, or below it where the entry stores PPN bits shifted (riscv: bit 10).
      expect(l.pfn.shift).toBeLessThanOrEqual(l.pageShift);
    }
  });
});

for (const l of layouts) {
  const pte = l.levels.length - 1;
  const leaves = leafLevels(l);
  const tables = l.levels.slice(0, -1).map((_, i) => i);
  const hasDevmap = l.devmap !== null;
  /** At every leaf level: a leaf of any pfn and pgprot, then any sequence of the pte_mk* modifiers, handed to `check`. */
  const afterModifiers = (check: (level: number, pfn: number, e: Entry) => void): void => {
    for (const level of leaves) {
      fc.assert(
        fc.property(pfnArb(l, level), protArb, fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }), (pfn, prot, ops) => {
          const e = newEntry();
          l.mkLeaf(level, pfn, prot, e);
          const fs = [l.mkclean, l.mkdirty, l.wrprotect, l.mkwrite, l.mkold, l.mkyoung];
          for (const op of ops) fs[op]!(level, e);
          check(level, pfn, e);
        }),
      );
    }
  };

  describe(`${l.name}: encode/decode round trips`, () => {
    it('mkLeaf then leafPfn and the predicates, at every leaf level', () => {
      for (const level of leaves) {
        fc.assert(
          fc.property(pfnArb(l, level), protArb, (pfn, prot) => {
            const e = newEntry();
            l.mkLeaf(level, pfn, prot, e);
            expect(l.leafPfn(level, e)).toBe(pfn);
            expect(l.isNone(level, e)).toBe(false);
            expect(l.isPresent(level, e)).toBe(true);
            expect(l.isLeaf(level, e)).toBe(true);
            expect(l.isWrite(level, e)).toBe(prot.write);
            expect(l.isDirty(level, e)).toBe(prot.dirty);
            expect(l.isYoung(level, e)).toBe(prot.young);
            const devmapHere = hasDevmap && prot.devmap && (level !== l.pmdLevel - 1 || PUD_DEVMAP[l.name] === true);
            expect(l.isDevmap(level, e)).toBe(devmapHere);
            // pte_mkdevmap sets _PAGE_SPECIAL as well (x86, powerpc).
            expect(l.isSpecial(level, e)).toBe(level === pte && (prot.special || (hasDevmap && prot.devmap)));
          }),
        );
      }
    });

    it('mkTable then tableAddress, and a table entry is present, not none, not a leaf', () => {
      for (const level of tables) {
        const align = l.tableBytes[level + 1]!;
        // Tables are allocated above the firmware's first MiB, where loongarch64 keeps its invalid tables.
        fc.assert(
          fc.property(fc.integer({ min: Math.ceil(2 ** 20 / align), max: 2 ** 46 / align - 1 }), (k) => {
            const e = newEntry();
            l.mkTable(level, k * align, e);
            expect(l.tableAddress(level, e)).toBe(k * align);
            expect(l.isNone(level, e)).toBe(false);
            expect(l.isPresent(level, e)).toBe(true);
            expect(l.isLeaf(level, e)).toBe(false);
            expect(holds(e, l.hw.valid[level]!, l.hw.validWhenSet[level]!)).toBe(true);
            expect(holds(e, l.hw.leaf[level]!, l.hw.leafWhenSet[level]!)).toBe(false);
            const r = l.hw.reservedTable[level]!;
            expect((e.lo & r.lo) | (e.hi & r.hi)).toBe(0);
          }),
        );
      }
    });

    it('mkNone gives an entry isNone accepts and that is not present (pte_clear_tests, pmd_clear_tests, p?d_clear_tests)', () => {
      for (let level = 0; level < l.levels.length; level++) {
        const e = { lo: 0xdeadbeef, hi: 0x1234 };
        l.mkNone(level, e);
        expect(l.isNone(level, e)).toBe(true);
        expect(l.isPresent(level, e)).toBe(false);
      }
    });

    it('modifiers leave the pfn alone', () => {
      afterModifiers((level, pfn, e) => {
        expect(l.leafPfn(level, e)).toBe(pfn);
        expect(l.isLeaf(level, e)).toBe(true);
        expect(l.isPresent(level, e)).toBe(true);
      });
    });
  });

  describe(`${l.name}: mm/debug_vm_pgtable.c invariants`, () => {
    // pte_basic_tests at the pte level, pmd_basic_tests at the pmd, pud_basic_tests at the pud.
    for (const level of leaves) {
      const which = level === pte ? 'pte_basic_tests' : level === l.pmdLevel ? 'pmd_basic_tests' : 'pud_basic_tests';
      it(`${which} (${l.levels[level]!.name})`, () => {
        fc.assert(
          fc.property(pfnArb(l, level), protArb, (pfn, prot) => {
            const e = newEntry();
            l.mkLeaf(level, pfn, { ...prot, dirty: false }, e); // pfn_pte(pfn, vm_get_page_prot(idx)): not dirty
            expect(l.isDirty(level, mod(l.wrprotect, level, e))).toBe(false); // !pte_dirty(pte_wrprotect(pte))
            expect(entryToBigInt(e)).toBe(entryToBigInt(copy(e))); // pte_same(pte, pte)
            expect(l.isYoung(level, mod(l.mkyoung, level, mod(l.mkold, level, e)))).toBe(true);
            expect(l.isDirty(level, mod(l.mkdirty, level, mod(l.mkclean, level, e)))).toBe(true);
            expect(l.isWrite(level, mod(l.mkwrite, level, mod(l.wrprotect, level, e)))).toBe(true);
            expect(l.isYoung(level, mod(l.mkold, level, mod(l.mkyoung, level, e)))).toBe(false);
            expect(l.isDirty(level, mod(l.mkclean, level, mod(l.mkdirty, level, e)))).toBe(false);
            expect(l.isWrite(level, mod(l.wrprotect, level, mod(l.mkwrite, level, e)))).toBe(false);
            expect(l.isDirty(level, mod(l.wrprotect, level, mod(l.mkclean, level, e)))).toBe(false);
            expect(l.isDirty(level, mod(l.mkdirty, level, e)) && l.isDirty(level, mod(l.wrprotect, level, mod(l.mkdirty, level, e)))).toBe(true);
          }),
        );
      });
    }

    it('pmd_leaf_tests: a huge pmd (pfn_pmd + pmd_mkhuge) is pmd_leaf', () => {
      fc.assert(
        fc.property(pfnArb(l, l.pmdLevel), protArb, (pfn, prot) => {
          const e = newEntry();
          l.mkLeaf(l.pmdLevel, pfn, prot, e);
          expect(l.isLeaf(l.pmdLevel, e)).toBe(true);
          expect(holds(e, l.hw.leaf[l.pmdLevel]!, l.hw.leafWhenSet[l.pmdLevel]!)).toBe(true);
        }),
      );
    });

    it('pmd_populate_tests: a populated pmd is not a leaf (not pmd_bad)', () => {
      const e = newEntry();
      l.mkTable(l.pmdLevel, l.tableBytes[pte]! * 3, e);
      expect(l.isLeaf(l.pmdLevel, e)).toBe(false);
      expect(l.isPresent(l.pmdLevel, e)).toBe(true);
    });

    // The "pte_mkX then pte_X holds" tests: [test, level, the pgprot bit asked for, its predicate, whether the layout has it].
    const mkThenIs: [string, number, 'special' | 'devmap', 'isSpecial' | 'isDevmap', boolean][] = [
      ['pte_special_tests: pte_special(pte_mkspecial(pte))', pte, 'special', 'isSpecial', true],
      ['pte_devmap_tests: pte_devmap(pte_mkdevmap(pte))', pte, 'devmap', 'isDevmap', hasDevmap],
      ['pmd_devmap_tests: pmd_devmap(pmd_mkdevmap(pmd))', l.pmdLevel, 'devmap', 'isDevmap', hasDevmap],
      ['pud_devmap_tests: pud_devmap(pud_mkdevmap(pud))', l.pmdLevel - 1, 'devmap', 'isDevmap', hasDevmap && PUD_DEVMAP[l.name] === true],
    ];
    for (const [test, level, bit, is, applies] of mkThenIs) {
      if (!applies) continue;
      it(test, () => {
        fc.assert(
          fc.property(pfnArb(l, level), protArb, (pfn, prot) => {
            const e = newEntry();
            l.mkLeaf(level, pfn, { ...prot, [bit]: true }, e);
            expect(l[is](level, e)).toBe(true);
          }),
        );
      });
    }

    if (!hasDevmap) {
      it('no devmap bit: pte_devmap / pmd_devmap are always 0 (the generic fallbacks)', () => {
        fc.assert(
          fc.property(protArb, (prot) => {
            for (const level of leaves) {
              const e = newEntry();
              l.mkLeaf(level, 0, { ...prot, devmap: true }, e);
              expect(l.isDevmap(level, e)).toBe(false);
            }
          }),
        );
      });
    }
  });

  describe(`${l.name}: kernel predicates agree with the hardware rules`, () => {
    it('a young leaf is valid to the walker, is a leaf to it, and sets no reserved bit', () => {
      for (const level of leaves) {
        fc.assert(
          fc.property(pfnArb(l, level), protArb, (pfn, prot) => {
            const e = newEntry();
            l.mkLeaf(level, pfn, { ...prot, young: true }, e);
            expect(holds(e, l.hw.valid[level]!, l.hw.validWhenSet[level]!)).toBe(true);
            expect(holds(e, l.hw.leaf[level]!, l.hw.leafWhenSet[level]!)).toBe(true);
            const r = l.hw.reservedLeaf[level]!;
            expect((e.lo & r.lo) | (e.hi & r.hi)).toBe(0);
            expect(holds(e, l.hw.exec[level]!, l.hw.execWhenSet[level]!)).toBe(prot.exec);
          }),
        );
      }
    });

    it('a store the hardware allows can never bypass the software dirty bit where there is no hardware change bit', () => {
      // x86/radix: the CPU sets D/C on the store. s390: no change bit, so a hw-writable leaf must
      // already be dirty (pte_mkclean sets _PAGE_PROTECT) -- the property writeback relies on.
      afterModifiers((level, _pfn, e) => {
        const hwWrite = holds(e, l.hw.write[level]!, l.hw.writeWhenSet[level]!);
        if (hwWrite) expect(l.isWrite(level, e)).toBe(true);
        const noChangeBit = l.hw.dirty[level]!.lo === 0 && l.hw.dirty[level]!.hi === 0;
        if (noChangeBit && hwWrite) expect(l.isDirty(level, e)).toBe(true);
        const noRefBit = l.hw.accessed[level]!.lo === 0 && l.hw.accessed[level]!.hi === 0;
        if (noRefBit && holds(e, l.hw.valid[level]!, l.hw.validWhenSet[level]!)) expect(l.isYoung(level, e)).toBe(true);
        // After mkclean, a hw without a change bit must fault on the next store.
        const c = mod(l.mkclean, level, e);
        if (noChangeBit) expect(holds(c, l.hw.write[level]!, l.hw.writeWhenSet[level]!)).toBe(false);
      });
    });

    it('where the hardware has a change bit, its mask is the kernel dirty bit (pte_dirty reads what the CPU sets)', () => {
      for (const level of leaves) {
        const m = l.hw.dirty[level]!;
        if (m.lo === 0 && m.hi === 0) continue;
        const e = newEntry();
        l.mkLeaf(level, 0, { write: true, user: true, exec: false, dirty: false, young: true, devmap: false, special: false }, e);
        expect(l.isDirty(level, e)).toBe(false);
        e.lo = (e.lo | m.lo) >>> 0;
        e.hi = (e.hi | m.hi) >>> 0;
        expect(l.isDirty(level, e)).toBe(true);
      }
    });
  });
}

// x86-64 layouts checked against the Linux 6.1 headers they are read from.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildX86Layout,
  x86_64,
  X86_PAGE_TABLE,
  X86_PHYSICAL_PMD_PAGE_MASK,
  X86_PHYSICAL_PUD_PAGE_MASK,
  X86_PTE_FLAGS,
  X86_PTE_PFN_MASK,
  x86PmdTransHuge,
} from '../../arch/x86_64.ts';
import { x86_64_la57 } from '../../arch/x86_64-la57.ts';
import { entryFromBigInt, entryToBigInt, newEntry, toMask } from '../../arch/bits.ts';
import { prot } from '../rig.ts';


describe('arch/x86/include/asm/pgtable_types.h (6.1, CONFIG_X86_64)', () => {
  it('has PTE_PFN_MASK 0x000ffffffffff000 (page_types.h PHYSICAL_PAGE_MASK, page_64_types.h __PHYSICAL_MASK_SHIFT 52)', () => {
    expect(X86_PTE_PFN_MASK).toBe(0x000ffffffffff000n);
    expect(x86_64.pfn).toEqual({ shift: 12, mask: 0x000ffffffffff000n });
    expect(X86_PHYSICAL_PMD_PAGE_MASK).toBe(0x000fffffffe00000n);
    expect(X86_PHYSICAL_PUD_PAGE_MASK).toBe(0x000fffffc0000000n);
  });

  it('_PAGE_TABLE is __PP|__RW|_USR|___A|___D = 0x67 (pgtable_types.h), what pmd_populate writes (pgalloc.h)', () => {
    expect(X86_PAGE_TABLE).toBe(0x67n);
    const e = newEntry();
    x86_64.mkTable(2, 0x12345000, e);
    expect(entryToBigInt(e)).toBe(0x12345067n);
  });
});

describe('arch/x86/include/asm/pgtable_64_types.h level geometry', () => {
  it('4-level: the pmd at level 2, 4 KiB tables and pages, little-endian (levels: geometry.test.ts)', () => {
    expect(x86_64.pmdLevel).toBe(2);
    expect(x86_64.tableBytes).toEqual([4096, 4096, 4096, 4096]);
    expect(x86_64.pageShift).toBe(12);
    expect(x86_64.endian).toBe('little');
  });

  it('5-level (LA57): the pmd at level 3, the same flags (levels: geometry.test.ts)', () => {
    expect(x86_64_la57.pmdLevel).toBe(3);
    expect(x86_64_la57.flags).toBe(x86_64.flags);
  });

  it('rejects level lists that do not end in pud, pmd, pte', () => {
    expect(() => buildX86Layout('bad', '', [{ name: 'pgd', shift: 39, bits: 9, leaf: false }])).toThrow();
  });
});

describe('arch/x86/include/asm/pgtable.h inline functions', () => {
  it('pte_mkdevmap sets _PAGE_SPECIAL|_PAGE_DEVMAP, pmd_mkdevmap only _PAGE_DEVMAP', () => {
    const e = newEntry();
    x86_64.mkLeaf(3, 0x1234, prot({ devmap: true }), e);
    expect(entryToBigInt(e) & (X86_PTE_FLAGS._PAGE_SPECIAL | X86_PTE_FLAGS._PAGE_DEVMAP)).toBe(
      X86_PTE_FLAGS._PAGE_SPECIAL | X86_PTE_FLAGS._PAGE_DEVMAP,
    );
    x86_64.mkLeaf(2, 0x200, prot({ devmap: true }), e);
    expect(entryToBigInt(e) & X86_PTE_FLAGS._PAGE_SPECIAL).toBe(0n);
    expect(x86_64.isDevmap(2, e)).toBe(true);
  });

  it('pte_mkdirty / pmd_mkdirty set _PAGE_DIRTY|_PAGE_SOFT_DIRTY, pte_mkclean clears only _PAGE_DIRTY', () => {
    const e = newEntry();
    x86_64.mkLeaf(3, 1, prot(), e);
    x86_64.mkdirty(3, e);
    expect(entryToBigInt(e) & 0x840n).toBe(0x840n);
    x86_64.mkclean(3, e);
    expect(entryToBigInt(e) & 0x840n).toBe(0x800n);
  });

  it('pmd_pfn uses pmd_pfn_mask (PHYSICAL_PMD_PAGE_MASK for a PSE pmd): _PAGE_PAT_LARGE is not part of the pfn', () => {
    const e = newEntry();
    x86_64.mkLeaf(2, 0x400, prot(), e); // 4 MiB
    const withPat = entryFromBigInt(entryToBigInt(e) | X86_PTE_FLAGS._PAGE_PAT_LARGE, newEntry());
    expect(x86_64.leafPfn(2, withPat)).toBe(0x400);
    // A pte keeps bit 12 as part of the pfn (PTE_PFN_MASK).
    x86_64.mkLeaf(3, 0x401, prot(), e);
    expect(x86_64.leafPfn(3, e)).toBe(0x401);
  });

  it('pmd_trans_huge is PSE && !DEVMAP; pmd_present counts PSE; pte_present counts PROTNONE', () => {
    const e = newEntry();
    x86_64.mkLeaf(2, 0x200, prot(), e);
    expect(x86PmdTransHuge(e)).toBe(true);
    x86_64.mkLeaf(2, 0x200, prot({ devmap: true }), e);
    expect(x86PmdTransHuge(e)).toBe(false);
    expect(x86_64.isPresent(2, entryFromBigInt(0x80n, newEntry()))).toBe(true);
    expect(x86_64.isPresent(3, entryFromBigInt(0x100n, newEntry()))).toBe(true);
    expect(x86_64.isPresent(1, entryFromBigInt(0x80n, newEntry()))).toBe(false);
  });

  it('pte_none ignores the KNL stray A/D bits (_PAGE_KNL_ERRATUM_MASK)', () => {
    expect(x86_64.isNone(3, entryFromBigInt(0x60n, newEntry()))).toBe(true);
    expect(x86_64.isNone(3, entryFromBigInt(0x61n, newEntry()))).toBe(false);
  });

  it('a concrete DAX pmd: pfn 0x123400, rw, user, nx, dirty, young, devmap', () => {
    const e = newEntry();
    x86_64.mkLeaf(2, 0x123400, prot({ write: true, dirty: true, young: true, devmap: true }), e);
    expect(entryToBigInt(e)).toBe(0x84000001234008e7n);
  });
});

describe('Intel SDM Vol. 3A 4.5 hardware rules (MAXPHYADDR 52)', () => {
  it('PS is reserved in the PML4E (4-level) and in the PML5E/PML4E (5-level)', () => {
    const ps = toMask(X86_PTE_FLAGS._PAGE_PSE);
    expect(x86_64.hw.reservedTable[0]).toEqual(ps);
    expect(x86_64_la57.hw.reservedTable[0]).toEqual(ps);
    expect(x86_64_la57.hw.reservedTable[1]).toEqual(ps);
  });

  it('a 2 MiB leaf reserves bits 20:13, a 1 GiB leaf bits 29:13', () => {
    expect(x86_64.hw.reservedLeaf[2]).toEqual(toMask(0x1fe000n));
    expect(x86_64.hw.reservedLeaf[1]).toEqual(toMask(0x3fffe000n));
    expect(x86_64.hw.reservedLeaf[3]).toEqual(toMask(0n));
  });

  it('mkLeaf never sets a reserved bit, for any aligned pfn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), fc.constantFrom(1, 2, 3), (pfn, level) => {
        const align = 2 ** (x86_64.levels[level]!.shift - 12);
        const e = newEntry();
        x86_64.mkLeaf(level, pfn - (pfn % align), prot({ write: true, young: true, dirty: true }), e);
        const r = x86_64.hw.reservedLeaf[level]!;
        expect((e.lo & r.lo) | (e.hi & r.hi)).toBe(0);
      }),
    );
  });
});

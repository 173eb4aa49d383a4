// s390x checked against arch/s390/include/asm/pgtable.h (Linux 6.1): the layout without a devmap bit.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { S390_PTE_FLAGS, S390_REGION_FLAGS, S390_SEGMENT_FLAGS, S390_GEOMETRY, s390x, s390PmdTransHuge } from '../../arch/s390x.ts';
import { entryFromBigInt, entryToBigInt, newEntry } from '../../arch/bits.ts';
import type { Entry, LeafProt } from '../../arch/types.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { prot as baseProt } from '../rig.ts';

const PTE = 4;
const PMD = 3;
const PUD = 2;
const prot = (p: Partial<LeafProt> = {}): LeafProt => baseProt({ young: true, ...p });
const v = (e: Entry): bigint => entryToBigInt(e);
const ent = (x: bigint): Entry => entryFromBigInt(x, newEntry());

describe('arch/s390/include/asm/pgtable.h (6.1) flag values', () => {
  it('carries the _PAGE_* table (its values: header-values.test.ts, from the 6.1 headers themselves)', () => {
    expect(s390x.flags).toBe(S390_PTE_FLAGS);
  });

  it('_SEGMENT_ENTRY_* and _REGION*_ENTRY_* bits', () => {
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_ORIGIN).toBe(BigInt.asUintN(64, ~0x7ffn));
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_ORIGIN_LARGE).toBe(BigInt.asUintN(64, ~0xfffffn));
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_EMPTY).toBe(0x20n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_LARGE).toBe(0x400n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_DIRTY).toBe(0x2000n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_YOUNG).toBe(0x1000n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_WRITE).toBe(0x2n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_READ).toBe(0x1n);
    expect(S390_SEGMENT_FLAGS._SEGMENT_ENTRY_SOFT_DIRTY).toBe(0x4000n);
    expect(S390_REGION_FLAGS._REGION_ENTRY_ORIGIN).toBe(BigInt.asUintN(64, ~0xfffn));
    expect(S390_REGION_FLAGS._REGION3_ENTRY_ORIGIN_LARGE).toBe(BigInt.asUintN(64, ~0x7fffffffn));
    expect(S390_REGION_FLAGS._REGION1_ENTRY).toBe(S390_REGION_FLAGS._REGION_ENTRY_TYPE_R1 | S390_REGION_FLAGS._REGION_ENTRY_LENGTH);
    expect(S390_REGION_FLAGS._REGION1_ENTRY_EMPTY).toBe(S390_REGION_FLAGS._REGION_ENTRY_TYPE_R1 | S390_REGION_FLAGS._REGION_ENTRY_INVALID);
    expect(S390_REGION_FLAGS._REGION2_ENTRY).toBe(0x0bn);
    expect(S390_REGION_FLAGS._REGION2_ENTRY_EMPTY).toBe(0x28n);
    expect(S390_REGION_FLAGS._REGION3_ENTRY).toBe(0x07n);
    expect(S390_REGION_FLAGS._REGION3_ENTRY_EMPTY).toBe(0x24n);
    expect(S390_REGION_FLAGS._REGION3_ENTRY_LARGE).toBe(0x400n);
    expect(S390_REGION_FLAGS._REGION3_ENTRY_READ).toBe(0x2n);
    expect(S390_REGION_FLAGS._REGION3_ENTRY_WRITE).toBe(0x1n);
  });

  it('has no devmap bit, so FS_DAX_LIMITED holds (derived)', () => {
    expect(s390x.devmap).toBeNull();
    expect(s390x.fsDaxLimited).toBe(true);
    expect(Object.keys(s390x.flags).some((k) => k.includes('DEVMAP'))).toBe(false);
    const e = newEntry();
    s390x.mkLeaf(PTE, 5, prot({ devmap: true }), e);
    expect(s390x.isDevmap(PTE, e)).toBe(false);
  });
});

describe('arch/s390/include/asm/pgtable.h geometry (_REGION1_SHIFT.._SEGMENT_SHIFT, _CRST_ENTRIES, _PAGE_ENTRIES)', () => {
  it('five levels region-first/second/third, segment, page: table sizes, pmd, byte order, pfn (levels: geometry.test.ts)', () => {
    expect(S390_GEOMETRY._CRST_TABLE_SIZE).toBe(16384);
    expect(S390_GEOMETRY._PAGE_TABLE_SIZE).toBe(2048);
    expect(s390x.tableBytes).toEqual([16384, 16384, 16384, 16384, 2048]);
    expect(s390x.pmdLevel).toBe(3);
    expect(s390x.endian).toBe('big');
    expect(s390x.pfn).toEqual({ shift: 12, mask: 0xfffffffffffff000n });
  });

  it('empty entries: _REGION1/2/3_ENTRY_EMPTY, _SEGMENT_ENTRY_EMPTY, _PAGE_INVALID (pte_none is pte == 0x400)', () => {
    const e = newEntry();
    const expected = [0x2cn, 0x28n, 0x24n, 0x20n, 0x400n];
    for (let l = 0; l < 5; l++) {
      s390x.mkNone(l, e);
      expect(v(e)).toBe(expected[l]);
      expect(s390x.isNone(l, e)).toBe(true);
      expect(s390x.isPresent(l, e)).toBe(false);
    }
    expect(s390x.isNone(PTE, ent(0n))).toBe(false);
  });

  it('tables: pgd_populate/p4d_populate/pud_populate/pmd_populate (asm/pgalloc.h)', () => {
    const e = newEntry();
    s390x.mkTable(0, 0x4000, e);
    expect(v(e)).toBe(0x400fn);
    s390x.mkTable(1, 0x8000, e);
    expect(v(e)).toBe(0x800bn);
    s390x.mkTable(2, 0xc000, e);
    expect(v(e)).toBe(0xc007n);
    s390x.mkTable(3, 0x10800, e); // 2 KiB page tables: _SEGMENT_ENTRY_ORIGIN ~0x7ff
    expect(v(e)).toBe(0x10800n);
    expect(s390x.tableAddress(3, e)).toBe(0x10800);
  });
});

describe('arch/s390/include/asm/pgtable.h software young/dirty emulation', () => {
  it('pfn_pte(pfn, PAGE_RW) = mk_pte_phys + pte_mkyoung: PROTECT kept (clean), INVALID cleared (young)', () => {
    const e = newEntry();
    s390x.mkLeaf(PTE, 0x1234, prot({ write: true }), e);
    // PRESENT|READ|WRITE|NOEXEC|PROTECT|YOUNG
    expect(v(e)).toBe(0x1234000n | 0x001n | 0x010n | 0x020n | 0x100n | 0x200n | 0x004n);
  });

  it('pte_mkclean sets _PAGE_PROTECT; pte_mkdirty clears it only if _PAGE_WRITE', () => {
    const e = ent(0x1000n | 0x001n | 0x010n | 0x020n | 0x200n);
    s390x.mkdirty(PTE, e);
    expect(v(e) & 0x20an).toBe(0x00an); // DIRTY|SOFT_DIRTY set, PROTECT cleared
    s390x.mkclean(PTE, e);
    expect(v(e) & 0x208n).toBe(0x200n);
    const ro = ent(0x1000n | 0x001n | 0x010n | 0x200n);
    s390x.mkdirty(PTE, ro);
    expect(v(ro) & 0x200n).toBe(0x200n);
  });

  it('pte_wrprotect clears WRITE and sets PROTECT; pte_mkwrite clears PROTECT only if DIRTY', () => {
    const e = ent(0x1000n | 0x001n | 0x010n | 0x020n | 0x008n);
    s390x.wrprotect(PTE, e);
    expect(v(e) & 0x220n).toBe(0x200n);
    s390x.mkwrite(PTE, e);
    expect(v(e) & 0x220n).toBe(0x020n);
    const clean = ent(0x1000n | 0x001n | 0x010n | 0x200n);
    s390x.mkwrite(PTE, clean);
    expect(v(clean) & 0x220n).toBe(0x220n);
  });

  it('pte_mkold sets INVALID; pte_mkyoung clears it only if READ', () => {
    const e = ent(0x1000n | 0x001n | 0x010n | 0x004n);
    s390x.mkold(PTE, e);
    expect(v(e) & 0x404n).toBe(0x400n);
    s390x.mkyoung(PTE, e);
    expect(v(e) & 0x404n).toBe(0x004n);
    const none = ent(0x1000n | 0x001n | 0x400n);
    s390x.mkyoung(PTE, none);
    expect(v(none) & 0x404n).toBe(0x404n);
  });

  it('pmd_mk* act on _SEGMENT_ENTRY_* bits; pmd_mkhuge sets LARGE|YOUNG|PROTECT', () => {
    const e = newEntry();
    s390x.mkLeaf(PMD, 0x100, prot({ write: true }), e); // 1 MiB at 1 MiB
    expect(v(e)).toBe(0x100000n | 0x1n | 0x2n | 0x100n | 0x400n | 0x1000n | 0x200n);
    expect(s390PmdTransHuge(e)).toBe(true);
    s390x.mkdirty(PMD, e);
    expect(v(e) & 0x6200n).toBe(0x6000n);
    s390x.mkclean(PMD, e);
    expect(v(e) & 0x2200n).toBe(0x200n);
    s390x.mkold(PMD, e);
    expect(v(e) & 0x1020n).toBe(0x20n);
    s390x.mkyoung(PMD, e);
    expect(v(e) & 0x1020n).toBe(0x1000n);
  });

  it('pud_mk* act on _REGION3_ENTRY_* bits and a region-third leaf has type R3 (pud_large)', () => {
    const e = newEntry();
    s390x.mkLeaf(PUD, 2 ** 19, prot({ write: true, dirty: true }), e); // 2 GiB at 2 GiB
    expect(s390x.isLeaf(PUD, e)).toBe(true);
    expect(v(e) & 0x0cn).toBe(0x04n);
    expect(s390x.leafPfn(PUD, e)).toBe(2 ** 19);
    expect(s390x.isDirty(PUD, e) && s390x.isWrite(PUD, e)).toBe(true);
    expect(v(e) & 0x200n).toBe(0n);
  });
});

describe('z/Architecture DAT hardware rules', () => {
  it('no referenced/changed bits and no user bit in entries: zero masks', () => {
    for (let l = 0; l < 5; l++) {
      expect(s390x.hw.accessed[l]).toEqual({ lo: 0, hi: 0 });
      expect(s390x.hw.dirty[l]).toEqual({ lo: 0, hi: 0 });
      expect(s390x.hw.user[l]).toEqual({ lo: 0, hi: 0 });
      expect(s390x.hw.userWhenSet[l]).toBe(false);
      expect(s390x.hw.validWhenSet[l]).toBe(false);
    }
  });

  it('big-endian storage: _PAGE_INVALID (0x400) lands in byte 6', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 20 }, { kind: 'pmem', base: 2 ** 32, size: 2 ** 20 });
    const e = newEntry();
    s390x.mkNone(PTE, e);
    mem.write64(0x808, s390x.endian, e);
    const raw = new Uint8Array(8);
    mem.readBytes(0x808, 8, raw);
    expect([...raw]).toEqual([0, 0, 0, 0, 0, 0, 0x04, 0x00]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), (pfn) => {
        s390x.mkLeaf(PTE, pfn, prot({ write: true, dirty: true }), e);
        mem.write64(0x810, 'big', e);
        mem.readBytes(0x810, 8, raw);
        let x = 0n;
        for (const b of raw) x = (x << 8n) | BigInt(b);
        expect(x).toBe(v(e));
        expect(x >> 12n).toBe(BigInt(pfn));
      }),
    );
  });
});

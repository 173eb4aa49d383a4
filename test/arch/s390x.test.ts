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
    expect(S390_SEGMENT_FLAGS).toMatchObject({
      _SEGMENT_ENTRY_ORIGIN: BigInt.asUintN(64, ~0x7ffn),
      _SEGMENT_ENTRY_ORIGIN_LARGE: BigInt.asUintN(64, ~0xfffffn),
      _SEGMENT_ENTRY_EMPTY: 0x20n,
      _SEGMENT_ENTRY_LARGE: 0x400n,
      _SEGMENT_ENTRY_DIRTY: 0x2000n,
      _SEGMENT_ENTRY_YOUNG: 0x1000n,
      _SEGMENT_ENTRY_WRITE: 0x2n,
      _SEGMENT_ENTRY_READ: 0x1n,
      _SEGMENT_ENTRY_SOFT_DIRTY: 0x4000n,
    });
    expect(S390_REGION_FLAGS).toMatchObject({
      _REGION_ENTRY_ORIGIN: BigInt.asUintN(64, ~0xfffn),
      _REGION3_ENTRY_ORIGIN_LARGE: BigInt.asUintN(64, ~0x7fffffffn),
      _REGION1_ENTRY: S390_REGION_FLAGS._REGION_ENTRY_TYPE_R1 | S390_REGION_FLAGS._REGION_ENTRY_LENGTH,
      _REGION1_ENTRY_EMPTY: S390_REGION_FLAGS._REGION_ENTRY_TYPE_R1 | S390_REGION_FLAGS._REGION_ENTRY_INVALID,
      _REGION2_ENTRY: 0x0bn,
      _REGION2_ENTRY_EMPTY: 0x28n,
      _REGION3_ENTRY: 0x07n,
      _REGION3_ENTRY_EMPTY: 0x24n,
      _REGION3_ENTRY_LARGE: 0x400n,
      _REGION3_ENTRY_READ: 0x2n,
      _REGION3_ENTRY_WRITE: 0x1n,
    });
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

  // Each pair of modifiers on a present PTE: the two steps in turn (the bits of `mask` after
  // each), then the second's condition false on `other`: its bits as `want` says.
  type Modifier = 'mkdirty' | 'mkclean' | 'wrprotect' | 'mkwrite' | 'mkold' | 'mkyoung';
  const pairs: { title: string; pte: bigint; steps: [Modifier, bigint, bigint][]; other: { pte: bigint; op: Modifier; mask: bigint; want: bigint } }[] = [
    {
      title: 'pte_mkclean sets _PAGE_PROTECT; pte_mkdirty clears it only if _PAGE_WRITE',
      pte: 0x1000n | 0x001n | 0x010n | 0x020n | 0x200n,
      // DIRTY|SOFT_DIRTY set, PROTECT cleared; then PROTECT set, DIRTY cleared
      steps: [['mkdirty', 0x20an, 0x00an], ['mkclean', 0x208n, 0x200n]],
      other: { pte: 0x1000n | 0x001n | 0x010n | 0x200n, op: 'mkdirty', mask: 0x200n, want: 0x200n },
    },
    {
      title: 'pte_wrprotect clears WRITE and sets PROTECT; pte_mkwrite clears PROTECT only if DIRTY',
      pte: 0x1000n | 0x001n | 0x010n | 0x020n | 0x008n,
      steps: [['wrprotect', 0x220n, 0x200n], ['mkwrite', 0x220n, 0x020n]],
      other: { pte: 0x1000n | 0x001n | 0x010n | 0x200n, op: 'mkwrite', mask: 0x220n, want: 0x220n },
    },
    {
      title: 'pte_mkold sets INVALID; pte_mkyoung clears it only if READ',
      pte: 0x1000n | 0x001n | 0x010n | 0x004n,
      steps: [['mkold', 0x404n, 0x400n], ['mkyoung', 0x404n, 0x004n]],
      other: { pte: 0x1000n | 0x001n | 0x400n, op: 'mkyoung', mask: 0x404n, want: 0x404n },
    },
  ];
  for (const p of pairs) {
    it(p.title, () => {
      const e = ent(p.pte);
      for (const [op, mask, want] of p.steps) {
        s390x[op](PTE, e);
        expect(v(e) & mask, op).toBe(want);
      }
      const o = ent(p.other.pte);
      s390x[p.other.op](PTE, o);
      expect(v(o) & p.other.mask).toBe(p.other.want);
    });
  }

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

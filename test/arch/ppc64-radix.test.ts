// ppc64 book3s64 radix (64 KiB pages) checked against the Linux 6.1 headers it is read from.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ppc64Radix,
  ppc64Radix4k,
  ppc64RadixPmdTransHuge,
  PPC64_PTE_RPN_MASK,
  PPC64_RADIX_PTE_FLAGS,
  RADIX_64K_INDEX_SIZE,
  RADIX_VAL_BITS,
} from '../../arch/ppc64-radix.ts';
import { ppc64Hash } from '../../arch/ppc64-hash.ts';
import { entryFromBigInt, entryToBigInt, newEntry } from '../../arch/bits.ts';
import type { LeafProt } from '../../arch/types.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { prot } from '../rig.ts';

/** The DAX leaf a read (write false) or write fault maps: devmap, young, dirty when written. */
const dax = (write: boolean): LeafProt => prot({ write, dirty: write, young: true, devmap: true });


describe('arch/powerpc/include/asm/book3s/64/pgtable.h (6.1)', () => {
  it('carries the _PAGE_* / _RPAGE_* table (its values: header-values.test.ts; devmap: geometry.test.ts)', () => {
    expect(ppc64Radix.flags).toBe(PPC64_RADIX_PTE_FLAGS);
  });

  it('PTE_RPN_MASK = ((1 << _PAGE_PA_MAX 53) - 1) & PAGE_MASK (64K)', () => {
    expect(PPC64_PTE_RPN_MASK).toBe(0x001fffffffff0000n);
    expect(ppc64Radix.pfn).toEqual({ shift: 16, mask: 0x001fffffffff0000n });
  });

  it('pte_mkdevmap sets _PAGE_SPECIAL|_PAGE_DEVMAP; radix__pmd_mkdevmap _PAGE_PTE|_PAGE_DEVMAP; pud_devmap is 0', () => {
    const e = newEntry();
    ppc64Radix.mkLeaf(3, 7, prot({ devmap: true }), e);
    expect(entryToBigInt(e) & 0xc00n).toBe(0xc00n);
    expect(ppc64Radix.isDevmap(3, e)).toBe(true);
    ppc64Radix.mkLeaf(2, 32, prot({ devmap: true }), e);
    expect(ppc64Radix.isDevmap(2, e)).toBe(true);
    expect(ppc64RadixPmdTransHuge(e)).toBe(false);
    ppc64Radix.mkLeaf(1, 16384, prot({ devmap: true }), e);
    expect(ppc64Radix.isDevmap(1, e)).toBe(false);
    // pte_devmap needs _PAGE_PTE: the bit alone in a PDE is not devmap.
    expect(ppc64Radix.isDevmap(2, entryFromBigInt(0x8000000000000800n, newEntry()))).toBe(false);
  });

  it('pte_mkwrite sets _PAGE_RW (write implies read), pte_wrprotect clears only _PAGE_WRITE', () => {
    const e = entryFromBigInt(0xc000000000000000n, newEntry());
    ppc64Radix.mkwrite(3, e);
    expect(entryToBigInt(e) & 0x6n).toBe(0x6n);
    ppc64Radix.wrprotect(3, e);
    expect(entryToBigInt(e) & 0x6n).toBe(0x4n);
  });

  it('radix__pte_none ignores R and C (RADIX_PTE_NONE_MASK, radix.h); pmd_none is !val', () => {
    expect(ppc64Radix.isNone(3, entryFromBigInt(0x180n, newEntry()))).toBe(true);
    expect(ppc64Radix.isNone(2, entryFromBigInt(0x180n, newEntry()))).toBe(false);
  });

  it('a concrete pte: pfn 0x12345, rw, user, young, dirty', () => {
    const e = newEntry();
    ppc64Radix.mkLeaf(3, 0x12345, prot({ write: true, young: true, dirty: true }), e);
    // PRESENT | PTE | RPN | ACCESSED | DIRTY | SOFT_DIRTY | READ | WRITE
    expect(entryToBigInt(e)).toBe(0xc000000123450386n);
  });
});

describe('arch/powerpc/include/asm/book3s/64/radix-64k.h and radix.h geometry', () => {
  it('index sizes 13/9/9/5 (RADIX_*_INDEX_SIZE), PAGE_SHIFT 16, table sizes (levels: geometry.test.ts)', () => {
    expect(RADIX_64K_INDEX_SIZE).toEqual({ RADIX_PTE_INDEX_SIZE: 5, RADIX_PMD_INDEX_SIZE: 9, RADIX_PUD_INDEX_SIZE: 9, RADIX_PGD_INDEX_SIZE: 13 });
    expect(ppc64Radix.pageShift).toBe(16);
    // RADIX_*_TABLE_SIZE = sizeof(entry) << RADIX_*_INDEX_SIZE
    expect(ppc64Radix.tableBytes).toEqual([65536, 4096, 4096, 256]);
  });

  it('RADIX_{PMD,PUD,PGD}_VAL_BITS = 0x8000000000000000 | next index size, as p?d_populate write them (pgalloc.h)', () => {
    expect(RADIX_VAL_BITS).toEqual({
      RADIX_PMD_VAL_BITS: 0x8000000000000005n,
      RADIX_PUD_VAL_BITS: 0x8000000000000009n,
      RADIX_PGD_VAL_BITS: 0x8000000000000009n,
    });
    const e = newEntry();
    ppc64Radix.mkTable(2, 0x1234500, e); // pmd -> a 256-byte PTE fragment
    expect(entryToBigInt(e)).toBe(0x8000000001234505n);
    expect(ppc64Radix.tableAddress(2, e)).toBe(0x1234500);
    ppc64Radix.mkTable(1, 0x7000, e);
    expect(entryToBigInt(e)).toBe(0x8000000000007009n);
    ppc64Radix.mkTable(0, 0x10000, e);
    expect(entryToBigInt(e)).toBe(0x8000000000010009n);
  });
});

describe('big-endian storage (the kernel keeps entries as __be64)', () => {
  it('layout endian is big and PhysMem.write64 puts _PAGE_PRESENT|_PAGE_PTE in the first byte', () => {
    expect(ppc64Radix.endian).toBe('big');
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 20 }, { kind: 'pmem', base: 2 ** 32, size: 2 ** 20 });
    const e = newEntry();
    ppc64Radix.mkLeaf(3, 0x12345, prot({ write: true, young: true, dirty: true }), e);
    mem.write64(0x100, ppc64Radix.endian, e);
    const raw = new Uint8Array(8);
    mem.readBytes(0x100, 8, raw);
    expect([...raw]).toEqual([0xc0, 0x00, 0x00, 0x01, 0x23, 0x45, 0x03, 0x86]);
    const back = newEntry();
    mem.read64(0x100, ppc64Radix.endian, back);
    expect(back).toEqual(e);
  });

  it('round-trips any entry through memory in big-endian byte order', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 20 }, { kind: 'pmem', base: 2 ** 32, size: 2 ** 20 });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const e = entryFromBigInt(v, newEntry());
        mem.write64(0x800, 'big', e);
        const raw = new Uint8Array(8);
        mem.readBytes(0x800, 8, raw);
        let fromBytes = 0n;
        for (const b of raw) fromBytes = (fromBytes << 8n) | BigInt(b);
        expect(fromBytes).toBe(v);
      }),
    );
  });
});

describe('ppc64-radix-4k: radix-4k.h geometry and the DAX leaves of the 6.1 helpers (pfn 0x40000)', () => {
  const L = ppc64Radix4k;
  it('levels 39/13, 30/9, 21/9, 12/9 with NLS 9 in every PDE; 512 PTEs per 2 MiB PMD', () => {
    expect(L.levels.map((l) => [l.shift, l.bits])).toEqual([[39, 13], [30, 9], [21, 9], [12, 9]]);
    const t = newEntry();
    for (const level of [0, 1, 2]) {
      L.mkTable(level, 0x1234000, t);
      expect(entryToBigInt(t)).toBe(0x8000000001234009n); // __pa | RADIX_P?D_VAL_BITS (NLS 9)
    }
    expect(L.pfn.mask).toBe(0x001ffffffffff000n);
    expect(L.hooks.mmapBase).toBe(0x3ffff8000000);
  });
  it('read fault, write fault, and page_vma_mkclean_one (wrprotect then mkclean)', () => {
    const e = newEntry();
    L.mkLeaf(3, 0x40000, dax(false), e);
    expect(entryToBigInt(e)).toBe(0xc000000040000d04n);
    L.mkLeaf(3, 0x40000, dax(true), e);
    expect(entryToBigInt(e)).toBe(0xc000000040000f86n);
    L.wrprotect(3, e);
    L.mkclean(3, e);
    expect(entryToBigInt(e)).toBe(0xc000000040000f04n);
    L.mkLeaf(2, 0x40000, { ...dax(true), special: false }, e);
    expect(entryToBigInt(e)).toBe(0xc000000040000b86n);
  });
});

describe('ppc64-hash: hash-64k.h geometry and the DAX leaves of the 6.1 helpers (pfn 0x4000)', () => {
  const L = ppc64Hash;
  it('levels 44/8, 34/10, 24/10, 16/8: a 16 MiB PMD; table entries carry only the valid bit (HASH_P?D_VAL_BITS)', () => {
    expect(L.levels.map((l) => [l.shift, l.bits])).toEqual([[44, 8], [34, 10], [24, 10], [16, 8]]);
    const t = newEntry();
    L.mkTable(2, 0x1234000, t);
    expect(entryToBigInt(t)).toBe(0x8000000001234000n);
  });
  it('pte values as radix; a PMD gets H_PAGE_THP_HUGE from pfn_pmd and is not pmd_trans_huge when devmap', () => {
    const e = newEntry();
    L.mkLeaf(3, 0x4000, dax(true), e);
    expect(entryToBigInt(e)).toBe(0xc000000040000f86n);
    L.mkLeaf(2, 0x4000, { ...dax(true), special: false }, e);
    expect(entryToBigInt(e)).toBe(0xc000000040002b86n);
    expect(L.hooks.pmdTransHuge!(e)).toBe(false);
    expect(L.isLeaf(2, e) && L.isDevmap(2, e)).toBe(true);
    L.wrprotect(2, e);
    L.mkclean(2, e);
    expect(entryToBigInt(e)).toBe(0xc000000040002b04n);
  });
  it('flush_tlb_* are empty; the HPTE invalidations at the update are counted page by page', () => {
    expect(L.hooks.tlbFlush).toEqual({ ceiling: Infinity, pmdStrideIsPmd: false });
  });
});

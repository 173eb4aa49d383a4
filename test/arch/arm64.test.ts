// arm64 (4 KiB and 64 KiB granules) against the Linux 6.1 headers' inline helpers
// (arch/arm64/include/asm/pgtable.h) and the values the DAX paths install (insert_pfn,
// insert_pfn_pmd, page_vma_mkclean_one), computed from the headers for pfn 0x40000 (pa 1 GiB).
import { describe, expect, it } from 'vitest';
import { arm64_4k, arm64_64k, ESR } from '../../arch/arm64.ts';
import { entryFromBigInt, entryToBigInt, newEntry } from '../../arch/bits.ts';
import { Access, FaultKind, type FaultCode } from '../../arch/fault.ts';
import type { Entry, Layout, LeafProt } from '../../arch/types.ts';

/** What src/kernel/fault.ts leafProt asks for a DAX pfn (devmap): a read fault, a write fault. */
const READ: LeafProt = { write: false, user: true, exec: false, dirty: false, young: true, devmap: true, special: false };
const WRITE: LeafProt = { ...READ, write: true, dirty: true };

const leaf = (l: Layout, level: number, pfn: number, p: LeafProt): Entry => {
  const e = newEntry();
  l.mkLeaf(level, pfn, p, e);
  return e;
};
const val = (e: Entry): bigint => entryToBigInt(e);

describe('arm64-4k: the DAX leaves of the 6.1 helpers', () => {
  const L = arm64_4k;
  const pte = 3;
  const pmd = 2;
  it('read fault: PAGE_READONLY | SPECIAL | DEVMAP (pte_mkdevmap sets both)', () => {
    expect(val(leaf(L, pte, 0x40000, READ))).toBe(0x0360000040000fc3n);
  });
  it('write fault: maybe_mkwrite(pte_mkdirty()) clears PTE_RDONLY (writable-dirty)', () => {
    const e = leaf(L, pte, 0x40000, WRITE);
    expect(val(e)).toBe(0x03e8000040000f43n);
    expect(L.isDirty(pte, e) && L.isWrite(pte, e)).toBe(true);
  });
  it('page_vma_mkclean_one: pte_wrprotect then pte_mkclean ends at the read-fault value', () => {
    const e = leaf(L, pte, 0x40000, WRITE);
    L.wrprotect(pte, e);
    L.mkclean(pte, e);
    expect(val(e)).toBe(0x0360000040000fc3n);
    expect(L.isDirty(pte, e) || L.isWrite(pte, e)).toBe(false);
  });
  it('pte_mkclean alone keeps PTE_WRITE (DBM): writable-clean, PTE_RDONLY set', () => {
    const e = leaf(L, pte, 0x40000, WRITE);
    L.mkclean(pte, e);
    expect(val(e)).toBe(0x0368000040000fc3n);
    expect(L.isWrite(pte, e)).toBe(true);
    expect(L.isDirty(pte, e)).toBe(false);
  });
  it('pte_wrprotect folds the hardware-dirty state (PTE_WRITE, !PTE_RDONLY) into PTE_DIRTY', () => {
    const e = entryFromBigInt(0x0068000040000f43n, newEntry()); // writable, RDONLY clear, no PTE_DIRTY
    expect(L.isDirty(pte, e)).toBe(true); // pte_hw_dirty
    L.wrprotect(pte, e);
    expect(val(e) & (1n << 55n)).toBe(1n << 55n);
    expect(L.isDirty(pte, e)).toBe(true);
    expect(L.isWrite(pte, e)).toBe(false);
  });
  it('PMD: pmd_mkdevmap sets only PTE_DEVMAP; a block has PMD_TABLE_BIT clear', () => {
    const e = leaf(L, pmd, 0x40000, WRITE);
    expect(val(e)).toBe(0x02e8000040000f41n);
    expect(L.isLeaf(pmd, e) && L.isDevmap(pmd, e) && !L.isSpecial(pmd, e)).toBe(true);
    L.wrprotect(pmd, e);
    L.mkclean(pmd, e);
    expect(val(e)).toBe(0x0260000040000fc1n);
  });
  it('pmd_trans_huge holds for a devmap block (arm64 has no devmap exclusion), not for a table', () => {
    expect(L.hooks.pmdTransHuge!(leaf(L, pmd, 0x40000, WRITE))).toBe(true);
    const t = newEntry();
    L.mkTable(pmd, 0x1234000, t);
    expect(val(t)).toBe(0x0800000001234003n); // pa | PMD_TYPE_TABLE | PMD_TABLE_PXN
    expect(L.hooks.pmdTransHuge!(t)).toBe(false);
    expect(L.isLeaf(pmd, t)).toBe(false);
  });
  it('pmdp_invalidate (pmd_mkinvalid: VALID clear, PMD_PRESENT_INVALID set) keeps it present and a leaf', () => {
    const e = entryFromBigInt(0x0ae8000040000f40n, newEntry());
    expect(L.isPresent(pmd, e) && L.isLeaf(pmd, e)).toBe(true);
  });
});

describe('arm64 geometry and hooks', () => {
  it('64K: the pfn field is PA bits 47:16 (levels: geometry.test.ts)', () => {
    expect(arm64_64k.pfn.mask).toBe(0x0000ffffffff0000n);
  });
  it('__flush_tlb_range: a whole-ASID flush from MAX_TLBI_OPS = PTRS_PER_PTE strides on', () => {
    expect(arm64_4k.hooks.tlbFlush).toEqual({ ceiling: 511, pmdStrideIsPmd: true });
    expect(arm64_64k.hooks.tlbFlush.ceiling).toBe(8191);
  });
  it('a store to a read-only user page: ESR EC 0x24, WnR, permission fault at level 3', () => {
    const out: FaultCode = { code: 0, vector: 0, teidBits: 0 };
    arm64_4k.hooks.fault.encode({ kind: FaultKind.Protection, access: Access.Write, user: true, level: 3, cause: 1, levelCount: 4 }, out);
    expect(out.code).toBe(0x9200004f);
    arm64_64k.hooks.fault.encode({ kind: FaultKind.NotPresent, access: Access.Read, user: true, level: 1, cause: 0, levelCount: 3 }, out);
    expect(out.code).toBe(ESR.ESR_ELx_EC_DABT_LOW * 2 ** 26 + ESR.ESR_ELx_IL + ESR.ESR_ELx_FSC_FAULT + 2);
  });
});

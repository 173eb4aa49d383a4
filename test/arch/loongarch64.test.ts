// LoongArch64 against the Linux 6.1 helpers (arch/loongarch/include/asm/pgtable.h) and what the
// DAX paths would install in the what-if (pfn 0x10000, pa 1 GiB; no devmap bit: pte_mkspecial).
import { describe, expect, it } from 'vitest';
import { loongarch64 as L, LOONGARCH_INVALID_PMD_TABLE, LOONGARCH_INVALID_PTE_TABLE } from '../../arch/loongarch64.ts';
import { entryFromBigInt, entryToBigInt, newEntry } from '../../arch/bits.ts';
import { daxKconfig } from '../../src/kernel/kconfig.ts';
import { daxLeafValues, daxProts } from '../rig.ts';

const { write: WRITE } = daxProts(false);
const DMW = 0x9000000000000000n;

describe('loongarch64: the what-if DAX leaves', () => {
  it('read fault, write fault (V|D hardware, P|W|M software), wrprotect + mkclean back to the read value', () => {
    expect(daxLeafValues(L, 2, 0x10000)).toEqual([0x400000004000089dn, 0x4000000040000b9fn, 0x400000004000089dn]);
  });
  it('pte_mkclean alone leaves _PAGE_WRITE: writable-clean, the next store is fixed up by handle_tlb_modify', () => {
    const e = newEntry();
    L.mkLeaf(2, 0x10000, WRITE, e);
    L.mkclean(2, e);
    expect(entryToBigInt(e)).toBe(0x400000004000099dn);
    expect(L.isWrite(2, e) && !L.isDirty(2, e)).toBe(true);
  });
  it('a huge PMD: pmd_mkhuge sets _PAGE_HUGE; pmdp_invalidate keeps it present (_PAGE_PRESENT_INVALID)', () => {
    const e = newEntry();
    L.mkLeaf(1, 0x10000, { ...WRITE, special: false }, e);
    expect(entryToBigInt(e)).toBe(0x40000000400003dfn);
    expect(L.hooks.pmdTransHuge!(e)).toBe(true);
    const inv = entryFromBigInt(0x500000004000035cn, newEntry());
    expect(L.isPresent(1, inv) && L.isLeaf(1, inv)).toBe(true);
  });
  it('tables are direct-map pointers; empty pgd / pmd entries point at invalid_pmd_table / invalid_pte_table', () => {
    const t = newEntry();
    L.mkTable(1, 0x1234c000, t);
    expect(entryToBigInt(t)).toBe(DMW | 0x1234c000n);
    expect(L.tableAddress(1, t)).toBe(0x1234c000);
    const none = newEntry();
    L.mkNone(1, none);
    expect(entryToBigInt(none)).toBe(DMW | BigInt(LOONGARCH_INVALID_PTE_TABLE));
    L.mkNone(0, none);
    expect(entryToBigInt(none)).toBe(DMW | BigInt(LOONGARCH_INVALID_PMD_TABLE));
    expect(L.isNone(0, none) && !L.isPresent(0, none)).toBe(true);
    L.mkNone(2, none);
    expect(entryToBigInt(none)).toBe(0n);
  });
  it('Kconfig: no devmap, no SPARSEMEM_VMEMMAP, no FS_DAX_LIMITED: no FS_DAX; no arch_wb_cache_pmem; 32 MiB PMD flushes the mm', () => {
    expect(daxKconfig(L)).toMatchObject({ zoneDevice: false, fsDaxLimited: false, fsDax: false, fsDaxPmd: false });
    expect(L.hooks.wbCachePmem).toBeNull();
    expect(2 ** 25 / 2 ** 14).toBeGreaterThan(L.hooks.tlbFlush.ceiling);
    expect(L.hooks.tlbFlush.pmdStrideIsPmd).toBe(false);
  });
});

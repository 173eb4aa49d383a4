// RISC-V Sv39 / Sv48 against the Linux 6.1 helpers (arch/riscv/include/asm/pgtable.h) and what
// the DAX paths would install in the what-if (pfn 0x40000, pa 1 GiB; no devmap bit, so the
// pte_mkspecial branch of insert_pfn).
import { describe, expect, it } from 'vitest';
import { riscv64Sv39, riscv64Sv48, RISCV_PFN_MASK, SCAUSE } from '../../arch/riscv64.ts';
import { entryToBigInt, newEntry } from '../../arch/bits.ts';
import { Access, FaultKind, type FaultCode } from '../../arch/fault.ts';
import { daxKconfig } from '../../src/kernel/kconfig.ts';
import { daxLeafValues, daxProts } from '../rig.ts';

const { write: WRITE } = daxProts(false);

describe('riscv64-sv39: the what-if DAX leaves (PAGE_COPY = _PAGE_BASE | _PAGE_READ)', () => {
  const L = riscv64Sv39;
  it('read fault, write fault, wrprotect + mkclean back to the read value; pfn at bit 10', () => {
    expect(daxLeafValues(L, 2, 0x40000)).toEqual([0x10000153n, 0x100001d7n, 0x10000153n]);
    const e = newEntry();
    L.mkLeaf(2, 0x40000, WRITE, e);
    expect(L.leafPfn(2, e)).toBe(0x40000);
    L.mkLeaf(1, 0x40000, { ...WRITE, special: false }, e);
    expect(entryToBigInt(e)).toBe(0xd7n | (0x40000n << 10n)); // wr_pmd: no special at the PMD
    expect(L.hooks.pmdTransHuge!(e)).toBe(true);
  });
  it('a table entry is (pfn << 10) | _PAGE_TABLE, and R = W = X = 0 makes it no leaf', () => {
    const t = newEntry();
    L.mkTable(1, 0x1234000, t);
    expect(entryToBigInt(t)).toBe((0x1234n << 10n) | 1n);
    expect(L.tableAddress(1, t)).toBe(0x1234000);
    expect(L.isLeaf(1, t)).toBe(false);
    expect(RISCV_PFN_MASK).toBe(0x003ffffffffffc00n);
  });
  it('Sv39 user space is 256 GiB: mmap_base below it; Sv48 128 TiB', () => {
    expect(L.hooks.mmapBase).toBe(0x3ff8000000);
    expect(riscv64Sv48.hooks.mmapBase).toBe(0x7ffff8000000);
    expect(riscv64Sv48.levels.map((l) => l.shift)).toEqual([39, 30, 21, 12]);
    // the folded levels left out; no p4d_leaf in 6.1, so Sv48's root is the one level without leaves
    expect(L.levels.map((l) => `${l.name}:${l.shift}:${l.leaf}`)).toEqual(['pgd:30:true', 'pmd:21:true', 'pte:12:true']);
    expect(riscv64Sv48.levels.map((l) => `${l.name}:${l.leaf}`)).toEqual(['pgd:false', 'pud:true', 'pmd:true', 'pte:true']);
  });
  it('Kconfig: no ARCH_HAS_PTE_DEVMAP, no FS_DAX_LIMITED, so no FS_DAX and no FS_DAX_PMD; no arch_wb_cache_pmem', () => {
    for (const l of [riscv64Sv39, riscv64Sv48]) {
      expect(daxKconfig(l)).toMatchObject({ zoneDevice: false, fsDaxLimited: false, fsDax: false, fsDaxPmd: false });
      expect(l.hooks.wbCachePmem).toBeNull();
    }
  });
  it('__sbi_tlb_flush_range locally: one sfence.vma for size <= stride, the whole ASID above', () => {
    expect(L.hooks.tlbFlush).toEqual({ ceiling: 1, pmdStrideIsPmd: true });
  });
  it('faults are scause 12 / 13 / 15 by access type', () => {
    const out: FaultCode = { code: 0, vector: 0, teidBits: 0 };
    const enc = (access: number): number => {
      L.hooks.fault.encode({ kind: FaultKind.Protection, access, user: true, level: 2, cause: 1, levelCount: 3 }, out);
      return out.code;
    };
    expect([enc(Access.Read), enc(Access.Write), enc(Access.Exec)]).toEqual([SCAUSE.EXC_LOAD_PAGE_FAULT, SCAUSE.EXC_STORE_PAGE_FAULT, SCAUSE.EXC_INST_PAGE_FAULT]);
  });
});

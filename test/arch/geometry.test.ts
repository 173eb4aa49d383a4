// What each layout takes from its 6.1 headers and Kconfig besides the flag values (those:
// header-values.test.ts): its levels (the name the kernel gives the level, its shift, its index
// bits, log2 PTRS_PER_*, and whether a leaf may stand there) and its devmap bit. One table per
// fact, one test per row: a layout that differs from its row fails with its name.
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';

type Levels = [name: string, shift: number, bits: number, leaf: boolean][];

const HEADER_LEVELS: Record<string, Levels> = {
  // arch/x86/include/asm/pgtable_64_types.h: PGDIR_SHIFT 39, PUD_SHIFT 30, PMD_SHIFT 21, PTRS_PER_* 512, p4d folded
  x86_64: [['pgd', 39, 9, false], ['pud', 30, 9, true], ['pmd', 21, 9, true], ['pte', 12, 9, true]],
  // the same with CONFIG_X86_5LEVEL (LA57): PGDIR_SHIFT 48, P4D_SHIFT 39
  'x86_64-la57': [['pgd', 48, 9, false], ['p4d', 39, 9, false], ['pud', 30, 9, true], ['pmd', 21, 9, true], ['pte', 12, 9, true]],
  // arch/powerpc/include/asm/book3s/64/radix-64k.h index sizes 13/9/9/5, radix.h RADIX_{PGD,PUD,PMD}_SHIFT 39/30/21, PAGE_SHIFT 16
  'ppc64-radix': [['pgd', 39, 13, false], ['pud', 30, 9, true], ['pmd', 21, 9, true], ['pte', 16, 5, true]],
  // arch/s390/include/asm/pgtable.h: _REGION1_SHIFT 53, _REGION2_SHIFT 42, _REGION3_SHIFT 31, _SEGMENT_SHIFT 20, _CRST_ENTRIES 2048, _PAGE_ENTRIES 256
  s390x: [['pgd', 53, 11, false], ['p4d', 42, 11, false], ['pud', 31, 11, true], ['pmd', 20, 11, true], ['pte', 12, 8, true]],
  // arch/arm64/include/asm/pgtable-hwdef.h ARM64_HW_PGTABLE_LEVEL_SHIFT, 4K granule, 4 levels
  'arm64-4k': [['pgd', 39, 9, false], ['pud', 30, 9, true], ['pmd', 21, 9, true], ['pte', 12, 9, true]],
  // the same, 64K granule, 3 levels (PTRS_PER_PGD 64)
  'arm64-64k': [['pgd', 42, 6, false], ['pmd', 29, 13, true], ['pte', 16, 13, true]],
};

describe('level geometry = the 6.1 headers', () => {
  it.each(Object.entries(HEADER_LEVELS))('%s', (name, levels) => {
    expect(findLayout(name)?.levels.map((l) => [l.name, l.shift, l.bits, l.leaf])).toEqual(levels);
  });
});

/** The devmap bit where the arch selects ARCH_HAS_PTE_DEVMAP (arch/x86/Kconfig if X86_64,
 * arch/powerpc/Kconfig if PPC_BOOK3S_64, arch/arm64/Kconfig), and FS_DAX_LIMITED, which only
 * s390's DCSSBLK selects (drivers/s390/block/Kconfig): page-less DAX where there is no devmap. */
const DEVMAP: Record<string, [devmap: string | null, fsDaxLimited: boolean]> = {
  x86_64: ['_PAGE_DEVMAP', false],
  'x86_64-la57': ['_PAGE_DEVMAP', false],
  'ppc64-radix': ['_PAGE_DEVMAP', false],
  'ppc64-radix-4k': ['_PAGE_DEVMAP', false],
  'ppc64-hash': ['_PAGE_DEVMAP', false],
  'arm64-4k': ['PTE_DEVMAP', false],
  'arm64-64k': ['PTE_DEVMAP', false],
  s390x: [null, true],
  'riscv64-sv39': [null, false],
  'riscv64-sv48': [null, false],
  loongarch64: [null, false],
};

describe('devmap bit and FS_DAX_LIMITED = the 6.1 Kconfig', () => {
  it.each(Object.entries(DEVMAP))('%s', (name, [devmap, fsDaxLimited]) => {
    expect([findLayout(name)?.devmap, findLayout(name)?.fsDaxLimited]).toEqual([devmap, fsDaxLimited]);
  });
});

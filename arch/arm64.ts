// AArch64 stage-1 translation as Linux 6.1 uses it for user space (TTBR0_EL1), one builder for
// the 4 KiB granule (arm64-4k: 48-bit VA, 4 levels) and the 64 KiB granule (arm64-64k: 48-bit
// VA, 3 levels, 512 MiB PMD blocks).
//
// Flag values: arch/arm64/include/asm/pgtable-hwdef.h (the descriptor bits: PTE_*, PMD_*) and
// pgtable-prot.h (the software bits Linux keeps in the hardware-ignored bits 55-58 and the
// PMD_PRESENT_INVALID bit 59). Geometry: pgtable-hwdef.h ARM64_HW_PGTABLE_LEVEL_SHIFT with
// CONFIG_PGTABLE_LEVELS 4 (4K) or 3 (64K, arch/arm64/Kconfig PGTABLE_LEVELS); the pfn field is
// PTE_ADDR_MASK = PTE_ADDR_LOW, PA bits 47:PAGE_SHIFT (ARM64_PA_BITS_48).
// Helpers: arch/arm64/include/asm/pgtable.h (pte_dirty is PTE_DIRTY or the hardware-dirty state
// PTE_WRITE && !PTE_RDONLY; pte_mkclean keeps PTE_WRITE (DBM); pte_wrprotect folds the hardware
// dirty state into PTE_DIRTY first; pmd_mkdevmap sets only PTE_DEVMAP).
// Table entries: __pmd_populate / pud_populate / p4d_populate (asm/pgalloc.h) write
// pa | P?D_TYPE_TABLE | P?D_TABLE_PXN for a user mm.
//
// Hardware (Arm ARM DDI 0487, VMSAv8-64 stage 1): bits[1:0] 0bx0 invalid, 0b11 table (levels
// 0-2) or page (level 3), 0b01 block where the granule allows one. AP[1] (PTE_USER) grants EL0
// access, AP[2] (PTE_RDONLY) forbids stores, UXN forbids EL0 fetches; the hardware sets AF on
// the leaf when TCR_EL1.HA is on (Linux turns it on with ID_AA64MMFR1_EL1.HAFDBS >= 1,
// arch/arm64/mm/proc.S), and with TCR_EL1.HD clears AP[2] of a DBM leaf on a store.
// Modelled: HA on, HD off. A store to a leaf with AP[2] set always permission-faults; with HD
// on, a writable-clean leaf (PTE_WRITE|PTE_RDONLY) would be made hardware-dirty silently. In
// the DAX paths no leaf is writable-clean (a DAX VMA's vm_page_prot is the write-notify
// PAGE_READONLY, maybe_mkwrite comes with pte_mkdirty, and every mkclean wrprotects first), so
// the outcome is the same either way. Not modelled: the reserved level-3 encoding 0b01 and
// level-0 block descriptors (both translation faults on hardware).

import { Access, bitNames, FaultKind, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt, Level } from './types.ts';
import {
  bitRange,
  clearBits,
  clearEntry,
  fieldShifted,
  fieldValue,
  orAddress,
  orMask,
  perLevel,
  setBits,
  testAny,
  testEq,
  toMask,
  ZERO_MASK,
  PLAIN_ROOT,
} from './bits.ts';
import { protNoneHook } from './prot-none.ts';

/** PTE_* / PMD_* masks of pgtable-hwdef.h and pgtable-prot.h (6.1); the same for both granules. */
export const ARM64_PTE_FLAGS = {
  PMD_TYPE_MASK: 0x3n,
  PMD_TYPE_TABLE: 0x3n,
  PMD_TYPE_SECT: 0x1n,
  PMD_TABLE_BIT: 0x2n,
  PMD_SECT_VALID: 0x1n,
  PMD_SECT_USER: 0x40n,
  PMD_SECT_RDONLY: 0x80n,
  PMD_SECT_S: 0x300n,
  PMD_SECT_AF: 0x400n,
  PMD_SECT_NG: 0x800n,
  PMD_SECT_CONT: 1n << 52n,
  PMD_SECT_PXN: 1n << 53n,
  PMD_SECT_UXN: 1n << 54n,
  PMD_TABLE_PXN: 1n << 59n,
  PMD_TABLE_UXN: 1n << 60n,
  PMD_ATTRINDX_MASK: 0x1cn,
  PTE_VALID: 0x1n,
  PTE_TYPE_MASK: 0x3n,
  PTE_TYPE_PAGE: 0x3n,
  PTE_TABLE_BIT: 0x2n,
  PTE_USER: 0x40n, // AP[1]
  PTE_RDONLY: 0x80n, // AP[2]
  PTE_SHARED: 0x300n, // SH[1:0], inner shareable
  PTE_AF: 0x400n,
  PTE_NG: 0x800n,
  PTE_GP: 1n << 50n, // BTI guarded page
  PTE_DBM: 1n << 51n,
  PTE_CONT: 1n << 52n,
  PTE_PXN: 1n << 53n,
  PTE_UXN: 1n << 54n,
  PTE_ATTRINDX_MASK: 0x1cn,
  // pgtable-prot.h: software bits.
  PTE_WRITE: 1n << 51n, // = PTE_DBM
  PTE_SWP_EXCLUSIVE: 1n << 2n,
  PTE_DIRTY: 1n << 55n,
  PTE_SPECIAL: 1n << 56n,
  PTE_DEVMAP: 1n << 57n,
  PTE_PROT_NONE: 1n << 58n, // only when !PTE_VALID
  PMD_PRESENT_INVALID: 1n << 59n, // only when !PMD_SECT_VALID
} as const;

const F = ARM64_PTE_FLAGS;

/** pte_modify's `mask` (asm/pgtable.h): the bits it takes from newprot; MT_NORMAL's ATTRINDX is 0. */
const MODIFY_MASK = F.PTE_USER | F.PTE_PXN | F.PTE_UXN | F.PTE_RDONLY | F.PTE_PROT_NONE | F.PTE_VALID | F.PTE_WRITE | F.PTE_GP | F.PTE_ATTRINDX_MASK;

/** The granule-dependent facts: PAGE_SHIFT, the levels (root first), PTRS_PER_PTE. */
export interface Arm64Granule {
  readonly pageShift: number;
  readonly levels: readonly Level[];
}

/** ESR_ELx fields (arch/arm64/include/asm/esr.h). */
export const ESR = {
  ESR_ELx_EC_DABT_LOW: 0x24,
  ESR_ELx_EC_IABT_LOW: 0x20,
  ESR_ELx_EC_SHIFT: 26,
  ESR_ELx_IL: 1 << 25,
  ESR_ELx_WNR: 1 << 6,
  ESR_ELx_FSC: 0x3f,
  ESR_ELx_FSC_FAULT: 0x04, // translation fault, + level
  ESR_ELx_FSC_ACCESS: 0x08, // access flag fault, + level
  ESR_ELx_FSC_PERM: 0x0c, // permission fault, + level
} as const;

/** Names of the fault status codes (arch/arm64/mm/fault.c fault_info[]). */
const FSC_NAMES: Readonly<Record<number, string>> = {
  [ESR.ESR_ELx_FSC_FAULT]: 'translation fault',
  [ESR.ESR_ELx_FSC_ACCESS]: 'access flag fault',
  [ESR.ESR_ELx_FSC_PERM]: 'permission fault',
};

/**
 * arm64 do_page_fault (arch/arm64/mm/fault.c): is_el0_instruction_abort (EC IABT_LOW) is an
 * instruction fetch, is_write_abort (WnR without CM) a write, anything else a read.
 */
function arm64FaultEntry(f: Extract<ArchFault, { isa: 'arm64' }>): FaultEntry {
  const ec = Math.floor(f.esr / 2 ** ESR.ESR_ELx_EC_SHIFT) % 64;
  const exec = ec === ESR.ESR_ELx_EC_IABT_LOW;
  return { write: !exec && (f.esr & ESR.ESR_ELx_WNR) !== 0, exec, denied: false, bad: null };
}

/**
 * A user data or instruction abort: ESR_ELx with EC 0x24 / 0x20, IL, WnR for a store and the
 * DFSC type + lookup level (arm64/mm/fault.c: do_translation_fault for 0x04-0x07,
 * do_page_fault for permission faults 0x0d-0x0f). `firstLevel` is the Arm lookup level of the
 * layout's root (0 with 4 levels, 1 with the 64K granule's 3).
 */
function arm64FaultHook(firstLevel: number): FaultHook {
  return {
    isa: 'arm64',
    encode(f, out) {
      out.teidBits = 0;
      const exec = f.access === Access.Exec;
      const ec = exec ? ESR.ESR_ELx_EC_IABT_LOW : ESR.ESR_ELx_EC_DABT_LOW;
      // An address above the 48-bit TTBR0 range: a level-0 translation fault (TxSZ check).
      const armLevel = f.kind === FaultKind.NonCanonical ? 0 : firstLevel + Math.max(0, f.level);
      const type = f.kind === FaultKind.Protection ? ESR.ESR_ELx_FSC_PERM : ESR.ESR_ELx_FSC_FAULT;
      const wnr = f.access === Access.Write ? ESR.ESR_ELx_WNR : 0;
      out.vector = ec;
      out.code = ec * 2 ** ESR.ESR_ELx_EC_SHIFT + (ESR.ESR_ELx_IL | wnr | (type + Math.min(3, armLevel)));
    },
    codeNames: (c) => {
      const fsc = c.code % 64;
      const names = [`${FSC_NAMES[fsc & 0x3c] ?? 'fault'} level ${fsc & 3}`];
      return names.concat(bitNames(c.code % 2 ** 26, { ESR_ELx_IL: ESR.ESR_ELx_IL, ESR_ELx_WNR: ESR.ESR_ELx_WNR }));
    },
    vectorName: (c) => (c.vector === ESR.ESR_ELx_EC_IABT_LOW ? 'IABT_LOW' : 'DABT_LOW'),
    record: (c) => ({ isa: 'arm64', esr: c.code }),
    detail: () => '',
    entry: (f) => arm64FaultEntry(ownFault('arm64', f)),
  };
}

/** PA bits 47:0 (ARM64_PA_BITS_48); PTE_ADDR_LOW drops the bits below PAGE_SHIFT. */
const PA_BITS = bitRange(0, 47);

/** A Linux 6.1 arm64 user layout for one granule. */
export function buildArm64Layout(name: string, description: string, g: Arm64Granule, mmapBase: number): Layout {
  const levels = g.levels;
  const n = levels.length;
  const pte = n - 1;
  const pmd = n - 2;
  // PTE_ADDR_LOW = ((1 << (48 - PAGE_SHIFT)) - 1) << PAGE_SHIFT.
  const addrMask = PA_BITS & ~((1n << BigInt(g.pageShift)) - 1n);
  const PFN = toMask(addrMask);
  const levelAddr = levels.map((lv) => toMask(addrMask & ~((1n << BigInt(lv.shift)) - 1n)));
  const leafCapable = (l: number): boolean => levels[l]!.leaf;

  const VALID = toMask(F.PTE_VALID);
  const TYPE_PAGE = toMask(F.PTE_TYPE_PAGE);
  const TYPE_MASK = toMask(F.PTE_TYPE_MASK);
  const TABLE_BIT = toMask(F.PTE_TABLE_BIT);
  const USER = toMask(F.PTE_USER);
  const RDONLY = toMask(F.PTE_RDONLY);
  const AF = toMask(F.PTE_AF);
  const WRITE = toMask(F.PTE_WRITE);
  const DIRTY = toMask(F.PTE_DIRTY);
  const SPECIAL = toMask(F.PTE_SPECIAL);
  const DEVMAP = toMask(F.PTE_DEVMAP);
  const UXN = toMask(F.PTE_UXN);
  const PTE_PRESENT = orMask(F.PTE_VALID, F.PTE_PROT_NONE); // pte_present
  const PMD_PRESENT = orMask(F.PTE_VALID, F.PTE_PROT_NONE, F.PMD_PRESENT_INVALID); // pmd_present
  const PTE_MKDEVMAP = orMask(F.PTE_DEVMAP, F.PTE_SPECIAL);
  /** What every user leaf of PAGE_READONLY carries besides the type: SH, nG, PXN (pgtable-prot.h _PAGE_READONLY). */
  const USER_BASE = orMask(F.PTE_SHARED, F.PTE_NG, F.PTE_PXN, F.PTE_RDONLY);
  /** The kernel's PROT_DEFAULT (SH) and RDONLY for a kernel leaf; only user leaves are modelled in the DAX paths. */
  const KERNEL_BASE = orMask(F.PTE_SHARED, F.PTE_PXN, F.PTE_RDONLY);
  const TABLE_VALUE = orMask(F.PMD_TYPE_TABLE, F.PMD_TABLE_PXN);
  const SECT = toMask(F.PMD_TYPE_SECT);

  const isZero = (e: Entry): boolean => e.lo === 0 && e.hi === 0;
  const isTable = (e: Entry): boolean => testEq(e, TYPE_MASK, TYPE_PAGE); // pmd_table: (e & 3) == 3
  const hwDirty = (e: Entry): boolean => testAny(e, WRITE) && !testAny(e, RDONLY); // pte_hw_dirty
  const mkdirty = (_l: number, e: Entry): void => {
    setBits(e, DIRTY); // pte_mkdirty: PTE_DIRTY, and writable-dirty if PTE_WRITE
    if (testAny(e, WRITE)) clearBits(e, RDONLY);
  };

  const hw = {
    valid: perLevel(n, () => VALID),
    validWhenSet: perLevel(n, () => true),
    // bits[1:0] = 0b01 is a block where the granule allows one; the page level is always a leaf.
    leaf: perLevel(n, (l) => (l === pte || !leafCapable(l) ? ZERO_MASK : TABLE_BIT)),
    leafWhenSet: perLevel(n, (l) => (l === pte ? false : !leafCapable(l))),
    write: perLevel(n, () => RDONLY),
    writeWhenSet: perLevel(n, () => false),
    read: perLevel(n, () => ZERO_MASK),
    readWhenSet: perLevel(n, () => false),
    user: perLevel(n, () => USER),
    userWhenSet: perLevel(n, () => true),
    exec: perLevel(n, () => UXN),
    execWhenSet: perLevel(n, () => false),
    // TCR_EL1.HA: AF on the leaf only (table descriptors have no AF).
    accessed: perLevel(n, (l) => (leafCapable(l) ? AF : ZERO_MASK)),
    // TCR_EL1.HD not modelled (see the header): the hardware changes nothing on a store.
    dirty: perLevel(n, () => ZERO_MASK),
    // Linux leaves APTable/UXNTable zero in user table entries, so tables restrict nothing.
    tableRules: perLevel(n, () => false),
    reservedLeaf: perLevel(n, () => ZERO_MASK),
    reservedTable: perLevel(n, () => ZERO_MASK),
  };

  const hooks: ArchHooks = {
    // TTBR0_EL1 covers VA bits 47:0 for user space; an address with higher bits set selects TTBR1.
    vaForm: 'zero',
    pkey: null, // arm64 has no protection keys in 6.1 (POE came in 6.12)
    fault: arm64FaultHook(4 - n),
    tableAddrMask: perLevel(n, (l) => (l === pte ? null : PFN)),
    // pmd_pfn / pud_pfn: PTE_ADDR_MASK & PMD_MASK / PUD_MASK.
    leafFrameMask: perLevel(n, (l) => (leafCapable(l) ? levelAddr[l]! : null)),
    // TTBR0_EL1 = the pgd's physical address (the ASID in bits 63:48 is not modelled: TLBs are per CPU here).
    root: PLAIN_ROOT,
    mmapBase,
    // flush_pmd_tlb_range = __flush_tlb_range(vma, addr, end, PMD_SIZE, false, 2)
    // (arch/arm64/include/asm/pgtable.h): one TLBI VAE1IS per PMD stride; __flush_tlb_range
    // (asm/tlbflush.h) flushes the ASID instead when (end - start) >= MAX_TLBI_OPS * stride,
    // MAX_TLBI_OPS = PTRS_PER_PTE, i.e. above PTRS_PER_PTE - 1 stride pages.
    tlbFlush: { ceiling: 2 ** levels[pte]!.bits - 1, pmdStrideIsPmd: true },
    // With CONFIG_ARM64_PMEM (ARCH_HAS_PMEM_API), arch_wb_cache_pmem (arch/arm64/mm/flush.c) is
    // dcache_clean_pop: DC CVAP per cache line (CTR_EL0.DminLine, 64 bytes), the line kept.
    // ARM64_PMEM is not in defconfig; without it pmem is mapped write-through (libnvdimm.h
    // memremap_pmem) and nothing is written back. Modelled with ARM64_PMEM=y, as a pmem server has.
    // dcache_clean_pop (arch/arm64/mm/cache.S) is dcache_by_line_op cvap, sy, whose loop ends
    // in `dsb sy` (asm/assembler.h dcache_by_myline_op): the DC CVAPs are complete on that
    // CPU when it returns, for arch_wb_cache_pmem and memcpy_flushcache alike.
    wbCachePmem: { insn: 'clwb', blockBytes: 64, completes: true },
    // PAGE_READONLY carries PTE_AF, and the walker sets it (HA): young from the pgprot.
    newLeafYoung: false,
    pmdTransHuge: (e) => !isZero(e) && testAny(e, PMD_PRESENT) && !testAny(e, TABLE_BIT),
    // arch/arm64/mm/ptdump.c's format; ptdump_walk's user range ends at TASK_SIZE_64 (2^48).
    ptdump: { style: 'arm64', userEnd: 'top-span', levelFlags: null },
    qemuGuest: null,
    // __set_pte_at only warns under DEBUG_VM (__check_racy_pte_update); pmdp_set_access_flags is
    // ptep_set_access_flags on the pmd (__HAVE_ARCH_PMDP_SET_ACCESS_FLAGS), no alignment check.
    setPteAtChecksValid: false,
    pmdpSetAccessFlagsAligned: false,
    memcpyFlushcache: 'cached',
    // __up_write's release (LDADDL / STLXR) orders accesses, not the completion of cache
    // maintenance, which only a DSB waits for; the copy's DSB has done that already.
    unlockCompletesFlushes: false,
    // PAGE_NONE = ((_PAGE_DEFAULT) & ~PTE_VALID) | PTE_PROT_NONE | PTE_RDONLY | PTE_NG | PTE_PXN
    // | PTE_UXN (pgtable-prot.h). pte_modify (asm/pgtable.h; pmd_modify is pte_modify on the
    // pmd) folds the hardware dirty state into PTE_DIRTY, then takes only the bits of its
    // `mask` from newprot: PTE_TABLE_BIT is not among them, so a block stays 0b?0 and with
    // PTE_VALID clear is neither pmd_sect nor pmd_table. pte_protnone:
    // (pte & (PTE_VALID | PTE_PROT_NONE)) == PTE_PROT_NONE; pmd_protnone the same.
    protNone: protNoneHook({
      pageNone: ((F.PTE_TYPE_PAGE | F.PTE_AF | F.PTE_SHARED) & ~F.PTE_VALID) | F.PTE_PROT_NONE | F.PTE_RDONLY | F.PTE_NG | F.PTE_PXN | F.PTE_UXN,
      pte,
      pmd,
      keepPte: ~MODIFY_MASK & ((1n << 64n) - 1n),
      test: F.PTE_VALID | F.PTE_PROT_NONE,
      value: F.PTE_PROT_NONE,
      whole: false,
      before: (l, e) => {
        if (hwDirty(e)) mkdirty(l, e);
      },
    }),
    // 23bc8f69f0ec replaced `#define pmd_leaf(pmd) pmd_sect(pmd)` (from 8aa82df3c123, "arm64:
    // mm: add p?d_leaf() definitions"): (pmd & PMD_TYPE_MASK) == PMD_TYPE_SECT.
    pmdpInvalidateAdFlushes: true, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
    pmdLeafPreFix: (e) => testEq(e, TYPE_MASK, SECT),
    // pmd_mkinvalid (asm/pgtable.h): sets PMD_PRESENT_INVALID, clears PMD_SECT_VALID, so
    // pmd_present holds through pmd_present_invalid.
    pmdInvalidate: { clear: toMask(F.PMD_SECT_VALID), set: toMask(F.PMD_PRESENT_INVALID) },
  };

  const layout: Layout = {
    name,
    description,
    family: 'arm64',
    sources: [
      'arch/arm64/include/asm/pgtable-hwdef.h',
      'arch/arm64/include/asm/pgtable-prot.h',
      'arch/arm64/include/asm/pgtable.h',
      'arch/arm64/include/asm/pgalloc.h',
      'arch/arm64/include/asm/esr.h',
    ],
    endian: 'little',
    pageShift: g.pageShift,
    levels,
    pmdLevel: pmd,
    pfn: { shift: g.pageShift, mask: addrMask },
    flags: ARM64_PTE_FLAGS,
    devmap: 'PTE_DEVMAP',
    fsDaxLimited: false,
    tableBytes: levels.map((lv) => 8 << lv.bits),
    hw,
    hooks,

    isNone: (_l, e) => isZero(e), // pte_none / pmd_none: !val
    isPresent: (l, e) => testAny(e, l === pmd ? PMD_PRESENT : PTE_PRESENT),
    // pmd_leaf / pud_leaf (fixed form, 23bc8f69f0ec): present and not a table.
    isLeaf: (l, e) => (l === pte ? true : leafCapable(l) && testAny(e, l === pmd ? PMD_PRESENT : PTE_PRESENT) && !isTable(e)),
    isWrite: (_l, e) => testAny(e, WRITE),
    isDirty: (_l, e) => testAny(e, DIRTY) || hwDirty(e),
    isYoung: (_l, e) => testAny(e, AF),
    // pte_devmap / pmd_devmap; pud_devmap is 0 (no HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD).
    isDevmap: (l, e) => (l === pte || l === pmd) && testAny(e, DEVMAP),
    isSpecial: (l, e) => l === pte && testAny(e, SPECIAL),

    leafPfn: (l, e) => fieldShifted(e, levelAddr[l]!, g.pageShift),
    tableAddress: (_l, e) => fieldValue(e, PFN), // __pmd_to_phys: PTE_ADDR_MASK

    mkNone: (_l, out) => clearEntry(out),
    mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
      if (!leafCapable(level)) throw new RangeError(`${name}: no leaf at level ${levels[level]?.name ?? level}`);
      clearEntry(out);
      orAddress(out, pfn * 2 ** g.pageShift, levelAddr[level]!);
      // pfn_pte with PAGE_READONLY's type bits (0b11), or pmd_mkhuge's block (TABLE_BIT clear).
      setBits(out, level === pte ? TYPE_PAGE : VALID);
      setBits(out, prot.user ? USER_BASE : KERNEL_BASE);
      if (prot.user) setBits(out, USER);
      if (!prot.exec) setBits(out, UXN);
      if (prot.young) setBits(out, AF);
      if (prot.devmap) setBits(out, level === pte ? PTE_MKDEVMAP : DEVMAP); // pmd_mkdevmap: no SPECIAL
      if (prot.special && level === pte) setBits(out, SPECIAL);
      // insert_pfn: maybe_mkwrite(pte_mkdirty(entry)): mkdirty first, then mkwrite.
      if (prot.dirty) mkdirty(level, out);
      if (prot.write) layout.mkwrite(level, out);
    },
    mkTable(level: number, tablePhys: number, out: Entry): void {
      if (level === pte) throw new RangeError(`${name}: no table below pte`);
      clearEntry(out);
      orAddress(out, tablePhys, PFN);
      setBits(out, TABLE_VALUE); // P?D_TYPE_TABLE | P?D_TABLE_PXN
    },

    // pte_mkclean: PTE_DIRTY clear, PTE_RDONLY set; PTE_WRITE (DBM) kept.
    mkclean: (_l, e) => {
      clearBits(e, DIRTY);
      setBits(e, RDONLY);
    },
    mkdirty,
    // pte_wrprotect: fold the hardware-dirty state into PTE_DIRTY, then PTE_WRITE clear, PTE_RDONLY set.
    wrprotect: (l, e) => {
      if (hwDirty(e)) mkdirty(l, e);
      clearBits(e, WRITE);
      setBits(e, RDONLY);
    },
    // pte_mkwrite: PTE_WRITE, and PTE_RDONLY clear if already dirty.
    mkwrite: (_l, e) => {
      setBits(e, WRITE);
      if (testAny(e, DIRTY)) clearBits(e, RDONLY);
    },
    mkold: (_l, e) => clearBits(e, AF),
    mkyoung: (_l, e) => setBits(e, AF),
  };
  return layout;
}

/** The VA bits a level indexes, for one granule (ARM64_HW_PGTABLE_LEVEL_SHIFT). */
function arm64Levels(pageShift: number, count: number): Level[] {
  const bits = pageShift - 3;
  // With 3 levels (64K granule) the PUD is folded (asm-generic/pgtable-nopud.h).
  const names = count === 4 ? (['pgd', 'pud', 'pmd', 'pte'] as const) : (['pgd', 'pmd', 'pte'] as const);
  return names.map((nm, i) => {
    const shift = pageShift + bits * (count - 1 - i);
    // The root takes what remains of the 48 VA bits (PTRS_PER_PGD = 1 << (VA_BITS - PGDIR_SHIFT)).
    const width = i === 0 ? 48 - shift : bits;
    // Blocks: pmd always; pud only with the 4K granule (pud_sect_supported: PAGE_SIZE == SZ_4K).
    const leaf = nm === 'pte' || nm === 'pmd' || (nm === 'pud' && pageShift === 12);
    return { name: nm, shift, bits: width, leaf };
  });
}

/** The 64-bit task's mmap_base without randomisation: STACK_TOP (2^48) less the 128 MiB minimum gap (mm/util.c mmap_base). */
export const ARM64_MMAP_BASE = 2 ** 48 - 2 ** 27;

export const arm64_4k: Layout = buildArm64Layout(
  'arm64-4k',
  'AArch64, 4 KiB granule, 48-bit VA, 4 levels, 2 MiB and 1 GiB blocks, DBM state in software bits',
  { pageShift: 12, levels: arm64Levels(12, 4) },
  ARM64_MMAP_BASE,
);

export const arm64_64k: Layout = buildArm64Layout(
  'arm64-64k',
  'AArch64, 64 KiB granule, 48-bit VA, 3 levels, 512 MiB PMD blocks, DBM state in software bits',
  { pageShift: 16, levels: arm64Levels(16, 3) },
  ARM64_MMAP_BASE,
);

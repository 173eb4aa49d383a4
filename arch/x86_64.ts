// x86-64 page tables, 4-level paging (CONFIG_X86_64, no LA57).
//
// Flag values: arch/x86/include/asm/pgtable_types.h (Linux 6.1), taken for CONFIG_X86_64 with
// the options distributions enable (CONFIG_MEM_SOFT_DIRTY, CONFIG_HAVE_ARCH_USERFAULTFD_WP,
// CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS); X86_FLAG_CONFIG records which depend on what.
// pfn field: PTE_PFN_MASK = PHYSICAL_PAGE_MASK (arch/x86/include/asm/page_types.h) with
// __PHYSICAL_MASK_SHIFT 52 (arch/x86/include/asm/page_64_types.h).
// Level geometry: arch/x86/include/asm/pgtable_64_types.h (PGDIR_SHIFT 39, PUD_SHIFT 30,
// PMD_SHIFT 21, PTRS_PER_* 512; P4D folded when 4-level).
// Predicates and modifiers: the inline functions of arch/x86/include/asm/pgtable.h.
// Hardware rules: Intel SDM Vol. 3A, section 4.5 (4-level and 5-level paging).
//
// MAXPHYADDR is taken as 52 (the architectural maximum, equal to __PHYSICAL_MASK_SHIFT), so no
// address bit of an entry is reserved; what stays reserved is PS in a PML4E/PML5E and, in a
// huge leaf, the bits between 13 and the leaf's alignment (SDM Vol. 3A, tables 4-15..4-20).

import { Access, bitNames, FaultKind, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt, Level, Mask } from './types.ts';
import { protNoneHook } from './prot-none.ts';
import {
  bit,
  bitModifiers,
  bitRange,
  clearEntry,
  fieldShifted,
  fieldValue,
  fsDaxLimitedFor,
  orAddress,
  orMask,
  perLevel,
  setBits,
  testAll,
  testAny,
  testEq,
  toMask,
  ZERO_MASK,
  zeroExcept,
  PLAIN_ROOT,
} from './bits.ts';

/** _PAGE_BIT_* from arch/x86/include/asm/pgtable_types.h (6.1). */
export const X86_PAGE_BIT = {
  _PAGE_BIT_PRESENT: 0,
  _PAGE_BIT_RW: 1,
  _PAGE_BIT_USER: 2,
  _PAGE_BIT_PWT: 3,
  _PAGE_BIT_PCD: 4,
  _PAGE_BIT_ACCESSED: 5,
  _PAGE_BIT_DIRTY: 6,
  _PAGE_BIT_PSE: 7,
  _PAGE_BIT_PAT: 7,
  _PAGE_BIT_GLOBAL: 8,
  _PAGE_BIT_SOFTW1: 9,
  _PAGE_BIT_SOFTW2: 10,
  _PAGE_BIT_SOFTW3: 11,
  _PAGE_BIT_PAT_LARGE: 12,
  _PAGE_BIT_SOFTW4: 58,
  _PAGE_BIT_PKEY_BIT0: 59,
  _PAGE_BIT_PKEY_BIT1: 60,
  _PAGE_BIT_PKEY_BIT2: 61,
  _PAGE_BIT_PKEY_BIT3: 62,
  _PAGE_BIT_NX: 63,
  _PAGE_BIT_SPECIAL: 9, // _PAGE_BIT_SOFTW1
  _PAGE_BIT_CPA_TEST: 9, // _PAGE_BIT_SOFTW1
  _PAGE_BIT_UFFD_WP: 10, // _PAGE_BIT_SOFTW2
  _PAGE_BIT_SOFT_DIRTY: 11, // _PAGE_BIT_SOFTW3
  _PAGE_BIT_DEVMAP: 58, // _PAGE_BIT_SOFTW4
  _PAGE_BIT_PROTNONE: 8, // _PAGE_BIT_GLOBAL
} as const;

const B = X86_PAGE_BIT;

/** The _PAGE_* PTE flag masks of arch/x86/include/asm/pgtable_types.h (6.1, CONFIG_X86_64). */
export const X86_PTE_FLAGS = {
  _PAGE_PRESENT: bit(B._PAGE_BIT_PRESENT),
  _PAGE_RW: bit(B._PAGE_BIT_RW),
  _PAGE_USER: bit(B._PAGE_BIT_USER),
  _PAGE_PWT: bit(B._PAGE_BIT_PWT),
  _PAGE_PCD: bit(B._PAGE_BIT_PCD),
  _PAGE_ACCESSED: bit(B._PAGE_BIT_ACCESSED),
  _PAGE_DIRTY: bit(B._PAGE_BIT_DIRTY),
  _PAGE_PSE: bit(B._PAGE_BIT_PSE),
  _PAGE_GLOBAL: bit(B._PAGE_BIT_GLOBAL),
  _PAGE_SOFTW1: bit(B._PAGE_BIT_SOFTW1),
  _PAGE_SOFTW2: bit(B._PAGE_BIT_SOFTW2),
  _PAGE_SOFTW3: bit(B._PAGE_BIT_SOFTW3),
  _PAGE_PAT: bit(B._PAGE_BIT_PAT),
  _PAGE_PAT_LARGE: bit(B._PAGE_BIT_PAT_LARGE),
  _PAGE_SPECIAL: bit(B._PAGE_BIT_SPECIAL),
  _PAGE_CPA_TEST: bit(B._PAGE_BIT_CPA_TEST),
  _PAGE_PKEY_BIT0: bit(B._PAGE_BIT_PKEY_BIT0),
  _PAGE_PKEY_BIT1: bit(B._PAGE_BIT_PKEY_BIT1),
  _PAGE_PKEY_BIT2: bit(B._PAGE_BIT_PKEY_BIT2),
  _PAGE_PKEY_BIT3: bit(B._PAGE_BIT_PKEY_BIT3),
  _PAGE_SOFT_DIRTY: bit(B._PAGE_BIT_SOFT_DIRTY),
  _PAGE_SWP_SOFT_DIRTY: bit(B._PAGE_BIT_RW), // _PAGE_RW: only meaningful when !present
  _PAGE_UFFD_WP: bit(B._PAGE_BIT_UFFD_WP),
  _PAGE_SWP_UFFD_WP: bit(B._PAGE_BIT_USER), // _PAGE_USER: only meaningful when !present
  _PAGE_NX: bit(B._PAGE_BIT_NX),
  _PAGE_DEVMAP: bit(B._PAGE_BIT_DEVMAP),
  _PAGE_SOFTW4: bit(B._PAGE_BIT_SOFTW4),
  _PAGE_PROTNONE: bit(B._PAGE_BIT_PROTNONE),
} as const satisfies Record<string, bigint>;

/**
 * Flags whose value depends on a Kconfig option in pgtable_types.h (they are 0 without it).
 * _PAGE_CC / _PAGE_ENC (memory encryption, cc_mask / sme_me_mask) are runtime values, not
 * constants, and are left out of the table.
 */
export const X86_FLAG_CONFIG: Readonly<Record<string, string>> = {
  _PAGE_PKEY_BIT0: 'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS',
  _PAGE_PKEY_BIT1: 'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS',
  _PAGE_PKEY_BIT2: 'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS',
  _PAGE_PKEY_BIT3: 'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS',
  _PAGE_SOFT_DIRTY: 'CONFIG_MEM_SOFT_DIRTY',
  _PAGE_SWP_SOFT_DIRTY: 'CONFIG_MEM_SOFT_DIRTY',
  _PAGE_UFFD_WP: 'CONFIG_HAVE_ARCH_USERFAULTFD_WP',
  _PAGE_SWP_UFFD_WP: 'CONFIG_HAVE_ARCH_USERFAULTFD_WP',
  _PAGE_NX: 'CONFIG_X86_64 || CONFIG_X86_PAE',
  _PAGE_DEVMAP: 'CONFIG_X86_64 || CONFIG_X86_PAE',
  _PAGE_SOFTW4: 'CONFIG_X86_64 || CONFIG_X86_PAE',
};

const F = X86_PTE_FLAGS;

/** __PHYSICAL_MASK_SHIFT (arch/x86/include/asm/page_64_types.h). */
export const X86_PHYSICAL_MASK_SHIFT = 52;
/** PTE_PFN_MASK = PHYSICAL_PAGE_MASK = PAGE_MASK & __PHYSICAL_MASK (page_types.h, pgtable_types.h). */
export const X86_PTE_PFN_MASK = bitRange(12, X86_PHYSICAL_MASK_SHIFT - 1);
/** PHYSICAL_PMD_PAGE_MASK = PMD_MASK & __PHYSICAL_MASK (page_types.h), what pmd_pfn_mask() returns for a PSE pmd. */
export const X86_PHYSICAL_PMD_PAGE_MASK = bitRange(21, X86_PHYSICAL_MASK_SHIFT - 1);
/** PHYSICAL_PUD_PAGE_MASK = PUD_MASK & __PHYSICAL_MASK (page_types.h). */
export const X86_PHYSICAL_PUD_PAGE_MASK = bitRange(30, X86_PHYSICAL_MASK_SHIFT - 1);
/** _PAGE_TABLE = __PP|__RW|_USR|___A|___D (pgtable_types.h; _ENC is 0 without SME), what pmd_populate() writes (asm/pgalloc.h). */
export const X86_PAGE_TABLE = F._PAGE_PRESENT | F._PAGE_RW | F._PAGE_USER | F._PAGE_ACCESSED | F._PAGE_DIRTY;
/** _PAGE_KNL_ERRATUM_MASK (pgtable_types.h, CONFIG_X86_64): ignored by pte_none/pmd_none/pud_none/p4d_none. */
export const X86_KNL_ERRATUM_MASK = F._PAGE_DIRTY | F._PAGE_ACCESSED;

export const X86_SOURCES = [
  'arch/x86/include/asm/pgtable_types.h',
  'arch/x86/include/asm/page_types.h',
  'arch/x86/include/asm/page_64_types.h',
  'arch/x86/include/asm/pgtable_64_types.h',
  'arch/x86/include/asm/pgtable.h',
  'arch/x86/include/asm/pgalloc.h',
] as const;

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h, enum x86_pf_error_code). */
export const X86_PF = {
  X86_PF_PROT: 1 << 0,
  X86_PF_WRITE: 1 << 1,
  X86_PF_USER: 1 << 2,
  X86_PF_RSVD: 1 << 3,
  X86_PF_INSTR: 1 << 4,
  X86_PF_PK: 1 << 5,
  X86_PF_SGX: 1 << 15,
} as const;
/** IDT vectors (SDM Vol. 3A table 6-1). */
export const X86_VECTOR_GP = 13;
export const X86_VECTOR_PF = 14;

/** x86 do_user_addr_fault + access_error (arch/x86/mm/fault.c): the error code's flags. */
function x86FaultEntry(f: Extract<ArchFault, { isa: 'x86' }>): FaultEntry {
  const e = f.errorCode;
  // A #GP (non-canonical address) has error code 0: no page-fault flags; no VMA holds the address.
  return {
    write: (e & X86_PF.X86_PF_WRITE) !== 0,
    exec: (e & X86_PF.X86_PF_INSTR) !== 0,
    // access_error: X86_PF_PK always; "read, present" (X86_PF_PROT without X86_PF_WRITE).
    denied: (e & X86_PF.X86_PF_PK) !== 0 || ((e & X86_PF.X86_PF_WRITE) === 0 && (e & X86_PF.X86_PF_PROT) !== 0),
    bad: (e & X86_PF.X86_PF_RSVD) !== 0 ? 'pgtable' : null,
  };
}

/**
 * The x86 fault: #PF with its error code (SDM Vol. 3A 4.7 "Page-Fault Exceptions"), or #GP(0)
 * for a non-canonical address (SDM Vol. 3A 6.15 and Vol. 1 3.3.7.1).
 */
export const x86FaultHook: FaultHook = {
  isa: 'x86',
  encode(f, out) {
    out.teidBits = 0;
    if (f.kind === FaultKind.NonCanonical) {
      out.vector = X86_VECTOR_GP;
      out.code = 0;
      return;
    }
    out.vector = X86_VECTOR_PF;
    // W/R from the access, U/S from CPL, I/D for fetches (IA32_EFER.NXE is set by Linux).
    let c = 0;
    if (f.access === Access.Write) c |= X86_PF.X86_PF_WRITE;
    if (f.user) c |= X86_PF.X86_PF_USER;
    if (f.access === Access.Exec) c |= X86_PF.X86_PF_INSTR;
    // P=0 only when a non-present entry stopped the walk; RSVD and PK faults are on present entries.
    if (f.kind === FaultKind.Protection) c |= X86_PF.X86_PF_PROT;
    else if (f.kind === FaultKind.Reserved) c |= X86_PF.X86_PF_PROT | X86_PF.X86_PF_RSVD;
    else if (f.kind === FaultKind.Pkey) c |= X86_PF.X86_PF_PROT | X86_PF.X86_PF_PK;
    out.code = c;
  },
  codeNames: (c) => (c.vector === X86_VECTOR_GP ? [] : bitNames(c.code, X86_PF)),
  vectorName: (c) => (c.vector === X86_VECTOR_GP ? '#GP' : '#PF'),
  record: (c) => ({ isa: 'x86', vector: c.vector === X86_VECTOR_GP ? 'GP' : 'PF', errorCode: c.code }),
  detail: () => '',
  entry: (f) => x86FaultEntry(ownFault('x86', f)),
};

/** Levels of 4-level paging (arch/x86/include/asm/pgtable_64_types.h, p4d folded). */
export const X86_64_LEVELS: readonly Level[] = [
  { name: 'pgd', shift: 39, bits: 9, leaf: false },
  { name: 'pud', shift: 30, bits: 9, leaf: true },
  { name: 'pmd', shift: 21, bits: 9, leaf: true },
  { name: 'pte', shift: 12, bits: 9, leaf: true },
];

/**
 * Builds an x86-64 layout for 4- or 5-level paging. `levels` ends with pud, pmd, pte; the
 * levels above pud are non-leaf (no 512 GiB pages: p4d_large() is 0; PS is reserved in a
 * PML4E/PML5E).
 */
export function buildX86Layout(name: string, description: string, levels: readonly Level[], extraSources: readonly string[] = []): Layout {
  const n = levels.length;
  const pte = n - 1;
  const pmd = n - 2;
  const pud = n - 3;
  if (levels[pte]?.name !== 'pte' || levels[pmd]?.name !== 'pmd' || levels[pud]?.name !== 'pud') {
    throw new Error('x86 levels must end with pud, pmd, pte');
  }

  const PRESENT = toMask(F._PAGE_PRESENT);
  const RW = toMask(F._PAGE_RW);
  const USER = toMask(F._PAGE_USER);
  const ACCESSED = toMask(F._PAGE_ACCESSED);
  const DIRTY = toMask(F._PAGE_DIRTY);
  const DIRTY_SOFT = orMask(F._PAGE_DIRTY, F._PAGE_SOFT_DIRTY); // pte_mkdirty / pmd_mkdirty
  const PSE = toMask(F._PAGE_PSE);
  const NX = toMask(F._PAGE_NX);
  const SPECIAL = toMask(F._PAGE_SPECIAL);
  const DEVMAP = toMask(F._PAGE_DEVMAP);
  const PTE_DEVMAP = orMask(F._PAGE_SPECIAL, F._PAGE_DEVMAP); // pte_mkdevmap
  const PSE_PRESENT = orMask(F._PAGE_PSE, F._PAGE_PRESENT); // pud_large
  const PTE_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROTNONE); // pte_present
  const PMD_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROTNONE, F._PAGE_PSE); // pmd_present
  const KNL = toMask(X86_KNL_ERRATUM_MASK);
  const PFN = toMask(X86_PTE_PFN_MASK);
  const TABLE = toMask(X86_PAGE_TABLE);

  const leafCapable = (l: number): boolean => levels[l]!.leaf;
  const hugeAddr: readonly Mask[] = perLevel(n, (l) =>
    l === pmd ? toMask(X86_PHYSICAL_PMD_PAGE_MASK) : l === pud ? toMask(X86_PHYSICAL_PUD_PAGE_MASK) : PFN,
  );
  // L1TF (arch/x86/include/asm/pgtable-invert.h): a non-zero entry without _PAGE_PRESENT holds
  // its pfn inverted (__pte_needs_invert); pte_pfn / pmd_pfn undo it (protnone_mask).
  const needsInvert = (e: Entry): boolean => (e.lo !== 0 || e.hi !== 0) && !testAny(e, PRESENT);
  const uninverted: Entry = { lo: 0, hi: 0 };
  const pfnOf = (e: Entry, m: Mask): number => {
    if (!needsInvert(e)) return fieldShifted(e, m, 12);
    uninverted.lo = ~e.lo >>> 0;
    uninverted.hi = ~e.hi >>> 0;
    return fieldShifted(uninverted, m, 12);
  };
  // flip_protnone_guard(oldval, val, mask): invert the pfn field when pte_modify / pmd_modify
  // changes whether the entry needs inverting.
  const flipProtnoneGuard = (level: number, old: Entry, e: Entry): void => {
    if (needsInvert(old) === needsInvert(e)) return;
    const m = level === pmd ? hugeAddr[pmd]! : PFN; // PTE_PFN_MASK / PHYSICAL_PMD_PAGE_MASK
    e.lo = ((e.lo & ~m.lo) | (~e.lo & m.lo)) >>> 0;
    e.hi = ((e.hi & ~m.hi) | (~e.hi & m.hi)) >>> 0;
  };
  // _COMMON_PAGE_CHG_MASK (pgtable_types.h): _PAGE_CC is sme_me_mask | cc_mask, 0 without
  // memory encryption, as modelled.
  const COMMON_CHG = X86_PTE_PFN_MASK | F._PAGE_PCD | F._PAGE_PWT | F._PAGE_SPECIAL | F._PAGE_ACCESSED | F._PAGE_DIRTY | F._PAGE_SOFT_DIRTY | F._PAGE_DEVMAP | F._PAGE_UFFD_WP;

  const all = (m: Mask): readonly Mask[] => perLevel(n, () => m);
  const flag = (v: boolean): readonly boolean[] => perLevel(n, () => v);

  const hw = {
    valid: all(PRESENT),
    validWhenSet: flag(true),
    // PS selects a leaf at pud/pmd; the PTE is always a leaf; above pud never (zero mask, whenSet true).
    leaf: perLevel(n, (l) => (l === pmd || l === pud ? PSE : ZERO_MASK)),
    leafWhenSet: perLevel(n, (l) => l !== pte),
    write: all(RW),
    writeWhenSet: flag(true),
    read: all(ZERO_MASK),
    readWhenSet: flag(false),
    user: all(USER),
    userWhenSet: flag(true),
    exec: all(NX),
    execWhenSet: flag(false),
    accessed: all(ACCESSED),
    tableRules: flag(true),
    dirty: perLevel(n, (l) => (leafCapable(l) ? DIRTY : ZERO_MASK)),
    // SDM 4.5: PS must be 0 in a PML5E/PML4E; a 2 MiB leaf reserves bits 20:13, a 1 GiB leaf 29:13.
    reservedLeaf: perLevel(n, (l) =>
      l === pmd ? toMask(bitRange(13, 20)) : l === pud ? toMask(bitRange(13, 29)) : l < pud ? PSE : ZERO_MASK,
    ),
    reservedTable: perLevel(n, (l) => (l < pud ? PSE : ZERO_MASK)),
  };

  const hooks: ArchHooks = {
    vaForm: 'sign-extend',
    // _PAGE_BIT_PKEY_BIT0..3: bits 62:59 of a leaf (SDM 4.6.2).
    pkey: { shift: B._PAGE_BIT_PKEY_BIT0, bits: 4 },
    fault: x86FaultHook,
    // pud_pgtable / pmd_page_vaddr / p4d_pgtable: PTE_PFN_MASK (p?d_pfn_mask of a non-PSE entry).
    tableAddrMask: perLevel(n, (l) => (l === pte ? null : PFN)),
    // pfn_pte / pfn_pmd / pfn_pud masks: the frame is aligned to the leaf's size.
    leafFrameMask: perLevel(n, (l) => (leafCapable(l) ? hugeAddr[l]! : null)),
    // CR3 = the PML4 / PML5 address (PCID and PCD/PWT bits not modelled: asids are separate).
    root: PLAIN_ROOT,
    // daxsim's fixed mmap base; Linux's is STACK_TOP - gap - rnd (arch/x86/mm/mmap.c), just
    // below 0x7ffffffff000. Both lie under one PML4 entry of 4-level paging, so no count differs.
    mmapBase: 0x3f00_0000_0000,
    // arch/x86/mm/tlb.c flush_tlb_mm_range: one INVLPG per stride page, or a full flush of the
    // mm when (end - start) >> stride_shift > tlb_single_page_flush_ceiling (33).
    // flush_tlb_range (arch/x86/include/asm/tlbflush.h) strides by PAGE_SHIFT for non-hugetlb
    // VMAs and flush_pmd_tlb_range is flush_tlb_range (include/linux/pgtable.h), so
    // invalidating a DAX PMD flushes the whole mm (512 > 33).
    tlbFlush: { ceiling: 33, pmdStrideIsPmd: false },
    // arch/x86/lib/usercopy_64.c arch_wb_cache_pmem = clean_cache_range: one CLWB per
    // boot_cpu_data.x86_clflush_size (64-byte) line; pmem_wmb() is SFENCE (asm/barrier.h).
    wbCachePmem: { insn: 'clwb', blockBytes: 64, completes: false },
    // Young comes from the pgprot (_PAGE_ACCESSED in PAGE_SHARED / PAGE_READONLY).
    newLeafYoung: false,
    pmdTransHuge: x86PmdTransHuge,
    // arch/x86/mm/dump_pagetables.c ptdump_ranges[0] = {0, PTRS_PER_PGD * PGD_LEVEL_MULT / 2}.
    ptdump: { style: 'x86', userEnd: 'lower-half', levelFlags: null },
    qemuGuest: { la57: n === 5 },
    // native_set_pte stores with no check; pmdp_set_access_flags (arch/x86/mm/pgtable.c) has
    // VM_BUG_ON(address & ~HPAGE_PMD_MASK); __memcpy_flushcache uses movnti.
    setPteAtChecksValid: false,
    pmdpSetAccessFlagsAligned: true,
    memcpyFlushcache: 'movnt',
    // inode_unlock's __up_write is atomic_long_fetch_add_release = arch_atomic64_fetch_add =
    // xadd with LOCK_PREFIX (asm/atomic64_64.h, asm/cmpxchg.h). SDM Vol. 2 CLWB / CLFLUSHOPT:
    // "ordered with respect to fence instructions and to locked read-modify-write
    // instructions"; Vol. 3A 11.3.1: a partly filled WC buffer is written out at the latest on
    // "an execution of a LOCK instruction"; Vol. 3A 8.2.2: writes are not reordered with
    // locked instructions. So write(2)'s clwbs and movntis are complete when it returns.
    unlockCompletesFlushes: true,
    // PAGE_NONE = __pg(___A | ___G) (pgtable_types.h): _PAGE_PROTNONE is _PAGE_GLOBAL with
    // _PAGE_PRESENT clear. pte_modify / pmd_modify (asm/pgtable.h): keep _PAGE_CHG_MASK /
    // _HPAGE_CHG_MASK (the latter keeps _PAGE_PSE, so a PROT_NONE PMD is still pmd_large), add
    // newprot's other bits, then flip_protnone_guard. pte_protnone / pmd_protnone:
    // (flags & (_PAGE_PROTNONE | _PAGE_PRESENT)) == _PAGE_PROTNONE.
    protNone: protNoneHook({
      pageNone: F._PAGE_ACCESSED | F._PAGE_GLOBAL,
      pte,
      pmd,
      keepPte: COMMON_CHG | F._PAGE_PAT,
      keepPmd: COMMON_CHG | F._PAGE_PSE | F._PAGE_PAT_LARGE,
      test: F._PAGE_PROTNONE | F._PAGE_PRESENT,
      value: F._PAGE_PROTNONE,
      whole: false,
      after: flipProtnoneGuard,
    }),
    pmdpInvalidateAdFlushes: false, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
    pmdLeafPreFix: null,
    // pmd_mkinvalid (asm/pgtable.h): clears _PAGE_PRESENT and _PAGE_PROTNONE; pmd_present
    // still holds through _PAGE_PSE, pmd_devmap through _PAGE_DEVMAP.
    // pmd_mkinvalid (asm/pgtable.h): pfn_pmd(pmd_pfn(pmd), flags & ~(_PAGE_PRESENT |
    // _PAGE_PROTNONE)); pfn_pmd's protnone_mask inverts the pfn of the now non-present entry.
    pmdInvalidate: { clear: orMask(F._PAGE_PRESENT, F._PAGE_PROTNONE), set: ZERO_MASK, after: flipProtnoneGuard },
  };

  const DEVMAP_NAME = '_PAGE_DEVMAP';
  const layout: Layout = {
    name,
    description,
    family: 'x86',
    sources: [...X86_SOURCES, ...extraSources],
    endian: 'little',
    pageShift: 12,
    levels,
    pmdLevel: pmd,
    pfn: { shift: 12, mask: X86_PTE_PFN_MASK },
    flags: X86_PTE_FLAGS,
    devmap: DEVMAP_NAME,
    fsDaxLimited: fsDaxLimitedFor(DEVMAP_NAME),
    tableBytes: levels.map((lv) => 8 << lv.bits),
    hw,
    hooks,

    // pgd_none is !pgd_val (no KNL workaround for the root); the others ignore the stray A/D bits.
    isNone: (level, e) => (level === 0 ? zeroExcept(e, ZERO_MASK) : zeroExcept(e, KNL)),
    isPresent: (level, e) =>
      level === pte ? testAny(e, PTE_PRESENT) : level === pmd ? testAny(e, PMD_PRESENT) : testAny(e, PRESENT),
    // pte: every pte maps; pmd_leaf = pmd_large (PSE); pud_leaf = pud_large (PSE and PRESENT); p4d/pgd_large are 0.
    isLeaf: (level, e) => (level === pte ? true : level === pmd ? testAny(e, PSE) : level === pud ? testAll(e, PSE_PRESENT) : false),
    isWrite: (_level, e) => testAny(e, RW),
    isDirty: (_level, e) => testAny(e, DIRTY),
    isYoung: (_level, e) => testAny(e, ACCESSED),
    isDevmap: (level, e) => level >= pud && testAny(e, DEVMAP),
    isSpecial: (level, e) => level === pte && testAny(e, SPECIAL),

    // pte_pfn: PTE_PFN_MASK; pmd_pfn / pud_pfn: pmd_pfn_mask() / pud_pfn_mask(), the huge mask when PSE.
    // (each through protnone_mask: a PROT_NONE entry's pfn is stored inverted).
    leafPfn: (level, e) => pfnOf(e, (level === pmd || level === pud) && testAny(e, PSE) ? hugeAddr[level]! : PFN),
    tableAddress: (_level, e) => fieldValue(e, PFN),

    mkNone: (_level, out) => clearEntry(out), // pte_clear: native_make_pte(0)
    mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
      if (!leafCapable(level)) throw new RangeError(`${name}: no leaf at level ${levels[level]?.name ?? level}`);
      out.lo = 0;
      out.hi = 0;
      // pfn_pte / pfn_pmd / pfn_pud: (pfn << PAGE_SHIFT) masked by the level's pfn mask.
      orAddress(out, pfn * 4096, hugeAddr[level]!);
      setBits(out, PRESENT);
      if (level !== pte) setBits(out, PSE); // pmd_mkhuge / pud_mkhuge
      if (prot.write) setBits(out, RW);
      if (prot.user) setBits(out, USER);
      if (!prot.exec) setBits(out, NX);
      if (prot.dirty) setBits(out, DIRTY_SOFT);
      if (prot.young) setBits(out, ACCESSED);
      if (prot.devmap) setBits(out, level === pte ? PTE_DEVMAP : DEVMAP);
      if (prot.special && level === pte) setBits(out, SPECIAL);
    },
    mkTable(_level: number, tablePhys: number, out: Entry): void {
      out.lo = 0;
      out.hi = 0;
      orAddress(out, tablePhys, PFN);
      setBits(out, TABLE);
    },

    ...bitModifiers({ mkclean: DIRTY, mkdirty: DIRTY_SOFT, wrprotect: RW, mkwrite: RW, mkold: ACCESSED, mkyoung: ACCESSED }),
  };
  return layout;
}

export const x86_64: Layout = buildX86Layout(
  'x86_64',
  'x86-64, 4-level paging (48-bit VA), 4 KiB pages, 2 MiB and 1 GiB leaves',
  X86_64_LEVELS,
);

/** pmd_trans_huge (arch/x86/include/asm/pgtable.h): PSE set and DEVMAP clear; a DAX pmd is never trans_huge. */
const TRANS_HUGE_TEST = orMask(F._PAGE_PSE, F._PAGE_DEVMAP);
const TRANS_HUGE_WANT = toMask(F._PAGE_PSE);
export function x86PmdTransHuge(e: Entry): boolean {
  return testEq(e, TRANS_HUGE_TEST, TRANS_HUGE_WANT);
}

// s390x (z/Architecture) dynamic address translation, 4 KiB pages: the layout with NO devmap
// bit. s390 does not select ARCH_HAS_PTE_DEVMAP (arch/s390/Kconfig), and DCSSBLK selects
// FS_DAX_LIMITED (drivers/s390/block/Kconfig, fs/Kconfig): DAX works without struct pages.
//
// All values: arch/s390/include/asm/pgtable.h (Linux 6.1): _PAGE_* (page-table entries),
// _SEGMENT_ENTRY_* (segment-table entries = pmd), _REGION_ENTRY_* / _REGION{1,2,3}_ENTRY*
// (region-table entries = pgd/p4d/pud), _CRST_ENTRIES 2048 / _PAGE_ENTRIES 256, the shifts
// _REGION1_SHIFT 53, _REGION2_SHIFT 42, _REGION3_SHIFT 31, _SEGMENT_SHIFT 20; PAGE_SHIFT 12
// (arch/s390/include/asm/page.h). Table construction: arch/s390/include/asm/pgalloc.h.
//
// Levels: CONFIG_PGTABLE_LEVELS is 5 (arch/s390/Kconfig), the layout's full shape. A new mm
// starts with a region-third table as its root (init_new_context, asm/mmu_context.h:
// asce_limit _REGION2_SIZE, _ASCE_TYPE_REGION3) and is upgraded to four or five levels
// (crst_table_upgrade, arch/s390/mm/pgalloc.c) when a mapping ends above 4 TiB / 8 PiB; the
// ASCE's designation type tells the hardware at which level the walk starts (hooks.root).
//
// Hardware (z/Architecture Principles of Operation, DAT): entries have an invalid bit (page:
// 0x400, region/segment: 0x20, so "valid" is that bit clear), a DAT-protection bit 0x200 that
// also covers everything below a region/segment entry, an instruction-execution-protection bit
// 0x100, no user/supervisor bit and no referenced/changed bits (those live in the storage key).
// The kernel emulates young/dirty in software: a clean page keeps _PAGE_PROTECT so the first
// store faults, an old page keeps _PAGE_INVALID so the first access faults (pte_mkclean,
// pte_mkdirty, pte_mkold, pte_mkyoung ... below follow those inline functions exactly).
// Large leaves: segment entries with FC (_SEGMENT_ENTRY_LARGE, 1 MiB, EDAT-1) and region-third
// entries with FC (_REGION3_ENTRY_LARGE, 2 GiB, EDAT-2).

import { Access, FaultKind, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt, Level, Mask, RootInfo } from './types.ts';
import {
  clearBits,
  fieldShifted,
  fieldValue,
  fsDaxLimitedFor,
  orAddress,
  orMask,
  perLevel,
  setBits,
  testAny,
  testEq,
  toMask,
  ZERO_MASK,
} from './bits.ts';
import { protNoneHook } from './prot-none.ts';

/** The _PAGE_* PTE flag masks of arch/s390/include/asm/pgtable.h (6.1). */
export const S390_PTE_FLAGS = {
  _PAGE_NOEXEC: 0x100n, // HW no-execute bit
  _PAGE_PROTECT: 0x200n, // HW read-only bit
  _PAGE_INVALID: 0x400n, // HW invalid bit
  _PAGE_LARGE: 0x800n, // bit to mark a large pte
  _PAGE_PRESENT: 0x001n, // SW pte present bit
  _PAGE_YOUNG: 0x004n, // SW pte young bit
  _PAGE_DIRTY: 0x008n, // SW pte dirty bit
  _PAGE_READ: 0x010n, // SW pte read bit
  _PAGE_WRITE: 0x020n, // SW pte write bit
  _PAGE_SPECIAL: 0x040n, // SW associated with special page
  _PAGE_UNUSED: 0x080n, // SW bit for pgste usage state
  _PAGE_SOFT_DIRTY: 0x002n, // CONFIG_MEM_SOFT_DIRTY (0 without)
  _PAGE_SWP_EXCLUSIVE: 0x800n, // _PAGE_LARGE
} as const satisfies Record<string, bigint>;

/** Segment-table entry (pmd) bits, arch/s390/include/asm/pgtable.h (6.1). */
export const S390_SEGMENT_FLAGS = {
  _SEGMENT_ENTRY_BITS: 0xfffffffffffffe33n,
  _SEGMENT_ENTRY_HARDWARE_BITS: 0xfffffffffffffe30n,
  _SEGMENT_ENTRY_HARDWARE_BITS_LARGE: 0xfffffffffff00730n,
  _SEGMENT_ENTRY_ORIGIN_LARGE: 0xfffffffffff00000n, // ~0xfffffUL
  _SEGMENT_ENTRY_ORIGIN: 0xfffffffffffff800n, // ~0x7ffUL
  _SEGMENT_ENTRY_PROTECT: 0x200n,
  _SEGMENT_ENTRY_NOEXEC: 0x100n,
  _SEGMENT_ENTRY_INVALID: 0x20n,
  _SEGMENT_ENTRY_TYPE_MASK: 0x0cn,
  _SEGMENT_ENTRY: 0n,
  _SEGMENT_ENTRY_EMPTY: 0x20n, // _SEGMENT_ENTRY_INVALID
  _SEGMENT_ENTRY_DIRTY: 0x2000n,
  _SEGMENT_ENTRY_YOUNG: 0x1000n,
  _SEGMENT_ENTRY_LARGE: 0x0400n,
  _SEGMENT_ENTRY_WRITE: 0x0002n,
  _SEGMENT_ENTRY_READ: 0x0001n,
  _SEGMENT_ENTRY_SOFT_DIRTY: 0x4000n, // CONFIG_MEM_SOFT_DIRTY
} as const satisfies Record<string, bigint>;

/** Region-table entry (pgd/p4d/pud) bits, arch/s390/include/asm/pgtable.h (6.1). */
export const S390_REGION_FLAGS = {
  _REGION_ENTRY_ORIGIN: 0xfffffffffffff000n, // ~0xfffUL
  _REGION_ENTRY_PROTECT: 0x200n,
  _REGION_ENTRY_NOEXEC: 0x100n,
  _REGION_ENTRY_OFFSET: 0xc0n,
  _REGION_ENTRY_INVALID: 0x20n,
  _REGION_ENTRY_TYPE_MASK: 0x0cn,
  _REGION_ENTRY_TYPE_R1: 0x0cn,
  _REGION_ENTRY_TYPE_R2: 0x08n,
  _REGION_ENTRY_TYPE_R3: 0x04n,
  _REGION_ENTRY_LENGTH: 0x03n,
  _REGION1_ENTRY: 0x0fn, // TYPE_R1 | LENGTH
  _REGION1_ENTRY_EMPTY: 0x2cn, // TYPE_R1 | INVALID
  _REGION2_ENTRY: 0x0bn,
  _REGION2_ENTRY_EMPTY: 0x28n,
  _REGION3_ENTRY: 0x07n,
  _REGION3_ENTRY_EMPTY: 0x24n,
  _REGION3_ENTRY_ORIGIN_LARGE: 0xffffffff80000000n, // ~0x7fffffffUL
  _REGION3_ENTRY_DIRTY: 0x2000n,
  _REGION3_ENTRY_YOUNG: 0x1000n,
  _REGION3_ENTRY_LARGE: 0x0400n,
  _REGION3_ENTRY_READ: 0x0002n,
  _REGION3_ENTRY_WRITE: 0x0001n,
  _REGION3_ENTRY_SOFT_DIRTY: 0x4000n, // CONFIG_MEM_SOFT_DIRTY
  _REGION_ENTRY_BITS: 0xfffffffffffff22fn,
} as const satisfies Record<string, bigint>;

/** Table geometry (pgtable.h). */
export const S390_GEOMETRY = {
  _CRST_ENTRIES: 2048,
  _PAGE_ENTRIES: 256,
  _CRST_TABLE_SIZE: 2048 * 8,
  _PAGE_TABLE_SIZE: 256 * 8,
  _REGION1_SHIFT: 53,
  _REGION2_SHIFT: 42,
  _REGION3_SHIFT: 31,
  _SEGMENT_SHIFT: 20,
  PAGE_SHIFT: 12,
} as const;

const P = S390_PTE_FLAGS;
const S = S390_SEGMENT_FLAGS;
const R = S390_REGION_FLAGS;
const G = S390_GEOMETRY;

export const S390_LEVELS: readonly Level[] = [
  { name: 'pgd', shift: G._REGION1_SHIFT, bits: 11, leaf: false }, // region-first table
  { name: 'p4d', shift: G._REGION2_SHIFT, bits: 11, leaf: false }, // region-second table
  { name: 'pud', shift: G._REGION3_SHIFT, bits: 11, leaf: true }, // region-third table, 2 GiB leaves
  { name: 'pmd', shift: G._SEGMENT_SHIFT, bits: 11, leaf: true }, // segment table, 1 MiB leaves
  { name: 'pte', shift: G.PAGE_SHIFT, bits: 8, leaf: true }, // page table (2 KiB)
];

const PGD = 0;
const PUD = 2;
const PMD = 3;
const PTE = 4;
const N = 5;

/** PAGE_MASK: pte_pfn is pte_val >> PAGE_SHIFT, every bit above 12. */
export const S390_PAGE_MASK = 0xfffffffffffff000n;

/** The bits each level's modifiers and predicates act on (pte_*, pmd_* with _SEGMENT_*, pud_* with _REGION3_*). */
interface LevelBits {
  readonly protect: Mask;
  readonly invalid: Mask;
  readonly noexec: Mask;
  readonly read: Mask;
  readonly write: Mask;
  readonly dirty: Mask;
  readonly dirtySoft: Mask;
  readonly young: Mask;
}

const PTE_BITS: LevelBits = {
  protect: toMask(P._PAGE_PROTECT),
  invalid: toMask(P._PAGE_INVALID),
  noexec: toMask(P._PAGE_NOEXEC),
  read: toMask(P._PAGE_READ),
  write: toMask(P._PAGE_WRITE),
  dirty: toMask(P._PAGE_DIRTY),
  dirtySoft: orMask(P._PAGE_DIRTY, P._PAGE_SOFT_DIRTY),
  young: toMask(P._PAGE_YOUNG),
};
const SEG_BITS: LevelBits = {
  protect: toMask(S._SEGMENT_ENTRY_PROTECT),
  invalid: toMask(S._SEGMENT_ENTRY_INVALID),
  noexec: toMask(S._SEGMENT_ENTRY_NOEXEC),
  read: toMask(S._SEGMENT_ENTRY_READ),
  write: toMask(S._SEGMENT_ENTRY_WRITE),
  dirty: toMask(S._SEGMENT_ENTRY_DIRTY),
  dirtySoft: orMask(S._SEGMENT_ENTRY_DIRTY, S._SEGMENT_ENTRY_SOFT_DIRTY),
  young: toMask(S._SEGMENT_ENTRY_YOUNG),
};
// 6.1 has pud_mkclean/pud_mkdirty/pud_wrprotect/pud_mkwrite but no pud_mkyoung/pud_mkold; young
// and old at the pud are modelled like pmd_mkyoung/pmd_mkold with the _REGION3_ENTRY_* bits.
const R3_BITS: LevelBits = {
  protect: toMask(R._REGION_ENTRY_PROTECT),
  invalid: toMask(R._REGION_ENTRY_INVALID),
  noexec: toMask(R._REGION_ENTRY_NOEXEC),
  read: toMask(R._REGION3_ENTRY_READ),
  write: toMask(R._REGION3_ENTRY_WRITE),
  dirty: toMask(R._REGION3_ENTRY_DIRTY),
  dirtySoft: orMask(R._REGION3_ENTRY_DIRTY, R._REGION3_ENTRY_SOFT_DIRTY),
  young: toMask(R._REGION3_ENTRY_YOUNG),
};
const NO_BITS: LevelBits = {
  protect: ZERO_MASK,
  invalid: ZERO_MASK,
  noexec: ZERO_MASK,
  read: ZERO_MASK,
  write: ZERO_MASK,
  dirty: ZERO_MASK,
  dirtySoft: ZERO_MASK,
  young: ZERO_MASK,
};
const BITS: readonly LevelBits[] = [NO_BITS, NO_BITS, R3_BITS, SEG_BITS, PTE_BITS];

const PRESENT = toMask(P._PAGE_PRESENT);
const SPECIAL = toMask(P._PAGE_SPECIAL);
const SEG_LARGE = toMask(S._SEGMENT_ENTRY_LARGE);
const R3_LARGE = toMask(R._REGION3_ENTRY_LARGE);
const TYPE_MASK = toMask(R._REGION_ENTRY_TYPE_MASK);
const TYPE_R3 = toMask(R._REGION_ENTRY_TYPE_R3);
const REGION_INVALID = toMask(R._REGION_ENTRY_INVALID);
const REGION_ORIGIN = toMask(R._REGION_ENTRY_ORIGIN);
const SEG_ORIGIN = toMask(S._SEGMENT_ENTRY_ORIGIN);
const SEG_ORIGIN_LARGE = toMask(S._SEGMENT_ENTRY_ORIGIN_LARGE);
const R3_ORIGIN_LARGE = toMask(R._REGION3_ENTRY_ORIGIN_LARGE);
const PFN = toMask(S390_PAGE_MASK);

/** The empty entry per level: _REGION1_ENTRY_EMPTY, _REGION2_ENTRY_EMPTY, _REGION3_ENTRY_EMPTY, _SEGMENT_ENTRY_EMPTY, _PAGE_INVALID. */
const EMPTY: readonly Mask[] = [
  toMask(R._REGION1_ENTRY_EMPTY),
  toMask(R._REGION2_ENTRY_EMPTY),
  toMask(R._REGION3_ENTRY_EMPTY),
  toMask(S._SEGMENT_ENTRY_EMPTY),
  toMask(P._PAGE_INVALID),
];
/** What pgd_populate / p4d_populate / pud_populate / pmd_populate OR into the table address (asm/pgalloc.h). */
const TABLE_BITS: readonly Mask[] = [
  toMask(R._REGION1_ENTRY),
  toMask(R._REGION2_ENTRY),
  toMask(R._REGION3_ENTRY),
  toMask(S._SEGMENT_ENTRY),
  ZERO_MASK,
];
const TABLE_ORIGIN: readonly Mask[] = [REGION_ORIGIN, REGION_ORIGIN, REGION_ORIGIN, SEG_ORIGIN, PFN];

function eq(e: Entry, m: Mask): boolean {
  return e.lo === m.lo && e.hi === m.hi;
}

function isLargeAt(level: number, e: Entry): boolean {
  // pmd_large: _SEGMENT_ENTRY_LARGE; pud_large: type R3 and _REGION3_ENTRY_LARGE.
  if (level === PMD) return testAny(e, SEG_LARGE);
  if (level === PUD) return testEq(e, TYPE_MASK, TYPE_R3) && testAny(e, R3_LARGE);
  return false;
}

// The inline modifiers (pgtable.h), written once over the level's bits. They come in two
// shapes, because s390 emulates young and dirty in software: clearing a software bit sets the
// hardware bit that makes the next access fault (pte_mkclean / pte_wrprotect set _PAGE_PROTECT,
// pte_mkold sets _PAGE_INVALID), and setting one lifts that hardware bit only where the other
// software bit allows the access (pte_mkdirty if _PAGE_WRITE, pte_mkwrite if _PAGE_DIRTY,
// pte_mkyoung if _PAGE_READ).
type Bit = keyof LevelBits;
function clearThenFault(clear: Bit, fault: Bit): (level: number, e: Entry) => void {
  return (level, e) => {
    const b = BITS[level]!;
    clearBits(e, b[clear]);
    setBits(e, b[fault]);
  };
}
function setThenAllow(set: Bit, allowedBy: Bit, fault: Bit): (level: number, e: Entry) => void {
  return (level, e) => {
    const b = BITS[level]!;
    setBits(e, b[set]);
    if (testAny(e, b[allowedBy])) clearBits(e, b[fault]);
  };
}
const mkclean = clearThenFault('dirty', 'protect');
const mkdirty = setThenAllow('dirtySoft', 'write', 'protect');
const wrprotect = clearThenFault('write', 'protect');
const mkwrite = setThenAllow('write', 'dirty', 'protect');
const mkold = clearThenFault('young', 'invalid');
const mkyoung = setThenAllow('young', 'read', 'invalid');

/** Program-interruption codes (z/Architecture PoO ch. 6; names as arch/s390/include/asm/kvm_host.h). */
export const PGM = {
  PGM_PROTECTION: 0x04,
  PGM_SEGMENT_TRANSLATION: 0x10,
  PGM_PAGE_TRANSLATION: 0x11,
  PGM_TRANSLATION_SPEC: 0x12,
  PGM_ASCE_TYPE: 0x38,
  PGM_REGION_FIRST_TRANS: 0x39,
  PGM_REGION_SECOND_TRANS: 0x3a,
  PGM_REGION_THIRD_TRANS: 0x3b,
} as const;
/**
 * Translation-exception identification bits below the failing address (arch/s390/mm/fault.c):
 * 0x400 store / 0x800 fetch (store_indication 0xc00), 4 = the TEID is valid on a protection
 * exception (else low-address protection), 0x80 = instruction-execution protection.
 */
export const TEID = { STORE: 0x400, FETCH: 0x800, PROT_VALID: 0x4, IEP: 0x80 } as const;

/** The translation exception an invalid entry raises, counted from the page table up (PoO ch. 3, "Translation Exceptions"). */
const S390_INVALID_FROM_BOTTOM = [
  PGM.PGM_PAGE_TRANSLATION,
  PGM.PGM_SEGMENT_TRANSLATION,
  PGM.PGM_REGION_THIRD_TRANS,
  PGM.PGM_REGION_SECOND_TRANS,
  PGM.PGM_REGION_FIRST_TRANS,
];
/** The program-interruption code per FaultKind, where it does not depend on the level. */
const S390_CODE: Readonly<Record<number, number>> = {
  [FaultKind.Reserved]: PGM.PGM_TRANSLATION_SPEC,
  // PoO: address bits above the range of the ASCE's designation type are not zero.
  [FaultKind.NonCanonical]: PGM.PGM_ASCE_TYPE,
};

/**
 * s390: a protection exception is do_exception(regs, VM_WRITE) (VM_EXEC with the TEID's
 * instruction-execution bit under NX); a translation exception is do_exception(regs,
 * VM_ACCESS_FLAGS), made VM_WRITE when the TEID says store ((teid & 0xc00) == 0x400).
 */
function s390FaultEntry(f: Extract<ArchFault, { isa: 's390' }>): FaultEntry {
  const bits = f.teid % 4096;
  const prot = f.pgm === PGM.PGM_PROTECTION;
  const exec = prot && (bits & TEID.IEP) !== 0;
  return {
    write: !exec && (prot || (bits & (TEID.STORE | TEID.FETCH)) === TEID.STORE),
    exec,
    denied: false,
    bad: null,
  };
}

/** s390 program checks with their TEID bits (arch/s390/mm/fault.c reads them). */
export const s390FaultHook: FaultHook = {
  isa: 's390',
  encode(f, out) {
    // With facility 75 the TEID tells a store from a fetch (fault.c: store_indication 0xc00).
    let teid = f.access === Access.Write ? TEID.STORE : TEID.FETCH;
    if (f.kind === FaultKind.NotPresent) {
      out.code = S390_INVALID_FROM_BOTTOM[f.levelCount - 1 - f.level] ?? PGM.PGM_ASCE_TYPE;
    } else if (S390_CODE[f.kind] !== undefined) {
      out.code = S390_CODE[f.kind]!;
    } else {
      // DAT protection (store to a page whose P bit is set on some level), or instruction-execution protection.
      out.code = PGM.PGM_PROTECTION;
      teid |= TEID.PROT_VALID;
      if (f.access === Access.Exec) teid |= TEID.IEP;
    }
    out.vector = out.code;
    out.teidBits = teid;
  },
  codeNames(c) {
    for (const [name, v] of Object.entries(PGM)) if (v === c.code) return [name];
    return [];
  },
  vectorName: () => 'program-check',
  // TEID = the failing page's address | the identification bits.
  record: (c, vaHi, vaLo) => ({ isa: 's390', pgm: c.code, teid: vaHi * 4294967296 + (vaLo - (vaLo % 4096)) + c.teidBits }),
  detail: (c) => ` teid-bits=0x${c.teidBits.toString(16)}`,
  entry: (f) => s390FaultEntry(ownFault('s390', f)),
};

/** ASCE bits (arch/s390/include/asm/pgtable.h, 6.1). */
export const S390_ASCE = {
  _ASCE_ORIGIN: 0xfffffffffffff000n,
  _ASCE_PRIVATE_SPACE: 0x100,
  _ASCE_ALT_EVENT: 0x80,
  _ASCE_SPACE_SWITCH: 0x40,
  _ASCE_REAL_SPACE: 0x20,
  _ASCE_TYPE_MASK: 0x0c,
  _ASCE_TYPE_REGION1: 0x0c,
  _ASCE_TYPE_REGION2: 0x08,
  _ASCE_TYPE_REGION3: 0x04,
  _ASCE_TYPE_SEGMENT: 0x00,
  _ASCE_TABLE_LENGTH: 0x03,
} as const;
const A = S390_ASCE;
/** _ASCE_USER_BITS (pgtable.h): what init_new_context and crst_table_upgrade OR into a user ASCE. */
export const S390_ASCE_USER_BITS = A._ASCE_SPACE_SWITCH | A._ASCE_PRIVATE_SPACE | A._ASCE_ALT_EVENT;
/** The designation type of an ASCE whose table is at each level (region-first at the root ... segment table). */
const ASCE_TYPE_OF_LEVEL: readonly number[] = [A._ASCE_TYPE_REGION1, A._ASCE_TYPE_REGION2, A._ASCE_TYPE_REGION3, A._ASCE_TYPE_SEGMENT];
/** _REGION2_SIZE, _REGION1_SIZE: the asce_limit of a 3-level and of a 4-level mm. */
export const S390_REGION2_SIZE = 2 ** G._REGION2_SHIFT;
export const S390_REGION1_SIZE = 2 ** G._REGION1_SHIFT;
/**
 * mm->mmap_base of a 64-bit task (arch/s390/mm/mmap.c mmap_base, no PF_RANDOMIZE): PAGE_ALIGN(
 * STACK_TOP - gap), the gap the 8 MiB stack rlimit plus stack_guard_gap raised to its 128 MiB
 * minimum; STACK_TOP = VDSO_LIMIT (_REGION2_SIZE) - vdso_size() - PAGE_SIZE (asm/processor.h),
 * vdso_size() = __VVAR_PAGES (2) + the vdso64 image, taken as 2 pages (build-dependent).
 */
export const S390_MMAP_BASE = S390_REGION2_SIZE - 2 ** 27 - (2 + 2 + 1) * 4096;

const all = (m: Mask): readonly Mask[] => perLevel(N, () => m);
const flag = (v: boolean): readonly boolean[] => perLevel(N, () => v);

const DEVMAP_NAME: string | null = null;

const hooks: ArchHooks = {
  vaForm: 'zero',
  // Storage keys are not modelled.
  pkey: null,
  fault: s390FaultHook,
  tableAddrMask: TABLE_ORIGIN.map((m, l) => (l === PTE ? null : m)),
  // The large origins of _REGION3_ENTRY_LARGE and _SEGMENT_ENTRY_LARGE leaves, PAGE_MASK for a pte.
  leafFrameMask: [null, null, R3_ORIGIN_LARGE, SEG_ORIGIN_LARGE, PFN],
  root: {
    // Region-first, -second, -third ASCEs; segment-table ASCEs are not used for user mms.
    levels: [PGD, 1, PUD],
    // init_new_context / crst_table_upgrade: __pa(table) | _ASCE_TABLE_LENGTH | _ASCE_USER_BITS | type.
    encode(tablePa: number, level: number): number {
      const type = ASCE_TYPE_OF_LEVEL[level];
      if (type === undefined || level > PUD) throw new RangeError(`s390x: no ASCE designates a level-${level} table`);
      return tablePa + (A._ASCE_TABLE_LENGTH | S390_ASCE_USER_BITS | type);
    },
    decode(root: number, out: RootInfo): void {
      const low = root % 4096;
      const level = ASCE_TYPE_OF_LEVEL.indexOf(low & A._ASCE_TYPE_MASK);
      if (level < 0 || level > PUD) throw new RangeError(`s390x: ASCE 0x${root.toString(16)}: a segment-table designation is not modelled`);
      // A table length below 3 (fewer than 2048 region entries) is not modelled either.
      if ((low & A._ASCE_TABLE_LENGTH) !== A._ASCE_TABLE_LENGTH) throw new RangeError(`s390x: ASCE 0x${root.toString(16)}: table length below 3 not modelled`);
      out.table = root - low;
      out.level = level;
    },
    // init_new_context: asce_limit _REGION2_SIZE (3 levels); crst_table_upgrade: 4 levels up
    // to _REGION1_SIZE, 5 above (check_asce_limit upgrades when addr + len > asce_limit).
    levelFor: (end) => (end <= S390_REGION2_SIZE ? PUD : end <= S390_REGION1_SIZE ? 1 : PGD),
  },
  mmapBase: S390_MMAP_BASE,
  // arch/s390/include/asm/tlbflush.h: flush_tlb_page is empty because the page-table update
  // itself invalidates: IPTE for a PTE, IDTE for a segment (pgtable.c ptep_xchg_direct,
  // pmdp_xchg_direct). Modelled as one invalidation per entry, never a whole-mm flush.
  tlbFlush: { ceiling: Infinity, pmdStrideIsPmd: true },
  // s390 has no CONFIG_ARCH_HAS_PMEM_API (arch/s390/Kconfig does not select it), so
  // arch_wb_cache_pmem is the empty inline of include/linux/libnvdimm.h: DCSS memory has no
  // volatile cache in front of it to lose. daxsim's crash model puts a write-back cache in
  // front of every pmem device, so on s390 the write-back is modelled as a CLWB-style line
  // write-back (a stand-in, stated in the README): durability then depends on the page-table
  // logic exactly as on the other arches, which is what an arch comparison asks.
  wbCachePmem: { insn: 'clwb', blockBytes: 64, completes: false },
  // pfn_pte is mk_pte_phys, which ends in pte_mkyoung, and insert_pfn_pmd's pmd_mkhuge sets
  // _SEGMENT_ENTRY_YOUNG (arch/s390/include/asm/pgtable.h): every new leaf is young.
  newLeafYoung: true,
  pmdTransHuge: s390PmdTransHuge,
  // The ASCE type a new mm gets (init_new_context: region-third, 4 TiB; crst_table_upgrade only
  // for mappings above it, arch/s390/mm/pgalloc.c): the dump covers what that table spans, as
  // pt_dump_init's max_addr does for the ASCE type; the levels above it are folded.
  ptdump: { style: 's390', userEnd: 'new-mm-root', levelFlags: [S390_REGION_FLAGS, S390_REGION_FLAGS, S390_REGION_FLAGS, S390_SEGMENT_FLAGS, null] },
  qemuGuest: null,
  setPteAtChecksValid: false,
  pmdpSetAccessFlagsAligned: false,
  memcpyFlushcache: 'cached',
  unlockCompletesFlushes: false, // the write-back above is a stand-in: nothing of the kernel's completes it
  // PAGE_NONE = PRESENT | INVALID | PROTECT (asm/pgtable.h): pte_modify keeps _PAGE_CHG_MASK, ORs in
  // newprot (its fix-ups need READ/WRITE); pmd_modify ORs SEGMENT_NONE into the bits it keeps.
  // pte_protnone: present && !_PAGE_READ; pmd_protnone: large && !_SEGMENT_ENTRY_READ.
  protNone: protNoneHook({
    pageNone: P._PAGE_PRESENT | P._PAGE_INVALID | P._PAGE_PROTECT,
    pmdNone: S._SEGMENT_ENTRY_INVALID | S._SEGMENT_ENTRY_PROTECT,
    pte: PTE,
    pmd: PMD,
    keepPte: S390_PAGE_MASK | P._PAGE_SPECIAL | P._PAGE_DIRTY | P._PAGE_YOUNG | P._PAGE_SOFT_DIRTY,
    keepPmd: S._SEGMENT_ENTRY_ORIGIN_LARGE | S._SEGMENT_ENTRY_DIRTY | S._SEGMENT_ENTRY_YOUNG | S._SEGMENT_ENTRY_LARGE | S._SEGMENT_ENTRY_SOFT_DIRTY,
    test: P._PAGE_PRESENT | P._PAGE_READ,
    value: P._PAGE_PRESENT,
    pmdTest: S._SEGMENT_ENTRY_LARGE | S._SEGMENT_ENTRY_READ,
    pmdValue: S._SEGMENT_ENTRY_LARGE,
    whole: true,
  }),
  pmdpInvalidateAdFlushes: true, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
  pmdLeafPreFix: null, // pmd_leaf is pmd_large
  // s390's own pmdp_invalidate (asm/pgtable.h): pmdp_xchg_direct with _SEGMENT_ENTRY_INVALID
  // set; pmd_present is "not _SEGMENT_ENTRY_EMPTY", so a leaf stays present.
  pmdInvalidate: { clear: ZERO_MASK, set: toMask(S._SEGMENT_ENTRY_INVALID) },
};

export const s390x: Layout = {
  name: 's390x',
  description: 'IBM Z (z/Architecture DAT), 5-level region/segment/page tables, 4 KiB pages, 1 MiB and 2 GiB leaves, no devmap bit',
  family: 's390',
  sources: [
    'arch/s390/include/asm/pgtable.h',
    'arch/s390/include/asm/page.h',
    'arch/s390/include/asm/pgalloc.h',
    'arch/s390/include/asm/mmu_context.h',
  ],
  endian: 'big',
  pageShift: G.PAGE_SHIFT,
  levels: S390_LEVELS,
  pmdLevel: PMD,
  pfn: { shift: G.PAGE_SHIFT, mask: S390_PAGE_MASK },
  flags: S390_PTE_FLAGS,
  devmap: DEVMAP_NAME,
  fsDaxLimited: fsDaxLimitedFor(DEVMAP_NAME),
  // _CRST_TABLE_SIZE (16 KiB) for region and segment tables, _PAGE_TABLE_SIZE (2 KiB) for page tables.
  tableBytes: S390_LEVELS.map((l) => 8 << l.bits),
  hw: {
    valid: perLevel(N, (l) => (l === PTE ? toMask(P._PAGE_INVALID) : REGION_INVALID)),
    validWhenSet: flag(false),
    leaf: perLevel(N, (l) => (l === PMD ? SEG_LARGE : l === PUD ? R3_LARGE : ZERO_MASK)),
    leafWhenSet: perLevel(N, (l) => l !== PTE),
    write: perLevel(N, (l) => (l === PTE ? toMask(P._PAGE_PROTECT) : toMask(R._REGION_ENTRY_PROTECT))),
    writeWhenSet: flag(false),
    read: all(ZERO_MASK),
    readWhenSet: flag(false),
    user: all(ZERO_MASK),
    userWhenSet: flag(false),
    exec: perLevel(N, (l) => (l === PTE ? toMask(P._PAGE_NOEXEC) : toMask(R._REGION_ENTRY_NOEXEC))),
    execWhenSet: flag(false),
    accessed: all(ZERO_MASK),
    dirty: all(ZERO_MASK),
    tableRules: flag(true),
    // The kernel's software bits sit in fields the hardware ignores (ACCF validity off), so no
    // reserved-bit (translation-specification) faults are modelled.
    reservedLeaf: all(ZERO_MASK),
    reservedTable: all(ZERO_MASK),
  },
  hooks,

  isNone(level: number, e: Entry): boolean {
    // pgd_none: the invalid bit; p4d/pud/pmd/pte_none: the exact empty pattern.
    if (level === PGD) return testAny(e, REGION_INVALID);
    return eq(e, EMPTY[level]!);
  },
  isPresent(level: number, e: Entry): boolean {
    if (level === PTE) return testAny(e, PRESENT);
    if (level === PMD) return !eq(e, EMPTY[PMD]!); // pmd_present: != _SEGMENT_ENTRY_EMPTY
    return fieldValue(e, REGION_ORIGIN) !== 0; // p?d_present: an origin
  },
  isLeaf: (level, e) => (level === PTE ? true : isLargeAt(level, e)),
  isWrite: (level, e) => testAny(e, BITS[level]!.write),
  isDirty: (level, e) => testAny(e, BITS[level]!.dirty),
  isYoung: (level, e) => testAny(e, BITS[level]!.young),
  isDevmap: () => false,
  isSpecial: (level, e) => level === PTE && testAny(e, SPECIAL),

  leafPfn(level: number, e: Entry): number {
    // pte_pfn: pte_val >> PAGE_SHIFT; pmd_pfn / pud_pfn: the (large) origin >> PAGE_SHIFT.
    if (level === PTE) return fieldShifted(e, PFN, G.PAGE_SHIFT);
    if (level === PMD) return fieldShifted(e, testAny(e, SEG_LARGE) ? SEG_ORIGIN_LARGE : SEG_ORIGIN, G.PAGE_SHIFT);
    if (level === PUD && isLargeAt(PUD, e)) return fieldShifted(e, R3_ORIGIN_LARGE, G.PAGE_SHIFT);
    return fieldShifted(e, REGION_ORIGIN, G.PAGE_SHIFT);
  },
  tableAddress: (level, e) => fieldValue(e, TABLE_ORIGIN[level]!),

  mkNone(level: number, out: Entry): void {
    const m = EMPTY[level]!;
    out.lo = m.lo;
    out.hi = m.hi;
  },
  mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
    const pa = pfn * 4096;
    out.lo = 0;
    out.hi = 0;
    if (level === PTE) {
      // pfn_pte = mk_pte_phys(pa, pgprot): pa | PAGE_R{O,X,W,WX}, then pte_mkyoung.
      orAddress(out, pa, PFN);
      setBits(out, PRESENT);
      setBits(out, PTE_BITS.read);
      setBits(out, PTE_BITS.invalid);
      setBits(out, PTE_BITS.protect);
      if (prot.write) setBits(out, PTE_BITS.write);
      if (!prot.exec) setBits(out, PTE_BITS.noexec);
      if (prot.special) setBits(out, SPECIAL);
    } else if (level === PMD) {
      // pfn_pmd = mk_pmd_phys(pa, pgprot): pa + SEGMENT_R{O,X,W,WX} (massage_pgprot_pmd), then
      // pmd_mkhuge: _SEGMENT_ENTRY_LARGE | _SEGMENT_ENTRY_YOUNG | _SEGMENT_ENTRY_PROTECT.
      orAddress(out, pa, SEG_ORIGIN_LARGE);
      setBits(out, SEG_BITS.read);
      if (prot.write) setBits(out, SEG_BITS.write); // SEGMENT_RW(X); SEGMENT_RO/RX add PROTECT, which pmd_mkhuge sets anyway
      if (!prot.exec) setBits(out, SEG_BITS.noexec);
      setBits(out, SEG_LARGE);
      setBits(out, SEG_BITS.young);
      setBits(out, SEG_BITS.protect);
    } else if (level === PUD) {
      // The region-third analogue (REGION3_KERNEL's shape): type R3, _REGION3_ENTRY_LARGE.
      orAddress(out, pa, R3_ORIGIN_LARGE);
      setBits(out, TYPE_R3);
      setBits(out, R3_BITS.read);
      if (prot.write) setBits(out, R3_BITS.write);
      if (!prot.exec) setBits(out, R3_BITS.noexec);
      setBits(out, R3_LARGE);
      setBits(out, R3_BITS.young);
      setBits(out, R3_BITS.protect);
    } else {
      throw new RangeError(`s390x: no leaf at level ${S390_LEVELS[level]?.name ?? level}`);
    }
    mkyoung(level, out); // young and readable: the invalid bit goes
    if (prot.dirty) mkdirty(level, out);
    if (!prot.young) mkold(level, out);
    // prot.devmap: s390 has no devmap bit (no ARCH_HAS_PTE_DEVMAP); ignored.
  },
  mkTable(level: number, tablePhys: number, out: Entry): void {
    if (level === PTE) throw new RangeError('s390x: no table below pte');
    out.lo = 0;
    out.hi = 0;
    orAddress(out, tablePhys, TABLE_ORIGIN[level]!);
    setBits(out, TABLE_BITS[level]!);
  },

  mkclean,
  mkdirty,
  wrprotect,
  mkwrite,
  mkold,
  mkyoung,
};

/** pmd_trans_huge (pgtable.h): _SEGMENT_ENTRY_LARGE. */
export function s390PmdTransHuge(e: Entry): boolean {
  return testAny(e, SEG_LARGE);
}

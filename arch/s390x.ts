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
// Levels: CONFIG_PGTABLE_LEVELS is 5 (arch/s390/Kconfig). A new mm starts with a region-third
// table as its root (init_new_context, asm/mmu_context.h: asce_limit _REGION2_SIZE) and is
// upgraded to four or five levels (crst_table_upgrade) when it maps above 4 TiB / 8 PiB. daxsim
// models the full five-level shape, region-first table at the root, so every level exists.
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

import type { Entry, Layout, LeafProt, Level, Mask } from './types.ts';
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

// The inline modifiers (pgtable.h), written once over the level's bits.
function mkclean(level: number, e: Entry): void {
  const b = BITS[level]!;
  clearBits(e, b.dirty);
  setBits(e, b.protect);
}
function mkdirty(level: number, e: Entry): void {
  const b = BITS[level]!;
  setBits(e, b.dirtySoft);
  if (testAny(e, b.write)) clearBits(e, b.protect);
}
function wrprotect(level: number, e: Entry): void {
  const b = BITS[level]!;
  clearBits(e, b.write);
  setBits(e, b.protect);
}
function mkwrite(level: number, e: Entry): void {
  const b = BITS[level]!;
  setBits(e, b.write);
  if (testAny(e, b.dirty)) clearBits(e, b.protect);
}
function mkold(level: number, e: Entry): void {
  const b = BITS[level]!;
  clearBits(e, b.young);
  setBits(e, b.invalid);
}
function mkyoung(level: number, e: Entry): void {
  const b = BITS[level]!;
  setBits(e, b.young);
  if (testAny(e, b.read)) clearBits(e, b.invalid);
}

const all = (m: Mask): readonly Mask[] => perLevel(N, () => m);
const flag = (v: boolean): readonly boolean[] => perLevel(N, () => v);

const DEVMAP_NAME: string | null = null;

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

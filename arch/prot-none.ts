// PROT_NONE entries, the part every arch shares: pte_modify / pmd_modify keep the bits of the
// arch's change mask (_PAGE_CHG_MASK for a PTE, _HPAGE_CHG_MASK for a huge PMD) and take the
// rest from the new pgprot; pte_protnone is a masked comparison. Each arch module gives its
// own masks (cited there) and, where its pte_modify does more (x86's L1TF pfn inversion,
// arm64's and LoongArch's dirty folding, s390's invalid/protect fix-ups), a step before or
// after.

import type { Entry, Mask, ProtNoneHook } from './types.ts';
import { testEq, toMask } from './bits.ts';

/**
 * pte_modify's core on the two 32-bit halves: e = (e & keep) | (set & ~keep), or with `whole`
 * e = (e & keep) | set, for the arches whose pte_modify ORs in all of newprot (powerpc,
 * s390, riscv) rather than only its bits outside the change mask (x86, arm64, LoongArch).
 */
export function keepAndSet(e: Entry, keep: Mask, set: Mask, whole: boolean): void {
  e.lo = ((e.lo & keep.lo) | (whole ? set.lo : set.lo & ~keep.lo)) >>> 0;
  e.hi = ((e.hi & keep.hi) | (whole ? set.hi : set.hi & ~keep.hi)) >>> 0;
}

/** The masks one arch's PROT_NONE encoding is made of. */
export interface ProtNoneSpec {
  /** PAGE_NONE (CPU order). */
  readonly pageNone: bigint;
  /** What pmd_modify ORs in for a huge PMD where it is not PAGE_NONE itself (s390's SEGMENT_NONE). */
  readonly pmdNone?: bigint;
  /** The PTE level's index in the layout's levels, and its PMD level's. */
  readonly pte: number;
  readonly pmd: number;
  /** _PAGE_CHG_MASK: the bits pte_modify keeps (for arm64, the complement of its `mask`). */
  readonly keepPte: bigint;
  /** _HPAGE_CHG_MASK: the bits pmd_modify keeps; keepPte where pmd_modify is pte_modify on the
   * pmd (arm64, riscv: pte_pmd(pte_modify(pmd_pte(pmd), newprot)) in asm/pgtable.h). */
  readonly keepPmd?: bigint;
  /** pte_protnone: (e & test) == value; pmd_protnone the same on the PMD unless given. */
  readonly test: bigint;
  readonly value: bigint;
  readonly pmdTest?: bigint;
  readonly pmdValue?: bigint;
  /** pte_modify ORs in the whole of newprot (see keepAndSet). */
  readonly whole: boolean;
  /** pte_modify's own step before the masking (dirty folding), if any. */
  readonly before?: (level: number, e: Entry) => void;
  /** pte_modify's own step after it (x86's flip_protnone_guard, s390's fix-ups), given the old entry. */
  readonly after?: (level: number, old: Entry, e: Entry) => void;
}

/** The hook of one arch, from its masks. */
export function protNoneHook(s: ProtNoneSpec): ProtNoneHook {
  const keepPte = toMask(s.keepPte);
  const keepPmd = toMask(s.keepPmd ?? s.keepPte);
  const none = toMask(s.pageNone);
  const pmdNone = toMask(s.pmdNone ?? s.pageNone);
  const test = toMask(s.test);
  const value = toMask(s.value);
  const pmdTest = toMask(s.pmdTest ?? s.test);
  const pmdValue = toMask(s.pmdValue ?? s.value);
  const old: Entry = { lo: 0, hi: 0 };
  const modify = (level: number, e: Entry, newprot: Mask): void => {
    old.lo = e.lo;
    old.hi = e.hi;
    s.before?.(level, e);
    keepAndSet(e, level === s.pmd ? keepPmd : keepPte, newprot, s.whole);
    s.after?.(level, old, e);
  };
  return {
    pageNone: s.pageNone,
    chgMask: { pte: s.keepPte, pmd: s.keepPmd ?? s.keepPte },
    mk: (level, e) => modify(level, e, level === s.pmd ? pmdNone : none),
    modify,
    is: (level, e) => (level === s.pmd ? testEq(e, pmdTest, pmdValue) : level === s.pte && testEq(e, test, value)),
  };
}

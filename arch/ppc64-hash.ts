// book3s64 with the hashed page table MMU (POWER7/8, POWER9/10 booted with disable_radix,
// PowerVM LPARs), 64 KiB pages: the ppc64 Linux table of arch/ppc64-radix.ts with what the hash
// MMU changes (Linux 6.1; arch/powerpc/include/asm/book3s/64/hash.h, hash-64k.h,
// arch/powerpc/mm/book3s64/hash_utils.c, hash_64k.c, hash_pgtable.c, hash_tlb.c).
//
// The Linux table is not what the MMU walks. The MMU translates through the SLB and the hashed
// page table (HPT) of HPTEs; the Linux PTE is software state the kernel keeps beside it:
//  - On an HPT miss, hash_page (__hash_page_64K, hash_64k.c) reads the Linux PTE: a store to a
//    PTE without _PAGE_WRITE, or any access to one not present, goes to do_page_fault (the DAX
//    write-protect fault); otherwise it sets H_PAGE_BUSY, _PAGE_ACCESSED and, for a store,
//    _PAGE_DIRTY in software, inserts the HPTE (R set, C set iff dirty) and stores the PTE back
//    with H_PAGE_HASHPTE set and BUSY clear. The model's walker is that refill: it sets
//    _PAGE_ACCESSED | H_PAGE_HASHPTE on the leaf it uses and _PAGE_DIRTY on a store, as radix's
//    R and C; the model's per-CPU TLB stands for the HPT and the TLB (one mm per CPU, and an
//    HPTE is per VSID, that is per mm). BUSY is set and cleared inside one refill, so never seen.
//  - The HPTE's slot (primary/secondary group and index) goes, with 64 KiB pages, into the
//    hidx word in the second half of the 4 KiB PTE fragment (pte_set_hidx returns no PTE bits),
//    and for a 16 MiB PMD into the deposited PTE page: neither is modelled (the PTE table is
//    its 2 KiB of entries, and no PTE page is deposited).
//  - Every kernel change of an entry goes through hpteUpdate below (ArchHooks.hpte, called by
//    the kernel's entry write): where the old entry has H_PAGE_HASHPTE, pte_update (hash__pte_update)
//    calls hpte_need_flush, which without a lazy-MMU batch (page_vma_mkclean_one and the fault
//    paths have none) calls flush_hash_page at once: one HPTE invalidated (tlbie); a PMD leaf's
//    hash__pmd_hugepage_update calls hpte_do_hugepage_flush -> flush_hash_hugepage, which
//    invalidates every HPTE of the slot array (one per hashed 64 KiB subpage; counted here as
//    one flush, as the subpages are not tracked). ptep_set_access_flags only ORs access bits
//    and does not flush ("doesn't need to flush the hash entry", hash.h); set_pte_at over an
//    entry without HASHPTE strips _PAGE_HPTEFLAGS from the new value (set_pte_filter_hash,
//    arch/powerpc/mm/pgtable.c).
//  - flush_tlb_page / flush_tlb_range / flush_pmd_tlb_range are empty on hash
//    (tlbflush-hash.h): the kernel's TLB flush calls are still counted as `tlbFlushes` (they are
//    the generic code's), the invalidations as `hpteFlushes`.
// TASK_SIZE_USER64 is 4 PiB, the default map window 128 TiB (asm/task_size_64.h): mmap_base is
// 128 TiB less the 128 MiB gap.

import { orMask, testEq, toMask, ZERO_MASK } from './bits.ts';
import { buildRadixLayout, PPC64_PAGE_SHIFT, PPC64_RADIX_PTE_FLAGS as F, type HashMmuVariant } from './ppc64-radix.ts';
import type { Entry, HpteHook, Layout } from './types.ts';

/** The hash-only bits of book3s/64/hash-64k.h (6.1, CONFIG_PPC_64K_PAGES). */
export const PPC64_HASH_64K_FLAGS = {
  H_PAGE_COMBO: 1n << 12n, // = _RPAGE_RPN0
  H_PAGE_4K_PFN: 1n << 13n, // = _RPAGE_RPN1
  H_PAGE_BUSY: 1n << 6n, // = _RPAGE_RSV1
  H_PAGE_HASHPTE: 1n << 55n, // = _RPAGE_RPN43
  H_PTE_PKEY_BIT4: 1n << 60n,
  H_PTE_PKEY_BIT3: 1n << 59n,
  H_PTE_PKEY_BIT2: 1n << 58n,
  H_PTE_PKEY_BIT1: 1n << 57n,
  H_PTE_PKEY_BIT0: 1n << 56n,
  H_PAGE_THP_HUGE: 1n << 13n, // = H_PAGE_4K_PFN
  _PAGE_HPTEFLAGS: (1n << 6n) | (1n << 55n) | (1n << 12n), // BUSY | HASHPTE | COMBO
} as const;
const H = PPC64_HASH_64K_FLAGS;

/** HASH_P?D_VAL_BITS (book3s/64/hash.h): the valid bit alone. */
const HASH_VAL_BIT = 0x8000000000000000n;
/** hash__pmd_mkhuge / hash__pmd_mkdevmap (hash-64k.h): _PAGE_PTE | H_PAGE_THP_HUGE (| _PAGE_DEVMAP). */
const HASH_PMD_HUGE = orMask(F._PAGE_PTE, H.H_PAGE_THP_HUGE);
const HASH_TRANS_HUGE_TEST = orMask(F._PAGE_PTE, H.H_PAGE_THP_HUGE, F._PAGE_DEVMAP);

/** hash__pmd_trans_huge (hash-64k.h): _PAGE_PTE and H_PAGE_THP_HUGE, _PAGE_DEVMAP clear: a DAX PMD is not trans_huge. */
export function ppc64HashPmdTransHuge(e: Entry): boolean {
  return testEq(e, HASH_TRANS_HUGE_TEST, HASH_PMD_HUGE);
}

/** The bits hash__ptep_set_access_flags ORs in (hash.h): a change of only these does not flush. All in the low half. */
const ACCESS_FLAGS_LO = Number(F._PAGE_DIRTY | F._PAGE_ACCESSED | F._PAGE_READ | F._PAGE_WRITE | F._PAGE_EXEC | F._PAGE_SOFT_DIRTY);
/** H_PAGE_HASHPTE (bit 55) in the high half; _PAGE_HPTEFLAGS as its two halves. */
const HASHPTE_HI = Number(H.H_PAGE_HASHPTE >> 32n);
/** _PAGE_PRESENT (bit 63, pte_hw_valid) in the high half. */
const PRESENT_HI = Number(F._PAGE_PRESENT >> 32n);
const HPTEFLAGS_LO = Number(H._PAGE_HPTEFLAGS & 0xffffffffn);
const HPTEFLAGS_HI = Number(H._PAGE_HPTEFLAGS >> 32n);

/**
 * What the kernel's entry update does to the HPT (see the header); exported for the tests.
 * On the entry's 32-bit halves: it runs at every kernel entry write, so no BigInt here.
 */
export function hpteUpdate(old: Entry, next: Entry): number {
  // set_pte_at / set_pmd_at: over an entry with no HPTE, or over one the MMU does not translate
  // (_PAGE_PRESENT clear: set_pte_at's VM_WARN_ON allows no other; page_vma_mkclean_one's
  // set_pmd_at after pmdp_invalidate, which flushed the HPTEs already in pmd_hugepage_update).
  // set_pte_filter_hash strips the flags and nothing is flushed. A clear (zap) of such an entry
  // is pte_update / pmd_hugepage_update again and flushes below.
  if ((old.hi & HASHPTE_HI) === 0 || ((old.hi & PRESENT_HI) === 0 && (next.lo !== 0 || next.hi !== 0))) {
    next.lo = (next.lo & ~HPTEFLAGS_LO) >>> 0;
    next.hi = (next.hi & ~HPTEFLAGS_HI) >>> 0;
    return 0;
  }
  // ptep_set_access_flags / pmdp_set_access_flags: old | access bits, no flush
  if (next.hi === old.hi && ((next.lo ^ old.lo) & ~ACCESS_FLAGS_LO) === 0 && ((next.lo & old.lo) >>> 0) === old.lo >>> 0) return 0;
  // pte_update / pmd_hugepage_update with HASHPTE in the old value: hpte_need_flush ->
  // flush_hash_page, or hpte_do_hugepage_flush -> flush_hash_hugepage for a huge PMD
  return 1;
}

const hpte: HpteHook = { update: hpteUpdate };

const HASH: HashMmuVariant = {
  valBits: [toMask(HASH_VAL_BIT), toMask(HASH_VAL_BIT), toMask(HASH_VAL_BIT), ZERO_MASK],
  // H_PTE_NONE_MASK = _PAGE_HPTEFLAGS (hash.h): hash__pte_none ignores them.
  pteNoneMask: toMask(H._PAGE_HPTEFLAGS),
  pmdHuge: HASH_PMD_HUGE,
  // flush_tlb_range / flush_pmd_tlb_range are empty (tlbflush-hash.h); the HPTEs are
  // invalidated at the entry update (hpte above). The model's TLB, standing for HPT and TLB,
  // is dropped page by page where the kernel calls the (empty) flush, never a whole-mm flush.
  tlbFlush: { ceiling: Infinity, pmdStrideIsPmd: false },
  pmdTransHuge: ppc64HashPmdTransHuge,
  flags: PPC64_HASH_64K_FLAGS,
  header: 'hash.h',
  refillSets: H.H_PAGE_HASHPTE,
  hpte,
};

export const ppc64Hash: Layout = buildRadixLayout({
  name: 'ppc64-hash',
  description: 'POWER book3s64 hashed page table, 64 KiB pages, 16 MiB PMD and 16 GiB PUD leaves, big-endian entries',
  hash: HASH,
  pageShift: PPC64_PAGE_SHIFT,
  ix: { RADIX_PTE_INDEX_SIZE: 8, RADIX_PMD_INDEX_SIZE: 10, RADIX_PUD_INDEX_SIZE: 10, RADIX_PGD_INDEX_SIZE: 8 },
  indexHeader: 'hash-64k.h',
  chgMask: { pte: 0x409fffffffff1fc0n, pmd: 0x409fffffffff3bc0n },
  mmapBase: 2 ** 47 - 2 ** 27,
});

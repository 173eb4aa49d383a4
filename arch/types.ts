// The shape every page-table layout in arch/ provides. Data first: the kernel's own flag
// names and masks, the level geometry, the pfn field and the byte order; then tiny
// accessors built from that data, which the MMU and the kernel model call instead of raw masks.
//
// Entries are 64-bit values handled as two unsigned 32-bit halves (`lo`, `hi`) of the
// CPU-order value, so the hot paths never need BigInt. Byte order is applied only when an
// entry is loaded from or stored to physical memory (src/mem).

import type { FaultHook } from './fault.ts';

export type Endian = 'little' | 'big';

/** The kernel's names for the page-table levels, root first (include/linux/pgtable.h). */
export type LevelName = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';

export interface Level {
  readonly name: LevelName;
  /** Shift of the virtual-address bits that index this level (PGDIR_SHIFT, P4D_SHIFT, ...). */
  readonly shift: number;
  /** Width of the index (log2 of PTRS_PER_xxx). */
  readonly bits: number;
  /** The hardware accepts a leaf (huge page) at this level. Always true for the last level. */
  readonly leaf: boolean;
}

/** A 64-bit page-table entry as two uint32 halves of its CPU-order value. */
export interface Entry {
  lo: number;
  hi: number;
}

/** A 64-bit mask as uint32 halves, precomputed from a bigint flag value. */
export interface Mask {
  readonly lo: number;
  readonly hi: number;
}

/** What a new leaf entry should grant; mirrors the pgprot bits the kernel builds from vm_flags. */
export interface LeafProt {
  write: boolean;
  user: boolean;
  exec: boolean;
  dirty: boolean;
  young: boolean;
  /** pte_mkdevmap / pmd_mkdevmap: only honoured where the layout has a devmap bit. */
  devmap: boolean;
  /** pte_mkspecial: a pfn with no struct page (VM_MIXEDMAP without devmap). */
  special: boolean;
}

/**
 * How the hardware page walker reads entries of this layout. Every rule is a mask and a
 * polarity, given per level (index 0 = root), so the walker is a loop over typed data and
 * layouts whose levels differ (s390 region/segment/page entries) need no special code.
 * A rule "holds" for entry e at level l when ((e & mask[l]) != 0) === whenSet[l].
 */
export interface HardwareRules {
  /** The entry is valid for translation (x86 _PAGE_PRESENT; s390 the invalid bit clear). */
  readonly valid: readonly Mask[];
  readonly validWhenSet: readonly boolean[];
  /** The entry is a leaf (x86 _PAGE_PSE at pmd/pud; radix _PAGE_PTE). The last level is always a leaf: give a zero mask with whenSet false there. */
  readonly leaf: readonly Mask[];
  readonly leafWhenSet: readonly boolean[];
  /** Stores allowed (x86 _PAGE_RW, checked on every level; s390 _PAGE_PROTECT clear). */
  readonly write: readonly Mask[];
  readonly writeWhenSet: readonly boolean[];
  /** Loads allowed; a zero mask with whenSet false where every valid entry is readable. */
  readonly read: readonly Mask[];
  readonly readWhenSet: readonly boolean[];
  /** User-mode access allowed (x86 _PAGE_USER on every level; radix _PAGE_PRIVILEGED clear). */
  readonly user: readonly Mask[];
  readonly userWhenSet: readonly boolean[];
  /** Instruction fetch allowed (x86 _PAGE_NX clear; radix _PAGE_EXEC set). */
  readonly exec: readonly Mask[];
  readonly execWhenSet: readonly boolean[];
  /** Set by the hardware walker on each level where the mask is non-zero (x86: every level walked; radix: the leaf R bit; s390: none). */
  readonly accessed: readonly Mask[];
  /** Set by hardware on a leaf when a store goes through it; zero mask where the hardware has no change bit (s390). */
  readonly dirty: readonly Mask[];
  /**
   * Whether the write/read/user/exec and accessed rules also apply to a non-leaf (table)
   * entry at each level. x86: true (R/W, U/S, XD and A exist in every paging-structure entry);
   * s390: true (the DAT-protection and IEP bits of region/segment entries cover everything
   * below). Radix: false, a PDE holds only V, NLB and NLS (its NLS field overlaps the EAA
   * bits), so permissions and R are read from the leaf alone.
   */
  readonly tableRules: readonly boolean[];
  /** Bits that must be zero in a valid leaf / table entry at each level (x86 RSVD faults). */
  readonly reservedLeaf: readonly Mask[];
  readonly reservedTable: readonly Mask[];
}

/** The table and level a root register designates (ArchHooks.root.decode). */
export interface RootInfo {
  /** Physical address of the root table. */
  table: number;
  /** Its level index in Layout.levels (0 unless the arch designates shorter trees: s390's ASCE types). */
  level: number;
}

/**
 * Every decision that differs between architectures, under fixed names, as Linux has its
 * arch/<x>/ hooks with fixed names. The MMU (src/mmu) reads these and never the layout's name
 * or family, and neither does the kernel model (src/kernel: the TLB flush policy, new leaves'
 * young bit, pmd_trans_huge), the cache (arch_wb_cache_pmem) or the reports (ptdump).
 */
export interface ArchHooks {
  /**
   * The virtual-address form: 'sign-extend' where every bit above the root's range must
   * equal its top bit (x86 canonical addresses, SDM Vol. 1 3.3.7.1), 'zero' where they must be
   * zero (radix quadrant 0, Power ISA Book III 6.7.10; s390 bits beyond the ASCE's designation
   * type, PoO "ASCE-type exception"). The range is the root level's shift + bits.
   */
  readonly vaForm: 'sign-extend' | 'zero';
  /** Protection keys in leaf entries (x86 PKRU, SDM 4.6.2): the key field's bit position and width; null where not modelled. */
  readonly pkey: { readonly shift: number; readonly bits: number } | null;
  /** The fault encoding (x86 error code, DSISR/SRR1, s390 program-interruption code). */
  readonly fault: FaultHook;
  /** Per level: the entry bits that form the next table's address (what tableAddress reads); null at the last level. */
  readonly tableAddrMask: readonly (Mask | null)[];
  /** Per level: the entry bits that form a leaf's frame address, aligned to the leaf's size; null where no leaf. */
  readonly leafFrameMask: readonly (Mask | null)[];
  /** The root register (x86 CR3, radix the PID's process-table entry, s390 the ASCE). */
  readonly root: {
    /** Levels a root can designate, as indexes into Layout.levels (x86 and radix: [0]; s390 the ASCE types). */
    readonly levels: readonly number[];
    /** The register value for the table at tablePa of `level`. */
    encode(tablePa: number, level: number): number;
    /** The table and level of a register value; throws RangeError for a value the model cannot load. */
    decode(root: number, out: RootInfo): void;
    /**
     * The level of the root the kernel gives an mm whose mappings end at or below `end`
     * (exclusive end address; 0 for a new mm): s390 init_new_context and crst_table_upgrade.
     */
    levelFor(end: number): number;
  };
  /** mm->mmap_base of a 64-bit task without randomization: where top-down mmap searches start. */
  readonly mmapBase: number;
  /** flush_tlb_mm_range / flush_pmd_tlb_range as this arch implements them (src/kernel/tlbflush.ts). */
  readonly tlbFlush: TlbFlushHook;
  /** arch_wb_cache_pmem (src/cache/arch-pmem.ts); null where it is the empty inline of include/linux/libnvdimm.h. */
  readonly wbCachePmem: PmemWritebackHook | null;
  /** Every new leaf is young whatever its pgprot says (s390: mk_pte_phys ends in pte_mkyoung). */
  readonly newLeafYoung: boolean;
  /** pmd_trans_huge of a PMD entry; null where the arch has none (treated as any PMD leaf). */
  readonly pmdTransHuge: ((e: Entry) => boolean) | null;
  /** How ptdump prints this layout (src/report/kernel-ptdump.ts, ptdump.ts, vtop.ts). */
  readonly ptdump: PtdumpHook;
  /** The hashed page table's bookkeeping at each kernel entry update (book3s64 hash, arch/ppc64-hash.ts); absent where the MMU walks the table itself. */
  readonly hpte?: HpteHook;
  /** The QEMU guest of `daxsim verify` boots this layout (Debian's x86_64 kernel); null: no guest. */
  readonly qemuGuest: { readonly la57: boolean } | null;
  /** set_pte_at refuses (VM_WARN_ON) to overwrite a valid entry: powerpc's arch/powerpc/mm/pgtable.c set_pte_at. */
  readonly setPteAtChecksValid: boolean;
  /** pmdp_set_access_flags has VM_BUG_ON(address & ~HPAGE_PMD_MASK): x86's and the generic one of mm/pgtable-generic.c. */
  readonly pmdpSetAccessFlagsAligned: boolean;
  /** memcpy_flushcache: x86's non-temporal stores (arch/x86/lib/usercopy_64.c), or a cached copy then arch_wb_cache_pmem. */
  readonly memcpyFlushcache: 'movnt' | 'cached';
  /**
   * The release of i_rwsem that ends write(2) (inode_unlock -> up_write ->
   * atomic_long_fetch_add_release, kernel/locking/rwsem.c __up_write) completes the CPU's
   * earlier write-backs and write-combining stores as its pmem_wmb() would: x86's LOCK XADD.
   * false: the release is weaker than that fence, and the copy's flushes wait for the writing
   * CPU's next fence (unless the flush loop completes itself: PmemWritebackHook.completes).
   * src/kernel/rw.ts applies it; README "Cross-CPU write(2) durability".
   */
  readonly unlockCompletesFlushes: boolean;
  /**
   * pmdp_invalidate of a PMD leaf (mm/pgtable-generic.c: pmdp_establish(pmd_mkinvalid(*pmdp)),
   * or the arch's own): the value left in the slot, the old one with `clear` cleared and `set`
   * set, which the MMU no longer translates but pmd_present (and pmd_devmap) still accept.
   * page_vma_mkclean_one keeps it there between invalidating and setting the clean value
   * (src/kernel/mkclean.ts), what a racing MADV_DONTNEED reads (024eee0e83f0). `after`: the
   * arch's own step once the bits are changed (x86's pmd_mkinvalid goes through pfn_pmd, whose
   * protnone_mask stores the pfn of a non-present entry inverted: flip_protnone_guard).
   */
  readonly pmdInvalidate: { readonly clear: Mask; readonly set: Mask; readonly after?: (level: number, old: Entry, e: Entry) => void };
  /**
   * pmdp_invalidate_ad (change_huge_pmd) flushes the PMD's TLB entries: the generic one is
   * pmdp_invalidate, which does (mm/pgtable-generic.c); x86's own (__HAVE_ARCH_PMDP_INVALIDATE_AD,
   * arch/x86/mm/pgtable.c) does not, "once an invalid PTE is established, the PTE's access and
   * dirty bits cannot be updated".
   */
  readonly pmdpInvalidateAdFlushes: boolean;
  /** PROT_NONE as this arch's pte_modify / pmd_modify with PAGE_NONE encodes it (mprotect, src/kernel/mprotect.ts). */
  readonly protNone: ProtNoneHook;
  /**
   * pmd_leaf as it was before a fix that made it see PROT_NONE huge PMDs, for the bug library's
   * replay; null where the arch's pmd_leaf never missed them. arm64 before 23bc8f69f0ec
   * ("arm64: mm: fix p?d_leaf()"): pmd_sect, false once PTE_VALID is clear.
   */
  readonly pmdLeafPreFix: ((e: Entry) => boolean) | null;
}

/**
 * mprotect(PROT_NONE) on this arch: vm_get_page_prot of a VMA without VM_READ | VM_WRITE |
 * VM_EXEC is PAGE_NONE, and change_protection rewrites every present leaf with pte_modify /
 * pmd_modify (the bits of _PAGE_CHG_MASK / _HPAGE_CHG_MASK kept, the rest from PAGE_NONE).
 * The result faults in hardware (not valid, or privileged on powerpc) yet pte_present /
 * pmd_present still hold, and pte_protnone / pmd_protnone tell it apart.
 */
export interface ProtNoneHook {
  /** PAGE_NONE's value (CPU order), as the 6.1 headers compute it. */
  readonly pageNone: bigint;
  /** The bits pte_modify keeps (_PAGE_CHG_MASK) and pmd_modify keeps (_HPAGE_CHG_MASK), CPU order. */
  readonly chgMask: { readonly pte: bigint; readonly pmd: bigint };
  /** pte_modify (PTE level) / pmd_modify (a huge PMD) of a present leaf with PAGE_NONE, in place. */
  mk(level: number, e: Entry): void;
  /**
   * pte_modify / pmd_modify of a leaf with another pgprot, given as the leaf `newprot` that
   * pgprot would build (the bits outside the change mask are taken from it), in place: how
   * mprotect makes a PROT_NONE leaf accessible again.
   */
  modify(level: number, e: Entry, newprot: Entry): void;
  /** pte_protnone / pmd_protnone (the CONFIG_NUMA_BALANCING helpers; every modelled arch has them). */
  is(level: number, e: Entry): boolean;
}

/**
 * What the kernel does to the hashed page table when it changes a Linux page-table entry
 * (book3s64 hash: hash__pte_update's hpte_need_flush, hash__pmd_hugepage_update's
 * hpte_do_hugepage_flush, set_pte_filter_hash).
 */
export interface HpteHook {
  /** The entry changes from `old` to `next`, which it may rewrite (set_pte_at strips the HPTE flags); returns the HPTE flushes issued. */
  update(old: Entry, next: Entry): number;
}

/** The TLB flush of a range (flush_tlb_mm_range and its per-arch equivalents). */
export interface TlbFlushHook {
  /** Above this many stride pages a range flush becomes a flush of the whole mm; Infinity: never. */
  readonly ceiling: number;
  /** A PMD range is flushed with the PMD page size as stride (one invalidation), or with PAGE_SIZE. */
  readonly pmdStrideIsPmd: boolean;
}

/** arch_wb_cache_pmem: one write-back instruction per block of the range, and whether it completes them itself. */
export interface PmemWritebackHook {
  /** The instruction's model in the cache (src/cache/pmem-cache.ts wbRange). */
  readonly insn: 'clwb';
  /** Bytes one instruction writes back (x86 clflush size 64; POWER's L1 d-cache block 128). */
  readonly blockBytes: number;
  /** The loop ends in a barrier that completes its write-backs on that CPU (arm64's
   * dcache_by_line_op ends in `dsb sy`); false: they complete at the CPU's next fence. */
  readonly completes: boolean;
}

/** ptdump's formatter, the user range it walks, and its flag columns. */
export interface PtdumpHook {
  /** The kernel's ptdump flavour (arch/x86/mm/dump_pagetables.c, arch/powerpc/mm/ptdump, arch/s390/mm/dump_pagetables.c, arch/arm64/mm/ptdump.c). */
  readonly style: 'x86' | 'power' | 's390' | 'arm64' | 'generic';
  /** End of the user range walked: the lower half of the root's span, its whole span, or the span of the root a new mm gets. */
  readonly userEnd: 'lower-half' | 'top-span' | 'new-mm-root';
  /** Flag names per level where a level's entries use other names than `Layout.flags` (s390 region and segment entries). */
  readonly levelFlags: readonly (Readonly<Record<string, bigint>> | null)[] | null;
}

export interface Layout {
  /** The name users pass to --arch. */
  readonly name: string;
  /** One line: what this layout is. */
  readonly description: string;
  /** The kernel's arch directory (arch/x86, arch/powerpc, arch/s390, ...); descriptive only: decisions read `hooks`. */
  readonly family: 'x86' | 'ppc64' | 's390' | 'arm64' | 'riscv' | 'loongarch';
  /** The kernel headers the tables come from (Linux 6.1). */
  readonly sources: readonly string[];
  readonly endian: Endian;
  /** PAGE_SHIFT. */
  readonly pageShift: number;
  /** Levels from the root down; the last is the PTE level. */
  readonly levels: readonly Level[];
  /** Index of the PMD level in `levels`. */
  readonly pmdLevel: number;
  /** The pfn field of a PTE: (entry & mask) >> shift. */
  readonly pfn: { readonly shift: number; readonly mask: bigint };
  /** The PTE flag masks under the kernel's own macro names, CPU-order values. */
  readonly flags: Readonly<Record<string, bigint>>;
  /** The macro name of the devmap bit, or null where the layout has none. */
  readonly devmap: string | null;
  /** Derived, never set: CONFIG_FS_DAX_LIMITED arises exactly where there is no devmap bit. */
  readonly fsDaxLimited: boolean;
  /** Bytes of a page-table page at each level (PTRS_PER_xxx * 8). */
  readonly tableBytes: readonly number[];
  readonly hw: HardwareRules;
  readonly hooks: ArchHooks;

  // -- predicates, all without allocation --------------------------------------------
  /** pte_none / pmd_none ...: the entry is all zero (or the arch's empty pattern). */
  isNone(level: number, e: Entry): boolean;
  /** pte_present / pmd_present. */
  isPresent(level: number, e: Entry): boolean;
  /** The entry maps memory at this level (pte, pmd_leaf/pmd_huge, pud_leaf). */
  isLeaf(level: number, e: Entry): boolean;
  isWrite(level: number, e: Entry): boolean;
  isDirty(level: number, e: Entry): boolean;
  isYoung(level: number, e: Entry): boolean;
  isDevmap(level: number, e: Entry): boolean;
  isSpecial(level: number, e: Entry): boolean;

  // -- fields -----------------------------------------------------------------------
  /** The pfn a leaf maps (for a huge leaf, its first pfn). */
  leafPfn(level: number, e: Entry): number;
  /** The physical address of the next-level table a non-leaf entry points to. */
  tableAddress(level: number, e: Entry): number;

  // -- constructors, writing into `out` ---------------------------------------------
  /**
   * The empty entry pte_clear / pmd_clear / p?d_clear write and a new table is filled with:
   * all zero on x86 and radix; s390's invalid patterns (_PAGE_INVALID, _SEGMENT_ENTRY_EMPTY,
   * _REGION*_ENTRY_EMPTY). isNone(level, e) must hold for it.
   */
  mkNone(level: number, out: Entry): void;
  mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void;
  mkTable(level: number, tablePhys: number, out: Entry): void;

  // -- modifiers, in place (pte_mkclean, pte_wrprotect, ... and their pmd forms) ------
  mkclean(level: number, e: Entry): void;
  mkdirty(level: number, e: Entry): void;
  wrprotect(level: number, e: Entry): void;
  mkwrite(level: number, e: Entry): void;
  mkold(level: number, e: Entry): void;
  mkyoung(level: number, e: Entry): void;
}

// PowerPC book3s64, radix MMU, 64 KiB base pages (CONFIG_PPC_64K_PAGES, as distributions ship it).
//
// Flag values: arch/powerpc/include/asm/book3s/64/pgtable.h (Linux 6.1; the bits common to hash
// and radix, and the radix reading of them). _PAGE_SWP_SOFT_DIRTY / _PAGE_SWP_EXCLUSIVE also there.
// Geometry: arch/powerpc/include/asm/book3s/64/radix-64k.h (RADIX_{PTE,PMD,PUD,PGD}_INDEX_SIZE
// 5/9/9/13) and radix.h (RADIX_PMD_SHIFT = PAGE_SHIFT + 5 = 21, RADIX_PUD_SHIFT 30,
// RADIX_PGD_SHIFT 39); PAGE_SHIFT = CONFIG_PPC_PAGE_SHIFT (arch/powerpc/include/asm/page.h), 16 with CONFIG_PPC_64K_PAGES (arch/powerpc/Kconfig).
// P4D is folded (asm-generic/pgtable-nop4d.h, included by book3s/64/pgtable.h).
// Non-leaf entries: RADIX_{PMD,PUD,PGD}_VAL_BITS (radix.h) = valid | NLS, ORed with the table's
// physical address by pmd_populate / pud_populate / p4d_populate (book3s/64/pgalloc.h);
// the table address is read back with ~P?D_MASKED_BITS (book3s/64/pgtable.h).
// Entries are big-endian in memory: the kernel keeps them as __be64 (pte_raw / cpu_to_be64).
// Hardware rules: Power ISA v3.0B Book III, radix tree translation: a PDE is V | NLB | NLS, a
// PTE is V | L | RPN | R | C | ATT | EAA (privileged, read, write, execute); R and C are set
// by the hardware on the leaf.
// The hashed page table MMU's layout (ppc64-hash) is this one with the variant arch/ppc64-hash.ts
// gives buildRadixLayout.

import { Access, bitNames, Cause, FaultKind, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt, Level, Mask } from './types.ts';
import {
  bitRange,
  clearBits,
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
import { protNoneHook } from './prot-none.ts';

/** The _PAGE_* / _RPAGE_* PTE flag masks of arch/powerpc/include/asm/book3s/64/pgtable.h (6.1). */
export const PPC64_RADIX_PTE_FLAGS = {
  _PAGE_EXEC: 0x00001n,
  _PAGE_WRITE: 0x00002n,
  _PAGE_READ: 0x00004n,
  _PAGE_RW: 0x00006n, // _PAGE_READ | _PAGE_WRITE
  _PAGE_RWX: 0x00007n, // _PAGE_READ | _PAGE_WRITE | _PAGE_EXEC
  _PAGE_PRIVILEGED: 0x00008n,
  _PAGE_SAO: 0x00010n,
  _PAGE_NON_IDEMPOTENT: 0x00020n,
  _PAGE_TOLERANT: 0x00030n,
  _PAGE_DIRTY: 0x00080n,
  _PAGE_ACCESSED: 0x00100n,
  _RPAGE_SW0: 0x2000000000000000n,
  _RPAGE_SW1: 0x00800n,
  _RPAGE_SW2: 0x00400n,
  _RPAGE_SW3: 0x00200n,
  _RPAGE_RSV1: 0x00040n,
  _RPAGE_PKEY_BIT4: 0x1000000000000000n,
  _RPAGE_PKEY_BIT3: 0x0800000000000000n,
  _RPAGE_PKEY_BIT2: 0x0400000000000000n,
  _RPAGE_PKEY_BIT1: 0x0200000000000000n,
  _RPAGE_PKEY_BIT0: 0x0100000000000000n,
  _PAGE_PTE: 0x4000000000000000n,
  _PAGE_PRESENT: 0x8000000000000000n,
  _PAGE_INVALID: 0x2000000000000000n, // _RPAGE_SW0
  _RPAGE_RPN0: 0x01000n,
  _RPAGE_RPN1: 0x02000n,
  _RPAGE_RPN43: 0x0080000000000000n,
  _RPAGE_RPN42: 0x0040000000000000n,
  _RPAGE_RPN41: 0x0020000000000000n,
  _PAGE_SOFT_DIRTY: 0x00200n, // _RPAGE_SW3
  _PAGE_SPECIAL: 0x00400n, // _RPAGE_SW2
  _PAGE_DEVMAP: 0x00800n, // _RPAGE_SW1
  _PAGE_NO_CACHE: 0x00030n, // _PAGE_TOLERANT
  _PAGE_SWP_SOFT_DIRTY: 0x00200n, // _PAGE_SOFT_DIRTY (CONFIG_MEM_SOFT_DIRTY)
  _PAGE_SWP_EXCLUSIVE: 0x00020n, // _PAGE_NON_IDEMPOTENT
} as const satisfies Record<string, bigint>;

const F = PPC64_RADIX_PTE_FLAGS;

export const PPC64_PAGE_SHIFT = 16;
/** POWER L1 d-cache block (l1_dcache_bytes() on POWER8/9/10): what one dcbstps writes back. */
export const PPC64_DCACHE_BYTES = 128;
/** _PAGE_PA_MAX (book3s/64/pgtable.h): the highest physical address bit Linux uses. */
export const PPC64_PAGE_PA_MAX = 53;
/** PTE_RPN_MASK = ((1UL << _PAGE_PA_MAX) - 1) & PAGE_MASK (book3s/64/pgtable.h). */
export const PPC64_PTE_RPN_MASK = bitRange(PPC64_PAGE_SHIFT, PPC64_PAGE_PA_MAX - 1);
/** P{MD,UD,4D}_MASKED_BITS (book3s/64/pgtable.h): pud_pgtable / p4d_pgtable strip these to get the table address. */
export const PPC64_PMD_MASKED_BITS = 0xc0000000000000ffn;
/** RADIX_PTE_NONE_MASK (radix.h): an empty PTE can still have an R or C writeback. */
export const PPC64_RADIX_PTE_NONE_MASK = F._PAGE_DIRTY | F._PAGE_ACCESSED;
/** RADIX_PMD_BAD_BITS / RADIX_PUD_BAD_BITS / RADIX_P4D_BAD_BITS (radix.h). */
export const PPC64_RADIX_PMD_BAD_BITS = 0x60000000000000e0n;

interface RadixIndexSize {
  readonly RADIX_PTE_INDEX_SIZE: number;
  readonly RADIX_PMD_INDEX_SIZE: number;
  readonly RADIX_PUD_INDEX_SIZE: number;
  readonly RADIX_PGD_INDEX_SIZE: number;
}
/** radix-64k.h index sizes. */
export const RADIX_64K_INDEX_SIZE = { RADIX_PTE_INDEX_SIZE: 5, RADIX_PMD_INDEX_SIZE: 9, RADIX_PUD_INDEX_SIZE: 9, RADIX_PGD_INDEX_SIZE: 13 } as const;
/** radix-4k.h index sizes (CONFIG_PPC_4K_PAGES). */
export const RADIX_4K_INDEX_SIZE = { RADIX_PTE_INDEX_SIZE: 9, RADIX_PMD_INDEX_SIZE: 9, RADIX_PUD_INDEX_SIZE: 9, RADIX_PGD_INDEX_SIZE: 13 } as const;
const IX = RADIX_64K_INDEX_SIZE;

/** RADIX_{PMD,PUD,PGD}_VAL_BITS (radix.h): the valid bit and the next level's index size (NLS). */
function radixValBits(ix: RadixIndexSize): { readonly RADIX_PMD_VAL_BITS: bigint; readonly RADIX_PUD_VAL_BITS: bigint; readonly RADIX_PGD_VAL_BITS: bigint } {
  return {
    RADIX_PMD_VAL_BITS: 0x8000000000000000n | BigInt(ix.RADIX_PTE_INDEX_SIZE),
    RADIX_PUD_VAL_BITS: 0x8000000000000000n | BigInt(ix.RADIX_PMD_INDEX_SIZE),
    RADIX_PGD_VAL_BITS: 0x8000000000000000n | BigInt(ix.RADIX_PUD_INDEX_SIZE),
  };
}
export const RADIX_VAL_BITS = radixValBits(IX);

/** The radix levels for one base page size (radix.h RADIX_P?D_SHIFT from the index sizes). */
function radixLevels(pageShift: number, ix: RadixIndexSize): readonly Level[] {
  return [
    { name: 'pgd', shift: pageShift + ix.RADIX_PTE_INDEX_SIZE + ix.RADIX_PMD_INDEX_SIZE + ix.RADIX_PUD_INDEX_SIZE, bits: ix.RADIX_PGD_INDEX_SIZE, leaf: false },
    { name: 'pud', shift: pageShift + ix.RADIX_PTE_INDEX_SIZE + ix.RADIX_PMD_INDEX_SIZE, bits: ix.RADIX_PUD_INDEX_SIZE, leaf: true },
    { name: 'pmd', shift: pageShift + ix.RADIX_PTE_INDEX_SIZE, bits: ix.RADIX_PMD_INDEX_SIZE, leaf: true },
    { name: 'pte', shift: pageShift, bits: ix.RADIX_PTE_INDEX_SIZE, leaf: true },
  ];
}

export const PPC64_RADIX_LEVELS: readonly Level[] = radixLevels(PPC64_PAGE_SHIFT, IX);

const PGD = 0;
const PUD = 1;
const PMD = 2;
const PTE = 3;
const N = 4;

const PRESENT = toMask(F._PAGE_PRESENT);
const PTE_BIT = toMask(F._PAGE_PTE);
const READ = toMask(F._PAGE_READ);
const WRITE = toMask(F._PAGE_WRITE);
const RW = toMask(F._PAGE_RW); // pte_mkwrite sets both: write implies read
const EXEC = toMask(F._PAGE_EXEC);
const PRIV = toMask(F._PAGE_PRIVILEGED);
const DIRTY = toMask(F._PAGE_DIRTY);
const DIRTY_SOFT = orMask(F._PAGE_DIRTY, F._PAGE_SOFT_DIRTY); // pte_mkdirty
const ACCESSED = toMask(F._PAGE_ACCESSED);
const SPECIAL = toMask(F._PAGE_SPECIAL);
const DEVMAP_PTE = orMask(F._PAGE_DEVMAP, F._PAGE_PTE); // pte_devmap tests both
const PTE_MKDEVMAP = orMask(F._PAGE_SPECIAL, F._PAGE_DEVMAP); // pte_mkdevmap
const PMD_MKDEVMAP = orMask(F._PAGE_PTE, F._PAGE_DEVMAP); // radix__pmd_mkdevmap
const HW_VALID = orMask(F._PAGE_PRESENT, F._PAGE_PTE); // pte_hw_valid
const INVALID_PTE = orMask(F._PAGE_INVALID, F._PAGE_PTE); // pte_present, second form
const PMD_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_INVALID); // pmd_present
const NONE_MASK = toMask(PPC64_RADIX_PTE_NONE_MASK);
const TABLE_ADDR = toMask(BigInt.asUintN(64, ~PPC64_PMD_MASKED_BITS));

/** DSISR bits (arch/powerpc/include/asm/reg.h) that the radix walker produces. */
export const DSISR = {
  DSISR_NOHPTE: 0x40000000,
  DSISR_PROTFAULT: 0x08000000,
  DSISR_ISSTORE: 0x02000000,
  DSISR_KEYFAULT: 0x00200000,
  DSISR_UNSUPP_MMU: 0x00080000,
} as const;
/** SRR1 bits on an ISI (arch/powerpc/include/asm/reg.h). SRR1 bit 44 is the same bit as DSISR_UNSUPP_MMU (DSISR_SRR1_MATCH_64S). */
export const SRR1 = {
  SRR1_ISI_NOPT: 0x40000000,
  SRR1_ISI_N_G_OR_CIP: 0x10000000,
  SRR1_ISI_PROT: 0x08000000,
  SRR1_KEYFAULT: 0x00200000,
  SRR1_UNSUPP_MMU: 0x00080000,
} as const;
/** Interrupt vectors (Power ISA v3.0B Book III 7.5, figure "Interrupt vector offsets"). */
export const PPC_VECTOR = { DSI: 0x300, DSEG: 0x380, ISI: 0x400, ISEG: 0x480 } as const;

/** The ISI's SRR1 cause per FaultKind that is not a protection fault (reg.h). */
const ISI_CODE: Readonly<Record<number, number>> = {
  [FaultKind.NotPresent]: SRR1.SRR1_ISI_NOPT,
  [FaultKind.Reserved]: SRR1.SRR1_UNSUPP_MMU,
  [FaultKind.Pkey]: SRR1.SRR1_KEYFAULT,
};
/** The DSI's DSISR cause per FaultKind that is not a protection fault (reg.h). */
const DSI_CODE: Readonly<Record<number, number>> = {
  [FaultKind.NotPresent]: DSISR.DSISR_NOHPTE,
  [FaultKind.Reserved]: DSISR.DSISR_UNSUPP_MMU,
  [FaultKind.Pkey]: DSISR.DSISR_KEYFAULT,
};
const PPC_VECTOR_NAMES: Readonly<Record<number, 'DSI' | 'ISI' | 'DSegI' | 'ISegI'>> = {
  [PPC_VECTOR.DSI]: 'DSI',
  [PPC_VECTOR.ISI]: 'ISI',
  [PPC_VECTOR.DSEG]: 'DSegI',
  [PPC_VECTOR.ISEG]: 'ISegI',
};

/**
 * powerpc: error_code is regs->dsisr; for an ISI (0x400) the interrupt entry copies the
 * DSISR_SRR1_MATCH_64S bits of SRR1 there, and is_exec comes from the trap number.
 * DSISR_BAD_FAULT_64S includes DSISR_UNSUPP_MMU (arch/powerpc/include/asm/reg.h).
 */
function powerFaultEntry(f: Extract<ArchFault, { isa: 'power' }>): FaultEntry {
  const isi = f.vector === 'ISI' || f.vector === 'ISegI';
  const err = isi ? f.srr1 : f.dsisr;
  return {
    write: !isi && (err & DSISR.DSISR_ISSTORE) !== 0,
    exec: isi,
    denied: false,
    bad: (err & DSISR.DSISR_UNSUPP_MMU) !== 0 ? 'sigbus' : null,
  };
}

/**
 * Power faults: a Data Storage Interrupt (0x300) with DSISR bits, or an Instruction Storage
 * Interrupt (0x400) with SRR1 bits; an address the radix tree cannot translate raises a Data /
 * Instruction Segment Interrupt (0x380 / 0x480) (Power ISA v3.0B Book III 6.5.3, 6.5.5, 6.7.10).
 */
export const powerFaultHook: FaultHook = {
  isa: 'power',
  encode(f, out) {
    out.teidBits = 0;
    const exec = f.access === Access.Exec;
    if (f.kind === FaultKind.NonCanonical) {
      out.vector = exec ? PPC_VECTOR.ISEG : PPC_VECTOR.DSEG;
      out.code = 0;
      return;
    }
    if (exec) {
      out.vector = PPC_VECTOR.ISI;
      // reg.h: SRR1 bit 35 "an attempt at executing from a no-execute PTE"; other denials are
      // bit 36. SMEP's Power counterpart (KUEP) is an IAMR key fault.
      out.code =
        ISI_CODE[f.kind] ??
        ((f.cause & Cause.Smep) !== 0 ? SRR1.SRR1_KEYFAULT : (f.cause & Cause.Exec) !== 0 ? SRR1.SRR1_ISI_N_G_OR_CIP : SRR1.SRR1_ISI_PROT);
      return;
    }
    out.vector = PPC_VECTOR.DSI;
    // SMAP's Power counterpart (KUAP) blocks with the AMR: a key fault.
    const cause = DSI_CODE[f.kind] ?? ((f.cause & Cause.Smap) !== 0 ? DSISR.DSISR_KEYFAULT : DSISR.DSISR_PROTFAULT);
    out.code = (f.access === Access.Write ? DSISR.DSISR_ISSTORE : 0) | cause;
  },
  codeNames: (c) => (c.vector === PPC_VECTOR.ISI ? bitNames(c.code, SRR1) : bitNames(c.code, DSISR)),
  vectorName: (c) => PPC_VECTOR_NAMES[c.vector] ?? 'ISegI',
  record: (c) => ({
    isa: 'power',
    vector: PPC_VECTOR_NAMES[c.vector] ?? 'ISegI',
    dsisr: c.vector === PPC_VECTOR.DSI ? c.code : 0,
    srr1: c.vector === PPC_VECTOR.ISI ? c.code : 0,
  }),
  detail: () => '',
  entry: (f) => powerFaultEntry(ownFault('power', f)),
};

const DEVMAP_NAME = '_PAGE_DEVMAP';
/**
 * What the hashed page table MMU changes in a book3s64 layout (arch/ppc64-hash.ts gives it):
 * the valid bits populate() writes, pte_none's ignored bits, pfn_pmd's huge bits, the TLB flush
 * policy, pmd_trans_huge, the extra flags, the header, and the bits its refill (hash_page) sets
 * on a leaf it inserts an HPTE for.
 */
export interface HashMmuVariant {
  /** HASH_P?D_VAL_BITS per level (pgd, pud, pmd; none at pte). */
  readonly valBits: readonly Mask[];
  readonly pteNoneMask: Mask;
  readonly pmdHuge: Mask;
  readonly tlbFlush: ArchHooks['tlbFlush'];
  readonly pmdTransHuge: (e: Entry) => boolean;
  readonly flags: Readonly<Record<string, bigint>>;
  /** book3s/64/hash.h. */
  readonly header: string;
  /** What the refill sets on a leaf besides _PAGE_ACCESSED (H_PAGE_HASHPTE). */
  readonly refillSets: bigint;
  /** The HPT bookkeeping at every kernel entry update (ArchHooks.hpte). */
  readonly hpte: NonNullable<ArchHooks['hpte']>;
}

/** One book3s64 layout: base page size, index sizes, header, mmap base; `hash` for the hashed page table MMU, radix without. */
export interface RadixGeometry {
  readonly name: string;
  readonly description: string;
  /** The MMU the kernel picked at boot (early_radix_enabled): radix unless `hash` is given. */
  readonly hash?: HashMmuVariant;
  readonly pageShift: number;
  readonly ix: RadixIndexSize;
  /** radix-64k.h, radix-4k.h or hash-64k.h. */
  readonly indexHeader: string;
  readonly mmapBase: number;
  /**
   * _PAGE_CHG_MASK and _HPAGE_CHG_MASK (book3s/64/pgtable.h: PTE_RPN_MASK, _PAGE_HPTEFLAGS, ...),
   * the bits pte_modify / pmd_modify keep; their values for this page size as
   * test/arch/header-values/header-values.sh computes them from the 6.1 headers.
   */
  readonly chgMask: { readonly pte: bigint; readonly pmd: bigint };
}

export function buildRadixLayout(g: RadixGeometry): Layout {
  const levels = radixLevels(g.pageShift, g.ix);
  /** PTE_RPN_MASK = ((1UL << _PAGE_PA_MAX) - 1) & PAGE_MASK. */
  const rpnMask = bitRange(g.pageShift, PPC64_PAGE_PA_MAX - 1);
  const RPN = toMask(rpnMask);
  const hash = g.hash;
  const valBits = radixValBits(g.ix);
  /**
   * The value populate() writes, per level: pgd -> pud table (PGD_VAL_BITS), pud -> pmd
   * (PUD_VAL_BITS), pmd -> pte (PMD_VAL_BITS). Radix adds the next level's size (NLS); hash's
   * are the valid bit alone (arch/ppc64-hash.ts).
   */
  const VAL_BITS: readonly Mask[] = hash?.valBits ?? [toMask(valBits.RADIX_PGD_VAL_BITS), toMask(valBits.RADIX_PUD_VAL_BITS), toMask(valBits.RADIX_PMD_VAL_BITS), ZERO_MASK];
  const pteNoneMask = hash?.pteNoneMask ?? NONE_MASK;
  const pmdHuge = hash?.pmdHuge ?? PTE_BIT; // pfn_pmd's __pmd_mkhuge / radix__pmd_mkhuge
  const all = (m: Mask): readonly Mask[] => perLevel(N, () => m);
  const flag = (v: boolean): readonly boolean[] => perLevel(N, () => v);
  const leafLevels = (m: Mask): readonly Mask[] => perLevel(N, (l) => (levels[l]!.leaf ? m : ZERO_MASK));


  const hooks: ArchHooks = {
    vaForm: 'zero',
    // _RPAGE_PKEY_BIT* exist, but the AMR/IAMR checks are not modelled.
    pkey: null,
    fault: powerFaultHook,
    // pud_pgtable / pmd_page_vaddr: the entry less P?D_MASKED_BITS (NLB).
    tableAddrMask: perLevel(N, (l) => (l === PTE ? null : TABLE_ADDR)),
    // PTE_RPN_MASK, the frame aligned to the leaf's size (RPN bits below it are offset bits).
    leafFrameMask: perLevel(N, (l) => (levels[l]!.leaf ? toMask(rpnMask & ~(2n ** BigInt(levels[l]!.shift) - 1n)) : null)),
    // The PID's process-table entry holds the PGD's address (RTS and RPDS not modelled).
    root: PLAIN_ROOT,
    mmapBase: g.mmapBase,
    // arch/powerpc/mm/book3s64/radix_tlb.c: tlbie per page of the range's page size, or a flush
    // by PID above tlb_single_page_flush_ceiling (33); radix__flush_pmd_tlb_range uses the 2M
    // page size, so a PMD is one tlbie. Hash: arch/ppc64-hash.ts.
    tlbFlush: hash?.tlbFlush ?? { ceiling: 33, pmdStrideIsPmd: true },
    // arch/powerpc/lib/pmem.c clean_pmem_range -> __clean_pmem_range: dcbstps on every L1
    // d-cache block (l1_dcache_bytes(), 128 on POWER8/9/10) when CPU_FTR_ARCH_207S, no barrier;
    // pmem_wmb() is phwsync (asm/barrier.h). Modelled as a write-back of the block.
    wbCachePmem: { insn: 'clwb', blockBytes: PPC64_DCACHE_BYTES, completes: false },
    // _PAGE_ACCESSED is in _PAGE_BASE, so young comes from the pgprot.
    newLeafYoung: false,
    pmdTransHuge: hash?.pmdTransHuge ?? ppc64RadixPmdTransHuge,
    ...(hash !== undefined ? { hpte: hash.hpte } : {}),
    // Radix quadrant 0 (user): the whole PGD span (TASK_SIZE_USER64 with 64K pages: 4 PiB).
    ptdump: { style: 'power', userEnd: 'top-span', levelFlags: null },
    qemuGuest: null,
    // set_pte_at (arch/powerpc/mm/pgtable.c): VM_WARN_ON(pte_hw_valid(*ptep) && !pte_protnone(*ptep)),
    // both MMUs; book3s64 pmdp_set_access_flags (mm/book3s64/pgtable.c) checks no alignment.
    setPteAtChecksValid: true,
    pmdpSetAccessFlagsAligned: false,
    memcpyFlushcache: 'cached',
    // __copy_from_user_flushcache (arch/powerpc/lib/pmem.c) ends with the dcbstps loop, no
    // barrier; __up_write's release is lwsync then ldarx/stdcx. (asm/atomic.h
    // __atomic_release_fence, asm/synch.h PPC_RELEASE_BARRIER), while only phwsync (pmem_wmb,
    // asm/barrier.h) waits for dcbstps to reach persistent storage: the writer's flushes
    // stay pending until that CPU's next phwsync.
    unlockCompletesFlushes: false,
    // PAGE_NONE = _PAGE_BASE | _PAGE_PRIVILEGED (book3s/64/pgtable.h): present, no R/W/X, a
    // kernel page to the MMU, so a user access faults (the hash fault path refuses it the same
    // way). pte_modify: (pte & _PAGE_CHG_MASK) | newprot; pmd_modify (mm/book3s64/pgtable.c):
    // (pmd & _HPAGE_CHG_MASK) | newprot (pmd_set_protbits). pte_protnone / pmd_protnone:
    // (pte & (_PAGE_PRESENT | _PAGE_PTE | _PAGE_RWX)) == _PAGE_PRESENT | _PAGE_PTE.
    protNone: protNoneHook({
      pageNone: F._PAGE_PRESENT | F._PAGE_ACCESSED | F._PAGE_PRIVILEGED,
      pte: PTE,
      pmd: PMD,
      keepPte: g.chgMask.pte,
      keepPmd: g.chgMask.pmd,
      test: F._PAGE_PRESENT | F._PAGE_PTE | F._PAGE_RWX,
      value: F._PAGE_PRESENT | F._PAGE_PTE,
      whole: true,
    }),
    pmdpInvalidateAdFlushes: true, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
    pmdLeafPreFix: null,
    // book3s64 pmdp_invalidate (arch/powerpc/mm/book3s64/pgtable.c), radix and hash alike:
    // pmd_hugepage_update(clr _PAGE_PRESENT, set _PAGE_INVALID); pmd_present accepts _PAGE_INVALID.
    pmdInvalidate: { clear: toMask(F._PAGE_PRESENT), set: toMask(F._PAGE_INVALID) },
  };

  const layout: Layout = {
    name: g.name,
    description: g.description,
    family: 'ppc64',
    sources: [
      'arch/powerpc/include/asm/book3s/64/pgtable.h',
      `arch/powerpc/include/asm/book3s/64/${hash?.header ?? 'radix.h'}`,
      `arch/powerpc/include/asm/book3s/64/${g.indexHeader}`,
      'arch/powerpc/include/asm/book3s/64/pgalloc.h',
      'arch/powerpc/include/asm/page.h',
    ],
    endian: 'big',
    pageShift: g.pageShift,
    levels: levels,
    pmdLevel: PMD,
    pfn: { shift: g.pageShift, mask: rpnMask },
    flags: hash !== undefined ? { ...PPC64_RADIX_PTE_FLAGS, ...hash.flags } : PPC64_RADIX_PTE_FLAGS,
    devmap: DEVMAP_NAME,
    fsDaxLimited: fsDaxLimitedFor(DEVMAP_NAME),
    // RADIX_*_TABLE_SIZE = sizeof(entry) << RADIX_*_INDEX_SIZE (radix.h): 64 KiB, 4 KiB, 4 KiB, 256 B.
    tableBytes: levels.map((l) => 8 << l.bits),
    hw: {
      valid: all(PRESENT),
      validWhenSet: flag(true),
      // L (= _PAGE_PTE) ends the walk at pud/pmd; never at pgd (no 512 GiB pages); always at pte.
      leaf: perLevel(N, (l) => (l === PUD || l === PMD ? PTE_BIT : ZERO_MASK)),
      leafWhenSet: perLevel(N, (l) => l !== PTE),
      write: all(WRITE),
      writeWhenSet: flag(true),
      read: all(READ),
      readWhenSet: flag(true),
      user: all(PRIV),
      userWhenSet: flag(false),
      exec: all(EXEC),
      execWhenSet: flag(true),
      // radix's R; hash_page's refill sets _PAGE_ACCESSED and H_PAGE_HASHPTE (arch/ppc64-hash.ts)
      accessed: leafLevels(hash !== undefined ? orMask(F._PAGE_ACCESSED, hash.refillSets) : ACCESSED),
      dirty: leafLevels(DIRTY),
      tableRules: flag(false),
      // No reserved-bit checks are modelled for leaves. For a PDE: the kernel's RADIX_P?D_BAD_BITS
      // without L (which makes it a leaf instead): _RPAGE_SW0 and bits 7:5.
      reservedLeaf: all(ZERO_MASK),
      reservedTable: perLevel(N, (l) => (l === PTE || hash !== undefined ? ZERO_MASK : toMask(PPC64_RADIX_PMD_BAD_BITS & ~F._PAGE_PTE))),
    },
    hooks,

    // radix__pte_none ignores R/C; pmd_none / pud_none / p4d_none are !val.
    isNone: (level, e) => (level === PTE ? zeroExcept(e, pteNoneMask) : zeroExcept(e, ZERO_MASK)),
    isPresent: (level, e) =>
      level === PTE
        ? testAll(e, HW_VALID) || testAll(e, INVALID_PTE)
        : level === PMD
          ? testAny(e, PMD_PRESENT)
          : testAny(e, PRESENT),
    // pmd_is_leaf / pud_is_leaf: _PAGE_PTE.
    isLeaf: (level, e) => (level === PTE ? true : level === PGD ? false : testAny(e, PTE_BIT)),
    // __pte_write (pte_savedwrite, the NUMA-balancing protnone form, is not modelled).
    isWrite: (_level, e) => testAny(e, WRITE),
    isDirty: (_level, e) => testAny(e, DIRTY),
    isYoung: (_level, e) => testAny(e, ACCESSED),
    // pte_devmap / pmd_devmap need _PAGE_PTE too (the bit is not software-owned in a PDE); pud_devmap is 0.
    isDevmap: (level, e) => (level === PTE || level === PMD) && testAll(e, DEVMAP_PTE),
    isSpecial: (level, e) => level === PTE && testAny(e, SPECIAL),

    // pte_pfn, and pmd_pfn = pte_pfn(pmd_pte(pmd)): (val & PTE_RPN_MASK) >> PAGE_SHIFT at every level.
    leafPfn: (_level, e) => fieldShifted(e, RPN, g.pageShift),
    tableAddress: (_level, e) => fieldValue(e, TABLE_ADDR),

    mkNone: (_level, out) => clearEntry(out), // pte_clear / pmd_clear: 0
    mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
      if (level === PGD) throw new RangeError(`${g.name}: no leaf at pgd`);
      out.lo = 0;
      out.hi = 0;
      // pfn_pte: (pfn << PAGE_SHIFT) | pgprot | _PAGE_PTE; pgprot is _PAGE_BASE (PRESENT, ACCESSED)
      // with _PAGE_READ (PAGE_COPY / PAGE_SHARED ...); radix__pmd_mkhuge also just sets _PAGE_PTE.
      orAddress(out, pfn * 2 ** g.pageShift, RPN);
      setBits(out, PRESENT);
      setBits(out, level === PMD ? pmdHuge : PTE_BIT);
      setBits(out, READ);
      if (prot.young) setBits(out, ACCESSED);
      if (prot.write) setBits(out, RW);
      if (prot.exec) setBits(out, EXEC);
      if (!prot.user) setBits(out, PRIV);
      if (prot.dirty) setBits(out, DIRTY_SOFT);
      if (prot.devmap) {
        if (level === PTE) setBits(out, PTE_MKDEVMAP);
        else if (level === PMD) setBits(out, PMD_MKDEVMAP); // no pud_mkdevmap on powerpc
      }
      if (prot.special && level === PTE) setBits(out, SPECIAL);
    },
    mkTable(level: number, tablePhys: number, out: Entry): void {
      if (level === PTE) throw new RangeError(`${g.name}: no table below pte`);
      out.lo = 0;
      out.hi = 0;
      orAddress(out, tablePhys, TABLE_ADDR); // __pgtable_ptr_val(table) = __pa(table)
      setBits(out, VAL_BITS[level]!);
    },

    // pmd_mkclean etc. are pte_pmd(pte_mk*(pmd_pte(pmd))): the same bits at every level.
    mkclean: (_level, e) => clearBits(e, DIRTY),
    mkdirty: (_level, e) => setBits(e, DIRTY_SOFT),
    wrprotect: (_level, e) => clearBits(e, WRITE),
    mkwrite: (_level, e) => setBits(e, RW),
    mkold: (_level, e) => clearBits(e, ACCESSED),
    mkyoung: (_level, e) => setBits(e, ACCESSED),
  };
  return layout;
}


export const ppc64Radix: Layout = buildRadixLayout({
  name: 'ppc64-radix',
  description: 'POWER9+ book3s64 radix MMU, 64 KiB pages, 2 MiB and 1 GiB leaves, big-endian entries',
  pageShift: PPC64_PAGE_SHIFT,
  ix: RADIX_64K_INDEX_SIZE,
  indexHeader: 'radix-64k.h',
  chgMask: { pte: 0x409fffffffff1fc0n, pmd: 0x409fffffffff3bc0n },
  // daxsim's fixed mmap base, under the 52-bit radix tree (Linux's default map window is 128 TiB).
  mmapBase: 0x3f00_0000_0000,
});

/**
 * CONFIG_PPC_4K_PAGES: radix-4k.h index sizes 9/9/9/13, so 512 PTEs per 2 MiB PMD and NLS 9 in
 * every PDE. TASK_SIZE_USER64 is TASK_SIZE_64TB (asm/task_size_64.h), so mmap_base is 64 TiB
 * less the 128 MiB minimum gap (mm/util.c mmap_base, no randomisation).
 */
export const ppc64Radix4k: Layout = buildRadixLayout({
  name: 'ppc64-radix-4k',
  description: 'POWER9+ book3s64 radix MMU, 4 KiB pages, 2 MiB and 1 GiB leaves, big-endian entries',
  pageShift: 12,
  ix: RADIX_4K_INDEX_SIZE,
  indexHeader: 'radix-4k.h',
  chgMask: { pte: 0x51ffffffffffffc0n, pmd: 0x51fffffffffffbc0n },
  mmapBase: 2 ** 46 - 2 ** 27,
});

const TRANS_HUGE_TEST = orMask(F._PAGE_PTE, F._PAGE_DEVMAP);
/** radix__pmd_trans_huge (radix.h): _PAGE_PTE set and _PAGE_DEVMAP clear. */
export function ppc64RadixPmdTransHuge(e: Entry): boolean {
  return testEq(e, TRANS_HUGE_TEST, PTE_BIT);
}

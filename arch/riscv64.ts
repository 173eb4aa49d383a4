// RISC-V Sv39 and Sv48 as Linux 6.1 uses them for user space, one builder for both (the paging
// mode is picked at boot by set_satp_mode(), arch/riscv/mm/init.c, so one kernel runs either:
// riscv64-sv39 is a hart that implements only Sv39, riscv64-sv48 one with Sv48 and not Sv57).
//
// Flag values: arch/riscv/include/asm/pgtable-bits.h (_PAGE_* of the PTE's low 10 bits) and
// pgtable-64.h (the Svpbmt and T-Head memory-type bits; their run-time selections _PAGE_NOCACHE,
// _PAGE_IO and _PAGE_MTMASK are not constants and are left out). Geometry: pgtable-64.h
// (PGDIR_SHIFT_L3 30 / _L4 39, PMD_SHIFT 21, PTRS_PER_* 512); P4D and PUD are folded at run time
// (mm_pud_folded), so Sv39 is exactly pgd/pmd/pte. The pfn field is _PAGE_PFN_MASK = GENMASK(53,
// 10) with _PAGE_PFN_SHIFT 10 (pgtable-64.h, pgtable-bits.h): the PPN sits at bit 10 while the
// physical address it names has its page number at bit 12, so no entry bit is an address bit
// and the MMU reads addresses through the accessors (tableAddrMask / leafFrameMask are null).
// Table entries: pmd/pud/p4d_populate write (pfn << _PAGE_PFN_SHIFT) | _PAGE_TABLE (asm/pgalloc.h).
//
// Hardware (RISC-V privileged spec 1.12, 4.3.2 with the Sv39 / Sv48 parameters of 4.4 / 4.5): V
// clear is invalid; R = W = X = 0 is a pointer to the next table, anything else a leaf; a load
// needs R, a store W, a fetch X, U mode U; bits 63:54 are reserved (Svpbmt and Svnapot are not
// modelled). When A is clear, or D on a store, the spec lets the hart either set it in the PTE or
// raise the page fault; modelled: the hart sets A and D (QEMU's behaviour without Svade). The 6.1
// kernel works either way, and the DAX outcome is the same; only fault counts would differ.
//
// fsdax: arch/riscv/Kconfig selects neither ARCH_HAS_PTE_DEVMAP nor ARCH_ENABLE_MEMORY_HOTPLUG, so
// ZONE_DEVICE (mm/Kconfig) cannot be enabled, nothing selects FS_DAX_LIMITED (only DCSSBLK on
// s390), and FS_DAX (fs/Kconfig: ZONE_DEVICE || FS_DAX_LIMITED) is off: running DAX here is a
// what-if, in which insert_pfn takes the pte_mkspecial branch (no devmap pfns) and dax_iomap_pfn
// refuses PMD pfns without devmap (fs/dax.c).

import { Access, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt, Level } from './types.ts';
import { bitModifiers, bitRange, clearEntry, fieldShifted, orMask, perLevel, setBits, testAny, toMask, PLAIN_ROOT, ZERO_MASK } from './bits.ts';
import { protNoneHook } from './prot-none.ts';

/** The _PAGE_* masks of pgtable-bits.h and pgtable-64.h (6.1). */
export const RISCV_PTE_FLAGS = {
  _PAGE_PRESENT: 1n << 0n, // V
  _PAGE_READ: 1n << 1n,
  _PAGE_WRITE: 1n << 2n,
  _PAGE_EXEC: 1n << 3n,
  _PAGE_USER: 1n << 4n,
  _PAGE_GLOBAL: 1n << 5n,
  _PAGE_ACCESSED: 1n << 6n,
  _PAGE_DIRTY: 1n << 7n,
  _PAGE_SOFT: 1n << 8n, // the first RSW bit
  _PAGE_SPECIAL: 1n << 8n, // = _PAGE_SOFT; the other RSW bit (9) is unused: no devmap bit in 6.1
  _PAGE_TABLE: 1n << 0n, // = _PAGE_PRESENT
  _PAGE_PROT_NONE: 1n << 5n, // = _PAGE_GLOBAL, only while _PAGE_PRESENT is clear
  _PAGE_LEAF: 0xen, // R | W | X
  // pgtable-64.h: Svpbmt (bits 62:61) and T-Head (bits 63:59) memory types.
  _PAGE_NOCACHE_SVPBMT: 1n << 61n,
  _PAGE_IO_SVPBMT: 1n << 62n,
  _PAGE_MTMASK_SVPBMT: 3n << 61n,
  _PAGE_PMA_THEAD: 7n << 60n,
  _PAGE_NOCACHE_THEAD: 0n,
  _PAGE_IO_THEAD: 1n << 63n,
  _PAGE_MTMASK_THEAD: 0x1fn << 59n,
} as const;

const F = RISCV_PTE_FLAGS;

/** _PAGE_PFN_SHIFT (pgtable-bits.h) and _PAGE_PFN_MASK (pgtable-64.h). */
export const RISCV_PFN_SHIFT = 10;
export const RISCV_PFN_MASK = bitRange(10, 53);

/** scause values of the page faults (arch/riscv/include/asm/csr.h EXC_*_PAGE_FAULT). */
export const SCAUSE = { EXC_INST_PAGE_FAULT: 12, EXC_LOAD_PAGE_FAULT: 13, EXC_STORE_PAGE_FAULT: 15 } as const;
const SCAUSE_NAMES: Readonly<Record<number, string>> = {
  [SCAUSE.EXC_INST_PAGE_FAULT]: 'EXC_INST_PAGE_FAULT',
  [SCAUSE.EXC_LOAD_PAGE_FAULT]: 'EXC_LOAD_PAGE_FAULT',
  [SCAUSE.EXC_STORE_PAGE_FAULT]: 'EXC_STORE_PAGE_FAULT',
};

/** riscv do_page_fault (arch/riscv/mm/fault.c): scause 15 sets FAULT_FLAG_WRITE, 12 FAULT_FLAG_INSTRUCTION. */
function riscvFaultEntry(f: Extract<ArchFault, { isa: 'riscv' }>): FaultEntry {
  return { write: f.scause === SCAUSE.EXC_STORE_PAGE_FAULT, exec: f.scause === SCAUSE.EXC_INST_PAGE_FAULT, denied: false, bad: null };
}

/**
 * Every failed translation is a page fault of the access type, whatever the reason (the spec
 * has no error code; stval holds the address): arch/riscv/mm/fault.c do_page_fault sets
 * FAULT_FLAG_WRITE for scause 15 and decides present/protection from the VMA and the pte.
 */
export const riscvFaultHook: FaultHook = {
  isa: 'riscv',
  encode(f, out) {
    out.teidBits = 0;
    out.code = f.access === Access.Exec ? SCAUSE.EXC_INST_PAGE_FAULT : f.access === Access.Write ? SCAUSE.EXC_STORE_PAGE_FAULT : SCAUSE.EXC_LOAD_PAGE_FAULT;
    out.vector = out.code;
  },
  codeNames: (c) => [SCAUSE_NAMES[c.code] ?? String(c.code)],
  vectorName: (c) => SCAUSE_NAMES[c.code] ?? 'page fault',
  record: (c) => ({ isa: 'riscv', scause: c.code }),
  detail: () => '',
  entry: (f) => riscvFaultEntry(ownFault('riscv', f)),
};

interface RiscvMode {
  readonly name: string;
  readonly description: string;
  /** PGDIR_SHIFT: PGDIR_SHIFT_L3 30 (Sv39) or PGDIR_SHIFT_L4 39 (Sv48) (pgtable-64.h). */
  readonly pgdirShift: 30 | 39;
}

/**
 * The levels of an Sv39 / Sv48 table: 9 index bits each above the 12-bit page offset, the pgd
 * at PGDIR_SHIFT, the folded levels left out (pgtable-64.h). Sv39's root is the folded pud, so
 * a 1 GiB gigapage is a pud_leaf there; Sv48's root is the folded p4d, and 6.1 riscv has no
 * p4d_leaf, so the kernel never makes a 512 GiB leaf.
 */
function svLevels(pgdirShift: RiscvMode['pgdirShift']): readonly Level[] {
  const below: readonly Level[] = [
    { name: 'pud', shift: 30, bits: 9, leaf: true },
    { name: 'pmd', shift: 21, bits: 9, leaf: true },
    { name: 'pte', shift: 12, bits: 9, leaf: true },
  ];
  const rest = below.filter((lv) => lv.shift < pgdirShift);
  return [{ name: 'pgd', shift: pgdirShift, bits: 9, leaf: pgdirShift <= 30 }, ...rest];
}

function buildRiscvLayout(m: RiscvMode): Layout {
  const levels = svLevels(m.pgdirShift);
  const n = levels.length;
  const pte = n - 1;
  const pmd = n - 2;
  const leafCapable = (l: number): boolean => levels[l]!.leaf;
  const PRESENT = toMask(F._PAGE_PRESENT);
  const READ = toMask(F._PAGE_READ);
  const WRITE = toMask(F._PAGE_WRITE);
  const EXEC = toMask(F._PAGE_EXEC);
  const USER = toMask(F._PAGE_USER);
  const ACCESSED = toMask(F._PAGE_ACCESSED);
  const DIRTY = toMask(F._PAGE_DIRTY);
  const SPECIAL = toMask(F._PAGE_SPECIAL);
  const LEAF = toMask(F._PAGE_LEAF);
  const PTE_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROT_NONE); // pte_present
  const PMD_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROT_NONE, F._PAGE_LEAF); // pmd_present (THP)
  const RESERVED = toMask(bitRange(54, 63));
  // pmd_pfn = ((pfn << PAGE_SHIFT) & PMD_MASK) >> PAGE_SHIFT: the PPN bits below the leaf's size dropped.
  const leafPpn = levels.map((lv) => toMask(RISCV_PFN_MASK & ~((1n << BigInt(lv.shift - 12 + RISCV_PFN_SHIFT)) - 1n)));
  const PPN = toMask(RISCV_PFN_MASK);
  const pfnOf = (l: number, e: Entry): number => fieldShifted(e, leafPpn[l]!, RISCV_PFN_SHIFT);
  const isZero = (e: Entry): boolean => e.lo === 0 && e.hi === 0;
  const present = (l: number, e: Entry): boolean => testAny(e, l === pte ? PTE_PRESENT : l === pmd ? PMD_PRESENT : PRESENT);
  /** e |= pfn << _PAGE_PFN_SHIFT, pfn below 2^44. */
  const orPfn = (e: Entry, pfn: number): void => {
    const v = pfn * 2 ** RISCV_PFN_SHIFT;
    e.lo = (e.lo | (v >>> 0)) >>> 0;
    e.hi = (e.hi | (Math.floor(v / 2 ** 32) >>> 0)) >>> 0;
  };

  const hooks: ArchHooks = {
    // Sv39 / Sv48: bits 63:VA_BITS must equal bit VA_BITS - 1 (spec 4.4.1, 4.5.1).
    vaForm: 'sign-extend',
    pkey: null,
    fault: riscvFaultHook,
    tableAddrMask: perLevel(n, () => null),
    leafFrameMask: perLevel(n, () => null),
    // satp.PPN = the root's pfn (MODE and ASID not modelled: TLBs are per CPU here).
    root: PLAIN_ROOT,
    // mm->mmap_base without randomisation (mm/util.c): TASK_SIZE less the 128 MiB minimum gap;
    // TASK_SIZE_64 = PGDIR_SIZE * PTRS_PER_PGD / 2 (pgtable.h): 256 GiB (Sv39), 128 TiB (Sv48).
    mmapBase: 2 ** (m.pgdirShift + 9 - 1) - 2 ** 27,
    // arch/riscv/mm/tlbflush.c __sbi_tlb_flush_range, local case: size <= stride is one
    // sfence.vma of the address, anything larger a sfence.vma of the whole ASID;
    // flush_pmd_tlb_range uses stride PMD_SIZE (one sfence.vma for a PMD).
    tlbFlush: { ceiling: 1, pmdStrideIsPmd: true },
    // No ARCH_HAS_PMEM_API: arch_wb_cache_pmem is the empty inline of include/linux/libnvdimm.h
    // (6.1 uses Zicbom cbo.clean only for non-coherent DMA). Nothing is ever written back.
    wbCachePmem: null,
    // _PAGE_BASE carries _PAGE_ACCESSED, so young comes from the pgprot.
    newLeafYoung: false,
    // pmd_trans_huge = pmd_leaf: present and R|W|X.
    pmdTransHuge: (e) => testAny(e, PMD_PRESENT) && testAny(e, LEAF),
    // arch/riscv has the generic ptdump (mm/ptdump.c); user space is the lower half (TASK_SIZE).
    ptdump: { style: 'generic', userEnd: 'lower-half', levelFlags: null },
    qemuGuest: null,
    // riscv's own pmdp_set_access_flags (asm/pgtable.h) is ptep_set_access_flags, no alignment check.
    setPteAtChecksValid: false,
    pmdpSetAccessFlagsAligned: false,
    memcpyFlushcache: 'cached',
    // Nothing is written back (wbCachePmem null), so the unlock has nothing to complete.
    unlockCompletesFlushes: false,
    // PAGE_NONE = _PAGE_PROT_NONE | _PAGE_READ (asm/pgtable.h), _PAGE_PROT_NONE being
    // _PAGE_GLOBAL with _PAGE_PRESENT clear. pte_modify: (pte & _PAGE_CHG_MASK) | newprot, with
    // _PAGE_CHG_MASK = ~(PRESENT | READ | WRITE | EXEC | USER | GLOBAL | _PAGE_MTMASK)
    // (pgtable-64.h; riscv_page_mtmask() is 0 here: no Svpbmt or T-Head memory types are
    // modelled). pmd_modify is pte_modify on the pmd; _PAGE_READ stays, so pmd_leaf still
    // holds. pte_protnone: (pte & (_PAGE_PRESENT | _PAGE_PROT_NONE)) == _PAGE_PROT_NONE.
    protNone: protNoneHook({
      pageNone: F._PAGE_PROT_NONE | F._PAGE_READ,
      pte,
      pmd,
      keepPte: ~(F._PAGE_PRESENT | F._PAGE_READ | F._PAGE_WRITE | F._PAGE_EXEC | F._PAGE_USER | F._PAGE_GLOBAL) & ((1n << 64n) - 1n),
      test: F._PAGE_PRESENT | F._PAGE_PROT_NONE,
      value: F._PAGE_PROT_NONE,
      whole: true,
    }),
    pmdpInvalidateAdFlushes: true, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
    pmdLeafPreFix: null,
    // pmd_mkinvalid (asm/pgtable.h): clears _PAGE_PRESENT and _PAGE_PROT_NONE; pmd_present
    // (THP) still holds through _PAGE_LEAF.
    pmdInvalidate: { clear: orMask(F._PAGE_PRESENT, F._PAGE_PROT_NONE), set: ZERO_MASK },
  };

  const layout: Layout = {
    name: m.name,
    description: m.description,
    family: 'riscv',
    sources: ['arch/riscv/include/asm/pgtable-bits.h', 'arch/riscv/include/asm/pgtable-64.h', 'arch/riscv/include/asm/pgtable.h', 'arch/riscv/include/asm/pgalloc.h'],
    endian: 'little',
    pageShift: 12,
    levels,
    pmdLevel: pmd,
    pfn: { shift: RISCV_PFN_SHIFT, mask: RISCV_PFN_MASK },
    flags: RISCV_PTE_FLAGS,
    devmap: null,
    // Nothing selects FS_DAX_LIMITED on riscv (only DCSSBLK, drivers/s390/block/Kconfig).
    fsDaxLimited: false,
    tableBytes: levels.map((lv) => 8 << lv.bits),
    hw: {
      valid: perLevel(n, () => PRESENT),
      validWhenSet: perLevel(n, () => true),
      // R | W | X makes a leaf; at the last level anything valid must be one.
      leaf: perLevel(n, (l) => (l === pte || !leafCapable(l) ? ZERO_MASK : LEAF)),
      leafWhenSet: perLevel(n, (l) => l !== pte),
      write: perLevel(n, () => WRITE),
      writeWhenSet: perLevel(n, () => true),
      read: perLevel(n, () => READ),
      readWhenSet: perLevel(n, () => true),
      user: perLevel(n, () => USER),
      userWhenSet: perLevel(n, () => true),
      exec: perLevel(n, () => EXEC),
      execWhenSet: perLevel(n, () => true),
      accessed: perLevel(n, (l) => (leafCapable(l) ? ACCESSED : ZERO_MASK)),
      dirty: perLevel(n, (l) => (leafCapable(l) ? DIRTY : ZERO_MASK)),
      // D, A, U of a non-leaf PTE are reserved for future use and ignored: tables grant nothing.
      tableRules: perLevel(n, () => false),
      reservedLeaf: perLevel(n, () => RESERVED),
      reservedTable: perLevel(n, () => RESERVED),
    },
    hooks,

    isNone: (_l, e) => isZero(e), // pte_none / pmd_none: == 0
    isPresent: present,
    // pmd_leaf / pud_leaf: present and R|W|X; no p4d_leaf / pgd_leaf in 6.1 riscv.
    isLeaf: (l, e) => (l === pte ? true : leafCapable(l) && present(l, e) && testAny(e, LEAF)),
    isWrite: (_l, e) => testAny(e, WRITE),
    isDirty: (_l, e) => testAny(e, DIRTY),
    isYoung: (_l, e) => testAny(e, ACCESSED),
    isDevmap: () => false, // the generic pte_devmap / pmd_devmap: 0
    isSpecial: (l, e) => l === pte && testAny(e, SPECIAL),

    leafPfn: pfnOf,
    // pmd_page_vaddr / pud_pgtable: pfn_to_virt(__page_val_to_pfn(val)).
    tableAddress: (_l, e) => fieldShifted(e, PPN, RISCV_PFN_SHIFT) * 4096,

    mkNone: (_l, out) => clearEntry(out),
    mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
      if (!leafCapable(level)) throw new RangeError(`${m.name}: no leaf at level ${levels[level]?.name ?? level}`);
      clearEntry(out);
      // pfn_pte / pfn_pmd: (pfn << _PAGE_PFN_SHIFT) | prot, prot = _PAGE_BASE | _PAGE_READ (PAGE_COPY).
      orPfn(out, pfn - (pfn % 2 ** (levels[level]!.shift - 12)));
      setBits(out, PRESENT);
      setBits(out, READ);
      if (prot.user) setBits(out, USER);
      if (prot.young) setBits(out, ACCESSED);
      if (prot.write) setBits(out, WRITE);
      if (prot.dirty) setBits(out, DIRTY);
      if (prot.exec) setBits(out, EXEC);
      // pte_mkspecial (pte_mkdevmap is the generic no-op: the kernel asks for special instead).
      if (prot.special && level === pte) setBits(out, SPECIAL);
    },
    mkTable(level: number, tablePhys: number, out: Entry): void {
      if (level === pte) throw new RangeError(`${m.name}: no table below pte`);
      clearEntry(out);
      orPfn(out, tablePhys / 4096);
      setBits(out, PRESENT); // _PAGE_TABLE
    },

    ...bitModifiers({ mkclean: DIRTY, mkdirty: DIRTY, wrprotect: WRITE, mkwrite: WRITE, mkold: ACCESSED, mkyoung: ACCESSED }),
  };
  return layout;
}

export const riscv64Sv39: Layout = buildRiscvLayout({
  name: 'riscv64-sv39',
  description: 'RISC-V Sv39, 4 KiB pages, 3 levels, 2 MiB and 1 GiB leaves, no devmap bit (fsdax unavailable in 6.1)',
  pgdirShift: 30,
});

export const riscv64Sv48: Layout = buildRiscvLayout({
  name: 'riscv64-sv48',
  description: 'RISC-V Sv48, 4 KiB pages, 4 levels, 2 MiB and 1 GiB leaves, no devmap bit (fsdax unavailable in 6.1)',
  pgdirShift: 39,
});

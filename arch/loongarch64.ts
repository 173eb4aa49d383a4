// LoongArch64 as Linux 6.1 uses it for user space: 16 KiB pages, 3 levels (loongson3_defconfig:
// CONFIG_PAGE_SIZE_16KB, the 16KB_3LEVEL page-table layout of arch/loongarch/Kconfig), 32 MiB
// PMD leaves.
//
// Flag values: arch/loongarch/include/asm/pgtable-bits.h (6.1.y: _PAGE_PRESENT_INVALID is the
// stable backport of ddc1729b07cc). Geometry: asm/pgtable.h (PMD_SHIFT = 2 * PAGE_SHIFT - 3 = 25,
// PGDIR_SHIFT 36, PTRS_PER_* = PAGE_SIZE >> 3 = 2048); the PUD is folded (pgtable-nopud.h). The
// pfn field is _PFN_MASK, bits 47:14, shifted by _PFN_SHIFT 14 (pgtable-bits.h).
//
// What differs from the hardware-walked layouts:
//   - Table entries are kernel virtual addresses of the next table in the cached direct-map
//     window (pmd_populate writes page_address(pte), asm/pgalloc.h; CACHE_BASE 0x9000000000000000,
//     asm/addrspace.h), with no flag bits; the table address is read back with the PA bits.
//   - Empty pgd and pmd entries are not zero: pmd_none is `pmd == invalid_pte_table`, pud_none
//     `pud == invalid_pmd_table` (asm/pgtable.h); pmd_clear stores that pointer and new tables are
//     filled with it (pgd_init, pmd_init). Modelled with two fixed all-invalid tables in the
//     firmware-reserved first MiB of DRAM (src/machine keeps it unused).
//   - The TLB is refilled by software (arch/loongarch/mm/tlbex.S): handle_tlb_load sets
//     _PAGE_VALID (which is _PAGE_ACCESSED) when _PAGE_PRESENT is set, handle_tlb_store and
//     handle_tlb_modify set _PAGE_VALID | _PAGE_DIRTY | _PAGE_MODIFIED when _PAGE_PRESENT and
//     _PAGE_WRITE are set, and only otherwise call do_page_fault. Modelled as a walker for which
//     _PAGE_PRESENT is valid, _PAGE_WRITE allows stores, and which sets VALID, and DIRTY|MODIFIED on
//     a store. Not modelled: the even/odd page pairs of a TLB entry, and set_pmd_at's flush_tlb_all.
//
// fsdax: arch/loongarch/Kconfig selects neither ARCH_HAS_PTE_DEVMAP nor SPARSEMEM_VMEMMAP_ENABLE,
// so ZONE_DEVICE (mm/Kconfig) cannot be enabled, nothing selects FS_DAX_LIMITED, and FS_DAX is off:
// running DAX here is a what-if. No ARCH_HAS_PMEM_API: arch_wb_cache_pmem is the empty inline.

import { Access, ownFault, type ArchFault, type FaultEntry, type FaultHook } from './fault.ts';
import type { ArchHooks, Entry, Layout, LeafProt } from './types.ts';
import { bitRange, clearBits, clearEntry, fieldShifted, fieldValue, orAddress, orMask, perLevel, setBits, testAny, testEq, toMask, PLAIN_ROOT, ZERO_MASK } from './bits.ts';
import { protNoneHook } from './prot-none.ts';

/** The _PAGE_* and _CACHE_* masks of arch/loongarch/include/asm/pgtable-bits.h (6.1.y). */
export const LOONGARCH_PTE_FLAGS = {
  // Used by software.
  _PAGE_PRESENT: 1n << 7n,
  _PAGE_PRESENT_INVALID: 1n << 60n,
  _PAGE_WRITE: 1n << 8n,
  _PAGE_ACCESSED: 1n << 0n, // "Reuse Valid for Accessed"
  _PAGE_MODIFIED: 1n << 9n, // the software dirty bit
  _PAGE_PROTNONE: 1n << 10n,
  _PAGE_SPECIAL: 1n << 11n,
  // Used by TLB hardware (EntryLo).
  _PAGE_VALID: 1n << 0n,
  _PAGE_DIRTY: 1n << 1n, // the hardware write enable
  _PAGE_PLV: 3n << 2n,
  _PAGE_GLOBAL: 1n << 6n,
  _PAGE_HUGE: 1n << 6n, // in a PMD
  _PAGE_HGLOBAL: 1n << 12n, // G of a huge PMD
  _PAGE_NO_READ: 1n << 61n,
  _PAGE_NO_EXEC: 1n << 62n,
  _PAGE_RPLV: 1n << 63n,
  _CACHE_MASK: 3n << 4n,
  _PAGE_USER: 3n << 2n, // PLV_USER << _PAGE_PLV_SHIFT
  _PAGE_KERN: 0n,
  _CACHE_SUC: 0n,
  _CACHE_CC: 1n << 4n,
  _CACHE_WUC: 2n << 4n,
} as const;

const F = LOONGARCH_PTE_FLAGS;

export const LOONGARCH_PAGE_SHIFT = 14;
/** _PFN_MASK = ~((1 << _PFN_SHIFT) - 1) & ((1 << 48) - 1) (pgtable-bits.h). */
export const LOONGARCH_PFN_MASK = bitRange(14, 47);
/** CACHE_BASE (asm/addrspace.h, CSR_DMW1_BASE): the direct-map window page-table pointers live in. */
export const LOONGARCH_DMW = 0x9000000000000000n;
/** Where the model keeps invalid_pte_table and invalid_pmd_table: two all-invalid 16 KiB tables in the firmware-reserved first MiB. */
export const LOONGARCH_INVALID_PTE_TABLE = 0x10000;
export const LOONGARCH_INVALID_PMD_TABLE = 0x20000;

/** TLB exception codes (asm/loongarch.h EXCCODE_*). */
export const EXCCODE = { EXCCODE_TLBL: 1, EXCCODE_TLBS: 2, EXCCODE_TLBI: 3, EXCCODE_TLBM: 4, EXCCODE_TLBNR: 5, EXCCODE_TLBNX: 6, EXCCODE_TLBPE: 7 } as const;
const EXCCODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(EXCCODE).map(([k, v]) => [v, k]));

/**
 * loongarch do_page_fault(regs, write, address) (arch/loongarch/mm/fault.c): the TLB store and
 * modify handlers pass write = 1 (arch/loongarch/mm/tlbex.S); a fetch (TLBI, TLBNX) needs
 * VM_EXEC; a privilege exception (TLBPE) of a user access is an access error.
 */
function loongarchFaultEntry(f: Extract<ArchFault, { isa: 'loongarch' }>): FaultEntry {
  return {
    write: f.ecode === EXCCODE.EXCCODE_TLBS || f.ecode === EXCCODE.EXCCODE_TLBM,
    exec: f.ecode === EXCCODE.EXCCODE_TLBI || f.ecode === EXCCODE.EXCCODE_TLBNX,
    denied: f.ecode === EXCCODE.EXCCODE_TLBPE,
    bad: null,
  };
}

/**
 * What reaches do_page_fault (arch/loongarch/mm/tlbex.S): a load or fetch from a pte without
 * _PAGE_PRESENT (TLBL / TLBI), a store without _PAGE_PRESENT and _PAGE_WRITE (TLBS, or TLBM on a
 * valid read-only entry), NR / NX (TLBNR / TLBNX) and privilege (TLBPE) through handle_tlb_protect.
 */
export const loongarchFaultHook: FaultHook = {
  isa: 'loongarch',
  encode(f, out) {
    out.teidBits = 0;
    const c = f.cause;
    const code =
      (c & 8) !== 0
        ? EXCCODE.EXCCODE_TLBPE // user access to a PLV0 page
        : f.access === Access.Exec
          ? (c & 4) !== 0
            ? EXCCODE.EXCCODE_TLBNX
            : EXCCODE.EXCCODE_TLBI
          : f.access === Access.Write
            ? (c & 1) !== 0
              ? EXCCODE.EXCCODE_TLBM
              : EXCCODE.EXCCODE_TLBS
            : (c & 2) !== 0
              ? EXCCODE.EXCCODE_TLBNR
              : EXCCODE.EXCCODE_TLBL;
    out.code = code;
    out.vector = code;
  },
  codeNames: (c) => [EXCCODE_NAMES[c.code] ?? String(c.code)],
  vectorName: (c) => EXCCODE_NAMES[c.code] ?? 'TLB exception',
  record: (c) => ({ isa: 'loongarch', ecode: c.code }),
  detail: () => '',
  entry: (f) => loongarchFaultEntry(ownFault('loongarch', f)),
};

const PGD = 0;
const PMD = 1;
const PTE = 2;
const N = 3;

const PRESENT = toMask(F._PAGE_PRESENT);
const WRITE = toMask(F._PAGE_WRITE);
const VALID = toMask(F._PAGE_VALID);
const DIRTY = toMask(F._PAGE_DIRTY);
const MODIFIED = toMask(F._PAGE_MODIFIED);
const DIRTY_MODIFIED = orMask(F._PAGE_DIRTY, F._PAGE_MODIFIED);
const WRITE_DIRTY = orMask(F._PAGE_WRITE, F._PAGE_DIRTY);
const SPECIAL = toMask(F._PAGE_SPECIAL);
const HUGE = toMask(F._PAGE_HUGE);
const USER = toMask(F._PAGE_USER);
const NO_READ = toMask(F._PAGE_NO_READ);
const NO_EXEC = toMask(F._PAGE_NO_EXEC);
const CC = toMask(F._CACHE_CC);
const GLOBAL = toMask(F._PAGE_GLOBAL);
const PTE_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROTNONE);
const HUGE_PRESENT = orMask(F._PAGE_PRESENT, F._PAGE_PROTNONE, F._PAGE_PRESENT_INVALID);
const PFN = toMask(LOONGARCH_PFN_MASK);
const DMW = toMask(LOONGARCH_DMW);
/** A table pointer is a direct-map address: _PAGE_RPLV's bit 63 is always set in one, never in a user leaf. */
const POINTER = toMask(F._PAGE_RPLV);
const FULL = toMask(bitRange(0, 63));
const INVALID_PTE_PTR = toMask(LOONGARCH_DMW | BigInt(LOONGARCH_INVALID_PTE_TABLE));
const INVALID_PMD_PTR = toMask(LOONGARCH_DMW | BigInt(LOONGARCH_INVALID_PMD_TABLE));
/** The none value of each level's entries: invalid_pmd_table (pgd = folded pud), invalid_pte_table (pmd), 0 (pte). */
const NONE = [INVALID_PMD_PTR, INVALID_PTE_PTR, ZERO_MASK];

const isHugePmd = (e: Entry): boolean => testAny(e, HUGE);
const is = (e: Entry, m: { lo: number; hi: number }): boolean => testEq(e, FULL, m);

const mkdirty = (_l: number, e: Entry): void => {
  setBits(e, MODIFIED); // pte_mkdirty: _PAGE_MODIFIED, and _PAGE_DIRTY if writable
  if (testAny(e, WRITE)) setBits(e, DIRTY);
};
const mkwrite = (_l: number, e: Entry): void => {
  setBits(e, WRITE); // pte_mkwrite: _PAGE_WRITE, and _PAGE_DIRTY if modified
  if (testAny(e, MODIFIED)) setBits(e, DIRTY);
};

const hooks: ArchHooks = {
  // User space is [0, 2^47) (TASK_SIZE64 = 1 << VA_BITS on a CPU with >= 47 VA bits).
  vaForm: 'zero',
  pkey: null,
  fault: loongarchFaultHook,
  // The PA bits of a direct-map pointer (the DMW prefix dropped).
  tableAddrMask: [PFN, PFN, null],
  // pte_pfn / pmd_pfn: (val & _PFN_MASK) >> _PFN_SHIFT, the frame at PA bits 47:14.
  leafFrameMask: [null, toMask(LOONGARCH_PFN_MASK & ~((1n << 25n) - 1n)), PFN],
  // CSR.PGDL = the pgd (a kernel virtual address; the model holds its physical address).
  root: PLAIN_ROOT,
  // STACK_TOP (TASK_SIZE less the vDSO, not modelled) less the 128 MiB minimum gap (mm/util.c).
  mmapBase: 2 ** 47 - 2 ** 27,
  // flush_pmd_tlb_range is flush_tlb_range (no arch override): local_flush_tlb_range
  // (arch/loongarch/mm/tlb.c) does one invtlb per page pair while the pairs are at most
  // tlbsize / 8, else drop_mmu_context (a new ASID). tlbsize is CPU data; 264 pairs is the
  // 3A5000's 2112-entry TLB (not confirmed for other cores), i.e. 528 pages; the model
  // invalidates per page, not per pair. A 32 MiB PMD (2048 pages) flushes the whole mm.
  tlbFlush: { ceiling: 528, pmdStrideIsPmd: false },
  wbCachePmem: null,
  // protection_map entries carry _PAGE_VALID (= accessed): young from the pgprot.
  newLeafYoung: false,
  // pmd_trans_huge: _PAGE_HUGE and pmd_present.
  pmdTransHuge: (e) => isHugePmd(e) && testAny(e, HUGE_PRESENT),
  // The generic mm/ptdump.c; the user range is the whole 2^47 root span.
  ptdump: { style: 'generic', userEnd: 'top-span', levelFlags: null },
  qemuGuest: null,
  // No __HAVE_ARCH_PMDP_SET_ACCESS_FLAGS: the generic one (mm/pgtable-generic.c) has the VM_BUG_ON.
  setPteAtChecksValid: false,
  pmdpSetAccessFlagsAligned: true,
  memcpyFlushcache: 'cached',
  // Nothing is written back (wbCachePmem null), so the unlock has nothing to complete.
  unlockCompletesFlushes: false,
  // PAGE_NONE = _PAGE_PROTNONE | _PAGE_NO_READ | _PAGE_USER | _CACHE_CC (pgtable-bits.h).
  // pte_modify / pmd_modify (asm/pgtable.h): _PAGE_DIRTY folded into _PAGE_MODIFIED, then
  // (val & _PAGE_CHG_MASK / _HPAGE_CHG_MASK) | (newprot & ~mask); the latter keeps _PAGE_HUGE.
  // pte_protnone / pmd_protnone: _PAGE_PROTNONE set.
  protNone: protNoneHook({
    pageNone: F._PAGE_PROTNONE | F._PAGE_NO_READ | F._PAGE_USER | F._CACHE_CC,
    pte: PTE,
    pmd: PMD,
    keepPte: F._PAGE_MODIFIED | F._PAGE_SPECIAL | LOONGARCH_PFN_MASK | F._CACHE_MASK | F._PAGE_PLV,
    keepPmd: F._PAGE_MODIFIED | F._PAGE_SPECIAL | LOONGARCH_PFN_MASK | F._CACHE_MASK | F._PAGE_PLV | F._PAGE_HUGE,
    test: F._PAGE_PROTNONE,
    value: F._PAGE_PROTNONE,
    whole: false,
    before: (_l, e) => {
      if (testAny(e, DIRTY)) setBits(e, MODIFIED);
    },
  }),
  pmdpInvalidateAdFlushes: true, // change_huge_pmd's pmdp_invalidate_ad (ArchHooks)
  pmdLeafPreFix: null,
  // pmd_mkinvalid (asm/pgtable.h): sets _PAGE_PRESENT_INVALID, clears _PAGE_PRESENT,
  // _PAGE_VALID, _PAGE_DIRTY and _PAGE_PROTNONE; pmd_present of a huge PMD accepts it.
  pmdInvalidate: { clear: orMask(F._PAGE_PRESENT, F._PAGE_VALID, F._PAGE_DIRTY, F._PAGE_PROTNONE), set: toMask(F._PAGE_PRESENT_INVALID) },
};

export const loongarch64: Layout = {
  name: 'loongarch64',
  description: 'LoongArch64, 16 KiB pages, 3 levels, 32 MiB PMD leaves, software TLB refill, no devmap bit (fsdax unavailable in 6.1)',
  family: 'loongarch',
  sources: ['arch/loongarch/include/asm/pgtable-bits.h', 'arch/loongarch/include/asm/pgtable.h', 'arch/loongarch/include/asm/pgalloc.h', 'arch/loongarch/mm/tlbex.S'],
  endian: 'little',
  pageShift: LOONGARCH_PAGE_SHIFT,
  levels: [
    { name: 'pgd', shift: 36, bits: 11, leaf: false },
    { name: 'pmd', shift: 25, bits: 11, leaf: true },
    { name: 'pte', shift: 14, bits: 11, leaf: true },
  ],
  pmdLevel: PMD,
  pfn: { shift: LOONGARCH_PAGE_SHIFT, mask: LOONGARCH_PFN_MASK },
  flags: LOONGARCH_PTE_FLAGS,
  devmap: null,
  fsDaxLimited: false,
  tableBytes: [16384, 16384, 16384],
  hw: {
    // A pointer (bit 63 of the direct-map address) or, at the pmd, a present huge leaf; a pte with _PAGE_PRESENT.
    valid: [POINTER, orMask(F._PAGE_RPLV, F._PAGE_PRESENT), PRESENT],
    validWhenSet: [true, true, true],
    leaf: [ZERO_MASK, HUGE, ZERO_MASK],
    leafWhenSet: [true, true, false],
    write: perLevel(N, () => WRITE),
    writeWhenSet: perLevel(N, () => true),
    read: perLevel(N, () => NO_READ),
    readWhenSet: perLevel(N, () => false),
    user: perLevel(N, () => USER),
    userWhenSet: perLevel(N, () => true),
    exec: perLevel(N, () => NO_EXEC),
    execWhenSet: perLevel(N, () => false),
    // The refill fast paths set VALID, and VALID | DIRTY | MODIFIED on a store.
    accessed: [ZERO_MASK, VALID, VALID],
    dirty: [ZERO_MASK, DIRTY_MODIFIED, DIRTY_MODIFIED],
    tableRules: [false, false, false],
    reservedLeaf: perLevel(N, () => ZERO_MASK),
    reservedTable: perLevel(N, () => ZERO_MASK),
  },
  hooks,

  // pte_none: !(pte & ~_PAGE_GLOBAL); pmd_none / pud_none: the invalid-table pointer.
  isNone: (l, e) => (l === PTE ? (e.lo & ~GLOBAL.lo) === 0 && e.hi === 0 : is(e, NONE[l]!)),
  isPresent: (l, e) =>
    l === PTE ? testAny(e, PTE_PRESENT) : l === PMD && isHugePmd(e) ? testAny(e, HUGE_PRESENT) : !is(e, NONE[l]!),
  isLeaf: (l, e) => (l === PTE ? true : l === PMD && isHugePmd(e)), // pmd_leaf: _PAGE_HUGE
  isWrite: (_l, e) => testAny(e, WRITE),
  isDirty: (_l, e) => testAny(e, MODIFIED),
  isYoung: (_l, e) => testAny(e, VALID),
  isDevmap: () => false,
  isSpecial: (l, e) => l === PTE && testAny(e, SPECIAL),

  leafPfn: (_l, e) => fieldShifted(e, PFN, LOONGARCH_PAGE_SHIFT),
  tableAddress: (_l, e) => fieldValue(e, PFN),

  mkNone(level: number, out: Entry): void {
    const m = NONE[level]!;
    out.lo = m.lo;
    out.hi = m.hi;
  },
  mkLeaf(level: number, pfn: number, prot: LeafProt, out: Entry): void {
    if (level === PGD) throw new RangeError('loongarch64: no leaf at pgd');
    clearEntry(out);
    // pfn_pte: (pfn << _PFN_SHIFT) | prot; protection_map[VM_READ|VM_WRITE] (arch/loongarch/mm/cache.c)
    // is _CACHE_CC | _PAGE_VALID | _PAGE_USER | _PAGE_PRESENT | _PAGE_NO_EXEC.
    orAddress(out, pfn * 2 ** LOONGARCH_PAGE_SHIFT, PFN);
    setBits(out, PRESENT);
    setBits(out, CC);
    if (prot.user) setBits(out, USER);
    if (prot.young) setBits(out, VALID);
    if (!prot.exec) setBits(out, NO_EXEC);
    if (level === PMD) setBits(out, HUGE); // pmd_mkhuge (no G to move to HGLOBAL in a user entry)
    if (prot.special && level === PTE) setBits(out, SPECIAL);
    // insert_pfn: maybe_mkwrite(pte_mkdirty(entry)).
    if (prot.dirty) mkdirty(level, out);
    if (prot.write) mkwrite(level, out);
  },
  mkTable(level: number, tablePhys: number, out: Entry): void {
    if (level === PTE) throw new RangeError('loongarch64: no table below pte');
    clearEntry(out);
    orAddress(out, tablePhys, PFN);
    setBits(out, DMW); // page_address(table): the direct-map virtual address
  },

  // pte_mkclean: _PAGE_DIRTY and _PAGE_MODIFIED clear.
  mkclean: (_l, e) => clearBits(e, DIRTY_MODIFIED),
  mkdirty,
  // pte_wrprotect: a hardware-dirty entry keeps _PAGE_MODIFIED; then _PAGE_WRITE | _PAGE_DIRTY clear.
  wrprotect: (_l, e) => {
    if (testAny(e, DIRTY)) setBits(e, MODIFIED);
    clearBits(e, WRITE_DIRTY);
  },
  mkwrite,
  mkold: (_l, e) => clearBits(e, VALID),
  mkyoung: (_l, e) => setBits(e, VALID),
};

// `run --dump P`: P's page tables in the kernel's own ptdump format for the arch, line for line
// what /sys/kernel/debug/page_tables/current_user prints on a real machine (x86), so the two
// can be diffed. The walk is mm/ptdump.c over mm/pagewalk.c (Linux 6.1): every leaf is passed
// to the arch's note_page() with its level and raw value, every empty upper-level entry as a
// hole (value 0) at its depth (pagewalk.c real_depth), and every PTE of a present page table
// as it is (pte_entry is called for empty PTEs too). The arch formatter then merges runs and
// prints them as its note_page() does:
//   x86: arch/x86/mm/dump_pagetables.c note_page() / printk_prot(): range, size, flag columns, level
//   powerpc: arch/powerpc/mm/ptdump/ptdump.c note_page() / dump_addr() with book3s64.c's flag_array:
//            range (inclusive end), physical address, size, flags; holes are not printed
//   s390: arch/s390/mm/dump_pagetables.c note_page() / print_prot(): range, size, level, I / RO RW, NX X
//   arm64: arch/arm64/mm/ptdump.c note_page() / dump_prot() with pte_bits[]: range, size, level, flags
// What daxsim cannot show: the kernel half of the address space (not modelled). On x86 the dump
// ends where the kernel's does at the "Kernel Space" marker, so the user-space lines, the last
// hole included, match a real dump. powerpc, s390 and arm64 (but for the EFI runtime mm) dump only the kernel's init_mm in 6.1; their
// format is applied here to the process's user address space under a "User Space" marker (x86's name).

import type { Entry, Layout, PtdumpHook } from '../../arch/types.ts';
import type { Mm } from '../kernel/mm.ts';
import { ACTION_SUBTREE, walkPageRange, type MmWalk, type MmWalkOps } from '../kernel/pagewalk.ts';
import type { Simulation } from '../sim/simulation.ts';
import { flagNames } from './ptdump.ts';

/** The kernel's level numbers for ptdump (0 = pgd ... 4 = pte, include/linux/ptdump.h users). */
const KERNEL_LEVEL: Readonly<Record<string, number>> = { pgd: 0, p4d: 1, pud: 2, pmd: 3, pte: 4 };

const U64 = (1n << 64n) - 1n;

function value64(e: Entry): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

function hex16(v: bigint): string {
  return (v & U64).toString(16).padStart(16, '0');
}

/** What an arch's ptdump does with each entry: mm/ptdump.c's ptdump_state callbacks. */
interface PtdumpState {
  /** st->effective_prot(st, level, val), called on every present upper entry and leaf before descending. */
  effective(level: number, val: bigint): void;
  /** st->note_page(st, addr, level, val). */
  note(addr: number, level: number, val: bigint): void;
  /** Ends the dump at `addr` (the end of the user range); returns the text. */
  finish(addr: number): string;
}

/** ptdump's struct mm_walk: the arch state the entries go to. */
interface PtdumpWalk extends MmWalk {
  readonly layout: Layout;
  readonly st: PtdumpState;
  /** The layout has no p4d level: the pgd's value is also p4d_val (folded). */
  readonly p4dFolded: boolean;
}

/** kernel level of layout level `level` (ptdump counts pgd 0 .. pte 4 whatever the layout folds). */
function kernelLevel(w: PtdumpWalk, level: number): number {
  return KERNEL_LEVEL[w.layout.levels[level]!.name]!;
}

/**
 * ptdump_ops (mm/ptdump.c): ptdump_pgd_entry .. ptdump_pmd_entry (effective_prot, then a
 * leaf's note_page), ptdump_pte_entry (every PTE, pte_val() as it is: 0 or the arch's empty
 * value) and ptdump_hole (val 0 at the walk's depth).
 */
const PTDUMP_OPS: MmWalkOps<PtdumpWalk> = {
  pxdEntry(w, addr) {
    const kl = kernelLevel(w, w.level);
    const val = value64(w.entry);
    w.st.effective(kl, val);
    if (kl === 0 && w.p4dFolded) w.st.effective(1, val);
    if (w.layout.isLeaf(w.level, w.entry)) w.st.note(addr, kl, val);
    return 0;
  },
  pteEntry(w, addr) {
    const kl = kernelLevel(w, w.level);
    const val = value64(w.entry);
    w.st.effective(kl, val);
    w.st.note(addr, kl, val);
    return 0;
  },
  pteHole(w, addr, _next, depth) {
    w.st.note(addr, kernelLevel(w, depth), 0n);
    return 0;
  },
};

/** The walk of mm/ptdump.c (walk_page_range_novma) over `table` at `level`, for [0, end) clipped to what the table spans. */
function walkTable(sim: Simulation, st: PtdumpState, table: number, level: number, end: number): void {
  const layout = sim.layout;
  const lv = layout.levels[level]!;
  const span = 2 ** (lv.shift + lv.bits);
  const w: PtdumpWalk = { level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: ACTION_SUBTREE, layout, st, p4dFolded: !layout.levels.some((l) => l.name === 'p4d') };
  walkPageRange(sim.kernel.pt, table, level, 0, Math.min(end, span), PTDUMP_OPS, w);
}

function flagMask(layout: Layout, name: string): bigint {
  const m = layout.flags[name];
  if (m === undefined) throw new Error(`${layout.name} has no flag ${name}`);
  return m;
}

/** Size with the largest unit that divides it, as note_page's `while (!(delta & 1023) && unit[1])` loop. */
function sizeUnits(bytes: bigint, units: string, preShift: bigint): string {
  let delta = bytes >> preShift;
  let u = 0;
  while ((delta & 1023n) === 0n && u < units.length - 1) {
    delta >>= 10n;
    u++;
  }
  return `${delta.toString().padStart(9)}${units[u]}`;
}

// ---- x86: arch/x86/mm/dump_pagetables.c ---------------------------------------------------

/** level_name[] of printk_prot(). */
const X86_LEVEL_NAME = ['pgd', 'p4d', 'pud', 'pmd', 'pte'];

/**
 * GUARD_HOLE_END_ADDR (arch/x86/include/asm/pgtable_64_types.h): GUARD_HOLE_BASE_ADDR
 * (-256UL << PGDIR_SHIFT) + GUARD_HOLE_SIZE (16UL << PGDIR_SHIFT), where the second
 * ptdump_range of ptdump_walk_pgd_level_core begins; the first ends at half the address space.
 */
function x86GuardHoleEnd(pgdirShift: number): bigint {
  return (((-256n << BigInt(pgdirShift)) & U64) + (16n << BigInt(pgdirShift))) & U64;
}

class X86Ptdump implements PtdumpState {
  private readonly out: string[] = [];
  private level = -1;
  private cur = 0n;
  private eff = 0n;
  private start = 0n;
  private readonly protLevels = [0n, 0n, 0n, 0n, 0n];
  /** PTE_FLAGS_MASK = ~PTE_PFN_MASK (arch/x86/include/asm/pgtable_types.h). */
  private readonly flagsMask: bigint;
  private readonly f: Record<'present' | 'user' | 'rw' | 'pwt' | 'pcd' | 'pse' | 'pat' | 'patLarge' | 'global' | 'nx', bigint>;
  /** PGDIR_SHIFT: 39 with 4 levels, 48 with 5. */
  private readonly pgdirShift: number;

  constructor(layout: Layout) {
    this.pgdirShift = layout.levels[0]!.shift;
    this.flagsMask = ~layout.pfn.mask & U64;
    const m = (n: string): bigint => flagMask(layout, n);
    this.f = { present: m('_PAGE_PRESENT'), user: m('_PAGE_USER'), rw: m('_PAGE_RW'), pwt: m('_PAGE_PWT'), pcd: m('_PAGE_PCD'), pse: m('_PAGE_PSE'), pat: m('_PAGE_PAT'), patLarge: m('_PAGE_PAT_LARGE'), global: m('_PAGE_GLOBAL'), nx: m('_PAGE_NX') };
  }

  effective(level: number, val: bigint): void {
    // effective_prot(): U/S and R/W AND down the levels, NX ORs.
    const prot = val & this.flagsMask;
    const f = this.f;
    this.protLevels[level] = level > 0 ? (this.protLevels[level - 1]! & prot & (f.user | f.rw)) | ((this.protLevels[level - 1]! | prot) & f.nx) : prot;
  }

  private printkProt(pr: bigint, level: number): string {
    const f = this.f;
    const has = (m: bigint): boolean => (pr & m) !== 0n;
    if (!has(f.present)) return ' '.repeat(30) + X86_LEVEL_NAME[level]!;
    return (
      (has(f.user) ? 'USR ' : '    ') +
      (has(f.rw) ? 'RW ' : 'ro ') +
      (has(f.pwt) ? 'PWT ' : '    ') +
      (has(f.pcd) ? 'PCD ' : '    ') +
      // Bit 7 is PSE at pud/pmd and PAT at the pte level. _PAGE_PAT_LARGE (bit 12) lies inside
      // PTE_PFN_MASK, so new_prot never holds it and huge pages never show PAT in 6.1.
      (level <= 3 && has(f.pse) ? 'PSE ' : '    ') +
      ((level === 4 && has(f.pat)) || ((level === 3 || level === 2) && has(f.patLarge)) ? 'PAT ' : '    ') +
      (has(f.global) ? 'GLB ' : '    ') +
      (has(f.nx) ? 'NX ' : 'x  ') +
      X86_LEVEL_NAME[level]!
    );
  }

  note(addr: number, level: number, val: bigint): void {
    this.noteBig(BigInt(addr), level, val);
  }

  private noteBig(addr: bigint, level: number, val: bigint): void {
    const newProt = val & this.flagsMask;
    const newEff = val === 0n ? 0n : this.protLevels[level]!;
    if (this.level === -1) {
      this.out.push('---[ User Space ]---');
    } else if (newProt !== this.cur || newEff !== this.eff || level !== this.level || addr >= 1n << 63n) {
      this.out.push(`0x${hex16(this.start)}-0x${hex16(addr)}   ${sizeUnits(addr - this.start, 'BKMGTPE', 0n)} ${this.printkProt(this.cur, this.level)}`);
      if (addr >= 1n << 63n) this.out.push('---[ Kernel Space ]---');
    } else {
      return;
    }
    this.start = addr;
    this.cur = newProt;
    this.eff = newEff;
    this.level = level;
  }

  finish(): string {
    // The walk continues at GUARD_HOLE_END_ADDR in the kernel half: that address ends the last
    // user-space series and opens the "Kernel Space" marker, where daxsim stops.
    this.noteBig(x86GuardHoleEnd(this.pgdirShift), 0, 0n);
    return this.out.join('\n') + '\n';
  }
}

/**
 * The formatters whose dump ends where the user range does: the last run is flushed at
 * `userEnd` with level -1 (mm/ptdump.c ptdump_walk_pgd's final note_page), nothing else done
 * at the end; no effective_prot. Their note_page()s keep the same run state (struct pg_state's
 * start_address, current_prot / current_flags, level): the first call prints the marker, a call
 * whose prot or level differs ends the run with its line, any other call only extends it.
 */
abstract class UserRangePtdump implements PtdumpState {
  protected readonly out: string[] = [];
  protected level = -1;
  protected prot = 0n;
  protected start = 0n;
  /** The first line, printed at the first note (the address markers' "User Space"). */
  protected marker = '---[ User Space ]---';

  effective(): void {}

  note(addr: number, level: number, val: bigint): void {
    this.noteBig(BigInt(addr), level, val);
  }

  /** note_page(), on a 64-bit address: the run bookkeeping these arches' versions share. */
  private noteBig(addr: bigint, level: number, val: bigint): void {
    const prot = this.protOf(level, val);
    if (this.level === -1) {
      this.out.push(this.marker);
    } else if (prot !== this.prot || level !== this.level) {
      const line = this.runLine(addr);
      if (line !== null) this.out.push(line);
    } else {
      return;
    }
    this.runStarts(val);
    this.start = addr;
    this.prot = prot;
    this.level = level;
  }

  /** The part of `val` that breaks a run where it changes (level -1: the final flush). */
  protected abstract protOf(level: number, val: bigint): bigint;

  /** The line of the run [start, end) with this.prot at this.level, or null for none. */
  protected abstract runLine(end: bigint): string | null;

  /** What else a new run keeps of its first entry. */
  protected runStarts(_val: bigint): void {}

  finish(userEnd: number): string {
    this.noteBig(BigInt(userEnd), -1, 0n);
    return this.out.join('\n') + '\n';
  }
}

// ---- powerpc book3s64: arch/powerpc/mm/ptdump/ptdump.c, book3s64.c --------------------------

interface FlagInfo {
  mask: bigint;
  val: bigint;
  set: string;
  clear: string | null;
}

/** _RPAGE_RSV1 (arch/powerpc/include/asm/book3s/64/pgtable.h), which H_PAGE_BUSY names. */
const PPC_RPAGE_RSV1 = 0x40n;

/** book3s64.c flag_array with CONFIG_PPC_64K_PAGES (H_PAGE_* from book3s/64/hash-64k.h). */
function ppcFlagArray(layout: Layout): FlagInfo[] {
  const m = (n: string): bigint => flagMask(layout, n);
  return [
    { mask: m('_PAGE_PRIVILEGED'), val: 0n, set: 'user', clear: '    ' },
    { mask: m('_PAGE_READ'), val: m('_PAGE_READ'), set: 'r', clear: ' ' },
    { mask: m('_PAGE_WRITE'), val: m('_PAGE_WRITE'), set: 'w', clear: ' ' },
    { mask: m('_PAGE_EXEC'), val: m('_PAGE_EXEC'), set: ' X ', clear: '   ' },
    { mask: m('_PAGE_PTE'), val: m('_PAGE_PTE'), set: 'pte', clear: '   ' },
    { mask: m('_PAGE_PRESENT'), val: m('_PAGE_PRESENT'), set: 'valid', clear: '     ' },
    { mask: m('_PAGE_PRESENT') | m('_PAGE_INVALID'), val: 0n, set: '       ', clear: 'present' },
    { mask: m('_RPAGE_RPN43'), val: m('_RPAGE_RPN43'), set: 'hpte', clear: '    ' }, // H_PAGE_HASHPTE
    { mask: m('_PAGE_DIRTY'), val: m('_PAGE_DIRTY'), set: 'dirty', clear: '     ' },
    { mask: m('_PAGE_ACCESSED'), val: m('_PAGE_ACCESSED'), set: 'accessed', clear: '        ' },
    { mask: m('_PAGE_NON_IDEMPOTENT'), val: m('_PAGE_NON_IDEMPOTENT'), set: 'non-idempotent', clear: '              ' },
    { mask: m('_PAGE_TOLERANT'), val: m('_PAGE_TOLERANT'), set: 'tolerant', clear: '        ' },
    { mask: PPC_RPAGE_RSV1, val: PPC_RPAGE_RSV1, set: 'busy', clear: null }, // H_PAGE_BUSY
    { mask: m('_RPAGE_RPN0'), val: m('_RPAGE_RPN0'), set: 'combo', clear: null }, // H_PAGE_COMBO
    { mask: m('_RPAGE_RPN1'), val: m('_RPAGE_RPN1'), set: '4K_pfn', clear: null }, // H_PAGE_4K_PFN
    { mask: m('_PAGE_SPECIAL'), val: m('_PAGE_SPECIAL'), set: 'special', clear: null },
  ];
}

class PowerPtdump extends UserRangePtdump {
  private startPa = 0n;
  private readonly flagArray: FlagInfo[];
  /** pg_level[].mask: the union of the flag masks (build_pgtable_complete_mask). */
  private readonly mask: bigint;
  /** PTE_RPN_MASK. */
  private readonly rpn: bigint;

  constructor(layout: Layout) {
    super();
    this.flagArray = ppcFlagArray(layout);
    this.mask = this.flagArray.reduce((a, f) => a | f.mask, 0n);
    this.rpn = layout.pfn.mask;
  }

  protected protOf(level: number, val: bigint): bigint {
    return level >= 0 ? val & this.mask : 0n;
  }

  /** dump_addr(): only runs with flags print (holes do not), with an inclusive end. */
  protected runLine(end: bigint): string | null {
    if (this.prot === 0n) return null;
    let line = `0x${hex16(this.start)}-0x${hex16(end - 1n)}  0x${hex16(this.startPa)} ${sizeUnits(end - this.start, ' KMGTPE', 0n)} `;
    for (const f of this.flagArray) {
      if (f.mask === 0n) continue;
      const s = (this.prot & f.mask) === f.val ? f.set : f.clear;
      if (s !== null) line += `  ${s}`;
    }
    return line;
  }

  protected override runStarts(val: bigint): void {
    this.startPa = val & this.rpn;
  }
}

// ---- s390: arch/s390/mm/dump_pagetables.c -------------------------------------------------

/** level_name[] of print_prot(). */
const S390_LEVEL_NAME = ['ASCE', 'PGD', 'PUD', 'PMD', 'PTE'];

class S390Ptdump extends UserRangePtdump {
  private readonly protect: bigint;
  private readonly noexec: bigint;
  private readonly invalid: bigint;

  constructor(layout: Layout) {
    super();
    this.protect = flagMask(layout, '_PAGE_PROTECT');
    this.noexec = flagMask(layout, '_PAGE_NOEXEC');
    this.invalid = flagMask(layout, '_PAGE_INVALID');
  }

  protected protOf(level: number, val: bigint): bigint {
    // The segment and region entries' protect / no-exec bits sit where the PTE's do.
    if (level === 4 && (val & this.invalid) !== 0n) return this.invalid;
    if (level !== 4 && val === 0n) return this.invalid; // pmd_none() and friends arrive as 0
    return val & (this.protect | this.noexec);
  }

  protected runLine(end: bigint): string {
    const tail = (this.prot & this.invalid) !== 0n ? 'I' : `${(this.prot & this.protect) !== 0n ? 'RO' : 'RW'} ${(this.prot & this.noexec) !== 0n ? 'NX' : 'X'}`;
    return `0x${hex16(this.start)}-0x${hex16(end)} ${sizeUnits(end - this.start, 'KMGTPE', 10n)} ${S390_LEVEL_NAME[this.level]!} ${tail}`;
  }
}

// ---- arm64: arch/arm64/mm/ptdump.c --------------------------------------------------------

/** MAIR indices (arch/arm64/include/asm/memory.h MT_*), as pte_bits[] names the PTE_ATTRINDX values. */
const ARM64_MEMORY_TYPES: ReadonlyArray<[number, string]> = [
  [3, 'DEVICE/nGnRnE'], // MT_DEVICE_nGnRnE
  [4, 'DEVICE/nGnRE'], // MT_DEVICE_nGnRE
  [2, 'MEM/NORMAL-NC'], // MT_NORMAL_NC
  [0, 'MEM/NORMAL'], // MT_NORMAL
  [1, 'MEM/NORMAL-TAGGED'], // MT_NORMAL_TAGGED
];

/** pte_bits[] of arch/arm64/mm/ptdump.c, in its order (one table for every level). */
function arm64PteBits(layout: Layout): FlagInfo[] {
  const m = (n: string): bigint => flagMask(layout, n);
  const bit = (name: string, set: string, clear: string): FlagInfo => ({ mask: m(name), val: m(name), set, clear });
  const attr = m('PTE_ATTRINDX_MASK');
  return [
    bit('PTE_VALID', ' ', 'F'),
    bit('PTE_USER', 'USR', '   '),
    bit('PTE_RDONLY', 'ro', 'RW'),
    bit('PTE_PXN', 'NX', 'x '),
    bit('PTE_SHARED', 'SHD', '   '),
    bit('PTE_AF', 'AF', '  '),
    bit('PTE_NG', 'NG', '  '),
    bit('PTE_CONT', 'CON', '   '),
    // a page or table descriptor has bit 1 set; a block (PMD, PUD leaf) has not
    bit('PTE_TABLE_BIT', '   ', 'BLK'),
    bit('PTE_UXN', 'UXN', '   '),
    bit('PTE_GP', 'GP', '  '),
    // PTE_ATTRINDX(t) = t << 2; no clear string: only the matching type prints
    ...ARM64_MEMORY_TYPES.map(([t, set]): FlagInfo => ({ mask: attr, val: BigInt(t) << 2n, set, clear: null })),
  ];
}

/**
 * note_page() of arch/arm64/mm/ptdump.c: a run breaks where the masked prot or the level
 * changes; its line is `0x<start>-0x<end>   <size><unit> <LEVEL>` and, where the run's prot is
 * not 0 (holes have 0), every pte_bits[] string. pg_level[] names the levels PGD, P4D, PUD
 * (PGD with 3 levels: CONFIG_PGTABLE_LEVELS > 3), PMD, PTE; holes in a folded level arrive at
 * the level below the root's (pagewalk.c real_depth), so both spell PGD. The kernel flushes the
 * last run with note_page(st, 0, -1, 0) (mm/ptdump.c ptdump_walk_pgd), which for the kernel's
 * range to ~0UL reads as its end; here the user range ends at TASK_SIZE_64, where the last run
 * is flushed instead.
 */
class Arm64Ptdump extends UserRangePtdump {
  private readonly bits: FlagInfo[];
  /** pg_level[].mask: the union of pte_bits[]' masks (ptdump_initialize). */
  private readonly mask: bigint;
  private readonly names: readonly string[];

  constructor(layout: Layout) {
    super();
    this.bits = arm64PteBits(layout);
    this.mask = this.bits.reduce((a, f) => a | f.mask, 0n);
    const levels = layout.levels.length;
    this.names = ['PGD', 'P4D', levels > 3 ? 'PUD' : 'PGD', levels > 2 ? 'PMD' : 'PGD', 'PTE'];
  }

  protected protOf(level: number, val: bigint): bigint {
    return level >= 0 ? val & this.mask : 0n;
  }

  protected runLine(end: bigint): string {
    let line = `0x${hex16(this.start)}-0x${hex16(end)}   ${sizeUnits(end - this.start, 'KMGTPE', 10n)} ${this.names[this.level]!}`;
    if (this.prot !== 0n) {
      for (const f of this.bits) {
        const s = (this.prot & f.mask) === f.val ? f.set : f.clear;
        if (s !== null) line += ` ${s}`;
      }
    }
    return line;
  }
}

// ---- any other layout ---------------------------------------------------------------------

/**
 * A layout without a formatter here (one added later): ptdump's runs (break on any flag bit or
 * level change), printed as `0x<start>-0x<end> <size> <level> <flags by the kernel's names>`.
 */
class GenericPtdump extends UserRangePtdump {
  private readonly flagsMask: bigint;

  constructor(private readonly layout: Layout) {
    super();
    this.marker = `---[ User Space (no ptdump format of ${layout.name} in daxsim: its flag names) ]---`;
    this.flagsMask = ~layout.pfn.mask & U64;
  }

  protected protOf(_level: number, val: bigint): bigint {
    return val & this.flagsMask;
  }

  protected runLine(end: bigint): string {
    const idx = this.layout.levels.findIndex((l) => KERNEL_LEVEL[l.name] === this.level);
    const names = flagNames(this.layout, idx).filter((f) => (this.prot & f.mask) !== 0n).map((f) => f.name);
    return `0x${hex16(this.start)}-0x${hex16(end)} ${sizeUnits(end - this.start, 'BKMGTPE', 0n)} ${X86_LEVEL_NAME[this.level]!} ${names.join(' ')}`.trimEnd();
  }
}

/** How each layout is dumped: its formatter, the user range, and where the walk starts. */
interface ArchPtdump {
  make(layout: Layout): PtdumpState;
  /** End of the user address range walked. */
  userEnd(layout: Layout): number;
  /** Levels folded away at the top (s390: a region-third ASCE has no region-first or -second table). */
  foldedTop(layout: Layout): number;
}

const levelSpan = (layout: Layout, level: number): number => 2 ** (layout.levels[level]!.shift + layout.levels[level]!.bits);
const topSpan = (layout: Layout): number => levelSpan(layout, 0);
/** The level of the table a new mm's root register designates (src/kernel createProcess). */
const newMmRootLevel = (layout: Layout): number => layout.hooks.root.levelFor(layout.hooks.mmapBase);

/** The formatter per ptdump style (layout.hooks.ptdump.style). */
const FORMATTERS: Readonly<Record<PtdumpHook['style'], (l: Layout) => PtdumpState>> = {
  x86: (l) => new X86Ptdump(l),
  power: (l) => new PowerPtdump(l),
  s390: (l) => new S390Ptdump(l),
  arm64: (l) => new Arm64Ptdump(l),
  generic: (l) => new GenericPtdump(l),
};

/** The user range walked and the levels folded above the root (layout.hooks.ptdump.userEnd; each layout cites its source). */
const RANGES: Readonly<Record<PtdumpHook['userEnd'], Omit<ArchPtdump, 'make'>>> = {
  'lower-half': { userEnd: (l) => topSpan(l) / 2, foldedTop: () => 0 },
  'top-span': { userEnd: topSpan, foldedTop: () => 0 },
  'new-mm-root': { userEnd: (l) => levelSpan(l, newMmRootLevel(l)), foldedTop: newMmRootLevel },
};

function archPtdump(layout: Layout): ArchPtdump {
  const h = layout.hooks.ptdump;
  return { make: FORMATTERS[h.style], ...RANGES[h.userEnd] };
}

/** The kernel-format ptdump of `mm`'s user address space. */
export function formatKernelPtdump(sim: Simulation, mm: Mm): string {
  const layout = sim.layout;
  const arch = archPtdump(layout);
  const st = arch.make(layout);
  const end = arch.userEnd(layout);
  let table = mm.pgd;
  let level = 0;
  for (const folded = arch.foldedTop(layout); level < folded; level++) {
    // The folded level's entry 0 holds the next table (s390: region-first entry 0 -> region-second table).
    const e: Entry = { lo: 0, hi: 0 };
    sim.kernel.pt.read(table, e);
    if (layout.isNone(level, e)) {
      st.note(0, KERNEL_LEVEL[layout.levels[level + 1]!.name]!, 0n);
      return st.finish(end);
    }
    table = layout.tableAddress(level, e);
  }
  walkTable(sim, st, table, level, end);
  return st.finish(end);
}

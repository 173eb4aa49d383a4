// The hardware page walk: the reference walk (lookup, rule by rule from layout.hw, no side
// effect), the per-CPU root registers, and the out-of-line parts the generated walk calls
// (codegen.ts): slow memory reads, accessor fallbacks, the accessed/dirty update, the fault.
//
// What it models, and from where:
//  - The walk: from the root the CPU holds (x86 CR3; radix the process-table entry of the PID;
//    s390 the ASCE, whose designation type says at which level the walk starts), one entry per
//    level, until a valid leaf. x86: Intel SDM Vol. 3A 4.5 ("4-Level Paging and 5-Level
//    Paging"); radix: Power ISA v3.0B Book III 6.7.10 ("Radix Tree Translation"); s390:
//    z/Architecture PoO ch. 3 ("Dynamic Address Translation").
//  - Entry address = table base || index || 0b000 (SDM 4.5; radix "NLB || index"): an OR; it
//    differs from s390's add only for a base not aligned to its table (a corrupted entry).
//  - Rights: x86 combines the rights of every level (SDM 4.6.1: writes need R/W=1 and user
//    accesses U/S=1 in every paging-structure entry; XD=1 in any entry forbids fetches); where
//    hw.tableRules[l] is false (radix PDEs) only the leaf's rights count.
//  - Accessed and dirty: set by the walker on the entries it used, written back only when the
//    bit was clear (SDM 4.8; Power ISA Book III 6.7.12 for radix R/C on the leaf), and only
//    when the translation succeeds (the SDM lets a processor set A on upper levels of a
//    faulting walk; this model takes the deterministic reading).
//  - Not modelled: paging-structure caches (a walk always reads every level), global pages,
//    memory types, radix quadrant 3 and the partition-scoped tree, s390 storage keys and
//    low-address protection.

import type { Entry, Layout, Mask, RootInfo } from '../../arch/types.ts';
import type { PhysMem } from '../mem/phys.ts';
import { Access, Cause, FaultKind, Perm } from './consts.ts';
import { C } from './counters.ts';
import type { FaultInfo } from './fault.ts';
import { f64, i32, type Tlb } from './tlb.ts';

const TWO32 = 4294967296;
const ALL_RIGHTS = Perm.R | Perm.W | Perm.X | Perm.U;

/** table || idx * 8 for a table address as a number (the OR on the low half). */
export function entryAddress(table: number, idx: number): number {
  const low = table % TWO32;
  return table - low + ((low | (idx * 8)) >>> 0);
}

/** The index of hi:lo (uint32 halves) for a level of `bits` bits at `shift`. */
function indexOf(hi: number, lo: number, shift: number, bits: number): number {
  const m = 2 ** bits - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & m;
  if (shift === 0) return lo & m;
  return ((lo >>> shift) | (hi << (32 - shift))) & m;
}

function holds(lo: number, hi: number, m: Mask, whenSet: boolean): boolean {
  return (((lo & m.lo) | (hi & m.hi)) !== 0) === whenSet;
}

function isZero(m: Mask): boolean {
  return m.lo === 0 && m.hi === 0;
}

/** What lookup() found: the walk's last entry, with no side effect. */
export interface LookupResult {
  /** 'mapped': a valid leaf; otherwise why the walk stopped. */
  status: 'mapped' | 'not-present' | 'reserved' | 'non-canonical';
  /** Level index (0 = the layout's first) of the entry where the walk stopped (the leaf when mapped); -1 if none was read. */
  level: number;
  /** That entry (CPU-order halves). */
  entry: Entry;
  /** Its physical address, or -1. */
  entryPa: number;
  /** The translated physical address when mapped, else -1. */
  pa: number;
  /** Bytes mapped by the leaf when mapped (4096, 2 MiB, ...), else 0. */
  pageSize: number;
  /** Effective rights (Perm bits) of the walk when mapped, else 0. */
  perms: number;
}

/** Bits of virtual address a root at `level` covers, and the largest JS-number address of its fast path. */
export function addressRange(L: Layout, level: number): { bits: number; maxNum: number } {
  const lv = L.levels[level]!;
  const bits = Math.min(64, lv.shift + lv.bits);
  const signExtend = L.hooks.vaForm === 'sign-extend';
  return { bits, maxNum: Math.min(Number.MAX_SAFE_INTEGER, 2 ** (bits - (signExtend ? 1 : 0)) - 1) };
}

/** True when hi:lo (uint32 halves) is an address a root of `bits` bits can translate (x86 canonical, others zero above). */
export function inRange(hi: number, lo: number, bits: number, signExtend: boolean): boolean {
  if (signExtend) {
    // SDM Vol. 1 3.3.7.1: bits 63 through bits-1 all equal.
    return bits - 1 >= 32 ? hi >> (bits - 1 - 32) === hi >> 31 : false;
  }
  if (bits >= 64) return true;
  if (bits >= 32) return hi >>> (bits - 32) === 0;
  return hi === 0 && lo >>> bits === 0;
}

/** The per-CPU root registers and everything of the walk that is not generated. */
export class Walker {
  readonly signExtend: boolean;
  /** Per CPU: the root register value (CR3, ASCE ...). */
  readonly root: Float64Array;
  /** Per CPU: the root table as int32 halves (lo, hi), for the generated walk. */
  readonly rootHL: Int32Array;
  /** Per CPU: the level the walk starts at (the ASCE's designation type; 0 elsewhere). */
  readonly rootLevel: Int32Array;
  /** Per CPU: the address bits its root covers, and the largest fast-path address. */
  readonly vaBits: Int32Array;
  readonly vaMax: Float64Array;
  /** Per CPU: x86 PKRU. */
  readonly pkru: Int32Array;
  smep = false;
  smap = false;

  private readonly levelSize: number[];
  private readonly tmp: Entry = { lo: 0, hi: 0 };
  private readonly rootInfo: RootInfo = { table: 0, level: 0 };
  /** Where readSlow leaves an entry (int32 halves). */
  readonly tmpv = i32(2);
  /** Where the generated walk leaves a physical address. */
  readonly out = f64(1);
  private readonly pkeyShiftHi: number;

  constructor(
    readonly layout: Layout,
    readonly mem: PhysMem,
    cpus: number,
    private readonly cnt: Float64Array,
    readonly fault: FaultInfo,
    private readonly tlb: Tlb,
  ) {
    this.signExtend = layout.hooks.vaForm === 'sign-extend';
    this.levelSize = layout.levels.map((lv) => 2 ** lv.shift);
    this.root = f64(cpus);
    this.rootHL = i32(cpus * 2);
    this.rootLevel = i32(cpus);
    this.vaBits = i32(cpus);
    this.vaMax = f64(cpus);
    this.pkru = i32(cpus);
    const pk = layout.hooks.pkey;
    this.pkeyShiftHi = pk !== null ? pk.shift - 32 : -1;
    const first = layout.hooks.root.levels[0] ?? 0;
    for (let c = 0; c < cpus; c++) this.loadRoot(c, layout.hooks.root.encode(0, first));
  }

  /** Loads a root register value (decoded by the layout's root hook); checks the table's alignment. */
  loadRoot(cpu: number, root: number): void {
    const L = this.layout;
    const r = this.rootInfo;
    L.hooks.root.decode(root, r);
    // The walk forms an entry's address as table | index * 8, so the table must be aligned to its size.
    const align = L.tableBytes[r.level] ?? 4096;
    if (r.table % align !== 0) throw new RangeError(`root 0x${root.toString(16)}: table 0x${r.table.toString(16)} is not aligned to ${align}`);
    this.root[cpu] = root;
    this.rootHL[cpu * 2] = r.table % TWO32 | 0;
    this.rootHL[cpu * 2 + 1] = Math.floor(r.table / TWO32) | 0;
    this.rootLevel[cpu] = r.level;
    const range = addressRange(L, r.level);
    this.vaBits[cpu] = range.bits;
    this.vaMax[cpu] = range.maxNum;
  }

  /** The root table of `cpu` as a number. */
  rootTable(cpu: number): number {
    return (this.rootHL[cpu * 2 + 1]! >>> 0) * TWO32 + (this.rootHL[cpu * 2]! >>> 0);
  }

  /** The address hi:lo is one `cpu`'s root can translate. */
  inRangeOf(cpu: number, hi: number, lo: number): boolean {
    return inRange(hi, lo, this.vaBits[cpu]!, this.signExtend);
  }

  /** Records a fault for an address the root cannot translate (x86 #GP, radix segment interrupt, s390 ASCE-type). */
  rangeFault(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    const f = this.fault;
    f.cause = 0;
    f.perms = 0;
    f.entryPa = -1;
    f.entryLo = 0;
    f.entryHi = 0;
    f.set(FaultKind.NonCanonical, cpu, hi, lo, access, user, -1);
    this.cnt[C.FAULTS + FaultKind.NonCanonical]++;
    return -1;
  }

  // ---- out of line parts of the generated walk ---------------------------------------------

  /** @internal The entry at eh:el (int32 halves) outside the directly read DRAM, through PhysMem.read64, into tmpv. */
  readSlow(el: number, eh: number): void {
    this.mem.read64((eh >>> 0) * TWO32 + (el >>> 0), this.layout.endian, this.tmp);
    this.tmpv[0] = this.tmp.lo;
    this.tmpv[1] = this.tmp.hi;
  }

  /** @internal The next-table address through the layout's accessor (a layout whose hook gives no mask). */
  slowTableAddress(l: number, lo: number, hi: number): number {
    this.tmp.lo = lo >>> 0;
    this.tmp.hi = hi >>> 0;
    return this.layout.tableAddress(l, this.tmp);
  }

  /** @internal The leaf's frame through the layout's accessor, aligned to the leaf's size. */
  slowLeafFrame(l: number, lo: number, hi: number): number {
    this.tmp.lo = lo >>> 0;
    this.tmp.hi = hi >>> 0;
    const pa = this.layout.leafPfn(l, this.tmp) * 2 ** this.layout.pageShift;
    return pa - (pa % this.levelSize[l]!);
  }

  /**
   * @internal Sets the accessed bit on the levels in `aMiss` (a bit per level) and, if `setD`,
   * the dirty bit on the leaf L, for the walk of hi:lo that just succeeded on `cpu`, writing
   * each changed entry back once (SDM 4.8: only when a flag was clear). The entries are found
   * again by a second walk (nothing changed them in between): rare, and it spares the hot walk
   * from keeping every level's entry.
   */
  setAD(cpu: number, hi: number, lo: number, L: number, aMiss: number, setD: boolean): void {
    hi >>>= 0;
    lo >>>= 0;
    const layout = this.layout;
    const hw = layout.hw;
    const e = this.tmp;
    let table = this.rootTable(cpu);
    for (let j = this.rootLevel[cpu]!; j <= L; j++) {
      const lv = layout.levels[j]!;
      const epa = entryAddress(table, indexOf(hi, lo, lv.shift, lv.bits));
      this.mem.read64(epa, layout.endian, e);
      if (j < L) table = layout.tableAddress(j, e);
      const a = (aMiss >>> j) & 1;
      const d = j === L && setD;
      if (a === 0 && !d) continue;
      let nLo = e.lo;
      let nHi = e.hi;
      if (a !== 0) {
        nLo |= hw.accessed[j]!.lo;
        nHi |= hw.accessed[j]!.hi;
        this.cnt[C.A_WRITES]++;
      }
      if (d) {
        nLo |= hw.dirty[j]!.lo;
        nHi |= hw.dirty[j]!.hi;
        this.cnt[C.D_WRITES]++;
      }
      e.lo = nLo >>> 0;
      e.hi = nHi >>> 0;
      this.mem.write64(epa, layout.endian, e);
    }
  }

  /** @internal Records a fault of the generated walk at `level` (entry at eh:el, value eHi:eLo, int32 halves) and drops the TLB entries for the address. */
  walkFault(kind: number, cpu: number, hi: number, lo: number, access: number, user: boolean, level: number, perm: number, el: number, eh: number, eLo: number, eHi: number): number {
    hi >>>= 0;
    lo >>>= 0;
    const f = this.fault;
    let cause = 0;
    if (kind === FaultKind.Protection) {
      if (access === Access.Write && (perm & Perm.W) === 0) cause |= Cause.Write;
      if (access === Access.Read && (perm & Perm.R) === 0) cause |= Cause.Read;
      if (access === Access.Exec && (perm & Perm.X) === 0) cause |= Cause.Exec;
      if (user && (perm & Perm.U) === 0) cause |= Cause.User;
      if (!user && (perm & Perm.U) !== 0) {
        if (access === Access.Exec && this.smep) cause |= Cause.Smep;
        if (access !== Access.Exec && this.smap) cause |= Cause.Smap;
      }
    } else if (kind === FaultKind.Pkey) {
      const key = (eHi >>> this.pkeyShiftHi) & 15;
      cause |= ((this.pkru[cpu]! >>> (2 * key)) & 1) !== 0 ? Cause.PkeyAccess : Cause.PkeyWrite;
    }
    f.cause = cause;
    f.perms = perm;
    f.entryPa = (eh >>> 0) * TWO32 + (el >>> 0);
    f.entryLo = eLo >>> 0;
    f.entryHi = eHi >>> 0;
    f.set(kind, cpu, hi, lo, access, user, level);
    this.cnt[C.FAULTS + kind]++;
    // SDM 4.10.4.1: a page fault invalidates the TLB entries for the faulting address (current PCID).
    if (this.tlb.enabled) this.tlb.dropAddress(cpu, hi, lo, this.tlb.asid[cpu]!);
    return -1;
  }

  // ---- the reference walk -------------------------------------------------------------------

  /** The rights (Perm R/W/X/U) one entry grants by the layout's rules. */
  private rights(l: number, lo: number, hi: number): number {
    const hw = this.layout.hw;
    let p = 0;
    if (holds(lo, hi, hw.read[l]!, hw.readWhenSet[l]!)) p |= Perm.R;
    if (holds(lo, hi, hw.write[l]!, hw.writeWhenSet[l]!)) p |= Perm.W;
    if (holds(lo, hi, hw.exec[l]!, hw.execWhenSet[l]!)) p |= Perm.X;
    if (holds(lo, hi, hw.user[l]!, hw.userWhenSet[l]!)) p |= Perm.U;
    return p;
  }

  /**
   * Walks the tables a root register value designates for hi:lo (uint32 halves) the way the
   * hardware would, rule by rule from layout.hw, with no side effect: no A/D update, no TLB,
   * no counters. The reference the generated walk is tested against; for dumps and tests.
   */
  lookup(root: number, hi: number, lo: number): LookupResult {
    const res: LookupResult = { status: 'non-canonical', level: -1, entry: { lo: 0, hi: 0 }, entryPa: -1, pa: -1, pageSize: 0, perms: 0 };
    const L = this.layout;
    const r: RootInfo = { table: 0, level: 0 };
    L.hooks.root.decode(root, r);
    if (!inRange(hi, lo, addressRange(L, r.level).bits, this.signExtend)) return res;
    const levels = L.levels;
    const hw = L.hw;
    const last = levels.length - 1;
    let table = r.table;
    let perm = ALL_RIGHTS;
    for (let l = r.level; ; l++) {
      const lv = levels[l]!;
      const epa = entryAddress(table, indexOf(hi, lo, lv.shift, lv.bits));
      const e: Entry = { lo: 0, hi: 0 };
      this.mem.read64(epa, L.endian, e);
      res.level = l;
      res.entry = e;
      res.entryPa = epa;
      if (!holds(e.lo, e.hi, hw.valid[l]!, hw.validWhenSet[l]!)) {
        res.status = 'not-present';
        return res;
      }
      if (l === last || holds(e.lo, e.hi, hw.leaf[l]!, hw.leafWhenSet[l]!)) {
        // A leaf where the level holds none (x86 PS in a PML4E) is a reserved-bit violation.
        if (!(lv.leaf || l === last) || holds(e.lo, e.hi, hw.reservedLeaf[l]!, true)) {
          res.status = 'reserved';
          return res;
        }
        perm &= this.rights(l, e.lo, e.hi);
        const size = this.levelSize[l]!;
        const pfnPa = L.leafPfn(l, e) * 2 ** L.pageShift;
        res.status = 'mapped';
        res.pageSize = size;
        res.pa = pfnPa - (pfnPa % size) + (size >= TWO32 ? (hi % (size / TWO32)) * TWO32 + lo : lo % size);
        if ((perm & Perm.W) !== 0 && (isZero(hw.dirty[l]!) || holds(e.lo, e.hi, hw.dirty[l]!, true))) perm |= Perm.D;
        res.perms = perm;
        return res;
      }
      if (holds(e.lo, e.hi, hw.reservedTable[l]!, true)) {
        res.status = 'reserved';
        return res;
      }
      if (hw.tableRules[l]) perm &= this.rights(l, e.lo, e.hi);
      table = L.tableAddress(l, e);
    }
  }
}

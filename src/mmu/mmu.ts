// The CPU's memory-management unit: a hardware page-table walker and per-CPU TLBs, built once
// for one page-table layout (arch/*.ts) and one physical memory (src/mem).
//
// What it models, and from where:
//  - The walk: from the root the CPU holds (x86 CR3; radix the process-table entry of the PID;
//    s390 the ASCE), one entry per level, until a valid leaf. x86: Intel SDM Vol. 3A 4.5
//    ("4-Level Paging and 5-Level Paging"); radix: Power ISA v3.0B Book III 6.7.10 ("Radix Tree
//    Translation"); s390: z/Architecture PoO ch. 3 ("Dynamic Address Translation").
//  - The rules each entry is read with come from layout.hw (arch/types.ts HardwareRules): valid,
//    leaf, write/read/user/exec rights, accessed/dirty, reserved bits, per level. They are
//    copied once into typed arrays here, so the walk is a loop over integers, with no branch on
//    the architecture's name.
//  - Rights: x86 combines the rights of every level (SDM 4.6.1: writes need R/W=1 and user
//    accesses U/S=1 in every paging-structure entry; XD=1 in any entry forbids fetches); where
//    hw.tableRules[l] is false (radix PDEs) only the leaf's rights count.
//  - Accessed and dirty: set by the walker on the entries it used, and written back only when
//    the bit was clear (SDM 4.8 "Accessed and Dirty Flags"; Power ISA Book III 6.7.12
//    "Reference and Change Recording" for radix R/C on the leaf). They are set only when the
//    translation succeeds: a faulting walk writes nothing (the SDM lets a processor set A on
//    upper levels of a faulting walk; this model chooses the deterministic reading).
//  - The TLB caches the walk's result: the frame, the effective rights, and whether a store can
//    go through without a walk (writable and already dirty). A store that hits a writable but
//    clean entry walks again to set D (SDM 4.8: "the processor ... sets the dirty flag ... the
//    first time there is a write"). A hit with too few rights walks again rather than faulting
//    from the stale entry (SDM 4.10.4.3 allows either; the re-walk finds what memory holds).
//  - The TLB is not coherent with memory: changing an entry without a flush leaves the old
//    translation in use (SDM 4.10.4 "Invalidation of TLBs and Paging-Structure Caches"). A page
//    fault drops the TLB entries for the faulting address (SDM 4.10.4.1).
//  - Not modelled: paging-structure caches (a walk always reads every level), global pages,
//    memory types, radix quadrant 3 (kernel addresses) and the partition-scoped tree, s390
//    storage keys and low-address protection.

import type { Entry, Layout } from '../../arch/types.ts';
import { CHUNK_SIZE, type PhysMem, type Region } from '../mem/phys.ts';
import { Access, FaultKind, Perm, PERM_BITS } from './consts.ts';
import { C, Counters } from './counters.ts';
import { Cause, FaultInfo, faultModelFor, type FaultModel } from './fault.ts';

const TWO32 = 4294967296;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** The highest address-space id a TLB entry can carry (it sits above the permission bits of an int32). */
export const MAX_ASID = (1 << (31 - PERM_BITS)) - 1;
const ASID_FIELD = ~((1 << PERM_BITS) - 1);
const ALL_RIGHTS = Perm.R | Perm.W | Perm.X | Perm.U;
/** Most chunk slots the memory fast path keeps (2^22 x 64 KiB = 256 GiB of DRAM). */
const MAX_CHUNK_SLOTS = 1 << 22;

export interface MmuOptions {
  /** Number of CPUs, each with its own root, address-space id, PKRU and TLB. Default 1. */
  cpus?: number;
  /** Whether the TLB is used (false: every translate walks; for walk benchmarks). Default true. */
  tlb?: boolean;
  /** TLB entries per CPU per page size (direct-mapped; a power of two). Default 4096. */
  tlbEntries?: number;
  /** x86 CR4.SMEP: supervisor fetches from user pages fault. Default false. */
  smep?: boolean;
  /** x86 CR4.SMAP (with EFLAGS.AC clear): supervisor data accesses to user pages fault. Default false. */
  smap?: boolean;
  /** Overrides the fault encoding chosen from the layout's name. */
  faultModel?: FaultModel;
}

/** What lookup() found: the walk's last entry, with no side effect. */
export interface LookupResult {
  /** 'mapped': a valid leaf; otherwise why the walk stopped. */
  status: 'mapped' | 'not-present' | 'reserved' | 'non-canonical';
  /** Level index (0 = root) of the entry where the walk stopped (the leaf when mapped); -1 if none was read. */
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

/** A TLB entry as tlbProbe() reports it. */
export interface TlbEntryView {
  /** Virtual address of the page the entry maps. */
  va: number;
  /** Physical address of the frame. */
  frame: number;
  pageSize: number;
  perms: number;
  asid: number;
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

function holds(lo: number, hi: number, m: { lo: number; hi: number }, whenSet: boolean): boolean {
  return (((lo & m.lo) | (hi & m.hi)) !== 0) === whenSet;
}

/**
 * Finds the mask m such that f(fixed | x) === (x & m) as a number, for every x, by probing
 * single bits and checking a few combinations; null when f is not such a mask (then the MMU
 * calls the layout's accessor instead).
 */
function probeAddressMask(f: (e: Entry) => number, fixedLo: number, fixedHi: number): { lo: number; hi: number } | null {
  try {
    const e: Entry = { lo: fixedLo >>> 0, hi: fixedHi >>> 0 };
    if (f(e) !== 0) return null;
    let mLo = 0;
    let mHi = 0;
    for (let b = 0; b < 64; b++) {
      const inHi = b >= 32;
      const bitv = 1 << (b & 31);
      if (((inHi ? fixedHi : fixedLo) & bitv) !== 0) continue;
      e.lo = (inHi ? fixedLo : fixedLo | bitv) >>> 0;
      e.hi = (inHi ? fixedHi | bitv : fixedHi) >>> 0;
      const v = f(e);
      if (v === 0) continue;
      if (v !== 2 ** b) return null;
      if (inHi) mHi |= bitv;
      else mLo |= bitv;
    }
    // Linearity over all the bits together and over a few patterns.
    const pats = [0xffffffff, 0xaaaaaaaa, 0x55555555, 0x12345678, 0xf0f0f0f0];
    for (const pl of pats) {
      for (const ph of pats) {
        const xl = pl & mLo;
        const xh = ph & mHi;
        e.lo = (fixedLo | xl) >>> 0;
        e.hi = (fixedHi | xh) >>> 0;
        if (f(e) !== (xh >>> 0) * TWO32 + (xl >>> 0)) return null;
      }
    }
    return { lo: mLo, hi: mHi };
  } catch {
    return null;
  }
}

export class Mmu {
  readonly layout: Layout;
  readonly mem: PhysMem;
  readonly cpus: number;
  /** The last fault, reused: read it right after translate() returns -1. */
  readonly fault: FaultInfo;
  readonly counters: Counters;
  /** Bits of virtual address the root table covers (48 x86, 57 LA57, 52 radix, 64 s390 5-level). */
  readonly vaBits: number;
  /** x86: addresses must be sign-extended from bit vaBits-1 (canonical); others: bits above vaBits must be zero. */
  readonly signExtend: boolean;
  /** Entries per CPU per page size. */
  readonly tlbEntries: number;
  /** Page sizes the TLB holds, smallest first (one direct-mapped array each). */
  readonly pageSizes: readonly number[];
  smep: boolean;
  smap: boolean;
  /** The largest JS-number address translate() takes on its fast path (2^47-1 x86, 2^56-1 LA57, ...; at most 2^53-1). */
  readonly vaMaxNum: number;

  // -- the layout, specialised: per-level Int32Arrays (index = level) -------------------
  private readonly nLevels: number;
  private readonly lvShift: Int32Array; // index shift within its half (shift - 32 when in the high half)
  private readonly lvInHi: Int32Array; // 1 when the index lies wholly in bits 63..32
  private readonly lvIdxMask: Int32Array;
  private readonly validLo: Int32Array;
  private readonly validHi: Int32Array;
  private readonly validSet: Int32Array;
  private readonly leafLo: Int32Array;
  private readonly leafHi: Int32Array;
  private readonly leafSet: Int32Array;
  private readonly leafOk: Int32Array;
  private readonly rLo: Int32Array;
  private readonly rHi: Int32Array;
  private readonly rSet: Int32Array;
  private readonly wLo: Int32Array;
  private readonly wHi: Int32Array;
  private readonly wSet: Int32Array;
  private readonly uLo: Int32Array;
  private readonly uHi: Int32Array;
  private readonly uSet: Int32Array;
  private readonly xLo: Int32Array;
  private readonly xHi: Int32Array;
  private readonly xSet: Int32Array;
  private readonly aLo: Int32Array;
  private readonly aHi: Int32Array;
  private readonly dLo: Int32Array;
  private readonly dHi: Int32Array;
  private readonly hasDirty: Int32Array;
  private readonly rsvLeafLo: Int32Array;
  private readonly rsvLeafHi: Int32Array;
  private readonly rsvTabLo: Int32Array;
  private readonly rsvTabHi: Int32Array;
  private readonly tableRules: Int32Array;
  private readonly tabAddrLo: Int32Array;
  private readonly tabAddrHi: Int32Array;
  private readonly tabAddrFast: boolean;
  private readonly leafAddrLo: Int32Array;
  private readonly leafAddrHi: Int32Array;
  private readonly leafAddrFast: boolean;
  private readonly levelClass: Int32Array;
  private readonly levelSize: Float64Array;
  private readonly big: boolean;
  /** x86 protection keys: the bit of the key within the high half, or -1 where the layout has none. */
  private readonly pkeyShiftHi: number;

  // -- TLB: one direct-mapped array set per page-size class, all CPUs side by side ---------
  private readonly nClasses: number;
  private readonly tlbBits: number;
  private readonly tlbMask: number;
  private readonly clsShift: Int32Array;
  private readonly clsSize: Float64Array;
  private readonly clsInv: Float64Array;
  private readonly tlbTag: Float64Array[]; // virtual page number, -1 when empty
  private readonly tlbFrame: Float64Array[]; // physical address of the page
  private readonly tlbPerm: Int32Array[]; // asid << PERM_BITS | Perm bits
  private tlbOn: boolean;
  // The smallest page size's arrays and constants, for the inline hit path.
  private readonly tag0: Float64Array;
  private readonly frame0: Float64Array;
  private readonly perm0: Int32Array;
  private readonly inv0: number;
  private readonly size0: number;
  /** Where out-of-line helpers leave a physical address (a double crossing a call would be boxed). */
  private readonly out = new Float64Array(1);

  // -- per CPU ---------------------------------------------------------------------------
  private readonly root: Float64Array;
  private readonly asid: Int32Array;
  private readonly pkru: Int32Array;
  /** Per CPU x (access * 2 + user): the perm-word mask and value a TLB hit must match. */
  private readonly hitMask: Int32Array;
  private readonly hitVal: Int32Array;

  // -- scratch of the walk in progress (no allocation per walk) ---------------------------
  private readonly sPa: Float64Array;
  private readonly sLo: Int32Array;
  private readonly sHi: Int32Array;
  private readonly tmp: Entry = { lo: 0, hi: 0 };
  private readonly cnt: Float64Array;

  // -- physical memory fast path: DRAM chunks cached by index -----------------------------
  private readonly dram: Region;
  private readonly dramBase: number;
  private readonly dramSize: number;
  private readonly chunks: (Uint32Array | null)[];

  constructor(layout: Layout, mem: PhysMem, opts: MmuOptions = {}) {
    this.layout = layout;
    this.mem = mem;
    const cpus = opts.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new RangeError(`cpus must be 1..4096, not ${cpus}`);
    this.cpus = cpus;
    const tlbEntries = opts.tlbEntries ?? 4096;
    if (!Number.isInteger(tlbEntries) || tlbEntries < 1 || (tlbEntries & (tlbEntries - 1)) !== 0 || tlbEntries > 1 << 20) {
      throw new RangeError(`tlbEntries must be a power of two up to 2^20, not ${tlbEntries}`);
    }
    this.tlbEntries = tlbEntries;
    this.smep = opts.smep ?? false;
    this.smap = opts.smap ?? false;
    this.tlbOn = opts.tlb ?? true;
    this.counters = new Counters();
    this.cnt = this.counters.v;
    const model = opts.faultModel ?? faultModelFor(layout.name);
    this.fault = new FaultInfo(model, layout.levels);

    const levels = layout.levels;
    const n = levels.length;
    if (n < 1 || n > 8) throw new RangeError(`${layout.name}: ${n} levels`);
    this.nLevels = n;
    const hw = layout.hw;
    const i32 = (): Int32Array => new Int32Array(n);
    this.lvShift = i32();
    this.lvInHi = i32();
    this.lvIdxMask = i32();
    this.validLo = i32();
    this.validHi = i32();
    this.validSet = i32();
    this.leafLo = i32();
    this.leafHi = i32();
    this.leafSet = i32();
    this.leafOk = i32();
    this.rLo = i32();
    this.rHi = i32();
    this.rSet = i32();
    this.wLo = i32();
    this.wHi = i32();
    this.wSet = i32();
    this.uLo = i32();
    this.uHi = i32();
    this.uSet = i32();
    this.xLo = i32();
    this.xHi = i32();
    this.xSet = i32();
    this.aLo = i32();
    this.aHi = i32();
    this.dLo = i32();
    this.dHi = i32();
    this.hasDirty = i32();
    this.rsvLeafLo = i32();
    this.rsvLeafHi = i32();
    this.rsvTabLo = i32();
    this.rsvTabHi = i32();
    this.tableRules = i32();
    this.tabAddrLo = i32();
    this.tabAddrHi = i32();
    this.leafAddrLo = i32();
    this.leafAddrHi = i32();
    this.levelClass = i32().fill(-1);
    this.levelSize = new Float64Array(n);
    let tabFast = true;
    let leafFast = true;
    for (let l = 0; l < n; l++) {
      const lv = levels[l]!;
      if (lv.bits < 1 || lv.bits > 31) throw new RangeError(`${layout.name}: level ${lv.name} index width ${lv.bits}`);
      // An index must not straddle bit 32 unless its low part is taken from `lo` (handled below).
      if (lv.shift >= 32) {
        this.lvInHi[l] = 1;
        this.lvShift[l] = lv.shift - 32;
      } else {
        this.lvShift[l] = lv.shift;
      }
      this.lvIdxMask[l] = (1 << lv.bits) - 1;
      this.levelSize[l] = 2 ** lv.shift;
      this.validLo[l] = hw.valid[l]!.lo;
      this.validHi[l] = hw.valid[l]!.hi;
      this.validSet[l] = hw.validWhenSet[l]! ? 1 : 0;
      this.leafLo[l] = hw.leaf[l]!.lo;
      this.leafHi[l] = hw.leaf[l]!.hi;
      this.leafSet[l] = hw.leafWhenSet[l]! ? 1 : 0;
      this.leafOk[l] = lv.leaf || l === n - 1 ? 1 : 0;
      this.rLo[l] = hw.read[l]!.lo;
      this.rHi[l] = hw.read[l]!.hi;
      this.rSet[l] = hw.readWhenSet[l]! ? 1 : 0;
      this.wLo[l] = hw.write[l]!.lo;
      this.wHi[l] = hw.write[l]!.hi;
      this.wSet[l] = hw.writeWhenSet[l]! ? 1 : 0;
      this.uLo[l] = hw.user[l]!.lo;
      this.uHi[l] = hw.user[l]!.hi;
      this.uSet[l] = hw.userWhenSet[l]! ? 1 : 0;
      this.xLo[l] = hw.exec[l]!.lo;
      this.xHi[l] = hw.exec[l]!.hi;
      this.xSet[l] = hw.execWhenSet[l]! ? 1 : 0;
      this.aLo[l] = hw.accessed[l]!.lo;
      this.aHi[l] = hw.accessed[l]!.hi;
      this.dLo[l] = hw.dirty[l]!.lo;
      this.dHi[l] = hw.dirty[l]!.hi;
      this.hasDirty[l] = (hw.dirty[l]!.lo | hw.dirty[l]!.hi) !== 0 ? 1 : 0;
      this.rsvLeafLo[l] = hw.reservedLeaf[l]!.lo;
      this.rsvLeafHi[l] = hw.reservedLeaf[l]!.hi;
      this.rsvTabLo[l] = hw.reservedTable[l]!.lo;
      this.rsvTabHi[l] = hw.reservedTable[l]!.hi;
      this.tableRules[l] = hw.tableRules[l]! ? 1 : 0;
      // The next-table address and the leaf frame as masks of the entry, when the layout's
      // accessors are exactly that (they are for every modelled layout); else call them.
      if (l < n - 1) {
        const m = probeAddressMask((e) => layout.tableAddress(l, e), 0, 0);
        if (m === null) tabFast = false;
        else {
          this.tabAddrLo[l] = m.lo;
          this.tabAddrHi[l] = m.hi;
        }
      }
      if (this.leafOk[l] === 1) {
        const fixLo = (hw.leafWhenSet[l] ? hw.leaf[l]!.lo : 0) | (hw.validWhenSet[l] ? hw.valid[l]!.lo : 0);
        const fixHi = (hw.leafWhenSet[l] ? hw.leaf[l]!.hi : 0) | (hw.validWhenSet[l] ? hw.valid[l]!.hi : 0);
        const m = probeAddressMask((e) => layout.leafPfn(l, e) * 2 ** layout.pageShift, fixLo, fixHi);
        if (m === null) leafFast = false;
        else {
          // The frame is aligned to the leaf's size: bits below it are the offset (x86 PAT_LARGE is not address).
          const low = Math.min(lv.shift, 32);
          this.leafAddrLo[l] = low >= 32 ? 0 : m.lo & ~((1 << low) - 1);
          this.leafAddrHi[l] = lv.shift > 32 ? m.hi & ~((1 << (lv.shift - 32)) - 1) : m.hi;
        }
      }
    }
    this.tabAddrFast = tabFast;
    this.leafAddrFast = leafFast;
    this.big = layout.endian === 'big';
    this.vaBits = Math.min(64, levels[0]!.shift + levels[0]!.bits);
    this.signExtend = model.isa === 'x86';
    this.vaMaxNum = Math.min(Number.MAX_SAFE_INTEGER, 2 ** (this.vaBits - (this.signExtend ? 1 : 0)) - 1);
    // x86 protection keys live in PTE bits 62:59 (SDM 4.6.2; _PAGE_PKEY_BIT0..3 in pgtable_types.h).
    const pk0 = layout.flags['_PAGE_PKEY_BIT0'];
    this.pkeyShiftHi = model.isa === 'x86' && pk0 !== undefined && pk0 >= 1n << 32n ? pk0.toString(2).length - 1 - 32 : -1;

    // TLB classes: one per level that can hold a leaf, smallest page first.
    const leafLevels: number[] = [];
    for (let l = n - 1; l >= 0; l--) if (this.leafOk[l] === 1) leafLevels.push(l);
    this.nClasses = leafLevels.length;
    this.clsShift = new Int32Array(this.nClasses);
    this.clsSize = new Float64Array(this.nClasses);
    this.clsInv = new Float64Array(this.nClasses);
    this.tlbTag = [];
    this.tlbFrame = [];
    this.tlbPerm = [];
    leafLevels.forEach((l, c) => {
      const s = levels[l]!.shift;
      this.levelClass[l] = c;
      this.clsShift[c] = s;
      this.clsSize[c] = 2 ** s;
      this.clsInv[c] = 2 ** -s;
      this.tlbTag.push(new Float64Array(cpus * tlbEntries).fill(-1));
      this.tlbFrame.push(new Float64Array(cpus * tlbEntries));
      this.tlbPerm.push(new Int32Array(cpus * tlbEntries));
    });
    this.tag0 = this.tlbTag[0]!;
    this.frame0 = this.tlbFrame[0]!;
    this.perm0 = this.tlbPerm[0]!;
    this.inv0 = this.clsInv[0]!;
    this.size0 = this.clsSize[0]!;
    this.pageSizes = Object.freeze(leafLevels.map((l) => 2 ** levels[l]!.shift));
    this.tlbBits = Math.log2(tlbEntries);
    this.tlbMask = tlbEntries - 1;

    this.root = new Float64Array(cpus);
    this.asid = new Int32Array(cpus);
    this.pkru = new Int32Array(cpus);
    this.hitMask = new Int32Array(cpus * 8);
    this.hitVal = new Int32Array(cpus * 8);
    for (let c = 0; c < cpus; c++) this.recomputeHit(c);

    this.sPa = new Float64Array(n);
    this.sLo = new Int32Array(n);
    this.sHi = new Int32Array(n);

    this.dram = mem.dram;
    this.dramBase = mem.dram.base;
    const slots = Math.ceil(mem.dram.size / CHUNK_SIZE);
    // Regions never drop a chunk once allocated (src/mem/phys.ts), so a chunk seen once stays valid.
    this.dramSize = slots <= MAX_CHUNK_SLOTS ? mem.dram.size : 0;
    this.chunks = new Array<Uint32Array | null>(slots <= MAX_CHUNK_SLOTS ? slots : 0).fill(null);
  }

  // ==== the hot path ======================================================================

  /**
   * Translates a virtual address for an access by `cpu` through its current root, as the
   * hardware would: TLB, else a walk that sets accessed/dirty bits in memory and fills the TLB.
   * Returns the physical address (>= 0), or -1 after filling `this.fault`.
   * `va` must be a safe integer (throws RangeError otherwise); use translateBig above 2^53.
   * `access` is Access.Read / Write / Exec; `user` is CPL 3 (x86) / problem state (Power).
   */
  translate(cpu: number, va: number, access: number, user: boolean): number {
    if (!(va >= 0 && va <= this.vaMaxNum) || Math.floor(va) !== va) return this.offRange(cpu, va, access, user);
    if (this.tlbOn) {
      // The smallest page size inline; larger ones, misses and walks out of line. Helpers
      // return a small-integer status and leave the address in this.out[0], so no double is
      // boxed on a call boundary.
      const k = (cpu << 3) + (access << 1) + (user ? 1 : 0);
      const vpn = Math.floor(va * this.inv0);
      const i = (cpu << this.tlbBits) + (vpn & this.tlbMask);
      if (this.tag0[i] === vpn && (this.perm0[i]! & this.hitMask[k]!) === this.hitVal[k]!) {
        this.cnt[C.TLB_HITS]++;
        return this.frame0[i]! + (va - vpn * this.size0);
      }
    }
    return this.missTo(cpu, va, access, user) === 0 ? this.out[0]! : -1;
  }

  /** Everything but a hit on the smallest page size: larger pages, re-walks, misses, TLB off. Status 0 (pa in out[0]) or -1. */
  private missTo(cpu: number, va: number, access: number, user: boolean): number {
    const v = this.cnt;
    const hi = (va / TWO32) >>> 0;
    const lo = va >>> 0;
    if (this.tlbOn) {
      const k = (cpu << 3) + (access << 1) + (user ? 1 : 0);
      const hm = this.hitMask[k]!;
      const hv = this.hitVal[k]!;
      const base = cpu << this.tlbBits;
      for (let c = 0; c < this.nClasses; c++) {
        const vpn = Math.floor(va * this.clsInv[c]!);
        const i = base + (vpn & this.tlbMask);
        if (this.tlbTag[c]![i] === vpn) {
          const p = this.tlbPerm[c]![i]!;
          if ((p & hm) === hv) {
            v[C.TLB_HITS]++;
            this.out[0] = this.tlbFrame[c]![i]! + (va - vpn * this.clsSize[c]!);
            return 0;
          }
          // Same page, this address space, too few rights (or PKRU to check): walk again.
          if (((p ^ hv) & ASID_FIELD) === 0) {
            v[C.SLOW_TRANSLATIONS]++;
            v[C.TLB_REWALKS]++;
            return this.walkTo(cpu, hi, lo, access, user);
          }
        }
      }
      v[C.TLB_MISSES]++;
    }
    v[C.SLOW_TRANSLATIONS]++;
    return this.walkTo(cpu, hi, lo, access, user);
  }

  /** A number outside [0, vaMaxNum]: not an address (throw), or one that faults as non-canonical / out of range. */
  private offRange(cpu: number, va: number, access: number, user: boolean): number {
    if (!Number.isSafeInteger(va) || va < 0) {
      throw new RangeError(`virtual address ${va} is not a non-negative safe integer; use translateBig`);
    }
    return this.translateHalves(cpu, (va / TWO32) >>> 0, va >>> 0, access, user);
  }

  /** translate() for any 64-bit address (kernel halves, non-canonical tests). Not for hot loops. */
  translateBig(cpu: number, va: bigint, access: number, user: boolean): number {
    const u = BigInt.asUintN(64, va);
    if (u !== va) throw new RangeError(`virtual address ${va} is not a 64-bit unsigned value`);
    return this.translateHalves(cpu, Number(u >> 32n), Number(u & 0xffffffffn), access, user);
  }

  /** True when the 64-bit address (hi:lo) is one the root can translate (x86 canonical, others zero above vaBits). */
  private inRange(hi: number, lo: number): boolean {
    const b = this.vaBits;
    if (this.signExtend) {
      // SDM Vol. 1 3.3.7.1: bits 63 through vaBits-1 all equal.
      return b - 1 >= 32 ? hi >> (b - 1 - 32) === hi >> 31 : false;
    }
    if (b >= 64) return true;
    if (b >= 32) return hi >>> (b - 32) === 0;
    return hi === 0 && lo >>> b === 0;
  }

  /** translate() on an address given as uint32 halves: range check, TLB, walk. Not for hot loops. */
  translateHalves(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    hi >>>= 0;
    lo >>>= 0;
    const v = this.cnt;
    if (!this.inRange(hi, lo)) {
      v[C.SLOW_TRANSLATIONS]++;
      this.fault.cause = 0;
      this.fault.perms = 0;
      this.fault.entryPa = -1;
      this.fault.entryLo = 0;
      this.fault.entryHi = 0;
      this.fault.set(FaultKind.NonCanonical, cpu, hi, lo, access, user, -1);
      v[C.FAULTS + FaultKind.NonCanonical]++;
      return -1;
    }
    if (this.tlbOn) {
      const k = (cpu << 3) + (access << 1) + (user ? 1 : 0);
      const hm = this.hitMask[k]!;
      const hv = this.hitVal[k]!;
      const base = cpu << this.tlbBits;
      for (let c = 0; c < this.nClasses; c++) {
        const s = this.clsShift[c]!;
        const vpn = this.vpnOf(hi, lo, s);
        const i = base + (vpn & this.tlbMask);
        if (this.tlbTag[c]![i] === vpn) {
          const p = this.tlbPerm[c]![i]!;
          if ((p & hm) === hv) {
            v[C.TLB_HITS]++;
            return this.tlbFrame[c]![i]! + this.offsetOf(hi, lo, s);
          }
          if (((p ^ hv) & ASID_FIELD) === 0) {
            v[C.SLOW_TRANSLATIONS]++;
            v[C.TLB_REWALKS]++;
            return this.walkTo(cpu, hi, lo, access, user) === 0 ? this.out[0]! : -1;
          }
        }
      }
      v[C.TLB_MISSES]++;
    }
    v[C.SLOW_TRANSLATIONS]++;
    return this.walkTo(cpu, hi, lo, access, user) === 0 ? this.out[0]! : -1;
  }

  private vpnOf(hi: number, lo: number, s: number): number {
    return s >= 32 ? hi >>> (s - 32) : hi * 2 ** (32 - s) + (lo >>> s);
  }

  private offsetOf(hi: number, lo: number, s: number): number {
    if (s < 32) return (lo & ((1 << s) - 1)) >>> 0;
    if (s === 32) return lo;
    return ((hi & ((1 << (s - 32)) - 1)) >>> 0) * TWO32 + lo;
  }

  /**
   * The hardware walk for the address hi:lo (already range-checked). On success: sets A/D as
   * needed, fills the TLB, leaves the physical address in out[0] and returns 0. On a fault: fills this.fault, drops
   * the TLB entries for the address, returns -1.
   */
  private walkTo(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    const v = this.cnt;
    v[C.WALKS]++;
    const last = this.nLevels - 1;
    let table = this.root[cpu]!;
    let perm = ALL_RIGHTS;
    let l = 0;
    let eLo = 0;
    let eHi = 0;
    let kind = 0;
    for (;;) {
      // Index of this level from the address bits (the index may straddle bit 32).
      const s = this.lvShift[l]!;
      const idx = (this.lvInHi[l] === 1 ? hi >>> s : (lo >>> s) | (hi << (32 - s))) & this.lvIdxMask[l]!;
      const epa = table + idx * 8;
      // Load the entry: DRAM chunk fast path, else PhysMem.read64.
      const off = epa - this.dramBase;
      if (off >= 0 && off < this.dramSize) {
        const ci = Math.floor(off / CHUNK_SIZE);
        let ch = this.chunks[ci] as Uint32Array | null;
        if (ch === null) {
          ch = this.dram.peek(epa);
          if (ch !== null) this.chunks[ci] = ch;
        }
        if (ch !== null) {
          const w = (off & CHUNK_MASK) >>> 2;
          if (this.big) {
            eLo = bswap32(ch[w + 1]!);
            eHi = bswap32(ch[w]!);
          } else {
            eLo = ch[w]!;
            eHi = ch[w + 1]!;
          }
        } else {
          eLo = 0;
          eHi = 0;
        }
      } else {
        this.mem.read64(epa, this.layout.endian, this.tmp);
        eLo = this.tmp.lo;
        eHi = this.tmp.hi;
      }
      this.sPa[l] = epa;
      this.sLo[l] = eLo;
      this.sHi[l] = eHi;
      if ((((eLo & this.validLo[l]!) | (eHi & this.validHi[l]!)) !== 0 ? 1 : 0) !== this.validSet[l]) {
        kind = FaultKind.NotPresent;
        break;
      }
      const leaf = l === last || (((eLo & this.leafLo[l]!) | (eHi & this.leafHi[l]!)) !== 0 ? 1 : 0) === this.leafSet[l];
      if (leaf) {
        // A leaf where the level cannot hold one (x86 PS in a PML4E) is a reserved-bit violation.
        if (this.leafOk[l] === 0 || ((eLo & this.rsvLeafLo[l]!) | (eHi & this.rsvLeafHi[l]!)) !== 0) {
          kind = FaultKind.Reserved;
          break;
        }
        perm &= this.rights(l, eLo, eHi);
        break;
      }
      if (((eLo & this.rsvTabLo[l]!) | (eHi & this.rsvTabHi[l]!)) !== 0) {
        kind = FaultKind.Reserved;
        break;
      }
      if (this.tableRules[l] === 1) perm &= this.rights(l, eLo, eHi);
      table = this.tabAddrFast
        ? ((eHi & this.tabAddrHi[l]!) >>> 0) * TWO32 + ((eLo & this.tabAddrLo[l]!) >>> 0)
        : this.slowTableAddress(l, eLo, eHi);
      l++;
    }
    v[C.WALK_REFS] += l + 1;
    if (kind !== 0) return this.walkFault(kind, cpu, hi, lo, access, user, l, perm);

    // Rights for this access (SDM 4.6.1; radix EAA; s390 DAT protection).
    let need = access === Access.Write ? Perm.W : access === Access.Exec ? Perm.X : Perm.R;
    if (user) need |= Perm.U;
    if ((perm & need) !== need || (!user && (perm & Perm.U) !== 0 && (access === Access.Exec ? this.smep : this.smap))) {
      return this.walkFault(FaultKind.Protection, cpu, hi, lo, access, user, l, perm);
    }
    // Protection keys (SDM 4.6.2): user-mode pages, data accesses; WD applies to supervisor writes too (CR0.WP=1).
    if (this.pkeyShiftHi >= 0 && (perm & Perm.U) !== 0) {
      perm |= Perm.K;
      const pkru = this.pkru[cpu]!;
      if (pkru !== 0 && access !== Access.Exec) {
        const key = (eHi >>> this.pkeyShiftHi) & 15;
        const ad = (pkru >>> (2 * key)) & 1;
        const wd = (pkru >>> (2 * key + 1)) & 1;
        if (ad !== 0 || (wd !== 0 && access === Access.Write)) {
          return this.walkFault(FaultKind.Pkey, cpu, hi, lo, access, user, l, perm);
        }
      }
    }

    // Accessed on every entry used (tableRules) or the leaf; dirty on the leaf of a store.
    for (let j = 0; j <= l; j++) {
      if (j !== l && this.tableRules[j] === 0) continue;
      const aLo = this.aLo[j]!;
      const aHi = this.aHi[j]!;
      let nLo = this.sLo[j]!;
      let nHi = this.sHi[j]!;
      let wrote = false;
      if ((nLo & aLo) !== aLo || (nHi & aHi) !== aHi) {
        nLo |= aLo;
        nHi |= aHi;
        wrote = true;
        v[C.A_WRITES]++;
      }
      if (j === l && access === Access.Write) {
        const dLo = this.dLo[j]!;
        const dHi = this.dHi[j]!;
        if ((nLo & dLo) !== dLo || (nHi & dHi) !== dHi) {
          nLo |= dLo;
          nHi |= dHi;
          wrote = true;
          v[C.D_WRITES]++;
        }
      }
      if (wrote) {
        this.tmp.lo = nLo >>> 0;
        this.tmp.hi = nHi >>> 0;
        this.mem.write64(this.sPa[j]!, this.layout.endian, this.tmp);
        this.sLo[j] = nLo;
        this.sHi[j] = nHi;
      }
    }
    // A store needs no walk once the leaf is writable and dirty (or the hardware keeps no dirty bit).
    if ((perm & Perm.W) !== 0) {
      const dLo = this.dLo[l]!;
      const dHi = this.dHi[l]!;
      if (this.hasDirty[l] === 0 || ((this.sLo[l]! & dLo) === dLo && (this.sHi[l]! & dHi) === dHi)) perm |= Perm.D;
    }

    const s = this.levelShift(l);
    const frame = this.leafAddrFast
      ? ((eHi & this.leafAddrHi[l]!) >>> 0) * TWO32 + ((eLo & this.leafAddrLo[l]!) >>> 0)
      : this.slowLeafFrame(l, eLo, eHi);
    if (this.tlbOn) {
      const c = this.levelClass[l]!;
      const vpn = this.vpnOf(hi, lo, s);
      const i = (cpu << this.tlbBits) + (vpn & this.tlbMask);
      this.tlbTag[c]![i] = vpn;
      this.tlbFrame[c]![i] = frame;
      this.tlbPerm[c]![i] = (this.asid[cpu]! << PERM_BITS) | perm;
      v[C.TLB_FILLS]++;
    }
    this.out[0] = frame + this.offsetOf(hi, lo, s);
    return 0;
  }

  private levelShift(l: number): number {
    return this.layout.levels[l]!.shift;
  }

  /** The rights (Perm R/W/X/U) one entry grants by the layout's rules. */
  private rights(l: number, lo: number, hi: number): number {
    let p = 0;
    if ((((lo & this.rLo[l]!) | (hi & this.rHi[l]!)) !== 0 ? 1 : 0) === this.rSet[l]) p |= Perm.R;
    if ((((lo & this.wLo[l]!) | (hi & this.wHi[l]!)) !== 0 ? 1 : 0) === this.wSet[l]) p |= Perm.W;
    if ((((lo & this.xLo[l]!) | (hi & this.xHi[l]!)) !== 0 ? 1 : 0) === this.xSet[l]) p |= Perm.X;
    if ((((lo & this.uLo[l]!) | (hi & this.uHi[l]!)) !== 0 ? 1 : 0) === this.uSet[l]) p |= Perm.U;
    return p;
  }

  private slowTableAddress(l: number, lo: number, hi: number): number {
    this.tmp.lo = lo >>> 0;
    this.tmp.hi = hi >>> 0;
    return this.layout.tableAddress(l, this.tmp);
  }

  private slowLeafFrame(l: number, lo: number, hi: number): number {
    this.tmp.lo = lo >>> 0;
    this.tmp.hi = hi >>> 0;
    const pa = this.layout.leafPfn(l, this.tmp) * 2 ** this.layout.pageShift;
    const size = this.levelSize[l]!;
    return pa - (pa % size);
  }

  private walkFault(kind: number, cpu: number, hi: number, lo: number, access: number, user: boolean, level: number, perm: number): number {
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
      const key = (this.sHi[level]! >>> this.pkeyShiftHi) & 15;
      const pkru = this.pkru[cpu]!;
      cause |= ((pkru >>> (2 * key)) & 1) !== 0 ? Cause.PkeyAccess : Cause.PkeyWrite;
    }
    f.cause = cause;
    f.perms = perm;
    f.entryPa = this.sPa[level]!;
    f.entryLo = this.sLo[level]! >>> 0;
    f.entryHi = this.sHi[level]! >>> 0;
    f.set(kind, cpu, hi, lo, access, user, level);
    this.cnt[C.FAULTS + kind]++;
    // SDM 4.10.4.1: a page fault invalidates the TLB entries for the faulting address (current PCID).
    if (this.tlbOn) this.dropAddress(cpu, hi, lo, this.asid[cpu]!);
    return -1;
  }

  // ==== CPU state ===========================================================================

  /**
   * Loads the root of the address space `cpu` runs (x86 CR3, radix PID's process-table entry,
   * s390 the ASCE) with address-space id `asid` (x86 PCID, radix PID). asid 0 means untagged:
   * the load flushes that CPU's asid-0 entries, as a CR3 write without PCIDs flushes the TLB
   * (SDM 4.10.4.1). A non-zero asid keeps the entries tagged with it (PCID with NOFLUSH).
   */
  setRoot(cpu: number, rootPa: number, asid = 0): void {
    this.checkCpu(cpu);
    if (!Number.isInteger(asid) || asid < 0 || asid > MAX_ASID) throw new RangeError(`asid ${asid} out of 0..${MAX_ASID}`);
    if (!Number.isSafeInteger(rootPa) || rootPa < 0) throw new RangeError(`root ${rootPa} is not a physical address`);
    this.root[cpu] = rootPa;
    this.asid[cpu] = asid;
    this.recomputeHit(cpu);
    if (asid === 0) this.flushAsid(cpu, 0);
  }

  rootOf(cpu: number): number {
    return this.root[cpu]!;
  }

  asidOf(cpu: number): number {
    return this.asid[cpu]!;
  }

  /** x86 WRPKRU: bits 2k / 2k+1 are key k's access-disable / write-disable (SDM 4.6.2). No TLB flush. */
  setPkru(cpu: number, value: number): void {
    this.checkCpu(cpu);
    this.pkru[cpu] = value | 0;
    this.recomputeHit(cpu);
  }

  pkruOf(cpu: number): number {
    return this.pkru[cpu]! >>> 0;
  }

  /** Turns the TLB on or off; off also empties it. */
  setTlbEnabled(on: boolean): void {
    this.tlbOn = on;
    if (!on) for (let c = 0; c < this.cpus; c++) this.flushAll(c);
  }

  get tlbEnabled(): boolean {
    return this.tlbOn;
  }

  private checkCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) throw new RangeError(`cpu ${cpu} out of 0..${this.cpus - 1}`);
  }

  private recomputeHit(cpu: number): void {
    const pkruOn = this.pkru[cpu] !== 0;
    for (let access = 0; access < 3; access++) {
      for (let u = 0; u < 2; u++) {
        let need = access === Access.Write ? Perm.W | Perm.D : access === Access.Exec ? Perm.X : Perm.R;
        if (u === 1) need |= Perm.U;
        let mask = ASID_FIELD | need;
        // Supervisor accesses to user pages under SMEP/SMAP, and data accesses when PKRU restricts: walk.
        if (u === 0 && (access === Access.Exec ? this.smep : this.smap)) mask |= Perm.U;
        if (pkruOn && access !== Access.Exec) mask |= Perm.K;
        const k = cpu * 8 + access * 2 + u;
        this.hitMask[k] = mask;
        this.hitVal[k] = (this.asid[cpu]! << PERM_BITS) | need;
      }
    }
  }

  // ==== TLB maintenance (what the kernel's flush_tlb_* end up doing) =======================

  /** INVLPG / tlbie for one address: drops whatever size entry covers va on `cpu` for `asid` (default: the CPU's current). */
  flushPage(cpu: number, va: number, asid: number = this.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.checkVa(va);
    this.cnt[C.TLB_FLUSHES]++;
    this.dropAddress(cpu, (va / TWO32) >>> 0, va >>> 0, asid);
  }

  private dropAddress(cpu: number, hi: number, lo: number, asid: number): void {
    const base = cpu << this.tlbBits;
    for (let c = 0; c < this.nClasses; c++) {
      const vpn = this.vpnOf(hi, lo, this.clsShift[c]!);
      const i = base + (vpn & this.tlbMask);
      if (this.tlbTag[c]![i] === vpn && this.tlbPerm[c]![i]! >>> PERM_BITS === asid) {
        this.tlbTag[c]![i] = -1;
        this.cnt[C.TLB_FLUSHED_ENTRIES]++;
      }
    }
  }

  /** flush_tlb_range on one CPU: drops every entry of `asid` that overlaps [start, end) (end exclusive, as the kernel's). */
  flushRange(cpu: number, start: number, end: number, asid: number = this.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.checkVa(start);
    if (!Number.isSafeInteger(end) || end < start) throw new RangeError(`range end ${end} before start ${start}`);
    this.cnt[C.TLB_FLUSHES]++;
    if (end === start) return;
    const endIncl = end - 1;
    const base = cpu << this.tlbBits;
    const N = this.tlbEntries;
    for (let c = 0; c < this.nClasses; c++) {
      const size = this.clsSize[c]!;
      const first = Math.floor(start / size);
      const lastVpn = Math.floor(endIncl / size);
      const tags = this.tlbTag[c]!;
      const perms = this.tlbPerm[c]!;
      if (lastVpn - first + 1 <= N) {
        for (let vpn = first; vpn <= lastVpn; vpn++) {
          const i = base + (vpn & this.tlbMask);
          if (tags[i] === vpn && perms[i]! >>> PERM_BITS === asid) {
            tags[i] = -1;
            this.cnt[C.TLB_FLUSHED_ENTRIES]++;
          }
        }
      } else {
        for (let i = base; i < base + N; i++) {
          const t = tags[i]!;
          if (t >= first && t <= lastVpn && perms[i]! >>> PERM_BITS === asid) {
            tags[i] = -1;
            this.cnt[C.TLB_FLUSHED_ENTRIES]++;
          }
        }
      }
    }
  }

  /** Drops every entry of one address space on `cpu` (flush_tlb_mm; INVPCID single-context; tlbie by PID). */
  flushAsid(cpu: number, asid: number = this.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    const base = cpu << this.tlbBits;
    for (let c = 0; c < this.nClasses; c++) {
      const tags = this.tlbTag[c]!;
      const perms = this.tlbPerm[c]!;
      for (let i = base; i < base + this.tlbEntries; i++) {
        if (tags[i] !== -1 && perms[i]! >>> PERM_BITS === asid) {
          tags[i] = -1;
          this.cnt[C.TLB_FLUSHED_ENTRIES]++;
        }
      }
    }
  }

  /** Drops every entry on `cpu`, all address spaces (flush_tlb_all on that CPU). */
  flushAll(cpu: number): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    const base = cpu << this.tlbBits;
    for (let c = 0; c < this.nClasses; c++) {
      const tags = this.tlbTag[c]!;
      for (let i = base; i < base + this.tlbEntries; i++) {
        if (tags[i] !== -1) {
          tags[i] = -1;
          this.cnt[C.TLB_FLUSHED_ENTRIES]++;
        }
      }
    }
  }

  /** The TLB entry `cpu` would use for va in its current address space, without side effects; null if none. */
  tlbProbe(cpu: number, va: number): TlbEntryView | null {
    this.checkVa(va);
    const base = cpu << this.tlbBits;
    const asid = this.asid[cpu]!;
    for (let c = 0; c < this.nClasses; c++) {
      const vpn = Math.floor(va / this.clsSize[c]!);
      const i = base + (vpn & this.tlbMask);
      const p = this.tlbPerm[c]![i]!;
      if (this.tlbTag[c]![i] === vpn && p >>> PERM_BITS === asid) {
        return { va: vpn * this.clsSize[c]!, frame: this.tlbFrame[c]![i]!, pageSize: this.clsSize[c]!, perms: p & ((1 << PERM_BITS) - 1), asid };
      }
    }
    return null;
  }

  /** Number of valid TLB entries on `cpu` (all sizes, all address spaces). */
  tlbCount(cpu: number): number {
    this.checkCpu(cpu);
    const base = cpu << this.tlbBits;
    let k = 0;
    for (let c = 0; c < this.nClasses; c++) {
      const tags = this.tlbTag[c]!;
      for (let i = base; i < base + this.tlbEntries; i++) if (tags[i] !== -1) k++;
    }
    return k;
  }

  private checkVa(va: number): void {
    if (!Number.isSafeInteger(va) || va < 0) throw new RangeError(`virtual address ${va} is not a non-negative safe integer`);
  }

  // ==== software walk (dumps, tests, the kernel's view) ======================================

  /**
   * Walks the tables under rootPa for va the way the hardware would, but with no side effect:
   * no A/D update, no TLB, no counters. For dumps and tests, not for the hot path.
   */
  lookup(rootPa: number, va: number | bigint): LookupResult {
    let hi: number;
    let lo: number;
    if (typeof va === 'bigint') {
      const u = BigInt.asUintN(64, va);
      hi = Number(u >> 32n);
      lo = Number(u & 0xffffffffn);
    } else {
      this.checkVa(va);
      hi = (va / TWO32) >>> 0;
      lo = va >>> 0;
    }
    const res: LookupResult = { status: 'non-canonical', level: -1, entry: { lo: 0, hi: 0 }, entryPa: -1, pa: -1, pageSize: 0, perms: 0 };
    if (!this.inRange(hi, lo)) return res;
    const levels = this.layout.levels;
    const hw = this.layout.hw;
    const last = levels.length - 1;
    let table = rootPa;
    let perm = ALL_RIGHTS;
    for (let l = 0; ; l++) {
      const lv = levels[l]!;
      const vaIdx = Number(((BigInt(hi) << 32n) | BigInt(lo)) >> BigInt(lv.shift)) & ((1 << lv.bits) - 1);
      const epa = table + vaIdx * 8;
      const e: Entry = { lo: 0, hi: 0 };
      this.mem.read64(epa, this.layout.endian, e);
      res.level = l;
      res.entry = e;
      res.entryPa = epa;
      if (!holds(e.lo, e.hi, hw.valid[l]!, hw.validWhenSet[l]!)) {
        res.status = 'not-present';
        return res;
      }
      const leaf = l === last || holds(e.lo, e.hi, hw.leaf[l]!, hw.leafWhenSet[l]!);
      if (leaf) {
        if (!lv.leaf && l !== last) {
          res.status = 'reserved';
          return res;
        }
        if (holds(e.lo, e.hi, hw.reservedLeaf[l]!, true)) {
          res.status = 'reserved';
          return res;
        }
        perm &= this.rights(l, e.lo, e.hi);
        const frame = this.leafAddrFast
          ? ((e.hi & this.leafAddrHi[l]!) >>> 0) * TWO32 + ((e.lo & this.leafAddrLo[l]!) >>> 0)
          : this.slowLeafFrame(l, e.lo, e.hi);
        res.status = 'mapped';
        res.pageSize = 2 ** lv.shift;
        res.pa = frame + this.offsetOf(hi, lo, lv.shift);
        if ((perm & Perm.W) !== 0 && (this.hasDirty[l] === 0 || holds(e.lo, e.hi, hw.dirty[l]!, true))) perm |= Perm.D;
        res.perms = perm;
        return res;
      }
      if (holds(e.lo, e.hi, hw.reservedTable[l]!, true)) {
        res.status = 'reserved';
        return res;
      }
      if (hw.tableRules[l]) perm &= this.rights(l, e.lo, e.hi);
      table = this.layout.tableAddress(l, e);
    }
  }
}


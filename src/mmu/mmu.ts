// The CPU's memory-management unit: a hardware page-table walker and per-CPU TLBs, built once
// for one page-table layout (arch/*.ts) and one physical memory (src/mem).
//
// What it models, and from where:
//  - The walk: from the root the CPU holds (x86 CR3; radix the process-table entry of the PID;
//    s390 the ASCE), one entry per level, until a valid leaf. x86: Intel SDM Vol. 3A 4.5
//    ("4-Level Paging and 5-Level Paging"); radix: Power ISA v3.0B Book III 6.7.10 ("Radix Tree
//    Translation"); s390: z/Architecture PoO ch. 3 ("Dynamic Address Translation").
//  - The rules each entry is read with come from layout.hw (arch/types.ts HardwareRules): valid,
//    leaf, write/read/user/exec rights, accessed/dirty, reserved bits, per level. The hot paths
//    (TLB hit, walk) are generated once per layout with those masks as literals (codegen.ts),
//    so there is no branch on the architecture's name; lookup() below interprets the same
//    rules one by one and serves as the reference the tests compare the generated walk with.
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

import type { Entry, Layout, Mask } from '../../arch/types.ts';
import { ZERO_CHUNK32, type PhysMem } from '../mem/phys.ts';
import { Access, FaultKind, Perm, PERM_BITS } from './consts.ts';
import { C, Counters } from './counters.ts';
import { Cause, FaultInfo, faultModelFor, type FaultModel } from './fault.ts';
import { compileWalker, HIT_BASE, HIT_SMAP, HIT_SMEP, HIT_TLB, TLB_FRAME, TLB_PERM, TLB_STRIDE, TLB_TAG } from './codegen.ts';

const TWO32 = 4294967296;

/**
 * Entry address = table base || index || 0b000 (Intel SDM Vol. 3A 4.5; Power ISA radix
 * "NLB || index"): an OR, as the generated walk does; it differs from an add only for a base
 * not aligned to its table (a corrupted entry; the hardware requires alignment).
 */
function entryAddress(table: number, idx: number): number {
  const low = table % TWO32;
  return table - low + ((low | (idx * 8)) >>> 0);
}
const INV_TWO32 = 1 / TWO32;
/** The highest address-space id a TLB entry can carry (it sits above the permission bits of an int32). */
export const MAX_ASID = (1 << (31 - PERM_BITS)) - 1;
const ASID_FIELD = ~((1 << PERM_BITS) - 1);
const PERM_FIELD = (1 << PERM_BITS) - 1;
const ALL_RIGHTS = Perm.R | Perm.W | Perm.X | Perm.U;
/**
 * Tags a CPU hands out to its address spaces before it renumbers the live ones (Mmu.compactTags).
 * A TLB entry carries the tag of the address space it was filled for; flushing an address space
 * retires its tag (a fresh one is used from then on), so the flush costs O(1) whatever the TLB
 * holds: the same idea as Linux's ASID generations (arch/arm64/mm/context.c, x86 tlb_gen).
 */
const TAG_LIMIT = 1 << 12;

/** Zeroed TLB arrays by length, shared by every Mmu's idle CPUs; nothing writes them. */
const emptyTlbs = new Map<number, Float64Array>();
function emptyTlbOf(length: number): Float64Array {
  let t = emptyTlbs.get(length);
  if (t === undefined) {
    t = new Float64Array(length);
    emptyTlbs.set(length, t);
  }
  return t;
}

/**
 * Typed arrays over their own ArrayBuffer: V8 keeps a typed array of 64 bytes or less created
 * by length on the JS heap, where its data can move, so optimised code reloads its data pointer
 * on every access; an ArrayBuffer's store never moves, and the generated code, specialised to
 * its closure, then addresses the elements directly.
 */
function f64(n: number): Float64Array {
  return new Float64Array(new ArrayBuffer(n * 8));
}
function i32(n: number): Int32Array {
  return new Int32Array(new ArrayBuffer(n * 4));
}

/** What an Mmu derives from its layout alone (probed accessors), computed once per layout object. */
interface LayoutDerived {
  readonly tableAddr: (Mask | null)[];
  readonly leafFrameMask: (Mask | null)[];
}
const derivedCache = new WeakMap<Layout, LayoutDerived>();

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

function holds(lo: number, hi: number, m: Mask, whenSet: boolean): boolean {
  return (((lo & m.lo) | (hi & m.hi)) !== 0) === whenSet;
}

/**
 * Finds the mask m such that f(fixed | x) === (x & m) as a number, for every x, by probing
 * single bits and checking a few combinations; null when f is not such a mask (then the MMU
 * calls the layout's accessor instead).
 */
function probeAddressMask(f: (e: Entry) => number, fixedLo: number, fixedHi: number): Mask | null {
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

/** The alignment the root table needs for the walk's `table | index * 8` (its size). */
function layout_tableAlign(L: Layout): number {
  return L.tableBytes[0] ?? 4096;
}

/** The next-table address and leaf frame masks of a layout (see probeAddressMask); once per layout object. */
function deriveLayout(layout: Layout): LayoutDerived {
  const levels = layout.levels;
  const n = levels.length;
  const hw = layout.hw;
  const leafOk = levels.map((lv, l) => lv.leaf || l === n - 1);
  const tableAddr = levels.map((_, l) => (l < n - 1 ? probeAddressMask((e) => layout.tableAddress(l, e), 0, 0) : null));
  const leafFrameMask = levels.map((lv, l) => {
    if (!leafOk[l]) return null;
    const fixLo = (hw.leafWhenSet[l] ? hw.leaf[l]!.lo : 0) | (hw.validWhenSet[l] ? hw.valid[l]!.lo : 0);
    const fixHi = (hw.leafWhenSet[l] ? hw.leaf[l]!.hi : 0) | (hw.validWhenSet[l] ? hw.valid[l]!.hi : 0);
    const m = probeAddressMask((e) => layout.leafPfn(l, e) * 2 ** layout.pageShift, fixLo, fixHi);
    if (m === null) return null;
    // The frame is aligned to the leaf's size: lower bits are the offset (x86 PAT_LARGE is no address bit).
    return {
      lo: lv.shift >= 32 ? 0 : m.lo & ~(2 ** lv.shift - 1),
      hi: lv.shift > 32 ? m.hi & ~(2 ** (lv.shift - 32) - 1) : m.hi,
    };
  });
  return { tableAddr, leafFrameMask };
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
  /** The largest JS-number address translate() takes on its fast path (2^47-1 x86, 2^56-1 LA57, ...; at most 2^53-1). */
  readonly vaMaxNum: number;
  /** Entries per CPU per page size. */
  readonly tlbEntries: number;
  /** Page sizes the TLB holds, smallest first (one direct-mapped array each). */
  readonly pageSizes: readonly number[];
  /** Where translateTo() leaves the physical address. */
  readonly result = f64(1);

  /**
   * Translates a virtual address for an access by `cpu` through its current root, as the
   * hardware would: TLB, else a walk that sets accessed/dirty bits in memory and fills the TLB.
   * Returns the physical address (>= 0), or -1 after filling `this.fault`.
   * `va` must be a safe integer (throws RangeError otherwise); use translateBig above 2^53.
   * `access` is Access.Read / Write / Exec; `user` is CPL 3 (x86) / problem state (Power).
   * Generated for the layout when the Mmu is built (codegen.ts). Allocates nothing where it is
   * inlined into its caller; where it is not, V8 boxes the returned double (a physical address
   * is beyond the small-integer range): use translateTo() there.
   */
  readonly translate: (cpu: number, va: number, access: number, user: boolean) => number;
  /** translate() returning a small integer: 0 with the physical address in result[0], or -1 (fault). Never allocates. */
  readonly translateTo: (cpu: number, va: number, access: number, user: boolean) => number;

  /** @internal The generated walk of hi:lo (int32 halves, range-checked): 0 with the address in out[0], or -1 with the fault filled. */
  readonly walkTo: (cpu: number, hi: number, lo: number, access: number, user: boolean) => number;

  private smepOn: boolean;
  private smapOn: boolean;
  private tlbOn: boolean;

  // -- the layout's rules per level, for lookup() and the rare paths --------------------
  private readonly leafOk: boolean[];
  private readonly aMask: Mask[];
  private readonly dMask: Mask[];
  private readonly leafFrameMask: (Mask | null)[];
  private readonly levelSize: number[];
  private readonly levelClass: number[];
  /** x86 protection keys: the bit of the key within the high half, or -1 where the layout has none. */
  private readonly pkeyShiftHi: number;

  // -- TLB: per page-size class and CPU one Float64Array, TLB_STRIDE numbers per entry;
  // allocated when the CPU fills its first entry of that size (most CPUs only ever hold base pages).
  private readonly nClasses: number;
  private readonly tlbBits: number;
  private readonly tlbMask: number;
  /** Numbers in one class's array (tlbEntries * TLB_STRIDE). */
  private readonly clsStride: number;
  private readonly clsShift: number[];
  private readonly clsSize: number[];
  private readonly clsInv: number[];
  /** Per class: 2^(32 - shift) for classes below 2^32 (the vpn is hi * that + lo >>> shift), else 0. */
  private readonly clsHiMul: Float64Array;
  /** Per class: the shift, as int32, for the vpn's integer part. */
  private readonly clsShiftI: Int32Array;
  /** Per class, per CPU (padded to a power of two): its TLB, or emptyTlb until it fills an entry there. */
  private readonly tl: Float64Array[][];
  /** An all-empty TLB (every tag 0, which no address space ever has), shared by idle CPUs; never written. */
  private readonly emptyTlb: Float64Array;
  /** Per CPU: live entries per tag (zeroLive until the CPU's TLB exists). */
  private readonly lives: Int32Array[];
  private readonly zeroLive = new Int32Array(TAG_LIMIT);
  /** Per CPU: the tag of each address space with entries that may be live (asid -> tag). */
  private readonly tagOf: Map<number, number>[];
  /** Per CPU: the next tag to hand out (1..TAG_LIMIT-1). */
  private readonly nextTag: Int32Array;

  // -- per CPU ------------------------------------------------------------------------------
  private readonly root: Float64Array;
  /** The roots as uint32 halves (lo, hi per CPU) for the generated walk. */
  private readonly rootHL: Int32Array;
  private readonly asid: Int32Array;
  /** Per CPU: the tag of its current address space (tagOf[cpu].get(asid[cpu])). */
  private readonly ctag: Int32Array;
  private readonly pkru: Int32Array;
  /** HIT_TLB/HIT_SMEP/HIT_SMAP flags, then per CPU x (access * 2 + user) the perm-word mask and value a TLB hit must match. */
  private readonly hit: Int32Array;
  /** Per CPU: saltOf(its asid), XORed into TLB indexes. */
  private readonly salt: Int32Array;

  // -- scratch ------------------------------------------------------------------------------
  private readonly out = f64(1);
  private readonly tmpv = i32(2);
  private readonly tmp: Entry = { lo: 0, hi: 0 };
  private readonly cnt: Float64Array;

  // -- physical memory fast path: DRAM's dense chunk index (src/mem/phys.ts) -----------------
  private readonly dramBase: number;

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
    if (cpus * tlbEntries > 1 << 24) throw new RangeError('cpus x tlbEntries must stay below 2^24');
    this.tlbEntries = tlbEntries;
    this.smepOn = opts.smep ?? false;
    this.smapOn = opts.smap ?? false;
    this.tlbOn = opts.tlb ?? true;
    this.counters = new Counters();
    this.cnt = this.counters.v;
    const model = opts.faultModel ?? faultModelFor(layout.name);
    this.fault = new FaultInfo(model, layout.levels);

    const levels = layout.levels;
    const n = levels.length;
    if (n < 1 || n > 8) throw new RangeError(`${layout.name}: ${n} levels`);
    const hw = layout.hw;
    this.leafOk = levels.map((lv, l) => lv.leaf || l === n - 1);
    this.aMask = levels.map((_, l) => hw.accessed[l]!);
    this.dMask = levels.map((_, l) => hw.dirty[l]!);
    this.levelSize = levels.map((lv) => 2 ** lv.shift);
    for (const lv of levels) {
      if (lv.bits < 1 || lv.bits > 30 || lv.shift < 0 || lv.shift + lv.bits > 64) throw new RangeError(`${layout.name}: level ${lv.name} geometry`);
    }
    // The next-table address and the leaf frame as masks of the entry, when the layout's
    // accessors are exactly that (they are for every modelled layout); else they are called.
    let derived = derivedCache.get(layout);
    if (derived === undefined) {
      derived = deriveLayout(layout);
      derivedCache.set(layout, derived);
    }
    const tableAddr = derived.tableAddr;
    this.leafFrameMask = derived.leafFrameMask;
    this.vaBits = Math.min(64, levels[0]!.shift + levels[0]!.bits);
    this.signExtend = model.isa === 'x86';
    this.vaMaxNum = Math.min(Number.MAX_SAFE_INTEGER, 2 ** (this.vaBits - (this.signExtend ? 1 : 0)) - 1);
    // x86 protection keys live in PTE bits 62:59 (SDM 4.6.2; _PAGE_PKEY_BIT0..3 in pgtable_types.h).
    const pk0 = layout.flags['_PAGE_PKEY_BIT0'];
    this.pkeyShiftHi = model.isa === 'x86' && pk0 !== undefined && pk0 >= 1n << 32n ? pk0.toString(2).length - 1 - 32 : -1;

    // TLB classes: one per level that can hold a leaf, smallest page first.
    const leafLevels: number[] = [];
    for (let l = n - 1; l >= 0; l--) if (this.leafOk[l]) leafLevels.push(l);
    this.nClasses = leafLevels.length;
    this.levelClass = levels.map((_, l) => leafLevels.indexOf(l));
    this.clsShift = leafLevels.map((l) => levels[l]!.shift);
    this.clsSize = this.clsShift.map((s) => 2 ** s);
    this.clsInv = this.clsShift.map((s) => 2 ** -s);
    this.clsHiMul = Float64Array.from(this.clsShift, (s) => (s < 32 ? 2 ** (32 - s) : 0));
    this.clsShiftI = Int32Array.from(this.clsShift);
    this.pageSizes = Object.freeze([...this.clsSize]);
    this.tlbBits = Math.log2(tlbEntries);
    this.tlbMask = tlbEntries - 1;
    this.clsStride = tlbEntries * TLB_STRIDE;
    // Every CPU starts on the shared empty TLB (a zeroed array: tag 0 is never an address space's).
    const padded = 2 ** Math.ceil(Math.log2(cpus));
    this.emptyTlb = emptyTlbOf(this.clsStride);
    // Built by push, so the arrays are packed (a holey one costs the generated probe a hole check).
    this.tl = leafLevels.map(() => {
      const a: Float64Array[] = [];
      for (let c = 0; c < padded; c++) a.push(this.emptyTlb);
      return a;
    });
    this.lives = new Array<Int32Array>(cpus).fill(this.zeroLive);
    this.tagOf = [];
    for (let c = 0; c < cpus; c++) this.tagOf.push(new Map([[0, 1]]));
    this.nextTag = new Int32Array(cpus).fill(2);

    this.root = f64(cpus);
    this.rootHL = i32(cpus * 2);
    this.asid = i32(cpus);
    this.ctag = i32(cpus).fill(1);
    this.pkru = i32(cpus);
    this.hit = i32(HIT_BASE + cpus * 16);
    this.salt = i32(cpus);
    for (let c = 0; c < cpus; c++) this.recomputeHit(c);

    this.dramBase = mem.dram.base;
    // Regions never drop a chunk once allocated (src/mem/phys.ts), so the walk may keep the index.
    const dense = mem.dram.dense32;

    const fns = compileWalker(layout, {
      tableAddr,
      leafFrame: this.leafFrameMask,
      levelClass: this.levelClass,
      pkeyShiftHi: this.pkeyShiftHi,
      vaMaxNum: this.vaMaxNum,
      dramBase: this.dramBase,
      dramSize: dense !== null ? mem.dram.size : 0,
      tlbBits: this.tlbBits,
    })(this, this.rootHL, this.ctag, this.pkru, dense ?? [], ZERO_CHUNK32, this.cnt, this.out, this.result, this.tmpv, this.tl, this.lives, this.emptyTlb, this.hit, this.salt, cpus);
    this.translate = fns.translate;
    this.translateTo = fns.translateTo;
    this.walkTo = fns.walkTo;
  }

  // ==== out of line parts of translate (called by the generated code) =========================

  /**
   * @internal Everything translate() does not finish inline: bad or out-of-range addresses,
   * larger pages, re-walks, misses, TLB off. 0 (pa in out[0]) or -1. It is kept too large for
   * V8 to inline into the generated translate(), so that translate() stays small enough to be
   * inlined into its callers (V8 counts what a function has inlined against that budget).
   */
  missTo(cpu: number, va: number, access: number, user: boolean): number {
    const v = this.cnt;
    if (!(cpu >= 0 && cpu < this.cpus) || (cpu | 0) !== cpu) throw new RangeError(`cpu ${cpu} out of 0..${this.cpus - 1}`);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Exec) throw new RangeError(`access ${access} is not Access.Read/Write/Exec`);
    if (!(va >= 0 && va <= this.vaMaxNum) || Math.floor(va) !== va) {
      if (!Number.isSafeInteger(va) || va < 0) {
        throw new RangeError(`virtual address ${va} is not a non-negative safe integer; use translateBig`);
      }
      // Beyond the fast range: non-canonical (x86), outside the tree (radix), or (LA57) a
      // canonical address above vaMaxNum is impossible for a safe integer.
      const pa = this.translateHalves(cpu, (va * INV_TWO32) >>> 0, va >>> 0, access, user);
      if (pa < 0) return -1;
      this.out[0] = pa;
      return 0;
    }
    const hi = (va * INV_TWO32) >>> 0;
    const lo = va >>> 0;
    if (this.tlbOn) {
      const k = HIT_BASE + (((cpu << 3) + (access << 1) + (user ? 1 : 0)) << 1);
      const hm = this.hit[k]!;
      const hv = this.hit[k + 1]!;
      const salt = this.salt[cpu]!;
      for (let c = 0; c < this.nClasses; c++) {
        const t = this.tl[c]![cpu]!;
        const vpn = Math.floor(va * this.clsInv[c]!);
        const e = ((vpn & this.tlbMask) ^ salt) * TLB_STRIDE;
        if (t[e + TLB_TAG] === vpn) {
          const p = t[e + TLB_PERM]! | 0;
          if ((p & hm) === hv) {
            v[C.TLB_HITS]++;
            this.out[0] = t[e + TLB_FRAME]! + (va - vpn * this.clsSize[c]!);
            return 0;
          }
          // Same page, this address space, too few rights (or PKRU to check): walk again.
          if (((p ^ hv) & ASID_FIELD) === 0) {
            v[C.SLOW_TRANSLATIONS]++;
            v[C.TLB_REWALKS]++;
            return this.walkTo(cpu, hi | 0, lo | 0, access, user);
          }
        }
      }
      v[C.TLB_MISSES]++;
    }
    v[C.SLOW_TRANSLATIONS]++;
    return this.walkTo(cpu, hi | 0, lo | 0, access, user);
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
    this.checkCpu(cpu);
    hi >>>= 0;
    lo >>>= 0;
    const v = this.cnt;
    if (!this.inRange(hi, lo)) {
      v[C.SLOW_TRANSLATIONS]++;
      const f = this.fault;
      f.cause = 0;
      f.perms = 0;
      f.entryPa = -1;
      f.entryLo = 0;
      f.entryHi = 0;
      f.set(FaultKind.NonCanonical, cpu, hi, lo, access, user, -1);
      v[C.FAULTS + FaultKind.NonCanonical]++;
      return -1;
    }
    if (this.tlbOn) {
      const k = HIT_BASE + (((cpu << 3) + (access << 1) + (user ? 1 : 0)) << 1);
      const hm = this.hit[k]!;
      const hv = this.hit[k + 1]!;
      const salt = this.salt[cpu]!;
      for (let c = 0; c < this.nClasses; c++) {
        const t = this.tl[c]![cpu]!;
        const s = this.clsShift[c]!;
        const vpn = this.vpnOf(hi, lo, c);
        const e = ((vpn & this.tlbMask) ^ salt) * TLB_STRIDE;
        if (t[e + TLB_TAG] === vpn) {
          const p = t[e + TLB_PERM]! | 0;
          if ((p & hm) === hv) {
            v[C.TLB_HITS]++;
            return t[e + TLB_FRAME]! + this.offsetOf(hi, lo, s);
          }
          if (((p ^ hv) & ASID_FIELD) === 0) {
            v[C.SLOW_TRANSLATIONS]++;
            v[C.TLB_REWALKS]++;
            return this.walkTo(cpu, hi | 0, lo | 0, access, user) === 0 ? this.out[0]! : -1;
          }
        }
      }
      v[C.TLB_MISSES]++;
    }
    v[C.SLOW_TRANSLATIONS]++;
    return this.walkTo(cpu, hi | 0, lo | 0, access, user) === 0 ? this.out[0]! : -1;
  }

  /** The virtual page number of hi:lo (uint32 halves) in TLB class c, with the class's precomputed multiplier. */
  private vpnOf(hi: number, lo: number, c: number): number {
    const s = this.clsShiftI[c]!;
    return s >= 32 ? hi >>> (s - 32) : hi * this.clsHiMul[c]! + (lo >>> s);
  }

  private offsetOf(hi: number, lo: number, s: number): number {
    if (s < 32) return (lo & (2 ** s - 1)) >>> 0;
    if (s === 32) return lo;
    return ((hi & (2 ** (s - 32) - 1)) >>> 0) * TWO32 + lo;
  }

  /** @internal The entry at eh:el (int32 halves) outside the cached DRAM range, through PhysMem.read64, into tmpv. */
  readSlow(el: number, eh: number): void {
    this.mem.read64((eh >>> 0) * TWO32 + (el >>> 0), this.layout.endian, this.tmp);
    this.tmpv[0] = this.tmp.lo;
    this.tmpv[1] = this.tmp.hi;
  }

  /** @internal The next-table address through the layout's accessor (layouts whose field is no plain mask). */
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
   * each changed entry back once with PhysMem.write64 (SDM 4.8: only when a flag was clear).
   * The entries are found again by a second walk (nothing changed them in between), which
   * spares the hot walk from keeping every level's entry.
   */
  setAD(cpu: number, hi: number, lo: number, L: number, aMiss: number, setD: boolean): void {
    hi >>>= 0;
    lo >>>= 0;
    const v = this.cnt;
    const layout = this.layout;
    const e = this.tmp;
    let table = this.root[cpu]!;
    for (let j = 0; j <= L; j++) {
      const lv = layout.levels[j]!;
      const m = 2 ** lv.bits - 1;
      const idx = lv.shift >= 32 ? (hi >>> (lv.shift - 32)) & m : lv.shift === 0 ? lo & m : ((lo >>> lv.shift) | (hi << (32 - lv.shift))) & m;
      const epa = entryAddress(table, idx);
      this.mem.read64(epa, layout.endian, e);
      if (j < L) table = this.slowTableAddress(j, e.lo, e.hi);
      const a = (aMiss >>> j) & 1;
      const d = j === L && setD;
      if (a === 0 && !d) continue;
      let nLo = e.lo;
      let nHi = e.hi;
      if (a !== 0) {
        nLo |= this.aMask[j]!.lo;
        nHi |= this.aMask[j]!.hi;
        v[C.A_WRITES]++;
      }
      if (d) {
        nLo |= this.dMask[j]!.lo;
        nHi |= this.dMask[j]!.hi;
        v[C.D_WRITES]++;
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
    const epa = eh * TWO32 + (el >>> 0);
    const f = this.fault;
    let cause = 0;
    if (kind === FaultKind.Protection) {
      if (access === Access.Write && (perm & Perm.W) === 0) cause |= Cause.Write;
      if (access === Access.Read && (perm & Perm.R) === 0) cause |= Cause.Read;
      if (access === Access.Exec && (perm & Perm.X) === 0) cause |= Cause.Exec;
      if (user && (perm & Perm.U) === 0) cause |= Cause.User;
      if (!user && (perm & Perm.U) !== 0) {
        if (access === Access.Exec && this.smepOn) cause |= Cause.Smep;
        if (access !== Access.Exec && this.smapOn) cause |= Cause.Smap;
      }
    } else if (kind === FaultKind.Pkey) {
      const key = (eHi >>> this.pkeyShiftHi) & 15;
      cause |= ((this.pkru[cpu]! >>> (2 * key)) & 1) !== 0 ? Cause.PkeyAccess : Cause.PkeyWrite;
    }
    f.cause = cause;
    f.perms = perm;
    f.entryPa = epa;
    f.entryLo = eLo >>> 0;
    f.entryHi = eHi >>> 0;
    f.set(kind, cpu, hi, lo, access, user, level);
    this.cnt[C.FAULTS + kind]++;
    // SDM 4.10.4.1: a page fault invalidates the TLB entries for the faulting address (current PCID).
    if (this.tlbOn) this.dropAddress(cpu, hi, lo, this.asid[cpu]!);
    return -1;
  }

  /** The rights (Perm R/W/X/U) one entry grants by the layout's rules (interpreted; for lookup). */
  private rights(l: number, lo: number, hi: number): number {
    const hw = this.layout.hw;
    let p = 0;
    if (holds(lo, hi, hw.read[l]!, hw.readWhenSet[l]!)) p |= Perm.R;
    if (holds(lo, hi, hw.write[l]!, hw.writeWhenSet[l]!)) p |= Perm.W;
    if (holds(lo, hi, hw.exec[l]!, hw.execWhenSet[l]!)) p |= Perm.X;
    if (holds(lo, hi, hw.user[l]!, hw.userWhenSet[l]!)) p |= Perm.U;
    return p;
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
    // The walk forms an entry's address as table | index * 8 (x86 and radix concatenate the bits;
    // s390 adds, equal for the size-aligned tables Linux allocates), so the root must be aligned.
    const align = layout_tableAlign(this.layout);
    if (rootPa % align !== 0) throw new RangeError(`root 0x${rootPa.toString(16)} is not aligned to ${align}`);
    this.root[cpu] = rootPa;
    this.rootHL[cpu * 2] = rootPa | 0;
    this.rootHL[cpu * 2 + 1] = (rootPa * INV_TWO32) | 0;
    this.asid[cpu] = asid;
    this.salt[cpu] = this.saltOf(asid);
    let tag = this.tagOf[cpu]!.get(asid);
    if (tag === undefined) {
      tag = this.newTag(cpu);
      this.tagOf[cpu]!.set(asid, tag);
    }
    this.ctag[cpu] = tag;
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
    this.hit[HIT_TLB] = on ? 1 : 0;
    if (!on) for (let c = 0; c < this.cpus; c++) this.flushAll(c);
    // The generated TLB probe does not read the flag: with the TLB off its hit values match nothing.
    for (let c = 0; c < this.cpus; c++) this.recomputeHit(c);
  }

  get tlbEnabled(): boolean {
    return this.tlbOn;
  }

  /** x86 CR4.SMEP / CR4.SMAP (Power: KUEP / KUAP). */
  setSmepSmap(smep: boolean, smap: boolean): void {
    this.smepOn = smep;
    this.smapOn = smap;
    for (let c = 0; c < this.cpus; c++) this.recomputeHit(c);
  }

  /** The TLB index offset of an address space: asid 0 none, others spread by a multiplicative hash. */
  private saltOf(asid: number): number {
    return this.tlbBits === 0 ? 0 : Math.imul(asid, 0x9e3779b1) >>> (32 - this.tlbBits);
  }

  private checkCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) throw new RangeError(`cpu ${cpu} out of 0..${this.cpus - 1}`);
  }

  private recomputeHit(cpu: number): void {
    const h = this.hit;
    h[HIT_TLB] = this.tlbOn ? 1 : 0;
    h[HIT_SMEP] = this.smepOn ? 1 : 0;
    h[HIT_SMAP] = this.smapOn ? 1 : 0;
    const pkruOn = this.pkru[cpu] !== 0;
    // Slots 6 and 7 (no such access kind) never match, so a bad access value reaches missTo, which
    // throws; with the TLB off no slot matches (the generated probe reads no flag).
    for (let k = HIT_BASE + ((cpu * 8 + (this.tlbOn ? 6 : 0)) << 1); k < HIT_BASE + ((cpu * 8 + 8) << 1); k += 2) {
      h[k] = 0;
      h[k + 1] = 1;
    }
    if (!this.tlbOn) return;
    for (let access = 0; access < 3; access++) {
      for (let u = 0; u < 2; u++) {
        let need = access === Access.Write ? Perm.W | Perm.D : access === Access.Exec ? Perm.X : Perm.R;
        if (u === 1) need |= Perm.U;
        let mask = ASID_FIELD | need;
        // Supervisor accesses to user pages under SMEP/SMAP, and data accesses when PKRU restricts: walk.
        if (u === 0 && (access === Access.Exec ? this.smepOn : this.smapOn)) mask |= Perm.U;
        if (pkruOn && access !== Access.Exec) mask |= Perm.K;
        const k = HIT_BASE + ((cpu * 8 + access * 2 + u) << 1);
        h[k] = mask;
        h[k + 1] = (this.ctag[cpu]! << PERM_BITS) | need;
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

  /** The tag of `asid`'s entries on `cpu`, or 0 (no live entries: nothing to drop). */
  private liveTag(cpu: number, asid: number): number {
    if (asid === this.asid[cpu]) return this.ctag[cpu]!;
    return this.tagOf[cpu]!.get(asid) ?? 0;
  }

  private dropAddress(cpu: number, hi: number, lo: number, asid: number): void {
    const tag = this.liveTag(cpu, asid);
    if (tag === 0) return;
    const live = this.lives[cpu]!;
    // lives counts the entries carrying each live tag exactly: none, nothing to look up (most of
    // the CPUs a shootdown reaches; zeroLive for CPUs that never filled an entry).
    if (live[tag] === 0) return;
    const salt = asid === this.asid[cpu] ? this.salt[cpu]! : this.saltOf(asid);
    for (let c = 0; c < this.nClasses; c++) {
      // A class the CPU never filled holds nothing to drop.
      const t = this.tl[c]![cpu]!;
      if (t === this.emptyTlb) continue;
      const vpn = this.vpnOf(hi, lo, c);
      const e = ((vpn & this.tlbMask) ^ salt) * TLB_STRIDE;
      if (t[e + TLB_TAG] === vpn && (t[e + TLB_PERM]! | 0) >>> PERM_BITS === tag) {
        t[e + TLB_TAG] = -1;
        t[e + TLB_PERM] = 0;
        live[tag]--;
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
    const tag = this.liveTag(cpu, asid);
    if (tag === 0) return;
    const live = this.lives[cpu]!;
    const salt = this.saltOf(asid);
    const N = this.tlbEntries;
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      if (t === this.emptyTlb) continue;
      const size = this.clsSize[c]!;
      const first = Math.floor(start / size);
      const last = Math.floor((end - 1) / size);
      if (last - first + 1 <= N) {
        for (let vpn = first; vpn <= last; vpn++) {
          const e = ((vpn & this.tlbMask) ^ salt) * TLB_STRIDE;
          if (t[e + TLB_TAG] === vpn && (t[e + TLB_PERM]! | 0) >>> PERM_BITS === tag) {
            t[e + TLB_TAG] = -1;
            t[e + TLB_PERM] = 0;
            live[tag]--;
            this.cnt[C.TLB_FLUSHED_ENTRIES]++;
          }
        }
      } else {
        for (let e = 0; e < this.clsStride; e += TLB_STRIDE) {
          const vt = t[e + TLB_TAG]!;
          if (vt >= first && vt <= last && (t[e + TLB_PERM]! | 0) >>> PERM_BITS === tag) {
            t[e + TLB_TAG] = -1;
            t[e + TLB_PERM] = 0;
            live[tag]--;
            this.cnt[C.TLB_FLUSHED_ENTRIES]++;
          }
        }
      }
    }
  }

  /**
   * Drops every entry of one address space on `cpu` (flush_tlb_mm; INVPCID single-context; tlbie
   * by PID). O(1): the address space's tag is retired, so its entries never match again (they
   * stay in the arrays until overwritten or renumbered away by compactTags).
   */
  flushAsid(cpu: number, asid: number = this.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    const map = this.tagOf[cpu]!;
    const tag = map.get(asid);
    if (tag !== undefined) {
      this.cnt[C.TLB_FLUSHED_ENTRIES] += this.lives[cpu]![tag]!;
      map.delete(asid);
    }
    if (asid === this.asid[cpu]) this.retagCurrent(cpu);
  }

  /** Drops every entry on `cpu`, all address spaces (flush_tlb_all on that CPU); O(address spaces). */
  flushAll(cpu: number): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    const map = this.tagOf[cpu]!;
    const live = this.lives[cpu]!;
    for (const tag of map.values()) this.cnt[C.TLB_FLUSHED_ENTRIES] += live[tag]!;
    map.clear();
    this.retagCurrent(cpu);
  }

  /** Gives the CPU's current address space a fresh tag (after its old one was retired). */
  private retagCurrent(cpu: number): void {
    const tag = this.newTag(cpu);
    this.tagOf[cpu]!.set(this.asid[cpu]!, tag);
    this.ctag[cpu] = tag;
    this.recomputeHit(cpu);
  }

  /** A tag no entry of `cpu` carries, with a live count of 0. */
  private newTag(cpu: number): number {
    if (this.nextTag[cpu]! >= TAG_LIMIT) this.compactTags(cpu);
    const tag = this.nextTag[cpu]!++;
    if (this.lives[cpu] !== this.zeroLive) this.lives[cpu]![tag] = 0;
    return tag;
  }

  /**
   * Renumbers the live tags of `cpu` 1..n (its address spaces keep their entries) and clears
   * the entries of retired tags, so tags can be handed out again. Runs once per TAG_LIMIT
   * flushes at most. With more live address spaces than half the tags (never in practice), only
   * the current one keeps its entries: dropping TLB entries is always allowed (SDM 4.10.4.3).
   */
  private compactTags(cpu: number): void {
    const map = this.tagOf[cpu]!;
    if (map.size >= TAG_LIMIT / 2) {
      const cur = map.get(this.asid[cpu]!);
      map.clear();
      if (cur !== undefined) map.set(this.asid[cpu]!, cur);
    }
    const remap = new Int32Array(TAG_LIMIT);
    const live = this.lives[cpu]!;
    const newLive = new Int32Array(TAG_LIMIT);
    let n = 1;
    for (const [asid, tag] of map) {
      remap[tag] = n;
      newLive[n] = live[tag]!;
      map.set(asid, n);
      n++;
    }
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      if (t === this.emptyTlb) continue;
      for (let e = 0; e < t.length; e += TLB_STRIDE) {
        const p = t[e + TLB_PERM]! | 0;
        const r = remap[p >>> PERM_BITS]!;
        if (r === 0) {
          t[e + TLB_TAG] = -1;
          t[e + TLB_PERM] = 0;
        } else {
          t[e + TLB_PERM] = (r << PERM_BITS) | (p & PERM_FIELD);
        }
      }
    }
    if (live !== this.zeroLive) live.set(newLive);
    this.nextTag[cpu] = n;
    const cur = map.get(this.asid[cpu]!);
    if (cur !== undefined) this.ctag[cpu] = cur;
    this.recomputeHit(cpu);
  }

  /** @internal The TLB of `cpu` for class `cls`, allocated on its first fill there (until then it reads the shared empty one). */
  allocTlb(cpu: number, cls: number): Float64Array {
    let t = this.tl[cls]![cpu]!;
    if (t !== this.emptyTlb) return t;
    t = new Float64Array(this.clsStride);
    this.tl[cls]![cpu] = t;
    if (this.lives[cpu] === this.zeroLive) this.lives[cpu] = new Int32Array(TAG_LIMIT);
    return t;
  }

  /** The TLB entry `cpu` would use for va in its current address space, without side effects; null if none. */
  tlbProbe(cpu: number, va: number): TlbEntryView | null {
    this.checkCpu(cpu);
    this.checkVa(va);
    const asid = this.asid[cpu]!;
    const tag = this.ctag[cpu]!;
    const salt = this.salt[cpu]!;
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      const vpn = Math.floor(va / this.clsSize[c]!);
      const e = ((vpn & this.tlbMask) ^ salt) * TLB_STRIDE;
      const p = t[e + TLB_PERM]! | 0;
      if (t[e + TLB_TAG] === vpn && p >>> PERM_BITS === tag) {
        return { va: vpn * this.clsSize[c]!, frame: t[e + TLB_FRAME]!, pageSize: this.clsSize[c]!, perms: p & PERM_FIELD, asid };
      }
    }
    return null;
  }

  /** Number of valid TLB entries on `cpu` (all sizes, all address spaces). */
  tlbCount(cpu: number): number {
    this.checkCpu(cpu);
    // Live entries are those of the address spaces' current tags.
    const live = this.lives[cpu]!;
    let k = 0;
    for (const tag of this.tagOf[cpu]!.values()) k += live[tag]!;
    return k;
  }

  private checkVa(va: number): void {
    if (!Number.isSafeInteger(va) || va < 0) throw new RangeError(`virtual address ${va} is not a non-negative safe integer`);
  }

  // ==== software walk (dumps, tests, the kernel's view) ======================================

  /**
   * Walks the tables under rootPa for va the way the hardware would, rule by rule from
   * layout.hw, but with no side effect: no A/D update, no TLB, no counters. For dumps and
   * tests, not for the hot path.
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
    const L = this.layout;
    const levels = L.levels;
    const hw = L.hw;
    const last = levels.length - 1;
    const va64 = (BigInt(hi) << 32n) | BigInt(lo);
    let table = rootPa;
    let perm = ALL_RIGHTS;
    for (let l = 0; ; l++) {
      const lv = levels[l]!;
      const idx = Number((va64 >> BigInt(lv.shift)) & BigInt(2 ** lv.bits - 1));
      const epa = entryAddress(table, idx);
      const e: Entry = { lo: 0, hi: 0 };
      this.mem.read64(epa, L.endian, e);
      res.level = l;
      res.entry = e;
      res.entryPa = epa;
      if (!holds(e.lo, e.hi, hw.valid[l]!, hw.validWhenSet[l]!)) {
        res.status = 'not-present';
        return res;
      }
      const leaf = l === last || holds(e.lo, e.hi, hw.leaf[l]!, hw.leafWhenSet[l]!);
      if (leaf) {
        // A leaf where the level holds none (x86 PS in a PML4E) is a reserved-bit violation.
        if (!this.leafOk[l] || holds(e.lo, e.hi, hw.reservedLeaf[l]!, true)) {
          res.status = 'reserved';
          return res;
        }
        perm &= this.rights(l, e.lo, e.hi);
        const size = 2 ** lv.shift;
        const pfnPa = L.leafPfn(l, e) * 2 ** L.pageShift;
        const frame = pfnPa - (pfnPa % size);
        res.status = 'mapped';
        res.pageSize = size;
        res.pa = frame + Number(va64 % BigInt(size));
        const isZero = (m: Mask): boolean => m.lo === 0 && m.hi === 0;
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

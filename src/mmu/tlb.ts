// Per-CPU TLBs (QEMU keeps its TLB in accel/tcg/cputlb.c apart from the targets' walks; so
// does this model). One direct-mapped array per page-size class and CPU, TLB_STRIDE numbers per
// entry: the virtual page number, the frame, and a perm word with the address space's tag
// above PERM_BITS (tag 0: empty). Every index, probe and drop goes through slot() / drop()
// below; the generated translate() (codegen.ts) inlines the same arithmetic (TLB_SLOT_SHIFT).
//
// What it models (Intel SDM Vol. 3A 4.10 "Caching Translation Information"):
//  - The TLB is not coherent with memory: changing an entry without a flush leaves the old
//    translation in use (4.10.4). Entries are filled only after a successful walk.
//  - Address spaces are tagged (PCID, radix PID): a flush of one address space retires its tag
//    in O(1), as Linux's ASID generations do (arch/arm64/mm/context.c, x86 tlb_gen); the stale
//    entries stay in the arrays until overwritten or renumbered away (compactTags).
//  - Dropping entries is always allowed (4.10.4.3), which compactTags relies on.

import { Access, Perm, PERM_BITS } from './consts.ts';
import { C } from './counters.ts';

/** A TLB entry is TLB_STRIDE numbers: the virtual page number, the frame, the perm word. */
export const TLB_STRIDE = 4;
/** log2(TLB_STRIDE): an entry's first number is its slot shifted by this. */
export const TLB_SLOT_SHIFT = 2;
export const TLB_TAG = 0;
export const TLB_FRAME = 1;
export const TLB_PERM = 2;
/** hit[] holds flags (TLB on, SMEP, SMAP as 0/1), then from HIT_BASE per CPU x (access * 2 + user) the perm-word mask and value of a hit. */
export const HIT_TLB = 0;
export const HIT_SMEP = 1;
export const HIT_SMAP = 2;
export const HIT_BASE = 8;
/** hit[] numbers per CPU: 8 (access, user) slots of two, slots 6 and 7 never match. */
export const HIT_PER_CPU = 16;

/** The highest address-space id a TLB entry can carry (it sits above the permission bits of an int32). */
export const MAX_ASID = (1 << (31 - PERM_BITS)) - 1;
/** The tag part of a perm word. */
export const ASID_FIELD = ~((1 << PERM_BITS) - 1);
const PERM_FIELD = (1 << PERM_BITS) - 1;
/** Tags a CPU hands out to its address spaces before it renumbers the live ones (compactTags). */
const TAG_LIMIT = 1 << 12;
/** An empty entry's page number: no address has it. */
const NO_VPN = -1;

/** Zeroed TLB arrays by length, shared by every Tlb's idle CPUs; nothing writes them. */
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
 * on every access; an ArrayBuffer's store never moves, and generated code specialised to its
 * closure then addresses the elements directly.
 */
export function f64(n: number): Float64Array {
  return new Float64Array(new ArrayBuffer(n * 8));
}
export function i32(n: number): Int32Array {
  return new Int32Array(new ArrayBuffer(n * 4));
}

/** A TLB entry as Tlb.find() reports it. */
export interface TlbEntryView {
  /** Virtual address of the page the entry maps. */
  va: number;
  /** Physical address of the frame. */
  frame: number;
  pageSize: number;
  perms: number;
  asid: number;
}

/** What Tlb.probe() found. */
export const Probe = { Miss: -1, Rewalk: -2 } as const;

export class Tlb {
  readonly cpus: number;
  readonly entries: number;
  /** Page sizes per class, smallest first. */
  readonly clsSize: readonly number[];
  readonly nClasses: number;
  readonly bits: number;
  private readonly mask: number;
  /** Numbers in one class's array (entries * TLB_STRIDE). */
  readonly clsStride: number;
  private readonly clsShiftI: Int32Array;
  /** Per class: 2^(32 - shift) for classes below 2^32 (the vpn is hi * that + lo >>> shift), else 0. */
  private readonly clsHiMul: Float64Array;

  /** Per class, per CPU (padded to a power of two): its TLB, or emptyTlb until it fills an entry there. */
  readonly tl: Float64Array[][];
  /** An all-empty TLB (every tag 0, which no address space ever has), shared by idle CPUs; never written. */
  readonly emptyTlb: Float64Array;
  /** Per CPU: live entries per tag (zeroLive until the CPU's TLB exists). */
  readonly lives: Int32Array[];
  private readonly zeroLive = new Int32Array(TAG_LIMIT);
  /** Per CPU: the tag of each address space with entries that may be live (asid -> tag). */
  private readonly tagOf: Map<number, number>[];
  /** Per CPU: the next tag to hand out (1..TAG_LIMIT-1). */
  private readonly nextTag: Int32Array;
  /** Per CPU: its current address space id. */
  readonly asid: Int32Array;
  /** Per CPU: the tag of its current address space (tagOf[cpu].get(asid[cpu])). */
  readonly ctag: Int32Array;
  /** Per CPU: saltOf(its asid), XORed into TLB indexes. */
  readonly salt: Int32Array;
  /** HIT_TLB/HIT_SMEP/HIT_SMAP flags, then per CPU x (access * 2 + user) the perm-word mask and value a hit must match. */
  readonly hit: Int32Array;
  /** Where probe() leaves the physical address of a hit. */
  readonly hitPa = f64(1);

  private on: boolean;
  private smep = false;
  private smap = false;
  /** Per CPU: whether its PKRU restricts anything (a hit on a user page must then walk). */
  private readonly pkruOn: Uint8Array;

  constructor(
    cpus: number,
    entries: number,
    /** Shifts of the page sizes, smallest first. */
    clsShift: readonly number[],
    on: boolean,
    private readonly cnt: Float64Array,
  ) {
    this.cpus = cpus;
    this.entries = entries;
    this.on = on;
    this.nClasses = clsShift.length;
    this.clsSize = clsShift.map((s) => 2 ** s);
    this.clsShiftI = Int32Array.from(clsShift);
    this.clsHiMul = Float64Array.from(clsShift, (s) => (s < 32 ? 2 ** (32 - s) : 0));
    this.bits = Math.log2(entries);
    this.mask = entries - 1;
    this.clsStride = entries * TLB_STRIDE;
    const padded = 2 ** Math.ceil(Math.log2(cpus));
    this.emptyTlb = emptyTlbOf(this.clsStride);
    // Built by push, so the arrays are packed (a holey one costs the generated probe a hole check).
    this.tl = clsShift.map(() => {
      const a: Float64Array[] = [];
      for (let c = 0; c < padded; c++) a.push(this.emptyTlb);
      return a;
    });
    this.lives = new Array<Int32Array>(cpus).fill(this.zeroLive);
    this.tagOf = [];
    for (let c = 0; c < cpus; c++) this.tagOf.push(new Map([[0, 1]]));
    this.nextTag = new Int32Array(cpus).fill(2);
    this.asid = i32(cpus);
    this.ctag = i32(cpus).fill(1);
    this.salt = i32(cpus);
    this.hit = i32(HIT_BASE + cpus * HIT_PER_CPU);
    this.pkruOn = new Uint8Array(cpus);
    for (let c = 0; c < cpus; c++) this.recomputeHit(c);
  }

  get enabled(): boolean {
    return this.on;
  }

  // ---- the one index / match / drop ----------------------------------------------------------

  /** The first number of the entry a page number uses under a salt. */
  private slot(vpn: number, salt: number): number {
    return ((vpn & this.mask) ^ salt) * TLB_STRIDE;
  }

  /** The virtual page number of hi:lo (uint32 halves) in class c. */
  vpnOf(hi: number, lo: number, c: number): number {
    const s = this.clsShiftI[c]!;
    return s >= 32 ? hi >>> (s - 32) : hi * this.clsHiMul[c]! + (lo >>> s);
  }

  /** The offset of hi:lo (uint32 halves) in its page of class c, exact for any 64-bit address. */
  private offsetOf(hi: number, lo: number, c: number): number {
    const s = this.clsShiftI[c]!;
    if (s < 32) return lo % 2 ** s;
    return (hi % 2 ** (s - 32)) * 4294967296 + lo;
  }

  /** Empties the entry at e of t, which carries `tag`: one fewer live entry, one more flushed. */
  private drop(t: Float64Array, e: number, live: Int32Array, tag: number): void {
    t[e + TLB_TAG] = NO_VPN;
    t[e + TLB_PERM] = 0;
    live[tag]--;
    this.cnt[C.TLB_FLUSHED_ENTRIES]++;
  }

  private tagAt(t: Float64Array, e: number): number {
    return (t[e + TLB_PERM]! | 0) >>> PERM_BITS;
  }

  /** The salt of `asid` on `cpu`. */
  private saltFor(cpu: number, asid: number): number {
    return asid === this.asid[cpu] ? this.salt[cpu]! : this.saltOf(asid);
  }

  // ---- translation --------------------------------------------------------------------------

  /**
   * The TLB lookup of a translation: a hit (>= 0, the physical address in hitPa[0]), Probe.Rewalk
   * (this address space holds the page with too few rights, or PKRU to check: walk again, as x86
   * does to set D) or Probe.Miss. Counts nothing.
   */
  probe(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    const k = HIT_BASE + (((cpu << 3) + (access << 1) + (user ? 1 : 0)) << 1);
    const hm = this.hit[k]!;
    const hv = this.hit[k + 1]!;
    const salt = this.salt[cpu]!;
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      const vpn = this.vpnOf(hi, lo, c);
      const e = this.slot(vpn, salt);
      if (t[e + TLB_TAG] !== vpn) continue;
      const p = t[e + TLB_PERM]! | 0;
      if ((p & hm) === hv) {
        this.hitPa[0] = t[e + TLB_FRAME]! + this.offsetOf(hi, lo, c);
        return 0;
      }
      if (((p ^ hv) & ASID_FIELD) === 0) return Probe.Rewalk;
    }
    return Probe.Miss;
  }

  /** @internal The TLB of `cpu` for class `cls`, allocated on its first fill there (until then it reads the shared empty one). */
  alloc(cpu: number, cls: number): Float64Array {
    let t = this.tl[cls]![cpu]!;
    if (t !== this.emptyTlb) return t;
    t = new Float64Array(this.clsStride);
    this.tl[cls]![cpu] = t;
    if (this.lives[cpu] === this.zeroLive) this.lives[cpu] = new Int32Array(TAG_LIMIT);
    return t;
  }

  /** The entry `cpu` would use for hi:lo in its current address space, without side effects; null if none. */
  find(cpu: number, hi: number, lo: number): TlbEntryView | null {
    const tag = this.ctag[cpu]!;
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      const vpn = this.vpnOf(hi, lo, c);
      const e = this.slot(vpn, this.salt[cpu]!);
      if (t[e + TLB_TAG] === vpn && this.tagAt(t, e) === tag) {
        const p = t[e + TLB_PERM]! | 0;
        return { va: vpn * this.clsSize[c]!, frame: t[e + TLB_FRAME]!, pageSize: this.clsSize[c]!, perms: p & PERM_FIELD, asid: this.asid[cpu]! };
      }
    }
    return null;
  }

  /** Number of valid entries on `cpu` (all sizes, all address spaces): those of the address spaces' current tags. */
  count(cpu: number): number {
    const live = this.lives[cpu]!;
    let k = 0;
    for (const tag of this.tagOf[cpu]!.values()) k += live[tag]!;
    return k;
  }

  // ---- CPU state ----------------------------------------------------------------------------

  /** The CPU now runs address space `asid` (a fresh tag if it has none live). */
  switchTo(cpu: number, asid: number): void {
    this.asid[cpu] = asid;
    this.salt[cpu] = this.saltOf(asid);
    let tag = this.tagOf[cpu]!.get(asid);
    if (tag === undefined) {
      tag = this.newTag(cpu);
      this.tagOf[cpu]!.set(asid, tag);
    }
    this.ctag[cpu] = tag;
    this.recomputeHit(cpu);
  }

  setPkruRestricts(cpu: number, restricts: boolean): void {
    this.pkruOn[cpu] = restricts ? 1 : 0;
    this.recomputeHit(cpu);
  }

  /** Turns the TLB on or off; off also empties it. */
  setEnabled(on: boolean): void {
    this.on = on;
    this.hit[HIT_TLB] = on ? 1 : 0;
    if (!on) for (let c = 0; c < this.cpus; c++) this.flushAll(c);
    for (let c = 0; c < this.cpus; c++) this.recomputeHit(c);
  }

  setSmepSmap(smep: boolean, smap: boolean): void {
    this.smep = smep;
    this.smap = smap;
    for (let c = 0; c < this.cpus; c++) this.recomputeHit(c);
  }

  /** The TLB index offset of an address space: asid 0 none, others spread by a multiplicative hash. */
  private saltOf(asid: number): number {
    return this.bits === 0 ? 0 : Math.imul(asid, 0x9e3779b1) >>> (32 - this.bits);
  }

  private recomputeHit(cpu: number): void {
    const h = this.hit;
    h[HIT_TLB] = this.on ? 1 : 0;
    h[HIT_SMEP] = this.smep ? 1 : 0;
    h[HIT_SMAP] = this.smap ? 1 : 0;
    // Slots 6 and 7 (no such access kind) never match, so a bad access value reaches the
    // checked path, which throws; with the TLB off no slot matches (the generated probe reads no flag).
    const first = HIT_BASE + cpu * HIT_PER_CPU;
    for (let k = first + (this.on ? 12 : 0); k < first + HIT_PER_CPU; k += 2) {
      h[k] = 0;
      h[k + 1] = 1;
    }
    if (!this.on) return;
    for (let access = 0; access < 3; access++) {
      for (let u = 0; u < 2; u++) {
        let need = access === Access.Write ? Perm.W | Perm.D : access === Access.Exec ? Perm.X : Perm.R;
        if (u === 1) need |= Perm.U;
        let mask = ASID_FIELD | need;
        // Supervisor accesses to user pages under SMEP/SMAP, and data accesses when PKRU restricts: walk.
        if (u === 0 && (access === Access.Exec ? this.smep : this.smap)) mask |= Perm.U;
        if (this.pkruOn[cpu] === 1 && access !== Access.Exec) mask |= Perm.K;
        const k = first + ((access * 2 + u) << 1);
        h[k] = mask;
        h[k + 1] = (this.ctag[cpu]! << PERM_BITS) | need;
      }
    }
  }

  // ---- invalidation (what the kernel's flush_tlb_* end up doing) ----------------------------

  /** The tag of `asid`'s entries on `cpu`, or 0 (no live entries: nothing to drop). */
  private liveTag(cpu: number, asid: number): number {
    if (asid === this.asid[cpu]) return this.ctag[cpu]!;
    return this.tagOf[cpu]!.get(asid) ?? 0;
  }

  /** INVLPG / tlbie for one address (uint32 halves): drops whatever size entry covers it for `asid`. */
  dropAddress(cpu: number, hi: number, lo: number, asid: number): void {
    const tag = this.liveTag(cpu, asid);
    if (tag === 0) return;
    const live = this.lives[cpu]!;
    // lives counts the entries carrying each live tag exactly: none, nothing to look up (most of
    // the CPUs a shootdown reaches; zeroLive for CPUs that never filled an entry).
    if (live[tag] === 0) return;
    const salt = this.saltFor(cpu, asid);
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      if (t === this.emptyTlb) continue;
      const vpn = this.vpnOf(hi, lo, c);
      const e = this.slot(vpn, salt);
      if (t[e + TLB_TAG] === vpn && this.tagAt(t, e) === tag) this.drop(t, e, live, tag);
    }
  }

  /** flush_tlb_range on one CPU: drops every entry of `asid` that overlaps [start, end). */
  dropRange(cpu: number, start: number, end: number, asid: number): void {
    if (end === start) return;
    const tag = this.liveTag(cpu, asid);
    if (tag === 0) return;
    const live = this.lives[cpu]!;
    const salt = this.saltFor(cpu, asid);
    for (let c = 0; c < this.nClasses; c++) {
      const t = this.tl[c]![cpu]!;
      if (t === this.emptyTlb) continue;
      const size = this.clsSize[c]!;
      const first = Math.floor(start / size);
      const last = Math.floor((end - 1) / size);
      if (last - first + 1 <= this.entries) {
        for (let vpn = first; vpn <= last; vpn++) {
          const e = this.slot(vpn, salt);
          if (t[e + TLB_TAG] === vpn && this.tagAt(t, e) === tag) this.drop(t, e, live, tag);
        }
      } else {
        // More pages than entries: scan the array once instead.
        for (let e = 0; e < this.clsStride; e += TLB_STRIDE) {
          const vt = t[e + TLB_TAG]!;
          if (vt >= first && vt <= last && this.tagAt(t, e) === tag) this.drop(t, e, live, tag);
        }
      }
    }
  }

  /** flush_tlb_mm on one CPU (INVPCID single-context; tlbie by PID): O(1), the tag is retired. */
  dropAsid(cpu: number, asid: number): void {
    const map = this.tagOf[cpu]!;
    const tag = map.get(asid);
    // No entry carries the tag (lives counts them exactly): nothing to drop, the tag can stay.
    if (tag !== undefined && this.lives[cpu]![tag] === 0) return;
    if (tag !== undefined) {
      this.cnt[C.TLB_FLUSHED_ENTRIES] += this.lives[cpu]![tag]!;
      map.delete(asid);
    }
    if (asid === this.asid[cpu]) this.retagCurrent(cpu);
  }

  /** Drops every entry on `cpu`, all address spaces; O(address spaces). */
  flushAll(cpu: number): void {
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
   * the current one keeps its entries (dropping entries is always allowed, SDM 4.10.4.3).
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
          t[e + TLB_TAG] = NO_VPN;
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
}

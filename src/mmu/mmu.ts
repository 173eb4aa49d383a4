// The CPU's memory-management unit, built once for one page-table layout (arch/*.ts) and one
// physical memory (src/mem): the per-CPU TLBs (tlb.ts), the hardware walk (walk.ts, and its
// hot path generated per layout by codegen.ts), the fault record (fault.ts) and the counters.
// This file assembles them and holds the entry points and the CPU registers.
//
//  - The TLB caches the walk's result: the frame, the effective rights, and whether a store can
//    go through without a walk (writable and already dirty). A store that hits a writable but
//    clean entry walks again to set D (SDM 4.8: "the processor ... sets the dirty flag ... the
//    first time there is a write"). A hit with too few rights walks again rather than faulting
//    from the stale entry (SDM 4.10.4.3 allows either; the re-walk finds what memory holds).
//  - A page fault drops the TLB entries for the faulting address (SDM 4.10.4.1).
//  - Everything that differs by architecture comes from the layout's hooks (arch/types.ts
//    ArchHooks): the address form, protection keys, the fault encoding, the root register, the
//    entry masks the generated walk uses. Nothing here tests a layout's name or family.

import type { FaultHook } from '../../arch/fault.ts';
import type { Layout } from '../../arch/types.ts';
import type { PhysMem } from '../mem/phys.ts';
import { Access } from './consts.ts';
import { C, Counters } from './counters.ts';
import { compileWalker, walkSpecFor } from './codegen.ts';
import { FaultInfo } from './fault.ts';
import { f64, MAX_ASID, Probe, Tlb, type TlbEntryView } from './tlb.ts';
import { addressRange, Walker, type LookupResult } from './walk.ts';

export type { LookupResult } from './walk.ts';
export { MAX_ASID, type TlbEntryView } from './tlb.ts';

const TWO32 = 4294967296;
const INV_TWO32 = 1 / TWO32;

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
  /** Overrides the layout's fault encoding (hooks.fault). */
  faultHook?: FaultHook;
}

export class Mmu {
  readonly layout: Layout;
  readonly mem: PhysMem;
  readonly cpus: number;
  /** The last fault, reused: read it right after translate() returns -1 (record() copies it as data). */
  readonly fault: FaultInfo;
  readonly counters: Counters;
  /** Bits of virtual address the largest root covers (48 x86, 57 LA57, 52 radix, 64 s390 region-first). */
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
  readonly translate: (cpu: number, va: number, access: Access, user: boolean) => number;
  /** translate() returning a small integer: 0 with the physical address in result[0], or -1 (fault). Never allocates. */
  readonly translateTo: (cpu: number, va: number, access: Access, user: boolean) => number;
  /**
   * translate() of vas[from .. from + count) into dst[0 .. count): the batched form, for callers
   * that translate many addresses at once (the TLB probe runs in one generated loop, the hit
   * counter is updated once). Returns how many were translated: count, or the index of the
   * first fault (this.fault describes it; dst holds the addresses before it). Never allocates.
   */
  readonly translateMany: (cpu: number, vas: Float64Array, from: number, count: number, access: Access, user: boolean, dst: Float64Array) => number;
  /** @internal The generated walk of hi:lo (int32 halves, range-checked): 0 with the address in out[0], or -1 with the fault filled. */
  readonly walkTo: (cpu: number, hi: number, lo: number, access: number, user: boolean) => number;

  private readonly tlb: Tlb;
  private readonly walker: Walker;
  private readonly cnt: Float64Array;
  private readonly out: Float64Array;

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
    this.counters = new Counters();
    this.cnt = this.counters.v;
    const hooks = layout.hooks;
    this.fault = new FaultInfo(opts.faultHook ?? hooks.fault, layout.levels);

    const levels = layout.levels;
    const n = levels.length;
    if (n < 1 || n > 8) throw new RangeError(`${layout.name}: ${n} levels`);
    for (const lv of levels) {
      if (lv.bits < 1 || lv.bits > 30 || lv.shift < 0 || lv.shift + lv.bits > 64) throw new RangeError(`${layout.name}: level ${lv.name} geometry`);
    }
    const rootLevels = hooks.root.levels;
    const top = addressRange(layout, Math.min(...rootLevels));
    this.vaBits = top.bits;
    this.signExtend = hooks.vaForm === 'sign-extend';
    this.vaMaxNum = top.maxNum;

    // TLB classes: one per level that can hold a leaf, smallest page first.
    const leafLevels: number[] = [];
    for (let l = n - 1; l >= 0; l--) if (levels[l]!.leaf || l === n - 1) leafLevels.push(l);
    this.tlb = new Tlb(cpus, tlbEntries, leafLevels.map((l) => levels[l]!.shift), opts.tlb ?? true, this.cnt);
    this.tlb.setSmepSmap(opts.smep ?? false, opts.smap ?? false);
    this.pageSizes = Object.freeze([...this.tlb.clsSize]);
    this.walker = new Walker(layout, mem, cpus, this.cnt, this.fault, this.tlb);
    this.walker.smep = opts.smep ?? false;
    this.walker.smap = opts.smap ?? false;
    this.out = this.walker.out;

    // DRAM with a flat part (src/mem/phys.ts): the walk reads it directly.
    const flat = mem.dram.dense32 !== null;
    const w = this.walker;
    const t = this.tlb;
    const fns = compileWalker(layout, walkSpecFor(layout, mem.dram.base, flat ? mem.dram.size : 0, t.bits))({
      mmu: this,
      walker: w,
      tlb: t,
      rootHL: w.rootHL,
      rootLevel: w.rootLevel,
      vaMax: w.vaMax,
      pkru: w.pkru,
      dram: mem.dram,
      cnt: this.cnt,
      out: w.out,
      result: this.result,
      tmpv: w.tmpv,
      tl: t.tl,
      lives: t.lives,
      emptyTlb: t.emptyTlb,
      hit: t.hit,
      salt: t.salt,
      ctag: t.ctag,
      ncpu: cpus,
    });
    this.translate = fns.translate;
    this.translateTo = fns.translateTo;
    this.translateMany = fns.translateMany;
    this.walkTo = fns.walkTo;
  }

  // ==== translation: the paths the generated translate() does not finish inline ==============

  /**
   * @internal Everything translate() does not finish inline: bad or out-of-range addresses,
   * larger pages, re-walks, misses, TLB off. 0 (pa in out[0]) or -1. It must stay too large for
   * V8 to inline into the generated translate() (more than 460 bytes of bytecode), so that
   * translate() stays small enough to be inlined into its callers (V8 counts what a function has
   * inlined against that budget; a translate() that is not inlined returns a boxed double):
   * hence the TLB-and-walk step below is written out here rather than called (probeOrWalk is the
   * same for translateHalves). translate-alloc-check in bench/mmu.bench.ts measures it.
   */
  missTo(cpu: number, va: number, access: number, user: boolean): number {
    if (!(cpu >= 0 && cpu < this.cpus) || (cpu | 0) !== cpu) throw new RangeError(`cpu ${cpu} out of 0..${this.cpus - 1}`);
    if (access !== Access.Read && access !== Access.Write && access !== Access.Exec) throw new RangeError(`access ${access} is not Access.Read/Write/Exec`);
    const w = this.walker;
    if (!(va >= 0 && va <= w.vaMax[cpu]!) || Math.floor(va) !== va) {
      if (!Number.isSafeInteger(va) || va < 0) {
        throw new RangeError(`virtual address ${va} is not a non-negative safe integer; use translateBig`);
      }
      // Beyond the root's range: non-canonical (x86), outside the tree (radix), beyond the ASCE type (s390).
      const pa = this.translateHalves(cpu, (va * INV_TWO32) >>> 0, va >>> 0, access, user);
      if (pa < 0) return -1;
      this.out[0] = pa;
      return 0;
    }
    const hi = (va * INV_TWO32) >>> 0;
    const lo = va >>> 0;
    const v = this.cnt;
    const t = this.tlb;
    if (t.enabled) {
      const r = t.probe(cpu, hi, lo, access, user);
      if (r >= 0) {
        v[C.TLB_HITS]++;
        this.out[0] = t.hitPa[0]!;
        return 0;
      }
      if (r === Probe.Rewalk) v[C.TLB_REWALKS]++;
      else v[C.TLB_MISSES]++;
    }
    v[C.SLOW_TRANSLATIONS]++;
    return this.walkTo(cpu, hi | 0, lo | 0, access, user);
  }

  /** The TLB, else a walk, for an address in range (uint32 halves): 0 with the address in out[0], or -1 (missTo writes the same out). */
  private probeOrWalk(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    const v = this.cnt;
    if (this.tlb.enabled) {
      const r = this.tlb.probe(cpu, hi, lo, access, user);
      if (r >= 0) {
        v[C.TLB_HITS]++;
        this.out[0] = this.tlb.hitPa[0]!;
        return 0;
      }
      v[r === Probe.Rewalk ? C.TLB_REWALKS : C.TLB_MISSES]++;
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

  /** translate() on an address given as uint32 halves: range check, TLB, walk. Not for hot loops. */
  translateHalves(cpu: number, hi: number, lo: number, access: number, user: boolean): number {
    this.checkCpu(cpu);
    hi >>>= 0;
    lo >>>= 0;
    if (!this.walker.inRangeOf(cpu, hi, lo)) {
      this.cnt[C.SLOW_TRANSLATIONS]++;
      return this.walker.rangeFault(cpu, hi, lo, access, user);
    }
    return this.probeOrWalk(cpu, hi, lo, access, user) === 0 ? this.out[0]! : -1;
  }

  // ==== CPU state ===========================================================================

  /**
   * Loads the root register of the address space `cpu` runs (x86 CR3, radix the PID's
   * process-table entry, s390 the ASCE: the layout's hooks.root encodes and decodes it) with
   * address-space id `asid` (x86 PCID, radix PID). asid 0 means untagged: the load flushes that
   * CPU's asid-0 entries, as a CR3 write without PCIDs flushes the TLB (SDM 4.10.4.1). A non-zero
   * asid keeps the entries tagged with it (PCID with NOFLUSH).
   */
  setRoot(cpu: number, root: number, asid = 0): void {
    this.checkCpu(cpu);
    if (!Number.isInteger(asid) || asid < 0 || asid > MAX_ASID) throw new RangeError(`asid ${asid} out of 0..${MAX_ASID}`);
    if (!Number.isSafeInteger(root) || root < 0) throw new RangeError(`root ${root} is not a root register value`);
    this.walker.loadRoot(cpu, root);
    this.tlb.switchTo(cpu, asid);
    if (asid === 0) this.flushAsid(cpu, 0);
  }

  /** The root register value of `cpu`. */
  rootOf(cpu: number): number {
    return this.walker.root[cpu]!;
  }

  /** The level the walk of `cpu` starts at (0 unless its root designates a shorter tree: s390 ASCE types). */
  rootLevelOf(cpu: number): number {
    return this.walker.rootLevel[cpu]!;
  }

  asidOf(cpu: number): number {
    return this.tlb.asid[cpu]!;
  }

  /** x86 WRPKRU: bits 2k / 2k+1 are key k's access-disable / write-disable (SDM 4.6.2). No TLB flush. */
  setPkru(cpu: number, value: number): void {
    this.checkCpu(cpu);
    this.walker.pkru[cpu] = value | 0;
    this.tlb.setPkruRestricts(cpu, (value | 0) !== 0);
  }

  pkruOf(cpu: number): number {
    return this.walker.pkru[cpu]! >>> 0;
  }

  /** Turns the TLB on or off; off also empties it (counted as one flush per CPU). */
  setTlbEnabled(on: boolean): void {
    if (!on) this.cnt[C.TLB_FLUSHES] += this.cpus;
    this.tlb.setEnabled(on);
  }

  get tlbEnabled(): boolean {
    return this.tlb.enabled;
  }

  /** x86 CR4.SMEP / CR4.SMAP (Power: KUEP / KUAP). */
  setSmepSmap(smep: boolean, smap: boolean): void {
    this.walker.smep = smep;
    this.walker.smap = smap;
    this.tlb.setSmepSmap(smep, smap);
  }

  private checkCpu(cpu: number): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) throw new RangeError(`cpu ${cpu} out of 0..${this.cpus - 1}`);
  }

  private checkVa(va: number): void {
    if (!Number.isSafeInteger(va) || va < 0) throw new RangeError(`virtual address ${va} is not a non-negative safe integer`);
  }

  // ==== TLB maintenance (what the kernel's flush_tlb_* end up doing) =======================

  /** INVLPG / tlbie for one address: drops whatever size entry covers va on `cpu` for `asid` (default: the CPU's current). */
  flushPage(cpu: number, va: number, asid: number = this.tlb.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.checkVa(va);
    this.cnt[C.TLB_FLUSHES]++;
    this.tlb.dropAddress(cpu, (va / TWO32) >>> 0, va >>> 0, asid);
  }

  /** flush_tlb_range on one CPU: drops every entry of `asid` that overlaps [start, end) (end exclusive, as the kernel's). */
  flushRange(cpu: number, start: number, end: number, asid: number = this.tlb.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.checkVa(start);
    if (!Number.isSafeInteger(end) || end < start) throw new RangeError(`range end ${end} before start ${start}`);
    this.cnt[C.TLB_FLUSHES]++;
    this.tlb.dropRange(cpu, start, end, asid);
  }

  /**
   * Drops every entry of one address space on `cpu` (flush_tlb_mm; INVPCID single-context; tlbie
   * by PID). O(1): the address space's tag is retired (tlb.ts).
   */
  flushAsid(cpu: number, asid: number = this.tlb.asid[cpu]!): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    this.tlb.dropAsid(cpu, asid);
  }

  /** Drops every entry on `cpu`, all address spaces (flush_tlb_all on that CPU); O(address spaces). */
  flushAll(cpu: number): void {
    this.checkCpu(cpu);
    this.cnt[C.TLB_FLUSHES]++;
    this.tlb.flushAll(cpu);
  }

  /** The TLB entry `cpu` would use for va in its current address space, without side effects; null if none. */
  tlbProbe(cpu: number, va: number): TlbEntryView | null {
    this.checkCpu(cpu);
    this.checkVa(va);
    return this.tlb.find(cpu, (va / TWO32) >>> 0, va >>> 0);
  }

  /** Number of valid TLB entries on `cpu` (all sizes, all address spaces). */
  tlbCount(cpu: number): number {
    this.checkCpu(cpu);
    return this.tlb.count(cpu);
  }

  // ==== software walk (dumps, tests, the kernel's view) ======================================

  /**
   * Walks the tables under a root register value (as setRoot takes it) for va the way the
   * hardware would, rule by rule from layout.hw, with no side effect: no A/D update, no TLB,
   * no counters. For dumps and tests, not for the hot path.
   */
  lookup(root: number, va: number | bigint): LookupResult {
    if (typeof va === 'bigint') {
      const u = BigInt.asUintN(64, va);
      return this.walker.lookup(root, Number(u >> 32n), Number(u & 0xffffffffn));
    }
    this.checkVa(va);
    return this.walker.lookup(root, (va / TWO32) >>> 0, va >>> 0);
  }
}

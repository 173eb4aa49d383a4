// Specialises the MMU's two hot functions to one layout, once, when an Mmu is built: the
// TLB-hit path of translate() and the hardware walk. The layout's rules (arch/types.ts
// HardwareRules: masks and polarities per level) become integer literals in generated
// JavaScript, and the walk is unrolled over the levels, so the optimiser sees straight-line
// integer code with no per-level table lookups and no branch on the architecture.
//
// The generated code does exactly what the rules say; src/mmu/walk.ts keeps a rule-by-rule
// interpreter of the same walk (Walker.lookup, side-effect free) and the tests check that both
// agree (test/mmu/walk-equivalence.test.ts). The source for each layout is kept under
// test/mmu/golden/ (test/mmu/codegen-golden.test.ts), so a reviewer can read it and a diff shows
// when it changes. Every number it contains is written with the name of the constant it
// stands for (`cnt[1 /* C.TLB_HITS */]`), and only names filtered to [A-Za-z0-9_-] reach it.
//
// The source depends on the layout, the DRAM range (page tables below 4 GiB are addressed with
// 32-bit integer arithmetic; src/mem keeps DRAM's low gigabyte flat) and the TLB size, all
// written in as literals; it is compiled once
// per distinct source and shared by every Mmu with the same, each Mmu binding its own typed
// arrays through one environment object (WalkEnv). Physical addresses and entry halves cross calls as int32 (a
// double argument or return value would be boxed on the heap); helpers that produce an
// address leave it in a Float64Array.
//
// Entry addresses are formed as table | index * 8, which is what x86 and radix hardware do
// (the index bits are concatenated below the table's address) and equals s390's addition for
// the size-aligned tables Linux allocates; Mmu.setRoot checks the root's alignment.

import type { Layout, Mask } from '../../arch/types.ts';
import { Access, FaultKind, FAULT_KIND_NAMES, Perm, PERM_BITS } from './consts.ts';
import { C } from './counters.ts';
import { HIT_BASE, HIT_SMAP, HIT_SMEP, HIT_TLB, TLB_FRAME, TLB_PERM, TLB_SLOT_SHIFT, type Tlb } from './tlb.ts';
import type { Walker } from './walk.ts';

/** What the generator needs besides the layout. */
export interface WalkSpec {
  /** Per level, the entry bits that form the next table's address (null: call the layout's accessor). */
  readonly tableAddr: readonly (Mask | null)[];
  /** Per leaf-capable level, the entry bits that form the leaf's frame address (null: call the accessor). */
  readonly leafFrame: readonly (Mask | null)[];
  /** TLB class (index into the TLB arrays) of each leaf-capable level, -1 elsewhere. */
  readonly levelClass: readonly number[];
  /** x86: the protection-key field's shift within the high half, or -1. */
  readonly pkeyShiftHi: number;
  /** The largest JS-number address the TLB-hit path accepts (that of the largest root). */
  readonly vaMaxNum: number;
  /** Levels the root register can designate (ArchHooks.root.levels): where the walk may start. */
  readonly rootLevels: readonly number[];
  /** DRAM range whose flat buffer the walk reads directly (dramSize 0: always through PhysMem). */
  readonly dramBase: number;
  readonly dramSize: number;
  /** log2 of TLB entries per CPU per page size. */
  readonly tlbBits: number;
}

/** The spec of an Mmu for `L` whose directly read DRAM is [dramBase, dramBase + dramSize) and whose TLB has 2^tlbBits entries per class. */
export function walkSpecFor(L: Layout, dramBase: number, dramSize: number, tlbBits: number): WalkSpec {
  const levels = L.levels;
  const n = levels.length;
  const hooks = L.hooks;
  // TLB classes: one per level that can hold a leaf, smallest page first (as Mmu builds its Tlb).
  const leafLevels: number[] = [];
  for (let l = n - 1; l >= 0; l--) if (levels[l]!.leaf || l === n - 1) leafLevels.push(l);
  const pk = hooks.pkey;
  const top = levels[Math.min(...hooks.root.levels)]!;
  const bits = Math.min(64, top.shift + top.bits);
  return {
    tableAddr: hooks.tableAddrMask,
    leafFrame: hooks.leafFrameMask,
    levelClass: levels.map((_, l) => leafLevels.indexOf(l)),
    pkeyShiftHi: pk !== null && pk.shift >= 32 ? pk.shift - 32 : -1,
    vaMaxNum: Math.min(Number.MAX_SAFE_INTEGER, 2 ** (bits - (hooks.vaForm === 'sign-extend' ? 1 : 0)) - 1),
    rootLevels: hooks.root.levels,
    dramBase,
    dramSize,
    tlbBits,
  };
}

/** What the generated factory is given: one Mmu's state. */
export interface WalkEnv {
  /** The Mmu: missTo, the checked path of translate(). */
  readonly mmu: { missTo(cpu: number, va: number, access: number, user: boolean): number };
  /** The non-generated parts of the walk (walk.ts): slow reads, A/D update, faults. */
  readonly walker: Walker;
  readonly tlb: Tlb;
  /** Per CPU: the root table as int32 halves (lo, hi), the level the walk starts at, the largest address its root covers. */
  readonly rootHL: Int32Array;
  readonly rootLevel: Int32Array;
  readonly vaMax: Float64Array;
  readonly pkru: Int32Array;
  /**
   * DRAM, whose flat buffer (src/mem/phys.ts Region.flat32, int32 words; replaced when it grows,
   * so it is loaded once per walk) the walk reads with integer indexing only, entry halves
   * staying int32 (every use of them below is bitwise); entries outside it go through readSlow.
   */
  readonly dram: { readonly flat32: Int32Array };
  /** The counters (C.*). */
  readonly cnt: Float64Array;
  /** Where walkTo leaves the physical address; where translateTo does; readSlow's entry. */
  readonly out: Float64Array;
  readonly result: Float64Array;
  readonly tmpv: Int32Array;
  /** tl[cls][cpu]: the CPU's TLB for one page-size class, or emptyTlb (shared, never written) until its first fill there; padded to a power of two. */
  readonly tl: readonly Float64Array[][];
  /** lives[cpu]: live entries per tag, so an O(1) flush still counts what it dropped. */
  readonly lives: readonly Int32Array[];
  readonly emptyTlb: Float64Array;
  /** Tlb.hit: flags, then the perm-word mask and value a hit must match per CPU, access and mode. */
  readonly hit: Int32Array;
  /** salt[cpu]: the CPU's asid hashed into an index offset; ctag[cpu]: the tag TLB entries of its address space carry. */
  readonly salt: Int32Array;
  readonly ctag: Int32Array;
  readonly ncpu: number;
}
const ENV_NAMES = ['mmu', 'walker', 'tlb', 'rootHL', 'rootLevel', 'vaMax', 'pkru', 'dram', 'cnt', 'out', 'result', 'tmpv', 'tl', 'lives', 'emptyTlb', 'hit', 'salt', 'ctag', 'ncpu'] as const satisfies readonly (keyof WalkEnv)[];

/** A name as it may appear in generated source: only [A-Za-z0-9_-] (anything else could end a comment or a string). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The literal for counter k, with its name. */
const cn = (k: keyof typeof C): string => `${C[k]} /* C.${k} */`;
/** The literal for a Perm bit set, with its names. */
function pm(bits: number): string {
  const names = (Object.keys(Perm) as (keyof typeof Perm)[]).filter((k) => (bits & Perm[k]) !== 0);
  return `${bits} /* ${names.length === 0 ? 'none' : names.map((k) => `Perm.${k}`).join('|')} */`;
}
/** The literal for an Access value, with its name. */
const ac = (k: keyof typeof Access): string => `${Access[k]} /* Access.${k} */`;
/** The literal for a FaultKind, with its name. */
const fk = (k: number): string => `${k} /* FaultKind ${FAULT_KIND_NAMES[k] ?? k} */`;
const TWO32 = 4294967296;
/** Addresses translateMany probes at a time on its TLB-hit path (4 measured about 1.4x of 1 and 1.15x of 2). */
const HIT_LANES = 4;
/** Bits of a protection key (x86 PKRU: 4-bit keys, two PKRU bits each: AD at 2k, WD at 2k+1). */
const PKEY_MASK = 15;
/** Byte masks of a 32-bit byte swap (big-endian entries on a little-endian host). */
const BSWAP_MID = 0xff00;

const i32 = (x: number): string => String(x | 0);

/** `(eLo & m.lo) | (eHi & m.hi)` without the zero halves, or null for a zero mask. */
function anyBits(m: Mask): string | null {
  const parts: string[] = [];
  if (m.lo !== 0) parts.push(`(eLo & ${i32(m.lo)})`);
  if (m.hi !== 0) parts.push(`(eHi & ${i32(m.hi)})`);
  return parts.length === 0 ? null : parts.join(' | ');
}

/** JS for "the rule (m, whenSet) holds for eLo:eHi" (arch/types.ts: ((e & m) != 0) === whenSet). */
function holds(m: Mask, whenSet: boolean): string {
  const a = anyBits(m);
  if (a === null) return whenSet ? 'false' : 'true';
  return whenSet ? `(${a}) !== 0` : `(${a}) === 0`;
}

/** JS for "some bit of m is clear in eLo:eHi", or null for a zero mask. */
function someClear(m: Mask): string | null {
  const parts: string[] = [];
  if (m.lo !== 0) parts.push(`(eLo & ${i32(m.lo)}) !== ${i32(m.lo)}`);
  if (m.hi !== 0) parts.push(`(eHi & ${i32(m.hi)}) !== ${i32(m.hi)}`);
  return parts.length === 0 ? null : parts.join(' || ');
}

/** JS for the number (e & m) (an address: below 2^53). */
function field(m: Mask): string {
  const parts: string[] = [];
  if (m.hi !== 0) parts.push(`((eHi & ${i32(m.hi)}) >>> 0) * ${TWO32} /* 2^32 */`);
  if (m.lo !== 0) parts.push(`((eLo & ${i32(m.lo)}) >>> 0)`);
  return parts.length === 0 ? '0' : parts.join(' + ');
}

/** JS for the Perm rights one entry grants at level l. */
function rights(L: Layout, l: number): string {
  const hw = L.hw;
  const terms: string[] = [];
  let constant = 0;
  const add = (m: Mask, whenSet: boolean, bit: number): void => {
    const h = holds(m, whenSet);
    if (h === 'true') constant |= bit;
    else if (h !== 'false') terms.push(`(${h} ? ${pm(bit)} : 0)`);
  };
  add(hw.read[l]!, hw.readWhenSet[l]!, Perm.R);
  add(hw.write[l]!, hw.writeWhenSet[l]!, Perm.W);
  add(hw.exec[l]!, hw.execWhenSet[l]!, Perm.X);
  add(hw.user[l]!, hw.userWhenSet[l]!, Perm.U);
  if (terms.length === 0) return pm(constant);
  return [pm(constant), ...terms].join(' | ');
}

/** JS for the index of hi:lo at a level (the index may straddle bit 32). */
function index(shift: number, bits: number): string {
  const mask = (1 << bits) - 1;
  if (shift >= 32) return `((hi >>> ${shift - 32}) & ${mask})`;
  if (shift + bits <= 32) return `((lo >>> ${shift}) & ${mask})`;
  return `(((lo >>> ${shift}) | (hi << ${32 - shift})) & ${mask})`;
}

/** JS for the virtual page number of hi:lo for pages of 2^shift bytes. */
function vpnExpr(shift: number): string {
  if (shift >= 32) return `(hi >>> ${shift - 32})`;
  return `((hi >>> 0) * ${2 ** (32 - shift)} /* 2^${32 - shift} */ + (lo >>> ${shift}))`;
}

/** JS for the offset of hi:lo within a page of 2^shift bytes. */
function offsetExpr(shift: number): string {
  if (shift < 32) return `((lo & ${i32(2 ** shift - 1)}) >>> 0)`;
  if (shift === 32) return '(lo >>> 0)';
  return `(((hi & ${i32(2 ** (shift - 32) - 1)}) >>> 0) * ${TWO32} /* 2^32 */ + (lo >>> 0))`;
}

/** The JS that loads the entry at (tHi:tLo | idx * 8) into eLo/eHi (int32) and keeps its address in el/eh. */
function loadEntry(big: boolean, spec: WalkSpec, idx: string, aligned: boolean): string {
  // Where every table is 8-aligned (aligned), so is every entry: w is even and w | 1 is the next
  // word, inside the buffer whenever w is (its length is a whole number of chunks); otherwise
  // the word is the entry's address rounded down to 4 and both words are checked.
  const next = aligned ? 'w | 1' : 'w + 1';
  const words = big
    ? `w0 = fw[w]; w1 = fw[${next}];
        eLo = (w1 << 24) | ((w1 & ${BSWAP_MID}) << 8) | ((w1 >>> 8) & ${BSWAP_MID}) | (w1 >>> 24);
        eHi = (w0 << 24) | ((w0 & ${BSWAP_MID}) << 8) | ((w0 >>> 8) & ${BSWAP_MID}) | (w0 >>> 24);`
    : `eLo = fw[w]; eHi = fw[${next}];`;
  const inFlat = aligned ? 'w < fw.length' : 'w + 1 < fw.length';
  // Tables are aligned to their size (x86: 4 KiB, the address field has no lower bits; radix NLB and
  // s390 origins likewise), so the entry's address is the table's OR the index times 8.
  const slow = `walker.readSlow(el, eh); eLo = tmpv[0]; eHi = tmpv[1];`;
  if (spec.dramSize === 0) return `el = tLo | (${idx} << 3); eh = tHi;
      ${slow}`;
  if (spec.dramBase + spec.dramSize <= 2 ** 32) {
    // Every DRAM address fits 32 bits: small-integer arithmetic only (word numbers below 2^30).
    const baseWords = spec.dramBase / 4;
    const cw = baseWords === 0 ? 'w = el >>> 2' : `w = (el >>> 2) - ${baseWords}`;
    const lowOk = baseWords === 0 ? '' : ' && w >= 0';
    return `el = tLo | (${idx} << 3); eh = tHi;
      ${cw};
      if (tHi === 0${lowOk} && ${inFlat}) {
        ${words}
      } else {
        ${slow}
      }`;
  }
  return `el = tLo | (${idx} << 3); eh = tHi;
      {
        const o = eh * ${TWO32} + (el >>> 0) - ${spec.dramBase};
        w = o >= 0 && o < ${2 ** 32} ? o >>> 2 : -1;
        if (w >= 0 && ${inFlat}) {
          ${words}
        } else {
          ${slow}
        }
      }`;
}

/**
 * Where a rule's mask and polarity are the same on every level it applies to (x86 R/W, U/S, XD;
 * s390 P and IEP), its combined verdict needs only the AND / OR of the entries: a set-polarity
 * single bit holds on every level iff it is set in the AND; a clear-polarity mask holds on every
 * level iff it is clear in the OR. Returns null where that does not hold.
 */
function accumulable(L: Layout): { rules: { m: Mask; whenSet: boolean; bit: number }[] } | null {
  const hw = L.hw;
  const n = L.levels.length;
  const applies = (l: number): boolean => hw.tableRules[l]! || L.levels[l]!.leaf || l === n - 1;
  const defs: [readonly Mask[], readonly boolean[], number][] = [
    [hw.read, hw.readWhenSet, Perm.R],
    [hw.write, hw.writeWhenSet, Perm.W],
    [hw.exec, hw.execWhenSet, Perm.X],
    [hw.user, hw.userWhenSet, Perm.U],
  ];
  const rules: { m: Mask; whenSet: boolean; bit: number }[] = [];
  for (const [masks, sets, bit] of defs) {
    let first: { m: Mask; whenSet: boolean } | null = null;
    for (let l = 0; l < n; l++) {
      if (!applies(l)) continue;
      const m = masks[l]!;
      const w = sets[l]!;
      if (first === null) first = { m, whenSet: w };
      else if (first.m.lo !== m.lo || first.m.hi !== m.hi || first.whenSet !== w) return null;
    }
    if (first === null) continue;
    const bits = popcount(first.m.lo) + popcount(first.m.hi);
    if (first.whenSet && bits > 1) return null;
    rules.push({ m: first.m, whenSet: first.whenSet, bit });
  }
  return { rules };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

/** Tables are 8-aligned when every next-table address is a mask without the low 3 bits (and the root, which Walker.loadRoot checks, is aligned to its table's size). */
function tablesAligned(L: Layout, spec: WalkSpec): boolean {
  const last = L.levels.length - 1;
  return spec.rootLevels.every((l) => (L.tableBytes[l] ?? 4096) % 8 === 0) && spec.tableAddr.every((m, l) => l === last || (m !== null && (m.lo & 7) === 0));
}

/**
 * Where every level reads the rights the same way (x86, s390), the walk accumulates the
 * entries' AND / OR instead of the rights per level: the statement per entry (only the halves
 * some rule reads: x86 the AND of the low halves for R/W and U/S, the OR of the high ones for
 * XD), and the statement that turns the accumulation into the walk's rights.
 */
function accumulation(L: Layout): { acc: ReturnType<typeof accumulable>; accStep: string; accPerm: string } {
  const hw = L.hw;
  const last = L.levels.length - 1;
  const acc = hw.tableRules.some((t, l) => t && l < last) ? accumulable(L) : null;
  if (acc === null) return { acc, accStep: '', accPerm: '' };
  const need = new Set<string>();
  for (const r of acc.rules) {
    if (r.m.lo !== 0) need.add(r.whenSet ? 'aL &= eLo;' : 'oL |= eLo;');
    if (r.m.hi !== 0) need.add(r.whenSet ? 'aH &= eHi;' : 'oH |= eHi;');
  }
  const accStep = ['aL &= eLo;', 'aH &= eHi;', 'oL |= eLo;', 'oH |= eHi;'].filter((x) => need.has(x)).join(' ');
  let constant = 0;
  const terms: string[] = [];
  for (const r of acc.rules) {
    const parts: string[] = [];
    const a = r.whenSet ? ['aL', 'aH'] : ['oL', 'oH'];
    if (r.m.lo !== 0) parts.push(`(${a[0]} & ${i32(r.m.lo)})`);
    if (r.m.hi !== 0) parts.push(`(${a[1]} & ${i32(r.m.hi)})`);
    if (parts.length === 0) {
      if (!r.whenSet) constant |= r.bit;
      continue;
    }
    terms.push(`((${parts.join(' | ')}) ${r.whenSet ? '!==' : '==='} 0 ? ${pm(r.bit)} : 0)`);
  }
  return { acc, accStep, accPerm: `\n    perm = ${[pm(constant), ...terms].join(' | ')};` };
}

/** The walk's variables renamed for one of the two walks the batched pair path interleaves. */
function forWalk(code: string, sfx: 'A' | 'B'): string {
  return code.replace(/\b(eLo|eHi|hi|lo|aL|aH|oL|oH|perm|tLo|tHi|el|w|w0|w1|frame|offs)\b/g, `$1${sfx}`);
}

/**
 * The batched walk's pair path: two walks interleaved level by level, so their chains of
 * dependent loads overlap. Only for walks that both end at the last level with nothing to do
 * but translate (no huge leaf, fault, A/D update or key check: those `break pair` and go one at
 * a time); only where DRAM is addressed by small integers from 0. The walk it starts at is the
 * largest root level (s390: the region-third ASCE of a new mm); null where it does not apply.
 */
function pairWalk(L: Layout, spec: WalkSpec): { code: string; level: number } | null {
  const hw = L.hw;
  const n = L.levels.length;
  const last = n - 1;
  const r = Math.max(...spec.rootLevels);
  if (spec.dramSize === 0 || spec.dramBase !== 0 || spec.dramSize > 2 ** 32 || !tablesAligned(L, spec)) return null;
  if (spec.leafFrame[last] === null || spec.tableAddr.some((m, l) => l >= r && l < last && m === null)) return null;
  const { acc, accStep, accPerm } = accumulation(L);
  const big = L.endian === 'big';
  const both = (f: (x: 'A' | 'B') => string): string => `${f('A')} ${f('B')}`;
  const either = (c: string): string => `(${forWalk(c, 'A')}) || (${forWalk(c, 'B')})`;
  const out: string[] = [];
  for (let l = r; l <= last; l++) {
    const lv = L.levels[l]!;
    const words = big
      ? `w0 = fw[w]; w1 = fw[w | 1];
        eLo = (w1 << 24) | ((w1 & ${BSWAP_MID}) << 8) | ((w1 >>> 8) & ${BSWAP_MID}) | (w1 >>> 24);
        eHi = (w0 << 24) | ((w0 & ${BSWAP_MID}) << 8) | ((w0 >>> 8) & ${BSWAP_MID}) | (w0 >>> 24);`
      : `eLo = fw[w]; eHi = fw[w | 1];`;
    out.push(`        // ---- level ${l} (${safeName(lv.name)}), both walks`);
    out.push(`        ${both((x) => forWalk(`el = tLo | (${index(lv.shift, lv.bits)} << 3); w = el >>> 2;`, x))}`);
    out.push(`        if ((tHiA | tHiB) !== 0 || wA >= fw.length || wB >= fw.length) break pair;`);
    out.push(`        ${forWalk(words, 'A')}
        ${forWalk(words, 'B')}`);
    out.push(`        if (!(${forWalk(holds(hw.valid[l]!, hw.validWhenSet[l]!), 'A')}) || !(${forWalk(holds(hw.valid[l]!, hw.validWhenSet[l]!), 'B')})) break pair;`);
    const step = acc !== null ? accStep : `perm &= ${rights(L, l)};`;
    const a = someClear(hw.accessed[l]!);
    if (l < last) {
      const leafTest = holds(hw.leaf[l]!, hw.leafWhenSet[l]!);
      if (leafTest === 'true') return null;
      if (leafTest !== 'false') out.push(`        if (${either(leafTest)}) break pair;`);
      const rsvT = anyBits(hw.reservedTable[l]!);
      if (rsvT !== null) out.push(`        if (${either(`(${rsvT}) !== 0`)}) break pair;`);
      if (hw.tableRules[l]) out.push(`        ${both((x) => forWalk(step, x))}`);
      if (hw.tableRules[l] && a !== null) out.push(`        if (${either(a)}) break pair;`);
      const tm = spec.tableAddr[l]!;
      out.push(`        ${both((x) => forWalk(`tLo = eLo & ${i32(tm.lo)}; tHi = eHi & ${i32(tm.hi)};`, x))}`);
    } else {
      const rsv = anyBits(hw.reservedLeaf[l]!);
      if (rsv !== null) out.push(`        if (${either(`(${rsv}) !== 0`)}) break pair;`);
      out.push(`        ${both((x) => forWalk(step, x))}`);
      if (a !== null) out.push(`        if (${either(a)}) break pair;`);
      const d = someClear(hw.dirty[l]!);
      if (d !== null) out.push(`        if (access === ${ac('Write')} && (${either(d)})) break pair;`);
      out.push(`        ${both((x) => forWalk(`frame = ${field(spec.leafFrame[l]!)}; offs = ${offsetExpr(lv.shift)};`, x))}`);
    }
  }
  if (accPerm !== '') out.push(`        ${forWalk(accPerm.trim(), 'A')}
        ${forWalk(accPerm.trim(), 'B')}`);
  return { code: out.join('\n'), level: r };
}

/** The walk's level-by-level code, for generateSource. */
/**
 * The walk's level-by-level code. `fault(kind, l)` is the statement a fault at level l runs (the
 * full walk records it; the batched fast walk leaves for the full walk); `counted(refs)` the
 * statement that counts a finished walk's references.
 */
function levelChain(L: Layout, spec: WalkSpec, fault: (kind: number, l: number) => string, counted: (refs: string) => string, refs: (l: number) => string): string {
  const hw = L.hw;
  const n = L.levels.length;
  const last = n - 1;
  const big = L.endian === 'big';
  const out: string[] = [];
  const { acc, accStep, accPerm } = accumulation(L);
  const aligned = tablesAligned(L, spec);
  // Where the root may designate several levels (s390 ASCE types), the walk enters the chain at
  // the root's level: a switch whose cases fall through, one per level a root can designate.
  const entries = spec.rootLevels.length > 1 ? new Set(spec.rootLevels) : null;
  const first = Math.min(...spec.rootLevels);
  if (entries !== null) out.push('      switch (start) {');
  for (let l = first; l < n; l++) {
    const lv = L.levels[l]!;
    if (entries !== null && entries.has(l)) out.push(`      case ${l}:`);
    out.push(`      // ---- level ${l} (${safeName(lv.name)}): index bits ${lv.shift + lv.bits - 1}..${lv.shift}`);
    out.push('      ' + loadEntry(big, spec, index(lv.shift, lv.bits), aligned));
    out.push(`      if (!(${holds(hw.valid[l]!, hw.validWhenSet[l]!)})) ${fault(FaultKind.NotPresent, l)}`);
    const leafTest = l === last ? 'true' : holds(hw.leaf[l]!, hw.leafWhenSet[l]!);
    if (leafTest !== 'false') {
      const body: string[] = [];
      if (!(lv.leaf || l === last)) {
        // A leaf where the level holds none (x86 PS in a PML4E) is a reserved-bit violation.
        body.push(`        ${fault(FaultKind.Reserved, l)}`);
      } else {
        const rsv = anyBits(hw.reservedLeaf[l]!);
        if (rsv !== null) body.push(`        if ((${rsv}) !== 0) ${fault(FaultKind.Reserved, l)}`);
        body.push(acc !== null ? `        ${accStep}` : `        perm &= ${rights(L, l)};`);
        const a = someClear(hw.accessed[l]!);
        if (a !== null) body.push(`        if (${a}) aMiss |= ${2 ** l} /* level ${l} */;`);
        const d = someClear(hw.dirty[l]!);
        body.push(`        dMiss = ${d === null ? '0' : `(${d}) ? 1 : 0`}; hasD = ${d === null ? 0 : 1};`);
        const fm = spec.leafFrame[l];
        body.push(`        frame = ${fm ? field(fm) : `walker.slowLeafFrame(${l}, eLo | 0, eHi | 0)`};`);
        body.push(`        vpn = ${vpnExpr(lv.shift)}; offs = ${offsetExpr(lv.shift)}; cls = ${spec.levelClass[l]}; L = ${l};`);
        body.push('        break found;');
      }
      out.push(leafTest === 'true' ? `      {\n${body.join('\n')}\n      }` : `      if (${leafTest}) {\n${body.join('\n')}\n      }`);
    }
    if (l === last || leafTest === 'true') continue;
    const rsvT = anyBits(hw.reservedTable[l]!);
    if (rsvT !== null) out.push(`      if ((${rsvT}) !== 0) ${fault(FaultKind.Reserved, l)}`);
    if (hw.tableRules[l]) {
      out.push(acc !== null ? `      ${accStep}` : `      perm &= ${rights(L, l)};`);
      const a = someClear(hw.accessed[l]!);
      if (a !== null) out.push(`      if (${a}) aMiss |= ${2 ** l} /* level ${l} */;`);
    }
    const tm = spec.tableAddr[l];
    out.push(
      tm
        ? `      tLo = eLo & ${i32(tm.lo)}; tHi = eHi & ${i32(tm.hi)};`
        : `      tmpd = walker.slowTableAddress(${l}, eLo | 0, eHi | 0); tLo = tmpd | 0; tHi = (tmpd * ${2 ** -32} /* 2^-32 */) | 0;`,
    );
  }
  if (entries !== null) out.push('      }');

  return `${out.join('\n')}
    }
    ${counted(refs(-1))}${accPerm}`;
}

/** The source of the factory `(env: WalkEnv) => { translate, translateTo, translateMany, walkTo }` for a layout. */
export function generateSource(L: Layout, spec: WalkSpec): string {
  const last = L.levels.length - 1;
  // Entries read: from the root's level to the level reached (l, or L for the leaf found).
  const multiRoot = spec.rootLevels.length > 1;
  const base = spec.rootLevels[0] ?? 0;
  const refs = (l: number): string => {
    const upto = l < 0 ? 'L' : String(l);
    if (multiRoot) return `${upto} + 1 - start`;
    return l < 0 ? `L + ${1 - base}` : String(l + 1 - base);
  };
  const chain = levelChain(
    L,
    spec,
    (kind, l) => `{ cnt[${cn('WALK_REFS')}] += ${refs(l)}; return walker.walkFault(${fk(kind)}, cpu, hi, lo, access, user, ${l}, perm, el, eh, eLo | 0, eHi | 0); }`,
    (r) => `cnt[${cn('WALK_REFS')}] += ${r};`,
    refs,
  );
  // The batched walk's copy: anything but a plain successful walk leaves for walkTo, which
  // redoes it and records the fault; only finished walks count, in locals added once per call.
  const fastChain = levelChain(L, spec, () => 'break fast;', (r) => `const n = ${r};`, refs).replace(/\n/g, '\n    ');
  const pair = pairWalk(L, spec);
  const pairRights = (x: 'A' | 'B'): string => forWalk(`(perm & need) !== need || (!user && (perm & ${pm(Perm.U)}) !== 0 && hit[access === ${ac('Exec')} ? ${HIT_SMEP} /* HIT_SMEP */ : ${HIT_SMAP} /* HIT_SMAP */] === 1)`, x);
  const pairBlock =
    pair === null
      ? ''
      : `
      // Two walks interleaved (pairWalk), where both are plain; otherwise one at a time below.
      if (i + 1 < count${multiRoot ? ` && start === ${pair.level}` : ''}) {
        const va = vas[from + i], vb = vas[from + i + 1];
        if (va >= 0 && va <= vmax && Math.floor(va) === va && vb >= 0 && vb <= vmax && Math.floor(vb) === vb) {
          const hiA = (va * ${2 ** -32} /* 2^-32 */) | 0, loA = va | 0, hiB = (vb * ${2 ** -32} /* 2^-32 */) | 0, loB = vb | 0;
          let tLoA = rLo, tHiA = rHi, tLoB = rLo, tHiB = rHi, permA = ${pm(Perm.R | Perm.W | Perm.X | Perm.U)}, permB = permA;
          let eLoA = 0, eHiA = 0, eLoB = 0, eHiB = 0, elA = 0, elB = 0, wA = 0, wB = 0, w0A = 0, w1A = 0, w0B = 0, w1B = 0;
          let aLA = -1, aHA = -1, oLA = 0, oHA = 0, aLB = -1, aHB = -1, oLB = 0, oHB = 0, frameA = 0, offsA = 0, frameB = 0, offsB = 0;
          pair: {
${pair.code}
            if ((${pairRights('A')}) || (${pairRights('B')})) break pair;${spec.pkeyShiftHi >= 0 ? `
            if (((permA | permB) & ${pm(Perm.U)}) !== 0 && pk !== 0 && access !== ${ac('Exec')}) break pair;` : ''}
            dst[i] = frameA + offsA;
            dst[i + 1] = frameB + offsB;
            walks += 2;
            refs += ${2 * (L.levels.length - pair.level)};
            i++;
            continue;
          }
        }
      }`;
  const rightsTest = `(perm & need) !== need || (!user && (perm & ${pm(Perm.U)}) !== 0 && hit[access === ${ac('Exec')} ? ${HIT_SMEP} /* HIT_SMEP */ : ${HIT_SMAP} /* HIT_SMAP */] === 1)`;
  const needOf = `access === ${ac('Write')} ? ${pm(Perm.W)} : access === ${ac('Exec')} ? ${pm(Perm.X)} : ${pm(Perm.R)}`;

  const pkey =
    spec.pkeyShiftHi >= 0
      ? `
    // Protection keys (SDM 4.6.2): user-mode pages, data accesses; WD also stops supervisor writes (CR0.WP=1).
    if ((perm & ${pm(Perm.U)}) !== 0) {
      perm |= ${pm(Perm.K)};
      const pk = pkru[cpu];
      if (pk !== 0 && access !== ${ac('Exec')}) {
        const key = (eHi >>> ${spec.pkeyShiftHi}) & ${PKEY_MASK};
        if (((pk >>> (2 * key)) & 1) !== 0 || (access === ${ac('Write')} && ((pk >>> (2 * key + 1)) & 1) !== 0)) {
          return walker.walkFault(${fk(FaultKind.Pkey)}, cpu, hi, lo, access, user, L, perm, el, eh, eLo | 0, eHi | 0);
        }
      }
    }`
      : '';
  const mask = 2 ** spec.tlbBits - 1;
  const pageShift = L.levels[last]!.shift;
  // A bad cpu reads tl[cpu & cmask] (some CPU's array, or emptyTlb) but hit[k] is then undefined,
  // so nothing matches and missTo throws the RangeError.
  // No test before the probe: a negative, NaN or infinite va gives a vpn no entry holds (entries
  // hold the vpn of a successful walk, or -1 / 0 with perm 0, which no hit value matches: every
  // value has a need bit), so it misses and missTo sorts it out. A va above vaMaxNum (say 2^64 -
  // 2^47, a double) may share the vpn of an entry translateBig filled, and a non-integer va its
  // page's, hence the range and integer tests after the probe. With the TLB off every hit value
  // is unmatchable (Tlb.recomputeHit), so the probe needs no flag either. A hit needs no test of
  // the CPU's own root range: entries come from successful walks of the same address space, and
  // an s390 ASCE upgrade keeps every translation.
  // Entries are TLB_STRIDE-aligned: e | 1 and e | 2 index the frame and perm with no overflow check.
  const hitTest = `t0[e] === vpn && ((t0[e | ${TLB_PERM} /* TLB_PERM */] | 0) & hit[k]) === hit[k | 1] && va <= ${spec.vaMaxNum}`;
  const hitPrologue = `const vpn = Math.floor(va * ${2 ** -pageShift} /* 2^-${pageShift} */);
    const t0 = tl0[cpu & cmask];
    const e = ((vpn & ${mask}) ^ salt[cpu]) << ${TLB_SLOT_SHIFT} /* TLB_SLOT_SHIFT */;
    const k = ${HIT_BASE} /* HIT_BASE */ + (((cpu << 3) | (access << 1) | (user ? 1 : 0)) << 1);`;
  const hitPa = `t0[e | ${TLB_FRAME} /* TLB_FRAME */] + (va - vpn * ${2 ** pageShift})`;
  // translateMany's unrolled hit test: lane j's va_j, vpn_j, e_j.
  const lanes = Array.from({ length: HIT_LANES }, (_, j) => j);
  const laneBlock = [
    `        const ${lanes.map((j) => `va${j} = vas[from + i + ${j}]`).join(', ')};`,
    `        const ${lanes.map((j) => `vp${j} = Math.floor(va${j} * ${2 ** -pageShift} /* 2^-${pageShift} */)`).join(', ')};`,
    `        const ${lanes.map((j) => `e${j} = ((vp${j} & ${mask}) ^ s) << ${TLB_SLOT_SHIFT} /* TLB_SLOT_SHIFT */`).join(', ')};`,
    `        if (${lanes.map((j) => `t0[e${j}] === vp${j}`).join(' && ')} &&`,
    `            ${lanes.map((j) => `((t0[e${j} | ${TLB_PERM} /* TLB_PERM */] | 0) & hm) === hv`).join(' && ')} &&`,
    `            ${lanes.map((j) => `va${j} <= ${spec.vaMaxNum} && Math.floor(va${j}) === va${j}`).join(' && ')}) {`,
    `          hits += ${HIT_LANES};`,
    ...lanes.map((j) => `          dst[i + ${j}] = t0[e${j} | ${TLB_FRAME} /* TLB_FRAME */] + (va${j} - vp${j} * ${2 ** pageShift});`),
    `          i += ${HIT_LANES};`,
    '          continue;',
    '        }',
  ].join('\n');

  return `"use strict";
// Generated by src/mmu/codegen.ts for layout ${safeName(L.name)}.
return function (env) {
  const { ${ENV_NAMES.join(', ')} } = env;
  const tl0 = tl[0];
  const cmask = tl0.length - 1;

  // The TLB hit on the smallest page size, inline; everything else in mmu.missTo.
  // With the TLB off, no probe (it would read the shared empty TLB at random).
  function translate(cpu, va, access, user) {
    if (hit[${HIT_TLB} /* HIT_TLB */] === 1) {
      ${hitPrologue}
      if (${hitTest} && Math.floor(va) === va) {
        cnt[${cn('TLB_HITS')}]++;
        return ${hitPa};
      }
    } else if (va >= 0 && Math.floor(va) === va && cpu >= 0 && cpu < ncpu && (cpu | 0) === cpu && va <= vaMax[cpu] && access >>> 0 < 3) {
      // TLB off: straight to the walk.
      cnt[${cn('SLOW_TRANSLATIONS')}]++;
      return walkTo(cpu, (va * ${2 ** -32} /* 2^-32 */) | 0, va | 0, access, user) === 0 ? out[0] : -1;
    }
    return mmu.missTo(cpu, va, access, user) === 0 ? out[0] : -1;
  }

  function translateTo(cpu, va, access, user) {
    ${hitPrologue}
    if (${hitTest} && Math.floor(va) === va) {
      cnt[${cn('TLB_HITS')}]++;
      result[0] = ${hitPa};
      return 0;
    }
    if (mmu.missTo(cpu, va, access, user) !== 0) return -1;
    result[0] = out[0];
    return 0;
  }

  // translate() over vas[from .. from + count), the physical addresses into dst[0 .. count):
  // the TLB probe inline in one loop, the hit count added once per call. Returns how many were
  // translated: count, or the index of the first fault (mmu.fault holds it).
  function translateMany(cpu, vas, from, count, access, user, dst) {
    if (!(cpu >= 0 && cpu < ncpu && (cpu | 0) === cpu) || access >>> 0 >= 3) {
      mmu.missTo(cpu, 0, access, user); // a bad cpu or access: the checked path throws
      return 0;
    }
    if (hit[${HIT_TLB} /* HIT_TLB */] === 0) return walkMany(cpu, vas, from, count, access, user, dst);
    const k = ${HIT_BASE} /* HIT_BASE */ + (((cpu << 3) | (access << 1) | (user ? 1 : 0)) << 1);
    const s = salt[cpu];
    let t0 = tl0[cpu], hm = hit[k], hv = hit[k | 1], hits = 0;
    let i = 0;
    while (i < count) {
      // HIT_LANES addresses at a time where all hit (independent probes overlap: about 1.4x
      // one at a time); otherwise one, below.
      if (i + ${HIT_LANES - 1} < count) {
${laneBlock}
      }
      const va = vas[from + i];
      const vpn = Math.floor(va * ${2 ** -pageShift} /* 2^-${pageShift} */);
      const e = ((vpn & ${mask}) ^ s) << ${TLB_SLOT_SHIFT} /* TLB_SLOT_SHIFT */;
      if (t0[e] === vpn && ((t0[e | ${TLB_PERM} /* TLB_PERM */] | 0) & hm) === hv && va <= ${spec.vaMaxNum} && Math.floor(va) === va) {
        hits++;
        dst[i] = ${hitPa};
        i++;
        continue;
      }
      cnt[${cn('TLB_HITS')}] += hits;
      hits = 0;
      if (mmu.missTo(cpu, va, access, user) !== 0) return i;
      dst[i] = out[0];
      i++;
      // The miss may have given the CPU its TLB array or changed its hit values.
      t0 = tl0[cpu];
      hm = hit[k];
      hv = hit[k | 1];
    }
    cnt[${cn('TLB_HITS')}] += hits;
    return count;
  }

  // translateMany with the TLB off: every address walked, the walk inline in the loop (no call
  // per address); a walk that faults, must set A/D, or needs a PKRU/SMEP/SMAP check is done
  // again by walkTo, which does all of it. Counts as translate() would, once per call.
  function walkMany(cpu, vas, from, count, access, user, dst) {
    const rLo = rootHL[cpu << 1], rHi = rootHL[(cpu << 1) | 1], vmax = vaMax[cpu];${multiRoot ? '\n    const start = rootLevel[cpu];' : ''}
    let need = ${needOf};
    if (user) need |= ${pm(Perm.U)};
    const pk = pkru[cpu];
    let fw = dram.flat32, walks = 0, refs = 0;
    let eLo = 0, eHi = 0, el = 0, eh = 0, w = 0, w0 = 0, w1 = 0, tmpd = 0;
    let i = 0;
    for (; i < count; i++) {${pairBlock}
      const va = vas[from + i];
      if (!(va >= 0 && va <= vmax && Math.floor(va) === va)) {
        // Out of the root's range (or not a safe integer): the checked path.
        cnt[${cn('WALKS')}] += walks; cnt[${cn('WALK_REFS')}] += refs; cnt[${cn('SLOW_TRANSLATIONS')}] += walks; walks = 0; refs = 0;
        if (mmu.missTo(cpu, va, access, user) !== 0) return i;
        dst[i] = out[0];
        continue;
      }
      const hi = (va * ${2 ** -32} /* 2^-32 */) | 0, lo = va | 0;
      let tLo = rLo, tHi = rHi;
      let perm = ${pm(Perm.R | Perm.W | Perm.X | Perm.U)};
      let aL = -1, aH = -1, oL = 0, oH = 0;
      let aMiss = 0, dMiss = 0, hasD = 0, frame = 0, vpn = 0, offs = 0, cls = 0, L = -1;
      fast: {
      found: {
    ${fastChain}
        if (${rightsTest}) break fast;${spec.pkeyShiftHi >= 0 ? `\n        if ((perm & ${pm(Perm.U)}) !== 0 && pk !== 0 && access !== ${ac('Exec')}) break fast;` : ''}
        if (aMiss !== 0 || (access === ${ac('Write')} && dMiss === 1)) break fast;
        walks++;
        refs += n;
        dst[i] = frame + offs;
        continue;
      }
      // The full walk: counts itself, sets A/D, records a fault.
      cnt[${cn('SLOW_TRANSLATIONS')}]++;
      if (walkTo(cpu, hi, lo, access, user) !== 0) break;
      dst[i] = out[0];
      fw = dram.flat32;
    }
    cnt[${cn('WALKS')}] += walks;
    cnt[${cn('WALK_REFS')}] += refs;
    cnt[${cn('SLOW_TRANSLATIONS')}] += walks;
    return i;
  }

  // hi and lo arrive as int32 (a double argument would be boxed); shifts below use >>>.
  function walkTo(cpu, hi, lo, access, user) {
    cnt[${cn('WALKS')}]++;
    let tLo = rootHL[cpu << 1], tHi = rootHL[(cpu << 1) | 1];${multiRoot ? '\n    const start = rootLevel[cpu];' : ''}
    let perm = ${pm(Perm.R | Perm.W | Perm.X | Perm.U)};
    let eLo = 0, eHi = 0, el = 0, eh = 0, w = 0, w0 = 0, w1 = 0, tmpd = 0;
    let aL = -1, aH = -1, oL = 0, oH = 0;
    const fw = dram.flat32;
    let aMiss = 0, dMiss = 0, hasD = 0, frame = 0, vpn = 0, offs = 0, cls = 0, L = -1;
    found: {
${chain}
    // Rights for this access: SDM 4.6.1 (x86), radix EAA, s390 DAT / execution protection.
    let need = access === ${ac('Write')} ? ${pm(Perm.W)} : access === ${ac('Exec')} ? ${pm(Perm.X)} : ${pm(Perm.R)};
    if (user) need |= ${pm(Perm.U)};
    if ((perm & need) !== need || (!user && (perm & ${pm(Perm.U)}) !== 0 && hit[access === ${ac('Exec')} ? ${HIT_SMEP} /* HIT_SMEP */ : ${HIT_SMAP} /* HIT_SMAP */] === 1)) {
      return walker.walkFault(${fk(FaultKind.Protection)}, cpu, hi, lo, access, user, L, perm, el, eh, eLo | 0, eHi | 0);
    }${pkey}
    // Accessed / dirty, written back only where clear (SDM 4.8; Power ISA R/C).
    if (aMiss !== 0 || (access === ${ac('Write')} && dMiss === 1)) {
      walker.setAD(cpu, hi, lo, L, aMiss, access === ${ac('Write')} && dMiss === 1);
      if (access === ${ac('Write')}) dMiss = 0;
    }
    if ((perm & ${pm(Perm.W)}) !== 0 && (hasD === 0 || dMiss === 0)) perm |= ${pm(Perm.D)};
    if (hit[${HIT_TLB} /* HIT_TLB */] === 1) {
      let t = tl[cls][cpu];
      if (t === emptyTlb) t = tlb.alloc(cpu, cls);
      const lv = lives[cpu];
      const e = ((vpn & ${mask}) ^ salt[cpu]) << ${TLB_SLOT_SHIFT} /* TLB_SLOT_SHIFT */;
      // The entry replaced (live or not) no longer counts for its tag.
      lv[(t[e + ${TLB_PERM} /* TLB_PERM */] | 0) >>> ${PERM_BITS} /* PERM_BITS */]--;
      const tag = ctag[cpu];
      t[e] = vpn;
      t[e + ${TLB_FRAME} /* TLB_FRAME */] = frame;
      t[e + ${TLB_PERM} /* TLB_PERM */] = (tag << ${PERM_BITS} /* PERM_BITS */) | perm;
      lv[tag]++;
      cnt[${cn('TLB_FILLS')}]++;
    }
    out[0] = frame + offs;
    return 0;
  }
  return { translate, translateTo, translateMany, walkTo };
};
`;
}

type Fns = {
  translate: (cpu: number, va: number, access: number, user: boolean) => number;
  translateMany: (cpu: number, vas: Float64Array, from: number, count: number, access: number, user: boolean, dst: Float64Array) => number;
  translateTo: (cpu: number, va: number, access: number, user: boolean) => number;
  walkTo: (cpu: number, hi: number, lo: number, access: number, user: boolean) => number;
};
type Factory = (env: WalkEnv) => Fns;

/**
 * Compiles the factory for a layout, once per distinct source: every Mmu of a layout shares
 * the compiled code (and V8's type feedback), each with its own closure over its own arrays.
 */
const shared = new Map<string, Factory>();
/**
 * The factories already built per layout object, keyed by the spec fields that do not follow
 * from the layout alone, so building another Mmu for a layout skips generating the source.
 * (tableAddr, leafFrame, levelClass, pkeyShiftHi, vaMaxNum and rootLevels are functions of
 * the layout and its hooks.)
 */
const byLayout = new WeakMap<Layout, Map<string, Factory>>();
export function compileWalker(L: Layout, spec: WalkSpec): Factory {
  const key = `${spec.dramBase}:${spec.dramSize}:${spec.tlbBits}`;
  let perLayout = byLayout.get(L);
  if (perLayout === undefined) {
    perLayout = new Map();
    byLayout.set(L, perLayout);
  }
  let f = perLayout.get(key);
  if (f !== undefined) return f;
  const src = generateSource(L, spec);
  f = shared.get(src);
  if (f === undefined) {
    f = new Function(src)() as Factory;
    shared.set(src, f);
  }
  perLayout.set(key, f);
  return f;
}

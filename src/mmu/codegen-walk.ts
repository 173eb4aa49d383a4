// The walk's code, level by level, for the generator (codegen.ts): each rule of the layout
// (arch/types.ts HardwareRules, masks and polarities per level) as an integer expression over
// the entry's int32 halves eLo/eHi, the entry load from DRAM's flat buffer, the chain of levels
// of one walk, and the pair of walks the batched walk interleaves. Every number is written with
// the name of the constant it stands for; only names filtered to [A-Za-z0-9_-] reach the source.

import type { Layout, Mask } from '../../arch/types.ts';
import { Access, FaultKind, FAULT_KIND_NAMES, Perm } from './consts.ts';
import { C } from './counters.ts';

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


/** A name as it may appear in generated source: only [A-Za-z0-9_-] (anything else could end a comment or a string). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The literal for counter k, with its name. */
export const cn = (k: keyof typeof C): string => `${C[k]} /* C.${k} */`;
/** The literal for a Perm bit set, with its names. */
export function pm(bits: number): string {
  const names = (Object.keys(Perm) as (keyof typeof Perm)[]).filter((k) => (bits & Perm[k]) !== 0);
  return `${bits} /* ${names.length === 0 ? 'none' : names.map((k) => `Perm.${k}`).join('|')} */`;
}
/** The literal for an Access value, with its name. */
export const ac = (k: keyof typeof Access): string => `${Access[k]} /* Access.${k} */`;
/** The literal for a FaultKind, with its name. */
export const fk = (k: number): string => `${k} /* FaultKind ${FAULT_KIND_NAMES[k] ?? k} */`;
const TWO32 = 4294967296;
/** Addresses translateMany probes at a time on its TLB-hit path (4 measured about 1.4x of 1 and 1.15x of 2). */
export const HIT_LANES = 4;
/** Bits of a protection key (x86 PKRU: 4-bit keys, two PKRU bits each: AD at 2k, WD at 2k+1). */
export const PKEY_MASK = 15;
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
export function forWalk(code: string, sfx: 'A' | 'B'): string {
  return code.replace(/\b(eLo|eHi|hi|lo|aL|aH|oL|oH|perm|tLo|tHi|el|w|w0|w1|frame|offs)\b/g, `$1${sfx}`);
}

/**
 * The batched walk's pair path: two walks interleaved level by level, so their chains of
 * dependent loads overlap. Only for walks that both end at the last level with nothing to do
 * but translate (no huge leaf, fault, A/D update or key check: those `break pair` and go one at
 * a time); only where DRAM is addressed by small integers from 0. The walk it starts at is the
 * largest root level (s390: the region-third ASCE of a new mm); null where it does not apply.
 */
export function pairWalk(L: Layout, spec: WalkSpec): { code: string; level: number } | null {
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
export function levelChain(L: Layout, spec: WalkSpec, fault: (kind: number, l: number) => string, counted: (refs: string) => string, refs: (l: number) => string): string {
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

// Specialises the MMU's two hot functions to one layout, once, when an Mmu is built: the
// TLB-hit path of translate() and the hardware walk. The layout's rules (arch/types.ts
// HardwareRules: masks and polarities per level) become integer literals in generated
// JavaScript, and the walk is unrolled over the levels, so the optimiser sees straight-line
// integer code with no per-level table lookups and no branch on the architecture.
//
// The generated code does exactly what the rules say; src/mmu/mmu.ts keeps a rule-by-rule
// interpreter of the same walk (Mmu.lookup, side-effect free) and the tests check that both
// agree (test/mmu/walk-equivalence.test.ts).
//
// The source depends on the layout, the DRAM range (page tables below 4 GiB are addressed with
// 32-bit integer arithmetic) and the TLB size, all written in as literals; it is compiled once
// per distinct source and shared by every Mmu with the same, each Mmu binding its own typed
// arrays as closure arguments. Physical addresses and entry halves cross calls as int32 (a
// double argument or return value would be boxed on the heap); helpers that produce an
// address leave it in a Float64Array.
//
// Entry addresses are formed as table | index * 8, which is what x86 and radix hardware do
// (the index bits are concatenated below the table's address) and equals s390's addition for
// the size-aligned tables Linux allocates; Mmu.setRoot checks the root's alignment.

import type { Layout, Mask } from '../../arch/types.ts';
import { CHUNK_SIZE } from '../mem/phys.ts';
import { Access, FaultKind, Perm, PERM_BITS } from './consts.ts';
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
  /** The largest JS-number address the fast path accepts. */
  readonly vaMaxNum: number;
  /** DRAM range whose chunks the walk reads directly (dramSize 0: always through PhysMem). */
  readonly dramBase: number;
  readonly dramSize: number;
  /** log2 of TLB entries per CPU per page size. */
  readonly tlbBits: number;
}

/** The closure arguments of the generated factory, in order. */
export const GEN_ARGS = ['self', 'rootHL', 'ctag', 'pkru', 'chunks', 'zero', 'cnt', 'out', 'result', 'tmpv', 'tl', 'lives', 'emptyTlb', 'hit', 'salt', 'ncpu'] as const;
/* chunks: the DRAM region's dense chunk index as Int32Arrays (src/mem/phys.ts Region.dense32, grown
   in place; zero (ZERO_CHUNK32) where nothing was stored), so the walk reads DRAM with integer
   indexing only and entry halves stay int32 (every use of them below is bitwise).
   salt[cpu]: the CPU's current asid hashed into an index offset, so address spaces do not all collide in the TLB (Mmu.saltOf).
   ctag[cpu]: the tag of the CPU's current address space (Mmu: a generation of its asid), what TLB entries carry.
   tl[cls][cpu]: the CPU's TLB for one page-size class, a Float64Array, or emptyTlb (shared, never
   written) until the CPU fills its first entry of that size; each tl[cls] is padded to a power of two.
   lives[cpu]: live entries per tag (Int32Array), so an O(1) flush still counts what it dropped. */

/** A TLB entry is TLB_STRIDE numbers: the virtual page number, the frame, the perm word (tag above PERM_BITS; tag 0: empty). */
export const TLB_STRIDE = 4;
export const TLB_TAG = 0;
export const TLB_FRAME = 1;
export const TLB_PERM = 2;
/** hit[] holds flags (TLB on, SMEP, SMAP as 0/1), then from HIT_BASE per CPU x (access * 2 + user) the perm-word mask and value of a hit. */
export const HIT_TLB = 0;
export const HIT_SMEP = 1;
export const HIT_SMAP = 2;
export const HIT_BASE = 8;

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
  if (m.hi !== 0) parts.push(`((eHi & ${i32(m.hi)}) >>> 0) * 4294967296`);
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
    else if (h !== 'false') terms.push(`(${h} ? ${bit} : 0)`);
  };
  add(hw.read[l]!, hw.readWhenSet[l]!, Perm.R);
  add(hw.write[l]!, hw.writeWhenSet[l]!, Perm.W);
  add(hw.exec[l]!, hw.execWhenSet[l]!, Perm.X);
  add(hw.user[l]!, hw.userWhenSet[l]!, Perm.U);
  if (terms.length === 0) return String(constant);
  return [String(constant), ...terms].join(' | ');
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
  return `((hi >>> 0) * ${2 ** (32 - shift)} + (lo >>> ${shift}))`;
}

/** JS for the offset of hi:lo within a page of 2^shift bytes. */
function offsetExpr(shift: number): string {
  if (shift < 32) return `((lo & ${i32(2 ** shift - 1)}) >>> 0)`;
  if (shift === 32) return '(lo >>> 0)';
  return `(((hi & ${i32(2 ** (shift - 32) - 1)}) >>> 0) * 4294967296 + (lo >>> 0))`;
}

/** The JS that loads the entry at (tHi:tLo | idx * 8) into eLo/eHi (int32) and keeps its address in el/eh. */
function loadEntry(big: boolean, spec: WalkSpec, idx: string, aligned: boolean): string {
  // Where every table is 8-aligned (aligned), so is every entry: w is even and w | 1 is the next
  // word (no overflow check); otherwise the word address is the entry's, rounded down to 4.
  const next = aligned ? 'w | 1' : 'w + 1';
  const wmask = aligned ? CHUNK_SIZE - 8 : CHUNK_SIZE - 4;
  const words = big
    ? `w0 = ch[w]; w1 = ch[${next}];
        eLo = (w1 << 24) | ((w1 & 0xff00) << 8) | ((w1 >>> 8) & 0xff00) | (w1 >>> 24);
        eHi = (w0 << 24) | ((w0 & 0xff00) << 8) | ((w0 >>> 8) & 0xff00) | (w0 >>> 24);`
    : `eLo = ch[w]; eHi = ch[${next}];`;
  // Tables are aligned to their size (x86: 4 KiB, the address field has no lower bits; radix NLB and
  // s390 origins likewise), so the entry's address is the table's OR the index times 8.
  const slow = `self.readSlow(el, eh); eLo = tmpv[0]; eHi = tmpv[1];`;
  const shift = Math.log2(CHUNK_SIZE);
  if (spec.dramBase + spec.dramSize <= 2 ** 32 && spec.dramSize > 0) {
    // Every DRAM address fits 32 bits: small-integer arithmetic only (chunk numbers, not byte
    // offsets, are compared, so no uint32 above 2^31 reaches a comparison).
    const firstChunk = spec.dramBase / CHUNK_SIZE;
    const nChunks = spec.dramSize / CHUNK_SIZE;
    const cw = firstChunk === 0 ? `w = el >>> ${shift}` : `w = (el >>> ${shift}) - ${firstChunk}`;
    const inDram = firstChunk === 0 ? (nChunks >= 2 ** (32 - shift) ? '' : ` && w < ${nChunks}`) : ` && w >= 0 && w < ${nChunks}`;
    return `el = tLo | (${idx} << 3); eh = tHi;
      ${cw};
      if (tHi === 0${inDram}) {
        ch = w < chunks.length ? chunks[w] : zero;
        w = (el & ${wmask}) >>> 2;
        ${words}
      } else {
        ${slow}
      }`;
  }
  return `el = tLo | (${idx} << 3); eh = tHi;
      {
        const pa = eh * 4294967296 + (el >>> 0);
        const o = pa - ${spec.dramBase};
        if (o >= 0 && o < ${spec.dramSize}) {
          w = (o * ${1 / CHUNK_SIZE}) | 0;
          ch = w < chunks.length ? chunks[w] : zero;
          w = (o & ${wmask}) >>> 2;
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

/** The source of the factory `(self, root, ...) => { translate, translateTo, walkTo }` for a layout. */
export function generateSource(L: Layout, spec: WalkSpec): string {
  const hw = L.hw;
  const n = L.levels.length;
  const last = n - 1;
  const big = L.endian === 'big';
  const out: string[] = [];
  // Tables are 8-aligned when every next-table address is a mask without the low 3 bits (the
  // root's alignment Mmu.setRoot checks, to the root table's size).
  const aligned = (L.tableBytes[0] ?? 4096) % 8 === 0 && spec.tableAddr.every((m, l) => l === last || (m !== null && (m.lo & 7) === 0));
  const fault = (kind: number, l: number): string =>
    `{ cnt[${C.WALK_REFS}] += ${l + 1}; return self.walkFault(${kind}, cpu, hi, lo, access, user, ${l}, perm, el, eh, eLo | 0, eHi | 0); }`;
  // Accumulate the entries' AND/OR where every level reads the rights the same way (x86, s390).
  const acc = hw.tableRules.some((t, l) => t && l < last) ? accumulable(L) : null;
  // Only the halves some rule reads (x86: the AND of the low halves for R/W and U/S, the OR of the high ones for XD).
  let accStep = '';
  if (acc !== null) {
    const need = new Set<string>();
    for (const r of acc.rules) {
      if (r.m.lo !== 0) need.add(r.whenSet ? 'aL &= eLo;' : 'oL |= eLo;');
      if (r.m.hi !== 0) need.add(r.whenSet ? 'aH &= eHi;' : 'oH |= eHi;');
    }
    accStep = ['aL &= eLo;', 'aH &= eHi;', 'oL |= eLo;', 'oH |= eHi;'].filter((x) => need.has(x)).join(' ');
  }
  const rightsOf = (l: number): string => (acc !== null ? '' : `perm &= ${rights(L, l)};`);

  for (let l = 0; l < n; l++) {
    const lv = L.levels[l]!;
    out.push(`      // ---- level ${l} (${lv.name}): index bits ${lv.shift + lv.bits - 1}..${lv.shift}`);
    out.push('      ' + loadEntry(big, spec, index(lv.shift, lv.bits), aligned));
    out.push(`      if (!(${holds(hw.valid[l]!, hw.validWhenSet[l]!)})) ${fault(FaultKind.NotPresent, l)}`);
    const leafTest = l === last ? 'true' : holds(hw.leaf[l]!, hw.leafWhenSet[l]!);
    if (leafTest !== 'false') {
      const leafOk = lv.leaf || l === last;
      const body: string[] = [];
      if (!leafOk) {
        // A leaf where the level holds none (x86 PS in a PML4E) is a reserved-bit violation.
        body.push(`        ${fault(FaultKind.Reserved, l)}`);
      } else {
        const rsv = anyBits(hw.reservedLeaf[l]!);
        if (rsv !== null) body.push(`        if ((${rsv}) !== 0) ${fault(FaultKind.Reserved, l)}`);
        body.push(acc !== null ? `        ${accStep}` : `        perm &= ${rights(L, l)};`);
        const a = someClear(hw.accessed[l]!);
        if (a !== null) body.push(`        if (${a}) aMiss |= ${1 << l};`);
        const d = someClear(hw.dirty[l]!);
        body.push(`        dMiss = ${d === null ? '0' : `(${d}) ? 1 : 0`}; hasD = ${d === null ? 0 : 1};`);
        const fm = spec.leafFrame[l];
        body.push(`        frame = ${fm ? field(fm) : `self.slowLeafFrame(${l}, eLo | 0, eHi | 0)`};`);
        body.push(`        vpn = ${vpnExpr(lv.shift)}; offs = ${offsetExpr(lv.shift)}; cls = ${spec.levelClass[l]}; L = ${l};`);
        body.push('        break found;');
      }
      out.push(leafTest === 'true' ? `      {\n${body.join('\n')}\n      }` : `      if (${leafTest}) {\n${body.join('\n')}\n      }`);
    }
    if (l === last || leafTest === 'true') continue;
    const rsvT = anyBits(hw.reservedTable[l]!);
    if (rsvT !== null) out.push(`      if ((${rsvT}) !== 0) ${fault(FaultKind.Reserved, l)}`);
    if (hw.tableRules[l]) {
      out.push(acc !== null ? `      ${accStep}` : `      ${rightsOf(l)}`);
      const a = someClear(hw.accessed[l]!);
      if (a !== null) out.push(`      if (${a}) aMiss |= ${1 << l};`);
    }
    const tm = spec.tableAddr[l];
    out.push(
      tm
        ? `      tLo = eLo & ${i32(tm.lo)}; tHi = eHi & ${i32(tm.hi)};`
        : `      tmpd = self.slowTableAddress(${l}, eLo | 0, eHi | 0); tLo = tmpd | 0; tHi = (tmpd * ${2 ** -32}) | 0;`,
    );
  }

  let accPerm = '';
  if (acc !== null) {
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
      terms.push(`((${parts.join(' | ')}) ${r.whenSet ? '!==' : '==='} 0 ? ${r.bit} : 0)`);
    }
    accPerm = `\n    perm = ${[String(constant), ...terms].join(' | ')};`;
  }

  const pkey =
    spec.pkeyShiftHi >= 0
      ? `
    // Protection keys (SDM 4.6.2): user-mode pages, data accesses; WD also stops supervisor writes (CR0.WP=1).
    if ((perm & ${Perm.U}) !== 0) {
      perm |= ${Perm.K};
      const pk = pkru[cpu];
      if (pk !== 0 && access !== ${Access.Exec}) {
        const key = (eHi >>> ${spec.pkeyShiftHi}) & 15;
        if (((pk >>> (2 * key)) & 1) !== 0 || (access === ${Access.Write} && ((pk >>> (2 * key + 1)) & 1) !== 0)) {
          return self.walkFault(${FaultKind.Pkey}, cpu, hi, lo, access, user, L, perm, el, eh, eLo | 0, eHi | 0);
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
  // page's, hence the range and integer tests after the probe. With the TLB off
  // every hit value is unmatchable (Mmu.recomputeHit), so the probe needs no flag either.
  // Entries are TLB_STRIDE-aligned: e | 1 and e | 2 index the frame and perm with no overflow check.
  const hitTest = `t0[e] === vpn && ((t0[e | ${TLB_PERM}] | 0) & hit[k]) === hit[k | 1] && va <= ${spec.vaMaxNum}`;
  const hitPrologue = `const vpn = Math.floor(va * ${2 ** -pageShift});
    const t0 = tl0[cpu & cmask];
    const e = ((vpn & ${mask}) ^ salt[cpu]) << ${Math.log2(TLB_STRIDE)};
    const k = ${HIT_BASE} + (((cpu << 3) | (access << 1) | (user ? 1 : 0)) << 1);`;

  return `"use strict";
// Generated by src/mmu/codegen.ts for layout ${JSON.stringify(L.name)}.
return function (${GEN_ARGS.join(', ')}) {
  const tl0 = tl[0];
  const cmask = tl0.length - 1;

  // The TLB hit on the smallest page size, inline; everything else in self.missTo.
  function translate(cpu, va, access, user) {
    ${hitPrologue}
    if (${hitTest} && Math.floor(va) === va) {
      cnt[${C.TLB_HITS}]++;
      return t0[e | ${TLB_FRAME}] + (va - vpn * ${2 ** pageShift});
    }
    if (hit[${HIT_TLB}] === 0 && va >= 0 && va <= ${spec.vaMaxNum} && Math.floor(va) === va && cpu >= 0 && cpu < ncpu && (cpu | 0) === cpu && access >>> 0 < 3) {
      // TLB off: straight to the walk.
      cnt[${C.SLOW_TRANSLATIONS}]++;
      return walkTo(cpu, (va * ${2 ** -32}) | 0, va | 0, access, user) === 0 ? out[0] : -1;
    }
    return self.missTo(cpu, va, access, user) === 0 ? out[0] : -1;
  }

  function translateTo(cpu, va, access, user) {
    ${hitPrologue}
    if (${hitTest} && Math.floor(va) === va) {
      cnt[${C.TLB_HITS}]++;
      result[0] = t0[e | ${TLB_FRAME}] + (va - vpn * ${2 ** pageShift});
      return 0;
    }
    if (self.missTo(cpu, va, access, user) !== 0) return -1;
    result[0] = out[0];
    return 0;
  }

  // hi and lo arrive as int32 (a double argument would be boxed); shifts below use >>>.
  function walkTo(cpu, hi, lo, access, user) {
    cnt[${C.WALKS}]++;
    let tLo = rootHL[cpu << 1], tHi = rootHL[(cpu << 1) + 1];
    let perm = ${Perm.R | Perm.W | Perm.X | Perm.U};
    let eLo = 0, eHi = 0, el = 0, eh = 0, off = 0, w = 0, w0 = 0, w1 = 0, tmpd = 0;
    let aL = -1, aH = -1, oL = 0, oH = 0;
    let ch = zero;
    let aMiss = 0, dMiss = 0, hasD = 0, frame = 0, vpn = 0, offs = 0, cls = 0, L = -1;
    found: {
${out.join('\n')}
    }
    cnt[${C.WALK_REFS}] += L + 1;${accPerm}
    // Rights for this access: SDM 4.6.1 (x86), radix EAA, s390 DAT / execution protection.
    let need = access === ${Access.Write} ? ${Perm.W} : access === ${Access.Exec} ? ${Perm.X} : ${Perm.R};
    if (user) need |= ${Perm.U};
    if ((perm & need) !== need || (!user && (perm & ${Perm.U}) !== 0 && hit[access === ${Access.Exec} ? ${HIT_SMEP} : ${HIT_SMAP}] === 1)) {
      return self.walkFault(${FaultKind.Protection}, cpu, hi, lo, access, user, L, perm, el, eh, eLo | 0, eHi | 0);
    }${pkey}
    // Accessed / dirty, written back only where clear (SDM 4.8; Power ISA R/C).
    if (aMiss !== 0 || (access === ${Access.Write} && dMiss === 1)) {
      self.setAD(cpu, hi, lo, L, aMiss, access === ${Access.Write} && dMiss === 1);
      if (access === ${Access.Write}) dMiss = 0;
    }
    if ((perm & ${Perm.W}) !== 0 && (hasD === 0 || dMiss === 0)) perm |= ${Perm.D};
    if (hit[${HIT_TLB}] === 1) {
      let t = tl[cls][cpu];
      if (t === emptyTlb) t = self.allocTlb(cpu, cls);
      const lv = lives[cpu];
      const e = ((vpn & ${mask}) ^ salt[cpu]) << ${Math.log2(TLB_STRIDE)};
      // The entry replaced (live or not) no longer counts for its tag.
      lv[(t[e + ${TLB_PERM}] | 0) >>> ${PERM_BITS}]--;
      const tag = ctag[cpu];
      t[e] = vpn;
      t[e + ${TLB_FRAME}] = frame;
      t[e + ${TLB_PERM}] = (tag << ${PERM_BITS}) | perm;
      lv[tag]++;
      cnt[${C.TLB_FILLS}]++;
    }
    out[0] = frame + offs;
    return 0;
  }
  return { translate, translateTo, walkTo };
};
`;
}

type Fns = {
  translate: (cpu: number, va: number, access: number, user: boolean) => number;
  translateTo: (cpu: number, va: number, access: number, user: boolean) => number;
  walkTo: (cpu: number, hi: number, lo: number, access: number, user: boolean) => number;
};
type Factory = (...args: unknown[]) => Fns;

/**
 * Compiles the factory for a layout, once per distinct source: every Mmu of a layout shares
 * the compiled code (and V8's type feedback), each with its own closure over its own arrays.
 */
const shared = new Map<string, Factory>();
/**
 * The factories already built per layout object, keyed by the spec fields that do not follow
 * from the layout alone, so building another Mmu for a layout skips generating the source.
 * (tableAddr, leafFrame and levelClass are functions of the layout; vaMaxNum and pkeyShiftHi
 * also of the fault model, so they are part of the key.)
 */
const byLayout = new WeakMap<Layout, Map<string, Factory>>();
export function compileWalker(L: Layout, spec: WalkSpec): Factory {
  const key = `${spec.vaMaxNum}:${spec.pkeyShiftHi}:${spec.dramBase}:${spec.dramSize}:${spec.tlbBits}`;
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

// Specialises the MMU's hot paths to one layout, once, when an Mmu is built: the TLB-hit path
// of translate() / translateTo(), the batched translateMany() (its TLB probe four at a time,
// and with the TLB off its walk inline, two interleaved) and the hardware walk walkTo(). The
// layout's rules (arch/types.ts HardwareRules: masks and polarities per level) become integer
// literals in generated JavaScript (codegen-walk.ts writes the per-level code), and the walk is
// unrolled over the levels, so the optimiser sees straight-line integer code with no per-level
// table lookups and no branch on the architecture.
//
// The generated code does exactly what the rules say; src/mmu/walk.ts keeps a rule-by-rule
// interpreter of the same walk (Walker.lookup, side-effect free) and the tests check that both
// agree (test/mmu/walk-equivalence.test.ts, test/mmu/translate-many.test.ts). The source for
// each layout is kept under test/mmu/golden/ (test/mmu/codegen-golden.test.ts), so a reviewer
// can read it and a diff shows when it changes. Every number it contains is written with the
// name of the constant it stands for (`cnt[1 /* C.TLB_HITS */]`), and only names filtered to
// [A-Za-z0-9_-] reach it.
//
// The source depends on the layout, the DRAM range (page tables below 4 GiB are addressed with
// 32-bit integer arithmetic; src/mem keeps DRAM's low gigabyte flat) and the TLB size, all
// written in as literals; it is compiled once per distinct source and shared by every Mmu with
// the same, each Mmu binding its own typed arrays through one environment object (WalkEnv).
// Physical addresses and entry halves cross calls as int32 (a double argument or return value
// would be boxed on the heap); helpers that produce an address leave it in a Float64Array.
//
// Entry addresses are formed as table | index * 8, which is what x86 and radix hardware do
// (the index bits are concatenated below the table's address) and equals s390's addition for
// the size-aligned tables Linux allocates; Walker.loadRoot checks the root's alignment.

import type { Layout } from '../../arch/types.ts';
import { FaultKind, Perm, PERM_BITS } from './consts.ts';
import {
  ac,
  cn,
  fk,
  forWalk,
  HIT_LANES,
  levelChain,
  pairWalk,
  PKEY_MASK,
  pm,
  safeName,
  type WalkSpec,
} from './codegen-walk.ts';
import { HIT_BASE, HIT_SMAP, HIT_SMEP, HIT_TLB, TLB_FRAME, TLB_PERM, TLB_SLOT_SHIFT, type Tlb } from './tlb.ts';
import type { Walker } from './walk.ts';

export { safeName, walkSpecFor, type WalkSpec } from './codegen-walk.ts';

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

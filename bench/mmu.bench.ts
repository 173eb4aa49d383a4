// Benchmarks of the MMU (src/mmu): TLB hits, page-table walks per layout, and a check that
// translate() allocates nothing. Each fn() call does a batch of BATCH translations over
// addresses precomputed into a typed array; extra() reports the per-translation rate
// (translations_per_s, measured inside fn) next to benchmark.js's per-batch rate.
//
//   npx tsx bench/run.ts --filter 'walk|translate'

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { findLayout } from '../arch/index.ts';
import type { Layout } from '../arch/types.ts';
import { FrameAllocator } from '../src/mem/frames.ts';
import { PhysMem } from '../src/mem/phys.ts';
import { TableBuilder } from '../src/mmu/builder.ts';
import { Access, Mmu } from '../src/mmu/index.ts';
import type { BenchCase } from './case.ts';

const BATCH = 1024;
const ADDRS = 1 << 16;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

function layout(name: string): Layout {
  const l = findLayout(name);
  if (l === undefined) throw new Error(`no layout ${name}`);
  return l;
}

/** xorshift32: the same addresses every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Rig {
  mmu: Mmu;
  addrs: Float64Array;
  mem: PhysMem;
  /** DRAM bytes the tables occupy, from 0. */
  tableBytes: number;
  root: number;
}

/** Maps `bytes` at `base` with base pages (young and dirty, so walks only read), and random addresses in it. */
function rig(layoutName: string, base: number, bytes: number, tlb: boolean): Rig {
  const L = layout(layoutName);
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 4 * GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB });
  const frames = new FrameAllocator(mem, mem.dram);
  // The root a kernel would give a process mapping there (s390: a region-third ASCE below 4 TiB).
  const b = new TableBuilder(L, mem, frames, L.hooks.root.levelFor(base + bytes));
  const last = L.levels.length - 1;
  const page = 2 ** L.levels[last]!.shift;
  for (let off = 0; off < bytes; off += page) b.map(base + off, 4 * TiB + off, last, { young: true, dirty: true, write: true });
  const mmu = new Mmu(L, mem, { cpus: 1, tlb, tlbEntries: 4096 });
  mmu.setRoot(0, b.root);
  const r = rng(0x9e3779b9);
  const addrs = new Float64Array(ADDRS);
  for (let i = 0; i < ADDRS; i++) addrs[i] = base + Math.floor(r() * (bytes / 8)) * 8;
  return { mmu, addrs, mem, tableBytes: frames.allocatedBytes, root: b.root };
}

/**
 * The batch loop, compiled separately for each case: one shared loop function would pool V8's
 * type feedback across cases (a call site seeing every layout's translate() turns megamorphic
 * and stops inlining it), so each case measures with the feedback of its own machine only.
 */
type Loop = (mmu: Mmu, addrs: Float64Array, cursor: number, access: number) => number;
function makeLoop(): Loop {
  return new Function(
    'mmu',
    'addrs',
    'cursor',
    'access',
    `let c = cursor;
    let s = 0;
    for (let i = 0; i < ${BATCH}; i++) {
      s += mmu.translate(0, addrs[c], access, true);
      c = (c + 1) & ${ADDRS - 1};
    }
    if (s === -1) throw new Error('unreachable');
    return c;`,
  ) as Loop;
}

/** The batch loop through the batched API: BATCH addresses translated by one translateMany() call. */
function makeManyLoop(): Loop {
  const out = new Float64Array(BATCH);
  return new Function(
    'out',
    `return function (mmu, addrs, cursor, access) {
      if (mmu.translateMany(0, addrs, cursor, ${BATCH}, access, true, out) !== ${BATCH}) throw new Error('fault');
      return (cursor + ${BATCH}) & ${ADDRS - 1};
    };`,
  )(out) as Loop;
}

/** A case that runs BATCH translations per fn() and reports the per-translation rate. */
function batchCase(name: string, make: () => Rig, access: number, note: Record<string, number | string> = {}): BenchCase {
  let rg: Rig | null = null;
  let cursor = 0;
  let done = 0;
  let ns = 0n;
  const loop = makeLoop();
  return {
    name,
    setup() {
      rg = make();
      for (let i = 0; i < ADDRS / BATCH; i++) cursor = loop(rg.mmu, rg.addrs, cursor, access); // warm up (and fill the TLB)
      rg.mmu.counters.reset();
    },
    fn() {
      const t0 = process.hrtime.bigint();
      cursor = loop(rg!.mmu, rg!.addrs, cursor, access);
      ns += process.hrtime.bigint() - t0;
      done += BATCH;
    },
    extra() {
      const snap = rg!.mmu.counters.snapshot();
      const perS = done / (Number(ns) / 1e9);
      return {
        per_fn: BATCH,
        M_translations_per_s: Number((perS / 1e6).toFixed(2)),
        refs_per_walk: snap.walks > 0 ? Number((snap.walkRefs / snap.walks).toFixed(2)) : 0,
        tlb_hit_ratio: snap.translations > 0 ? Number((snap.tlbHits / snap.translations).toFixed(4)) : 0,
        faults: snap.faults,
        ...note,
      };
    },
  };
}

/** A gc() function (V8's, exposed at run time). */
function getGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/**
 * Heap bytes allocated while running `f`: the growth of the used heap plus what every GC in
 * between reclaimed (v8.GCProfiler reports each GC's before/after sizes).
 */
function allocatedBytes(f: () => void): number {
  const gc = getGc();
  gc();
  const prof = new v8.GCProfiler();
  prof.start();
  const h0 = process.memoryUsage().heapUsed;
  f();
  const h1 = process.memoryUsage().heapUsed;
  const stats = prof.stop();
  let reclaimed = 0;
  for (const s of stats?.statistics ?? []) reclaimed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return h1 - h0 + reclaimed;
}

function allocCase(): BenchCase {
  // A mix that takes every path: TLB hits, misses that walk and fill, re-walks that set D,
  // A and D write-backs, faults, flushes; through translate() and through translateTo().
  let mmu: Mmu | null = null;
  let addrs: Float64Array | null = null;
  let cursor = 0;
  let sink = 0;
  // Two loops, one per entry point: a loop calling both (and more) can exceed V8's inlining
  // budget, and translate() returns a double, boxed when it is not inlined.
  const run = (n: number, to: boolean): void => (to ? runTo(n) : runT(n));
  const runT = (n: number): void => {
    const m = mmu!;
    const a = addrs!;
    let c = cursor;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const va = a[c]!;
      s += m.translate(0, va, (c & 3) === 0 ? Access.Write : Access.Read, true);
      if ((c & 255) === 0) m.flushPage(0, va);
      c = (c + 1) & (ADDRS - 1);
    }
    cursor = c;
    sink += s;
  };
  const runTo = (n: number): void => {
    const m = mmu!;
    const a = addrs!;
    let c = cursor;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const va = a[c]!;
      s += m.translateTo(0, va, (c & 3) === 0 ? Access.Write : Access.Read, true) === 0 ? m.result[0]! : -1;
      if ((c & 255) === 0) m.flushPage(0, va);
      c = (c + 1) & (ADDRS - 1);
    }
    cursor = c;
    sink += s;
  };
  let age: () => void = () => {};
  return {
    name: 'translate-alloc-check',
    setup() {
      const L = layout('x86_64');
      const mem = new PhysMem({ kind: 'dram', base: 0, size: 4 * GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB });
      const frames = new FrameAllocator(mem, mem.dram);
      const b = new TableBuilder(L, mem, frames);
      // 32 MiB of clean, old 4 KiB pages and one 2 MiB leaf; 1/8 of the addresses unmapped (faults).
      for (let off = 0; off < 32 * MiB; off += 4096) b.map(0x10000000 + off, 4 * TiB + off, 3, { young: false, dirty: false });
      b.map(0x40000000, 4 * TiB + 64 * MiB, 2, { young: false, dirty: false });
      const m = new Mmu(L, mem, { cpus: 1, tlbEntries: 1024 });
      m.setRoot(0, b.root);
      mmu = m;
      // pte_mkold + pte_mkclean on every leaf and a TLB flush: the next accesses set A and D again.
      age = () => {
        const clean = (level: number) => (e: { lo: number; hi: number }) => {
          L.mkold(level, e);
          L.mkclean(level, e);
        };
        for (let off = 0; off < 32 * MiB; off += 4096) b.update(0x10000000 + off, 3, clean(3));
        b.update(0x40000000, 2, clean(2));
        m.flushAll(0);
      };
      const r = rng(12345);
      addrs = new Float64Array(ADDRS);
      for (let i = 0; i < ADDRS; i++) {
        const k = r();
        addrs[i] = k < 0.125 ? 0x20000000 + Math.floor(r() * 4096) * 4096 : k < 0.25 ? 0x40000000 + Math.floor(r() * 2 * MiB) : 0x10000000 + Math.floor(r() * 32 * MiB);
      }
      // Warm up the JIT on every path, twice over the tables' whole life (old and clean, then young and dirty).
      for (let k = 0; k < 2; k++) {
        age();
        run(ADDRS * 4, false);
        age();
        run(ADDRS * 4, true);
      }
    },
    fn() {
      run(BATCH, false);
    },
    extra() {
      const n = 2_000_000;
      // The same machine with its leaves aged again, so the measured runs also set A and D bits.
      age();
      mmu!.counters.reset();
      const viaTranslate = allocatedBytes(() => run(n, false));
      const snap = mmu!.counters.snapshot();
      age();
      const viaTranslateTo = allocatedBytes(() => run(n, true));
      if (sink === -1) process.stdout.write('');
      return {
        per_fn: BATCH,
        translations_measured: n,
        heap_bytes_per_translate: Number((viaTranslate / n).toFixed(4)),
        heap_bytes_per_translateTo: Number((viaTranslateTo / n).toFixed(4)),
        walks: snap.walks,
        faults: snap.faults,
        a_writes: snap.aWrites,
        d_writes: snap.dWrites,
      };
    },
  };
}

// ---- the native baseline (bench/walk-baseline.c) ------------------------------------------------

/** Temporary directories (the compiled baseline, the dumped tables), removed when the process exits. */
const tmpDirs: string[] = [];
process.on('exit', () => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
function tmpDir(prefix: string): string {
  const d = mkdtempSync(join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

const ROUNDS = 9;
const ROUND_SECONDS = 0.2;

/** The C baseline compiled with the host's gcc -O2, or null (with the reason) where there is none. */
function compileBaseline(): { exe: string } | { skipped: string } {
  const src = fileURLToPath(new URL('./walk-baseline.c', import.meta.url));
  const dir = tmpDir('daxsim-bench-');
  const exe = join(dir, 'walk-baseline');
  const r = spawnSync('gcc', ['-O2', '-o', exe, src], { encoding: 'utf8' });
  if (r.error !== undefined) return { skipped: `no gcc (${r.error.message})` };
  if (r.status !== 0) return { skipped: `gcc failed: ${r.stderr.trim().split('\n')[0] ?? ''}` };
  return { exe };
}

/** Runs the C baseline on a rig's tables and addresses: per second, and the checksum of one pass. */
function runBaseline(exe: string, files: { tables: string; addrs: string }, root: number, mode: 'walk' | 'tlb'): { per_s: number; checksum: number } {
  const r = spawnSync(exe, [files.tables, files.addrs, String(root), mode, String(ROUND_SECONDS)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`walk-baseline: ${r.stderr}`);
  return JSON.parse(r.stdout) as { per_s: number; checksum: number };
}

/** The rig's tables and addresses in files, for the C side. */
function dumpRig(rg: Rig): { tables: string; addrs: string } {
  const dir = tmpDir('daxsim-rig-');
  const tables = new Uint8Array(rg.tableBytes);
  rg.mem.readBytes(0, rg.tableBytes, tables);
  const files = { tables: join(dir, 'tables.bin'), addrs: join(dir, 'addrs.bin') };
  writeFileSync(files.tables, tables);
  writeFileSync(files.addrs, new Uint8Array(rg.addrs.buffer));
  return files;
}

/** CPU seconds this process used (the C side counts its thread's CPU time too: contention from other processes counts in neither). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Translations per CPU-second of `loop` on a rig, for about ROUND_SECONDS of CPU time. */
function jsRate(loop: Loop, rg: Rig, access: number): number {
  let c = 0;
  let n = 0;
  const t0 = cpuSeconds();
  let t = t0;
  while (t - t0 < ROUND_SECONDS) {
    for (let k = 0; k < 16; k++) c = loop(rg.mmu, rg.addrs, c, access);
    n += 16 * BATCH;
    t = cpuSeconds();
  }
  return n / (t - t0);
}

/** The sum of the physical addresses' low 32 bits over one pass (the C side's checksum). */
function checksum(rg: Rig): number {
  let s = 0;
  for (let i = 0; i < ADDRS; i++) s += rg.mmu.translate(0, rg.addrs[i]!, Access.Read, true) % 2 ** 32;
  return s;
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number): number => Number(x.toFixed(3));
  return { min: r(s[0]!), median: r(s[Math.floor(s.length / 2)]!), max: r(s[s.length - 1]!) };
}

/**
 * `c-walk-4level`: the C walk against the JS walks of every layout, ROUNDS rounds of
 * ROUND_SECONDS of CPU time each, alternating C and JS in every round; reports the C rate and, per layout,
 * the JS / C ratio (min / median / max over the rounds) and the ratio to the JS 4-level walk,
 * for translate() one address per call (js_<layout>_...) and for the batched translateMany()
 * (js_<layout>_many_...).
 * `c-translate-tlb-hit`: the same for a TLB hit, JS through translate() per call and through the
 * batched translateMany().
 */
function nativeCases(): BenchCase[] {
  const built = compileBaseline();
  if ('skipped' in built) {
    process.stderr.write(`bench: C baseline cases skipped: ${built.skipped}\n`);
    return [];
  }
  const exe = built.exe;
  const walkLayouts = [
    ['4level', () => rig('x86_64', 0x7f0000000000, 64 * MiB, false)],
    ['5level', () => rig('x86_64-la57', 0x0f000000000000, 64 * MiB, false)],
    ['radix', () => rig('ppc64-radix', 0x7f0000000000, 64 * MiB, false)],
    ['s390x', () => rig('s390x', 0x3f000000000, 64 * MiB, false)],
  ] as const;
  let walkExtra: Record<string, number | string> = {};
  let tlbExtra: Record<string, number | string> = {};
  let walkRig: Rig | null = null;
  let tlbRig: Rig | null = null;
  const walkLoop = makeLoop();
  const tlbLoop = makeLoop();
  const tlbManyLoop = makeManyLoop();
  return [
    {
      name: 'c-walk-4level',
      setup() {
        // Each layout twice: translate() per address, and translateMany() (the batched walk).
        const rigs = walkLayouts.flatMap(([n, make]) => {
          const rg = make();
          return [[n, rg, makeLoop()] as const, [`${n}_many`, rg, makeManyLoop()] as const];
        });
        walkRig = rigs[0]![1];
        const files = dumpRig(walkRig);
        const c0 = runBaseline(exe, files, walkRig.root, 'walk');
        const js0 = checksum(walkRig);
        if (c0.checksum !== js0) throw new Error(`C walk checksum ${c0.checksum} != JS ${js0}: not the same tables`);
        for (const [, rg, loop] of rigs) jsRate(loop, rg, Access.Read); // warm up
        const cRates: number[] = [];
        const toC = new Map<string, number[]>(rigs.map(([n]) => [n, []]));
        const to4 = new Map<string, number[]>(rigs.map(([n]) => [n, []]));
        for (let round = 0; round < ROUNDS; round++) {
          const c = runBaseline(exe, files, walkRig.root, 'walk').per_s;
          cRates.push(c / 1e6);
          const four = new Map<string, number>();
          for (const [n, rg, loop] of rigs) {
            const js = jsRate(loop, rg, Access.Read);
            const many = n.endsWith('_many');
            if (n.startsWith('4level')) four.set(many ? 'many' : 'one', js);
            toC.get(n)!.push(js / c);
            to4.get(n)!.push(js / four.get(many ? 'many' : 'one')!);
          }
        }
        const c = stats(cRates);
        walkExtra = { rounds: ROUNDS, c_M_walks_per_s_median: c.median, c_M_walks_per_s_min: c.min, c_M_walks_per_s_max: c.max };
        for (const [n] of rigs) {
          const r = stats(toC.get(n)!);
          walkExtra[`js_${n}_over_c`] = `${r.min}/${r.median}/${r.max}`;
          if (!n.startsWith('4level')) {
            const q = stats(to4.get(n)!);
            walkExtra[`js_${n}_over_js_4level`] = `${q.min}/${q.median}/${q.max}`;
          }
        }
      },
      fn() {
        walkLoop(walkRig!.mmu, walkRig!.addrs, 0, Access.Read);
      },
      extra: () => walkExtra,
    },
    {
      name: 'c-translate-tlb-hit',
      setup() {
        tlbRig = rig('x86_64', 0x7f0000000000, 16 * MiB, true);
        const rg = tlbRig;
        const files = dumpRig(rg);
        const c0 = runBaseline(exe, files, rg.root, 'tlb');
        if (c0.checksum !== checksum(rg)) throw new Error('C TLB checksum differs: not the same tables');
        jsRate(tlbLoop, rg, Access.Read);
        jsRate(tlbManyLoop, rg, Access.Read);
        const cRates: number[] = [];
        const per: number[] = [];
        const many: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const c = runBaseline(exe, files, rg.root, 'tlb').per_s;
          cRates.push(c / 1e6);
          per.push(jsRate(tlbLoop, rg, Access.Read) / c);
          many.push(jsRate(tlbManyLoop, rg, Access.Read) / c);
        }
        const c = stats(cRates);
        const p = stats(per);
        const m = stats(many);
        tlbExtra = {
          rounds: ROUNDS,
          c_M_hits_per_s_median: c.median,
          c_M_hits_per_s_min: c.min,
          c_M_hits_per_s_max: c.max,
          js_translate_over_c: `${p.min}/${p.median}/${p.max}`,
          js_translateMany_over_c: `${m.min}/${m.median}/${m.max}`,
        };
      },
      fn() {
        tlbLoop(tlbRig!.mmu, tlbRig!.addrs, 0, Access.Read);
      },
      extra: () => tlbExtra,
    },
  ];
}

export const cases: BenchCase[] = [
  // A warm 16 MiB working set of 4 KiB pages: every access hits the TLB.
  batchCase('translate-tlb-hit', () => rig('x86_64', 0x7f0000000000, 16 * MiB, true), Access.Read),
  batchCase('translate-tlb-hit-write', () => rig('x86_64', 0x7f0000000000, 16 * MiB, true), Access.Write),
  // TLB off: every translation is a full walk of random 4 KiB pages over 64 MiB.
  batchCase('walk-4level', () => rig('x86_64', 0x7f0000000000, 64 * MiB, false), Access.Read, { levels: 4 }),
  batchCase('walk-5level', () => rig('x86_64-la57', 0x0f000000000000, 64 * MiB, false), Access.Read, { levels: 5 }),
  batchCase('walk-radix', () => rig('ppc64-radix', 0x7f0000000000, 64 * MiB, false), Access.Read, { levels: 4 }),
  // Below 4 TiB, where s390 processes map: a region-third ASCE, 3 levels (init_new_context).
  batchCase('walk-s390x', () => rig('s390x', 0x3f000000000, 64 * MiB, false), Access.Read, { levels: 3 }),
  allocCase(),
  ...nativeCases(),
];

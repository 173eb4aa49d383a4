// The search behind `daxsim explore`, free of threads so workers and tests call it alike.
//
// Scenario number i of a search with seed S is the first value fast-check generates from
// genScenario (src/scenario/generate.ts, the property test's generator) with the seed
// mix(S, i); it is turned into the statements parseScenario(toDax(...)) would give (built
// directly, scenarioOf) and run on every arch x strategy of the search (one generated scenario
// per base page size), each on the thread's pooled machine for its settings, reset to new.
// A run is a violation when the crash lost bytes that fsync/msync had promised durable. Two
// violations are the same finding when they agree on the arch, strategy, persistence domain
// and cause; the cause names, for every lost range,
// the kind of DAX entry holding it (pmd-entry / pte-entry) and what mkclean did wrong there
// during the run (vma-missed: the i_mmap query skipped a VMA mapping part of the entry;
// pfn-mismatch: a mapping of the entry was skipped because its pfn is not the head pfn;
// private-skipped; or none-seen). The first scenario (lowest i) of each finding is shrunk
// with fast-check (same seed, same first value, then its shrinker, keeping the same cause).

import fc from 'fast-check';
import { findLayout } from '../../arch/index.ts';
import type { LostRange } from '../check/durability.ts';
import type { Strategy } from '../kernel/kernel.ts';
import { MISS_ACTIONS } from '../kernel/strategies.ts';
import type { KernelVersion } from '../kernel/versions.ts';
import type { Persistence } from '../machine/machine.ts';
import { genScenario, genStatements, toDax, type GenScenario, type GenStatements } from '../scenario/generate.ts';
import type { Scenario } from '../scenario/parse.ts';
import { runScenario } from '../scenario/run.ts';
import type { Simulation } from '../sim/simulation.ts';

export interface Combo {
  kernel?: KernelVersion;
  arch: string;
  mkclean: Strategy;
  persistence: Persistence;
}

export interface ExploreConfig {
  /** Kernel version whose rules apply (`--kernel`); default 6.1. */
  kernel?: KernelVersion;
  arches: string[];
  strategies: Strategy[];
  persistence: Persistence;
  seed: number;
  /** explore --shard I/N: this run's scenario k is the seed's scenario I + k * N, so the shards
   * of one seed never overlap and together run what one machine would. */
  shard?: { index: number; count: number };
  /** explore --statements: the generator's statement mix (generate.ts GenStatements); absent: 'base'. */
  statements?: GenStatements;
}

/** The seed's scenario number of this run's k-th scenario (itself without a shard). */
export function globalIndex(cfg: ExploreConfig, k: number): number {
  return cfg.shard === undefined ? k : cfg.shard.index + k * cfg.shard.count;
}

export interface Candidate {
  signature: string;
  combo: Combo;
  cause: string;
  index: number;
  lostBytes: number;
}

export interface BatchResult {
  scenarios: number;
  runs: number;
  /** The first scenario (lowest index) of each signature seen in the batch: a handful at most. */
  candidates: Candidate[];
  /** Milliseconds the batch took in the thread that ran it. */
  ms: number;
}

export interface Finding extends Candidate {
  /** The shrunk scenario as a runnable .dax file. */
  dax: string;
  statements: number;
  originalStatements: number;
  lost: LostRange[];
}

/** The seed of scenario `index` (a 32-bit mix of the search seed and the index). */
export function scenarioSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16) ^ Math.imul(index, 0x27d4eb2f)) >>> 0;
  return h | 0;
}

function pageSizeOf(arch: string): number {
  const l = findLayout(arch);
  if (l === undefined) throw new Error(`unknown arch '${arch}'`);
  return 2 ** l.pageShift;
}

const arbs = new Map<string, fc.Arbitrary<GenScenario>>();
function arbFor(pageSize: number, statements: GenStatements = 'base'): fc.Arbitrary<GenScenario> {
  const key = `${pageSize}/${statements}`;
  let a = arbs.get(key);
  if (a === undefined) arbs.set(key, (a = genScenario(pageSize, statements)));
  return a;
}

export interface Outcome {
  lost: LostRange[];
  cause: string;
}

/** The last generated scenario built: every combo of a page size runs the same one. */
let lastParsed: { g: GenScenario; pageSize: number; scn: Scenario } | null = null;

function parsedOf(g: GenScenario, pageSize: number): Scenario {
  if (lastParsed !== null && lastParsed.g === g && lastParsed.pageSize === pageSize) return lastParsed.scn;
  const scn = scenarioOf(g, pageSize);
  lastParsed = { g, pageSize, scn };
  return scn;
}

/**
 * What parseScenario(toDax(g, pageSize), 'explore') returns, built directly (no printing and
 * parsing per run): the same statements, fields and line numbers. Findings are still written
 * with toDax. test/explore/scenario-of.test.ts checks the two agree on generated scenarios.
 */
export function scenarioOf(g: GenScenario, pageSize: number): Scenario {
  return { file: 'explore', settings: {}, settingLines: {}, stmts: genStatements(g, pageSize) };
}

/** Runs one generated scenario on one combo and explains what was lost. */
export function runGenerated(g: GenScenario, combo: Combo): Outcome {
  const scn = parsedOf(g, pageSizeOf(combo.arch));
  const missed = new Set<string>();
  const visits = new Map<string, Set<string>>();
  let sim: Simulation | null = null;
  const report = runScenario(scn, {
    arch: combo.arch,
    kernel: combo.kernel,
    mkclean: combo.mkclean,
    persistence: combo.persistence,
    reuseMachine: true,
    events: {
      mkcleanMissed: (file, entry) => void missed.add(`${file.name}:${entry.index}`),
      mkcleanVisit: (file, entry, _vma, _va, _level, action) => {
        const k = `${file.name}:${entry.index}`;
        const s = visits.get(k) ?? new Set<string>();
        s.add(action);
        visits.set(k, s);
      },
    },
    afterStatement: (_s, s) => {
      sim = s;
    },
  });
  if (report.durable) return { lost: [], cause: '' };
  return { lost: report.lost, cause: explain(report.lost, sim!, missed, visits) };
}

function explain(lost: readonly LostRange[], sim: Simulation, missed: Set<string>, visits: Map<string, Set<string>>): string {
  const causes = new Set<string>();
  for (const r of lost) {
    const file = sim.kernel.files.find((f) => f.name === r.file);
    const idx = Math.floor(r.offset / sim.pageSize);
    const entry = file === undefined ? undefined : sim.daxEntries(file).find((e) => e.index <= idx && idx < e.index + 2 ** e.order);
    if (entry === undefined) {
      causes.add('no-entry');
      continue;
    }
    const k = `${r.file}:${entry.index}`;
    const why: string[] = [];
    if (missed.has(k)) why.push('vma-missed');
    const acts = visits.get(k);
    for (const a of MISS_ACTIONS) if (acts?.has(a) === true) why.push(a === 'skipped-private' ? 'private-skipped' : a);
    causes.add(`${entry.order > 0 ? 'pmd-entry' : 'pte-entry'}:${why.length > 0 ? why.join('+') : 'none-seen'}`);
  }
  return [...causes].sort().join(',');
}

export function combos(cfg: ExploreConfig): Combo[] {
  const out: Combo[] = [];
  for (const arch of cfg.arches) for (const mkclean of cfg.strategies) out.push({ arch, mkclean, persistence: cfg.persistence, ...(cfg.kernel !== undefined ? { kernel: cfg.kernel } : {}) });
  return out;
}

export function signatureOf(combo: Combo, cause: string): string {
  return `${combo.arch}/${combo.mkclean}/${combo.persistence}/${cause}`;
}

/** The scenario `index` for one page size (fast-check's first value for that seed). */
export function generate(cfg: ExploreConfig, index: number, pageSize: number): GenScenario {
  let value: GenScenario | undefined;
  fc.check(
    fc.property(arbFor(pageSize, cfg.statements), (g) => {
      value = g;
      return true;
    }),
    { seed: scenarioSeed(cfg.seed, index), numRuns: 1 },
  );
  return value!;
}

/** Scenarios [start, start + count) on every combo. */
export function exploreBatch(cfg: ExploreConfig, start: number, count: number): BatchResult {
  const t0 = performance.now();
  const all = combos(cfg);
  const byPage = new Map<number, Combo[]>();
  for (const c of all) {
    const ps = pageSizeOf(c.arch);
    byPage.set(ps, [...(byPage.get(ps) ?? []), c]);
  }
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let runs = 0;
  for (let k = start; k < start + count; k++) {
    const i = globalIndex(cfg, k);
    for (const [ps, cs] of byPage) {
      const g = generate(cfg, i, ps);
      for (const c of cs) {
        runs++;
        const o = runGenerated(g, c);
        if (o.lost.length === 0) continue;
        const signature = signatureOf(c, o.cause);
        if (seen.has(signature)) continue;
        seen.add(signature);
        candidates.push({ signature, combo: c, cause: o.cause, index: i, lostBytes: o.lost.reduce((a, r) => a + r.length, 0) });
      }
    }
  }
  return { scenarios: count, runs, candidates, ms: performance.now() - t0 };
}

/**
 * After fast-check's shrinker (which gets little purchase on the chained generator): greedy
 * deletion of operations, of mappings no operation needs and of processes with no mapping,
 * then simpler writes, keeping every step that still shows the same finding.
 */
export function minimize(start: GenScenario, same: (g: GenScenario) => boolean, budget = 400): GenScenario {
  let g = start;
  let tries = 0;
  const attempt = (c: GenScenario): boolean => {
    if (tries++ >= budget) return false;
    if (c.ops.length === 0 || c.mappings.length === 0 || !same(c)) return false;
    g = c;
    return true;
  };
  for (let changed = true; changed && tries < budget; ) {
    changed = false;
    for (let i = g.ops.length - 1; i >= 0; i--) if (attempt({ ...g, ops: g.ops.filter((_, j) => j !== i) })) changed = true;
    for (let m = g.mappings.length - 1; m >= 0; m--) {
      const ops = g.ops.filter((o) => !('map' in o) || o.map !== m).map((o) => ('map' in o && o.map > m ? { ...o, map: o.map - 1 } : o));
      if (attempt({ ...g, mappings: g.mappings.filter((_, j) => j !== m), ops })) changed = true;
    }
    for (let p = g.procs - 1; p >= 0 && g.procs > 1; p--) {
      if (g.mappings.some((m) => m.proc === p) || g.ops.some((o) => o.kind === 'fsync' && o.proc === p)) continue;
      const re = (x: number): number => (x > p ? x - 1 : x);
      if (attempt({ ...g, procs: g.procs - 1, mappings: g.mappings.map((m) => ({ ...m, proc: re(m.proc) })), ops: g.ops.map((o) => (o.kind === 'fsync' ? { ...o, proc: re(o.proc) } : o)) })) changed = true;
    }
    for (let i = 0; i < g.ops.length; i++) {
      const o = g.ops[i]!;
      if (o.kind !== 'write' || (o.len === 1 && o.at === 0)) continue;
      const ops = [...g.ops];
      ops[i] = { ...o, at: 0, len: 1 };
      if (attempt({ ...g, ops })) changed = true;
    }
  }
  return g;
}

function statementsOf(g: GenScenario): number {
  return 2 + g.procs + g.mappings.length + g.ops.length;
}

/** Shrinks a candidate to a small scenario with the same signature and prints it as a .dax file. */
export function shrinkCandidate(cfg: ExploreConfig, c: Candidate): Finding {
  const ps = pageSizeOf(c.combo.arch);
  const original = generate(cfg, c.index, ps);
  const same = (g: GenScenario): boolean => {
    const o = runGenerated(g, c.combo);
    return o.lost.length > 0 && signatureOf(c.combo, o.cause) === c.signature;
  };
  const res = fc.check(fc.property(arbFor(ps, cfg.statements), (g) => !same(g)), { seed: scenarioSeed(cfg.seed, c.index), numRuns: 1 });
  const g = minimize(res.failed && res.counterexample !== null ? res.counterexample[0] : original, same);
  const o = runGenerated(g, c.combo);
  const lostBytes = o.lost.reduce((a, r) => a + r.length, 0);
  const lostText = o.lost.slice(0, 4).map((r) => `${r.file}[0x${r.offset.toString(16)}+${r.length}]`).join(', ') + (o.lost.length > 4 ? ', ...' : '');
  const header = [
    `daxsim explore finding: ${c.combo.arch}, mkclean ${c.combo.mkclean}, persistence ${c.combo.persistence}`,
    `lost at the crash, although fsync/msync had promised it durable: ${lostBytes} bytes: ${lostText}`,
    `cause: ${o.cause} (DAX entry kind holding the lost bytes : what mkclean did wrong there)`,
    `found as scenario #${c.index} of 'daxsim explore --seed ${cfg.seed}${cfg.statements === 'all' ? ' --statements all' : ''}', shrunk from ${statementsOf(original)} to ${statementsOf(g)} statements`,
    `replay: daxsim run <this file> (exit 1: 'expect durable' fails; exit 0 once the bug is fixed)`,
  ];
  const body = toDax(g, ps, header).split('\n');
  const firstAction = body.findIndex((l) => !l.startsWith('#'));
  body.splice(firstAction, 0, `arch ${c.combo.arch}`, ...(c.combo.kernel !== undefined ? [`kernel ${c.combo.kernel}`] : []), `mkclean ${c.combo.mkclean}`, `persistence ${c.combo.persistence}`);
  const dax = body.join('\n').replace(/\n*$/, '\n') + 'expect durable\n';
  return { ...c, cause: o.cause, lostBytes, dax, statements: statementsOf(g), originalStatements: statementsOf(original), lost: o.lost };
}

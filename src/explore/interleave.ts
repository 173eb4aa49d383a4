// `daxsim explore --interleave`: random multi-task scenarios, each an interleaving of two or
// three tasks' statements at the named kernel points (README "Tasks, points and races").
//
// Scenario i of seed S is built from a PRNG seeded with mix(S, i): a file, two or three tasks
// (processes, or a thread of the first), their mappings and one or two statements each, then
// the schedule: at every step one task either starts its next statement (until a point drawn
// from POINTS, or to its end) or resumes at a point it is paused at. The schedule is built
// against the running model (the prefix is run again after each line, so only paused tasks
// are resumed; a point a statement never passes is dropped), and ends once every statement
// ran and no task is paused. Then the run is judged:
//   hang          a task sleeps at the end and no task can wake it;
//   stale-view    a mapping shows bytes other than the file's (read(2)) where a statement wrote;
//   lost-write    the file holds other bytes than the last store to a range (a store undone);
//   freed-block   a page-table entry maps a block that is no longer the mapped file's;
//   lost          the crash lost bytes fsync promised;
//   dmesg         the kernel log has a WARNING or BUG line.
// The first scenario of each kind is shrunk (lines dropped, `until`s removed, while the same
// kind shows) and written as a .dax whose expectation fails on the kernel that has the bug.

import { findLayout } from '../../arch/index.ts';
import { POINTS } from '../kernel/task.ts';
import { InputError } from '../scenario/errors.ts';
import { parseScenario } from '../scenario/parse.ts';
import { runScenario, type RunReport } from '../scenario/run.ts';
import type { Simulation } from '../sim/simulation.ts';

export interface InterleaveConfig {
  arch: string;
  kernel?: string;
  bugs: readonly string[];
  seed: number;
}

export type FindingKind = 'hang' | 'stale-view' | 'lost-write' | 'freed-block' | 'lost' | 'dmesg';

export interface InterleaveFinding {
  kind: FindingKind;
  /** The seed's scenario number it was first seen in. */
  index: number;
  /** The shrunk scenario as a runnable .dax file (its last expectation fails on this kernel). */
  dax: string;
  lines: number;
  originalLines: number;
  /** What the judge saw, in one line. */
  what: string;
}

/** mulberry32: a small seeded PRNG (the same draws on every machine). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ index;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A generated scenario: its fixed head (file, tasks, mappings) and the statements each task runs. */
interface Plan {
  head: string[];
  /** Per task: its name and its statements (without the leading name). */
  tasks: { name: string; stmts: string[] }[];
  /** `expect view` targets: task, mapping, offset into it. */
  views: { task: string; map: string; offset: number }[];
  /** File offsets a statement stores 8 bytes at (`expect data F O 8 written`), and who stores there. */
  stores: { task: string; offset: number }[];
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** The head and statements of scenario `index`: one 2 MiB file, mappings that may or may not hold a PMD. */
function plan(cfg: InterleaveConfig, r: () => number): Plan {
  const ps = 2 ** (findLayout(cfg.arch)?.pageShift ?? 12);
  const head = [`arch ${cfg.arch}`, ...(cfg.kernel !== undefined ? [`kernel ${cfg.kernel}`] : []), ...cfg.bugs.map((b) => `bug ${b}`), `file F size 2M${r() < 0.7 ? ' sparse' : ''}`];
  const n = r() < 0.6 ? 2 : 3;
  const tasks: Plan['tasks'] = [];
  const views: Plan['views'] = [];
  const stores: Plan['stores'] = [];
  // the ranges a mapping may cover: the whole 2 MiB (PMD faults), or one or 16 pages (PTEs only)
  const ranges = [
    [0, 2 * 1024 * 1024],
    [0, ps],
    [ps, ps],
    [16 * ps, 16 * ps],
  ] as const;
  for (let t = 0; t < n; t++) {
    const name = `T${t}`;
    const thread = t > 0 && r() < 0.3;
    head.push(thread ? `thread ${name} of T0` : `proc ${name}`);
    const [off, len] = pick(r, ranges);
    const map = `m${t}`;
    head.push(`${name} mmap ${map} F offset ${off} length ${len} rw shared`);
    const stmts: string[] = [];
    const k = r() < 0.5 ? 1 : 2;
    for (let s = 0; s < k; s++) {
      const at = Math.floor(r() * Math.min(len / ps, 2)) * ps;
      const what = r();
      if (what < 0.4) stmts.push(`write ${map} ${at} 8`);
      else if (what < 0.6) stmts.push(`read ${map} ${at} 8`);
      else if (what < 0.85) stmts.push(`pwrite F ${off + at} 8`);
      else stmts.push('fsync F');
      if (what < 0.4 || (what >= 0.6 && what < 0.85)) stores.push({ task: name, offset: off + at });
      views.push({ task: name, map, offset: at });
    }
    tasks.push({ name, stmts });
  }
  return { head, tasks, views, stores };
}

/** Runs `lines`; null when the model refuses them (bad input: a schedule that cannot be), rethrowing daxsim's own errors. */
function tryRun(lines: readonly string[], after?: (sim: Simulation) => void): RunReport | null {
  try {
    let sim: Simulation | null = null;
    const rep = runScenario(parseScenario(lines.join('\n') + '\n', 'interleave.dax'), { afterStatement: (_s, s) => void (sim = s) });
    if (sim !== null && after !== undefined) after(sim);
    return rep;
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}

/** Builds the schedule of a plan against the model: every line runs, only paused tasks resume. */
function schedule(p: Plan, r: () => number): string[] | null {
  const lines = [...p.head];
  const next = p.tasks.map(() => 0);
  let report = tryRun(lines);
  if (report === null) return null;
  for (let steps = 0; steps < 24; steps++) {
    const paused = p.tasks.filter((t) => report!.tasks[t.name]?.state === 'paused');
    const startable = p.tasks.filter((t, i) => next[i]! < t.stmts.length && (report!.tasks[t.name]?.state ?? 'idle') !== 'paused' && report!.tasks[t.name]?.state !== 'blocked');
    if (paused.length === 0 && startable.length === 0) break;
    const resume = paused.length > 0 && (startable.length === 0 || r() < 0.5);
    const t = resume ? pick(r, paused) : pick(r, startable);
    const until = r() < 0.7 ? ` until ${r() < 0.5 ? 'before' : 'after'} ${pick(r, POINTS)}` : '';
    const i = p.tasks.indexOf(t);
    const line = resume ? `${t.name} resume${until}` : `${t.name} start ${t.stmts[next[i]!]}${until}`;
    // a point the statement never passes (or a line that cannot run): the same step without `until`
    let chosen = line;
    let got = tryRun([...lines, line]);
    if (got === null && until !== '') got = tryRun([...lines, (chosen = line.slice(0, line.length - until.length))]);
    if (got === null) return null;
    lines.push(chosen);
    if (!resume) next[i]!++;
    report = got;
  }
  return lines;
}

/** What is wrong at the end of a run of `lines` (first by kind order), or null. */
function judge(p: Plan, lines: readonly string[]): { kind: FindingKind; what: string; expect: string } | null {
  let freed: string | null = null;
  const rep = tryRun(lines, (sim) => {
    const k = sim.kernel;
    for (const mm of k.mms) {
      for (const v of mm.vmas) {
        for (let va = v.start; va < v.end; va += k.pageSize) {
          const e = k.entryFor(mm, va);
          if (!e.present || k.isZeroPfn(e.pfn)) continue;
          const at = k.fileOffsetAt(e.pfn * k.pageSize);
          if (at !== undefined && at.file !== v.file && freed === null) freed = `${mm.name}'s ${v.name} maps a block of ${at.file.name}`;
        }
      }
    }
  });
  if (rep === null) return null;
  const hung = Object.entries(rep.tasks).find(([, t]) => t.hang === true);
  if (hung !== undefined) return { kind: 'hang', what: `${hung[0]} sleeps on ${hung[1].waiting_for} and nothing can wake it`, expect: `expect done ${hung[0]}` };
  if (freed !== null) return { kind: 'freed-block', what: freed, expect: 'expect dmesg none' };
  const views = p.views.filter((v) => lines.some((l) => l.startsWith(`${v.task} `)));
  for (const v of views) {
    const probe = `expect view ${v.task} ${v.map} ${v.offset} 8 file`;
    const got = tryRun([...lines, probe]);
    const e = got?.expects.find((x) => x.text === probe);
    if (e !== undefined && !e.ok) return { kind: 'stale-view', what: `${v.task} ${v.map}+${v.offset}: ${e.actual}`, expect: probe };
  }
  for (const st of p.stores.filter((x) => lines.some((l) => l.startsWith(`${x.task} `)))) {
    const probe = `expect data F ${st.offset} 8 written`;
    const e = tryRun([...lines, probe])?.expects.find((x) => x.text === probe);
    if (e !== undefined && !e.ok) return { kind: 'lost-write', what: `F+${st.offset}: ${e.actual}`, expect: probe };
  }
  // Every task's CPU fences before the crash: a pwrite's non-temporal stores still in another
  // CPU's write-combining buffer when a second task's fsync fenced its own are the model's
  // strict cross-CPU rule, not a race of the kernel's (a fault or any exception on that CPU
  // would drain them); what is lost even so was never written back.
  const fences = p.tasks.filter((t) => lines.some((l) => l.startsWith(`${t.name} `))).map((t) => `${t.name} sfence`);
  const fenced = tryRun([...lines, ...fences]);
  if (fenced !== null && !fenced.durable) return { kind: 'lost', what: `${fenced.lost.reduce((a, x) => a + x.length, 0)} bytes lost that fsync promised`, expect: [...fences, 'crash', 'expect durable'].join('\n') };
  if (rep.dmesg.some((l) => /^(WARNING|BUG):/.test(l))) return { kind: 'dmesg', what: rep.dmesg[0]!, expect: 'expect dmesg none' };
  return null;
}

/**
 * What the interleaving itself does wrong: judge's verdict, unless the same statements run one
 * after another (no `until`, no `resume`) show it too, which is no race (e.g. the model's
 * cross-CPU rule that a pwrite's non-temporal stores wait for their own CPU's fence).
 */
function raceJudge(p: Plan, lines: readonly string[]): ReturnType<typeof judge> {
  const j = judge(p, lines);
  if (j === null || j.kind === 'hang') return j;
  const sequential = lines.filter((l) => !/^\S+ resume\b/.test(l)).map((l) => l.replace(/ until (before|after) \S+$/, '').replace(/^(\S+) start /, '$1 '));
  return judge(p, sequential)?.kind === j.kind ? null : j;
}

/** The schedule with lines dropped and `until`s removed, one at a time, while `same` holds. */
function shrink(lines: string[], fixed: number, same: (ls: string[]) => boolean): string[] {
  let cur = lines;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = cur.length - 1; i >= fixed; i--) {
      const without = cur.filter((_, j) => j !== i);
      if (same(without)) {
        cur = without;
        changed = true;
        continue;
      }
      const u = cur[i]!.indexOf(' until ');
      if (u >= 0) {
        const plain = [...cur.slice(0, i), cur[i]!.slice(0, u), ...cur.slice(i + 1)];
        if (same(plain)) {
          cur = plain;
          changed = true;
        }
      }
    }
  }
  return cur;
}

export interface InterleaveResult {
  scenarios: number;
  seconds: number;
  findings: InterleaveFinding[];
  /** Seconds from the start to the first finding, or null. */
  firstFindingSeconds: number | null;
  /** Scenarios whose schedule the model refused at some line (bad input: skipped). */
  abandoned: number;
}

/** Runs scenarios 0, 1, ... of the seed until `count` ran or `seconds` passed, shrinking the first of each kind. */
export function exploreInterleavings(cfg: InterleaveConfig, limit: { count: number | null; seconds: number | null }, stop?: { stopped: boolean }): InterleaveResult {
  const t0 = performance.now();
  const findings: InterleaveFinding[] = [];
  let first: number | null = null;
  let abandoned = 0;
  let i = 0;
  for (; ; i++) {
    if (limit.count !== null && i >= limit.count) break;
    if (limit.seconds !== null && (performance.now() - t0) / 1000 >= limit.seconds) break;
    if (stop?.stopped === true) break;
    const r = prng(mix(cfg.seed, i));
    const p = plan(cfg, r);
    const lines = schedule(p, r);
    if (lines === null) {
      abandoned++;
      continue;
    }
    const j = raceJudge(p, lines);
    if (j === null || findings.some((f) => f.kind === j.kind)) continue;
    if (first === null) first = (performance.now() - t0) / 1000;
    const small = shrink(lines, p.head.findIndex((l) => l.startsWith('file ')) + 1, (ls) => raceJudge(p, ls)?.kind === j.kind);
    const final = raceJudge(p, small) ?? j;
    const header = [
      `# daxsim explore --interleave finding: ${final.kind}: ${final.what}`,
      `# scenario #${i} of 'daxsim explore --interleave --seed ${cfg.seed} --arch ${cfg.arch}${cfg.bugs.map((b) => ` --bug ${b}`).join('')}', shrunk from ${lines.length} to ${small.length} lines`,
      `# replay: daxsim run <this file> (exit 1: the last expectation fails on this kernel)`,
    ];
    findings.push({ kind: final.kind, index: i, dax: [...header, ...small, final.expect].join('\n') + '\n', lines: small.length, originalLines: lines.length, what: final.what });
  }
  return { scenarios: i, abandoned, seconds: (performance.now() - t0) / 1000, findings, firstFindingSeconds: first };
}

// `daxsim explore [--arch A|all] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--workers N]
//  [--seed S] [--count N] [--time SECONDS] [--out DIR] [--json]`: runs random scenarios (the
// property test's generator) on every arch x strategy chosen, in comlink worker threads, and
// writes each distinct durability violation, shrunk, as a .dax file that `daxsim run`
// replays (exit 1: its `expect durable` fails). Exit 1 when something was found.
// --out is checked before the search starts; each finding is written as soon as it is shrunk;
// SIGINT / SIGTERM stop handing out scenarios, the findings so far are shrunk and written, the
// summary printed, and the exit status is 130 / 143 (128 + the signal, as a shell reports it).
// A second signal exits at once (what was written stays).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findLayout, layouts } from '../../../arch/index.ts';
import { ALL_STRATEGIES, STRATEGIES, type Strategy } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { explore, type Progress } from '../../explore/pool.ts';
import { exploreInterleavings } from '../../explore/interleave.ts';
import type { ExploreConfig, Finding } from '../../explore/engine.ts';
import { parseNumber } from '../../scenario/parse.ts';
import { writeOutput } from '../../report/dumps.ts';
import { MACHINE_OPTIONS, oneOf, parseCommandArgs } from '../args.ts';
import { checkBugs } from './bugs.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { jsonText } from '../json.ts';
import { checkOutputDir } from '../output.ts';
import { workerLimit } from '../workers.ts';

/** Where findings go without --out (relative to the working directory). */
export const DEFAULT_OUT = 'explore-findings';

const USAGE = 'explore [--arch A|all] [--kernel 6.1|5.19|5.17] [--mkclean S|all] [--persistence adr|eadr] [--workers N] [--seed S] [--count N] [--time SECONDS] [--shard I/N] [--out DIR] [--interleave [--bug NAME]...] [--json]';

/** Exit status after a signal: 128 + its number (SIGINT 2, SIGTERM 15). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;


function count(option: string, v: string | undefined, min: number, max: number, why?: string): number | null {
  if (v === undefined) return null;
  const n = parseNumber(v, 'explore', `--${option}`);
  if (n < min || n > max) throw new InputError('explore', `--${option} must be between ${min} and ${max}${why !== undefined ? ` (${why})` : ''}, not ${n}`);
  return n;
}

export function fileNameFor(signature: string): string {
  return signature.replace(/[^A-Za-z0-9_.]+/g, '-').replace(/^-|-$/g, '') + '.dax';
}

function bar(p: Progress, width = 28): string {
  const full = Math.round(p.fraction * width);
  const rate = p.elapsed > 0 ? p.scenarios / p.elapsed : 0;
  if (p.phase === 'start') return `[${'.'.repeat(width)}] starting workers`;
  const what = p.phase === 'shrink' ? 'shrinking' : `${(p.fraction * 100).toFixed(0).padStart(3)}%`;
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${what} ${p.scenarios} scenarios, ${rate.toFixed(1)}/s, ${p.findings} finding${p.findings === 1 ? '' : 's'}, ${p.elapsed.toFixed(0)}s`;
}

export const command: Command = {
  summary: 'search random scenarios for durability violations (worker threads), write each shrunk as .dax',
  async run(args) {
    const { values } = parseCommandArgs('explore', args, {
      ...MACHINE_OPTIONS,
      workers: { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string' },
      time: { type: 'string' },
      out: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean' },
      interleave: { type: 'boolean' },
      bug: { type: 'string', multiple: true },
    }, { min: 0, max: 0, usage: USAGE });
    if (values.bug !== undefined && values.interleave !== true) throw new InputError('explore', '--bug needs --interleave (the random search runs the kernels --mkclean and --kernel choose)');
    const tty = process.stderr.isTTY === true;
    const archSel = values.arch ?? (values.interleave === true ? 'x86_64' : 'all');
    if (archSel !== 'all' && findLayout(archSel) === undefined) throw new InputError('explore', `unknown arch '${archSel}' (known: ${layouts.map((l) => l.name).join(', ')}, all)`);
    const arches = archSel === 'all' ? layouts.map((l) => l.name) : [archSel];
    const mkSel = values.mkclean ?? 'all';
    const strategies: Strategy[] = mkSel === 'all' ? [...STRATEGIES] : [oneOf('explore', 'mkclean', mkSel, ALL_STRATEGIES)!];
    const persistence = oneOf('explore', 'persistence', values.persistence, ['adr', 'eadr'] as const) ?? 'adr';
    const limit = workerLimit();
    const workers = count('workers', values.workers, 0, limit.max, limit.why) ?? limit.max;
    const seed = count('seed', values.seed, 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
    let total = count('count', values.count, 1, 10_000_000);
    const seconds = count('time', values.time, 1, 7 * 24 * 3600);
    if (total === null && seconds === null) total = 200;
    const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
    // A shard runs the seed's scenarios I, I + N, ... below the count: this many of them.
    const scenarios = total === null || shard === undefined ? total : Math.max(0, Math.ceil((total - shard.index) / shard.count));
    const out = values.out ?? DEFAULT_OUT;
    checkOutputDir('explore', 'out', out);
    const kernel = oneOf('explore', 'kernel', values.kernel, KERNEL_VERSIONS);
    if (values.interleave === true) {
      if (arches.length !== 1 || shard !== undefined) throw new InputError('explore', '--interleave searches one --arch, unsharded');
      return interleave({ arch: arches[0]!, ...(kernel !== undefined ? { kernel } : {}), bugs: checkBugs('explore', values.bug) ?? [], seed }, { count: total, seconds }, out, values.json === true);
    }
    const cfg: ExploreConfig = { arches, strategies, persistence, seed, ...(kernel !== undefined ? { kernel } : {}), ...(shard !== undefined ? { shard } : {}) };

    const files = new Map<Finding, string>();
    const write = (f: Finding): void => {
      try {
        mkdirSync(out, { recursive: true });
      } catch (e) {
        throw new InputError('explore', `cannot create ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const file = path.join(out, fileNameFor(f.signature));
      writeOutput('explore', file, f.dax);
      files.set(f, file);
    };
    const stop = { stopped: false };
    let signal: keyof typeof SIGNAL_EXIT | null = null;
    const onSignal = (s: keyof typeof SIGNAL_EXIT): void => {
      if (signal !== null) process.exit(SIGNAL_EXIT[s]); // the second: at once
      signal = s;
      stop.stopped = true;
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}explore: ${s}: stopping; the findings so far are shrunk and written (again to quit at once)\n`);
    };
    const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };

    let last = 0;
    const onProgress = (p: Progress): void => {
      const now = performance.now();
      if (tty) {
        if (now - last < 100 && p.fraction < 1) return;
        last = now;
        process.stderr.write(`\r${bar(p)}\x1b[K`);
      } else if (now - last >= 10_000) {
        if (last !== 0) process.stderr.write(`explore: ${bar(p).replace(/^\[[#.]*\] /, '')}\n`);
        last = now;
      }
    };
    last = tty ? 0 : performance.now();
    process.on('SIGINT', handlers.SIGINT);
    process.on('SIGTERM', handlers.SIGTERM);
    let res;
    try {
      res = await explore(cfg, { count: scenarios, seconds }, workers, { onProgress, onFinding: write, stop });
    } finally {
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
    }
    if (tty) process.stderr.write('\r\x1b[K');
    const fileOf = (f: Finding): string => files.get(f) ?? '';
    const rate = res.searchSeconds > 0 ? res.scenarios / res.searchSeconds : 0;
    const summary: ExploreSummary = {
          seed,
          arches,
          mkclean: strategies,
          persistence,
          count: total,
          shard: shard ?? null,
          workers: res.workers,
          scenarios: res.scenarios,
          runs: res.runs,
          seconds: Number(res.elapsed.toFixed(3)),
          startup_seconds: Number(res.startupSeconds.toFixed(3)),
          search_seconds: Number(res.searchSeconds.toFixed(3)),
          scenarios_per_second: Number(rate.toFixed(2)),
          per_worker: res.perWorker.map((w) => ({ startup_seconds: Number(w.startupSeconds.toFixed(3)), scenarios: w.scenarios, batches: w.batches, busy_seconds: Number(w.busySeconds.toFixed(3)) })),
          findings: res.findings.map((f) => ({
            signature: f.signature,
            arch: f.combo.arch,
            mkclean: f.combo.mkclean,
            persistence: f.combo.persistence,
            cause: f.cause,
            lost_bytes: f.lostBytes,
            lost: f.lost,
            scenario: f.index,
            statements: f.statements,
            original_statements: f.originalStatements,
            file: fileOf(f),
          })),
          out,
          stopped_by: signal,
    };
    // A shard leaves its summary next to its findings, for explore-merge.
    if (shard !== undefined) {
      mkdirSync(out, { recursive: true });
      writeOutput('explore', path.join(out, SUMMARY_FILE), jsonText(summary, 2));
    }
    if (values.json === true) process.stdout.write(jsonText(summary));
    else {
      const head = `explore: seed ${seed}${shard !== undefined ? `, shard ${shard.index}/${shard.count}` : ''}, ${res.scenarios} scenarios x ${arches.length * strategies.length} settings = ${res.runs} runs in ${res.searchSeconds.toFixed(1)} s (${rate.toFixed(1)} scenarios/s, ${res.workers === 0 ? 'in-process' : `${res.workers} worker${res.workers === 1 ? '' : 's'}, started in ${res.startupSeconds.toFixed(1)} s`}), shrinking ${res.findings.length} in ${(res.elapsed - res.searchSeconds).toFixed(1)} s`;
      process.stdout.write(summaryText(head, summary));
    }
    if (signal !== null) return SIGNAL_EXIT[signal];
    return res.findings.length > 0 ? 1 : 0;
  },
};

/** What explore --json prints, and what a shard writes to DIR/explore-summary.json. */
export interface ExploreSummary {
  seed: number;
  arches: string[];
  mkclean: string[];
  persistence: string;
  /** --count (the whole seed's, for a shard too), or null with --time alone. */
  count: number | null;
  shard: { index: number; count: number } | null;
  workers: number;
  scenarios: number;
  runs: number;
  seconds: number;
  startup_seconds: number;
  search_seconds: number;
  scenarios_per_second: number;
  per_worker: Array<{ startup_seconds: number; scenarios: number; batches: number; busy_seconds: number }>;
  findings: Array<{ signature: string; arch: string; mkclean: string; persistence: string; cause: string; lost_bytes: number; lost: unknown[]; scenario: number; statements: number; original_statements: number; file: string }>;
  out: string;
  stopped_by: string | null;
}

export const SUMMARY_FILE = 'explore-summary.json';

/** The text report: a head line, then one line per finding. */
export function summaryText(head: string, s: ExploreSummary): string {
  const lines = [
    head,
    s.findings.length === 0 ? 'no durability violation found' : `${s.findings.length} distinct violation${s.findings.length === 1 ? '' : 's'} (arch/mkclean/persistence/cause), replay with: daxsim run FILE`,
    ...(s.stopped_by !== null ? [`stopped by ${s.stopped_by} after ${s.scenarios} scenarios`] : []),
    ...s.findings.map((f) => `  ${`${f.arch}/${f.mkclean}/${f.persistence}`.padEnd(26)} ${f.cause.padEnd(24)} lost ${String(f.lost_bytes).padStart(4)} bytes  #${f.scenario}, ${f.statements} statements  ${f.file}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * explore --interleave (src/explore/interleave.ts), in this thread: each kind of finding
 * written to DIR as soon as it is shrunk, a summary with the seconds to the first one.
 */
function interleave(cfg: Parameters<typeof exploreInterleavings>[0], limit: { count: number | null; seconds: number | null }, out: string, json: boolean): number {
  const res = exploreInterleavings(cfg, limit);
  const files = res.findings.map((f) => {
    mkdirSync(out, { recursive: true });
    const file = path.join(out, fileNameFor(`interleave-${cfg.arch}-${[...cfg.bugs, f.kind].join('-')}`));
    writeOutput('explore', file, f.dax);
    return file;
  });
  const summary = {
    seed: cfg.seed,
    arch: cfg.arch,
    bugs: cfg.bugs,
    scenarios: res.scenarios,
    abandoned: res.abandoned,
    seconds: Number(res.seconds.toFixed(3)),
    scenarios_per_second: Number((res.scenarios / Math.max(res.seconds, 1e-9)).toFixed(2)),
    first_finding_seconds: res.firstFindingSeconds === null ? null : Number(res.firstFindingSeconds.toFixed(3)),
    findings: res.findings.map((f, i) => ({ kind: f.kind, what: f.what, scenario: f.index, lines: f.lines, original_lines: f.originalLines, file: files[i]! })),
    out,
  };
  if (json) process.stdout.write(jsonText(summary));
  else {
    const lines = [
      `explore --interleave: seed ${cfg.seed}, ${cfg.arch}${cfg.bugs.length > 0 ? `, bug ${cfg.bugs.join(', ')}` : ''}, ${res.scenarios} interleavings in ${res.seconds.toFixed(1)} s (${summary.scenarios_per_second} /s, in this thread)`,
      res.findings.length === 0 ? 'nothing found: no hang, stale mapping, freed block mapped, loss or kernel warning' : `${res.findings.length} finding${res.findings.length === 1 ? '' : 's'}, the first after ${summary.first_finding_seconds} s; replay with: daxsim run FILE`,
      ...summary.findings.map((f) => `  ${f.kind.padEnd(12)} #${f.scenario}, ${f.lines} lines  ${f.what}  ${f.file}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return res.findings.length > 0 ? 1 : 0;
}

/** `I/N` with 0 <= I < N. */
function parseShard(v: string): { index: number; count: number } {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
  const index = m !== null ? Number(m[1]) : NaN;
  const n = m !== null ? Number(m[2]) : NaN;
  if (!(n >= 1 && n <= 1_000_000 && index >= 0 && index < n)) throw new InputError('explore', `--shard must be I/N with 0 <= I < N <= 1000000, not '${v}'`);
  return { index, count: n };
}

// `daxsim explore [--arch A|all] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--workers N]
//  [--seed S] [--count N] [--time SECONDS] [--out DIR] [--json]`: runs random scenarios (the
// property test's generator) on every arch x strategy chosen, in comlink worker threads, and
// writes each distinct durability violation, shrunk, as a .dax file that `daxsim run`
// replays (exit 1: its `expect durable` fails). Exit 1 when something was found.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findLayout, layouts } from '../../../arch/index.ts';
import { ALL_STRATEGIES, STRATEGIES, type Strategy } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { defaultWorkers, explore, type Progress } from '../../explore/pool.ts';
import type { ExploreConfig } from '../../explore/engine.ts';
import { parseNumber } from '../../scenario/parse.ts';
import { writeOutput } from '../../report/dumps.ts';
import { oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';

const USAGE = 'explore [--arch A|all] [--kernel 6.1|5.19|5.17] [--mkclean S|all] [--persistence adr|eadr] [--workers N] [--seed S] [--count N] [--time SECONDS] [--out DIR] [--json]';

function count(option: string, v: string | undefined, min: number, max: number): number | null {
  if (v === undefined) return null;
  const n = parseNumber(v, 'explore', `--${option}`);
  if (n < min || n > max) throw new InputError('explore', `--${option} must be between ${min} and ${max}, not ${n}`);
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
      arch: { type: 'string' },
      kernel: { type: 'string' },
      mkclean: { type: 'string' },
      persistence: { type: 'string' },
      workers: { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string' },
      time: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    }, { min: 0, max: 0, usage: USAGE });
    const archSel = values.arch ?? 'all';
    if (archSel !== 'all' && findLayout(archSel) === undefined) throw new InputError('explore', `unknown arch '${archSel}' (known: ${layouts.map((l) => l.name).join(', ')}, all)`);
    const arches = archSel === 'all' ? layouts.map((l) => l.name) : [archSel];
    const mkSel = values.mkclean ?? 'all';
    const strategies: Strategy[] = mkSel === 'all' ? [...STRATEGIES] : [oneOf('explore', 'mkclean', mkSel, ALL_STRATEGIES)!];
    const persistence = oneOf('explore', 'persistence', values.persistence, ['adr', 'eadr'] as const) ?? 'adr';
    const workers = count('workers', values.workers, 0, 256) ?? defaultWorkers();
    const seed = count('seed', values.seed, 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
    let scenarios = count('count', values.count, 1, 10_000_000);
    const seconds = count('time', values.time, 1, 7 * 24 * 3600);
    if (scenarios === null && seconds === null) scenarios = 200;
    const out = values.out ?? 'explore-findings';
    const kernel = oneOf('explore', 'kernel', values.kernel, KERNEL_VERSIONS);
    const cfg: ExploreConfig = { arches, strategies, persistence, seed, ...(kernel !== undefined ? { kernel } : {}) };

    const tty = process.stderr.isTTY === true;
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
    const res = await explore(cfg, { count: scenarios, seconds }, workers, onProgress);
    if (tty) process.stderr.write('\r\x1b[K');

    const files: string[] = [];
    if (res.findings.length > 0) {
      try {
        mkdirSync(out, { recursive: true });
      } catch (e) {
        throw new InputError('explore', `cannot create ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      for (const f of res.findings) {
        const file = path.join(out, fileNameFor(f.signature));
        writeOutput('explore', file, f.dax);
        files.push(file);
      }
    }
    const rate = res.searchSeconds > 0 ? res.scenarios / res.searchSeconds : 0;
    if (values.json === true) {
      process.stdout.write(
        JSON.stringify({
          seed,
          arches,
          mkclean: strategies,
          persistence,
          workers: res.workers,
          scenarios: res.scenarios,
          runs: res.runs,
          seconds: Number(res.elapsed.toFixed(3)),
          startup_seconds: Number(res.startupSeconds.toFixed(3)),
          search_seconds: Number(res.searchSeconds.toFixed(3)),
          scenarios_per_second: Number(rate.toFixed(2)),
          per_worker: res.perWorker.map((w) => ({ startup_seconds: Number(w.startupSeconds.toFixed(3)), scenarios: w.scenarios, batches: w.batches, busy_seconds: Number(w.busySeconds.toFixed(3)) })),
          findings: res.findings.map((f, i) => ({
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
            file: files[i],
          })),
        }) + '\n',
      );
    } else {
      const lines = [
        `explore: seed ${seed}, ${res.scenarios} scenarios x ${arches.length * strategies.length} settings = ${res.runs} runs in ${res.searchSeconds.toFixed(1)} s (${rate.toFixed(1)} scenarios/s, ${res.workers === 0 ? 'in-process' : `${res.workers} worker${res.workers === 1 ? '' : 's'}, started in ${res.startupSeconds.toFixed(1)} s`}), shrinking ${res.findings.length} in ${(res.elapsed - res.searchSeconds).toFixed(1)} s`,
        res.findings.length === 0 ? 'no durability violation found' : `${res.findings.length} distinct violation${res.findings.length === 1 ? '' : 's'} (arch/mkclean/persistence/cause), replay with: daxsim run FILE`,
        ...res.findings.map((f, i) => `  ${`${f.combo.arch}/${f.combo.mkclean}/${f.combo.persistence}`.padEnd(26)} ${f.cause.padEnd(24)} lost ${String(f.lostBytes).padStart(4)} bytes  #${f.index}, ${f.statements} statements  ${files[i]}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return res.findings.length > 0 ? 1 : 0;
  },
};

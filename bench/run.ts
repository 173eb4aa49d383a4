// Runs the benchmark.js suites in bench/*.bench.ts.
//   npm run bench                        a table for humans
//   npm run bench -- --filter walk       only cases whose name contains "walk" (a regular expression)
//   npm run bench -- --json out.json     also writes {"schema": 2, "machine": {...}, "cases": [...]}
//   npm run bench -- --list              the case names, one a line
//   npm run bench -- --help              usage; a --filter matching no case is exit 2
import Benchmark from 'benchmark';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCase } from './case.ts';
import { InputError } from '../src/cli/errors.ts';
import { checkOutputFile } from '../src/cli/output.ts';

interface CaseResult {
  name: string;
  hz: number;
  rme: number;
  samples: number;
  mean_s: number;
  [extra: string]: number | string;
}

async function loadCases(): Promise<BenchCase[]> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const all: BenchCase[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { cases: BenchCase[] };
    all.push(...mod.cases);
  }
  return all;
}

const USAGE = `usage: npm run bench -- [--filter REGEXP] [--list] [--json FILE] [--max-time SECONDS]

options:
  --filter REGEXP       only the cases whose name matches (a JavaScript regular expression)
  --list                print the case names (after --filter) and exit
  --json FILE           also write {"schema": 2, "machine": {...}, "cases": [...]} to FILE
  --max-time SECONDS    benchmark.js time per case (default 2)
  -h, --help            print this help and exit 0
`;

class UsageError extends Error {}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { json: { type: 'string' }, filter: { type: 'string' }, 'max-time': { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message.split('\n')[0] : String(e)} (npm run bench -- --help)`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  let filter: RegExp | null = null;
  try {
    filter = values.filter !== undefined ? new RegExp(values.filter) : null;
  } catch {
    throw new UsageError(`--filter: '${values.filter}' is not a regular expression`);
  }
  const maxTime = values['max-time'] !== undefined ? Number(values['max-time']) : 2;
  if (!(maxTime > 0)) throw new UsageError(`--max-time: '${values['max-time']}' is not a positive number of seconds`);
  if (values.json !== undefined) {
    try {
      checkOutputFile('bench', 'json', values.json);
    } catch (e) {
      throw e instanceof InputError ? new UsageError(e.message) : e;
    }
  }
  const all = await loadCases();
  const cases = all.filter((c) => filter === null || filter.test(c.name));
  if (cases.length === 0) throw new UsageError(`--filter '${values.filter}' matches none of the ${all.length} cases (npm run bench -- --list)`);
  if (values.list === true) {
    process.stdout.write(cases.map((c) => c.name).join('\n') + '\n');
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    if (tty) process.stderr.write(`\r[${i + 1}/${cases.length}] ${c.name}\x1b[K`);
    c.setup?.();
    const b = new Benchmark(c.name, c.fn, { maxTime, minSamples: c.minSamples ?? 5 });
    b.run();
    const r: CaseResult = { name: c.name, hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, mean_s: b.stats.mean };
    if (c.extra) Object.assign(r, c.extra());
    results.push(r);
    const extras = c.extra ? ' ' + Object.entries(c.extra()).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${c.name.padEnd(40)} ${formatHz(b.hz).padStart(14)}/s ±${b.stats.rme.toFixed(1)}% (${b.stats.sample.length} samples)${extras}\n`);
  }
  if (values.json !== undefined) {
    const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', platform: `${os.platform()} ${os.arch()}`, memory_bytes: os.totalmem() };
    writeFileSync(values.json, JSON.stringify({ schema: 2, machine, cases: results }, null, 2) + '\n');
  }
  return 0;
}

function formatHz(hz: number): string {
  if (hz >= 1e6) return `${(hz / 1e6).toFixed(2)} M`;
  if (hz >= 1e3) return `${(hz / 1e3).toFixed(2)} k`;
  return hz.toFixed(2);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // bad usage is exit 2; anything else is a bug in a case or the harness, exit 3
    process.stderr.write(`daxsim: bench: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 3;
  },
);

// Runs the benchmark.js suites in bench/*.bench.ts.
//   npm run bench                        a table for humans
//   npm run bench -- --filter walk       only cases whose name contains "walk" (a regular expression)
//   npm run bench -- --json out.json     also writes {"machine": {...}, "cases": [...]}
import Benchmark from 'benchmark';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCase } from './case.ts';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'string' }, filter: { type: 'string' }, 'max-time': { type: 'string' } },
  });
  const filter = values.filter !== undefined ? new RegExp(values.filter) : null;
  const maxTime = values['max-time'] !== undefined ? Number(values['max-time']) : 2;
  const cases = (await loadCases()).filter((c) => filter === null || filter.test(c.name));
  const results: CaseResult[] = [];
  for (const c of cases) {
    c.setup?.();
    const b = new Benchmark(c.name, c.fn, { maxTime, minSamples: c.minSamples ?? 5 });
    b.run();
    const r: CaseResult = { name: c.name, hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, mean_s: b.stats.mean };
    if (c.extra) Object.assign(r, c.extra());
    results.push(r);
    const extras = c.extra ? ' ' + Object.entries(c.extra()).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    process.stdout.write(`${c.name.padEnd(40)} ${formatHz(b.hz).padStart(14)}/s ±${b.stats.rme.toFixed(1)}% (${b.stats.sample.length} samples)${extras}\n`);
  }
  if (values.json !== undefined) {
    const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', platform: `${os.platform()} ${os.arch()}`, memory_bytes: os.totalmem() };
    writeFileSync(values.json, JSON.stringify({ machine, cases: results }, null, 2) + '\n');
  }
}

function formatHz(hz: number): string {
  if (hz >= 1e6) return `${(hz / 1e6).toFixed(2)} M`;
  if (hz >= 1e3) return `${(hz / 1e3).toFixed(2)} k`;
  return hz.toFixed(2);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});

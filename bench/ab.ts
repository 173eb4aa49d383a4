// Before / after in one process: the same benchmark cases from another checkout of daxsim
// (BASE) and from this one, alternated round by round, timed in CPU time of this thread so that
// the load of other processes on a shared machine counts in neither. Prints each case's rate in
// both, the ratio new / base as min/median/max over the rounds, and whether the kernel-side
// counts (the cases' extras) are identical.
//
//   git archive main | (mkdir -p /tmp/base && tar -x -C /tmp/base) && ln -s "$PWD/node_modules" /tmp/base/
//   npx tsx bench/ab.ts /tmp/base '^mkclean-range-x86_64-512$' [ROUNDS] [MS_PER_ROUND]
//
// Cases run one after the other in the same process, so a case's JIT feedback can be shaped by
// the cases before it: for figures, run one case per invocation.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase } from './case.ts';

async function load(root: string): Promise<BenchCase[]> {
  const dir = join(root, 'bench');
  const all: BenchCase[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.bench.ts')).sort()) {
    all.push(...((await import(pathToFileURL(join(dir, f)).href)) as { cases: BenchCase[] }).cases);
  }
  return all;
}

/** Operations per CPU-second of this process, over `ms` milliseconds of its CPU time. */
function rate(c: BenchCase, ms: number): number {
  let n = 0;
  let t = 0;
  const c0 = process.cpuUsage();
  while (t < ms * 1000) {
    for (let i = 0; i < 10; i++) c.fn();
    n += 10;
    const u = process.cpuUsage(c0);
    t = u.user + u.system;
  }
  return (n * 1e6) / t;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** The extras without the timing ones (fsync_per_s is wall-clock and differs run to run). */
function counts(c: BenchCase): string {
  const e = { ...(c.extra?.() ?? {}) };
  delete e.fsync_per_s;
  return JSON.stringify(e);
}

const [baseArg, filterArg, roundsArg, msArg] = process.argv.slice(2);
if (baseArg === undefined || filterArg === undefined) {
  process.stderr.write('usage: npx tsx bench/ab.ts BASE_DIR FILTER_REGEXP [ROUNDS=5] [MS_PER_ROUND=400]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 5);
const ms = Number(msArg ?? 400);
const filter = new RegExp(filterArg);
const base = await load(resolve(baseArg));
const mine = await load(join(dirname(fileURLToPath(import.meta.url)), '..'));
for (const b of mine.filter((c) => filter.test(c.name))) {
  const a = base.find((c) => c.name === b.name);
  if (a === undefined) {
    process.stdout.write(`${b.name}: not in ${baseArg}\n`);
    continue;
  }
  a.setup?.();
  b.setup?.();
  rate(a, ms);
  rate(b, ms); // warm-up of both
  const ra: number[] = [];
  const rb: number[] = [];
  const ratio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = rate(a, ms);
    const y = rate(b, ms);
    ra.push(x);
    rb.push(y);
    ratio.push(y / x);
  }
  const f = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}/${median(xs).toFixed(2)}/${Math.max(...xs).toFixed(2)}`;
  const same = counts(a) === counts(b);
  process.stdout.write(`${b.name}: base ${median(ra).toPrecision(4)}/s, this ${median(rb).toPrecision(4)}/s per CPU-second; this/base min/median/max ${f(ratio)}; counts ${same ? 'identical' : `DIFFER: ${counts(a)} vs ${counts(b)}`}\n`);
}

// Before / after in one run: the same benchmark case from another checkout of daxsim (BASE)
// and from this one, each round in a fresh process (base, this, base, this, ...), timed in CPU
// time of that process so that the load of other processes on a shared machine counts in
// neither. Prints each side's median rate, the ratio this / base as min/median/max over the
// rounds (round i's this over round i's base), and whether the kernel-side counts (the
// cases' extras) are identical. Fresh processes because two rigs in one process are not
// measured alike: the same code set up second ran 0.8x the first in one process.
//
//   git archive main | (mkdir -p /tmp/base && tar -x -C /tmp/base) && ln -s "$PWD/node_modules" /tmp/base/
//   npx tsx bench/ab.ts /tmp/base '^mkclean-range-x86_64-512$' [ROUNDS=5] [MS_PER_ROUND=500]
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
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

/** Child: one case of one tree, warmed up, then one measured round; prints {"rate", "counts"}. */
async function child(root: string, name: string, ms: number): Promise<void> {
  const c = (await load(root)).find((x) => x.name === name);
  if (c === undefined) {
    process.stdout.write(JSON.stringify({ rate: 0, counts: 'missing' }) + '\n');
    return;
  }
  c.setup?.();
  rate(c, ms / 2);
  const r = rate(c, ms);
  process.stdout.write(JSON.stringify({ rate: r, counts: counts(c) }) + '\n');
}

function runChild(root: string, name: string, ms: number): { rate: number; counts: string } {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', root, name, String(ms)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as { rate: number; counts: string };
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1]!, args[2]!, Number(args[3]));
} else {
  const [baseArg, filterArg, roundsArg, msArg] = args;
  if (baseArg === undefined || filterArg === undefined) {
    process.stderr.write('usage: npx tsx bench/ab.ts BASE_DIR FILTER_REGEXP [ROUNDS=5] [MS_PER_ROUND=500]\n');
    process.exit(2);
  }
  const rounds = Number(roundsArg ?? 5);
  const ms = Number(msArg ?? 500);
  const filter = new RegExp(filterArg);
  const here = join(dirname(fileURLToPath(import.meta.url)), '..');
  const base = resolve(baseArg);
  for (const b of (await load(here)).filter((c) => filter.test(c.name))) {
    const ra: number[] = [];
    const rb: number[] = [];
    const ratio: number[] = [];
    let same = true;
    let first = '';
    for (let r = 0; r < rounds; r++) {
      const x = runChild(base, b.name, ms);
      const y = runChild(here, b.name, ms);
      if (x.counts === 'missing') break;
      ra.push(x.rate);
      rb.push(y.rate);
      ratio.push(y.rate / x.rate);
      same &&= x.counts === y.counts;
      if (r === 0) first = `${x.counts} vs ${y.counts}`;
    }
    if (ra.length === 0) {
      process.stdout.write(`${b.name}: not in ${baseArg}\n`);
      continue;
    }
    const f = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}/${median(xs).toFixed(2)}/${Math.max(...xs).toFixed(2)}`;
    process.stdout.write(`${b.name}: base ${median(ra).toPrecision(4)}/s, this ${median(rb).toPrecision(4)}/s per CPU-second; this/base min/median/max ${f(ratio)} over ${ra.length} rounds; counts ${same ? 'identical' : `DIFFER: ${first}`}\n`);
  }
}

// `daxsim explore-merge DIR... [--out DIR] [--json]`: merges the shards of one explore run
// (`explore --shard I/N --seed S --count C --out DIR_I`, each leaving DIR_I/explore-summary.json
// and its findings) into the result one machine would have produced for that seed and count.
// A finding's signature is the same in every shard and its shrunk scenario depends only on
// (seed, scenario number), so the merge keeps, per signature, the finding of the lowest
// scenario number, copies its .dax into --out, and adds up the counts. The shards must agree
// on seed, count, arches, strategies and persistence, and be I = 0 .. N-1 of one N, each once.
// Exit 1 when there is a finding, as explore.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeOutput } from '../../report/dumps.ts';
import { parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { jsonText } from '../json.ts';
import { checkOutputDir } from '../output.ts';
import { DEFAULT_OUT, fileNameFor, SUMMARY_FILE, summaryText, type ExploreSummary } from './explore.ts';

const USAGE = 'explore-merge DIR... [--out DIR] [--json]';

function readSummary(dir: string): ExploreSummary {
  const file = path.join(dir, SUMMARY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'}): not the --out of an 'explore --shard' run`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(file, 'not JSON');
  }
  const d = doc as Partial<ExploreSummary> & { schema?: unknown };
  if (d.schema !== 2 || typeof d.seed !== 'number' || !Array.isArray(d.findings) || d.shard === undefined) throw new InputError(file, 'not an explore summary ("schema": 2)');
  return d as ExploreSummary;
}

export const command: Command = {
  summary: 'merge the summaries and findings of explore --shard runs into the one-machine result',
  async run(args) {
    const { values, positionals } = parseCommandArgs('explore-merge', args, { out: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 10_000, usage: USAGE });
    const out = values.out ?? DEFAULT_OUT;
    checkOutputDir('explore-merge', 'out', out);
    const shards = positionals.map((dir) => ({ dir, s: readSummary(dir) }));
    const first = shards[0]!.s;
    const key = (s: ExploreSummary): string => JSON.stringify([s.seed, s.count, s.arches, s.mkclean, s.persistence, s.shard?.count ?? null]);
    const seen = new Set<number>();
    for (const { dir, s } of shards) {
      if (s.shard === null) throw new InputError(dir, 'this run was not sharded (explore --shard I/N)');
      if (key(s) !== key(first)) throw new InputError(dir, `shard of another run: seed ${s.seed}, count ${s.count}, ${s.shard.count} shards, not seed ${first.seed}, count ${first.count}, ${first.shard!.count} shards (and the same --arch, --mkclean, --persistence)`);
      if (seen.has(s.shard.index)) throw new InputError(dir, `shard ${s.shard.index}/${s.shard.count} given twice`);
      seen.add(s.shard.index);
    }
    const n = first.shard!.count;
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
    if (missing.length > 0) throw new InputError('explore-merge', `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: the merge would not be what one machine finds`);

    const best = new Map<string, { dir: string; f: ExploreSummary['findings'][number] }>();
    for (const { dir, s } of shards) {
      for (const f of s.findings) {
        const old = best.get(f.signature);
        if (old === undefined || f.scenario < old.f.scenario) best.set(f.signature, { dir, f });
      }
    }
    const findings = [...best.values()].sort((a, b) => (a.f.signature < b.f.signature ? -1 : 1));
    if (findings.length > 0) mkdirSync(out, { recursive: true });
    const merged = findings.map(({ dir, f }) => {
      const src = path.join(dir, path.basename(f.file));
      let dax: string;
      try {
        dax = readFileSync(src, 'utf8');
      } catch (e) {
        throw new InputError(src, `cannot read the finding (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const file = path.join(out, fileNameFor(f.signature));
      writeOutput('explore-merge', file, dax);
      return { ...f, file };
    });
    const sum = (k: 'scenarios' | 'runs'): number => shards.reduce((a, { s }) => a + s[k], 0);
    const search = Math.max(...shards.map(({ s }) => s.search_seconds));
    const summary: ExploreSummary = {
      ...first,
      shard: null,
      workers: shards.reduce((a, { s }) => a + s.workers, 0),
      scenarios: sum('scenarios'),
      runs: sum('runs'),
      seconds: Math.max(...shards.map(({ s }) => s.seconds)),
      startup_seconds: Math.max(...shards.map(({ s }) => s.startup_seconds)),
      search_seconds: search,
      scenarios_per_second: Number(shards.reduce((a, { s }) => a + s.scenarios_per_second, 0).toFixed(2)),
      per_worker: shards.flatMap(({ s }) => s.per_worker),
      findings: merged,
      out,
      stopped_by: shards.map(({ s }) => s.stopped_by).find((x) => x !== null) ?? null,
    };
    if (values.json === true) process.stdout.write(jsonText(summary));
    else process.stdout.write(summaryText(`explore-merge: seed ${first.seed}, ${n} shards, ${summary.scenarios} scenarios x ${first.arches.length * first.mkclean.length} settings = ${summary.runs} runs`, summary));
    return merged.length > 0 ? 1 : 0;
  },
};

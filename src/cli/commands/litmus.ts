// `daxsim litmus <file.litmus> [--json] [--workers N]`: every persistent-memory state that may
// be observed after the crash (README, "Language reference": `.litmus`), then the verdict of
// the file's herd7-style condition (`exists`, `~exists`, `forall`: Ok / No with the witnessing
// states) and of its `# expect:` outcome set (printed only when it fails); exit 1 when either
// fails. --workers N > 0
// explores a big test (more than SMALL_STATES machine states) over N comlink worker threads;
// 0, the default, explores in this thread: measured on a 2-core machine, the partitioned
// search (litmus/parallel.ts) does not yet beat one thread, so it is opt-in.
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { jsonText } from '../json.ts';
import { judge, type Verdict } from '../../litmus/condition.ts';
import { exploreParallel, formatState, readLitmusFile, toJson } from '../../litmus/index.ts';
import { parseCommandArgs } from '../args.ts';
import { workerLimit } from '../workers.ts';

const USAGE = 'litmus <file.litmus> [--json] [--workers N]';

export const command: Command = {
  summary: 'every pmem state observable after a crash, and the verdict of the test\'s condition',
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseCommandArgs('litmus', args, { json: { type: 'boolean' }, workers: { type: 'string' } }, { min: 1, max: 1, usage: USAGE });
    let workers = 0;
    if (values.workers !== undefined) {
      const w = values.workers;
      const max = workerLimit().max;
      if (!/^[0-9]+$/.test(w) || Number(w) > max) throw new InputError('litmus', `--workers: '${w}' is not a number from 0 to ${max} (${workerLimit().why})`);
      workers = Number(w);
    }
    const test = readLitmusFile(positionals[0]!);
    const outcome = await exploreParallel(test, { workers });
    const lines = outcome.states.map((row) => formatState(outcome.keys, row));
    const verdict: Verdict | null = test.condition !== null ? judge(test.condition, outcome.keys, outcome.states) : null;
    const expected = test.expect.length > 0 ? compareExpect(test.expect, lines) : null;
    if (values.json === true) {
      process.stdout.write(
        jsonText({
          ...toJson(outcome),
          ...(verdict !== null && test.condition !== null
            ? { condition: { text: test.condition.text, kind: test.condition.kind, ok: verdict.ok, positive: verdict.positive, negative: verdict.negative, witnesses: verdict.witnesses.map((r) => Object.fromEntries(outcome.keys.map((k, i) => [k, r[i]!]))) } }
            : {}),
          ...(expected !== null ? { expect: expected } : {}),
        }),
      );
    } else {
      const out = [...lines];
      if (verdict !== null && test.condition !== null) {
        out.push(`${verdict.ok ? 'Ok' : 'No'}: ${test.condition.text} (positive ${verdict.positive}, negative ${verdict.negative})`);
        const label = test.condition.kind === 'forall' ? 'violated by' : test.condition.kind === 'exists' ? 'witnessed by' : 'contradicted by';
        if (verdict.witnesses.length > 0) out.push(`  ${label}:`, ...verdict.witnesses.map((r) => `    ${formatState(outcome.keys, r)}`));
      }
      // A passing `# expect:` set prints nothing, so the output of the suite's files is the
      // outcome list alone, as before.
      if (expected !== null && !expected.ok) {
        out.push(`expect: FAIL, the outcomes differ from the '# expect:' lines (line ${test.expectLine})`);
        for (const m of expected.missing) out.push(`  expected, not found: ${m}`);
        for (const u of expected.unexpected) out.push(`  found, not expected: ${u}`);
      }
      process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''));
    }
    return (verdict !== null && !verdict.ok) || (expected !== null && !expected.ok) ? 1 : 0;
  },
};

function compareExpect(expect: readonly string[], got: readonly string[]): { ok: boolean; missing: string[]; unexpected: string[] } {
  const want = new Set(expect);
  const have = new Set(got);
  const missing = [...want].filter((s) => !have.has(s));
  const unexpected = [...have].filter((s) => !want.has(s));
  return { ok: missing.length === 0 && unexpected.length === 0, missing, unexpected };
}

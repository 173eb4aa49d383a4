// `daxsim compare [file.dax] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--json]
//  [--json-out out.json] [--svg out.svg]`: the same scenario (the seed scenario by default) on
// every arch layout, per mkclean strategy, as a table (src/compare/). --json prints the result
// as JSON; --json-out writes it to a file and the SVG chart of the mkclean costs next to it
// (out.json -> out.svg) unless --svg names another file. Exit 1 if a cell of the seed scenario
// disagrees with its expected outcome (src/scenario/seed.ts).
import { writeFileSync } from 'node:fs';
import { ALL_STRATEGIES, SEED_STRATEGIES } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { agrees, compare, formatCompareTable } from '../../compare/compare.ts';
import { compareSvg } from '../../compare/svg.ts';
import { oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { readInput } from './run.ts';

const USAGE = 'compare [file.dax] [--kernel 6.1|5.19|5.17] [--mkclean S|all] [--persistence adr|eadr] [--json] [--json-out out.json] [--svg out.svg]';

/** Where the chart goes when only --json-out is given: the JSON path with .svg for .json. */
export function svgPathFor(jsonPath: string): string {
  return jsonPath.endsWith('.json') ? jsonPath.slice(0, -'.json'.length) + '.svg' : jsonPath + '.svg';
}

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError('compare', `cannot write ${path} (${code})`);
  }
}

export const command: Command = {
  summary: 'one scenario (default: the seed) on every arch x strategy: walk depth, entries per 2 MiB, mkclean costs, outcome (--json, --svg)',
  async run(args) {
    const { values, positionals } = parseCommandArgs('compare', args, {
      kernel: { type: 'string' },
      mkclean: { type: 'string' },
      persistence: { type: 'string' },
      json: { type: 'boolean' },
      'json-out': { type: 'string' },
      svg: { type: 'string' },
    }, { min: 0, max: 1, usage: USAGE });
    const mk = values.mkclean ?? 'all';
    const strategies = mk === 'all' ? SEED_STRATEGIES : [oneOf('compare', 'mkclean', mk, ALL_STRATEGIES)!];
    const persistence = oneOf('compare', 'persistence', values.persistence, ['adr', 'eadr'] as const) ?? 'adr';
    const kernel = oneOf('compare', 'kernel', values.kernel, KERNEL_VERSIONS);
    for (const opt of ['json-out', 'svg'] as const) {
      if (values[opt] === '') throw new InputError('compare', `--${opt} needs a file name`);
    }
    const path = positionals[0];
    const scenario = path !== undefined ? { source: readInput(path), path } : undefined;
    const res = compare({ scenario, strategies, persistence, kernel });
    const json = JSON.stringify({ schema: 2, ...res }, null, 2) + '\n';
    if (values['json-out'] !== undefined) writeOut(values['json-out'], json);
    const svgPath = values.svg ?? (values['json-out'] !== undefined ? svgPathFor(values['json-out']) : undefined);
    if (svgPath !== undefined) writeOut(svgPath, compareSvg(res));
    process.stdout.write(values.json === true ? json : formatCompareTable(res));
    // a row that could not run is no result (its zeros mean nothing): exit 2, the first reason on stderr
    const failed = res.rows.filter((r) => r.error !== null);
    if (failed.length > 0) throw new InputError('compare', `${failed.length} of ${res.rows.length} rows failed (${failed[0]!.arch}/${failed[0]!.mkclean}: ${failed[0]!.error})`);
    return res.rows.every(agrees) ? 0 : 1;
  },
};

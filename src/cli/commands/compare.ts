// `daxsim compare [file.dax] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--json]
//  [--json-out out.json] [--svg out.svg]`: the same scenario (the seed scenario by default) on
// every arch layout, per mkclean strategy, as a table (src/compare/). --json prints the result
// as JSON; --json-out writes it to a file and the SVG chart of the mkclean costs next to it
// (out.json -> out.svg) unless --svg names another file. Exit 1 if a cell of the seed scenario
// disagrees with its expected outcome (src/scenario/seed.ts).
// `--sweep P=A..B` runs the sharers shape (src/compare/sharers.ts) over a parameter instead,
// on the `--arch` layouts (a comma list, default all; plain compare takes it too) and `--mkclean` strategies (comma list or all):
// a table, --json (the sweep's schema 2) and --svg (line charts, src/compare/sweep-svg.ts).
import { writeFileSync } from 'node:fs';
import { findLayout, layouts } from '../../../arch/index.ts';
import type { Layout } from '../../../arch/types.ts';
import { ALL_STRATEGIES, SEED_STRATEGIES } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { agrees, compare, formatCompareTable } from '../../compare/compare.ts';
import { compareSvg } from '../../compare/svg.ts';
import { formatSweepTable, parseSweep, sweep } from '../../compare/sweep.ts';
import { sweepSvg } from '../../compare/sweep-svg.ts';
import type { Strategy } from '../../kernel/kernel.ts';
import { oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { readInput } from './run.ts';

const USAGE = 'compare [file.dax | --sweep sharers|entries|size=A..B[:STEP]|a,b,..] [--arch A,B|all] [--kernel 6.1|5.19|5.17] [--mkclean S,T|all] [--persistence adr|eadr] [--json] [--json-out out.json] [--svg out.svg]';

/** A comma list of names, each one of `known`, or `all`. */
function listOf<T extends string>(option: string, value: string, known: readonly T[], all: readonly T[]): T[] {
  if (value === 'all') return [...all];
  return value.split(',').map((v) => oneOf('compare', option, v, known)!);
}

function archList(value: string): Layout[] {
  if (value === 'all') return [...layouts];
  return value.split(',').map((n) => {
    const l = findLayout(n);
    if (l === undefined) throw new InputError('compare', `unknown arch '${n}' (known: ${layouts.map((x) => x.name).join(', ')}, all)`);
    return l;
  });
}

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
      sweep: { type: 'string' },
      arch: { type: 'string' },
    }, { min: 0, max: 1, usage: USAGE });
    const strategies: Strategy[] = listOf('mkclean', values.mkclean ?? 'all', ALL_STRATEGIES, SEED_STRATEGIES);
    const persistence = oneOf('compare', 'persistence', values.persistence, ['adr', 'eadr'] as const) ?? 'adr';
    const kernel = oneOf('compare', 'kernel', values.kernel, KERNEL_VERSIONS);
    for (const opt of ['json-out', 'svg'] as const) {
      if (values[opt] === '') throw new InputError('compare', `--${opt} needs a file name`);
    }
    const path = positionals[0];
    if (values.sweep !== undefined) {
      if (path !== undefined) throw new InputError('compare', `--sweep runs its own shape: no scenario file (usage: daxsim ${USAGE})`);
      const spec = parseSweep(values.sweep);
      const res = sweep({ spec, arches: archList(values.arch ?? 'all'), strategies, persistence, kernel });
      const json = JSON.stringify({ schema: 2, ...res }, null, 2) + '\n';
      if (values['json-out'] !== undefined) writeOut(values['json-out'], json);
      const svgPath = values.svg ?? (values['json-out'] !== undefined ? svgPathFor(values['json-out']) : undefined);
      // the chart's title is the command that made it (without the output files)
      const title = ['daxsim compare --sweep', values.sweep, ...(values.arch !== undefined ? ['--arch', values.arch] : []), ...(values.mkclean !== undefined ? ['--mkclean', values.mkclean] : [])].join(' ');
      if (svgPath !== undefined) writeOut(svgPath, sweepSvg(res, title));
      process.stdout.write(values.json === true ? json : formatSweepTable(res));
      const failed = res.rows.filter((r) => r.error !== null);
      if (failed.length === res.rows.length) throw new InputError('compare', `no point of the sweep could run (${failed[0]!.arch}/${failed[0]!.mkclean} at ${failed[0]!.x}: ${failed[0]!.error})`);
      return 0;
    }
    const scenario = path !== undefined ? { source: readInput(path), path } : undefined;
    const res = compare({ scenario, strategies, persistence, kernel, arches: archList(values.arch ?? 'all') });
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

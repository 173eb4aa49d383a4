// `daxsim run <file.dax> [--arch A] [--kernel V] [--mkclean S] [--persistence adr|eadr] [--pmd on|off|auto]
//  [--all-states] [--json] [--trace out.json] [--dump P] [--dump-tlb P] [--dump-cache] [--at LINE] [--html report.html]`:
//  runs a scenario and prints its report (dumps and the HTML page: src/report/).
import { readFileSync, writeFileSync } from 'node:fs';
import { ALL_STRATEGIES } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { describeLost, runExitCode, runScenario, type RunReport } from '../../scenario/run.ts';
import { TraceRecorder } from '../../scenario/trace.ts';
import { RunDumps } from '../../report/dumps.ts';
import { oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { checkBugs } from './bugs.ts';

const USAGE = 'run <file.dax> [--arch A] [--kernel 6.1|5.19|5.17] [--mkclean S] [--bug NAME]... [--persistence adr|eadr] [--pmd on|off|auto] [--all-states] [--json] [--trace out.json] [--dump P] [--dump-tlb P] [--dump-cache] [--at LINE] [--html report.html]';

export function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(path, `cannot read file (${code})`);
  }
}

export const command: Command = {
  summary: 'run a scenario (.dax) and report faults, expects and what a crash lost',
  async run(args) {
    const { values, positionals } = parseCommandArgs('run', args, {
      arch: { type: 'string' },
      kernel: { type: 'string' },
      mkclean: { type: 'string' },
      bug: { type: 'string', multiple: true },
      persistence: { type: 'string' },
      pmd: { type: 'string' },
      'all-states': { type: 'boolean' },
      json: { type: 'boolean' },
      trace: { type: 'string' },
      dump: { type: 'string', multiple: true },
      'dump-tlb': { type: 'string', multiple: true },
      'dump-cache': { type: 'boolean' },
      at: { type: 'string' },
      html: { type: 'string' },
    }, { min: 1, max: 1, usage: USAGE });
    const path = positionals[0]!;
    const source = readInput(path);
    const scn = parseScenario(source, path);
    const dumps = new RunDumps(scn, source, values);
    const trace = values.trace !== undefined ? new TraceRecorder() : undefined;
    const hooks = dumps.hooks();
    const report = runScenario(scn, {
      arch: values.arch,
      kernel: oneOf('run', 'kernel', values.kernel, KERNEL_VERSIONS),
      mkclean: oneOf('run', 'mkclean', values.mkclean, ALL_STRATEGIES),
      bugs: checkBugs('run', values.bug),
      persistence: oneOf('run', 'persistence', values.persistence, ['adr', 'eadr'] as const),
      pmd: oneOf('run', 'pmd', values.pmd, ['on', 'off', 'auto'] as const),
      allStates: values['all-states'] === true,
      trace,
      events: hooks.events,
      afterStatement: (s, sim, names) => {
        trace?.afterStatement(sim);
        hooks.afterStatement?.(s, sim, names);
      },
    });
    dumps.finish(report);
    if (trace !== undefined) writeFileSync(values.trace!, JSON.stringify(trace.toJSON(report)) + '\n');
    dumps.writeHtml(values.html);
    if (values.json === true) process.stdout.write(JSON.stringify(dumps.wanted ? { ...report, dump: dumps.dumpJson } : report) + '\n');
    else process.stdout.write(dumps.dumpText + formatReport(path, report));
    return runExitCode(report);
  },
};

export function formatReport(path: string, r: RunReport): string {
  const out: string[] = [];
  out.push(`${path}: arch ${r.arch}, kernel ${r.kernel}, mkclean ${r.mkclean}, persistence ${r.persistence}, FS_DAX_LIMITED ${r.fs_dax_limited ? 'y' : 'n'}, FS_DAX_PMD ${r.fs_dax_pmd ? 'y' : 'n'}${r.pmd_what_if ? ' (what-if: Kconfig would not allow it)' : ''}${r.bugs.length > 0 ? `, bug ${r.bugs.join(', ')}` : ''}`);
  for (const [p, f] of Object.entries(r.faults)) out.push(`  faults ${p}: read ${f.read}, write ${f.write}, wp ${f.wp}`);
  out.push(`  crash${r.crash_line === null ? ' (at the end: the scenario has none)' : ` at line ${r.crash_line}`}: ${r.durable ? 'durable, nothing promised was lost' : `LOST ${describeLost(r.lost)}`}`);
  for (const e of r.expects) out.push(`  line ${e.line}: ${e.ok ? 'ok  ' : 'FAIL'} ${e.when !== undefined ? `if ${e.when} ` : ''}${e.text}${e.ok ? '' : ` (found: ${e.actual})`}`);
  for (const l of r.dmesg) out.push(`  dmesg: ${l}`);
  return out.join('\n') + '\n';
}

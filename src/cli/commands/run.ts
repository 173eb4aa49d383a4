// `daxsim run <file.dax> [--arch A] [--kernel V] [--mkclean S] [--persistence adr|eadr] [--pmd on|off|auto]
//  [--all-states] [--json] [--trace out.json] [--dump P] [--dump-tlb P] [--dump-cache] [--at LINE] [--html report.html]`:
//  runs a scenario and prints its report (dumps and the HTML page: src/report/).
import { readFileSync } from 'node:fs';
import { findLayout, layouts } from '../../../arch/index.ts';
import { ALL_STRATEGIES } from '../../kernel/kernel.ts';
import { KERNEL_VERSIONS } from '../../kernel/versions.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { describeLost, runExitCode, runScenario, type RunReport } from '../../scenario/run.ts';
import { TraceRecorder } from '../../scenario/trace.ts';
import { RunDumps, writeOutput } from '../../report/dumps.ts';
import type { Simulation } from '../../sim/simulation.ts';
import { MACHINE_OPTIONS, oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { jsonText, snakeKeys } from '../json.ts';
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
      ...MACHINE_OPTIONS,
      bug: { type: 'string', multiple: true },
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
    if (values.arch !== undefined && findLayout(values.arch) === undefined) throw new InputError('run', `--arch: unknown arch '${values.arch}' (known: ${layouts.map((l) => l.name).join(', ')})`);
    const source = readInput(path);
    const scn = parseScenario(source, path);
    const dumps = new RunDumps(scn, source, values);
    const trace = values.trace !== undefined ? new TraceRecorder() : undefined;
    const hooks = dumps.hooks();
    let sim: Simulation | null = null;
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
      taskEvents: hooks.taskEvents,
      afterStatement: (s, at, names) => {
        sim = at;
        trace?.afterStatement(at);
        hooks.afterStatement?.(s, at, names);
      },
    });
    dumps.finish(report);
    if (trace !== undefined) writeOutput('run', values.trace!, JSON.stringify(trace.toJSON(report)) + '\n');
    dumps.writeHtml(values.html);
    const states = values['all-states'] === true && sim !== null ? crashStateCount(sim) : null;
    const doc = { ...report, counters: countersJson(report.counters), ...(states !== null ? { crash_states: states } : {}) };
    if (values.json === true) process.stdout.write(jsonText(dumps.wanted ? { ...doc, dump: dumps.dumpJson } : doc));
    else process.stdout.write(dumps.dumpText + formatReport(path, report) + (states !== null ? `  all crash states checked: ${states.states ?? `2^${states.log2_states.toFixed(1)}`} (${states.uncertain_lines} line${states.uncertain_lines === 1 ? '' : 's'} of uncertain fate; each line's every candidate checked)\n` : ''));
    return runExitCode(report);
  },
};

/** `run --json`'s counters: the named totals first (README, "JSON output"), then the rest. */
export function countersJson(c: RunReport['counters']): Record<string, unknown> {
  return {
    pt_refs: c.ptRefs,
    mkclean_vmas: c.mkcleanVmas,
    leaves_cleaned: c.mkcleanCleaned,
    tlb_flushes: c.tlbFlushes,
    entries_written_back: c.entriesWrittenBack,
    lines_written_back: c.cache['linesWrittenBack'],
    flush_instructions: c.cache['flushInstructions'],
    fences: c.cache['fences'],
    ...(snakeKeys(c) as Record<string, unknown>),
  };
}

/** How many crash states `--all-states` covered: the product of each uncertain line's candidates. */
function crashStateCount(sim: Simulation): { uncertain_lines: number; states: number | null; log2_states: number } {
  const lines = sim.machine.cache.uncertainLines();
  let log2 = 0;
  for (const l of lines) log2 += Math.log2(l.candidates.length);
  const exact = lines.reduce((a, l) => a * l.candidates.length, 1);
  return { uncertain_lines: lines.length, states: Number.isSafeInteger(exact) ? exact : null, log2_states: Number(log2.toFixed(3)) };
}

export function formatReport(path: string, r: RunReport): string {
  const out: string[] = [];
  out.push(`${path}: arch ${r.arch}, kernel ${r.kernel}, mkclean ${r.mkclean}, persistence ${r.persistence}, FS_DAX_LIMITED ${r.fs_dax_limited ? 'y' : 'n'}, FS_DAX_PMD ${r.fs_dax_pmd ? 'y' : 'n'}${r.pmd_what_if ? ' (what-if: Kconfig would not allow it)' : ''}${r.bugs.length > 0 ? `, bug ${r.bugs.join(', ')}` : ''}${r.fs_dax_what_if ? `; FS_DAX cannot be enabled on ${r.arch}: the whole run is a what-if` : ''}`);
  for (const [p, f] of Object.entries(r.faults)) out.push(`  faults ${p}: read ${f.read}, write ${f.write}, wp ${f.wp}`);
  out.push(`  crash${r.crash_line === null ? ' (at the end: the scenario has none)' : ` at line ${r.crash_line}`}: ${r.durable ? 'durable, nothing promised was lost' : `LOST ${describeLost(r.lost)}`}`);
  for (const e of r.expects) out.push(`  line ${e.line}: ${e.ok ? 'ok  ' : 'FAIL'} ${e.when !== undefined ? `if ${e.when} ` : ''}${e.text}${e.ok ? '' : ` (found: ${e.actual})`}`);
  for (const l of r.dmesg) out.push(`  dmesg: ${l}`);
  return out.join('\n') + '\n';
}

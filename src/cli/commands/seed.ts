// `daxsim seed [--arch A|all] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--json]
// [--html report.html]`: the seed scenario (README "The seed scenario", src/scenario/seed.ts)
// over the arch x strategy matrix, each cell checked against expectedSeedOutcome.
// Exit 1 if any cell disagrees.
import { findLayout, layouts } from '../../../arch/index.ts';
import type { Layout } from '../../../arch/types.ts';
import { SEED_STRATEGIES, type Strategy } from '../../kernel/kernel.ts';
import { DEFAULT_KERNEL, type KernelVersion } from '../../kernel/versions.ts';
import type { Persistence } from '../../machine/machine.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { runScenario } from '../../scenario/run.ts';
import { expectedSeedOutcome, seedScenario } from '../../scenario/seed.ts';
import { writeOutput } from '../../report/dumps.ts';
import { HtmlRecorder, renderHtml, type RecordedRun } from '../../report/html.ts';
import { flagOptions, MACHINE_OPTIONS, machineChoices, parseCommandArgs, strategyList, valueOptions } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';

export interface SeedCell {
  arch: string;
  kernel: KernelVersion;
  mkclean: Strategy;
  persistence: Persistence;
  fs_dax_limited: boolean;
  fs_dax_pmd: boolean;
  durable: boolean;
  lost_bytes: number;
  expected: 'durable' | 'lost';
  as_expected: boolean;
  /** B's PTE right after the first fsync (step 3), as `rw dirty` / `ro clean`. */
  b_pte_after_fsync: string;
  /** Write-protect faults B took (1 where step 3 cleaned its PTE). */
  b_wp_faults: number;
}

export function runSeedCell(layout: Layout, strategy: Strategy, persistence: Persistence, html?: HtmlRecorder, kernel: KernelVersion = DEFAULT_KERNEL): SeedCell {
  const expected = expectedSeedOutcome(layout, strategy, persistence);
  const scn = parseScenario(seedScenario(layout, null), `seed(${layout.name})`);
  let bPte = '?';
  let fsyncs = 0;
  const hooks = html?.hooks();
  const report = runScenario(scn, {
    arch: layout.name,
    kernel,
    mkclean: strategy,
    persistence,
    events: hooks?.events,
    afterStatement: (s, sim, names) => {
      hooks?.afterStatement(s, sim, names);
      if (s.op === 'fsync' && ++fsyncs === 1) {
        const e = sim.entry(names.procs.get('B')!, names.maps.get('b')!, 0);
        bPte = e.present ? `${e.write ? 'rw' : 'ro'} ${e.dirty ? 'dirty' : 'clean'}` : 'absent';
      }
    },
  });
  const lostBytes = report.lost.reduce((a, r) => a + r.length, 0);
  html?.finish(report);
  return {
    arch: layout.name,
    kernel: report.kernel,
    mkclean: strategy,
    persistence,
    fs_dax_limited: report.fs_dax_limited,
    fs_dax_pmd: report.fs_dax_pmd,
    durable: report.durable,
    lost_bytes: lostBytes,
    expected,
    as_expected: (report.durable ? 'durable' : 'lost') === expected,
    b_pte_after_fsync: bPte,
    b_wp_faults: report.faults['B']?.wp ?? 0,
  };
}

export const command: Command = {
  summary: 'run the seed scenario over arch x strategy and print the outcome table',
  async run(args) {
    const { values } = parseCommandArgs('seed', args, { ...MACHINE_OPTIONS, ...flagOptions('json'), ...valueOptions('html') }, { min: 0, max: 0, usage: 'seed [--arch A|all] [--kernel 6.1|5.19|5.17] [--mkclean S|all] [--persistence adr|eadr] [--json] [--html report.html]' });
    const archSel = values.arch ?? 'all';
    const archs = archSel === 'all' ? [...layouts] : [findLayout(archSel) ?? unknownArch(archSel)];
    const strategies = strategyList('seed', values.mkclean, SEED_STRATEGIES);
    const machine = machineChoices('seed', values);
    const persistence = machine.persistence ?? 'adr';
    const kernel = machine.kernel ?? DEFAULT_KERNEL;
    const cells: SeedCell[] = [];
    const runs: RecordedRun[] = [];
    for (const l of archs) {
      for (const s of strategies) {
        const rec = values.html !== undefined ? new HtmlRecorder(`${l.name}, mkclean ${s}, persistence ${persistence}, kernel ${kernel}`, seedScenario(l, null)) : undefined;
        cells.push(runSeedCell(l, s, persistence, rec, kernel));
        if (rec !== undefined) runs.push(rec.run());
      }
    }
    if (values.html !== undefined) writeOutput('seed', values.html, renderHtml('daxsim seed: a PTE missed by DAX mkclean', runs));
    if (values.json === true) process.stdout.write(JSON.stringify({ schema: 2, scenario: 'seed', kernel, persistence, results: cells }) + '\n');
    else process.stdout.write(formatSeedTable(cells, persistence, kernel));
    return cells.every((c) => c.as_expected) ? 0 : 1;
  },
};

function unknownArch(name: string): never {
  throw new InputError('seed', `unknown arch '${name}' (known: ${layouts.map((l) => l.name).join(', ')}, all)`);
}

export function formatSeedTable(cells: readonly SeedCell[], persistence: Persistence, kernel: KernelVersion = DEFAULT_KERNEL): string {
  const head = ['arch', 'mkclean', 'FS_DAX_LIMITED', 'FS_DAX_PMD', "B's PTE after fsync", 'B wp faults', 'outcome', 'expected'];
  const rows = cells.map((c) => [
    c.arch,
    c.mkclean,
    c.fs_dax_limited ? 'y' : 'n',
    c.fs_dax_pmd ? 'y' : 'n',
    c.b_pte_after_fsync,
    String(c.b_wp_faults),
    c.durable ? 'durable' : `LOST ${c.lost_bytes} bytes`,
    c.as_expected ? `${c.expected} (agrees)` : `${c.expected} (DISAGREES)`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [`seed scenario, kernel ${kernel}, persistence ${persistence}`, fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  return lines.join('\n') + '\n';
}

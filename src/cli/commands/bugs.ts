// `daxsim bugs [--json]`: the bug library (src/kernel/bugs.ts).
// `daxsim bugs run [NAME|all] [--arch A] [--json]`: replays each modelled bug's scenario
// (test/bugs/NAME.dax) on its kernel twice, with `--bug NAME` and without, and says whether
// each run showed what the kernel's history says: every expectation of the run holds (the
// `if bug` lines with the switch, the `if fixed` lines without), and the two sets tell the
// kernels apart (some `if bug` line fails on the fixed kernel and some `if fixed` line on
// the buggy one), so a replay that cannot fail does not pass. Exit 1 if any bug disagrees.
import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { packagePath } from '../../sim/package-root.ts';
import { findLayout, layouts } from '../../../arch/index.ts';
import { BUG_LIBRARY, MODELLED_BUGS, resolveBug, type BugInfo } from '../../kernel/bugs.ts';
import { resolvePmd } from '../../kernel/kconfig.ts';
import { parseScenario } from '../../scenario/parse.ts';
import { runExitCode, runScenario, type ExpectResult, type RunReport } from '../../scenario/run.ts';
import { parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';

const USAGE = 'bugs [--json] | bugs run [NAME|all] [--arch A] [--json]';

/** Where the replays live: test/bugs/NAME.dax in the repository. */
export const REPLAY_DIR = packagePath('test', 'bugs') + sep;

/** Checks `--bug` values (library names or fix commits) and returns the library names. */
export function checkBugs(command: string, values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.map((v) => {
    const b = resolveBug(v);
    if (typeof b === 'string') throw new InputError(command, `--bug: ${b}`);
    return b.name;
  });
}

export interface RunSummary {
  mkclean: string;
  bugs: readonly string[];
  durable: boolean;
  lost_bytes: number;
  faults: RunReport['faults'];
  /** Every expectation of this run held (and the run's own exit status was 0). */
  ok: boolean;
  failed: ExpectResult[];
  /** The other run's expectations that do not hold here (what tells the two apart). */
  other_failed: number;
}

export interface BugReplay {
  name: string;
  fix: string;
  kernel: string;
  arch: string;
  file: string;
  /** null when it replays; otherwise why this arch cannot show it. */
  not_applicable: string | null;
  buggy: RunSummary | null;
  fixed: RunSummary | null;
  /** Both runs held and each set of expectations fails on the other kernel (a negative control: both runs the same). */
  as_history: boolean;
  /** A negative control (BugModel.negativeControl), and whether its two runs reported the same. */
  negative_control?: boolean;
  same?: boolean;
}

/** Two runs' reports agree in everything a kernel engineer could observe (the switch and strategy aside). */
function sameOutcome(a: RunReport, b: RunReport): boolean {
  const view = (r: RunReport): string => JSON.stringify({ durable: r.durable, lost: r.lost, faults: r.faults, counters: r.counters, dmesg: r.dmesg, expects: r.expects.map((e) => [e.line, e.ok, e.actual ?? null]) });
  return view(a) === view(b);
}

function summarise(r: RunReport, guard: 'bug' | 'fixed'): RunSummary {
  const other = r.expects_skipped.filter((e) => e.when !== undefined && e.when !== guard);
  return {
    mkclean: r.mkclean,
    bugs: r.bugs,
    durable: r.durable,
    lost_bytes: r.lost.reduce((a, l) => a + l.length, 0),
    faults: r.faults,
    ok: runExitCode(r) === 0 && r.expects.some((e) => e.when === guard),
    failed: r.expects.filter((e) => !e.ok),
    other_failed: other.filter((e) => !e.ok).length,
  };
}

/** The PMD size the replays under test/bugs/ are written for. */
const REPLAY_PMD_SIZE = 2 ** 21;

/** Replays one modelled bug on `arch`, from its file under test/bugs/ (or `file`, for tests of the judge). */
export function replayBug(bug: BugInfo, arch: string, file = `${REPLAY_DIR}${bug.name}.dax`): BugReplay {
  const model = bug.model!;
  const base = { name: bug.name, fix: bug.fix, kernel: model.kernel, arch, file: file.startsWith(REPLAY_DIR) ? `test/bugs/${file.slice(REPLAY_DIR.length)}` : file };
  const layout = findLayout(arch)!;
  const na = (why: string): BugReplay => ({ ...base, not_applicable: why, buggy: null, fixed: null, as_history: true });
  if (model.needsPmd === true && !resolvePmd(layout, 'auto').fsDaxPmd) return na(`FS_DAX_PMD is off on ${arch} (no devmap bit): every DAX entry is one page, so there is no PMD entry to get wrong`);
  // The replays are written for a 2 MiB PMD (x86_64's HPAGE_PMD_SIZE): where the PMD is larger
  // (arm64-64k 512 MiB, ppc64-hash 16 MiB, loongarch64 32 MiB) their 2 MiB ranges get PTEs only.
  const pmdSize = 2 ** layout.levels[layout.pmdLevel]!.shift;
  if (model.needsPmd === true && pmdSize > REPLAY_PMD_SIZE) return na(`the PMD on ${arch} maps ${pmdSize / 2 ** 20} MiB: the replay's 2 MiB ranges never get a PMD entry there`);
  if (model.appliesTo !== undefined && !model.appliesTo(layout)) return na(`${arch}: ${model.appliesWhy ?? 'the bug is in another architecture\'s code'}`);
  const scn = parseScenario(readFileSync(file, 'utf8'), base.file);
  const buggyReport = runScenario(scn, { arch, kernel: model.kernel, bugs: [bug.name] });
  const fixedReport = runScenario(scn, { arch, kernel: model.kernel });
  if (model.negativeControl === true) {
    // No guarded lines, every expectation holds in both runs, and the reports agree in
    // everything but the switch itself: outcome, faults, counters, the kernel log.
    const same = sameOutcome(buggyReport, fixedReport);
    const guarded = scn.stmts.some((s) => 'when' in s && s.when !== undefined);
    const ok = (r: RunReport): boolean => runExitCode(r) === 0 && r.expects.length > 0;
    const summary = (r: RunReport): RunSummary => ({ ...summarise(r, 'bug'), ok: ok(r) });
    return { ...base, not_applicable: null, buggy: summary(buggyReport), fixed: summary(fixedReport), negative_control: true, same, as_history: same && !guarded && ok(buggyReport) && ok(fixedReport) };
  }
  const buggy = summarise(buggyReport, 'bug');
  const fixed = summarise(fixedReport, 'fixed');
  return { ...base, not_applicable: null, buggy, fixed, as_history: buggy.ok && fixed.ok && buggy.other_failed > 0 && fixed.other_failed > 0 };
}

function describeRun(label: string, s: RunSummary): string[] {
  const lost = s.durable ? 'durable' : `LOST ${s.lost_bytes} bytes`;
  const faults = Object.entries(s.faults).map(([p, f]) => `${p} r${f.read}/w${f.write}/wp${f.wp}`).join(', ');
  const out = [`  ${label.padEnd(6)} mkclean ${s.mkclean}${s.bugs.length > 0 ? `, bug ${s.bugs.join(', ')}` : ''}: ${lost}; faults ${faults}; ${s.ok ? 'every expectation held' : 'NOT as expected'}; ${s.other_failed} of the other kernel's expectations fail here`];
  for (const f of s.failed) out.push(`         line ${f.line}: FAIL ${f.when !== undefined ? `if ${f.when} ` : ''}${f.text} (found: ${f.actual})`);
  return out;
}

export const command: Command = {
  summary: 'the bug library; `bugs run` replays each bug on its buggy and its fixed kernel',
  async run(args) {
    const { values, positionals } = parseCommandArgs('bugs', args, { json: { type: 'boolean' }, arch: { type: 'string' } }, { min: 0, max: 2, usage: USAGE });
    const json = values.json === true;
    if (positionals.length === 0) {
      if (values.arch !== undefined) throw new InputError('bugs', `--arch goes with 'bugs run' (usage: daxsim ${USAGE})`);
      return listLibrary(json);
    }
    if (positionals[0] !== 'run') throw new InputError('bugs', `unknown subcommand '${positionals[0]}' (usage: daxsim ${USAGE})`);
    const arch = values.arch;
    if (arch !== undefined && findLayout(arch) === undefined) throw new InputError('bugs', `--arch: unknown arch '${arch}' (known: ${layouts.map((l) => l.name).join(', ')})`);
    const which = positionals[1] ?? 'all';
    let bugs: readonly BugInfo[];
    if (which === 'all') bugs = MODELLED_BUGS;
    else {
      const b = resolveBug(which);
      if (typeof b === 'string') throw new InputError('bugs', b);
      bugs = [b];
    }
    // without --arch each bug replays on its own arch (BugModel.arch, x86_64 by default)
    const replays = bugs.map((b) => replayBug(b, arch ?? b.model!.arch ?? 'x86_64'));
    const ok = replays.every((r) => r.as_history);
    if (json) {
      process.stdout.write(JSON.stringify({ schema: 2, arch: arch ?? null, as_history: ok, bugs: replays }) + '\n');
      return ok ? 0 : 1;
    }
    const out: string[] = [];
    for (const r of replays) {
      out.push(`${r.name} (${r.fix}), kernel ${r.kernel}, ${r.arch}, ${r.file}`);
      if (r.not_applicable !== null) {
        out.push(`  not applicable: ${r.not_applicable}`);
        continue;
      }
      out.push(...describeRun('bug', r.buggy!), ...describeRun('fixed', r.fixed!));
      if (r.negative_control === true) out.push(`  negative control: the two runs report ${r.same === true ? 'the same' : 'DIFFERENT'} outcome, faults, counters and log`);
      out.push(`  ${r.as_history ? 'as the kernel history says' : 'DISAGREES with the kernel history'}`);
    }
    out.push(`${replays.filter((r) => r.as_history).length} of ${replays.length} bugs as the kernel history says`);
    process.stdout.write(out.join('\n') + '\n');
    return ok ? 0 : 1;
  },
};

function listLibrary(json: boolean): number {
  if (json) {
    const bugs = BUG_LIBRARY.map((b) => ({ name: b.name, fix: b.fix, buggy_kernels: b.buggy, what: b.what, modelled: b.model !== null, replay_kernel: b.model?.kernel ?? null, variant: b.model?.variant ?? null }));
    process.stdout.write(JSON.stringify({ schema: 2, bugs }) + '\n');
    return 0;
  }
  const w = Math.max(...BUG_LIBRARY.map((b) => b.name.length));
  const fw = Math.max(...BUG_LIBRARY.map((b) => b.fix.length));
  const out = [`${'bug'.padEnd(w)}  ${'fix'.padEnd(fw)}  ${'modelled'.padEnd(10)}  buggy kernels; what goes wrong`];
  for (const b of BUG_LIBRARY) out.push(`${b.name.padEnd(w)}  ${b.fix.padEnd(fw)}  ${(b.model !== null ? `yes (${b.model.kernel})` : 'no').padEnd(10)}  ${b.buggy}; ${b.what}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

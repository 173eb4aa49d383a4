// `daxsim verify`: each scenario on the model and on a real Linux 6.1 kernel under QEMU, and
// the two compared after every statement (faults by kind, every level's entry for every page
// of every mapping). One boot runs every file given (one per paging mode: 4 and 5 levels).
import { existsSync } from 'node:fs';
import { findLayout } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { parseScenario, type Scenario, type Stmt } from '../scenario/parse.ts';
import { runScenario } from '../scenario/run.ts';
import { diffSnapshots, runKey, type Difference } from './diff.ts';
import { boot, type Accel, type GuestScenario } from './guest.ts';
import { prepare, VerifyUnavailable, type Prepared } from './prepare.ts';
import { parseRecords, RecordError, type KernelScenario, type KernelStatement } from './records.ts';
import { kernelSnapshot, modelSnapshot, type FileSpan, type Snapshot } from './snapshot.ts';

/** daxsim's strategies that the guest can run, and the daxsim_probe variant for each. */
export const KERNEL_MKCLEAN: Readonly<Record<string, string>> = {
  range: 'range', // 6.1 as Debian builds it: pfn_mkclean_range (06083a0921fd)
  buggy: 'buggy', // v5.17 dax_entry_mkclean, restored by daxsim_probe's ftrace hook
  'pre-f729c8c9b24f': 'pre-f729c8c9b24f', // as buggy, and a PMD mapping is skipped (follow_pte)
};

export interface StatementResult {
  file: string;
  line: number;
  text: string;
  /** true / false when compared; null when not. */
  same: boolean | null;
  /** Why it was not compared. */
  reason?: string;
  differences: Difference[];
  model?: Snapshot;
  kernel?: Snapshot;
}

export interface FileResult {
  file: string;
  mkclean: string;
  /** Why this scenario cannot run on the real kernel, if it cannot. */
  unavailable?: string;
}

export interface VerifyResult {
  release: string | null;
  /** WARN/BUG/Oops lines of the guest kernel's log, if any. */
  dmesg: string | null;
  accel: string;
  seconds: number;
  files: FileResult[];
  statements: StatementResult[];
  layout: Layout | null;
}

export interface ModelRun {
  path: string;
  scn: Scenario;
  source: string[];
  mkclean: string;
  layout: Layout;
  unavailable?: string;
  after: Map<number, { stmt: Stmt; snap: Snapshot }>;
  /** The address the model gave each mmap, by line: the guest maps there too. */
  hints: Map<number, number>;
  /** FS_DAX_PMD off: the guest's mappings get MADV_NOHUGEPAGE. */
  pmdOff: boolean;
}

function stmtText(source: readonly string[], line: number): string {
  return (source[line - 1] ?? '').replace(/#.*/, '').trim();
}

/** Runs the model, keeping a snapshot after every statement; says why the guest cannot run it, if so. */
export function runModel(path: string, text: string): ModelRun {
  const scn = parseScenario(text, path);
  const after = new Map<number, { stmt: Stmt; snap: Snapshot }>();
  const hints = new Map<number, number>();
  const report = runScenario(scn, {
    afterStatement: (stmt, sim, names) => {
      if (stmt.op === 'mmap') hints.set(stmt.line, names.maps.get(stmt.name)!.start);
      after.set(stmt.line, { stmt, snap: modelSnapshot(sim, names) });
    },
  });
  const run: ModelRun = { path, scn, source: text.split('\n'), mkclean: report.mkclean, layout: findLayout(report.arch)!, after, hints, pmdOff: !report.fs_dax_pmd };
  if (run.layout.hooks.qemuGuest === null) run.unavailable = `arch ${report.arch}: the guest runs Debian's x86_64 kernel (4- or 5-level paging) only`;
  else if (KERNEL_MKCLEAN[report.mkclean] === undefined) run.unavailable = `mkclean ${report.mkclean} has no counterpart on the real kernel (available: ${Object.keys(KERNEL_MKCLEAN).join(', ')})`;
  else if (report.pmd_what_if) run.unavailable = 'pmd on where Kconfig forbids it is a what-if: not available on the real kernel';
  return run;
}

const PMD_SIZE = 2 ** 21;

/**
 * An mmap: the guest maps at the model's address (a hint), so it must have got it; and where
 * the kernel placed it by itself must agree with the model's rule: thp_get_unmapped_area
 * (mm/huge_memory.c, __thp_get_unmapped_area) aligns the address to the file offset modulo
 * PMD_SIZE exactly when [off, off + len) holds a whole PMD-aligned 2 MiB.
 */
function placement(run: ModelRun, stmt: Stmt, rec: KernelStatement): Difference[] {
  if (stmt.op !== 'mmap' || rec.natural === undefined) return [];
  const out: Difference[] = [];
  const want = run.hints.get(stmt.line);
  const got = rec.maps.find((m) => m.proc === stmt.proc && m.map === stmt.name)?.start;
  if (want !== undefined && got !== want) out.push({ field: `${stmt.proc} ${stmt.name} address`, model: `0x${want.toString(16)}`, kernel: got === undefined ? 'not mapped' : `0x${got.toString(16)}`, bits: [] });
  const alignEnd = stmt.offset + stmt.length - Math.ceil(stmt.offset / PMD_SIZE) * PMD_SIZE;
  if (want !== undefined && alignEnd >= PMD_SIZE) {
    const aligned = (a: number): string => ((a - stmt.offset) % PMD_SIZE === 0 ? 'aligned to the file offset' : `at 0x${(((a - stmt.offset) % PMD_SIZE) + PMD_SIZE) % PMD_SIZE} from alignment`);
    if (aligned(want) !== aligned(rec.natural)) out.push({ field: `${stmt.proc} ${stmt.name} placement`, model: aligned(want), kernel: aligned(rec.natural), bits: [] });
  }
  return out;
}

function compareScenario(run: ModelRun, k: KernelScenario | undefined): StatementResult[] {
  const out: StatementResult[] = [];
  const byLine = new Map((k?.statements ?? []).map((s) => [s.line, s]));
  const files: FileSpan[] = [];
  let modelBefore: Snapshot | null = null;
  let kernelBefore: Snapshot | null = null;
  let crashed = false;
  for (const stmt of run.scn.stmts) {
    const base = { file: run.path, line: stmt.line, text: stmtText(run.source, stmt.line), differences: [] as Difference[] };
    const m = run.after.get(stmt.line)?.snap;
    if (stmt.op === 'crash' || stmt.op === 'expect-durable') {
      out.push({ ...base, same: null, reason: 'crash and durability cannot be observed on the real kernel (QEMU has no cache to lose)' });
      crashed ||= stmt.op === 'crash';
      continue;
    }
    if (crashed) {
      out.push({ ...base, same: null, reason: 'after the crash' });
      continue;
    }
    if (run.unavailable !== undefined) {
      out.push({ ...base, same: null, reason: run.unavailable });
      continue;
    }
    const rec = byLine.get(stmt.line);
    if (rec === undefined && k?.failed !== undefined) {
      out.push({ ...base, same: null, reason: `the guest's runner failed: ${k.failed}` });
      continue;
    }
    if (rec === undefined || m === undefined) {
      out.push({ ...base, same: false, differences: [{ field: 'result', model: 'ran', kernel: 'no record from the guest', bits: [] }] });
      continue;
    }
    if (rec.err === 'unsupported') {
      out.push({ ...base, same: null, reason: 'the guest runner cannot perform this statement' });
      continue;
    }
    if (rec.file !== undefined) files.push(rec.file);
    if (rec.err !== '') {
      out.push({ ...base, same: false, differences: [{ field: 'result', model: 'ok', kernel: rec.err, bits: [] }] });
      continue;
    }
    const ks = kernelSnapshot(run.layout, rec, files);
    const differences = [...placement(run, stmt, rec), ...diffSnapshots(run.layout, m, ks, modelBefore, kernelBefore)];
    out.push({ ...base, same: differences.length === 0, differences, model: m, kernel: ks });
    modelBefore = m;
    kernelBefore = ks;
  }
  return out;
}

export interface VerifyOptions {
  files: ReadonlyArray<{ path: string; text: string }>;
  /** 'debian' (default) or a kernel image of the same release as Debian's (its modules must load). */
  kernelImage?: string;
  log: (line: string) => void;
  /** Progress lines for a terminal (the CLI passes one when stderr is a TTY). */
  progress?: (line: string) => void;
  /** Seconds before a boot is killed; default 120 + 60 per scenario. */
  timeoutSeconds?: number;
  /** QEMU accelerator; default tcg. */
  accel?: Accel;
  /** Run this daxsim_probe variant on the guest whatever the scenario says (negative controls in the tests). */
  kernelMkclean?: string;
}

/** The guest's name for run `i` of a verify (s0.dax, s1.dax ...: unique across boots). */
const guestName = (i: number): string => `s${i}.dax`;

/** What the guest runs for each runnable scenario; `index` numbers them across all files. */
export function guestScenarios(runs: ReadonlyArray<{ run: ModelRun; index: number }>, kernelMkclean?: string): GuestScenario[] {
  return runs.map(({ run: r, index }) => ({
    name: guestName(index),
    text: r.source.join('\n'),
    mkclean: kernelMkclean ?? KERNEL_MKCLEAN[r.mkclean]!,
    pmd: r.pmdOff ? 'off' : 'on',
    hints: [...r.hints].map(([l, a]) => `${l} ${a.toString(16)}\n`).join(''),
  }));
}

/** Compares model runs with the records of the boots that ran them (scenarios named by guestName of their index in `runs`). */
export function compareRecords(runs: readonly ModelRun[], boots: string | readonly string[], meta: { accel: string; seconds: number }): VerifyResult {
  const kernelOf = new Map<string, KernelScenario>();
  let release: string | null = null;
  const dmesg: string[] = [];
  const texts = typeof boots === 'string' ? [boots] : boots;
  if (runs.some((r) => r.unavailable === undefined)) {
    for (const text of texts) {
      let recs;
      try {
        recs = parseRecords(text);
      } catch (e) {
        if (e instanceof RecordError) throw new VerifyUnavailable(`the guest's records are garbled: ${e.message}`);
        throw e;
      }
      if (recs.fatal !== null) throw new VerifyUnavailable(`the guest could not set up: ${recs.fatal}`);
      if (!recs.done) throw new VerifyUnavailable('the guest powered off before finishing every scenario');
      release ??= recs.release;
      if (recs.dmesg !== null) dmesg.push(recs.dmesg);
      for (const k of recs.scenarios) kernelOf.set(k.name, k);
    }
  }
  return {
    release,
    dmesg: dmesg.length > 0 ? dmesg.join(' | ') : null,
    accel: meta.accel,
    seconds: meta.seconds,
    files: runs.map((r, i) => {
      const why = r.unavailable ?? (kernelOf.get(guestName(i))?.failed !== undefined ? `the guest's runner failed: ${kernelOf.get(guestName(i))!.failed}` : undefined);
      return { file: r.path, mkclean: r.mkclean, ...(why !== undefined ? { unavailable: why } : {}) };
    }),
    statements: runs.flatMap((r, i) => compareScenario(r, kernelOf.get(guestName(i)))),
    layout: runs[0]?.layout ?? null,
  };
}

/**
 * One boot per paging mode: `x86_64` boots vmlinux through PVH with `-cpu max,la57=off` (4
 * levels); `x86_64-la57` boots the bzImage with `-cpu max`: Debian builds
 * CONFIG_X86_5LEVEL=y, but only the decompressor switches to 5-level paging
 * (arch/x86/boot/compressed/pgtable_64.c); a kernel entered through PVH keeps the 4-level
 * tables it was started with (arch/x86/kernel/head64.c check_la57_support() reads CR4.LA57).
 */
export async function verify(opts: VerifyOptions, prepared?: Prepared): Promise<VerifyResult> {
  const runs = opts.files.map((f) => runModel(f.path, f.text));
  const indexed = runs.map((run, index) => ({ run, index })).filter((x) => x.run.unavailable === undefined);
  if (indexed.length === 0) return compareRecords(runs, [], { accel: 'none', seconds: 0 });
  const p = prepared ?? prepare(opts.log);
  const own = opts.kernelImage !== undefined && opts.kernelImage !== 'debian' ? opts.kernelImage : null;
  if (own !== null && !existsSync(own)) throw new VerifyUnavailable(`--kernel-image ${own}: no such file`);
  const boots: string[] = [];
  let seconds = 0;
  let accel = 'none';
  for (const la57 of [false, true]) {
    const group = indexed.filter((x) => x.run.layout.hooks.qemuGuest?.la57 === la57);
    if (group.length === 0) continue;
    const guest = guestScenarios(group, opts.kernelMkclean);
    opts.progress?.(`booting Linux ${p.release} under QEMU (${la57 ? '5-level' : '4-level'} paging) for ${guest.length} scenario${guest.length === 1 ? '' : 's'}`);
    const res = await boot(own ?? (la57 ? p.vmlinuz : p.vmlinux), p.baseCpio, guest, opts.timeoutSeconds ?? 120 + 60 * guest.length, { accel: opts.accel, la57 });
    boots.push(res.records);
    seconds += res.seconds;
    accel = res.accel;
  }
  return compareRecords(runs, boots, { accel, seconds });
}

// -- output ----------------------------------------------------------------------------

export function summary(r: VerifyResult): { compared: number; same: number; differ: number; not_compared: number } {
  const compared = r.statements.filter((s) => s.same !== null);
  const same = compared.filter((s) => s.same === true).length;
  return { compared: compared.length, same, differ: compared.length - same, not_compared: r.statements.length - compared.length };
}

export function formatText(r: VerifyResult): string {
  const out: string[] = [];
  const s = summary(r);
  out.push(`Linux ${r.release ?? '(not booted)'} under QEMU (${r.accel}), ${r.seconds.toFixed(1)} s`);
  for (const f of r.files) {
    out.push(`${f.file}: mkclean ${f.mkclean}${f.unavailable !== undefined ? `: not available on the real kernel: ${f.unavailable}` : ''}`);
    for (const st of r.statements.filter((x) => x.file === f.file)) {
      const tag = st.same === null ? 'not compared' : st.same ? 'same' : 'DIFF';
      out.push(`  line ${st.line}: ${tag.padEnd(12)} ${st.text}${st.reason !== undefined && f.unavailable === undefined ? ` (${st.reason})` : ''}`);
      for (const d of st.differences) out.push(`      ${d.field}: model ${d.model}, kernel ${d.kernel}${d.bits.length > 0 ? `; differs in ${d.bits.join(' ')}` : ''}`);
    }
  }
  if (r.dmesg !== null) out.push(`the guest kernel logged: ${r.dmesg}`);
  out.push(`${s.compared} statements compared: ${s.same} same, ${s.differ} differ; ${s.not_compared} not compared`);
  return out.join('\n') + '\n';
}

/** A snapshot as JSON: faults so far, and each mapping's entries as runs of pages per level. */
function snapshotJson(layout: Layout, snap: Snapshot): unknown {
  const ps = 2 ** layout.pageShift;
  const entries: unknown[] = [];
  for (const m of snap.maps.values()) {
    for (let level = 0; level < layout.levels.length; level++) {
      let prev = '';
      for (let i = 0; i < m.pages.length; i++) {
        const v = m.pages[i]![level];
        const key = runKey(v, i, ps, level === layout.levels.length - 1);
        if (v !== undefined && key === prev) {
          (entries[entries.length - 1] as { pages: number }).pages++;
          continue;
        }
        prev = key;
        if (v !== undefined) entries.push({ proc: m.proc, map: m.map, offset: i * ps, pages: 1, level: layout.levels[level]!.name, value: '0x' + v.value.toString(16).padStart(16, '0'), maps: v.maps });
      }
    }
  }
  return { faults: snap.faults, entries };
}

export function toJson(r: VerifyResult): unknown {
  return {
    schema: 2,
    kernel_release: r.release,
    dmesg: r.dmesg,
    accel: r.accel,
    seconds: Math.round(r.seconds * 10) / 10,
    files: r.files.map((f) => ({ file: f.file, mkclean: f.mkclean, available: f.unavailable === undefined, ...(f.unavailable !== undefined ? { reason: f.unavailable } : {}) })),
    statements: r.statements.map((st) => ({
      file: st.file,
      line: st.line,
      text: st.text,
      same: st.same,
      ...(st.reason !== undefined ? { reason: st.reason } : {}),
      differences: st.differences,
      model: st.model !== undefined && r.layout !== null ? snapshotJson(r.layout, st.model) : null,
      kernel: st.kernel !== undefined && r.layout !== null ? snapshotJson(r.layout, st.kernel) : null,
    })),
    summary: summary(r),
  };
}

/** 1 on any difference; 2 when a scenario could not run on the real kernel; else 0. */
export function verifyExitCode(r: VerifyResult): number {
  if (r.statements.some((s) => s.same === false)) return 1;
  if (r.files.some((f) => f.unavailable !== undefined)) return 2;
  return 0;
}

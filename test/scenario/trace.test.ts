// --trace: the file is valid Trace Event Format (checked against the rules of Google's "Trace
// Event Format" document: the JSON Object Format, ph types, required fields per phase, B/E
// nesting per thread, flow ids and binding, metadata events), and it shows the seed bug the way
// a kernel engineer reads it in Perfetto: per-process CPU tracks, kernel work nested in the
// system call or fault that caused it, flows store -> fsync -> crash, counter tracks.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { TraceRecorder } from '../../src/scenario/trace.ts';

type Ev = Record<string, unknown> & { ph: string; name: string; ts: number; pid: number; tid: number };

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'M', 's', 't', 'f', 'b', 'n', 'e', 'P', 'O', 'N', 'D']);
const METADATA = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);

/** Every rule of the format the file must keep; returns the violations (empty: valid). */
function validate(doc: unknown): string[] {
  const bad: string[] = [];
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) return ['not a JSON Object Format document with a traceEvents array'];
  const d = doc as { traceEvents: unknown[]; displayTimeUnit?: unknown };
  if (d.displayTimeUnit !== undefined && d.displayTimeUnit !== 'ms' && d.displayTimeUnit !== 'ns') bad.push(`displayTimeUnit ${String(d.displayTimeUnit)}`);
  const stacks = new Map<string, Array<{ name: string; ts: number }>>();
  const lastTs = new Map<string, number>();
  const slices: Array<{ key: string; start: number; end: number }> = [];
  const named = { process: new Set<number>(), thread: new Set<string>() };
  const used = { process: new Set<number>(), thread: new Set<string>() };
  const flows = new Map<string, Ev[]>();
  d.traceEvents.forEach((raw, i) => {
    const e = raw as Ev;
    const at = `event ${i} (${String(e.ph)} ${String(e.name)})`;
    if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) return void bad.push(`${at}: ph`);
    if (typeof e.name !== 'string' || (e.name === '' && e.ph !== 'E')) bad.push(`${at}: name`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) bad.push(`${at}: pid/tid must be integers`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) bad.push(`${at}: ts`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args))) bad.push(`${at}: args must be an object`);
    const key = `${e.pid}/${e.tid}`;
    if (e.ph === 'M') {
      if (!METADATA.has(e.name)) bad.push(`${at}: unknown metadata`);
      const args = (e.args ?? {}) as Record<string, unknown>;
      if (e.name.endsWith('_name') && typeof args.name !== 'string') bad.push(`${at}: ${e.name} needs args.name`);
      if (e.name.endsWith('_sort_index') && !Number.isInteger(args.sort_index)) bad.push(`${at}: ${e.name} needs args.sort_index`);
      if (e.name === 'process_name') named.process.add(e.pid);
      if (e.name === 'thread_name') named.thread.add(key);
      return;
    }
    used.process.add(e.pid);
    used.thread.add(key);
    if (e.ph === 'B' || e.ph === 'E') {
      if (e.ts < (lastTs.get(key) ?? 0)) bad.push(`${at}: B/E timestamps go backwards on ${key}`);
      lastTs.set(key, e.ts);
      const st = stacks.get(key) ?? [];
      stacks.set(key, st);
      if (e.ph === 'B') st.push({ name: e.name, ts: e.ts });
      else {
        const open = st.pop();
        if (open === undefined) bad.push(`${at}: E without B on ${key}`);
        else {
          if (e.name !== '' && e.name !== undefined && e.name !== open.name) bad.push(`${at}: E closes '${open.name}'`);
          slices.push({ key, start: open.ts, end: e.ts });
        }
      }
    }
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || e.dur < 0) bad.push(`${at}: X needs dur >= 0`);
      else slices.push({ key, start: e.ts, end: e.ts + e.dur });
    }
    if ((e.ph === 'i' || e.ph === 'I') && e.s !== undefined && !['g', 'p', 't'].includes(e.s as string)) bad.push(`${at}: instant scope`);
    if (e.ph === 'C') {
      const vals = Object.values((e.args ?? {}) as Record<string, unknown>);
      if (vals.length === 0 || vals.some((v) => typeof v !== 'number')) bad.push(`${at}: counter args must be numbers`);
    }
    if (e.ph === 's' || e.ph === 't' || e.ph === 'f') {
      if (e.id === undefined) bad.push(`${at}: flow event without id`);
      if (e.ph === 'f' && e.bp !== undefined && e.bp !== 'e') bad.push(`${at}: bp`);
      const fid = `${String(e.cat)}/${String(e.name)}/${String(e.id)}`;
      flows.set(fid, [...(flows.get(fid) ?? []), e]);
    }
  });
  for (const [key, st] of stacks) if (st.length > 0) bad.push(`${key}: ${st.length} B without E (${st.map((s) => s.name).join(', ')})`);
  for (const pid of used.process) if (!named.process.has(pid)) bad.push(`pid ${pid} has no process_name`);
  for (const t of used.thread) if (!named.thread.has(t)) bad.push(`thread ${t} has no thread_name`);
  for (const [fid, evs] of flows) {
    const phases = evs.map((e) => e.ph).join('');
    if (!/^st*f$/.test(phases)) bad.push(`flow ${fid}: phases ${phases} (one s, steps, one f)`);
    for (let k = 1; k < evs.length; k++) if (evs[k]!.ts < evs[k - 1]!.ts) bad.push(`flow ${fid}: goes back in time`);
    // s, t and f with bp "e" bind to the slice enclosing them on their thread: there must be one.
    for (const e of evs) {
      if (e.ph === 'f' && e.bp !== 'e') continue;
      if (!slices.some((s) => s.key === `${e.pid}/${e.tid}` && s.start <= e.ts && e.ts <= s.end)) bad.push(`flow ${fid}: ${e.ph} at ${e.ts} has no enclosing slice`);
    }
  }
  return bad;
}

/**
 * `dirtyMetadata`: after the `file` statement, give the file uncommitted datasync metadata (as a
 * block allocation would), so its MAP_SYNC write faults are synchronous (dax_fault_is_synchronous).
 */
function traceOf(file: string, mkclean?: string, dirtyMetadata = false): { traceEvents: Ev[]; otherData: Record<string, string>; displayTimeUnit: string } {
  const trace = new TraceRecorder();
  const report = runScenario(parseScenario(readFileSync(file, 'utf8'), path.basename(file)), {
    trace,
    mkclean,
    afterStatement: (s, sim, names) => {
      if (dirtyMetadata && s.op === 'file') sim.kernel.dirtyDatasyncMetadata(names.files.get(s.name)!);
      trace.afterStatement(sim);
    },
  });
  return JSON.parse(JSON.stringify(trace.toJSON(report))) as ReturnType<typeof traceOf>;
}

/** The slice named `name` on `pid` (B..E), as [start, end]. */
function slice(evs: Ev[], pid: number, name: string, nth = 0): [number, number] {
  const found: Array<[number, number]> = [];
  const st: Ev[] = [];
  for (const e of evs.filter((x) => x.pid === pid && (x.ph === 'B' || x.ph === 'E'))) {
    if (e.ph === 'B') st.push(e);
    else {
      const b = st.pop()!;
      if (b.name === name) found.push([b.ts, e.ts]);
    }
  }
  found.sort((a, b) => a[0] - b[0]);
  return found[nth]!;
}

describe('--trace: Trace Event Format', () => {
  it('the validator rejects what the format forbids (so the checks below can fail)', () => {
    const ok = traceOf('test/scenarios/seed-buggy.dax', 'buggy');
    expect(validate(ok)).toEqual([]);
    const mutate = (f: (evs: Ev[]) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(ok)) as typeof ok;
      f(copy.traceEvents);
      return validate(copy);
    };
    expect(mutate((evs) => evs.splice(evs.findIndex((e) => e.ph === 'E'), 1)).join()).toMatch(/B without E/);
    expect(mutate((evs) => evs.splice(evs.findIndex((e) => e.ph === 'B'), 1)).join()).toMatch(/E without B/);
    expect(mutate((evs) => evs.splice(evs.findIndex((e) => e.ph === 's'), 1)).join()).toMatch(/phases f/);
    expect(mutate((evs) => evs.splice(evs.findIndex((e) => e.name === 'thread_name'), 1)).join()).toMatch(/no thread_name/);
    expect(mutate((evs) => void (evs.find((e) => e.ph === 'C')!.args = { lines: 'x' })).join()).toMatch(/counter args/);
    expect(mutate((evs) => void (evs.find((e) => e.ph === 'f')!.ts = 0.5)).join()).toMatch(/back in time|no enclosing slice/);
    expect(mutate((evs) => void (evs.find((e) => e.ph === 'B')!.ph = 'Q')).join()).toMatch(/ph/);
  });

  it('the CLI writes a valid file for every arch and strategy of the seed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-trace-'));
    for (const arch of ['x86_64', 's390x']) {
      for (const mk of ['buggy', 'range']) {
        const out = path.join(dir, `${arch}-${mk}.json`);
        const r = await runCliCaptured(['run', 'test/scenarios/seed-buggy.dax', '--arch', arch, '--mkclean', mk, '--trace', out]);
        expect(r.stderr).toBe('');
        expect(validate(JSON.parse(readFileSync(out, 'utf8'))), `${arch} ${mk}`).toEqual([]);
      }
    }
  });
});

describe('--trace of the seed on the buggy kernel, as Perfetto shows it', () => {
  const t = traceOf('test/scenarios/seed-buggy.dax', 'buggy');
  const evs = t.traceEvents;
  const meta = (name: string): Array<[number, unknown]> => evs.filter((e) => e.ph === 'M' && e.name === name).map((e) => [e.pid, (e.args as { name?: unknown }).name]);
  const pidA = meta('process_name').find(([, n]) => n === 'A')![0];
  const pidB = meta('process_name').find(([, n]) => n === 'B')![0];

  it('names a process per simulated process, its CPU as the thread, and a machine process', () => {
    expect(meta('process_name').map(([, n]) => n)).toEqual(['machine', 'A', 'B']);
    expect(meta('thread_name').map(([, n]) => n)).toEqual(['statements of no process (file, proc, crash, expect)', 'A on cpu 0', 'B on cpu 1']);
    expect(t.otherData.clock).toMatch(/^virtual: 1 us = one model step/);
  });

  it("nests kernel work inside what caused it: faults in writes, dax_writeback_one in the fsync, mkclean's miss in it", () => {
    const within = (inner: [number, number], outer: [number, number]): boolean => outer[0] < inner[0] && inner[1] < outer[1];
    expect(within(slice(evs, pidB, 'page fault (write)'), slice(evs, pidB, 'B write b'))).toBe(true);
    const fsync = slice(evs, pidA, 'A fsync F');
    const wb = slice(evs, pidA, 'dax_writeback_one');
    expect(within(wb, fsync)).toBe(true);
    const missed = evs.find((e) => e.name === 'mkclean missed')!;
    expect([missed.pid, wb[0] < missed.ts && missed.ts < wb[1], (missed.args as { process: string }).process]).toEqual([pidA, true, 'B']);
    // B's second write takes no fault: no fault slice inside it.
    const second = slice(evs, pidB, 'B write b', 1);
    expect(evs.some((e) => e.pid === pidB && e.name.startsWith('page fault') && e.ts > second[0] && e.ts < second[1])).toBe(false);
    // The second fsync has no dax_writeback_one: the entry was clean.
    const fsync2 = slice(evs, pidA, 'A fsync F', 1);
    expect(evs.some((e) => e.name === 'dax_writeback_one' && e.ts > fsync2[0] && e.ts < fsync2[1])).toBe(false);
  });

  it('draws flows from each store to the fsync that promised it, and from the lost one on to the crash', () => {
    const flows = evs.filter((e) => e.ph === 's' || e.ph === 't' || e.ph === 'f');
    const byId = new Map<unknown, Ev[]>();
    for (const f of flows) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
    const lost = [...byId.values()].filter((f) => f.length === 3);
    expect(lost).toHaveLength(1);
    const [s, step, fin] = lost[0]!;
    expect((s!.args as { store_line: number; promise_line: number }).store_line).toBe(20);
    expect((s!.args as { promise_line: number }).promise_line).toBe(21);
    const fsync2 = slice(evs, pidA, 'A fsync F', 1);
    expect(step!.pid === pidA && fsync2[0] < step!.ts && step!.ts < fsync2[1]).toBe(true);
    const crash = slice(evs, 1, 'crash');
    expect(fin!.pid === 1 && crash[0] < fin!.ts && fin!.ts < crash[1]).toBe(true);
    expect([...byId.values()].filter((f) => f.length === 2)).toHaveLength(2); // the two first stores, promised by the first fsync
    expect(evs.find((e) => e.ph === 'i' && e.name.startsWith('LOST'))!.args).toEqual({ lost: ['F[0x1000+64]'] });
  });

  it("makes only the user's fsync a promise (not a MAP_SYNC fault's sync), and shows another CPU's TLB invalidation on that CPU", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-trace-sync-'));
    const file = path.join(dir, 'sync.dax');
    writeFileSync(file, ['file F size 2M', 'proc A', 'proc B', 'A mmap a F offset 0 length 2M rw shared sync', 'B mmap b F offset 0 length 4K rw shared', 'B write b 0 64', 'A write a 0x1000 64', 'A fsync F', ''].join('\n'));
    const st = traceOf(file, 'range', true);
    expect(validate(st)).toEqual([]);
    const e2 = st.traceEvents;
    const pa = e2.find((e) => e.ph === 'M' && e.name === 'process_name' && (e.args as { name: string }).name === 'A')!.pid;
    const pb = e2.find((e) => e.ph === 'M' && e.name === 'process_name' && (e.args as { name: string }).name === 'B')!.pid;
    const fault = slice(e2, pa, 'page fault (write)');
    const synced = e2.filter((e) => e.name === 'promise: synced').map((e) => [e.pid, fault[0] < e.ts && e.ts < fault[1]]);
    // dax_finish_sync_fault's vfs_fsync_range is not the user's promise: only A's own fsync is.
    expect(synced).toEqual([[pa, false]]);
    const fsync = slice(e2, pa, 'A fsync F');
    const shoot = e2.filter((e) => e.name === 'TLB flush (ptep_clear_flush)' || e.name === 'TLB invalidated (ptep_clear_flush)').map((e) => [e.name, e.pid, fsync[0] < e.ts && e.ts < fsync[1]]);
    expect(shoot).toEqual([
      ['TLB flush (ptep_clear_flush)', pa, true], // A's fsync cleans B's PTE ...
      ['TLB invalidated (ptep_clear_flush)', pb, true], // ... and B's CPU drops the entry
      ['TLB flush (ptep_clear_flush)', pa, true], // then A's own
    ]);
  });

  it('counts dirty cache lines and DIRTY entries on counter tracks', () => {
    const series = (name: string): number[] => evs.filter((e) => e.ph === 'C' && e.name === name).map((e) => Object.values(e.args as Record<string, number>)[0]!);
    expect(series('dirty cache lines')).toEqual([0, 1, 2, 0, 1]); // the two writes, the writeback, B's unseen write
    expect(series('DIRTY DAX entries')).toEqual([0, 1, 0]);
  });
});

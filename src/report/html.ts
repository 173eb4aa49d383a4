// `--html report.html`: one self-contained page (inline CSS, no script, no external asset)
// that explains a run. First the verdict: each lost byte range links to the statement that
// stored it, the fsync/msync that promised it and the mkclean that left the storing mapping
// writable (with the reason: VMA not returned by i_mmap, pfn mismatch, private mapping), and
// says whether that store took a fault and whether anything wrote it back; promises that held
// only because something else wrote the line back (another process's fsync of a re-dirtied
// entry, another CPU's clwb) are listed as luck. Then the run step by step, showing only what
// changed: page-table entries and DAX entries that appeared, changed (the changed bits and marks
// highlighted) or went away, and the step's kernel events (faults, TLB flushes, writebacks,
// mkclean visits and misses); a step that changed nothing is collapsed. The reasoning lives in
// loss.ts. `seed --html` puts one such run per arch x strategy on the page, with a table of contents.

import type { KernelEvents, MkcleanAction } from '../kernel/events.ts';
import type { TaskEvents } from '../kernel/task.ts';
import { MISS_ACTIONS } from '../kernel/strategies.ts';
import type { Stmt } from '../scenario/parse.ts';
import type { RunOptions, RunReport } from '../scenario/run.ts';
import type { DaxEntryView, Simulation } from '../sim/simulation.ts';
import { mergeListeners } from './listeners.ts';
import { LossLedger, type LossExplanation, type LuckRec } from './loss.ts';
import { collectCacheRows, collectPtRows, humanSize, type PtRow } from './ptdump.ts';

export interface Visit {
  proc: string;
  vma: string;
  va: number;
  level: string;
  action: MkcleanAction;
  file: string;
  entryIndex: number;
}

export interface Missed {
  proc: string;
  vma: string;
  file: string;
  entryIndex: number;
}

export interface VmaSnap {
  name: string;
  file: string;
  offset: number;
  length: number;
  start: number;
  write: boolean;
  shared: boolean;
  sync: boolean;
  rows: PtRow[];
}

export interface ProcSnap {
  name: string;
  cpu: number;
  vmas: VmaSnap[];
  /** Leaf entries outside every VMA (left behind by a bug). */
  stray: PtRow[];
}

export interface Step {
  line: number;
  source: string;
  events: Array<{ kind: 'fault' | 'tlb' | 'writeback' | 'sync' | 'visit' | 'missed'; text: string; bad?: boolean }>;
  visits: Visit[];
  missed: Missed[];
  procs: ProcSnap[];
  files: Array<{ name: string; size: number; entries: DaxEntryView[] }>;
  dirtyLines: number;
  /** Why this step matters for durability (a store that took no fault, a writeback that wrote nothing). */
  notes: Array<{ text: string; bad: boolean }>;
  /** What each task did during the step (its lane): ran, paused at a point, blocked, woke, done. */
  tasks: Array<{ task: string; text: string; bad?: boolean }>;
}

export interface RecordedRun {
  title: string;
  steps: Step[];
  report: RunReport | null;
  /** A one-line error, when the run stopped on one. */
  error?: string;
  /** Each lost range with what caused it. */
  explained: LossExplanation[];
  /** Promises that held by luck. */
  luck: LuckRec[];
}

const hex = (v: number): string => '0x' + v.toString(16);
const range = (file: string, start: number, end: number): string => `${file} [${hex(start)}, ${hex(end)})`;

/** Records one run through RunOptions hooks; `finish` with the report, then `run`. */
export class HtmlRecorder {
  readonly steps: Step[] = [];
  private pending: Step['events'] = [];
  private visits: Visit[] = [];
  private missed: Missed[] = [];
  private report: RunReport | null = null;
  private error: string | undefined;
  private readonly lines: string[];
  private readonly ledger = new LossLedger();
  private explained: LossExplanation[] = [];
  private luck: LuckRec[] = [];

  constructor(
    readonly title: string,
    source: string,
  ) {
    this.lines = source.split(/\r?\n/);
  }

  private taskLog: Step['tasks'] = [];

  hooks(): Required<Pick<RunOptions, 'afterStatement' | 'events' | 'taskEvents'>> {
    const lane = (task: string, text: string, bad?: boolean): void => void this.taskLog.push({ task, text, ...(bad === true ? { bad } : {}) });
    const taskEvents: TaskEvents = {
      ran: (t, line) => lane(t.name, `runs (line ${line})`),
      paused: (t, m) => lane(t.name, `paused ${m.when} ${m.point}`),
      blocked: (t, w) => lane(t.name, `blocked on ${w.what}`, true),
      woke: (t, by) => lane(t.name, `woken${by !== null ? ` by ${by.name}` : ''}`),
      done: (t) => lane(t.name, t.error === null ? 'done' : 'ended (error or signal)'),
    };
    const own: KernelEvents = {
      fault: (mm, va, kind, how) => this.pending.push({ kind: 'fault', text: `${mm.name}: ${kind} fault at ${hex(va)}, handled as ${how}` }),
      tlbFlush: (mm, start, end, why) => this.pending.push({ kind: 'tlb', text: `TLB flush of ${mm.name} [${hex(start)}, ${hex(end)}) by ${why}` }),
      writeback: (file, entry, lines) => this.pending.push({ kind: 'writeback', text: `dax_writeback_one: ${file.name} entry at index ${entry.index} (${entry.order > 0 ? 'PMD' : 'PTE'}): ${lines} dirty line${lines === 1 ? '' : 's'} written back` }),
      fileSynced: (file, start, end) => this.pending.push({ kind: 'sync', text: `${file.name} [${hex(start)}, ${hex(end)}) synced: every byte written before is promised durable` }),
      mkcleanVisit: (file, entry, vma, va, level, action) => {
        this.visits.push({ proc: vma.mm.name, vma: vma.name, va, level, action, file: file.name, entryIndex: entry.index });
        const bad = MISS_ACTIONS.has(action);
        this.pending.push({ kind: 'visit', bad, text: `mkclean visited ${vma.mm.name}/${vma.name} at ${hex(va)} (${level}) for ${file.name} entry ${entry.index}: ${action}` });
      },
      mkcleanMissed: (file, entry, vma) => {
        this.missed.push({ proc: vma.mm.name, vma: vma.name, file: file.name, entryIndex: entry.index });
        this.pending.push({ kind: 'missed', bad: true, text: `mkclean MISSED ${vma.mm.name}/${vma.name}: it maps part of ${file.name} entry ${entry.index} but the i_mmap query did not return it` });
      },
    };
    return {
      taskEvents,
      events: mergeListeners(own, this.ledger.events()),
      afterStatement: (s, sim) => {
        this.ledger.attach(sim);
        this.ledger.endStatement(s.line, 'proc' in s ? s.proc : null);
        this.snapshot(s, sim);
      },
    };
  }

  private snapshot(s: Stmt, sim: Simulation): void {
    const procs: ProcSnap[] = sim.kernel.mms.map((mm) => {
      const rows = collectPtRows(sim, mm);
      return {
        name: mm.name,
        cpu: mm.cpu,
        vmas: mm.vmas.map((v) => ({
          name: v.name,
          file: v.file.name,
          offset: v.pgoff * sim.pageSize,
          length: v.end - v.start,
          start: v.start,
          write: v.flags.write,
          shared: v.flags.shared,
          sync: v.flags.sync,
          rows: rows.filter((r) => r.vma === v.name),
        })),
        stray: rows.filter((r) => r.vma === null),
      };
    });
    this.steps.push({
      line: s.line,
      source: (this.lines[s.line - 1] ?? '').replace(/#.*/, '').trim(),
      events: this.pending,
      visits: this.visits,
      missed: this.missed,
      procs,
      files: sim.kernel.files.map((f) => ({ name: f.name, size: f.size, entries: sim.daxEntries(f) })),
      dirtyLines: collectCacheRows(sim).reduce((a, r) => a + r.lines, 0),
      notes: this.notes(s),
      tasks: this.taskLog,
    });
    this.taskLog = [];
    this.pending = [];
    this.visits = [];
    this.missed = [];
  }

  /** What the ledger says about statement `s`: unprotected stores, syncs that wrote nothing back. */
  private notes(s: Stmt): Step['notes'] {
    const at = this.ledger.ofLine(s.line);
    const out: Step['notes'] = [];
    for (const st of at.stores) {
      if (!st.unprotected) continue;
      const miss = this.ledger.missFor(st) ?? undefined;
      out.push({
        bad: true,
        text: `${st.by}'s store to ${range(st.file, st.offset, st.end)} took no fault: the mapping was still writable and dirty${miss !== undefined ? ` (mkclean missed it at line ${miss.line}: ${miss.reason})` : ''}, so DAX entry ${st.entryIndex ?? '?'} stayed clean and no fsync will write this back`,
      });
    }
    const syncs = at.promises.filter((p) => p.kind === 'sync');
    if (syncs.length > 0) {
      const written = at.writebacks.reduce((a, w) => a + w.lines, 0);
      // Bad when it leaves behind a store it promised but no writeback will ever see.
      const abandoned = this.ledger.stores.some((x) => x.unprotected && syncs.some((p) => x.seq < p.seq && x.file === p.file && x.offset < p.end && p.start < x.end));
      if (at.writebacks.length === 0) out.push({ bad: abandoned, text: `the writeback wrote nothing back: no DIRTY DAX entry in ${syncs.map((p) => range(p.file, p.start, p.end)).join(', ')}` });
      else if (written === 0) out.push({ bad: false, text: `dax_writeback_one found ${at.writebacks.length} entr${at.writebacks.length === 1 ? 'y' : 'ies'} to write back, but no dirty line in ${at.writebacks.length === 1 ? 'it' : 'them'}: nothing written back` });
    }
    return out;
  }

  finish(report: RunReport | null, error?: string): void {
    this.report = report;
    this.error = error;
    if (report !== null) {
      this.explained = this.ledger.explain(report.lost);
      this.luck = this.ledger.luck(report.lost);
    }
  }

  run(): RecordedRun {
    return { title: this.title, steps: this.steps, report: this.report, explained: this.explained, luck: this.luck, ...(this.error !== undefined ? { error: this.error } : {}) };
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `table.lanes td { vertical-align: top; } 
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:2px solid #444;margin-top:2em}h3{font-size:1.05em;margin:1em 0 .3em}
code,td.m,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
details.step{background:#fff;border:1px solid #ccc;border-radius:4px;margin:.4em 0;padding:.3em .7em}
details.step>summary{cursor:pointer;font-weight:600}details.step.same>summary{font-weight:400;color:#777}
details.step.mk{border-left:5px solid #2e7d32}details.step.miss{border-left:5px solid #c62828}details.step:target{outline:3px solid #1565c0}
table{border-collapse:collapse;margin:.3em 0 .6em}th,td{border:1px solid #ddd;padding:1px 6px;text-align:left;vertical-align:top}
th{background:#eee}.proc{display:inline-block;vertical-align:top;margin-right:1.5em}
.b{display:inline-block;border-radius:3px;padding:0 4px;font-size:11px;font-weight:700;margin-right:2px}
.dirty{background:#ffcdd2;color:#b71c1c}.clean{background:#c8e6c9;color:#1b5e20}.rw{background:#ffe0b2;color:#e65100}.ro{background:#e3f2fd;color:#0d47a1}
.towrite{background:#fff9c4;color:#795548}.lvl{background:#eceff1;color:#37474f}.luck{background:#fff3e0;color:#e65100;border:1px dashed #e65100}
.chg{outline:2px solid #6a1b9a;outline-offset:1px}.plus{color:#1b5e20;font-weight:700}.minus{color:#b71c1c;font-weight:700}
tr.visited td{background:#e8f5e9}tr.bad td,tr.missed td{background:#ffebee}tr.gone td{color:#777;text-decoration:line-through}
ul.ev{margin:.2em 0;padding-left:1.3em}li.bad{color:#b71c1c;font-weight:600}li.visit{color:#1b5e20}li.note{color:#4a148c}
.lost{background:#ffebee;border:2px solid #c62828;padding:.5em}.durable{background:#e8f5e9;border:2px solid #2e7d32;padding:.5em}
.lucky{background:#fff3e0;border:2px dashed #e65100;padding:.5em;margin-top:.5em}
.muted{color:#777}
`;

function badge(cls: string, text: string): string {
  return `<span class="b ${cls}">${esc(text)}</span>`;
}

/** A link to the step of `line` in run `id`. */
function stepLink(id: string, line: number, text: string): string {
  return `<a href="#${id}-l${line}">line ${line}</a>: <code>${esc(text)}</code>`;
}

/** What can change in a leaf between steps, and how it shows. */
const ROW_FIELDS: ReadonlyArray<{ key: 'present' | 'write' | 'dirty' | 'young'; on: [string, string]; off: [string, string] }> = [
  { key: 'present', on: ['lvl', 'present'], off: ['lvl', 'not present'] },
  { key: 'write', on: ['rw', 'rw'], off: ['ro', 'ro'] },
  { key: 'dirty', on: ['dirty', 'dirty'], off: ['clean', 'clean'] },
  { key: 'young', on: ['lvl', 'young'], off: ['lvl', 'old'] },
];

function rowState(r: PtRow, before: PtRow | undefined): string {
  return ROW_FIELDS.filter((f) => f.key !== 'young' || before !== undefined)
    .filter((f) => f.key === 'present' || r.present)
    .map((f) => {
      const [cls, text] = r[f.key] ? f.on : f.off;
      const changed = before !== undefined && before[f.key] !== r[f.key];
      return badge(`${cls}${changed ? ' chg' : ''}`, text);
    })
    .join('');
}

/** Flags set (+) and cleared (-) since the previous step, by the kernel's names. */
function flagDiff(r: PtRow, before: PtRow | undefined): string {
  if (before === undefined) return '';
  const plus = r.flags.filter((f) => !before.flags.includes(f));
  const minus = before.flags.filter((f) => !r.flags.includes(f));
  return [...plus.map((f) => `<span class="plus">+${esc(f)}</span>`), ...minus.map((f) => `<span class="minus">-${esc(f)}</span>`)].join(' ');
}

const rowKey = (r: PtRow): string => `${r.vma ?? '-'}:${r.start}:${r.level}`;
const rowSame = (a: PtRow, b: PtRow): boolean => a.end === b.end && a.raw === b.raw && a.target === b.target && a.flags.join() === b.flags.join();

/** One process in one step: only the entries that appeared, changed or went away. */
function renderProc(p: ProcSnap, prev: ProcSnap | undefined, step: Step): string {
  const rows = [...p.vmas.flatMap((v) => v.rows), ...p.stray];
  const before = new Map((prev === undefined ? [] : [...prev.vmas.flatMap((v) => v.rows), ...prev.stray]).map((r) => [rowKey(r), r]));
  const missedVmas = new Set(step.missed.filter((m) => m.proc === p.name).map((m) => m.vma));
  const out: string[] = [];
  let unchanged = 0;
  const vmaHead = (name: string | null): string => {
    const v = p.vmas.find((x) => x.name === name);
    return v === undefined ? '(outside every VMA)' : `${esc(v.name)}: ${esc(v.file)} +${hex(v.offset)} len ${humanSize(v.length)} ${v.write ? 'rw' : 'ro'} ${v.shared ? 'shared' : 'private'}${v.sync ? ' sync' : ''}`;
  };
  for (const r of rows) {
    const old = before.get(rowKey(r));
    before.delete(rowKey(r));
    const visits = step.visits.filter((x) => x.proc === p.name && x.vma === r.vma && x.va >= r.start && x.va < r.end);
    const missed = r.vma !== null && missedVmas.has(r.vma);
    if (old !== undefined && rowSame(old, r) && visits.length === 0 && !missed) {
      unchanged++;
      continue;
    }
    const bad = visits.some((x) => MISS_ACTIONS.has(x.action));
    const cls = missed ? 'missed' : bad ? 'bad' : visits.length > 0 ? 'visited' : '';
    const mk = missed ? 'MISSED (VMA not returned by i_mmap)' : visits.map((x) => `${x.action} (${x.level})`).filter((x, j, a) => a.indexOf(x) === j).join(', ');
    const n = (r.end - r.start) / r.page_size;
    out.push(
      `<tr class="${cls}"><td class="m">${vmaHead(r.vma)}</td><td class="m">${hex(r.start)}-${hex(r.end)}</td><td>${badge('lvl', r.level)}${n > 1 ? ` x${n}` : ''}</td><td>${old === undefined ? badge('lvl', 'new') : ''}${rowState(r, old)}</td><td class="m">${flagDiff(r, old)}</td><td class="m">${esc(r.target)}</td><td>${esc(mk)}</td></tr>`,
    );
  }
  for (const r of before.values()) out.push(`<tr class="gone"><td class="m">${vmaHead(r.vma)}</td><td class="m">${hex(r.start)}-${hex(r.end)}</td><td>${badge('lvl', r.level)}</td><td>removed</td><td></td><td class="m">${esc(r.target)}</td><td></td></tr>`);
  for (const v of p.vmas) {
    if (v.rows.length === 0 && missedVmas.has(v.name)) out.push(`<tr class="missed"><td class="m">${vmaHead(v.name)}</td><td class="m">${hex(v.start)}</td><td colspan="4" class="muted">no entries</td><td>MISSED</td></tr>`);
  }
  const newVmas = p.vmas.filter((v) => prev === undefined || !prev.vmas.some((x) => x.name === v.name));
  if (out.length === 0 && newVmas.length === 0) return '';
  const head = `<div class="proc"><b>${esc(p.name)}</b> <span class="muted">(cpu ${p.cpu})</span>${newVmas.map((v) => ` new mapping <code>${vmaHead(v.name)}</code> at ${hex(v.start)}`).join('')}`;
  if (out.length === 0) return head + '</div>';
  return `${head}<table><tr><th>mapping</th><th>virtual range</th><th>level</th><th>state</th><th>bits changed</th><th>maps</th><th>mkclean</th></tr>${out.join('')}</table>${unchanged > 0 ? `<span class="muted">${unchanged} unchanged entr${unchanged === 1 ? 'y' : 'ies'} not shown</span>` : ''}</div>`;
}

/** The DAX entries of each file that appeared, changed marks (highlighted) or went away. */
function renderFiles(step: Step, prev: Step | undefined): string {
  const out: string[] = [];
  for (const f of step.files) {
    const before = new Map((prev?.files.find((x) => x.name === f.name)?.entries ?? []).map((e) => [e.index, e]));
    const rows: string[] = [];
    for (const e of f.entries) {
      const old = before.get(e.index);
      before.delete(e.index);
      if (old !== undefined && old.dirty === e.dirty && old.towrite === e.towrite && old.locked === e.locked && old.pfn === e.pfn && old.kind === e.kind) continue;
      const chg = (k: 'dirty' | 'towrite'): string => (old !== undefined && old[k] !== e[k] ? ' chg' : '');
      const marks = (e.dirty ? badge(`dirty${chg('dirty')}`, 'DIRTY') : badge(`clean${chg('dirty')}`, 'clean')) + (e.towrite || (old?.towrite ?? false) ? badge(`towrite${chg('towrite')}`, e.towrite ? 'TOWRITE' : 'no TOWRITE') : '') + (e.locked ? badge('lvl', 'LOCKED') : '');
      rows.push(`<tr><td class="m">${e.index}</td><td>${badge('lvl', e.order > 0 ? 'PMD' : 'PTE')}${e.kind !== 'real' ? ` ${esc(e.kind)}` : ''}${old === undefined ? ' ' + badge('lvl', 'new') : ''}</td><td class="m">${hex(e.pfn)}</td><td>${marks}</td></tr>`);
    }
    for (const e of before.values()) rows.push(`<tr class="gone"><td class="m">${e.index}</td><td>${e.order > 0 ? 'PMD' : 'PTE'}</td><td class="m">${hex(e.pfn)}</td><td>removed</td></tr>`);
    const isNew = prev === undefined || !prev.files.some((x) => x.name === f.name);
    if (rows.length === 0) {
      if (isNew) out.push(`<div class="proc">new file <b>${esc(f.name)}</b> <span class="muted">(${humanSize(f.size)}, no DAX entries yet)</span></div>`);
      continue;
    }
    out.push(`<div class="proc"><b>DAX entries of ${esc(f.name)}</b> <span class="muted">(${humanSize(f.size)})</span><table><tr><th>index</th><th>kind</th><th>pfn</th><th>marks</th></tr>${rows.join('')}</table></div>`);
  }
  return out.join('');
}

/** The verdict: each lost range with the store, the promise and the miss behind it. */
function renderExplained(run: RecordedRun, id: string, sources: ReadonlyMap<number, string>): string {
  const src = (line: number): string => sources.get(line) ?? '';
  const rows = run.explained.map((x) => {
    const r = x.range;
    const store =
      x.store === null
        ? '<span class="muted">unknown</span>'
        : `${stepLink(id, x.store.line, src(x.store.line))} by ${esc(x.store.by)}<br>${x.store.faulted ? 'took a write fault' : '<b>took no fault</b>'}${x.store.unprotected ? ': its mapping was still writable and dirty and the DAX entry clean' : ''}`;
    const promise =
      x.promise === null
        ? '<span class="muted">none</span>'
        : `${stepLink(id, x.promise.line, src(x.promise.line))}${x.promise.kind === 'flush+sfence' ? ' (clwb + sfence)' : ''}<br>${x.writebacksAfter.length === 0 ? '<b>nothing wrote these bytes back</b> after the store' : `written back at ${x.writebacksAfter.map((w) => `line ${w.line}`).join(', ')}`}`;
    const miss = x.missed === null ? '<span class="muted">none found</span>' : `${stepLink(id, x.missed.line, src(x.missed.line))}: mkclean left <b>${esc(x.missed.victim)}/${esc(x.missed.vma)}</b> writable: <b>${esc(x.missed.reason)}</b> (DAX entry ${x.missed.entryIndex})`;
    return `<tr><td class="m">${esc(r.file)} [${hex(r.offset)}, ${hex(r.offset + r.length)})<br>${r.length} bytes</td><td>${store}</td><td>${promise}</td><td>${miss}</td></tr>`;
  });
  return `<table class="why"><tr><th>lost bytes</th><th>stored by</th><th>promised by</th><th>mapping mkclean missed</th></tr>${rows.join('')}</table>`;
}

function renderLuck(run: RecordedRun, id: string, sources: ReadonlyMap<number, string>): string {
  if (run.luck.length === 0) return '';
  const items = run.luck.map((l) => {
    const by = l.savedBy;
    const saved = 'entryIndex' in by ? `${stepLink(id, by.line, sources.get(by.line) ?? '')} wrote back DAX entry ${by.entryIndex}${l.redirtied !== null ? `, made DIRTY again by ${esc(l.redirtied.by)}'s fault at ${stepLink(id, l.redirtied.line, sources.get(l.redirtied.line) ?? '')}` : ''}, and with it the whole entry, this line included` : `${stepLink(id, by.line, sources.get(by.line) ?? '')}: ${esc(by.by)}'s clwb of the line`;
    return `<li>${badge('luck', 'luck')} ${stepLink(id, l.store.line, sources.get(l.store.line) ?? '')} by ${esc(l.store.by)} (no fault, entry clean${l.missed !== null ? `, its mapping missed by mkclean at line ${l.missed.line}: ${esc(l.missed.reason)}` : ''}) was promised by ${stepLink(id, l.promise.line, sources.get(l.promise.line) ?? '')} and survived only because ${saved}.</li>`;
  });
  return `<div class="lucky" data-luck="${run.luck.length}"><b>Promises that held by luck</b><ul class="ev">${items.join('')}</ul></div>`;
}

function renderRun(run: RecordedRun, id: string): string {
  const out = [`<h2 id="${id}">${esc(run.title)}</h2>`];
  const r = run.report;
  const sources = new Map(run.steps.map((s) => [s.line, s.source]));
  if (r !== null) {
    out.push(`<p>arch <b>${esc(r.arch)}</b>, mkclean <b>${esc(r.mkclean)}</b>, persistence <b>${esc(r.persistence)}</b>, FS_DAX_LIMITED ${r.fs_dax_limited ? 'y' : 'n'}, FS_DAX_PMD ${r.fs_dax_pmd ? 'y' : 'n'}${r.pmd_what_if ? ' (what-if)' : ''}</p>`);
    const bytes = r.lost.reduce((a, x) => a + x.length, 0);
    const when = r.crash_line !== null ? stepLink(id, r.crash_line, sources.get(r.crash_line) ?? 'crash') : 'at the end';
    out.push(
      r.durable
        ? `<div class="durable" data-outcome="durable"><b>Crash (${when}): durable</b> &mdash; every byte promised by fsync/msync or flush+sfence survived.</div>`
        : `<div class="lost" data-outcome="lost"><b>Crash (${when}): LOST ${bytes} bytes</b> that fsync/msync had promised durable.${renderExplained(run, id, sources)}</div>`,
    );
    out.push(renderLuck(run, id, sources));
  }
  out.push('<h3>Step by step (only what changed)</h3>');
  const lucky = new Set(run.luck.map((l) => l.promise.line));
  run.steps.forEach((s, i) => {
    const prev = i > 0 ? run.steps[i - 1] : undefined;
    const procs = s.procs.map((p) => renderProc(p, prev?.procs.find((x) => x.name === p.name), s)).join('');
    const files = renderFiles(s, prev);
    const dirtyChanged = (prev?.dirtyLines ?? 0) !== s.dirtyLines;
    const bad = s.missed.length > 0 || s.events.some((e) => e.bad === true) || s.notes.some((n) => n.bad);
    const changed = procs !== '' || files !== '' || s.events.length > 0 || s.notes.length > 0 || dirtyChanged;
    const cls = bad ? 'step miss' : s.visits.length > 0 ? 'step mk' : changed ? 'step' : 'step same';
    out.push(
      `<details class="${cls}" id="${id}-l${s.line}"${changed ? ' open' : ''}><summary>line ${s.line}: <code>${esc(s.source)}</code>${s.missed.length > 0 ? ' &mdash; mkclean missed a mapping' : ''}${lucky.has(s.line) ? ' ' + badge('luck', 'held by luck') : ''}${changed ? '' : ' <span class="muted">(nothing changed)</span>'}</summary>`,
    );
    if (s.events.length > 0 || s.notes.length > 0) {
      out.push('<ul class="ev">' + s.events.map((e) => `<li class="${e.bad === true ? 'bad' : e.kind === 'visit' ? 'visit' : ''}">${esc(e.text)}</li>`).join('') + s.notes.map((n) => `<li class="note${n.bad ? ' bad' : ''}">${esc(n.text)}</li>`).join('') + '</ul>');
    }
    out.push(procs + files);
    if (dirtyChanged) out.push(`<div class="muted">dirty cache lines not yet in the persistence domain: ${s.dirtyLines}</div>`);
    out.push('</details>');
  });
  out.push(renderLanes(run, id));
  if (run.error !== undefined) out.push(`<p class="lost">stopped: ${esc(run.error)}</p>`);
  if (r !== null && r.expects.length > 0) out.push('<h3>Expectations</h3><ul class="ev">' + r.expects.map((e) => `<li class="${e.ok ? 'visit' : 'bad'}">${stepLink(id, e.line, e.text)} ${e.ok ? 'ok' : `FAIL (found: ${esc(e.actual ?? '')})`}</li>`).join('') + '</ul>');
  return out.join('\n');
}

/** The tasks as lanes, one column each, one row per statement in which a task did something. */
function renderLanes(run: RecordedRun, id: string): string {
  const names = [...new Set(run.steps.flatMap((s) => s.tasks.map((t) => t.task)))];
  const rows = run.steps.filter((s) => s.tasks.length > 0);
  // only where some task paused, slept or woke: a run of whole statements needs no lanes
  if (!rows.some((s) => s.tasks.some((t) => !/^(runs|done)/.test(t.text)))) return '';
  const cell = (s: Step, n: string): string => s.tasks.filter((t) => t.task === n).map((t) => `<div class="${t.bad === true ? 'bad' : ''}">${esc(t.text)}</div>`).join('');
  return `<h3>Tasks (lanes)</h3><table class="lanes"><tr><th>statement</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${rows.map((s) => `<tr><td>${stepLink(id, s.line, s.source)}</td>${names.map((n) => `<td>${cell(s, n)}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** The whole page. */
export function renderHtml(title: string, runs: readonly RecordedRun[]): string {
  const toc =
    runs.length > 1
      ? '<table><tr><th>run</th><th>outcome</th></tr>' +
        runs.map((r, i) => `<tr><td><a href="#run${i}">${esc(r.title)}</a></td><td>${r.report === null ? 'error' : r.report.durable ? badge('clean', 'durable') + (r.luck.length > 0 ? badge('luck', 'by luck') : '') : badge('dirty', `LOST ${r.report.lost.reduce((a, x) => a + x.length, 0)} bytes`)}</td></tr>`).join('') +
        '</table>'
      : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<p class="muted">daxsim report: what the crash lost and why, then each statement with only what it changed: page-table entries (changed bits highlighted), DAX entries with their DIRTY/TOWRITE marks, faults, TLB flushes, writebacks, and what mkclean visited (green) or missed (red).</p>
${toc}
${runs.map((r, i) => renderRun(r, `run${i}`)).join('\n')}
</body></html>
`;
}

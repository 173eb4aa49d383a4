// `--html report.html`: one self-contained page (inline CSS, no script, no external asset)
// that shows a run step by step: after each statement, every process's VMAs and their
// page-table entries (level, rw/ro, dirty/clean, what they map), every file's DAX entries with
// their DIRTY / TOWRITE marks, the kernel events of the step (faults, TLB flushes,
// writeback), which mappings mkclean visited (and what it did there) and which it missed,
// and at the end what the crash lost. `seed --html` puts one such run per arch x strategy
// on the page, with a table of contents.

import type { LostRange } from '../check/durability.ts';
import type { MkcleanAction } from '../kernel/events.ts';
import { MISS_ACTIONS } from '../kernel/strategies.ts';
import type { Stmt } from '../scenario/parse.ts';
import type { RunOptions, RunReport } from '../scenario/run.ts';
import type { DaxEntryView, Simulation } from '../sim/simulation.ts';
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
}

export interface RecordedRun {
  title: string;
  steps: Step[];
  report: RunReport | null;
  /** A one-line error, when the run stopped on one. */
  error?: string;
}

const hex = (v: number): string => '0x' + v.toString(16);

/** Records one run through RunOptions hooks; `finish` with the report, then `run`. */
export class HtmlRecorder {
  readonly steps: Step[] = [];
  private pending: Step['events'] = [];
  private visits: Visit[] = [];
  private missed: Missed[] = [];
  private report: RunReport | null = null;
  private error: string | undefined;
  private readonly lines: string[];

  constructor(
    readonly title: string,
    source: string,
  ) {
    this.lines = source.split(/\r?\n/);
  }

  hooks(): Required<Pick<RunOptions, 'afterStatement' | 'events'>> {
    return {
      events: {
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
      },
      afterStatement: (s, sim) => this.snapshot(s, sim),
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
    });
    this.pending = [];
    this.visits = [];
    this.missed = [];
  }

  finish(report: RunReport | null, error?: string): void {
    this.report = report;
    this.error = error;
  }

  run(): RecordedRun {
    return { title: this.title, steps: this.steps, report: this.report, ...(this.error !== undefined ? { error: this.error } : {}) };
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:2px solid #444;margin-top:2em}
code,td.m,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
details.step{background:#fff;border:1px solid #ccc;border-radius:4px;margin:.4em 0;padding:.3em .7em}
details.step>summary{cursor:pointer;font-weight:600}
details.step.mk{border-left:5px solid #2e7d32}details.step.miss{border-left:5px solid #c62828}
table{border-collapse:collapse;margin:.3em 0 .6em}th,td{border:1px solid #ddd;padding:1px 6px;text-align:left}
th{background:#eee}.proc{display:inline-block;vertical-align:top;margin-right:1.5em}
.b{display:inline-block;border-radius:3px;padding:0 4px;font-size:11px;font-weight:700;margin-right:2px}
.dirty{background:#ffcdd2;color:#b71c1c}.clean{background:#c8e6c9;color:#1b5e20}.rw{background:#ffe0b2;color:#e65100}.ro{background:#e3f2fd;color:#0d47a1}
.towrite{background:#fff9c4;color:#795548}.lvl{background:#eceff1;color:#37474f}
tr.visited td{background:#e8f5e9}tr.bad td,tr.missed td{background:#ffebee}
ul.ev{margin:.2em 0;padding-left:1.3em}li.bad{color:#b71c1c;font-weight:600}li.visit{color:#1b5e20}
.lost{background:#ffebee;border:2px solid #c62828;padding:.5em}.durable{background:#e8f5e9;border:2px solid #2e7d32;padding:.5em}
.muted{color:#777}
`;

function badge(cls: string, text: string): string {
  return `<span class="b ${cls}">${esc(text)}</span>`;
}

function rowState(r: PtRow): string {
  if (!r.present) return badge('lvl', 'not present');
  return badge(r.write ? 'rw' : 'ro', r.write ? 'rw' : 'ro') + badge(r.dirty ? 'dirty' : 'clean', r.dirty ? 'dirty' : 'clean');
}

function renderProc(p: ProcSnap, step: Step): string {
  const out = [`<div class="proc"><b>${esc(p.name)}</b> <span class="muted">(cpu ${p.cpu})</span>`];
  out.push('<table><tr><th>mapping</th><th>virtual range</th><th>level</th><th>state</th><th>maps</th><th>mkclean</th></tr>');
  const missedVmas = new Set(step.missed.filter((m) => m.proc === p.name).map((m) => m.vma));
  for (const v of p.vmas) {
    const head = `${esc(v.name)}: ${esc(v.file)} +${hex(v.offset)} len ${humanSize(v.length)} ${v.write ? 'rw' : 'ro'} ${v.shared ? 'shared' : 'private'}${v.sync ? ' sync' : ''}`;
    const missed = missedVmas.has(v.name);
    if (v.rows.length === 0) {
      out.push(`<tr class="${missed ? 'missed' : ''}"><td class="m">${head}</td><td class="m">${hex(v.start)}</td><td colspan="3" class="muted">no entries</td><td>${missed ? 'MISSED' : ''}</td></tr>`);
      continue;
    }
    v.rows.forEach((r, i) => {
      const visits = step.visits.filter((x) => x.proc === p.name && x.vma === v.name && x.va >= r.start && x.va < r.end);
      const bad = visits.some((x) => MISS_ACTIONS.has(x.action));
      const cls = missed ? 'missed' : bad ? 'bad' : visits.length > 0 ? 'visited' : '';
      const mk = missed ? 'MISSED (VMA not found)' : visits.map((x) => `${x.action} (${x.level})`).filter((x, j, a) => a.indexOf(x) === j).join(', ');
      out.push(
        `<tr class="${cls}"><td class="m">${i === 0 ? head : ''}</td><td class="m">${hex(r.start)}-${hex(r.end)}</td><td>${badge('lvl', r.level)}${(r.end - r.start) / r.pageSize > 1 ? ` x${(r.end - r.start) / r.pageSize}` : ''}</td><td>${rowState(r)}</td><td class="m">${esc(r.target)}</td><td>${esc(mk)}</td></tr>`,
      );
    });
  }
  for (const r of p.stray) out.push(`<tr class="bad"><td class="m">(outside every VMA)</td><td class="m">${hex(r.start)}-${hex(r.end)}</td><td>${badge('lvl', r.level)}</td><td>${rowState(r)}</td><td class="m">${esc(r.target)}</td><td></td></tr>`);
  out.push('</table></div>');
  return out.join('');
}

function renderFiles(step: Step): string {
  const out: string[] = [];
  for (const f of step.files) {
    out.push(`<div class="proc"><b>DAX entries of ${esc(f.name)}</b> <span class="muted">(${humanSize(f.size)})</span><table><tr><th>index</th><th>kind</th><th>pfn</th><th>marks</th></tr>`);
    if (f.entries.length === 0) out.push('<tr><td colspan="4" class="muted">none</td></tr>');
    for (const e of f.entries) {
      const marks = (e.dirty ? badge('dirty', 'DIRTY') : badge('clean', 'clean')) + (e.towrite ? badge('towrite', 'TOWRITE') : '') + (e.locked ? badge('lvl', 'LOCKED') : '');
      out.push(`<tr><td class="m">${e.index}</td><td>${badge('lvl', e.order > 0 ? 'PMD' : 'PTE')}${e.kind !== 'real' ? ` ${esc(e.kind)}` : ''}</td><td class="m">${hex(e.pfn)}</td><td>${marks}</td></tr>`);
    }
    out.push('</table></div>');
  }
  return out.join('');
}

function renderLost(lost: readonly LostRange[]): string {
  return `<table><tr><th>file</th><th>offset</th><th>length</th></tr>${lost.map((r) => `<tr><td>${esc(r.file)}</td><td class="m">${hex(r.offset)}</td><td>${r.length}</td></tr>`).join('')}</table>`;
}

function renderRun(run: RecordedRun, id: string): string {
  const out = [`<h2 id="${id}">${esc(run.title)}</h2>`];
  const r = run.report;
  if (r !== null) {
    out.push(`<p>arch <b>${esc(r.arch)}</b>, mkclean <b>${esc(r.mkclean)}</b>, persistence <b>${esc(r.persistence)}</b>, FS_DAX_LIMITED ${r.fs_dax_limited ? 'y' : 'n'}, FS_DAX_PMD ${r.fs_dax_pmd ? 'y' : 'n'}${r.pmd_what_if ? ' (what-if)' : ''}</p>`);
  }
  for (const s of run.steps) {
    const cls = s.missed.length > 0 || s.events.some((e) => e.bad === true) ? 'step miss' : s.visits.length > 0 ? 'step mk' : 'step';
    out.push(`<details class="${cls}" open><summary>line ${s.line}: <code>${esc(s.source)}</code>${s.missed.length > 0 ? ' &mdash; mkclean missed a mapping' : ''}</summary>`);
    if (s.events.length > 0) {
      out.push('<ul class="ev">' + s.events.map((e) => `<li class="${e.bad === true ? 'bad' : e.kind === 'visit' ? 'visit' : ''}">${esc(e.text)}</li>`).join('') + '</ul>');
    }
    out.push(s.procs.map((p) => renderProc(p, s)).join('') + renderFiles(s));
    out.push(`<div class="muted">dirty cache lines not yet in the persistence domain: ${s.dirtyLines}</div></details>`);
  }
  if (run.error !== undefined) out.push(`<p class="lost">stopped: ${esc(run.error)}</p>`);
  if (r !== null) {
    const bytes = r.lost.reduce((a, x) => a + x.length, 0);
    out.push(
      r.durable
        ? `<div class="durable" data-outcome="durable"><b>Crash${r.crash_line !== null ? ` (line ${r.crash_line})` : ' (at the end)'}: durable</b> &mdash; every byte promised by fsync/msync or flush+sfence survived.</div>`
        : `<div class="lost" data-outcome="lost"><b>Crash${r.crash_line !== null ? ` (line ${r.crash_line})` : ' (at the end)'}: LOST ${bytes} bytes</b> that fsync/msync had promised durable:${renderLost(r.lost)}</div>`,
    );
    if (r.expects.length > 0) out.push('<ul class="ev">' + r.expects.map((e) => `<li class="${e.ok ? 'visit' : 'bad'}">line ${e.line}: ${e.ok ? 'ok' : 'FAIL'} <code>${esc(e.text)}</code>${e.ok ? '' : ` (found: ${esc(e.actual ?? '')})`}</li>`).join('') + '</ul>');
  }
  return out.join('\n');
}

/** The whole page. */
export function renderHtml(title: string, runs: readonly RecordedRun[]): string {
  const toc =
    runs.length > 1
      ? '<table><tr><th>run</th><th>outcome</th></tr>' +
        runs.map((r, i) => `<tr><td><a href="#run${i}">${esc(r.title)}</a></td><td>${r.report === null ? 'error' : r.report.durable ? badge('clean', 'durable') : badge('dirty', `LOST ${r.report.lost.reduce((a, x) => a + x.length, 0)} bytes`)}</td></tr>`).join('') +
        '</table>'
      : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<p class="muted">daxsim report: after each statement, every process's mappings and page-table entries, the DAX entries with their DIRTY/TOWRITE marks, and what mkclean visited (green) or missed (red).</p>
${toc}
${runs.map((r, i) => renderRun(r, `run${i}`)).join('\n')}
</body></html>
`;
}

// `run --dump P [--dump P2 ...] [--dump-cache] [--at LINE]` and `run --html FILE`: the hooks
// the run command passes to runScenario, and what it prints afterwards.

import { writeFileSync } from 'node:fs';
import { InputError } from '../cli/errors.ts';
import { parseNumber, type Scenario } from '../scenario/parse.ts';
import type { RunOptions, RunReport } from '../scenario/run.ts';
import type { Simulation } from '../sim/simulation.ts';
import { HtmlRecorder, renderHtml } from './html.ts';
import { collectCacheRows, collectPtRows, formatCacheDump, formatPtdump, type CacheRow, type PtRow } from './ptdump.ts';

export interface DumpOptions {
  dump?: string[];
  'dump-cache'?: boolean;
  at?: string;
  html?: string;
}

export interface DumpJson {
  at: number | null;
  page_tables: Record<string, PtRow[]>;
  cache?: CacheRow[];
}

/** Dumps and the HTML recorder of one `run`, wired through RunOptions hooks. */
export class RunDumps {
  private readonly procs: string[];
  private readonly cache: boolean;
  private readonly at: number | null;
  private sim: Simulation | null = null;
  private taken = false;
  private text = '';
  private json: DumpJson | null = null;
  readonly html: HtmlRecorder | null;

  constructor(
    private readonly scn: Scenario,
    source: string,
    opts: DumpOptions,
  ) {
    this.procs = opts.dump ?? [];
    this.cache = opts['dump-cache'] === true;
    this.at = opts.at !== undefined ? parseNumber(opts.at, 'run', '--at') : null;
    if (this.at !== null) {
      if (this.procs.length === 0 && !this.cache) throw new InputError('run', '--at LINE needs --dump P or --dump-cache');
      if (!scn.stmts.some((s) => s.line === this.at)) throw new InputError('run', `--at ${this.at}: line ${this.at} of ${scn.file} holds no statement`);
    }
    for (const p of this.procs) {
      if (!scn.stmts.some((s) => s.op === 'proc' && s.name === p)) throw new InputError('run', `--dump: ${scn.file} has no process '${p}'`);
      if (this.at !== null && !scn.stmts.some((s) => s.op === 'proc' && s.name === p && s.line <= this.at!)) throw new InputError('run', `--dump: process '${p}' does not exist yet at line ${this.at}`);
    }
    this.html = opts.html !== undefined ? new HtmlRecorder(scn.file, source) : null;
  }

  get wanted(): boolean {
    return this.procs.length > 0 || this.cache;
  }

  hooks(): Pick<RunOptions, 'afterStatement' | 'events'> {
    const html = this.html?.hooks();
    return {
      events: html?.events,
      afterStatement: (s, sim, names) => {
        this.sim = sim;
        html?.afterStatement(s, sim, names);
        if (this.at !== null && s.line === this.at) this.take(sim, `after line ${this.at}`);
      },
    };
  }

  /** After the run: the dumps at the end (unless --at took them), the HTML page. */
  finish(report: RunReport): void {
    if (this.wanted && !this.taken && this.sim !== null) this.take(this.sim, 'at the end');
    this.html?.finish(report);
  }

  private take(sim: Simulation, when: string): void {
    this.taken = true;
    const json: DumpJson = { at: this.at, page_tables: {} };
    for (const p of this.procs) {
      const mm = sim.kernel.mms.find((m) => m.name === p)!;
      this.text += formatPtdump(sim, mm, when);
      json.page_tables[p] = collectPtRows(sim, mm);
    }
    if (this.cache) {
      this.text += formatCacheDump(sim, when);
      json.cache = collectCacheRows(sim);
    }
    this.json = json;
  }

  get dumpText(): string {
    return this.text;
  }

  get dumpJson(): DumpJson | null {
    return this.json;
  }

  /** Writes the HTML page to `path` (when --html was given). */
  writeHtml(path: string | undefined): void {
    if (this.html === null || path === undefined) return;
    writeOutput('run', path, renderHtml(`daxsim run ${this.scn.file}`, [this.html.run()]));
  }
}

/** writeFileSync with a failure as a one-line input error. */
export function writeOutput(command: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new InputError(command, `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

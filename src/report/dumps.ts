// `run --dump P [--dump P2 ...] [--dump-tlb P] [--dump-cache] [--at LINE]` and `run --html FILE`:
// the hooks the run command passes to runScenario, and what it prints afterwards. Page tables
// print in the kernel's ptdump format for the arch (kernel-ptdump.ts), TLBs in QEMU's
// `info tlb` format (tlb-dump.ts), each under one `# ...` line naming the process and moment.

import { writeFileSync } from 'node:fs';
import { InputError } from '../scenario/errors.ts';
import { parseNumber, type Scenario } from '../scenario/parse.ts';
import type { RunOptions, RunReport } from '../scenario/run.ts';
import type { Mm } from '../kernel/mm.ts';
import type { Simulation } from '../sim/simulation.ts';
import { HtmlRecorder, renderHtml } from './html.ts';
import { formatKernelPtdump } from './kernel-ptdump.ts';
import { collectCacheRows, collectPtRows, formatCacheDump, type CacheRow, type PtRow } from './ptdump.ts';
import { collectTlbRows, formatTlbDump, type TlbRow } from './tlb-dump.ts';

export interface DumpOptions {
  dump?: string[];
  'dump-tlb'?: string[];
  'dump-cache'?: boolean;
  at?: string;
  html?: string;
}

export interface DumpJson {
  at: number | null;
  page_tables: Record<string, PtRow[]>;
  tlb?: Record<string, TlbRow[]>;
  cache?: CacheRow[];
}

/** Dumps and the HTML recorder of one `run`, wired through RunOptions hooks. */
export class RunDumps {
  private readonly procs: string[];
  private readonly tlbs: string[];
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
    this.tlbs = opts['dump-tlb'] ?? [];
    this.cache = opts['dump-cache'] === true;
    this.at = opts.at !== undefined ? parseNumber(opts.at, 'run', '--at') : null;
    if (this.at !== null) {
      if (!this.wanted) throw new InputError('run', '--at LINE needs --dump P, --dump-tlb P or --dump-cache');
      if (!scn.stmts.some((s) => s.line === this.at)) throw new InputError('run', `--at ${this.at}: line ${this.at} of ${scn.file} holds no statement`);
    }
    for (const [opt, list] of [['--dump', this.procs], ['--dump-tlb', this.tlbs]] as const) {
      for (const p of list) {
        if (!scn.stmts.some((s) => s.op === 'proc' && s.name === p)) throw new InputError('run', `${opt}: ${scn.file} has no process '${p}'`);
        if (this.at !== null && !scn.stmts.some((s) => s.op === 'proc' && s.name === p && s.line <= this.at!)) throw new InputError('run', `${opt}: process '${p}' does not exist yet at line ${this.at}`);
      }
    }
    this.html = opts.html !== undefined ? new HtmlRecorder(scn.file, source) : null;
  }

  get wanted(): boolean {
    return this.procs.length > 0 || this.tlbs.length > 0 || this.cache;
  }

  hooks(): Pick<RunOptions, 'afterStatement' | 'events' | 'taskEvents'> {
    const html = this.html?.hooks();
    return {
      events: html?.events,
      taskEvents: html?.taskEvents,
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
    const mmOf = (p: string): Mm => sim.kernel.mms.find((m) => m.name === p)!;
    for (const p of this.procs) {
      const mm = mmOf(p);
      this.text += `# ptdump of ${p} (cpu ${mm.cpu}), ${sim.layout.name}, ${when}\n` + formatKernelPtdump(sim, mm);
      json.page_tables[p] = collectPtRows(sim, mm);
    }
    for (const p of this.tlbs) {
      const mm = mmOf(p);
      this.text += formatTlbDump(sim, mm, when);
      (json.tlb ??= {})[p] = collectTlbRows(sim, mm).rows;
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

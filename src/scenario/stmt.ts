// The scenario as data: its settings and statements, as parse.ts returns them and run.ts,
// format.ts, the generator and the reports read them (README "Language reference").

import type { FsName } from '../kernel/fs.ts';
import type { ResumeStmt, ThreadStmt, Until } from './parse-tasks.ts';
import type { ExpectStmt, Guard } from './expect-types.ts';
import type { GupStmt } from './parse-gup.ts';
import type { PoisonStmt } from './parse-poison.ts';

export type Persistence = 'adr' | 'eadr';
export type PmdSetting = 'on' | 'off' | 'auto';

export interface Settings {
  arch?: string;
  /** `kernel 6.1|5.19|5.17`: whose fault and writeback rules apply (src/kernel/versions.ts). */
  kernel?: string;
  mkclean?: string;
  persistence?: Persistence;
  pmd?: PmdSetting;
  /** `debug_vm on|off`: CONFIG_DEBUG_VM (VM_WARN_ON, VM_BUG_ON); default off, as Debian 12's 6.1. */
  debug_vm?: 'on' | 'off';
}


export type Stmt =
  | { op: 'file'; line: number; name: string; size: number; sparse?: boolean; fs?: FsName }
  | { op: 'proc'; line: number; name: string }
  | { op: 'mmap'; line: number; proc: string; name: string; file: string; offset: number; length: number; write: boolean; shared: boolean; sync: boolean }
  | { op: 'write'; line: number; proc: string; map: string; offset: number; length: number; byte: number | null }
  | { op: 'read'; line: number; proc: string; map: string; offset: number; length: number }
  | { op: 'flush'; line: number; proc: string; map: string; offset: number; length: number }
  | { op: 'sfence'; line: number; proc: string }
  | { op: 'fsync'; line: number; proc: string; file: string }
  | { op: 'pwrite'; line: number; proc: string; file: string; offset: number; length: number; byte: number | null }
  | { op: 'pread'; line: number; proc: string; file: string; offset: number; length: number }
  | { op: 'fallocate'; line: number; proc: string; file: string; mode: 'zero' | 'punch'; offset: number; length: number }
  | { op: 'truncate'; line: number; proc: string; file: string; size: number }
  | { op: 'open'; line: number; proc: string; file: string }
  | { op: 'fork'; line: number; proc: string; child: string }
  | { op: 'exit'; line: number; proc: string }
  | { op: 'madvise'; line: number; proc: string; map: string; offset: number; length: number; advice: 'dontneed' }
  | { op: 'mprotect'; line: number; proc: string; map: string; offset: number; length: number; prot: 'none' | 'ro' | 'rw' }
  | { op: 'msync'; line: number; proc: string; map: string; offset: number; length: number | null }
  | { op: 'munmap'; line: number; proc: string; map: string }
  | GupStmt
  | PoisonStmt
  | { op: 'crash'; line: number }
  | ThreadStmt | ResumeStmt | { op: 'start'; line: number; proc: string; stmt: Stmt; until: Until | null }
  | { op: 'expect-durable'; line: number; lost: boolean; text: string; when?: Guard }
  | {
      op: 'expect-pte';
      line: number;
      text: string;
      proc: string;
      map: string;
      offset: number;
      present: boolean;
      write: boolean | null;
      dirty: boolean | null;
      level: 'pte' | 'pmd' | null;
      /** `zero`: the leaf maps the (huge) zero page. */
      zero?: boolean;
      /** `none`: the leaf is PROT_NONE (pte_protnone / pmd_protnone). */
      protnone?: boolean;
      when?: Guard;
    }
  | ExpectStmt;

export interface Scenario {
  readonly file: string;
  readonly settings: Settings;
  /** Line of each setting, for errors about its value. */
  readonly settingLines: Partial<Record<keyof Settings, number>>;
  readonly stmts: readonly Stmt[];
  /** `bug NAME` lines (repeatable), by library name, with their lines. */
  readonly bugs?: readonly { readonly name: string; readonly line: number }[];
}

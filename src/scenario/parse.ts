// The scenario language (.dax files, README "Language reference"): one statement a line,
// `#` comments, blank-separated words, numbers in decimal or 0x hex with an optional K/M/G
// binary suffix. Parsing checks everything that can be checked without running: arity,
// numbers, names declared before use and not reused, settings before the first action,
// nothing but `expect` after `crash`, offsets inside their mapping, mappings inside their
// file. Every error names the file and line.

import { isKernelVersion, KERNEL_VERSIONS } from '../kernel/versions.ts';
import { InputError } from './errors.ts';

export type Persistence = 'adr' | 'eadr';
export type PmdSetting = 'on' | 'off' | 'auto';

export interface Settings {
  arch?: string;
  /** `kernel 6.1|5.19|5.17`: whose fault and writeback rules apply (src/kernel/versions.ts). */
  kernel?: string;
  mkclean?: string;
  persistence?: Persistence;
  pmd?: PmdSetting;
}

export type Stmt =
  | { op: 'file'; line: number; name: string; size: number }
  | { op: 'proc'; line: number; name: string }
  | { op: 'mmap'; line: number; proc: string; name: string; file: string; offset: number; length: number; write: boolean; shared: boolean; sync: boolean }
  | { op: 'write'; line: number; proc: string; map: string; offset: number; length: number; byte: number | null }
  | { op: 'read'; line: number; proc: string; map: string; offset: number; length: number }
  | { op: 'flush'; line: number; proc: string; map: string; offset: number; length: number }
  | { op: 'sfence'; line: number; proc: string }
  | { op: 'fsync'; line: number; proc: string; file: string }
  | { op: 'msync'; line: number; proc: string; map: string; offset: number; length: number | null }
  | { op: 'munmap'; line: number; proc: string; map: string }
  | { op: 'crash'; line: number }
  | { op: 'expect-durable'; line: number; lost: boolean; text: string }
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
    }
  | {
      /** What P's CPU's TLB holds for the page at offset O of M (Mmu.tlbProbe: no walk, no side effect). */
      op: 'expect-tlb';
      line: number;
      text: string;
      proc: string;
      map: string;
      offset: number;
      cached: boolean;
      write: boolean | null;
      dirty: boolean | null;
    };

export interface Scenario {
  readonly file: string;
  readonly settings: Settings;
  /** Line of each setting, for errors about its value. */
  readonly settingLines: Partial<Record<keyof Settings, number>>;
  readonly stmts: readonly Stmt[];
}

/** Limits checked up front so no scenario can exhaust the host. */
export const LIMITS = {
  processes: 1024,
  mappings: 4096,
  files: 256,
  statements: 100_000,
  /** Bytes one write/read/flush may cover (the cache model runs at a few MB/s). */
  accessBytes: 16 * 2 ** 20,
  /** Bytes all writes together may store (host memory for the cache model: ~20 bytes a byte). */
  totalWritten: 64 * 2 ** 20,
  /** Bytes all writes, reads and flushes together may touch (bounds the run time). */
  totalTouched: 64 * 2 ** 20,
  /** Largest file and largest mapping. */
  fileBytes: 2 ** 40,
  /** The pmem device (Simulation's default): files, each 2 MiB aligned, must fit on it. */
  deviceBytes: 2 ** 40,
  /** Bytes all mappings together may span (munmap zaps every PMD slot of a mapping). */
  mappedBytes: 2 * 2 ** 40,
} as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^(0x[0-9a-fA-F]+|[0-9]+)([KMG]?)$/;
const KEYWORDS = new Set(['arch', 'kernel', 'mkclean', 'persistence', 'pmd', 'file', 'proc', 'crash', 'expect']);
/** What an unknown statement's error lists (the forms this parser accepts). */
const STATEMENT_FORMS = 'arch, kernel, mkclean, persistence, pmd, file, proc, crash, expect durable|lost|pte|tlb, or P mmap|write|read|flush|sfence|fsync|msync|munmap';

export function parseNumber(word: string, where: string, what: string): number {
  const m = NUMBER.exec(word);
  if (m === null) throw new InputError(where, `${what}: '${word}' is not a number (decimal or 0x hex, optional K/M/G)`);
  const base = m[1]!.startsWith('0x') ? parseInt(m[1]!.slice(2), 16) : parseInt(m[1]!, 10);
  const mult = m[2] === 'K' ? 2 ** 10 : m[2] === 'M' ? 2 ** 20 : m[2] === 'G' ? 2 ** 30 : 1;
  const v = base * mult;
  if (!Number.isSafeInteger(v)) throw new InputError(where, `${what}: '${word}' is too large`);
  return v;
}

interface MapInfo {
  proc: string;
  file: string;
  length: number;
  unmapped: boolean;
}

export function parseScenario(text: string, file: string): Scenario {
  const settings: Settings = {};
  const settingLines: Partial<Record<keyof Settings, number>> = {};
  const stmts: Stmt[] = [];
  const files = new Map<string, number>();
  const procs = new Set<string>();
  const maps = new Map<string, MapInfo>();
  let crashed = false;
  let acted = false;
  let written = 0;
  let touched = 0;
  let device = 0;
  let mapped = 0;
  const touch = (where: string, n: number): void => {
    touched += n;
    if (touched > LIMITS.totalTouched) throw new InputError(where, `writes, reads and flushes touch more than ${LIMITS.totalTouched} bytes in total (the limit)`);
  };
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line
  if (lines.length > LIMITS.statements) throw new InputError(`${file}:${LIMITS.statements + 1}`, `too many lines (limit ${LIMITS.statements})`);

  lines.forEach((raw, i) => {
    const line = i + 1;
    const where = `${file}:${line}`;
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return;
    const text = words.join(' ');
    const fail = (msg: string): never => {
      throw new InputError(where, msg);
    };
    const arity = (min: number, max: number, usage: string): void => {
      if (words.length < min || words.length > max) fail(`expected '${usage}'`);
    };
    const num = (w: string, what: string): number => parseNumber(w, where, what);
    const name = (w: string, what: string): string => {
      if (!NAME.test(w)) fail(`${what} '${w}' is not a name ([A-Za-z_][A-Za-z0-9_]*)`);
      if (KEYWORDS.has(w)) fail(`${what} '${w}' is a keyword`);
      return w;
    };
    const mapOf = (proc: string, m: string): MapInfo => {
      const info = maps.get(m);
      if (info === undefined) return fail(`unknown mapping '${m}'`);
      if (info.proc !== proc) return fail(`mapping '${m}' belongs to ${info.proc}, not ${proc}`);
      if (info.unmapped) return fail(`mapping '${m}' was unmapped`);
      return info;
    };
    const range = (info: MapInfo, m: string, offset: number, length: number): void => {
      if (length <= 0) fail('length must be positive');
      if (length > LIMITS.accessBytes) fail(`length ${length} exceeds the limit of ${LIMITS.accessBytes} bytes per access`);
      if (offset + length > info.length) fail(`offset ${offset} + length ${length} is past the end of mapping '${m}' (${info.length} bytes)`);
    };
    const head = words[0]!;

    if (crashed && head !== 'expect') fail(`'${head}' after crash: only expect statements may follow a crash`);

    switch (head) {
      case 'arch':
      case 'kernel':
      case 'mkclean':
      case 'persistence':
      case 'pmd': {
        arity(2, 2, `${head} VALUE`);
        if (acted) fail(`setting '${head}' must come before the first action`);
        if (settingLines[head] !== undefined) fail(`'${head}' is set twice (first on line ${settingLines[head]})`);
        const v = words[1]!;
        if (head === 'persistence' && v !== 'adr' && v !== 'eadr') fail(`persistence must be adr or eadr, not '${v}'`);
        if (head === 'pmd' && v !== 'on' && v !== 'off' && v !== 'auto') fail(`pmd must be on, off or auto, not '${v}'`);
        if (head === 'kernel' && !isKernelVersion(v)) fail(`kernel must be one of ${KERNEL_VERSIONS.join(', ')}, not '${v}'`);
        (settings as Record<string, string>)[head] = v;
        settingLines[head] = line;
        return;
      }
      case 'file': {
        arity(4, 4, 'file F size N');
        if (words[2] !== 'size') fail(`expected 'file F size N'`);
        const n = name(words[1]!, 'file');
        if (files.has(n) || procs.has(n) || maps.has(n)) fail(`name '${n}' is already used`);
        const size = num(words[3]!, 'size');
        if (size <= 0) fail('file size must be positive');
        if (size > LIMITS.fileBytes) fail(`file size ${size} exceeds the limit of ${LIMITS.fileBytes} bytes`);
        if (size % 4096 !== 0) fail(`file size ${size} is not a multiple of the page size (4096)`);
        const extent = Math.ceil(size / 2 ** 21) * 2 ** 21;
        if (device + extent > LIMITS.deviceBytes) fail(`file ${n} (${size} bytes) does not fit on the pmem device (${LIMITS.deviceBytes} bytes, ${LIMITS.deviceBytes - device} free)`);
        device += extent;
        if (files.size >= LIMITS.files) fail(`too many files (limit ${LIMITS.files})`);
        files.set(n, size);
        acted = true;
        stmts.push({ op: 'file', line, name: n, size });
        return;
      }
      case 'proc': {
        arity(2, 2, 'proc P');
        const n = name(words[1]!, 'process');
        if (files.has(n) || procs.has(n) || maps.has(n)) fail(`name '${n}' is already used`);
        if (procs.size >= LIMITS.processes) fail(`too many processes (limit ${LIMITS.processes})`);
        procs.add(n);
        acted = true;
        stmts.push({ op: 'proc', line, name: n });
        return;
      }
      case 'crash':
        arity(1, 1, 'crash');
        crashed = true;
        acted = true;
        stmts.push({ op: 'crash', line });
        return;
      case 'expect': {
        acted = true;
        const what = words[1];
        if (what === 'durable' || what === 'lost') {
          arity(2, 2, `expect ${what}`);
          if (!crashed) fail(`'expect ${what}' needs a crash before it`);
          stmts.push({ op: 'expect-durable', line, lost: what === 'lost', text });
          return;
        }
        // `expect pte|tlb P M O ... [rw|ro] [dirty|clean] [pte|pmd]`: each qualifier at most once.
        const qualifiers = (ws: readonly string[], levels: boolean): { write: boolean | null; dirty: boolean | null; level: 'pte' | 'pmd' | null } => {
          const q: { write: boolean | null; dirty: boolean | null; level: 'pte' | 'pmd' | null } = { write: null, dirty: null, level: null };
          for (const w of ws) {
            if ((w === 'rw' || w === 'ro') && q.write === null) q.write = w === 'rw';
            else if ((w === 'dirty' || w === 'clean') && q.dirty === null) q.dirty = w === 'dirty';
            else if (levels && (w === 'pte' || w === 'pmd') && q.level === null) q.level = w;
            else fail(`unexpected '${w}' (expected rw|ro, dirty|clean${levels ? ', pte|pmd' : ''}, each at most once)`);
          }
          return q;
        };
        // The process, its mapping and an offset inside it.
        const target = (): { proc: string; map: string; offset: number } => {
          const proc = words[2]!;
          if (!procs.has(proc)) fail(`unknown process '${proc}'`);
          const info = maps.get(words[3]!);
          if (info === undefined || info.proc !== proc) fail(`unknown mapping '${words[3]}' of ${proc}`);
          const offset = num(words[4]!, 'offset');
          if (offset >= info!.length) fail(`offset ${offset} is past the end of mapping '${words[3]}' (${info!.length} bytes)`);
          return { proc, map: words[3]!, offset };
        };
        // `expect pte|tlb P M O yes|no [qualifiers]`: qualifiers only after the `yes` word.
        const expectForm = (yes: string, no: string, noQualifiers: string, levels: boolean) => {
          const t = target();
          const state = words[5];
          if (state !== yes && state !== no) fail(`expected ${yes} or ${no}, not '${state}'`);
          const q = qualifiers(words.slice(6), levels);
          if (state === no && (q.write !== null || q.dirty !== null || q.level !== null)) fail(noQualifiers);
          return { t, there: state === yes, q };
        };
        if (what === 'pte') {
          arity(6, 9, 'expect pte P M O present|absent [rw|ro] [dirty|clean] [pte|pmd]');
          const { t, there, q } = expectForm('present', 'absent', 'an absent entry has no rw/dirty/level to check', true);
          stmts.push({ op: 'expect-pte', line, text, ...t, present: there, write: q.write, dirty: q.dirty, level: q.level });
          return;
        }
        if (what === 'tlb') {
          arity(6, 8, 'expect tlb P M O cached|empty [rw|ro] [dirty|clean]');
          const { t, there, q } = expectForm('cached', 'empty', 'an empty TLB slot has no rw/dirty to check', false);
          stmts.push({ op: 'expect-tlb', line, text, ...t, cached: there, write: q.write, dirty: q.dirty });
          return;
        }
        return fail(`expected 'expect durable', 'expect lost', 'expect pte ...' or 'expect tlb ...'`);
      }
    }

    // P <verb> ...
    if (words.length < 2) fail(`unknown statement '${head}' (expected ${STATEMENT_FORMS})`);
    const proc = head;
    if (!procs.has(proc)) fail(NAME.test(proc) ? `unknown process or statement '${proc}' (expected ${STATEMENT_FORMS}, P a declared process)` : `'${proc}' is not a name (expected ${STATEMENT_FORMS})`);
    const verb = words[1]!;
    acted = true;
    switch (verb) {
      case 'mmap': {
        arity(8, 11, 'P mmap M F offset O length L [rw|ro] [shared|private] [sync]');
        const m = name(words[2]!, 'mapping');
        if (files.has(m) || procs.has(m) || maps.has(m)) fail(`name '${m}' is already used`);
        const f = words[3]!;
        const fsize = files.get(f);
        if (fsize === undefined) fail(`unknown file '${f}'`);
        if (words[4] !== 'offset' || words[6] !== 'length') fail(`expected 'P mmap M F offset O length L ...'`);
        const offset = num(words[5]!, 'offset');
        const length = num(words[7]!, 'length');
        if (offset % 4096 !== 0) fail(`offset ${offset} is not page aligned`);
        if (length <= 0) fail('length must be positive');
        if (offset + length > fsize!) fail(`offset ${offset} + length ${length} is past the end of file '${f}' (${fsize} bytes)`);
        let write: boolean | null = null;
        let shared: boolean | null = null;
        let sync = false;
        for (const w of words.slice(8)) {
          if ((w === 'rw' || w === 'ro') && write === null) write = w === 'rw';
          else if ((w === 'shared' || w === 'private') && shared === null) shared = w === 'shared';
          else if (w === 'sync' && !sync) sync = true;
          else fail(`unexpected '${w}' (expected rw|ro, shared|private, sync, each at most once)`);
        }
        if (sync && shared === false) fail('sync (MAP_SYNC) needs a shared mapping');
        if (maps.size >= LIMITS.mappings) fail(`too many mappings (limit ${LIMITS.mappings})`);
        mapped += length;
        if (mapped > LIMITS.mappedBytes) fail(`mappings span more than ${LIMITS.mappedBytes} bytes in total (the limit)`);
        maps.set(m, { proc, file: f, length, unmapped: false });
        stmts.push({ op: 'mmap', line, proc, name: m, file: f, offset, length, write: write ?? true, shared: shared ?? true, sync });
        return;
      }
      case 'write': {
        if (words.length !== 5 && words.length !== 7) fail(`expected 'P write M O L [byte B]'`);
        const info = mapOf(proc, words[2]!);
        const offset = num(words[3]!, 'offset');
        const length = num(words[4]!, 'length');
        range(info, words[2]!, offset, length);
        let byte: number | null = null;
        if (words.length === 7) {
          if (words[5] !== 'byte') fail(`expected 'byte B', not '${words[5]}'`);
          byte = num(words[6]!, 'byte');
          if (byte > 255) fail(`byte ${byte} does not fit in a byte`);
        }
        written += length;
        touch(where, length);
        if (written > LIMITS.totalWritten) fail(`writes store more than ${LIMITS.totalWritten} bytes in total (the limit)`);
        stmts.push({ op: 'write', line, proc, map: words[2]!, offset, length, byte });
        return;
      }
      case 'read':
      case 'flush': {
        arity(5, 5, `P ${verb} M O L`);
        const info = mapOf(proc, words[2]!);
        const offset = num(words[3]!, 'offset');
        const length = num(words[4]!, 'length');
        range(info, words[2]!, offset, length);
        touch(where, length);
        stmts.push({ op: verb, line, proc, map: words[2]!, offset, length });
        return;
      }
      case 'sfence':
        arity(2, 2, 'P sfence');
        stmts.push({ op: 'sfence', line, proc });
        return;
      case 'fsync': {
        arity(3, 3, 'P fsync F');
        if (!files.has(words[2]!)) fail(`unknown file '${words[2]}'`);
        stmts.push({ op: 'fsync', line, proc, file: words[2]! });
        return;
      }
      case 'msync': {
        if (words.length !== 3 && words.length !== 5) fail(`expected 'P msync M [O L]'`);
        const info = mapOf(proc, words[2]!);
        if (words.length === 5) {
          const offset = num(words[3]!, 'offset');
          const length = num(words[4]!, 'length');
          if (offset % 4096 !== 0) fail(`msync offset ${offset} is not page aligned`);
          range(info, words[2]!, offset, length);
          stmts.push({ op: 'msync', line, proc, map: words[2]!, offset, length });
        } else {
          stmts.push({ op: 'msync', line, proc, map: words[2]!, offset: 0, length: null });
        }
        return;
      }
      case 'munmap': {
        arity(3, 3, 'P munmap M');
        const info = mapOf(proc, words[2]!);
        info.unmapped = true;
        stmts.push({ op: 'munmap', line, proc, map: words[2]! });
        return;
      }
      default:
        fail(`unknown statement '${proc} ${verb}' (expected ${STATEMENT_FORMS})`);
    }
  });
  if (stmts.length === 0) throw new InputError(`${file}:${Math.max(1, lines.length)}`, `no statements: an empty scenario checks nothing (expected ${STATEMENT_FORMS})`);
  return { file, settings, settingLines, stmts };
}

/** A statement in the scenario language, as parseScenario reads it back (the generator writes scenarios with it). */
export function formatStmt(s: Stmt): string {
  switch (s.op) {
    case 'file':
      return `file ${s.name} size ${s.size}`;
    case 'proc':
      return `proc ${s.name}`;
    case 'mmap':
      return `${s.proc} mmap ${s.name} ${s.file} offset ${s.offset} length ${s.length} ${s.write ? 'rw' : 'ro'} ${s.shared ? 'shared' : 'private'}${s.sync ? ' sync' : ''}`;
    case 'write':
      return `${s.proc} write ${s.map} ${s.offset} ${s.length}${s.byte !== null ? ` byte ${s.byte}` : ''}`;
    case 'read':
    case 'flush':
      return `${s.proc} ${s.op} ${s.map} ${s.offset} ${s.length}`;
    case 'sfence':
      return `${s.proc} sfence`;
    case 'fsync':
      return `${s.proc} fsync ${s.file}`;
    case 'msync':
      return s.length === null ? `${s.proc} msync ${s.map}` : `${s.proc} msync ${s.map} ${s.offset} ${s.length}`;
    case 'munmap':
      return `${s.proc} munmap ${s.map}`;
    case 'crash':
      return 'crash';
    case 'expect-durable':
    case 'expect-pte':
    case 'expect-tlb':
      return s.text;
  }
}

// The scenario language (.dax files, README "Language reference"): one statement a line,
// `#` comments, blank-separated words, numbers in decimal or 0x hex with an optional K/M/G
// binary suffix. Parsing checks everything that can be checked without running: arity,
// numbers, names declared before use and not reused, settings before the first action,
// nothing but `expect` after `crash`, offsets inside their mapping, mappings inside their
// file. Every error names the file and line.

import { FS_NAMES } from '../kernel/fs.ts';
import { resolveBug } from '../kernel/bugs.ts';
import { parseExpectTask, parseResume, parseThread, splitStart, threadVerb, type StartAt } from './parse-tasks.ts';
import { isKernelVersion, KERNEL_VERSIONS } from '../kernel/versions.ts';
import { InputError } from './errors.ts';
import { OUTCOMES, type BytesWanted, type Guard, type Outcome } from './expect-types.ts';
import { LIMITS } from './limits.ts';
import { parseExpectEntry } from './parse-entry.ts';
import { parseDma, parsePin, parseUnpin, type GupLine, type PinInfo } from './parse-gup.ts';
import { parsePoison } from './parse-poison.ts';

export type { Persistence, PmdSetting, Scenario, Settings, Stmt } from './stmt.ts';
import type { Scenario, Settings, Stmt } from './stmt.ts';
export { OUTCOMES, type BytesWanted, type ExpectStmt, type Guard, type Outcome } from './expect-types.ts';
export { LIMITS } from './limits.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^(0x[0-9a-fA-F]+|[0-9]+)([KMG]?)$/;
const KEYWORDS = new Set(['arch', 'kernel', 'mkclean', 'persistence', 'pmd', 'debug_vm', 'bug', 'if', 'file', 'proc', 'thread', 'crash', 'expect', 'dma', 'unpin']);
/** What an unknown statement's error lists (the forms this parser accepts). */
const STATEMENT_FORMS = 'arch, kernel, mkclean, bug, debug_vm, persistence, pmd, file [sparse] [fs], proc, crash, expect durable|lost|pte|tlb|entry|writeback|faults|data|view|last|dmesg, if bug|fixed expect, or P mmap|write|read|pwrite|pread|fallocate|truncate|madvise|mprotect|fork|exit|flush|sfence|fsync|msync|munmap|open|start|resume|pin|poison, thread T of P, expect done|hang, dma, unpin';

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
  write?: boolean; // PROT_WRITE (a pin takes FOLL_WRITE)
}


export function parseScenario(text: string, file: string): Scenario {
  const settings: Settings = {};
  const settingLines: Partial<Record<keyof Settings, number>> = {};
  const stmts: Stmt[] = [];
  const bugs: { name: string; line: number }[] = [];
  const files = new Map<string, number>();
  const procs = new Set<string>();
  const threadOf = new Map<string, string>(); // each thread's process, whose mappings it uses
  const exited = new Set<string>();
  const maps = new Map<string, MapInfo>();
  const pins = new Map<string, PinInfo>();
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

  const starts: StartAt[] = []; // `P start S`: S wrapped at the end
  lines.forEach((raw, i) => {
    const line = i + 1;
    const where = `${file}:${line}`;
    let words = raw.replace(/#.*/, '').trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return;
    if (procs.has(words[0]!)) words = splitStart(words, line, where, starts, stmts.length);
    let guard: Guard | undefined;
    if (words[0] === 'if') {
      if (words[1] !== 'bug' && words[1] !== 'fixed') throw new InputError(where, `expected 'if bug expect ...' or 'if fixed expect ...'`);
      if (words[2] !== 'expect') throw new InputError(where, `'if ${words[1]}' guards expect statements only`);
      guard = words[1];
      words = words.slice(2);
    }
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
    const mapOf = (task: string, m: string): MapInfo => {
      const info = maps.get(m);
      if (info === undefined) return fail(`unknown mapping '${m}'`);
      if (info.proc !== (threadOf.get(task) ?? task)) return fail(`mapping '${m}' belongs to ${info.proc}, not ${task}`);
      if (info.unmapped) return fail(`mapping '${m}' was unmapped`);
      return info;
    };
    const range = (info: { readonly length: number }, m: string, offset: number, length: number): void => {
      if (length <= 0) fail('length must be positive');
      if (length > LIMITS.accessBytes) fail(`length ${length} exceeds the limit of ${LIMITS.accessBytes} bytes per access`);
      if (offset + length > info.length) fail(`offset ${offset} + length ${length} is past the end of mapping '${m}' (${info.length} bytes)`);
    };
    const head = words[0]!;
    /** `byte B` as words 5 and 6 of a write or pwrite, or null without them. */
    const byteOption = (): number | null => {
      if (words.length !== 7) return null;
      if (words[5] !== 'byte') fail(`expected 'byte B', not '${words[5]}'`);
      const b = num(words[6]!, 'byte');
      if (b > 255) fail(`byte ${b} does not fit in a byte`);
      return b;
    };
    const pushExpect = (st: Stmt): void => {
      stmts.push(guard === undefined ? st : ({ ...st, when: guard } as Stmt));
    };
    /** `zero|written|byte B` (and `file` where allowed) from words[i..]. */
    const wanted = (i: number, allowFile: boolean): BytesWanted => {
      const w = words[i];
      const choices = allowFile ? 'zero|file|written|byte B' : 'zero|written|byte B';
      if (w === 'byte') {
        if (words.length !== i + 2) fail(`expected 'byte B'`);
        const b = num(words[i + 1]!, 'byte');
        if (b > 255) fail(`byte ${b} does not fit in a byte`);
        return { kind: 'byte', byte: b };
      }
      if (words.length !== i + 1) fail(`expected ${choices} at the end`);
      if (w === 'zero' || w === 'written' || (allowFile && w === 'file')) return { kind: w };
      return fail(`expected ${choices}, not '${w ?? ''}'`);
    };
    const fileNamed = (w: string): number => {
      const size = files.get(w);
      if (size === undefined) return fail(`unknown file '${w}'`);
      return size;
    };
    const stored = (n: number): void => { // bytes a write, pwrite or dma stores, against the limits
      written += n;
      touch(where, n);
      if (written > LIMITS.totalWritten) fail(`writes store more than ${LIMITS.totalWritten} bytes in total (the limit)`);
    };
    const gup = (): GupLine => ({ words, line, pins, fail, num, mapping: mapOf, range, stored, fresh: (w, what) => (files.has(w) || procs.has(w) || maps.has(w) || pins.has(w) ? fail(`name '${w}' is already used`) : name(w, what)) });
    const fileRange = (size: number, offset: number, length: number): void => {
      if (length <= 0) fail('length must be positive');
      if (length > LIMITS.accessBytes) fail(`length ${length} exceeds the limit of ${LIMITS.accessBytes} bytes per access`);
      if (offset + length > size) fail(`offset ${offset} + length ${length} is past the end of the file (${size} bytes)`);
    };

    if (head === 'bug') {
      arity(2, 2, 'bug NAME');
      if (acted) fail(`setting 'bug' must come before the first action`);
      const b = resolveBug(words[1]!);
      if (typeof b === 'string') fail(b);
      const known = bugs.find((x) => x.name === (b as { name: string }).name);
      if (known !== undefined) fail(`bug '${known.name}' is set twice (first on line ${known.line})`);
      bugs.push({ name: (b as { name: string }).name, line });
      return;
    }
    if (crashed && head !== 'expect') fail(`'${head}' after crash: only expect statements may follow a crash`);

    switch (head) {
      case 'arch':
      case 'kernel':
      case 'mkclean':
      case 'persistence':
      case 'debug_vm':
      case 'pmd': {
        arity(2, 2, `${head} VALUE`);
        if (acted) fail(`setting '${head}' must come before the first action`);
        if (settingLines[head] !== undefined) fail(`'${head}' is set twice (first on line ${settingLines[head]})`);
        const v = words[1]!;
        if (head === 'persistence' && v !== 'adr' && v !== 'eadr') fail(`persistence must be adr or eadr, not '${v}'`);
        if (head === 'pmd' && v !== 'on' && v !== 'off' && v !== 'auto') fail(`pmd must be on, off or auto, not '${v}'`);
        if (head === 'debug_vm' && v !== 'on' && v !== 'off') fail(`debug_vm must be on or off, not '${v}'`);
        if (head === 'kernel' && !isKernelVersion(v)) fail(`kernel must be one of ${KERNEL_VERSIONS.join(', ')}, not '${v}'`);
        (settings as Record<string, string>)[head] = v;
        settingLines[head] = line;
        return;
      }
      case 'file': {
        arity(4, 7, 'file F size N [sparse] [fs ext4|xfs|virtiofs]');
        if (words[2] !== 'size') fail(`expected 'file F size N [sparse] [fs ext4|xfs|virtiofs]'`);
        let sparse = false;
        let fs: string | null = null;
        for (let i = 4; i < words.length; i++) {
          const w = words[i]!;
          if (w === 'sparse' && !sparse) sparse = true;
          else if (w === 'fs' && fs === null && i + 1 < words.length) fs = words[++i]!;
          else fail(`unexpected '${w}' (expected sparse, fs ext4|xfs|virtiofs, each at most once)`);
        }
        // The filesystems whose DAX rules differ (src/kernel/fs.ts FS_RULES).
        const fsName = fs === null ? undefined : FS_NAMES.find((f) => f === fs);
        if (fs !== null && fsName === undefined) fail(`fs must be ext4, xfs or virtiofs, not '${fs}'`);
        const n = name(words[1]!, 'file');
        if (files.has(n) || procs.has(n) || maps.has(n) || pins.has(n)) fail(`name '${n}' is already used`);
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
        stmts.push({ op: 'file', line, name: n, size, ...(sparse ? { sparse } : {}), ...(fsName !== undefined && fsName !== 'ext4' ? { fs: fsName } : {}) });
        return;
      }
      case 'proc': {
        arity(2, 2, 'proc P');
        const n = name(words[1]!, 'process');
        if (files.has(n) || procs.has(n) || maps.has(n) || pins.has(n)) fail(`name '${n}' is already used`);
        if (procs.size >= LIMITS.processes) fail(`too many processes (limit ${LIMITS.processes})`);
        procs.add(n);
        acted = true;
        stmts.push({ op: 'proc', line, name: n });
        return;
      }
      case 'dma': // a pin came first, so `acted` is set already
      case 'unpin':
        return void stmts.push(head === 'dma' ? parseDma(gup()) : parseUnpin(gup()));
      case 'thread':
        acted = true;
        return void stmts.push(parseThread(words, line, { fail, name, files, procs, maps, threadOf, exited }));
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
          pushExpect({ op: 'expect-durable', line, lost: what === 'lost', text });
          return;
        }
        // `expect pte|tlb P M O ... [rw|ro] [dirty|clean] [pte|pmd] [zero]`: each qualifier at most once
        // (`pte|pmd` and `zero` only for page-table entries).
        const qualifiers = (ws: readonly string[], levels: boolean): { write: boolean | null; dirty: boolean | null; level: 'pte' | 'pmd' | null; zero: boolean; protnone: boolean } => {
          const q: { write: boolean | null; dirty: boolean | null; level: 'pte' | 'pmd' | null; zero: boolean; protnone: boolean } = { write: null, dirty: null, level: null, zero: false, protnone: false };
          for (const w of ws) {
            // `none`: a PROT_NONE leaf (pte_protnone), which mprotect none leaves
            if (levels && w === 'none' && !q.protnone) q.protnone = true;
            else
            if ((w === 'rw' || w === 'ro') && q.write === null) q.write = w === 'rw';
            else if ((w === 'dirty' || w === 'clean') && q.dirty === null) q.dirty = w === 'dirty';
            else if (levels && (w === 'pte' || w === 'pmd') && q.level === null) q.level = w;
            else if (levels && w === 'zero' && !q.zero) q.zero = true;
            else fail(`unexpected '${w}' (expected rw|ro, dirty|clean${levels ? ', pte|pmd, zero, none' : ''}, each at most once)`);
          }
          return q;
        };
        // The process, its mapping and an offset inside it.
        const target = (): { proc: string; map: string; offset: number } => {
          const proc = words[2]!;
          if (!procs.has(proc)) fail(`unknown process '${proc}'`);
          const info = maps.get(words[3]!);
          if (info === undefined || info.proc !== (threadOf.get(proc) ?? proc)) fail(`unknown mapping '${words[3]}' of ${proc}`);
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
          if (state === no && (q.write !== null || q.dirty !== null || q.level !== null || q.zero || q.protnone)) fail(noQualifiers);
          return { t, there: state === yes, q };
        };
        if (what === 'pte') {
          arity(6, 11, 'expect pte P M O present|absent [rw|ro] [dirty|clean] [pte|pmd] [zero] [none]');
          const { t, there, q } = expectForm('present', 'absent', 'an absent entry has no rw/dirty/level/zero to check', true);
          pushExpect({ op: 'expect-pte', line, text, ...t, present: there, write: q.write, dirty: q.dirty, level: q.level, ...(q.zero ? { zero: true } : {}), ...(q.protnone ? { protnone: true } : {}) });
          return;
        }
        if (what === 'tlb') {
          arity(6, 8, 'expect tlb P M O cached|empty [rw|ro] [dirty|clean]');
          const { t, there, q } = expectForm('cached', 'empty', 'an empty TLB slot has no rw/dirty to check', false);
          pushExpect({ op: 'expect-tlb', line, text, ...t, cached: there, write: q.write, dirty: q.dirty });
          return;
        }
        if (what === 'entry') {
          arity(5, 8, 'expect entry F O absent|empty|zero|real [pte|pmd] [dirty|clean] [locked]');
          return void pushExpect(parseExpectEntry(words, line, text, fileNamed(words[2]!), num, fail));
        }
        if (what === 'writeback') {
          arity(4, 4, 'expect writeback F N');
          fileNamed(words[2]!);
          pushExpect({ op: 'expect-writeback', line, text, file: words[2]!, entries: num(words[3]!, 'entries') });
          return;
        }
        if (what === 'faults') {
          arity(9, 9, 'expect faults P read N write N wp N');
          const proc = words[2]!;
          if (!procs.has(proc)) fail(`unknown process '${proc}'`);
          if (words[3] !== 'read' || words[5] !== 'write' || words[7] !== 'wp') fail(`expected 'expect faults P read N write N wp N'`);
          pushExpect({ op: 'expect-faults', line, text, proc, read: num(words[4]!, 'read'), write: num(words[6]!, 'write'), wp: num(words[8]!, 'wp') });
          return;
        }
        if (what === 'data') {
          if (words.length < 6) fail(`expected 'expect data F O L zero|written|byte B'`);
          const size = fileNamed(words[2]!);
          const offset = num(words[3]!, 'offset');
          const length = num(words[4]!, 'length');
          fileRange(size, offset, length);
          touch(where, length);
          pushExpect({ op: 'expect-data', line, text, file: words[2]!, offset, length, want: wanted(5, false) });
          return;
        }
        if (what === 'view') {
          if (words.length < 7) fail(`expected 'expect view P M O L zero|file|written|byte B'`);
          if (crashed) fail(`'expect view' loads through a mapping: it cannot follow a crash (use 'expect data')`);
          const proc = words[2]!;
          if (!procs.has(proc)) fail(`unknown process '${proc}'`);
          const info = mapOf(proc, words[3]!);
          const offset = num(words[4]!, 'offset');
          const length = num(words[5]!, 'length');
          range(info, words[3]!, offset, length);
          touch(where, length);
          pushExpect({ op: 'expect-view', line, text, proc, map: words[3]!, offset, length, want: wanted(6, true) });
          return;
        }
        if (what === 'last') {
          arity(3, 3, `expect last ${OUTCOMES.join('|')}`);
          const o = words[2]!;
          if (!(OUTCOMES as readonly string[]).includes(o)) fail(`expected one of ${OUTCOMES.join(', ')}, not '${o}'`);
          // the statement before this run of `expect last` lines (`if bug` and `if fixed` pairs)
          let back = stmts.length - 1;
          while (back >= 0 && stmts[back]!.op === 'expect-last') back--;
          const prev = stmts[back];
          if (prev === undefined || prev.op.startsWith('expect') || prev.op === 'file' || prev.op === 'proc') fail(`'expect last' needs a statement of a process right before it`);
          pushExpect({ op: 'expect-last', line, text, outcome: o as Outcome });
          return;
        }
        if (what === 'done' || what === 'hang') return pushExpect(parseExpectTask(words, line, text, procs, fail));
        if (what === 'dmesg') {
          if (words.length < 3) fail(`expected 'expect dmesg none|TEXT'`);
          const rest = words.slice(2).join(' ');
          pushExpect({ op: 'expect-dmesg', line, text, contains: rest === 'none' ? null : rest });
          return;
        }
        return fail(`expected 'expect durable|lost|pte|tlb|entry|writeback|faults|data|view|last|dmesg|done|hang ...'`);
      }
    }

    // P <verb> ...
    if (words.length < 2) fail(`unknown statement '${head}' (expected ${STATEMENT_FORMS})`);
    const proc = head;
    if (!procs.has(proc)) fail(NAME.test(proc) ? `unknown process or statement '${proc}' (expected ${STATEMENT_FORMS}, P a declared process)` : `'${proc}' is not a name (expected ${STATEMENT_FORMS})`);
    const verb = words[1]!;
    if (exited.has(proc)) fail(`process ${proc} has exited`);
    acted = true;
    const owner = threadVerb(threadOf, proc, verb, fail);
    switch (verb) {
      case 'resume':
        return void stmts.push(parseResume(words, line, fail));
      case 'mmap': {
        arity(8, 11, 'P mmap M F offset O length L [rw|ro] [shared|private] [sync]');
        const m = name(words[2]!, 'mapping');
        if (files.has(m) || procs.has(m) || maps.has(m) || pins.has(m)) fail(`name '${m}' is already used`);
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
        maps.set(m, { proc: owner ?? proc, file: f, length, unmapped: false, write: write ?? true });
        stmts.push({ op: 'mmap', line, proc, name: m, file: f, offset, length, write: write ?? true, shared: shared ?? true, sync });
        return;
      }
      case 'write': {
        if (words.length !== 5 && words.length !== 7) fail(`expected 'P write M O L [byte B]'`);
        const info = mapOf(proc, words[2]!);
        const offset = num(words[3]!, 'offset');
        const length = num(words[4]!, 'length');
        range(info, words[2]!, offset, length);
        const byte = byteOption();
        stored(length);
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
      case 'pwrite':
      case 'pread': {
        const usage = verb === 'pwrite' ? 'P pwrite F O L [byte B]' : 'P pread F O L';
        if (words.length !== 5 && !(verb === 'pwrite' && words.length === 7)) fail(`expected '${usage}'`);
        const size = fileNamed(words[2]!);
        const offset = num(words[3]!, 'offset');
        const length = num(words[4]!, 'length');
        fileRange(size, offset, length);
        if (verb === 'pread') {
          touch(where, length);
          stmts.push({ op: 'pread', line, proc, file: words[2]!, offset, length });
          return;
        }
        const byte = byteOption();
        stored(length);
        stmts.push({ op: 'pwrite', line, proc, file: words[2]!, offset, length, byte });
        return;
      }
      case 'fallocate': {
        arity(6, 6, 'P fallocate F punch|zero O L');
        const size = fileNamed(words[2]!);
        const mode = words[3];
        if (mode !== 'zero' && mode !== 'punch') fail(`expected punch or zero, not '${mode}'`);
        const offset = num(words[4]!, 'offset');
        const length = num(words[5]!, 'length');
        if (length <= 0) fail('length must be positive');
        if (offset + length > size) fail(`offset ${offset} + length ${length} is past the end of the file (${size} bytes)`);
        stmts.push({ op: 'fallocate', line, proc, file: words[2]!, mode: mode as 'zero' | 'punch', offset, length });
        return;
      }
      case 'truncate': {
        arity(4, 4, 'P truncate F N');
        fileNamed(words[2]!);
        const size = num(words[3]!, 'size');
        if (size % 4096 !== 0) fail(`truncate size ${size} is not a multiple of the page size (4096): daxsim keeps i_size page aligned`);
        if (size > LIMITS.fileBytes) fail(`truncate size ${size} exceeds the limit of ${LIMITS.fileBytes} bytes`);
        if (size > LIMITS.deviceBytes) fail(`truncate size ${size} is beyond the pmem device (${LIMITS.deviceBytes} bytes)`);
        files.set(words[2]!, size);
        stmts.push({ op: 'truncate', line, proc, file: words[2]!, size });
        return;
      }
      case 'open': {
        arity(3, 3, 'P open F');
        fileNamed(words[2]!);
        stmts.push({ op: 'open', line, proc, file: words[2]! });
        return;
      }
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
      case 'fork': {
        arity(3, 3, 'P fork Q');
        const q = name(words[2]!, 'process');
        if (files.has(q) || procs.has(q) || maps.has(q)) fail(`name '${q}' is already used`);
        if (procs.size >= LIMITS.processes) fail(`too many processes (limit ${LIMITS.processes})`);
        procs.add(q);
        for (const [m, info] of [...maps]) if (info.proc === proc && !info.unmapped) maps.set(`${q}.${m}`, { ...info, proc: q });
        stmts.push({ op: 'fork', line, proc, child: q });
        return;
      }
      case 'exit':
        arity(2, 2, 'P exit');
        for (const info of maps.values()) if (info.proc === proc) info.unmapped = true;
        exited.add(proc);
        stmts.push({ op: 'exit', line, proc });
        return;
      case 'madvise':
      case 'mprotect': {
        const usage = verb === 'madvise' ? 'P madvise M O L dontneed' : 'P mprotect M O L none|ro|rw';
        arity(6, 6, usage);
        const info = mapOf(proc, words[2]!);
        const offset = num(words[3]!, 'offset');
        const length = num(words[4]!, 'length');
        if (offset % 4096 !== 0) fail(`${verb} offset ${offset} is not page aligned`);
        if (length <= 0) fail('length must be positive');
        if (offset + length > info.length) fail(`offset ${offset} + length ${length} is past the end of mapping '${words[2]}' (${info.length} bytes)`);
        const what = words[5]!;
        if (verb === 'madvise') {
          if (what !== 'dontneed') fail(`expected dontneed (the only advice modelled), not '${what}'`);
          stmts.push({ op: 'madvise', line, proc, map: words[2]!, offset, length, advice: 'dontneed' });
          return;
        }
        if (what !== 'none' && what !== 'ro' && what !== 'rw') return fail(`expected none, ro or rw, not '${what}'`);
        stmts.push({ op: 'mprotect', line, proc, map: words[2]!, offset, length, prot: what });
        return;
      }
      case 'pin':
        return void stmts.push(parsePin(gup(), proc));
      case 'poison':
        return void stmts.push(parsePoison({ words, line, fail, num, fileNamed }, proc));
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
  for (const st of starts) stmts[st.at] = { op: 'start', line: st.line, proc: st.proc, stmt: stmts[st.at]!, until: st.until };
  if (stmts.length === 0) throw new InputError(`${file}:${Math.max(1, lines.length)}`, `no statements: an empty scenario checks nothing (expected ${STATEMENT_FORMS})`);
  return { file, settings, settingLines, stmts, ...(bugs.length > 0 ? { bugs } : {}) };
}

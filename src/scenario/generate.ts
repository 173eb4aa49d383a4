// Random scenarios for property tests and `explore`: 2-4 processes mapping one DAX file at
// random page-aligned offsets (inside and across 2 MiB entries, shared or private, some
// MAP_SYNC), random writes and reads, user flush + sfence, fsync, msync of a whole mapping or
// of part of it (any length: msync rounds it up to a page), munmap, then a crash. Generated
// as a fast-check arbitrary so that failures shrink to small scenarios, and turned into the
// scenario language's statements (genStatements) so every finding replays with `daxsim run`.
// The statement mix is versioned (GenStatements): 'base' is the mix above, unchanged so that
// every seed finds what it always found; 'all' adds, drawn after everything 'base' draws, a
// sparse file, pwrite, pread, fallocate punch and zero, truncate, madvise dontneed, mprotect
// (none/ro/rw, over part of a mapping too), fork (the child writes through its copy, then may
// exit) and exit, the accesses a protection, an exit or a truncate would make fault dropped.

import fc from 'fast-check';
import { formatStmt } from './format.ts';
import type { Stmt } from './parse.ts';

export interface GenMapping {
  proc: number;
  /** In pages. */
  offset: number;
  pages: number;
  shared: boolean;
  /** MAP_SYNC (shared mappings only). */
  sync: boolean;
}

export type GenOp =
  | { kind: 'write'; map: number; page: number; at: number; len: number }
  | { kind: 'read'; map: number; page: number; at: number; len: number }
  /** clwb of the range, then sfence: user-space persistence (MAP_SYNC style). */
  | { kind: 'flush'; map: number; page: number; at: number; len: number }
  | { kind: 'fsync'; proc: number }
  /** msync of the whole mapping (`whole`), or of `len` bytes from page `page` of it. */
  | { kind: 'msync'; map: number; whole: boolean; page: number; len: number }
  | { kind: 'munmap'; map: number }
  // --statements all: the bug library's system calls, each by the process of mapping `map`
  // (file ranges start at the mapping's file offset), so dropping a mapping drops them too.
  | { kind: 'pwrite'; map: number; page: number; at: number; len: number }
  | { kind: 'pread'; map: number; page: number; at: number; len: number }
  | { kind: 'fallocate'; map: number; mode: 'punch' | 'zero'; page: number; pages: number }
  | { kind: 'truncate'; map: number; pages: number }
  | { kind: 'madvise'; map: number; page: number; pages: number }
  | { kind: 'mprotect'; map: number; page: number; pages: number; prot: 'none' | 'ro' | 'rw' }
  /** fork of the mapping's process; the child writes through its copy of the mapping, then exits if `exit`. */
  | { kind: 'fork'; map: number; page: number; at: number; len: number; exit: boolean }
  | { kind: 'exit'; map: number };

/** The statement mix: 'base' (what explore always generated), 'all' (with the statements above). */
export type GenStatements = 'base' | 'all';
export const GEN_STATEMENTS: readonly GenStatements[] = ['base', 'all'];

export interface GenScenario {
  procs: number;
  /** File size in pages. */
  filePages: number;
  /** `file F ... sparse` (--statements all only). */
  sparse?: boolean;
  mappings: GenMapping[];
  ops: GenOp[];
}

/** Pages per 2 MiB for a base page size; the generator works in pages of the arch. */
export function genScenario(pageSize: number, statements: GenStatements = 'base'): fc.Arbitrary<GenScenario> {
  const perPmd = Math.max(1, (2 * 1024 * 1024) / pageSize);
  const filePages = 2 * perPmd;
  const entryIndex = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
  // No chain(): every field is independent and indexes are reduced modulo the counts, so
  // fast-check shrinks each part on its own and counterexamples get small.
  const mapping = fc
    .record({
      proc: fc.nat(3),
      // Biased towards the shapes that matter, per 2 MiB entry e: a mapping of the whole
      // aligned 2 MiB (takes PMDs), a small one starting inside it (not at its head index),
      // or anything at all.
      shape: fc.oneof(
        { weight: 2, arbitrary: fc.record({ e: entryIndex, k: fc.constant(0), pages: fc.constant(perPmd) }) },
        { weight: 2, arbitrary: fc.record({ e: entryIndex, k: fc.integer({ min: 1, max: perPmd - 1 }), pages: fc.integer({ min: 1, max: 4 }) }) },
        { weight: 1, arbitrary: fc.record({ e: fc.constant(0), k: fc.nat(filePages - 1), pages: fc.integer({ min: 1, max: filePages }) }) },
      ),
      shared: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map(({ proc, shape, shared }) => {
      const offset = shape.e * perPmd + shape.k;
      return { proc, offset, pages: Math.min(shape.pages, filePages - offset), shared, sync: false };
    });
  const access = { map: fc.nat(3), page: fc.nat(), at: fc.nat(pageSize - 64), len: fc.integer({ min: 1, max: 64 }) };
  // The core: writes, fsync, msync of whole mappings (what makes a seed-like loss likely).
  const op: fc.Arbitrary<GenOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), ...access }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('fsync' as const), proc: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('msync' as const), map: fc.nat(3) }).map((o) => ({ ...o, whole: true, page: 0, len: 0 })) },
  );
  // Sprinkled in at random places: reads, user flush + sfence, msync of part of a mapping
  // (any length: msync rounds it up to a page), munmap.
  const extra: fc.Arbitrary<GenOp> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), ...access }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('flush' as const), ...access }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('msync' as const), map: fc.nat(3), whole: fc.constant(false), page: fc.nat(), len: fc.integer({ min: 1, max: 2 * pageSize }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('munmap' as const), map: fc.nat(3) }) },
  );
  // The core and the extras are separate fields, the extras last: fast-check draws a record's
  // fields in order, so the core of scenario i is what it would be without them.
  const fields = {
    mappings: fc.array(mapping, { minLength: 2, maxLength: 4 }),
    ops: fc.array(op, { minLength: 4, maxLength: 10 }),
    // MAP_SYNC for about one shared mapping in four
    syncs: fc.array(fc.nat(3), { maxLength: 4 }),
    extras: fc.array(fc.record({ at: fc.nat(), op: extra }), { maxLength: 3 }),
  };
  const build = ({ mappings, ops, syncs, extras }: { mappings: GenMapping[]; ops: GenOp[]; syncs: number[]; extras: { at: number; op: GenOp }[] }): GenScenario => {
    const procs = Math.max(2, ...mappings.map((m) => m.proc + 1));
    const n = mappings.length;
    const all = [...ops];
    for (const x of extras) all.splice(x.at % (all.length + 1), 0, x.op);
    return {
      procs,
      filePages,
      mappings: mappings.map((m, i) => ({ ...m, sync: m.shared && syncs[i] === 0 })),
      ops: all.map((o): GenOp => (o.kind === 'fsync' ? { ...o, proc: o.proc % procs } : { ...o, map: o.map % n })),
    };
  };
  if (statements === 'base') return fc.record(fields).map(build);
  // 'all': the new statements in two more fields after the base ones, so the base part of a
  // scenario is drawn as 'base' draws it.
  const range = { map: fc.nat(3), page: fc.nat(), pages: fc.integer({ min: 1, max: 4 }) };
  const more: fc.Arbitrary<GenOp> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('pwrite' as const), ...access }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('pread' as const), ...access }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('fallocate' as const), mode: fc.constantFrom('punch' as const, 'zero' as const), ...range }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), map: fc.nat(3), pages: fc.integer({ min: 1, max: filePages }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('madvise' as const), ...range }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mprotect' as const), ...range, prot: fc.constantFrom('none' as const, 'ro' as const, 'rw' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('fork' as const), ...access, exit: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('exit' as const), map: fc.nat(3) }) },
  );
  return fc.record({ ...fields, more: fc.array(fc.record({ at: fc.nat(), op: more }), { maxLength: 4 }), sparse: fc.boolean() }).map(({ more: added, sparse, ...base }) => {
    const g = build(base);
    const all = [...g.ops];
    for (const x of added) all.splice(x.at % (all.length + 1), 0, { ...x.op, map: (x.op as { map: number }).map % g.mappings.length } as GenOp);
    return { ...g, ops: all, ...(sparse ? { sparse } : {}) };
  });
}

const procName = (i: number): string => String.fromCharCode(65 + i);

/**
 * The statements of the scenario, exactly as parseScenario would give them for its toDax
 * text without a header (file on line 1, one statement a line). Operations on a mapping
 * already unmapped are left out; offsets wrap into their mapping, msync lengths are cut at
 * its end.
 */
export function genStatements(g: GenScenario, pageSize: number): Stmt[] {
  const stmts: Stmt[] = [{ op: 'file', line: 1, name: 'F', size: g.filePages * pageSize, ...(g.sparse === true ? { sparse: true } : {}) }];
  let line = 2;
  for (let p = 0; p < g.procs; p++) stmts.push({ op: 'proc', line: line++, name: procName(p) });
  g.mappings.forEach((m, i) => {
    stmts.push({ op: 'mmap', line: line++, proc: procName(m.proc), name: `m${i}`, file: 'F', offset: m.offset * pageSize, length: m.pages * pageSize, write: true, shared: m.shared, sync: m.sync });
  });
  const unmapped = new Set<number>();
  const exited = new Set<number>();
  // What the 'all' statements change that later accesses must respect (none of them may end
  // in a signal): each mapping's protection per page, the file's size, the processes gone.
  const prot = g.mappings.map((m) => new Array<'none' | 'ro' | 'rw'>(m.pages).fill('rw'));
  let sizePages = g.filePages;
  let children = 0;
  // An access through page `page` of mapping m is possible: inside the file, and the protection allows it.
  const can = (map: number, page: number, write: boolean): boolean => {
    const p = prot[map]![page]!;
    return g.mappings[map]!.offset + page < sizePages && (write ? p === 'rw' : p !== 'none');
  };
  for (const op of g.ops) {
    if (op.kind === 'fsync') {
      if (exited.has(op.proc)) continue;
      stmts.push({ op: 'fsync', line: line++, proc: procName(op.proc), file: 'F' });
      continue;
    }
    if (unmapped.has(op.map) || exited.has(g.mappings[op.map]!.proc)) continue;
    const m = g.mappings[op.map]!;
    const proc = procName(m.proc);
    const map = `m${op.map}`;
    switch (op.kind) {
      case 'write':
        if (can(op.map, op.page % m.pages, true)) stmts.push({ op: 'write', line: line++, proc, map, offset: (op.page % m.pages) * pageSize + op.at, length: op.len, byte: null });
        break;
      case 'read':
        if (can(op.map, op.page % m.pages, false)) stmts.push({ op: 'read', line: line++, proc, map, offset: (op.page % m.pages) * pageSize + op.at, length: op.len });
        break;
      case 'flush': {
        if (!can(op.map, op.page % m.pages, false)) break;
        const offset = (op.page % m.pages) * pageSize + op.at;
        stmts.push({ op: 'flush', line: line++, proc, map, offset, length: op.len });
        stmts.push({ op: 'sfence', line: line++, proc });
        break;
      }
      case 'msync': {
        if (op.whole) {
          stmts.push({ op: 'msync', line: line++, proc, map, offset: 0, length: null });
          break;
        }
        const offset = (op.page % m.pages) * pageSize;
        stmts.push({ op: 'msync', line: line++, proc, map, offset, length: Math.min(op.len, m.pages * pageSize - offset) });
        break;
      }
      case 'munmap':
        unmapped.add(op.map);
        stmts.push({ op: 'munmap', line: line++, proc, map });
        break;
      case 'pwrite':
      case 'pread': {
        const offset = (m.offset + (op.page % m.pages)) * pageSize + op.at;
        const length = Math.min(op.len, sizePages * pageSize - offset);
        if (length <= 0) break;
        stmts.push(op.kind === 'pwrite' ? { op: 'pwrite', line: line++, proc, file: 'F', offset, length, byte: null } : { op: 'pread', line: line++, proc, file: 'F', offset, length });
        break;
      }
      case 'fallocate': {
        const first = m.offset + (op.page % m.pages);
        const pages = Math.min(op.pages, sizePages - first);
        if (pages <= 0) break;
        stmts.push({ op: 'fallocate', line: line++, proc, file: 'F', mode: op.mode, offset: first * pageSize, length: pages * pageSize });
        break;
      }
      case 'truncate':
        sizePages = op.pages;
        stmts.push({ op: 'truncate', line: line++, proc, file: 'F', size: op.pages * pageSize });
        break;
      case 'madvise':
      case 'mprotect': {
        const first = op.page % m.pages;
        const pages = Math.min(op.pages, m.pages - first);
        if (op.kind === 'madvise') {
          stmts.push({ op: 'madvise', line: line++, proc, map, offset: first * pageSize, length: pages * pageSize, advice: 'dontneed' });
          break;
        }
        prot[op.map]!.fill(op.prot, first, first + pages);
        stmts.push({ op: 'mprotect', line: line++, proc, map, offset: first * pageSize, length: pages * pageSize, prot: op.prot });
        break;
      }
      case 'fork': {
        const child = `K${children++}`;
        stmts.push({ op: 'fork', line: line++, proc, child });
        // the child's copies of the parent's live mappings have the parent's protections
        if (can(op.map, op.page % m.pages, true)) stmts.push({ op: 'write', line: line++, proc: child, map: `${child}.${map}`, offset: (op.page % m.pages) * pageSize + op.at, length: op.len, byte: null });
        if (op.exit) stmts.push({ op: 'exit', line: line++, proc: child });
        break;
      }
      case 'exit':
        exited.add(m.proc);
        stmts.push({ op: 'exit', line: line++, proc });
        break;
    }
  }
  stmts.push({ op: 'crash', line: line++ });
  return stmts;
}

/** The scenario in the scenario language (without settings, so any arch/strategy can run it). */
export function toDax(g: GenScenario, pageSize: number, header: readonly string[] = []): string {
  const lines = [...header.map((h) => `# ${h}`), ...genStatements(g, pageSize).map(formatStmt)];
  return lines.join('\n') + '\n';
}

/** The size of a scenario, for comparing counterexamples: statements other than setup. */
export function scenarioWeight(g: GenScenario): number {
  return g.procs + g.mappings.length + g.ops.length;
}

/**
 * Greedy minimisation after fast-check's own shrinking (which cannot drop a mapping without
 * renumbering the operations that use it): repeatedly drop one operation or one mapping
 * (with its operations), and renumber processes densely, keeping any change after which
 * `fails` still holds. Deterministic; ends at a scenario where no single removal keeps the failure.
 */
export function minimize(g: GenScenario, fails: (g: GenScenario) => boolean): GenScenario {
  let cur = g;
  for (let changed = true; changed; ) {
    changed = false;
    const candidates: GenScenario[] = [];
    for (let i = 0; i < cur.ops.length; i++) candidates.push({ ...cur, ops: cur.ops.filter((_, j) => j !== i) });
    for (let m = 0; m < cur.mappings.length; m++) candidates.push(dropMapping(cur, m));
    for (const c of candidates.map(densify)) {
      if (c.mappings.length === 0 || c.ops.length === 0) continue;
      if (fails(c)) {
        cur = c;
        changed = true;
        break;
      }
    }
  }
  return cur;
}

function dropMapping(g: GenScenario, m: number): GenScenario {
  const ops: GenOp[] = [];
  for (const o of g.ops) {
    if (o.kind === 'fsync') ops.push(o);
    else if (o.map !== m) ops.push({ ...o, map: o.map > m ? o.map - 1 : o.map });
  }
  return { ...g, mappings: g.mappings.filter((_, i) => i !== m), ops };
}

/** Renumbers processes to those used by mappings or fsyncs, at least two. */
function densify(g: GenScenario): GenScenario {
  const used = [...new Set([...g.mappings.map((m) => m.proc), ...g.ops.flatMap((o) => (o.kind === 'fsync' ? [o.proc] : []))])].sort((a, b) => a - b);
  const index = new Map(used.map((p, i) => [p, i]));
  return {
    ...g,
    procs: Math.max(2, used.length),
    mappings: g.mappings.map((m) => ({ ...m, proc: index.get(m.proc)! })),
    ops: g.ops.map((o) => (o.kind === 'fsync' ? { ...o, proc: index.get(o.proc)! } : o)),
  };
}

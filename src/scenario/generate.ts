// Random scenarios for property tests and `explore`: 2-4 processes mapping one DAX file at
// random page-aligned offsets (inside and across 2 MiB entries, shared or private, some
// MAP_SYNC), random writes and reads, user flush + sfence, fsync, msync of a whole mapping or
// of part of it (any length: msync rounds it up to a page), munmap, then a crash. Generated
// as a fast-check arbitrary so that failures shrink to small scenarios, and turned into the
// scenario language's statements (genStatements) so every finding replays with `daxsim run`.

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
  | { kind: 'munmap'; map: number };

export interface GenScenario {
  procs: number;
  /** File size in pages. */
  filePages: number;
  mappings: GenMapping[];
  ops: GenOp[];
}

/** Pages per 2 MiB for a base page size; the generator works in pages of the arch. */
export function genScenario(pageSize: number): fc.Arbitrary<GenScenario> {
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
  return fc
    .record({
      mappings: fc.array(mapping, { minLength: 2, maxLength: 4 }),
      ops: fc.array(op, { minLength: 4, maxLength: 10 }),
      // MAP_SYNC for about one shared mapping in four
      syncs: fc.array(fc.nat(3), { maxLength: 4 }),
      extras: fc.array(fc.record({ at: fc.nat(), op: extra }), { maxLength: 3 }),
    })
    .map(({ mappings, ops, syncs, extras }) => {
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
  const stmts: Stmt[] = [{ op: 'file', line: 1, name: 'F', size: g.filePages * pageSize }];
  let line = 2;
  for (let p = 0; p < g.procs; p++) stmts.push({ op: 'proc', line: line++, name: procName(p) });
  g.mappings.forEach((m, i) => {
    stmts.push({ op: 'mmap', line: line++, proc: procName(m.proc), name: `m${i}`, file: 'F', offset: m.offset * pageSize, length: m.pages * pageSize, write: true, shared: m.shared, sync: m.sync });
  });
  const unmapped = new Set<number>();
  for (const op of g.ops) {
    if (op.kind === 'fsync') {
      stmts.push({ op: 'fsync', line: line++, proc: procName(op.proc), file: 'F' });
      continue;
    }
    if (unmapped.has(op.map)) continue;
    const m = g.mappings[op.map]!;
    const proc = procName(m.proc);
    const map = `m${op.map}`;
    switch (op.kind) {
      case 'write':
        stmts.push({ op: 'write', line: line++, proc, map, offset: (op.page % m.pages) * pageSize + op.at, length: op.len, byte: null });
        break;
      case 'read':
        stmts.push({ op: 'read', line: line++, proc, map, offset: (op.page % m.pages) * pageSize + op.at, length: op.len });
        break;
      case 'flush': {
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

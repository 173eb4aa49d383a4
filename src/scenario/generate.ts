// Random scenarios for property tests and `explore`: 2-4 processes mapping one DAX file at
// random page-aligned offsets (inside and across 2 MiB entries, shared or private), random
// writes, fsync / msync, then a crash. Generated as a fast-check arbitrary so that failures
// shrink to small scenarios, and printed in the scenario language so every finding replays
// with `daxsim run`.

import fc from 'fast-check';

export interface GenMapping {
  proc: number;
  /** In pages. */
  offset: number;
  pages: number;
  shared: boolean;
}

export type GenOp =
  | { kind: 'write'; map: number; page: number; at: number; len: number }
  | { kind: 'fsync'; proc: number }
  | { kind: 'msync'; map: number };

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
      return { proc, offset, pages: Math.min(shape.pages, filePages - offset), shared };
    });
  const op: fc.Arbitrary<GenOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), map: fc.nat(3), page: fc.nat(), at: fc.nat(pageSize - 64), len: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('fsync' as const), proc: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('msync' as const), map: fc.nat(3) }) },
  );
  return fc
    .record({ mappings: fc.array(mapping, { minLength: 2, maxLength: 4 }), ops: fc.array(op, { minLength: 4, maxLength: 10 }) })
    .map(({ mappings, ops }) => {
      const procs = Math.max(2, ...mappings.map((m) => m.proc + 1));
      const n = mappings.length;
      return {
        procs,
        filePages,
        mappings,
        ops: ops.map((o): GenOp => (o.kind === 'fsync' ? { ...o, proc: o.proc % procs } : { ...o, map: o.map % n })),
      };
    });
}

const procName = (i: number): string => String.fromCharCode(65 + i);

/** The scenario in the scenario language (without settings, so any arch/strategy can run it). */
export function toDax(g: GenScenario, pageSize: number, header: readonly string[] = []): string {
  const lines = [...header.map((h) => `# ${h}`), `file F size ${g.filePages * pageSize}`];
  for (let p = 0; p < g.procs; p++) lines.push(`proc ${procName(p)}`);
  g.mappings.forEach((m, i) => {
    lines.push(`${procName(m.proc)} mmap m${i} F offset ${m.offset * pageSize} length ${m.pages * pageSize} rw ${m.shared ? 'shared' : 'private'}`);
  });
  for (const op of g.ops) {
    if (op.kind === 'write') {
      const m = g.mappings[op.map]!;
      const page = op.page % m.pages;
      lines.push(`${procName(m.proc)} write m${op.map} ${page * pageSize + op.at} ${op.len}`);
    } else if (op.kind === 'fsync') {
      lines.push(`${procName(op.proc)} fsync F`);
    } else {
      const m = g.mappings[op.map]!;
      lines.push(`${procName(m.proc)} msync m${op.map}`);
    }
  }
  lines.push('crash');
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

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
  return fc.integer({ min: 2, max: 4 }).chain((procs) =>
    fc
      .array(
        fc.record({
          proc: fc.nat(procs - 1),
          offset: fc.oneof(fc.constantFrom(0, 1, perPmd - 1, perPmd), fc.nat(filePages - 1)),
          pages: fc.oneof(fc.constantFrom(1, 2, perPmd), fc.integer({ min: 1, max: filePages })),
          shared: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        }),
        { minLength: 1, maxLength: 6 },
      )
      .map((ms) => ms.map((m) => ({ ...m, pages: Math.min(m.pages, filePages - m.offset) })))
      .chain((mappings) =>
        fc.record({
          procs: fc.constant(procs),
          filePages: fc.constant(filePages),
          mappings: fc.constant(mappings),
          ops: fc.array(
            fc.oneof(
              { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), map: fc.nat(mappings.length - 1), page: fc.nat(), at: fc.nat(pageSize - 64), len: fc.integer({ min: 1, max: 64 }) }) },
              { weight: 3, arbitrary: fc.record({ kind: fc.constant('fsync' as const), proc: fc.nat(procs - 1) }) },
              { weight: 1, arbitrary: fc.record({ kind: fc.constant('msync' as const), map: fc.nat(mappings.length - 1) }) },
            ),
            { minLength: 1, maxLength: 14 },
          ),
        }),
      ),
  );
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

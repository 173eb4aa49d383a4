import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LitmusError } from '../src/litmus/errors.ts';
import { explore, exploreParallel, formatState, parseLitmus, runLitmusFile, toJson } from '../src/litmus/index.ts';
import { explore as exploreReference } from './litmus-reference.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'litmus');
const files = readdirSync(dir).filter((f) => f.endsWith('.litmus')).sort();

describe('litmus suite', () => {
  it('has at least 20 tests, single- and multi-thread, ADR and eADR', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    const tests = files.map((f) => parseLitmus(readFileSync(join(dir, f), 'utf8'), f));
    expect(tests.some((t) => t.threads.length > 1)).toBe(true);
    expect(tests.some((t) => t.threads.length === 1)).toBe(true);
    expect(tests.some((t) => t.persistence === 'adr')).toBe(true);
    expect(tests.some((t) => t.persistence === 'eadr')).toBe(true);
  });

  for (const f of files) {
    it(f, () => {
      const { test, outcome } = runLitmusFile(join(dir, f));
      expect(test.expect.length, 'the file lists its expected states').toBeGreaterThan(0);
      const got = outcome.states.map((r) => formatState(outcome.keys, r));
      expect(got).toEqual([...test.expect].sort((a, b) => got.indexOf(a) - got.indexOf(b)));
      expect(new Set(got)).toEqual(new Set(test.expect));
    });
  }
});

describe('litmus parser', () => {
  const bad = (text: string, where: string, msg: RegExp): void => {
    let err: unknown;
    try {
      parseLitmus(text, 'f.litmus');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LitmusError);
    expect((err as LitmusError).where).toBe(where);
    expect((err as LitmusError).message).toMatch(msg);
  };

  it('reports file:line for bad input', () => {
    bad('persistence adr\nT0: store X\n', 'f.litmus:2', /store LOC VALUE/);
    bad('persistence nvm\n', 'f.litmus:1', /persistence adr/);
    bad('T0: store X+4 1\n', 'f.litmus:1', /multiple of 8/);
    bad('T0: store X+64 1\n', 'f.litmus:1', /multiple of 8/);
    bad('T0: frob X\n', 'f.litmus:1', /unknown operation/);
    bad('T0: store X 1\nT0: store Y 1\n', 'f.litmus:2', /defined twice/);
    bad('T1: store X 1\n', 'f.litmus:1', /T0 is missing/);
    bad('# nothing\n', 'f.litmus:1', /no threads/);
    bad('T0: load X 1r\n', 'f.litmus:1', /register/);
    bad('T0: store X 99999999999999999999\n', 'f.litmus:1', /2\^53/);
  });

  it('bounds the exploration: too many threads or operations is an error, not a hang', () => {
    bad(Array.from({ length: 9 }, (_, i) => `T${i}: store X 1`).join('\n'), 'f.litmus:9', /at most 8 threads/);
    bad(`T0: ${Array.from({ length: 17 }, () => 'store X 1').join('; ')}`, 'f.litmus:1', /per thread/);
    const t = parseLitmus([0, 1, 2, 3].map((i) => `T${i}: store A${i} 1; store B${i} 1; store C${i} 1; store D${i} 1`).join('\n'), 'big.litmus');
    // (the reduced search visits about 640 states here; the unreduced one visited thousands)
    expect(() => explore(t, 100)).toThrow(/exceeds 100 machine states/);
  });

  it('defaults to ADR, accepts hex values, comments and a trailing semicolon', () => {
    const t = parseLitmus('# c\nT0: store X 0x10; clwb X; sfence; # done\n', 'f.litmus');
    expect(t.persistence).toBe('adr');
    const o = explore(t);
    expect(toJson(o)).toEqual({ states: [{ X: 16 }] });
  });

  it('prints registers of later threads after earlier ones, T2 before T10-style numeric order', () => {
    const t = parseLitmus('T0: load X z\nT1: load X a; store X 1; mfence\n', 'f.litmus');
    const o = explore(t);
    expect(o.keys).toEqual(['T0:z', 'T1:a', 'X']);
  });
});

describe('litmus command', () => {
  it('runs through the CLI, text and --json, and exits 2 on bad input', () => {
    const file = join(dir, 'adr-clflush-orders.litmus');
    const txt = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'litmus', file], { cwd: root, encoding: 'utf8' });
    expect(txt.status).toBe(0);
    expect(txt.stdout).toBe('X=0 Y=0\nX=1 Y=0\nX=1 Y=1\n');
    const js = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'litmus', file, '--json'], { cwd: root, encoding: 'utf8' });
    expect(js.status).toBe(0);
    expect(JSON.parse(js.stdout)).toEqual({ schema: 2, states: [{ X: 0, Y: 0 }, { X: 1, Y: 0 }, { X: 1, Y: 1 }], expect: { ok: true, missing: [], unexpected: [] } });
    const bad = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'litmus', join(dir, 'missing.litmus')], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^daxsim: .*missing\.litmus: cannot read/);
  });
});

// The explorer encodes states compactly and prunes interleavings (persistent sets); the
// reference is the original string-keyed explorer of every interleaving. Same outcomes.
describe('litmus explorer agrees with the unreduced reference explorer', () => {
  const opArb = fc.tuple(
    fc.constantFrom('store', 'store', 'ntstore', 'load', 'load', 'clflush', 'clflushopt', 'clwb', 'sfence', 'mfence'),
    fc.constantFrom('X', 'X+8', 'Y', 'Z'),
    fc.integer({ min: 1, max: 2 }),
  );
  const text = (persistence: string, threads: Array<Array<[string, string, number]>>): string =>
    `persistence ${persistence}\n` +
    threads
      .map((ops, i) => `T${i}: ` + ops.map(([k, l, v], j) => (k.endsWith('fence') ? k : k === 'load' ? `load ${l} r${j}` : k.includes('store') ? `${k} ${l} ${v}` : `${k} ${l}`)).join('; '))
      .join('\n');
  it('on random 2- and 3-thread programs, ADR and eADR', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('adr', 'eadr'),
        fc.oneof(fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 2 }), fc.array(fc.array(opArb, { minLength: 1, maxLength: 2 }), { minLength: 3, maxLength: 3 })),
        (p, threads) => {
          const t = parseLitmus(text(p, threads), 'gen.litmus');
          const a = explore(t);
          const b = exploreReference(t);
          expect(a.keys).toEqual(b.keys);
          expect(a.states).toEqual(b.states);
        },
      ),
      { numRuns: 250, seed: 7 },
    );
  });
});

describe('parallel litmus exploration', () => {
  it('partitions the search over worker threads with the same outcome set', async () => {
    const { test, outcome } = runLitmusFile(join(dir, 'eadr-iriw.litmus'));
    const p = await exploreParallel(test, { workers: 2, force: true });
    expect(p.workers).toBe(2);
    expect(p.states).toEqual(outcome.states);
    expect(p.visited).toBe(outcome.visited); // each state searched by exactly one worker
    const small = await exploreParallel(test, { workers: 2 });
    expect(small.workers).toBe(0); // a small test stays in-process
    expect(small.states).toEqual(outcome.states);
  }, 30_000);

  it('takes --workers on the command line', () => {
    const file = join(dir, 'adr-flush-chain.litmus');
    const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'litmus', file, '--workers', '2'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(27);
    const bad = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'litmus', file, '--workers', 'x'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^daxsim: litmus: --workers/);
  }, 30_000);
});

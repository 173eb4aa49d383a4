// `daxsim explore`: the engine (in this thread), the worker pool (real comlink worker threads),
// the findings as replayable .dax files, and the command's --json summary.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { exploreBatch, generate, scenarioSeed, shrinkCandidate, type ExploreConfig } from '../../src/explore/engine.ts';
import { explore } from '../../src/explore/pool.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-explore-'));
const buggy: ExploreConfig = { arches: ['x86_64'], strategies: ['buggy', 'range'], persistence: 'adr', seed: 1 };

describe('explore engine', () => {
  it('scenario i is a function of (seed, i)', () => {
    expect(generate(buggy, 5, 4096)).toEqual(generate(buggy, 5, 4096));
    expect(generate(buggy, 5, 4096)).not.toEqual(generate(buggy, 6, 4096));
    expect(scenarioSeed(1, 2)).not.toBe(scenarioSeed(2, 1));
  });

  it('finds the missed PTE under buggy, nothing under range, and shrinks it to the seed scenario', () => {
    const res = exploreBatch(buggy, 0, 8);
    expect(res.runs).toBe(16);
    expect(res.candidates.length).toBeGreaterThan(0);
    expect(res.candidates.every((c) => c.combo.mkclean === 'buggy')).toBe(true);
    const c = res.candidates.find((x) => x.cause === 'pmd-entry:vma-missed')!;
    const f = shrinkCandidate(buggy, c);
    expect(f.statements).toBeLessThanOrEqual(f.originalStatements);
    expect(f.statements).toBeLessThanOrEqual(10);
    expect(f.dax).toMatch(/^# daxsim explore finding: x86_64, mkclean buggy, persistence adr\n/);
    expect(f.dax).toContain('\narch x86_64\nmkclean buggy\npersistence adr\n');
    expect(f.dax.endsWith('crash\nexpect durable\n')).toBe(true);
  });

  it('eadr: the cache is in the persistence domain, nothing is found', () => {
    expect(exploreBatch({ ...buggy, persistence: 'eadr' }, 0, 8).candidates).toEqual([]);
  });

  it('two worker threads find what the engine finds in this thread, and the files replay (exit 1)', async () => {
    const cfg: ExploreConfig = { ...buggy, strategies: ['buggy'] };
    const local = await explore(cfg, { count: 12, seconds: null }, 0);
    const threaded = await explore(cfg, { count: 12, seconds: null }, 2);
    expect(threaded.workers).toBe(2);
    expect(threaded.scenarios).toBe(12);
    expect(threaded.perWorker.length).toBe(2);
    expect(threaded.perWorker.reduce((a, w) => a + w.scenarios, 0)).toBe(12);
    expect(threaded.startupSeconds).toBeGreaterThan(0);
    expect(threaded.startupSeconds).toBeLessThanOrEqual(threaded.elapsed);
    expect(local.startupSeconds).toBe(0);
    expect(threaded.findings.map((f) => f.dax)).toEqual(local.findings.map((f) => f.dax));
    const file = path.join(dir, 'finding.dax');
    writeFileSync(file, local.findings[0]!.dax);
    const r = await runCliCaptured(['run', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL expect durable \(found: lost/);
    const fixed = await runCliCaptured(['run', file, '--mkclean', 'range']);
    expect(fixed.code).toBe(0);
  });
});

describe('explore pool', () => {
  it('the candidates do not depend on how the scenarios are cut into batches', () => {
    const cfg: ExploreConfig = { ...buggy, strategies: ['buggy', 'range', 'page'] };
    const whole = exploreBatch(cfg, 0, 24);
    const lowest = new Map<string, number>();
    for (let i = 0; i < 24; i += 5) {
      for (const c of exploreBatch(cfg, i, Math.min(5, 24 - i)).candidates) lowest.set(c.signature, Math.min(lowest.get(c.signature) ?? Infinity, c.index));
    }
    expect(new Map(whole.candidates.map((c) => [c.signature, c.index]))).toEqual(lowest);
    expect(whole.ms).toBeGreaterThan(0);
  });

  it('a time limit stops the search with the scenarios 0 .. n-1 run, and reports progress', async () => {
    const phases = new Set<string>();
    let last = 0;
    const res = await explore({ ...buggy, strategies: ['range'] }, { count: null, seconds: 1 }, 0, {
      onProgress: (p) => {
        phases.add(p.phase);
        expect(p.scenarios).toBeGreaterThanOrEqual(last);
        last = p.scenarios;
      },
    });
    expect(res.scenarios).toBeGreaterThan(0);
    expect(res.scenarios).toBe(res.perWorker[0]!.scenarios);
    expect(res.searchSeconds).toBeGreaterThanOrEqual(1);
    expect(res.searchSeconds).toBeLessThan(5);
    expect([...phases]).toEqual(['start', 'search']);
  });
});

describe('daxsim explore', () => {
  it('--json: a summary; the findings are written to --out, one per arch/strategy/persistence/cause', async () => {
    const out = path.join(dir, 'out');
    const r = await runCliCaptured(['explore', '--arch', 'x86_64', '--mkclean', 'all', '--seed', '1', '--count', '8', '--workers', '0', '--out', out, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { seed: number; scenarios: number; runs: number; startup_seconds: number; per_worker: unknown[]; mkclean: string[]; findings: Array<{ signature: string; file: string; mkclean: string; lost_bytes: number }> };
    expect(j.seed).toBe(1);
    expect(j.scenarios).toBe(8);
    expect(j.mkclean).toEqual(['buggy', 'range', 'page']);
    expect(j.runs).toBe(24);
    expect(j.startup_seconds).toBe(0);
    expect(j.per_worker).toEqual([expect.objectContaining({ scenarios: 8 })]);
    expect(j.findings.length).toBeGreaterThan(0);
    expect(new Set(j.findings.map((f) => f.signature)).size).toBe(j.findings.length);
    expect(j.findings.every((f) => f.mkclean === 'buggy' && f.lost_bytes > 0)).toBe(true);
    expect(readdirSync(out).sort()).toEqual(j.findings.map((f) => path.basename(f.file)).sort());
    expect(readFileSync(j.findings[0]!.file, 'utf8')).toContain('expect durable');
  });

  it('bad options are one-line errors', async () => {
    for (const args of [['--arch', 'vax'], ['--mkclean', 'nope'], ['--workers', '-1'], ['--count', '0'], ['--time', 'x'], ['--bogus']]) {
      const r = await runCliCaptured(['explore', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^daxsim: explore: [^\n]+\n$/);
    }
  });
});

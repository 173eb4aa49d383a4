// explore --shard I/N and explore-merge: shards of one seed never overlap, and merging N of
// them gives what one machine finds for the same seed and count: the same findings (same
// scenario numbers, the same shrunk .dax files) and the same number of scenarios and runs.
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import type { ExploreSummary } from '../../src/cli/commands/explore.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-shard-'));
const COMMON = ['--arch', 'all', '--mkclean', 'all', '--seed', '11', '--count', '400', '--workers', '0', '--json'];
const summary = (stdout: string): ExploreSummary => JSON.parse(stdout) as ExploreSummary;
const comparable = (s: ExploreSummary) => ({
  scenarios: s.scenarios,
  runs: s.runs,
  findings: s.findings.map((f) => ({ signature: f.signature, scenario: f.scenario, statements: f.statements, lost: f.lost, dax: readFileSync(f.file, 'utf8') })),
});

describe('explore --shard and explore-merge', () => {
  it('merging 3 shards equals the unsharded run', async () => {
    const whole = await runCliCaptured(['explore', ...COMMON, '--out', path.join(dir, 'whole')]);
    expect(whole.code, whole.stderr).toBe(1);
    const shards: ExploreSummary[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runCliCaptured(['explore', ...COMMON, '--shard', `${i}/3`, '--out', path.join(dir, `shard${i}`)]);
      expect([0, 1], r.stderr).toContain(r.code);
      const s = summary(r.stdout);
      expect(s.shard).toEqual({ index: i, count: 3 });
      // shard i ran the seed's scenarios i, i+3, ...: every finding's number says so
      for (const f of s.findings) expect(f.scenario % 3).toBe(i);
      expect(summary(readFileSync(path.join(dir, `shard${i}`, 'explore-summary.json'), 'utf8'))).toEqual(s);
      shards.push(s);
    }
    expect(shards.reduce((a, s) => a + s.scenarios, 0)).toBe(400);
    const merged = await runCliCaptured(['explore-merge', path.join(dir, 'shard2'), path.join(dir, 'shard0'), path.join(dir, 'shard1'), '--out', path.join(dir, 'merged'), '--json']);
    expect(merged.code, merged.stderr).toBe(1);
    const w = summary(whole.stdout);
    const m = summary(merged.stdout);
    expect(w.findings.length).toBeGreaterThan(1);
    expect(comparable(m)).toEqual(comparable(w));
    expect(m.seed).toBe(11);
  });

  it('refuses shards of different runs, a shard twice, a missing shard, a bad --shard', async () => {
    const mk = async (name: string, extra: string[]): Promise<string> => {
      const out = path.join(dir, name);
      const r = await runCliCaptured(['explore', '--arch', 'x86_64', '--mkclean', 'buggy', '--count', '30', '--workers', '0', '--out', out, ...extra]);
      expect([0, 1], r.stderr).toContain(r.code);
      return out;
    };
    const a0 = await mk('a0', ['--seed', '1', '--shard', '0/2']);
    const a1 = await mk('a1', ['--seed', '1', '--shard', '1/2']);
    const b1 = await mk('b1', ['--seed', '2', '--shard', '1/2']);
    const other = await runCliCaptured(['explore-merge', a0, b1]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/b1: shard of another run: seed 2/);
    expect((await runCliCaptured(['explore-merge', a0, a0])).stderr).toMatch(/shard 0\/2 given twice/);
    expect((await runCliCaptured(['explore-merge', a0])).stderr).toMatch(/^daxsim: explore-merge: shard 1\/2 missing/);
    expect((await runCliCaptured(['explore-merge', a0, a1, '--out', path.join(dir, 'ok')])).code).toBeLessThanOrEqual(1);
    expect((await runCliCaptured(['explore-merge', dir])).stderr).toMatch(/explore-summary\.json: cannot read \(ENOENT\)/);
    for (const bad of ['3/3', '1/0', 'x', '1/2/3']) expect((await runCliCaptured(['explore', '--shard', bad, '--count', '1'])).stderr).toMatch(/--shard must be I\/N with 0 <= I < N/);
  });
});

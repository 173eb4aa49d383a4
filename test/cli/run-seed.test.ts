// The `run` and `seed` commands as a user runs them (README, "Command line"): exit codes, --json shape,
// one-line errors.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';

function daxsim(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('daxsim run', () => {
  it('runs the seed written as a .dax file: expect lost holds under buggy, exit 0', () => {
    const r = daxsim('run', 'test/scenarios/seed-buggy.dax', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ arch: 'x86_64', mkclean: 'buggy', persistence: 'adr', fs_dax_limited: false, fs_dax_pmd: true, durable: false });
    expect(report.lost).toEqual([{ file: 'F', offset: 4096, length: 64 }]);
    expect(report.faults).toEqual({ A: { read: 0, write: 1, wp: 0 }, B: { read: 0, write: 1, wp: 0 } });
    expect(report.expects.every((e: { ok: boolean }) => e.ok)).toBe(true);
  });

  it('the range seed is durable (exit 0); forcing --mkclean range on the buggy file fails its expects (exit 1)', () => {
    expect(daxsim('run', 'test/scenarios/seed-range.dax').code).toBe(0);
    const r = daxsim('run', 'test/scenarios/seed-buggy.dax', '--mkclean', 'range');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL expect lost/);
  });

  it('bad input is one line on stderr and exit 2', () => {
    const unknownArch = daxsim('run', 'test/scenarios/seed-buggy.dax', '--arch', 'vax');
    expect(unknownArch.code).toBe(2);
    expect(unknownArch.err.trim().split('\n')).toHaveLength(1);
    expect(unknownArch.err).toMatch(/^daxsim: run: --arch: unknown arch 'vax'/);
    const missing = daxsim('run', 'no/such.dax');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^daxsim: no\/such.dax: cannot read file/);
  });
});

describe('daxsim seed', () => {
  it('prints the arch x strategy table with the seed\'s expected outcomes (--json)', () => {
    const r = daxsim('seed', '--json');
    expect(r.code).toBe(0);
    const { results } = JSON.parse(r.out) as { results: Array<{ arch: string; mkclean: string; durable: boolean; as_expected: boolean; fs_dax_limited: boolean }> };
    expect(results.length).toBeGreaterThanOrEqual(12);
    // A PMD entry holds the seed's 2 MiB file where the PMD is 2 MiB (not arm64-64k's 512 MiB).
    const bigPmd = new Set(layouts.filter((l) => 2 ** l.levels[l.pmdLevel]!.shift > 2 ** 21).map((l) => l.name));
    // Without a devmap bit there is no PMD entry; without arch_wb_cache_pmem fsync writes nothing back.
    const noPmd = new Set(layouts.filter((l) => l.devmap === null).map((l) => l.name));
    const noWriteback = new Set(layouts.filter((l) => l.hooks.wbCachePmem === null).map((l) => l.name));
    for (const c of results) {
      expect(c.as_expected).toBe(true);
      const missed = (c.mkclean === 'buggy' || c.mkclean === 'page-head') && !noPmd.has(c.arch) && !bigPmd.has(c.arch);
      expect(c.durable).toBe(!(missed || noWriteback.has(c.arch)));
    }
  });
});

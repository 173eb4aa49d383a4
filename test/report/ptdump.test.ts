// `run --dump P [--at LINE]` and `--dump-cache`: ptdump-style page-table dumps and dirty cache lines.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { seedScenario } from '../../src/scenario/seed.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-ptdump-'));
const seed = path.join(dir, 'seed.dax');
writeFileSync(seed, seedScenario(findLayout('x86_64')!, null));
// Line of the first `A fsync F` in the seed scenario.
const fsyncLine = seedScenario(findLayout('x86_64')!, null).split('\n').indexOf('A fsync F') + 1;

describe('run --dump', () => {
  it("buggy: after the first fsync B's PTE is still RW and dirty, A's PMD is clean and read-only", async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--dump', 'A', '--dump', 'B', '--at', String(fsyncLine)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`---[ page tables of B (cpu 1), x86_64, pgd/pud/pmd/pte, after line ${fsyncLine} ]---`);
    const b = r.stdout.split('\n').find((l) => l.includes('-> F+0x1000'))!;
    expect(b).toMatch(/^0x00003efffffff000-0x00003f0000000000 +4K pte +RW dirty/);
    expect(b).toContain('_PAGE_PRESENT _PAGE_RW _PAGE_USER _PAGE_ACCESSED _PAGE_DIRTY');
    const a = r.stdout.split('\n').find((l) => l.includes('-> F+0x0'))!;
    expect(a).toMatch(/2M pmd +ro clean/);
    expect(a).toContain('_PAGE_PSE');
    expect(a).not.toContain('_PAGE_RW');
  });

  it('range: B is cleaned and write-protected by the same fsync', async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'range', '--dump', 'B', '--at', String(fsyncLine)]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').find((l) => l.includes('-> F+0x1000'))).toMatch(/4K pte +ro clean/);
  });

  it('ppc64-radix: the flag names are the radix ones (_PAGE_READ, _PAGE_PTE ...)', async () => {
    const f = path.join(dir, 'ppc.dax');
    writeFileSync(f, seedScenario(findLayout('ppc64-radix')!, null));
    const r = await runCliCaptured(['run', f, '--arch', 'ppc64-radix', '--dump', 'B']);
    expect(r.stdout).toContain('64K pte');
    expect(r.stdout).toContain('_PAGE_PTE');
    expect(r.stdout).toContain('_PAGE_PRESENT');
  });

  it('--dump-cache at the end of the buggy run lists the line B wrote after the fsync', async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--dump-cache', '--json']);
    const j = JSON.parse(r.stdout) as { dump: { cache: Array<{ lines: number; target: string; pending: boolean }> } };
    expect(j.dump.cache).toEqual([{ pa: expect.any(Number), end: expect.any(Number), lines: 1, pending: false, target: 'F[0x1000-0x1040)' }]);
  });

  it('bad dump options are one-line errors, exit 2', async () => {
    for (const [args, msg] of [
      [['--dump', 'Z'], "has no process 'Z'"],
      [['--at', '3'], '--at LINE needs --dump P'],
      [['--dump', 'A', '--at', '1'], 'holds no statement'],
      [['--dump', 'B', '--at', '3'], "process 'B' does not exist yet"],
      [['--dump', 'A', '--at', 'x'], "'x' is not a number"],
    ] as const) {
      const r = await runCliCaptured(['run', seed, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

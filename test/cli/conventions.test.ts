// The conventions every command follows (README, "Command line"): --version, --help for each
// command, user errors (exit 2) apart from internal errors (exit 3, naming the statement),
// output paths refused before any work, "schema": 2 on every JSON document, run --json's
// counters, messages that name the option and cut what they echo.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { layouts } from '../../arch/index.ts';
import { HELP } from '../../src/cli/help.ts';
import { commands } from '../../src/cli/registry.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { Process } from '../../src/sim/simulation.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-conventions-'));
const SEED = 'test/scenarios/seed-buggy.dax';
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('--version and --help', () => {
  it('daxsim --version prints the package version', async () => {
    const r = await runCliCaptured(['--version']);
    expect(r).toEqual({ code: 0, stdout: 'daxsim 0.1.0\n', stderr: '' });
  });

  it('daxsim --help lists every command and the exit codes', async () => {
    const r = await runCliCaptured(['--help']);
    expect(r.code).toBe(0);
    for (const name of commands.keys()) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(r.stdout).toContain('3 a bug in daxsim');
  });

  for (const name of ['arches', 'layout', 'seed', 'run', 'litmus', 'compare', 'explore']) {
    it(`daxsim ${name} --help (and -h) prints its usage and every option, exit 0, doing nothing else`, async () => {
      const long = await runCliCaptured([name, '--help']);
      const short = await runCliCaptured([name, '-h']);
      expect(long.code).toBe(0);
      expect(short).toEqual(long);
      expect(long.stderr).toBe('');
      expect(long.stdout).toMatch(new RegExp(`^usage: daxsim ${name}`));
      for (const [opt] of HELP[name]!.options) expect(long.stdout).toContain(opt);
    });
  }

  it('--help wins over bad arguments (run with no file, explore with a bad option)', async () => {
    expect((await runCliCaptured(['run', '--help'])).code).toBe(0);
    expect((await runCliCaptured(['explore', '--bogus', '--help'])).code).toBe(0);
  });

  it('every registered command has a help entry', () => {
    for (const name of commands.keys()) expect(HELP[name], name).toBeDefined();
  });
});

describe('user errors and internal errors', () => {
  it('a model failure inside a statement is an internal error: exit 3, the statement named, one line', async () => {
    vi.spyOn(Process.prototype, 'writeSteps').mockImplementation(() => {
      throw new RangeError('index 9 out of range');
    });
    const r = await runCliCaptured(['run', SEED]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    const line = readFileSync(SEED, 'utf8').split('\n').findIndex((l) => l.startsWith('A write a')) + 1;
    expect(r.stderr).toBe(`daxsim: internal error: ${SEED}:${line} (A write a): RangeError: index 9 out of range\n`);
  });

  it('a refusal of the scenario by the model stays bad input (exit 2)', async () => {
    const p = file('segv.dax', 'file F size 2M\nproc A\nA mmap m F offset 0 length 2M ro\nA write m 0 8\n');
    const r = await runCliCaptured(['run', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daxsim: .*segv\.dax:4: write to read-only mapping m .*\n$/);
  });

  it('an unknown --arch names the option', async () => {
    const r = await runCliCaptured(['run', SEED, '--arch', 'vax']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`daxsim: run: --arch: unknown arch 'vax' (known: ${layouts.map((l) => l.name).join(', ')})\n`);
  });

  it('a 200 KB word is echoed cut, on one short line', async () => {
    const word = 'x'.repeat(200_000);
    const p = file('long-word.dax', `file F size 2M\n${word} sfence\n`);
    const r = await runCliCaptured(['run', p]);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(500);
    expect(r.stderr).toContain(`'${'x'.repeat(40)}... (200000 characters)'`);
    const opt = await runCliCaptured(['run', SEED, '--arch', word]);
    expect(opt.stderr.length).toBeLessThan(500);
  });

  it('a file of exactly 100,000 lines is accepted; 100,001 is refused at line 100,001', async () => {
    const body = (n: number): string => 'file F size 2M\nproc A\n' + 'A sfence\n'.repeat(n - 2);
    const ok = await runCliCaptured(['run', file('lines-100000.dax', body(100_000))]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCliCaptured(['run', file('lines-100001.dax', body(100_001))]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/lines-100001\.dax:100001: too many lines \(limit 100000\)\n$/);
  });

  it('an empty scenario is bad input, not "durable"', async () => {
    for (const text of ['', '# nothing\n\n', 'arch x86_64\n']) {
      const r = await runCliCaptured(['run', file('empty.dax', text)]);
      expect(r.code, JSON.stringify(text)).toBe(2);
      expect(r.stderr).toMatch(/^daxsim: .*empty\.dax:\d+: no statements: an empty scenario checks nothing/);
    }
  });

  it('an unknown statement lists the valid ones', async () => {
    const r = await runCliCaptured(['run', file('unknown.dax', 'file F size 2M\nfrobnicate now\n')]);
    expect(r.stderr).toMatch(/:2: unknown process or statement 'frobnicate' \(expected arch, .*mkclean, .*file.*, proc, crash, expect.*, or P mmap\|write\|read\|.*munmap/);
  });
});

describe('compare', () => {
  it('a row that could not run is exit 2 with its reason, not a row of zeros that passes', async () => {
    // offset 4 KiB is not page aligned on the 64 KiB-page layouts (EINVAL): those rows fail
    const p = file('cmp.dax', 'file F size 2M\nproc A\nA mmap m F offset 4K length 4K\nA write m 0 8\nA fsync F\ncrash\nexpect durable\n');
    const r = await runCliCaptured(['compare', p, '--mkclean', 'range', '--json']);
    expect(r.code).toBe(2);
    const big = layouts.filter((l) => l.pageShift > 12).map((l) => l.name);
    expect(r.stderr).toMatch(new RegExp(`^daxsim: compare: ${big.length} of ${layouts.length} rows failed \\(ppc64-radix/range: .*cmp\\.dax:3: offset 4096 is not page aligned \\(EINVAL\\)\\)\n$`));
    const d = JSON.parse(r.stdout) as { rows: Array<{ arch: string; error: string | null }> };
    expect(d.rows.filter((x) => x.error !== null).map((x) => x.arch)).toEqual(big);
  });
});

describe('output paths are refused before any work', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--trace into a missing directory', ['run', SEED, '--trace', '/nonexistent-dir/t.json'], /^daxsim: run: cannot write \/nonexistent-dir\/t\.json \(ENOENT\)\n$/],
    ['--trace under a file', ['run', SEED, '--trace', `${SEED}/t.json`], /^daxsim: run: cannot write .* \(ENOTDIR\)\n$/],
    ['--trace to /proc', ['run', SEED, '--trace=/proc/self/status'], /^daxsim: run: cannot write \/proc\/self\/status \(\/proc is not a place for output\)\n$/],
    ['--html to a directory', ['run', SEED, '--html', dir], /^daxsim: run: cannot write .* \(EISDIR\)\n$/],
    ['--json-out into a missing directory', ['compare', '--json-out', '/nonexistent-dir/c.json'], /^daxsim: compare: cannot write .* \(ENOENT\)\n$/],
    ['--svg to /sys', ['compare', '--svg', '/sys/kernel/x.svg'], /^daxsim: compare: cannot write .* \(\/sys is not a place for output\)\n$/],
    ['--out that is a file', ['explore', '--count', '1', '--out', SEED], /^daxsim: explore: --out: .* exists and is not a directory \(ENOTDIR\)\n$/],
    ['--out under /proc', ['explore', '--count', '1', '--out', '/proc/daxsim'], /^daxsim: explore: cannot write \/proc\/daxsim \(\/proc is not a place for output\)\n$/],
  ];
  for (const [what, argv, msg] of cases) {
    it(what, async () => {
      const r = await runCliCaptured(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
    });
  }

  it('a writable new path is left absent by the check and written by the run', async () => {
    const t = path.join(dir, 'trace.json');
    const r = await runCliCaptured(['run', SEED, '--trace', t, '--json']);
    expect(r.code).toBe(0);
    expect(existsSync(t)).toBe(true);
  });
});

describe('JSON documents', () => {
  it('every command\'s JSON has "schema": 2 at its top level (arches: in each element of its array)', async () => {
    const docs: Array<[string[], (d: unknown) => unknown]> = [
      [['layout', 'x86_64', '--json'], (d) => d],
      [['seed', '--arch', 'x86_64', '--mkclean', 'range', '--json'], (d) => d],
      [['run', SEED, '--json'], (d) => d],
      [['litmus', 'test/litmus/adr-two-stores.litmus', '--json'], (d) => d],
      [['compare', '--mkclean', 'range', '--json'], (d) => d],
      [['arches', '--json'], (d) => (d as unknown[])[0]],
    ];
    for (const [argv, top] of docs) {
      const r = await runCliCaptured(argv);
      expect(r.code, argv.join(' ')).toBeLessThanOrEqual(1);
      expect((top(JSON.parse(r.stdout)) as { schema: number }).schema, argv.join(' ')).toBe(2);
    }
  });

  it('run --json has the counters, snake_case, and --all-states says how many crash states it covered', async () => {
    const r = await runCliCaptured(['run', SEED, '--json', '--all-states']);
    const d = JSON.parse(r.stdout) as { counters: Record<string, unknown>; crash_states: { uncertain_lines: number; states: number } };
    for (const k of ['pt_refs', 'mkclean_vmas', 'leaves_cleaned', 'tlb_flushes', 'entries_written_back', 'lines_written_back', 'flush_instructions', 'fences']) {
      expect(typeof d.counters[k], k).toBe('number');
    }
    // the buggy kernel: one mkclean visit (A's PMD), B's PTE missed
    expect(d.counters['mkclean_vmas']).toBe(1);
    expect(d.counters['leaves_cleaned']).toBe(1);
    const keys = JSON.stringify(d.counters).match(/"[A-Za-z_]+":/g)!;
    expect(keys.filter((k) => /[A-Z]/.test(k))).toEqual([]);
    expect(d.crash_states).toEqual({ uncertain_lines: 1, states: 2, log2_states: 1 });
    const text = await runCliCaptured(['run', SEED, '--all-states']);
    expect(text.stdout).toContain('all crash states checked: 2 (1 line of uncertain fate');
  });
});

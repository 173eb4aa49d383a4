// `npm run bench` answers --help and --list, and refuses a --filter that matches nothing (or is
// no regular expression) and an unwritable --json path, in one line with exit 2, before
// timing anything.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bench = (...args: string[]) => spawnSync('npx', ['tsx', 'bench/run.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('npm run bench', () => {
  it('--help: usage and every option, exit 0', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    for (const o of ['--filter REGEXP', '--list', '--json FILE', '--max-time SECONDS', '-h, --help']) expect(r.stdout).toContain(o);
  });

  it('--list: the case names, filtered', () => {
    const all = bench('--list');
    expect(all.status).toBe(0);
    const names = all.stdout.trim().split('\n');
    expect(names).toContain('mkclean-range-x86_64-512');
    expect(new Set(names).size).toBe(names.length);
    const some = bench('--list', '--filter', '^mkclean-range-x86_64-');
    expect(some.stdout.trim().split('\n').every((n) => n.startsWith('mkclean-range-x86_64-'))).toBe(true);
  });

  it('a --filter matching nothing, a bad regular expression, an unwritable --json: exit 2, one line', () => {
    for (const [args, msg] of [
      [['--filter', '^nothing-matches$'], /^daxsim: bench: --filter '\^nothing-matches\$' matches none of the \d+ cases/],
      [['--filter', '('], /^daxsim: bench: --filter: '\(' is not a regular expression\n$/],
      [['--json', '/nonexistent-dir/b.json'], /^daxsim: bench: cannot write \/nonexistent-dir\/b\.json \(ENOENT\)\n$/],
    ] as const) {
      const r = bench(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
    }
  });
});

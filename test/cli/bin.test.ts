// The bin (src/cli/bin.mjs) never answers with a stale build: it runs dist/ when the build is
// newer than every .ts file under src/ and arch/, the sources through tsx otherwise (or when
// there is no build), and dist/ alone in an installed package (no sources). Checked on a
// scratch copy of the layout whose two entry points only say which one ran.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function layout(): { dir: string; run: () => string; age: (rel: string, secondsAgo: number) => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-bin-'));
  mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
  mkdirSync(path.join(dir, 'arch'), { recursive: true });
  mkdirSync(path.join(dir, 'dist/src/cli'), { recursive: true });
  copyFileSync(path.join(root, 'src/cli/bin.mjs'), path.join(dir, 'src/cli/bin.mjs'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(path.join(dir, 'src/cli/main.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
  writeFileSync(path.join(dir, 'arch/x.ts'), 'export const x = 1;\n');
  writeFileSync(path.join(dir, 'dist/src/cli/main.js'), "console.log('build');\n");
  const age = (rel: string, secondsAgo: number): void => {
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(path.join(dir, rel), t, t);
  };
  return { dir, run: () => execFileSync('node', [path.join(dir, 'src/cli/bin.mjs')], { encoding: 'utf8', timeout: 30_000 }).trim(), age };
}

describe('the daxsim bin', () => {
  // [when, what runs, seconds since each file was modified]
  it.each([
    ['the build when it is newer than every source', 'build', { 'src/cli/main.ts': 100, 'arch/x.ts': 100, 'dist/src/cli/main.js': 10 }],
    ['the sources when one of them (in src/ or arch/) is newer than the build', 'sources', { 'dist/src/cli/main.js': 50, 'src/cli/main.ts': 100, 'arch/x.ts': 10 }],
  ] as const)('runs %s', (_when, runs, ages) => {
    const l = layout();
    for (const [rel, secondsAgo] of Object.entries(ages)) l.age(rel, secondsAgo);
    expect(l.run()).toBe(runs);
  });

  it('runs the sources when there is no build, and the build when there are no sources', () => {
    const l = layout();
    rmSync(path.join(l.dir, 'dist'), { recursive: true });
    expect(l.run()).toBe('sources');
    const installed = layout();
    rmSync(path.join(installed.dir, 'arch'), { recursive: true });
    rmSync(path.join(installed.dir, 'src/cli/main.ts'));
    installed.age('dist/src/cli/main.js', 1000);
    expect(installed.run()).toBe('build');
  });
});

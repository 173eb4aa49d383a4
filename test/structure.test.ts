// Rules of the tree a fresh clone must be able to follow: every module small enough to read
// (no file of src/ or arch/ over 600 lines), and nothing that points outside the repository
// for what the code relies on (the kernel is cited directly, or a README section).
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 600;
const SOURCE = /\.(ts|mjs|js|c|h|sh)$/;

function files(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** Names of documents that live outside the repository (spelled in pieces so this file does not name them). */
const OUTSIDE = [['..', 'shared'].join('/'), ['dax', 'flow'].join('-'), ['seed-scenario', 'md'].join('.'), ['interface', 'md'].join('.'), ['design', 'md'].join('.'), ['real-kernel', 'md'].join('.')];

/** Source files of `dirs` longer than MAX_LINES, with their length. */
function longFiles(dirs: readonly string[]): Array<{ f: string; lines: number }> {
  return dirs
    .flatMap((d) => files(d))
    .filter((f) => SOURCE.test(f))
    .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((x) => x.lines > MAX_LINES);
}

/** `file: name` for every outside document a file names. */
function outsideRefs(paths: readonly string[]): string[] {
  const hits: string[] = [];
  for (const f of paths) {
    const text = readFileSync(f, 'utf8');
    for (const name of OUTSIDE) if (text.includes(name)) hits.push(`${f}: ${name}`);
  }
  return hits;
}

/** The repository's fixed top level (package-lock.json is npm's, .gitignore git's). */
const TOP_LEVEL = ['.ci', '.gitignore', 'README.md', 'arch', 'bench', 'package-lock.json', 'package.json', 'src', 'test', 'tsconfig.json'];

describe('the tree', () => {
  it('keeps its top level: package.json, tsconfig.json, src, arch, bench, test, README.md, .ci', () => {
    const tracked = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => f !== '');
    const top = [...new Set(tracked.map((f) => f.split('/')[0]!))].sort();
    expect(top).toEqual(TOP_LEVEL);
  });

  it(`has no file in src/ or arch/ over ${MAX_LINES} lines`, () => {
    expect(longFiles(['src', 'arch'])).toEqual([]);
  });

  it('points at no document outside the repository', () => {
    expect(outsideRefs([...files('src'), ...files('arch'), ...files('bench'), ...files('test'), ...files('.ci'), 'README.md'])).toEqual([]);
  });

  it('the checks find a long file and an outside reference', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-tree-'));
    try {
      writeFileSync(path.join(dir, 'long.ts'), '//\n'.repeat(MAX_LINES + 1));
      writeFileSync(path.join(dir, 'ok.ts'), '//\n'.repeat(MAX_LINES));
      writeFileSync(path.join(dir, 'cites.md'), `see ${OUTSIDE[1]} section 3\n`);
      expect(longFiles([dir])).toEqual([{ f: path.join(dir, 'long.ts'), lines: MAX_LINES + 1 }]);
      expect(outsideRefs(files(dir))).toEqual([`${path.join(dir, 'cites.md')}: ${OUTSIDE[1]}`]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

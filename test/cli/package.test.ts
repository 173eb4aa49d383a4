// daxsim as a real package: `npm pack` (which runs the `prepare` build: JavaScript and .d.ts in
// dist/), installed into a new project with no network (the runtime dependencies are packed
// from this checkout's node_modules), then imported from plain node, run as the installed bin
// (compiled, no tsx), and type-checked from a TypeScript consumer with strict,
// noUncheckedIndexedAccess and exactOptionalPropertyTypes and skipLibCheck off, so an error in
// daxsim's own declarations fails it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'daxsim-package-'));
const consumer = path.join(work, 'consumer');
const npm = (args: string[], cwd: string): string => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--silent'], { cwd, encoding: 'utf8', timeout: 180_000 });
const RUNTIME_DEPS = ['comlink', 'fast-check', 'pure-rand'];

beforeAll(() => {
  npm(['pack', '--pack-destination', work], root);
  for (const d of RUNTIME_DEPS) npm(['pack', '--ignore-scripts', '--pack-destination', work, path.join(root, 'node_modules', d)], work);
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz')).map((f) => path.join(work, f));
  npm(['install', '--offline', '--ignore-scripts', ...tarballs], consumer);
}, 240_000);

describe('the packed package', () => {
  it('ships the build, the bin and the files it reads at run time, not the tests', () => {
    const files = execFileSync('tar', ['tzf', path.join(work, 'daxsim-0.1.0.tgz')], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/src/index.js');
    expect(files).toContain('package/dist/src/index.d.ts');
    expect(files).toContain('package/dist/src/explore/worker.js');
    expect(files).toContain('package/src/cli/bin.mjs');
    // the bug library's replays and verify's guest sources are data `bugs run` and `verify` read
    expect(files).toContain('package/test/bugs/seed-pte-in-pmd.dax');
    expect(files).toContain('package/src/verify/runner/daxsim-runner.c');
    expect(files.some((f) => f.startsWith('package/test/') && !/^package\/test\/bugs\/[a-z0-9-]+\.dax$/.test(f))).toBe(false);
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  });

  it('imports from plain node and reproduces the seed bug', () => {
    writeFileSync(
      path.join(consumer, 'main.mjs'),
      [
        "import { Simulation } from 'daxsim';",
        "const sim = new Simulation({ arch: 'x86_64', mkclean: 'buggy' });",
        "const F = sim.file('F', 2 << 20);",
        "const A = sim.process('A'), B = sim.process('B');",
        "const a = A.mmap('a', F, { offset: 0, length: 2 << 20 });",
        "const b = B.mmap('b', F, { offset: 4096, length: 4096 });",
        'A.write(a, 0, 64); B.write(b, 0, 64); A.fsync(F); B.write(b, 0, 64); A.fsync(F);',
        'console.log(JSON.stringify(sim.crash().lost));',
      ].join('\n'),
    );
    const out = execFileSync('node', ['main.mjs'], { cwd: consumer, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([{ file: 'F', offset: 4096, length: 64 }]);
  });

  it('runs as the installed bin, compiled (workers too)', () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'daxsim');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' })).toBe('daxsim 0.1.0\n');
    const arches = JSON.parse(execFileSync(bin, ['arches', '--json'], { encoding: 'utf8' })) as Array<{ name: string; schema: number }>;
    expect(arches.map((a) => a.name)).toContain('x86_64');
    // the bug library replays from the package, not from a checkout
    const bugs = spawnSync(bin, ['bugs', 'run', 'seed-pte-in-pmd', '--arch', 'x86_64'], { encoding: 'utf8', timeout: 60_000 });
    expect(bugs.status, bugs.stderr).toBe(0);
    expect(bugs.stdout).toContain('1 of 1 bugs as the kernel history says');
    const ex = spawnSync(bin, ['explore', '--arch', 'x86_64', '--mkclean', 'buggy', '--count', '40', '--seed', '1', '--workers', '1', '--json', '--out', path.join(work, 'found')], { encoding: 'utf8', timeout: 60_000 });
    expect(ex.status, ex.stderr).toBe(1);
    expect((JSON.parse(ex.stdout) as { findings: unknown[] }).findings.length).toBeGreaterThan(0);
  });

  it('type-checks a strict consumer (noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck off)', () => {
    writeFileSync(
      path.join(consumer, 'consumer.ts'),
      [
        "import { Simulation, runScenario, parseScenario, type RunReport, type EntryView, type DaxEntryView } from 'daxsim';",
        "const sim = new Simulation({ arch: 'x86_64', mkclean: 'range', persistence: 'eadr' });",
        "const F = sim.file('F', 2 << 20);",
        "const A = sim.process('A');",
        "const a = A.mmap('a', F, { offset: 0, length: 2 << 20, shared: true });",
        'A.write(a, 0, 64);',
        'const e: EntryView = sim.entry(A, a, 0);',
        'const d: DaxEntryView | undefined = sim.daxEntries(F)[0];',
        "const r: RunReport = runScenario(parseScenario('file F size 2M\\nproc A\\n', 'x.dax'));",
        'export const out: [boolean, boolean, number | undefined] = [e.present, r.durable, d?.index];',
      ].join('\n'),
    );
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: consumer, encoding: 'utf8', timeout: 120_000 });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

// Fuzzing the CLI with random and mutated scenario (.dax) and litmus files: whatever the
// input, daxsim exits 0, 1 or 2, prints no stack trace, reports bad input in one line
// (`daxsim: <where>: <what>`), and finishes. Most cases run in-process through runCli; a
// handful run as real subprocesses with a timeout.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { seedScenario } from '../../src/scenario/seed.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-fuzz-'));
const litmusDir = path.join(root, 'test/litmus');
const litmusFiles = readdirSync(litmusDir).filter((f) => f.endsWith('.litmus')).map((f) => readFileSync(path.join(litmusDir, f), 'utf8'));
const seeds = ['x86_64', 'ppc64-radix', 's390x'].map((a) => seedScenario(findLayout(a)!, 'lost'));

// Words that make sense somewhere in a scenario, and some that never do.
const daxWords = ['arch', 'mkclean', 'persistence', 'pmd', 'file', 'proc', 'crash', 'expect', 'durable', 'lost', 'pte', 'present', 'absent', 'rw', 'ro', 'dirty', 'clean', 'pmd', 'shared', 'private', 'sync', 'mmap', 'write', 'read', 'flush', 'sfence', 'fsync', 'msync', 'munmap', 'offset', 'length', 'size', 'byte', 'A', 'B', 'C', 'F', 'G', 'a', 'b', 'm0', 'x86_64', 'ppc64-radix', 's390x', 'x86_64-la57', 'buggy', 'range', 'page', 'adr', 'eadr', 'on', 'off', 'auto', '0', '1', '64', '4096', '4K', '64K', '2M', '1G', '1024G', '1T', '0x1000', '0x', '-1', '1.5', '99999999999999999999', '0xfffffffffffff', '#', '∞', '\t', 'NaN'];
const litWords = ['T0:', 'T1:', 'T2:', 'T9:', 'store', 'load', 'clwb', 'clflush', 'clflushopt', 'sfence', 'mfence', 'ntstore', 'X', 'Y', 'Z', 'X+8', 'X+56', 'X+64', 'r', 'r1', '1', '0', '-1', '0x10', ';', 'persistence', 'adr', 'eadr', 'T0:store', 'X;'];

function line(words: string[]): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...words), { minLength: 0, maxLength: 9 }).map((ws) => ws.join(' '));
}

/** A text built from `base` lines with some lines replaced, inserted, deleted, duplicated or cut. */
function mutated(bases: string[], words: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...bases),
      fc.array(
        fc.record({ kind: fc.constantFrom('replace', 'insert', 'delete', 'dup', 'cut', 'word'), at: fc.nat(), text: line(words), n: fc.nat(40) }),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([base, muts]) => {
      const lines = base.split('\n');
      for (const m of muts) {
        const i = lines.length === 0 ? 0 : m.at % lines.length;
        if (m.kind === 'replace') lines[i] = m.text;
        else if (m.kind === 'insert') lines.splice(i, 0, m.text);
        else if (m.kind === 'delete') lines.splice(i, 1);
        else if (m.kind === 'dup') lines.splice(i, 0, lines[i] ?? '');
        else if (m.kind === 'cut') lines[i] = (lines[i] ?? '').slice(0, m.n);
        else {
          const ws = (lines[i] ?? '').split(' ');
          ws[m.n % Math.max(1, ws.length)] = m.text.split(' ')[0] ?? '';
          lines[i] = ws.join(' ');
        }
      }
      return lines.join('\n');
    });
}

const daxText = fc.oneof(mutated(seeds, daxWords), fc.array(line(daxWords), { maxLength: 12 }).map((ls) => ls.join('\n')), fc.string({ maxLength: 200 }));
const litmusText = fc.oneof(mutated(litmusFiles, litWords), fc.array(line(litWords), { maxLength: 5 }).map((ls) => ls.join('\n')), fc.string({ maxLength: 120 }));
const runOptions = fc.subarray(['--json', '--arch=s390x', '--mkclean=buggy', '--persistence=eadr', '--pmd=on', '--all-states', '--dump=A', '--dump-cache'], { maxLength: 3 });

function checkOutcome(r: { code: number; stdout: string; stderr: string }, label: string): void {
  expect([0, 1, 2], label).toContain(r.code);
  expect(r.stderr, label).not.toMatch(/\n\s+at .+[:(]\d+/); // a stack frame
  expect(r.stderr, label).not.toContain('internal error');
  if (r.code === 2) expect(r.stderr, label).toMatch(/^daxsim: [^\n]+\n$/);
}

let n = 0;
async function runText(kind: 'dax' | 'litmus', text: string, opts: string[]): Promise<void> {
  const file = path.join(dir, `case${n++}.${kind}`);
  writeFileSync(file, text);
  const args = kind === 'dax' ? ['run', file, ...opts] : ['litmus', file, ...opts];
  const t0 = performance.now();
  const r = await runCliCaptured(args);
  const label = `${args.join(' ')}\n${text}`;
  checkOutcome(r, label);
  expect(performance.now() - t0, `too slow: ${label}`).toBeLessThan(20_000);
  if (opts.includes('--json') && r.code !== 2) expect(() => JSON.parse(r.stdout), label).not.toThrow();
}

describe('CLI fuzz', () => {
  it('random and mutated .dax files: exit 0/1/2, one-line errors, no stack trace', async () => {
    await fc.assert(fc.asyncProperty(daxText, runOptions, (t, o) => runText('dax', t, o)), { numRuns: 250, seed: 6 });
  });

  it('random and mutated .litmus files: exit 0/1/2, one-line errors, no stack trace', async () => {
    await fc.assert(fc.asyncProperty(litmusText, fc.subarray(['--json']), (t, o) => runText('litmus', t, o)), { numRuns: 150, seed: 7 });
  });

  it('random argument vectors', async () => {
    const word = fc.constantFrom('run', 'seed', 'litmus', 'layout', 'arches', 'explore', '--json', '--arch', 'x86_64', 'all', '--mkclean', 'zz', '--count', '0', '--dump', '--at', '-h', '', 'nofile.dax', '--html');
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 5 }), async (argv) => {
        if (argv[0] === 'explore' || argv[0] === 'seed' || argv.includes('--html')) return; // slow or writing files: covered elsewhere
        checkOutcome(await runCliCaptured(argv), argv.join(' '));
      }),
      { numRuns: 60, seed: 8 },
    );
  });

  it('a handful as real processes (npx tsx), each with a timeout', () => {
    const cases: Array<[string, string]> = [
      ['bad.dax', 'file F size 2M\nproc A\nA mmap m F offset 1 length 4096\n'],
      ['big.dax', 'file F size 1024G\nfile G size 4K\n'],
      ['crash.dax', 'crash\nproc A\n'],
      ['ok.dax', seeds[0]!],
      ['bad.litmus', 'T0: store X 1; frobnicate X\n'],
    ];
    for (const [name, text] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', name.endsWith('.dax') ? 'run' : 'litmus', file], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      expect(r.error, name).toBeUndefined();
      checkOutcome({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, name);
    }
  });
});

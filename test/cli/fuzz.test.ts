// Fuzzing the CLI with random and mutated scenario (.dax) and litmus files: whatever the
// input, daxsim exits 0, 1 or 2 (never 3: an internal error is a failure here), prints no
// stack trace, reports bad input in one line (`daxsim: <where>: <what>`), and finishes. Most
// cases run in-process through runCli; some run as real processes with a timeout: a reader
// that closes the pipe early, SIGINT/SIGTERM during explore, and inputs at the documented
// limits (README, "Language reference": LIMITS, the litmus limits).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  expect(r.code, `exit 3 is an internal error: ${r.stderr}\n${label}`).not.toBe(3);
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
  expect(performance.now() - t0, `too slow: ${label}`).toBeLessThan(kind === 'litmus' ? 75_000 : 20_000);
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

/** Runs the bin (the build, or the sources through tsx when the build is older) as a process. */
function daxsim(args: string[], opts: { timeout?: number } = {}): { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['src/cli/bin.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: opts.timeout ?? 60_000 });
  expect(r.error, args.join(' ')).toBeUndefined();
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the bin, reads its first bytes of stdout, closes the pipe, and waits for the exit. */
function closedEarly(args: string[]): Promise<{ code: number | null; stderr: string; got: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['src/cli/bin.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let got = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: did not end after its reader went away`));
    }, 60_000);
    child.stdout.once('data', (b: Buffer) => {
      got = b.toString('utf8').slice(0, 16);
      child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => void (stderr += b.toString('utf8')));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, got });
    });
  });
}

describe('CLI fuzz: pipes, signals and limits (real processes)', () => {
  it('a reader that closes the pipe early: the command ends quietly, exit 0 (its work was done)', async () => {
    const big = path.join(dir, 'many-states.litmus');
    writeFileSync(big, 'persistence adr\n' + Array.from({ length: 4 }, (_, t) => `T${t}: store A${t} 1; store B${t} 2; store C${t} 3`).join('\n') + '\n');
    for (const args of [['arches'], ['layout', 'x86_64'], ['litmus', big], ['run', 'test/scenarios/seed-buggy.dax', '--dump', 'A', '--dump', 'B'], ['--help']]) {
      const r = await closedEarly(args);
      expect(r.got.length, args.join(' ')).toBeGreaterThan(0);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${sig} during explore: the workers stop, the findings are written, the summary printed, exit ${code}`, async () => {
      const out = path.join(dir, `found-${sig}`);
      const child = spawn('node', ['src/cli/bin.mjs', 'explore', '--arch', 'x86_64', '--mkclean', 'buggy', '--time', '120', '--seed', '1', '--workers', '1', '--json', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => void (stdout += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => void (stderr += b.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await new Promise((r) => setTimeout(r, 4_000));
      child.kill(sig);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const status = await exited;
      clearTimeout(timer);
      expect(status, stderr).toBe(code);
      expect(stderr).toContain(`explore: ${sig}: stopping`);
      expect(stderr).not.toMatch(/\n\s+at .+[:(]\d+/);
      const d = JSON.parse(stdout) as { schema: number; stopped_by: string; scenarios: number; findings: Array<{ file: string }> };
      expect(d.stopped_by).toBe(sig);
      expect(d.scenarios).toBeGreaterThan(0);
      expect(d.findings.length).toBeGreaterThan(0);
      for (const f of d.findings) expect(existsSync(f.file), f.file).toBe(true);
    });
  }

  it('explore --workers beyond the machine is refused in one line', () => {
    const r = daxsim(['explore', '--workers', '256', '--count', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daxsim: explore: --workers must be between 0 and \d+ \((this machine has \d+ cores?|free memory allows \d+ workers? of \d+ MiB)\), not 256\n$/);
  });

  it('scenarios at the documented limits run; one past each limit is refused up front', () => {
    const procs = (n: number): string => Array.from({ length: n }, (_, i) => `proc P${i}`).join('\n');
    const maps = (perProc: number, procsN: number): string =>
      Array.from({ length: procsN }, (_, p) => Array.from({ length: perProc }, (_, k) => `P${p} mmap m${p}_${k} F offset 0 length 4K`).join('\n')).join('\n');
    const files = (n: number): string => Array.from({ length: n }, (_, i) => `file F${i} size 4K`).join('\n');
    const cases: Array<[string, string, number[], RegExp | null]> = [
      ['1024 processes, 4096 mappings', `file F size 2M\n${procs(1024)}\n${maps(4, 1024)}\nP1023 write m1023_3 0 64\nP0 fsync F\ncrash\nexpect durable\n`, [0], null],
      ['1025 processes', `file F size 2M\n${procs(1025)}\n`, [2], /:1026: too many processes \(limit 1024\)/],
      ['4097 mappings', `file F size 2M\n${procs(1025).split('\n').slice(0, 1024).join('\n')}\n${maps(4, 1024)}\nP0 mmap extra F offset 0 length 4K\n`, [2], /too many mappings \(limit 4096\)/],
      ['256 files', `${files(256)}\nproc A\nA mmap m F255 offset 0 length 4K\nA write m 0 8\n`, [0], null],
      ['257 files', `${files(257)}\n`, [2], /:257: too many files \(limit 256\)/],
      ['16 MiB in one access, every crash state', 'file F size 16M\nproc A\nA mmap m F offset 0 length 16M\nA write m 0 16M\nA flush m 0 16M\nA fsync F\nA write m 0 16M\nA flush m 0 16M\ncrash\nexpect durable\n', [0], null],
      ['16 MiB + 1 in one access', 'file F size 32M\nproc A\nA mmap m F offset 0 length 32M\nA write m 0 0x1000001\n', [2], /:4: length 16777217 exceeds the limit of 16777216 bytes per access/],
    ];
    for (const [what, text, codes, msg] of cases) {
      const f = path.join(dir, `limit-${what.replace(/[^a-z0-9]+/gi, '-')}.dax`);
      writeFileSync(f, text);
      const r = daxsim(['run', f, ...(what.includes('every crash state') ? ['--all-states'] : [])], { timeout: 120_000 });
      expect(r.signal, what).toBeNull();
      checkOutcome({ code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr }, what);
      expect(codes, `${what}: ${r.stderr}`).toContain(r.code);
      if (msg !== null) expect(r.stderr, what).toMatch(msg);
    }
  });

  it('random litmus programs at the thread and operation limits end within the budget', async () => {
    const op = fc.oneof(
      fc.constantFrom('sfence', 'mfence'),
      fc.tuple(fc.constantFrom('store', 'ntstore'), fc.constantFrom('X', 'Y', 'Z', 'W', 'X+8'), fc.integer({ min: 0, max: 3 })).map(([o, l, v]) => `${o} ${l} ${v}`),
      fc.tuple(fc.constantFrom('clwb', 'clflush', 'clflushopt'), fc.constantFrom('X', 'Y', 'Z', 'W')).map(([o, l]) => `${o} ${l}`),
      fc.constantFrom('X', 'Y').map((l) => `load ${l} r`),
    );
    const program = fc.oneof(fc.array(fc.array(op, { minLength: 5, maxLength: 5 }), { minLength: 8, maxLength: 8 }), fc.array(fc.array(op, { minLength: 16, maxLength: 16 }), { minLength: 2, maxLength: 2 }));
    await fc.assert(
      fc.asyncProperty(program, async (threads) => {
        const text = threads.map((ops, t) => `T${t}: ${ops.join('; ')}`).join('\n') + '\n';
        const t0 = performance.now();
        await runText('litmus', text, []);
        // the explorer's own budget is 60 s (src/litmus/explore.ts MAX_MILLIS)
        expect(performance.now() - t0).toBeLessThan(75_000);
      }),
      { numRuns: 4, seed: 9 },
    );
  }, 320_000);
});

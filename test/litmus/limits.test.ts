// litmus at its own limits (src/litmus/parse.ts: 8 threads, 16 operations per thread, 40 in
// all). Unflushed stores to distinct lines make 2^lines crash outcomes; the command used to
// build them all and die after minutes with `Set maximum size exceeded`. It now stops at the
// outcome budget with one line (exit 2), in seconds; vitest's timeout is the guard.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { MAX_OUTCOMES } from '../../src/litmus/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-litmus-limits-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const stores = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `store ${prefix}${i} 1`).join('; ');

describe('litmus at the documented limits', () => {
  it('2 threads x 16 unflushed stores to distinct lines: one-line error at the outcome budget', async () => {
    const p = file('two-by-sixteen.litmus', `T0: ${stores('A', 16)}\nT1: ${stores('B', 16)}\n`);
    const r = await runCliCaptured(['litmus', p]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`daxsim: ${p}:2: more than ${MAX_OUTCOMES} distinct crash outcomes (every unflushed line may or may not persist); flush and fence some stores, or use fewer\n`);
  });

  it('8 threads x 5 unflushed stores: the same', async () => {
    const p = file('eight-by-five.litmus', Array.from({ length: 8 }, (_, t) => `T${t}: ${stores(`C${t}_`, 5)}`).join('\n') + '\n');
    const r = await runCliCaptured(['litmus', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daxsim: .*:8: more than 1000000 distinct crash outcomes .*\n$/);
  });

  it('at the limits but fenced, the outcomes are few and the command succeeds', async () => {
    const fenced = (prefix: string): string => Array.from({ length: 5 }, (_, i) => `store ${prefix}${i} 1; clwb ${prefix}${i}`).join('; ') + '; sfence';
    const p = file('fenced.litmus', `T0: ${fenced('A')}\nT1: ${fenced('B')}\n`);
    const r = await runCliCaptured(['litmus', p]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['A0=1 A1=1 A2=1 A3=1 A4=1 B0=1 B1=1 B2=1 B3=1 B4=1']);
  });
});

// `expect tlb P M O cached|empty [rw|ro] [dirty|clean]`: what P's CPU's TLB holds for that page,
// read without a walk (a stale entry counts). The seed shows why it matters: on the buggy kernel
// B's writable, dirty translation survives the fsync in B's TLB, so B's next store neither
// faults nor reaches the page table; the fixed kernel's mkclean flushes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { InputError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

const SEED = `file F size 2M
proc A
proc B
A mmap a F offset 0 length 2M rw shared
B mmap b F offset 4K length 4K rw shared
expect tlb B b 0 empty
A write a 0 64
expect tlb A a 0 cached rw dirty
B write b 0 64
expect tlb B b 0 cached rw dirty
A fsync F
expect tlb A a 0 empty
expect tlb B b 0 cached rw dirty
`;

const run = (text: string, mkclean: 'buggy' | 'range') => runScenario(parseScenario(text, 't.dax'), { mkclean });

describe('expect tlb', () => {
  it('buggy: B keeps its rw dirty translation across the fsync; A\'s PMD translation is flushed', () => {
    expect(run(SEED, 'buggy').expects.map((e) => [e.line, e.ok])).toEqual([[6, true], [8, true], [10, true], [12, true], [13, true]]);
  });

  it('range: mkclean flushes B\'s translation too, and the failed expect says what the TLB holds', () => {
    const r = run(SEED, 'range');
    expect(r.expects.filter((e) => !e.ok)).toEqual([{ line: 13, ok: false, text: 'expect tlb B b 0 cached rw dirty', actual: 'empty' }]);
    // After B's write-protect fault refills it: read-only would be wrong, the fault made it writable.
    const again = run(`${SEED}B write b 0 64\nexpect tlb B b 0 cached ro\nexpect tlb B b 0 cached rw dirty\n`, 'range');
    expect(again.expects.slice(-2)).toEqual([
      { line: 15, ok: false, text: 'expect tlb B b 0 cached ro', actual: 'cached rw dirty (4K page)' },
      { line: 16, ok: true, text: 'expect tlb B b 0 cached rw dirty' },
    ]);
  });

  it('a read fills a read-only, clean translation', () => {
    const r = run('file F size 2M\nproc A\nA mmap a F offset 0 length 4K rw shared\nA read a 0 8\nexpect tlb A a 0 cached ro clean\n', 'range');
    expect(r.expects).toEqual([{ line: 5, ok: true, text: 'expect tlb A a 0 cached ro clean' }]);
  });

  it('is one line in the report and one object in --json expects', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-tlb-'));
    try {
      const file = path.join(dir, 'seed.dax');
      writeFileSync(file, `mkclean range\n${SEED}`);
      const text = await runCliCaptured(['run', file]);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('  line 14: FAIL expect tlb B b 0 cached rw dirty (found: empty)\n');
      expect(text.stdout).toContain('  line 9: ok   expect tlb A a 0 cached rw dirty\n');
      const json = JSON.parse((await runCliCaptured(['run', file, '--json'])).stdout) as { expects: unknown[] };
      expect(json.expects).toContainEqual({ line: 14, ok: false, text: 'expect tlb B b 0 cached rw dirty', actual: 'empty' });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it.each([
    ['expect tlb A a 0', "expected 'expect tlb P M O cached|empty [rw|ro] [dirty|clean]'"],
    ['expect tlb A a 0 present', "expected cached or empty, not 'present'"],
    ['expect tlb A a 0 empty rw', 'an empty TLB slot has no rw/dirty to check'],
    ['expect tlb A a 0 cached rw rw', "unexpected 'rw' (expected rw|ro, dirty|clean, each at most once)"],
    ['expect tlb A a 0 cached pmd', "unexpected 'pmd' (expected rw|ro, dirty|clean, each at most once)"],
    ['expect tlb B a 0 cached', "unknown process 'B'"],
    ['expect tlb A b 0 cached', "unknown mapping 'b' of A"],
    ['expect tlb A a 4096 cached', "offset 4096 is past the end of mapping 'a' (4096 bytes)"],
  ])('bad input: %s', (line, message) => {
    expect(() => parseScenario(`file F size 2M\nproc A\nA mmap a F offset 0 length 4K rw shared\n${line}\n`, 't.dax')).toThrow(new InputError('t.dax:4', message));
  });
});

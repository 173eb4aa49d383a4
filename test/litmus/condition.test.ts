// herd7-style final conditions in .litmus files (src/litmus/condition.ts) and the `# expect:`
// outcome set, as `daxsim litmus` judges them: Ok / No with the witnessing states, exit 1
// when the condition or the expected set fails.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { parseLitmus } from '../../src/litmus/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-litmus-cond-'));
let n = 0;
const litmus = async (text: string, json = false): Promise<{ code: number; stdout: string; stderr: string }> => {
  const p = path.join(dir, `t${n++}.litmus`);
  writeFileSync(p, text);
  return runCliCaptured(['litmus', p, ...(json ? ['--json'] : [])]);
};
// Px86 Fig. 2: x:=1; flushopt x; y:=1 may persist y without x.
const FLUSHOPT = 'persistence adr\nT0: store X 1; clflushopt X; store Y 1\n';

describe('herd7 conditions', () => {
  it('exists: Ok with the witnessing state', async () => {
    const r = await litmus(FLUSHOPT + 'exists (X=0 /\\ Y=1)\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('X=0 Y=0\nX=0 Y=1\nX=1 Y=0\nX=1 Y=1\nOk: exists (X=0 /\\ Y=1) (positive 1, negative 3)\n  witnessed by:\n    X=0 Y=1\n');
  });

  it('~exists that the model contradicts: No, the contradicting states, exit 1', async () => {
    const r = await litmus(FLUSHOPT + '~exists (X=0 /\\ Y=1)\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('No: ~exists (X=0 /\\ Y=1) (positive 1, negative 3)\n  contradicted by:\n    X=0 Y=1\n');
  });

  it('forall with a register in herd7 notation (1:r) and \\/ ; the violations listed', async () => {
    const r = await litmus('persistence eadr\nT0: store X 1\nT1: load X r\nforall (1:r=0 \\/ X=1)\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Ok: forall \(1:r=0 \\\/ X=1\) \(positive 3, negative 0\)$/m);
    const no = await litmus('persistence adr\nT0: store X 1; clwb X; sfence\nforall (X=0)\n');
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('No: forall (X=0) (positive 0, negative 1)\n  violated by:\n    X=1\n');
  });

  it('~, != and parentheses, and the verdict in --json', async () => {
    const r = await litmus(FLUSHOPT + 'exists ~(X!=0 \\/ Y=0)\n', true);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { schema: number; condition: { kind: string; ok: boolean; positive: number; negative: number; witnesses: unknown[] } };
    expect(d.schema).toBe(2);
    expect(d.condition).toMatchObject({ kind: 'exists', ok: true, positive: 1, negative: 3, witnesses: [{ X: 0, Y: 1 }] });
  });

  it('bad conditions are one-line errors naming the line', () => {
    const bad = (cond: string, msg: RegExp): void => {
      expect(() => parseLitmus(`T0: store X 1\n${cond}\n`, 'c.litmus')).toThrow(msg);
    };
    bad('exists (X=1', /condition: expected '\)'/);
    bad('exists (Z=1)', /condition names 'Z', which no thread loads or stores/);
    bad('exists (X=)', /condition: expected a value after 'X='/);
    bad('forall X', /condition: expected '=' or '!=' after 'X'/);
    expect(() => parseLitmus('T0: store X 1\nexists (X=1)\nexists (X=0)\n', 'c.litmus')).toThrow(/a second condition \(the first is on line 2\)/);
  });
});

describe('# expect: lines', () => {
  it('a set that matches prints nothing more; one that does not says what differs, exit 1', async () => {
    const ok = await litmus('T0: store X 1; clwb X; sfence\n# expect: X=1\n');
    expect(ok).toEqual({ code: 0, stdout: 'X=1\n', stderr: '' });
    const bad = await litmus('T0: store X 1; clwb X\n# expect: X=1\n');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("X=0\nX=1\nexpect: FAIL, the outcomes differ from the '# expect:' lines (line 2)\n  found, not expected: X=0\n");
  });
});

// explore --statements all: the generator's newer mix (src/scenario/generate.ts). Its scenarios
// must be valid (no statement ends in a signal or an errno: the accesses a protection, an exit
// or a truncate would make fault are left out), describe the same statements whether built
// directly or printed and parsed, use every new statement, and a finding's .dax must replay.
// The default mix is unchanged (the existing seeds' findings: test/explore/explore.test.ts).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, scenarioOf } from '../../src/explore/engine.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { genStatements, toDax } from '../../src/scenario/generate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

const cfg = { arches: ['x86_64'], strategies: ['range' as const], persistence: 'adr' as const, seed: 7, statements: 'all' as const };

describe('explore --statements all', () => {
  for (const [arch, pageSize] of [['x86_64', 4096], ['ppc64-radix', 65536]] as const) {
    it(`${arch}: 80 scenarios run without error, print and parse back the same, and use every new statement`, () => {
      const seen = new Set<string>();
      for (let i = 0; i < 80; i++) {
        const g = generate(cfg, i, pageSize);
        const scn = scenarioOf(g, pageSize);
        expect(scn).toStrictEqual(parseScenario(toDax(g, pageSize), 'explore'));
        for (const s of scn.stmts) seen.add(s.op === 'file' && s.sparse === true ? 'sparse' : s.op === 'fallocate' ? `fallocate ${s.mode}` : s.op === 'mprotect' ? `mprotect ${s.prot}` : s.op);
        expect(() => runScenario(scn, { arch, mkclean: 'range' }), toDax(g, pageSize)).not.toThrow();
      }
      for (const op of ['sparse', 'pwrite', 'pread', 'fallocate punch', 'fallocate zero', 'truncate', 'madvise', 'mprotect none', 'mprotect ro', 'mprotect rw', 'fork', 'exit']) expect(seen, op).toContain(op);
    });
  }

  it('the base mix is what genScenario drew before: no new statement, and the same scenarios as without the option', () => {
    const base = { ...cfg, statements: undefined };
    for (let i = 0; i < 50; i++) {
      const g = generate(base, i, 4096);
      expect(generate({ ...cfg, statements: 'base' as const }, i, 4096)).toStrictEqual(g);
      expect(genStatements(g, 4096).every((s) => ['file', 'proc', 'mmap', 'write', 'read', 'flush', 'sfence', 'fsync', 'msync', 'munmap', 'crash'].includes(s.op))).toBe(true);
    }
  });

  it("a finding's .dax replays the loss with daxsim run", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'daxsim-statements-'));
    const r = await runCliCaptured(['explore', '--arch', 'x86_64', '--mkclean', 'buggy', '--seed', '4', '--count', '60', '--workers', '0', '--statements', 'all', '--out', out]);
    expect(r.code).toBe(1);
    const files = readdirSync(out).filter((f) => f.endsWith('.dax'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(readFileSync(path.join(out, f), 'utf8')).toContain("--statements all'");
      const replay = await runCliCaptured(['run', path.join(out, f)]);
      expect(replay.stdout).toContain('FAIL expect durable');
      expect(replay.code).toBe(1);
    }
  });

  it('bad input: an unknown mix', async () => {
    const r = await runCliCaptured(['explore', '--statements', 'some', '--count', '1', '--workers', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("daxsim: explore: --statements must be one of base, all, not 'some'\n");
  });
});

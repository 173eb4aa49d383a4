// Every scenario in test/scenarios/ runs with all its `expect` lines holding (as `daxsim run`
// exits 0 on it), plus the `kernel` setting as the scenario language takes it.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/cli/errors.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runExitCode, runScenario } from '../../src/scenario/run.ts';

const dir = 'test/scenarios';
const files = readdirSync(dir).filter((f) => f.endsWith('.dax')).sort();

describe('test/scenarios', () => {
  it.each(files)('%s: every expect holds', (f) => {
    const r = runScenario(parseScenario(readFileSync(`${dir}/${f}`, 'utf8'), f));
    expect(r.expects.filter((e) => !e.ok)).toEqual([]);
    expect(runExitCode(r)).toBe(0);
  });
});

describe('the kernel setting', () => {
  const seed = readFileSync(`${dir}/kernel-5.17-seed.dax`, 'utf8');

  it('reports the kernel in effect; 6.1 by default', () => {
    expect(runScenario(parseScenario('file F size 2M\n', 'x.dax')).kernel).toBe('6.1');
    const r = runScenario(parseScenario(seed, 'seed.dax'));
    expect(r).toMatchObject({ kernel: '5.17', mkclean: 'buggy', durable: false });
  });

  it('--kernel overrides the file, and --mkclean the version\'s default', () => {
    expect(runScenario(parseScenario(seed, 'seed.dax'), { kernel: '6.1' })).toMatchObject({ kernel: '6.1', mkclean: 'range', durable: true });
    expect(runScenario(parseScenario('file F size 2M\n', 'x.dax'), { kernel: '5.17', mkclean: 'page' })).toMatchObject({ kernel: '5.17', mkclean: 'page' });
  });

  it('a version it does not model, or a second kernel line, is a one-line error naming the line', () => {
    expect(() => parseScenario('kernel 5.18\n', 'k.dax')).toThrow(new InputError('k.dax:1', "kernel must be one of 6.1, 5.19, 5.17, not '5.18'"));
    expect(() => parseScenario('kernel 6.1\nkernel 5.19\n', 'k.dax')).toThrow(InputError);
    expect(() => parseScenario('file F size 2M\nkernel 6.1\n', 'k.dax')).toThrow(new InputError('k.dax:2', "setting 'kernel' must come before the first action"));
  });

  it('on the command line: run --json reports the kernel, --kernel overrides the file, a bad version is one line and exit 2', async () => {
    const file = `${dir}/kernel-5.17-seed.dax`;
    const r = await runCliCaptured(['run', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kernel: '5.17', mkclean: 'buggy', durable: false });
    const fixed = await runCliCaptured(['run', file, '--kernel', '5.19', '--json']);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ kernel: '5.19', mkclean: 'range', durable: true });
    expect(fixed.code).toBe(1); // its `expect lost` and `expect pte ... rw dirty` now fail
    const bad = await runCliCaptured(['seed', '--kernel', '5.18']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("daxsim: seed: --kernel must be one of 6.1, 5.19, 5.17, not '5.18'\n");
    const seed = await runCliCaptured(['seed', '--kernel', '5.17', '--arch', 'x86_64', '--json']);
    expect(JSON.parse(seed.stdout)).toMatchObject({ kernel: '5.17', results: [{ mkclean: 'buggy', kernel: '5.17', as_expected: true }, {}, {}, {}] });
  });
});

// `daxsim verify` on the real kernel, when this machine can boot it from the cache (QEMU and
// the build tools present, Debian's kernel fetched by `daxsim verify --prepare`); otherwise
// skipped with one line saying why. One boot runs the seed on the buggy and on the fixed
// kernel, and a negative control: the fixed model against the buggy kernel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preparedFromCache } from '../src/verify/prepare.ts';
import { verify } from '../src/verify/verify.ts';

const prepared = preparedFromCache();
if (typeof prepared === 'string') console.log(`verify: the real-kernel boot test is skipped: ${prepared}`);

describe.skipIf(typeof prepared === 'string')('verify on Linux 6.1 under QEMU', () => {
  it('the seed agrees with the model on the buggy and the fixed kernel, and the control differs after the fsync', async () => {
    const file = (p: string) => ({ path: p, text: readFileSync(p, 'utf8') });
    const log = (): void => {};
    const p = prepared as Exclude<typeof prepared, string>;
    const r = await verify({ files: [file('test/verify/01-seed-buggy.dax'), file('test/verify/02-seed-fixed.dax')], log }, p);
    expect(r.release).toMatch(/^6\.1\./);
    expect(r.statements.filter((s) => s.same === false).map((s) => `${s.file}:${s.line}`)).toEqual([]);
    expect(r.statements.filter((s) => s.same === true).length).toBe(22);

    const control = await verify({ files: [file('test/verify/02-seed-fixed.dax')], log, kernelMkclean: 'buggy' }, p);
    const differ = control.statements.filter((s) => s.same === false).map((s) => s.line);
    expect(differ[0]).toBe(11); // A fsync F: B's PTE cleaned by the model, missed by the v5.17 loop
    expect(control.statements.find((s) => s.line === 11)!.differences.map((d) => d.field)).toEqual(['B b +0x0 pte']);
  }, 300_000);
});

// Bad scenario input: one line `daxsim: file:line: ...` on stderr, exit 2, for every kind of
// mistake the README's language reference allows, and resource limits refused up front.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../src/cli/run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-hard-'));
const HEAD = 'file F size 4M\nproc A\nA mmap m F offset 0 length 2M\n';

const cases: Array<[string, string, RegExp]> = [
  ['arity', 'proc\n', /:1: expected 'proc P'/],
  ['arity of write', HEAD + 'A write m 0\n', /:4: expected 'P write M O L \[byte B\]'/],
  ['bad number', HEAD + 'A write m zz 4\n', /:4: offset: 'zz' is not a number/],
  ['T suffix', 'file F size 1T\n', /:1: size: '1T' is not a number/],
  ['negative', HEAD + 'A read m -1 4\n', /:4: offset: '-1' is not a number/],
  ['too large', 'file F size 99999999999999999999\n', /:1: size: .* is too large/],
  ['unknown arch', 'arch vax\nfile F size 2M\n', /:1: unknown arch 'vax'/],
  ['unknown strategy', 'mkclean sloppy\nfile F size 2M\n', /:1: unknown mkclean strategy 'sloppy'/],
  ['unknown persistence', 'persistence nvdimm\n', /:1: persistence must be adr or eadr/],
  ['unknown process', HEAD + 'B write m 0 4\n', /:4: unknown process or statement 'B'/],
  ['unknown mapping', HEAD + 'A write q 0 4\n', /:4: unknown mapping 'q'/],
  ['unknown file', HEAD + 'A fsync G\n', /:4: unknown file 'G'/],
  ['misaligned offset', 'file F size 2M\nproc A\nA mmap m F offset 100 length 4096\n', /:3: offset 100 is not page aligned/],
  ['misaligned on 64K pages', 'arch ppc64-radix\nfile F size 2M\nproc A\nA mmap m F offset 4096 length 65536\n', /:4: offset 4096 is not page aligned/],
  ['mapping past the file', 'file F size 2M\nproc A\nA mmap m F offset 1M length 2M\n', /:3: .* past the end of file 'F'/],
  ['access past the mapping', HEAD + 'A write m 2M 1\n', /:4: .* past the end of mapping 'm'/],
  ['file size not a page multiple', 'file F size 100\n', /:1: file size 100 is not a multiple of the page size/],
  ['files past the device', 'file F size 1024G\nfile G size 4K\n', /:2: file G \(4096 bytes\) does not fit on the pmem device/],
  ['reuse of a name', 'file F size 2M\nproc F\n', /:2: name 'F' is already used/],
  ['reuse of a mapping name', HEAD + 'A mmap m F offset 0 length 4K\n', /:4: name 'm' is already used/],
  ['after crash', HEAD + 'crash\nA write m 0 1\n', /:5: 'A' after crash/],
  ['expect before crash', HEAD + 'expect durable\n', /:4: 'expect durable' needs a crash before it/],
  ['setting after an action', HEAD + 'arch x86_64\n', /:4: setting 'arch' must come before the first action/],
  ['setting twice', 'arch x86_64\narch s390x\n', /:2: 'arch' is set twice/],
  ['unmapped mapping', HEAD + 'A munmap m\nA write m 0 1\n', /:5: mapping 'm' was unmapped/],
  ['byte too big', HEAD + 'A write m 0 1 byte 256\n', /:4: byte 256 does not fit in a byte/],
  ['huge write, up front', 'file F size 1024G\nproc A\nA mmap m F offset 0 length 1024G\nA write m 0 1G\n', /:4: length .* exceeds the limit/],
  ['total touched, up front', 'file F size 1024G\nproc A\nA mmap m F offset 0 length 1024G\n' + 'A read m 0 16M\n'.repeat(5), /:8: .* touch more than/],
  ['mapped bytes, up front', 'file F size 1024G\nproc A\n' + Array.from({ length: 3 }, (_, i) => `A mmap m${i} F offset 0 length 1024G\n`).join(''), /:5: mappings span more than/],
  ['keyword as name', 'proc crash\n', /:1: expected 'crash'|keyword/],
  ['bad name', 'proc 9lives\n', /:1: process '9lives' is not a name/],
];

describe('hard input', () => {
  it.each(cases)('%s', async (_name, text, msg) => {
    const f = path.join(dir, `${_name.replace(/\W+/g, '_')}.dax`);
    writeFileSync(f, text);
    const r = await runCliCaptured(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^daxsim: ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: [^\\n]+\\n$`));
    expect(r.stderr).toMatch(msg);
  });

  it('a missing file and no command are one-line usage errors', async () => {
    expect((await runCliCaptured(['run', path.join(dir, 'none.dax')])).stderr).toMatch(/^daxsim: .*none\.dax: cannot read file \(ENOENT\)\n$/);
    const r = await runCliCaptured([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daxsim: usage: no command given/);
  });
});

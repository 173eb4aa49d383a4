// `daxsim verify` without QEMU: the guest's records, the comparison and its bit names, the
// cache keys, the initramfs archive, and the C runner's reading of every suite scenario.
// The fixture is a real boot's records of test/verify/fixtures/seed-buggy.dax (Debian 6.1.0-57,
// daxsim_probe with mkclean=buggy).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../arch/index.ts';
import { parseScenario } from '../src/scenario/parse.ts';
import { cpioArchive } from '../src/verify/cpio.ts';
import { bitNames } from '../src/verify/diff.ts';
import { qemuArgs, scenarioArchive } from '../src/verify/guest.ts';
import { buildKey, cacheRoot, ensureTools, GUEST_SOURCES, kernelKey, parseDepends, parseVersion, VerifyUnavailable } from '../src/verify/prepare.ts';
import { parseRecords, RecordError } from '../src/verify/records.ts';
import { normalise } from '../src/verify/snapshot.ts';
import { compareRecords, formatText, runModel, toJson, verifyExitCode } from '../src/verify/verify.ts';

const x86 = findLayout('x86_64')!;
// The scenario the fixture was recorded from, kept beside it (test/scenarios may change).
const SEED_BUGGY = 'test/verify/fixtures/seed-buggy.dax';
const RECORDS = readFileSync('test/verify/fixtures/seed-buggy.records.jsonl', 'utf8');
const meta = { accel: 'tcg', seconds: 1 };

describe('guest records', () => {
  it('parse into statements with faults, extents and entries', () => {
    const r = parseRecords(RECORDS);
    expect(r.release).toBe('6.1.0-57-amd64');
    expect(r.done).toBe(true);
    const s = r.scenarios[0]!;
    expect(s.mkclean).toBe('buggy');
    expect(s.ended).toBe(true);
    expect(s.statements[0]!.file).toEqual({ name: 'F', extents: [{ logical: 0, phys: 0x48200000, length: 0x200000 }] });
    // B's second write (line 19) took no fault on the buggy kernel: still one write fault.
    expect(s.statements.find((x) => x.line === 19)!.faults.B).toEqual({ read: 0, write: 1, wp: 0 });
    const afterWrite = s.statements.find((x) => x.line === 12)!;
    expect(afterWrite.maps[0]!.pt.find((e) => e.level === 'pmd')!.raw).toBe(0x84000000482008e7n);
  });

  it('refuse garbled lines with the record number', () => {
    expect(() => parseRecords('{"scenario":"s0.dax","mkclean":"range"}\n{"line":3,"err":""')).toThrow(RecordError);
    expect(() => parseRecords('{"line":3,"err":"","faults":{},"maps":[]}')).toThrow(/before any scenario/);
    // a runner that died mid-record: the cut line is dropped, the failure kept
    const cut = parseRecords('{"scenario":"s0.dax","mkclean":"range"}\n{"line":3,"err":"","fau\n{"runner_failed":"daxsim-runner: /proc/daxsim_pt: No such file"}\n{"done":true}\n');
    expect(cut.scenarios[0]!.failed).toMatch(/daxsim_pt/);
    expect(() => parseRecords('{"scenario":"s","mkclean":"range"}\n{"line":1,"err":"","faults":{"A":[1,2]},"maps":[]}')).toThrow(/read, write, wp/);
  });
});

describe('comparison', () => {
  it('the seed on the buggy kernel agrees with the model at every statement', () => {
    const run = runModel(SEED_BUGGY, readFileSync(SEED_BUGGY, 'utf8'));
    const r = compareRecords([run], RECORDS, meta);
    const compared = r.statements.filter((s) => s.same !== null);
    expect(compared.length).toBe(14);
    expect(compared.every((s) => s.same === true)).toBe(true);
    expect(r.statements.filter((s) => s.same === null).map((s) => s.text)).toEqual(['crash', 'expect lost']);
    expect(verifyExitCode(r)).toBe(0);
    expect(formatText(r)).toMatch(/line 21: not compared crash/);
  });

  it('a negative control: the fixed model against the buggy kernel differs from the first fsync on, and names the bits', () => {
    const text = readFileSync(SEED_BUGGY, 'utf8').replace('mkclean buggy', 'mkclean range');
    const r = compareRecords([runModel('control.dax', text)], RECORDS, meta);
    const differ = r.statements.filter((s) => s.same === false);
    expect(differ[0]!.line).toBe(16); // A fsync F: the model cleans B's PTE, 6.1 with the v5.17 loop does not
    const pte = differ[0]!.differences.find((d) => d.field === 'B b +0x0 pte')!;
    expect(pte.model).toBe('0x8400000000001a25 (F+0x1000)');
    expect(pte.kernel).toBe('0x8400000000001a67 (F+0x1000)');
    expect(pte.bits).toEqual(['_PAGE_RW', '_PAGE_DIRTY']);
    // B's next write: a write-protect fault in the model, none on the kernel.
    expect(r.statements.find((s) => s.line === 19)!.differences.find((d) => d.field === 'faults B')).toEqual({ field: 'faults B', model: 'read 0 write 0 wp 1', kernel: 'read 0 write 0 wp 0', bits: [] });
    expect(r.statements.filter((s) => s.line < 16).every((s) => s.same !== false)).toBe(true);
    expect(verifyExitCode(r)).toBe(1);
    const json = toJson(r) as { schema: number; statements: Array<{ same: boolean | null; model: { entries: Array<{ level: string; pages: number }> } | null }> };
    expect(json.schema).toBe(2);
    expect(json.statements.find((s) => s.same === false)!.model!.entries.find((e) => e.level === 'pmd')!.pages).toBe(512);
  });

  it('scenarios the guest cannot run are listed as not available, never as same', () => {
    const r = compareRecords([runModel('p.dax', 'mkclean page\nfile F size 2M\nproc A\nA mmap a F offset 0 length 2M\nA write a 0 1\n')], '', meta);
    expect(r.files[0]!.unavailable).toMatch(/mkclean page has no counterpart/);
    expect(r.statements.every((s) => s.same === null)).toBe(true);
    expect(verifyExitCode(r)).toBe(2);
  });
});

describe('entries', () => {
  it('a huge leaf keeps _PAGE_PAT_LARGE (bit 12) out of its address; the address becomes the file offset', () => {
    const files = [{ name: 'F', extents: [{ logical: 0, phys: 0x48200000, length: 0x400000 }] }];
    expect(normalise(x86, 2, 0x84000000482008e7n, files)).toMatchObject({ value: 0x84000000000008e7n, maps: 'F+0x0', leaf: true });
    expect(normalise(x86, 2, 0x84000000482018e7n, files)).toMatchObject({ value: 0x84000000000018e7n, maps: 'F+0x0' });
    expect(normalise(x86, 3, 0x8400000048201a67n, files)).toMatchObject({ value: 0x8400000000001a67n, maps: 'F+0x1000' });
    expect(normalise(x86, 2, 0x72e1067n, files)).toMatchObject({ value: 0x67n, maps: 'table', leaf: false });
    expect(normalise(x86, 3, 0x8000000012345867n, files)).toMatchObject({ value: 0x8000000000000867n, maps: 'ram' });
  });

  it('differing bits are named by the layout, aliases together, the address field as such', () => {
    expect(bitNames(x86, 0x42n, 3, true)).toEqual(['_PAGE_RW', '_PAGE_DIRTY']);
    expect(bitNames(x86, 0x80n, 2, true)).toEqual(['_PAGE_PSE/_PAGE_PAT']);
    expect(bitNames(x86, 0x1000n, 2, true)).toEqual(['_PAGE_PAT_LARGE']);
    expect(bitNames(x86, 0x1000n, 3, true)).toEqual(['address']);
    expect(bitNames(x86, 0x0400000000000000n, 3, true)).toEqual(['_PAGE_DEVMAP/_PAGE_SOFTW4']);
  });
});

describe('cache and guest', () => {
  it('keys the kernel by release and package version, the build by the sources', () => {
    expect(kernelKey({ release: '6.1.0-57-amd64', version: '6.1.192-3' })).toBe('kernel-6.1.0-57-amd64_6.1.192-3');
    expect(kernelKey({ release: '6.1.0-57-amd64', version: '6.1.192-4' })).not.toBe(kernelKey({ release: '6.1.0-57-amd64', version: '6.1.192-3' }));
    const a = buildKey([{ name: 'runner.c', text: 'int main(void) { return 0; }' }]);
    expect(buildKey([{ name: 'runner.c', text: 'int main(void) { return 0; }' }])).toBe(a);
    expect(buildKey([{ name: 'runner.c', text: 'int main(void) { return 1; }' }])).not.toBe(a);
    expect(cacheRoot({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/daxsim/verify');
    expect(cacheRoot({ XDG_CACHE_HOME: '' })).toMatch(/\.cache\/daxsim\/verify$/);
  });

  it('without root, a missing tool stops verify with the one command to run; nothing missing, nothing done', () => {
    const lines: string[] = [];
    const fake = [{ what: 'qemu', pkg: 'qemu-system-x86', present: () => false }, { what: 'gcc', pkg: 'gcc', present: () => true }];
    expect(() => ensureTools((l) => lines.push(l), fake, false)).toThrow(VerifyUnavailable);
    expect(() => ensureTools((l) => lines.push(l), fake, false)).toThrow('missing qemu; run: sudo apt-get install -y --no-install-recommends qemu-system-x86');
    ensureTools((l) => lines.push(l), [fake[1]!], true);
    expect(lines).toEqual([]);
  });

  it('reads apt-cache output', () => {
    expect(parseDepends('linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n')).toEqual(['linux-image-6.1.0-57-amd64']);
    expect(parseVersion('Package: linux-image-6.1.0-57-amd64\nVersion: 6.1.192-3\nArchitecture: amd64\n')).toBe('6.1.192-3');
  });

  it('writes newc cpio archives the kernel unpacks: aligned headers, a trailer', () => {
    const buf = cpioArchive([{ name: 'bin' }, { name: 'bin/x', data: Buffer.from('abc'), mode: 0o755 }]);
    const text = buf.toString('latin1');
    expect(text.startsWith('070701')).toBe(true);
    expect(buf.length % 4).toBe(0);
    expect(text).toContain('bin/x\0');
    expect(text).toContain('TRAILER!!!\0');
    // the second header starts 4-byte aligned after the first entry (110-byte header + "bin\0", padded)
    expect(text.indexOf('070701', 1) % 4).toBe(0);
    const scn = scenarioArchive([{ name: 's0.dax', text: 'proc A\n', mkclean: 'buggy', pmd: 'off', hints: '4 3f0000000000\n' }]).toString('latin1');
    expect(scn).toContain('scenarios/list\0');
    expect(scn).toContain('s0.dax buggy off\n');
    expect(scn).toContain('scenarios/s0.dax.hints\0');
  });

  it('boots a PVH vmlinux on SeaBIOS with 4-level paging and legacy pmem', () => {
    const args = qemuArgs('/k/vmlinux', '/k/initrd', '/k/c', '/k/r', { accel: 'tcg' });
    expect(args).toContain('max,la57=off');
    expect(qemuArgs('/k/vmlinux', '/k/initrd', '/k/c', '/k/r', { la57: true })).toContain('max');
    expect(args.join(' ')).toMatch(/memmap=512M!1G/);
    expect(args.join(' ')).not.toMatch(/qboot/);
    expect(args.filter((a) => a.startsWith('file:'))).toEqual(['file:/k/c', 'file:/k/r']);
  });
});

const gcc = ['/usr/bin/gcc', '/usr/local/bin/gcc'].find((p) => existsSync(p));
describe.skipIf(gcc === undefined)('the C runner', () => {
  it('reads every suite scenario as daxsim does: each statement\'s verb and numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxsim-runner-'));
    try {
      const bin = join(dir, 'daxsim-runner');
      execFileSync(gcc!, ['-O1', '-Wall', '-Werror', '-o', bin, GUEST_SOURCES.runner]);
      const files = [...readdirSync('test/verify').filter((f) => f.endsWith('.dax')).map((f) => `test/verify/${f}`), ...readdirSync('test/scenarios').map((f) => `test/scenarios/${f}`)];
      expect(files.length).toBeGreaterThanOrEqual(22);
      for (const f of files) {
        const scn = parseScenario(readFileSync(f, 'utf8'), f);
        const seen = execFileSync(bin, ['--parse', f], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l) as { line: number; op: string; nums: number[] });
        for (const s of scn.stmts) {
          const r = seen.find((x) => x.line === s.line);
          expect(r, `${f}:${s.line}`).toBeDefined();
          const op = s.op.startsWith('expect') ? 'expect' : s.op;
          expect(r!.op, `${f}:${s.line}`).toBe(op);
          const nums: number[] =
            s.op === 'file' ? [s.size]
            : s.op === 'mmap' ? [s.offset, s.length]
            : s.op === 'write' ? [s.offset, s.length, ...(s.byte !== null ? [s.byte] : [])]
            : s.op === 'read' || s.op === 'flush' ? [s.offset, s.length]
            : s.op === 'msync' ? (s.length !== null ? [s.offset, s.length] : [])
            : r!.nums;
          expect(r!.nums, `${f}:${s.line}`).toEqual(nums);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

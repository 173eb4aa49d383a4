// The bug library: `bug` switches, the replays under test/bugs/, and the judge of `daxsim bugs
// run`, which must fail a replay that does not tell the buggy kernel from the fixed one.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayBug, REPLAY_DIR } from '../../src/cli/commands/bugs.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { BUG_LIBRARY, findBug, MODELLED_BUGS } from '../../src/kernel/bugs.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-bugs-'));
const seedReplay = readFileSync(path.join(REPLAY_DIR, 'seed-pte-in-pmd.dax'), 'utf8');

function runText(text: string, opts: Parameters<typeof runScenario>[1] = {}) {
  return runScenario(parseScenario(text, 'test.dax'), opts);
}

/** The library's bugs that lose data fsync or clwb + sfence promised; the others cost time, hang or show wrong bytes. */
const LOSES_DATA = new Set(['seed-pte-in-pmd', 'pmd-wrprotect', 'dax-fsync-missing', 'map-sync-metadata', 'punch-vs-fault']);

describe('bugs run', () => {
  it('replays every modelled bug as the kernel history says, on x86_64 and ppc64-radix', async () => {
    for (const arch of ['x86_64', 'ppc64-radix']) {
      const r = await runCliCaptured(['bugs', 'run', 'all', '--arch', arch, '--json']);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout) as { schema: number; as_history: boolean; bugs: { name: string; as_history: boolean; not_applicable: string | null; buggy: { durable: boolean } | null; fixed: { durable: boolean } | null }[] };
      expect(doc.schema).toBe(2);
      expect(doc.bugs.map((b) => b.name)).toEqual(MODELLED_BUGS.map((b) => b.name));
      for (const b of doc.bugs) {
        expect(b.as_history, `${b.name} on ${arch}`).toBe(true);
        // only the arch-specific bugs may be not applicable on one of these two
        if (b.not_applicable !== null) {
          expect(['insert-pfn-set-pte-at', 'pmd-unaligned-access-flags', 'arm64-pmd-leaf']).toContain(b.name);
          continue;
        }
        // the data-loss bugs lose what was promised and their fixes do not; the others
        // cost time, hang, oops, warn or show stale bytes
        expect(b.buggy!.durable).toBe(!LOSES_DATA.has(b.name));
        expect(b.fixed!.durable).toBe(true);
      }
      expect(r.code).toBe(0);
    }
  });

  it('without --arch replays each bug on its own arch: all as history says', async () => {
    const r = await runCliCaptured(['bugs', 'run']);
    expect(r.stdout).not.toContain('not applicable');
    expect(r.stdout).toContain(`${MODELLED_BUGS.length} of ${MODELLED_BUGS.length} bugs as the kernel history says`);
    expect(r.code).toBe(0);
  });

  it('on every other layout each bug is as the kernel history says, or not applicable with the reason', async () => {
    for (const arch of ['x86_64-la57', 's390x', 'arm64-4k', 'ppc64-radix-4k', 'arm64-64k', 'riscv64-sv39', 'riscv64-sv48', 'loongarch64', 'ppc64-hash']) {
      const r = await runCliCaptured(['bugs', 'run', 'all', '--arch', arch, '--json']);
      const doc = JSON.parse(r.stdout) as { as_history: boolean; bugs: { name: string; as_history: boolean }[] };
      expect(doc.bugs.filter((b) => !b.as_history).map((b) => b.name), arch).toEqual([]);
      expect(r.code).toBe(0);
    }
  });

  it("says a PMD bug is not applicable where the PMD is larger than the replay's 2 MiB (arm64-64k, ppc64-hash)", async () => {
    const r = await runCliCaptured(['bugs', 'run', 'seed-pte-in-pmd', '--arch', 'arm64-64k']);
    expect(r.stdout).toContain('not applicable: the PMD on arm64-64k maps 512 MiB');
    expect(r.code).toBe(0);
  });

  it('says a PMD bug is not applicable where FS_DAX_PMD is off (s390x), exit 0', async () => {
    const r = await runCliCaptured(['bugs', 'run', 'seed-pte-in-pmd', '--arch', 's390x']);
    expect(r.stdout).toContain('not applicable: FS_DAX_PMD is off on s390x');
    expect(r.code).toBe(0);
  });

  it('fails a replay whose expectations are swapped, and one that has no guarded expectation', () => {
    const bug = findBug('seed-pte-in-pmd')!;
    const swapped = seedReplay.replace(/^if bug /gm, 'if XX ').replace(/^if fixed /gm, 'if bug ').replace(/^if XX /gm, 'if fixed ');
    const file = path.join(dir, 'swapped.dax');
    writeFileSync(file, swapped);
    const r1 = replayBug(bug, 'x86_64', file);
    expect(r1.as_history).toBe(false);
    expect(r1.buggy!.ok).toBe(false);
    expect(r1.fixed!.ok).toBe(false);
    // expectations that hold on both kernels cannot tell them apart: not a replay
    const unguarded = seedReplay.split('\n').filter((l) => !l.startsWith('if ')).join('\n');
    writeFileSync(file, unguarded + '\nexpect durable\n'.replace('durable', 'dmesg none'));
    const r2 = replayBug(bug, 'x86_64', file);
    expect(r2.as_history).toBe(false);
  });

  it('a negative control passes only with no guarded lines and the same report from both runs', () => {
    const bug = findBug('pmd-flush-cache-range')!;
    const ok = replayBug(bug, 'x86_64');
    expect(ok).toMatchObject({ as_history: true, negative_control: true, same: true });
    const own = readFileSync(path.join(REPLAY_DIR, 'pmd-flush-cache-range.dax'), 'utf8');
    const file = path.join(dir, 'control.dax');
    // a guarded line, even one that holds, makes it no control
    writeFileSync(file, own + 'if bug expect dmesg none\n');
    expect(replayBug(bug, 'x86_64', file).as_history).toBe(false);
    // the seed's unguarded lines: the same under pmd-flush-cache-range's switch, different
    // under seed-pte-in-pmd's (B's store lost), which as a control must then fail
    const seedUnguarded = seedReplay.split('\n').filter((l) => !l.startsWith('if ')).join('\n');
    writeFileSync(file, seedUnguarded + '\nexpect dmesg none\n');
    expect(replayBug(bug, 'x86_64', file).same).toBe(true);
    expect(replayBug({ ...findBug('seed-pte-in-pmd')!, model: { ...findBug('seed-pte-in-pmd')!.model!, negativeControl: true } }, 'x86_64', file)).toMatchObject({ same: false, as_history: false });
  });

  it('exits 2 for an unknown or an unmodelled bug, one line listing the names', async () => {
    const unknown = await runCliCaptured(['bugs', 'run', 'no-such-bug']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^daxsim: bugs: unknown bug 'no-such-bug' \(known: seed-pte-in-pmd, pmd-wrprotect, /);
    const later = await runCliCaptured(['bugs', 'run', 'btt-nocache-4byte']);
    expect(later.code).toBe(2);
    expect(later.stderr).toMatch(/bug 'btt-nocache-4byte' \(a82eee7424\) is in the library but daxsim does not model its fix yet/);
  });
});

describe('daxsim bugs', () => {
  it('lists the whole library with fix commits, JSON with schema 2', async () => {
    const r = await runCliCaptured(['bugs', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: number; bugs: { name: string; fix: string; modelled: boolean; replay_kernel: string | null }[] };
    expect(doc.schema).toBe(2);
    expect(doc.bugs).toHaveLength(BUG_LIBRARY.length);
    expect(doc.bugs.find((b) => b.name === 'seed-pte-in-pmd')).toMatchObject({ fix: '06083a0921fd', modelled: true, replay_kernel: '6.1' });
    expect(doc.bugs.find((b) => b.name === 'pmd-wrprotect')).toMatchObject({ fix: 'f729c8c9b24f', modelled: true, replay_kernel: '5.17' });
    const text = await runCliCaptured(['bugs']);
    expect(text.stdout.split('\n')[1]).toMatch(/^seed-pte-in-pmd +06083a0921fd +yes \(6\.1\)/);
  });
});

describe('bug switches', () => {
  const B_LOSES = seedReplay;

  it('bug NAME, --bug NAME, the fix commit and mkclean buggy are the same switch', () => {
    const byLine = runText('bug seed-pte-in-pmd\n' + B_LOSES);
    const byOption = runText(B_LOSES, { bugs: ['seed-pte-in-pmd'] });
    const byCommit = runText(B_LOSES, { bugs: ['06083A0921FD'] });
    const byMkclean = runText('mkclean buggy\n' + B_LOSES);
    for (const r of [byLine, byOption, byCommit, byMkclean]) {
      expect(r.bugs).toEqual(['seed-pte-in-pmd']);
      expect(r.mkclean).toBe('buggy');
      expect(r.durable).toBe(false);
      expect(r.expects.every((e) => e.ok)).toBe(true);
      expect(r.expects.some((e) => e.when === 'bug')).toBe(true);
      expect(r.expects.some((e) => e.when === 'fixed')).toBe(false);
    }
    const pre = runText('mkclean pre-f729c8c9b24f\nfile F size 2M\n');
    expect(pre.bugs).toEqual(['pmd-wrprotect']);
    expect(runText('file F size 2M\n', { bugs: ['pmd-wrprotect'] }).mkclean).toBe('pre-f729c8c9b24f');
  });

  it("a kernel's own default strategy is no switch: kernel 5.17 runs `if fixed` lines", () => {
    const r = runText('kernel 5.17\nfile F size 2M\nproc A\nA mmap a F offset 0 length 2M\nA write a 0 8\nif fixed expect faults A read 0 write 1 wp 0\nif bug expect faults A read 9 write 9 wp 9\n');
    expect(r.mkclean).toBe('buggy');
    expect(r.bugs).toEqual([]);
    expect(r.expects.map((e) => e.line)).toEqual([6]);
    expect(r.expects_skipped.map((e) => [e.line, e.ok])).toEqual([[7, false]]);
  });

  it('an explicit mkclean wins over a bug switch', () => {
    const r = runText('mkclean range\nbug seed-pte-in-pmd\nfile F size 2M\n');
    expect(r.mkclean).toBe('range');
    expect(r.bugs).toEqual(['seed-pte-in-pmd']);
  });
});

describe('bad input for the new statements', () => {
  const HEAD = 'file F size 4M\nproc A\nA mmap m F offset 0 length 2M\n';
  const cases: Array<[string, string, RegExp]> = [
    ['unknown bug', 'bug nope\n', /:1: unknown bug 'nope' \(known: seed-pte-in-pmd, /],
    ['unmodelled bug', 'bug btt-nocache-4byte\n', /:1: bug 'btt-nocache-4byte' \(a82eee7424\) is in the library but daxsim does not model its fix yet/],
    ['bug twice', 'bug seed-pte-in-pmd\nbug 06083a0921fd\n', /:2: bug 'seed-pte-in-pmd' is set twice \(first on line 1\)/],
    ['bug after an action', HEAD + 'bug seed-pte-in-pmd\n', /:4: setting 'bug' must come before the first action/],
    ['guard of a non-expect', HEAD + 'if bug A write m 0 1\n', /:4: 'if bug' guards expect statements only/],
    ['unknown guard', HEAD + 'if buggy expect dmesg none\n', /:4: expected 'if bug expect \.\.\.' or 'if fixed expect \.\.\.'/],
    ['entry kind', HEAD + 'expect entry F 0 dirty\n', /:4: expected absent, empty, zero or real, not 'dirty'/],
    ['entry past the file', HEAD + 'expect entry F 4M real\n', /:4: offset 4194304 is past the end of file 'F'/],
    ['entry unknown file', HEAD + 'expect entry G 0 real\n', /:4: unknown file 'G'/],
    ['absent entry with flags', HEAD + 'expect entry F 0 absent dirty\n', /:4: an absent entry has no level\/dirty\/locked to check/],
    ['writeback arity', HEAD + 'expect writeback F\n', /:4: expected 'expect writeback F N'/],
    ['faults words', HEAD + 'expect faults A read 0 wp 0 write 0\n', /:4: expected 'expect faults P read N write N wp N'/],
    ['faults process', HEAD + 'expect faults Z read 0 write 0 wp 0\n', /:4: unknown process 'Z'/],
    ['data past the file', HEAD + 'expect data F 4M 1 zero\n', /:4: offset 4194304 \+ length 1 is past the end of the file/],
    ['data what', HEAD + 'expect data F 0 1 file\n', /:4: expected zero\|written\|byte B, not 'file'/],
    ['data byte', HEAD + 'expect data F 0 1 byte 300\n', /:4: byte 300 does not fit in a byte/],
    ['view past the mapping', HEAD + 'expect view A m 2M 1 zero\n', /:4: .* past the end of mapping 'm'/],
    ['view after crash', HEAD + 'crash\nexpect view A m 0 1 zero\n', /:5: 'expect view' loads through a mapping: it cannot follow a crash/],
    ['last outcome', HEAD + 'A write m 0 1\nexpect last EPERM\n', /:5: expected one of ok, blocked, livelock, bug, EINVAL, EBUSY, SIGBUS, SIGSEGV, not 'EPERM'/],
    ['last after nothing', HEAD + 'expect dmesg none\nexpect last ok\n', /:5: 'expect last' needs a statement of a process right before it/],
    ['dmesg arity', HEAD + 'expect dmesg\n', /:4: expected 'expect dmesg none\|TEXT'/],
    ['pte zero twice', HEAD + 'expect pte A m 0 present zero zero\n', /:4: unexpected 'zero'/],
  ];
  for (const [name, text, want] of cases) {
    it(name, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.dax`);
      writeFileSync(file, text);
      const r = await runCliCaptured(['run', file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(want);
      expect(r.stderr.startsWith(`daxsim: ${file}:`)).toBe(true);
    });
  }
});

describe('the new expectations', () => {
  it('view, data, entry, faults and last on a private mapping and a write to a read-only one', () => {
    const r = runText(
      [
        'file F size 2M',
        'proc A',
        'A mmap s F offset 0 length 2M rw shared',
        'A mmap p F offset 0 length 4K rw private',
        'A mmap r F offset 0 length 4K ro shared',
        'expect entry F 0 absent',
        'A write s 0 16 byte 7',
        'expect last ok',
        'expect entry F 0 real pmd dirty',
        'expect view A s 0 16 byte 7',
        'expect view A s 16 16 zero',
        'expect data F 0 16 written',
        'A write p 0 4 byte 9',
        'expect view A p 0 4 byte 9',
        'expect view A p 4 12 file',
        'expect data F 0 4 byte 7',
        'A write r 0 1',
        'expect last SIGSEGV',
        'expect faults A read 0 write 2 wp 0', // the SIGSEGV fault never reaches handle_mm_fault (mm_account_fault)
        'A fsync F',
        'expect writeback F 1',
        'crash',
        'expect durable',
        'expect data F 0 16 byte 7',
        'expect dmesg none',
      ].join('\n'),
    );
    for (const e of r.expects) expect(e.ok, `line ${e.line} ${e.text}: ${e.actual}`).toBe(true);
    expect(r.expects).toHaveLength(15);
  });

  it('fail with what they found', () => {
    const r = runText(['file F size 2M', 'proc A', 'A mmap s F offset 0 length 2M', 'A write s 0 16 byte 7', 'expect view A s 0 16 zero', 'expect entry F 0 real pte', 'expect faults A read 0 write 0 wp 0', 'expect writeback F 0', 'A write s 0 1', 'expect last SIGBUS', 'expect dmesg WARNING'].join('\n'));
    expect(r.expects.map((e) => [e.ok, e.actual])).toEqual([
      [false, 'byte 0x07 at file offset 0x0 where zero is 0x00'],
      [false, 'real pmd dirty'],
      [false, 'read 0 write 1 wp 0'],
      [false, 'no fsync or msync of F yet'],
      [false, 'ok'],
      [false, 'an empty log'],
    ]);
  });
});

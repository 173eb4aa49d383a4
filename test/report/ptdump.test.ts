// `run --dump P` (the kernel's ptdump format per arch), `run --dump-tlb P` (QEMU's `info tlb`
// lines, stale entries marked), `daxsim vtop` (crash's vtop), and `--dump-cache`. Expected
// text is exact; the values in it are cross-checked against the layout tables and each other.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { formatKernelPtdump } from '../../src/report/kernel-ptdump.ts';
import { formatTlbDump } from '../../src/report/tlb-dump.ts';
import { vtop } from '../../src/report/vtop.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { seedScenario } from '../../src/scenario/seed.ts';
import type { Simulation } from '../../src/sim/simulation.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-ptdump-'));
const seed = path.join(dir, 'seed.dax');
writeFileSync(seed, seedScenario(findLayout('x86_64')!, null));
// Line of the first `A fsync F` in the seed scenario.
const fsyncLine = seedScenario(findLayout('x86_64')!, null).split('\n').indexOf('A fsync F') + 1;

// B maps two 64 KiB pages of F (a page size every layout has), writes the first, reads the second.
const SMALL = `file F size 2M
proc A
proc B
A mmap a F offset 0 length 2M rw shared
B mmap b F offset 64K length 128K rw shared
A write a 0 64
B write b 0 64
B read b 64K 8
A fsync F
`;
const small = path.join(dir, 'small.dax');
writeFileSync(small, SMALL);

/** The simulation right after the last statement of `text`. */
function simAfter(text: string, arch: string, mkclean: string): Simulation {
  let sim: Simulation | null = null;
  runScenario(parseScenario(text, 'small.dax'), { arch, mkclean, afterStatement: (_s, s) => void (sim = s) });
  return sim!;
}

const bMap = (sim: Simulation) => {
  const mm = sim.kernel.mms.find((m) => m.name === 'B')!;
  return { mm, b: mm.vmas.find((v) => v.name === 'b')! };
};

/** vtop of b + `off` in B after SMALL under buggy on `arch`: the walk, its leaf entry `v`, and
 * `has(flag)`, whether `v` has that bit of the layout's flag table. */
function bLeaf(arch: string, off: number) {
  const flags = findLayout(arch)!.flags;
  const sim = simAfter(SMALL, arch, 'buggy');
  const { mm, b } = bMap(sim);
  const t = vtop(sim, mm, b.start + off);
  const v = BigInt(t.levels[t.levels.length - 1]!.value);
  return { b, t, v, has: (flag: string): boolean => (v & flags[flag]!) !== 0n };
}

/** The dump of `proc` from `run small.dax --dump`, its lines only. */
async function dumpOf(arch: string, mkclean: string, proc: string): Promise<string[]> {
  const r = await runCliCaptured(['run', small, '--arch', arch, '--mkclean', mkclean, '--dump', proc]);
  expect(r.stderr).toBe('');
  const lines = r.stdout.split('\n');
  const from = lines.findIndex((l) => l.startsWith(`# ptdump of ${proc}`));
  const to = lines.findIndex((l, i) => i > from && !/^(0x|---\[)/.test(l));
  return lines.slice(from, to < 0 ? undefined : to);
}

describe('run --dump P: the kernel ptdump format', () => {
  it('x86_64, buggy: dump_pagetables.c columns, holes at their level, B\'s missed PTE still RW', async () => {
    const r = await runCliCaptured(['run', small, '--mkclean', 'buggy', '--dump', 'B']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 12).join('\n') + '\n').toBe(
      [
        '# ptdump of B (cpu 1), x86_64, at the end',
        '---[ User Space ]---',
        '0x0000000000000000-0x00003e8000000000       64000G                               pgd',
        '0x00003e8000000000-0x00003effc0000000         511G                               pud',
        '0x00003effc0000000-0x00003effffe00000        1022M                               pmd',
        '0x00003effffe00000-0x00003efffffe0000        1920K                               pte',
        '0x00003efffffe0000-0x00003efffffe1000           4K USR RW                     NX pte',
        '0x00003efffffe1000-0x00003effffff0000          60K                               pte',
        '0x00003effffff0000-0x00003effffff1000           4K USR ro                     NX pte',
        '0x00003effffff1000-0x00003f0000000000          60K                               pte',
        '0x00003f0000000000-0xffff880000000000    16777033T                               pgd',
        '---[ Kernel Space ]---',
      ].join('\n') + '\n',
    );
    // The columns are the leaf's bits by the layout's masks.
    for (const [off, rw] of [[0, true], [0x10000, false]] as const) {
      const { t, v, has } = bLeaf('x86_64', off);
      expect(t.levels.map((l) => l.level)).toEqual(['pgd', 'pud', 'pmd', 'pte']);
      expect(has('_PAGE_RW')).toBe(rw);
      expect(has('_PAGE_USER') && has('_PAGE_NX')).toBe(true);
      expect(Number(v & findLayout('x86_64')!.pfn.mask)).toBe(t.pa);
    }
    // 0x3f0000000000 - 0x3e8000000000 is 1 << 39 * 1: the first hole ends at B's PGD entry (index 125).
    expect(Math.floor(bLeaf('x86_64', 0).b.start / 2 ** 39)).toBe(0x3e8000000000 / 2 ** 39);
  });

  it('x86_64-la57: the p4d level, and the last hole ends at the 5-level GUARD_HOLE_END_ADDR', async () => {
    const r = await runCliCaptured(['run', small, '--arch', 'x86_64-la57', '--mkclean', 'buggy', '--dump', 'B']);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toBe('0x0000000000000000-0x00003e8000000000       64000G                               p4d');
    // The user half of a 57-bit space ends at 1 << 56; the pgd-level hole runs on to
    // (-256UL << 48) + (16UL << 48) = 0xff10000000000000.
    expect(lines.slice(10, 13)).toEqual([
      '0x00003f0000000000-0x0001000000000000         193T                               p4d',
      '0x0001000000000000-0xff10000000000000    16715520T                               pgd',
      '---[ Kernel Space ]---',
    ]);
    expect(0x0001000000000000 - 0x00003f0000000000).toBe(193 * 2 ** 40);
  });

  it("x86_64 seed after the buggy fsync: A's PMD read-only (PSE, pmd), B's PTE RW", async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--dump', 'A', '--dump', 'B', '--at', String(fsyncLine)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`# ptdump of A (cpu 0), x86_64, after line ${fsyncLine}\n---[ User Space ]---\n`);
    expect(r.stdout).toContain('0x00003effffc00000-0x00003effffe00000           2M USR ro         PSE         NX pmd\n');
    expect(r.stdout).toContain('0x00003efffffff000-0x00003f0000000000           4K USR RW                     NX pte\n');
  });

  it('range: B is write-protected by the same fsync', async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'range', '--dump', 'B', '--at', String(fsyncLine)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0x00003efffffff000-0x00003f0000000000           4K USR ro                     NX pte\n');
  });

  it('ppc64-radix: powerpc ptdump.c lines (inclusive end, physical address, book3s64 flag_array), no holes', async () => {
    expect((await dumpOf('ppc64-radix', 'buggy', 'B')).slice(0, 4)).toEqual([
      '# ptdump of B (cpu 1), ppc64-radix, at the end',
      '---[ User Space ]---',
      '0x00003efffffe0000-0x00003efffffeffff  0x0000001000010000        64K   user  r  w       pte  valid  present        dirty  accessed                            special',
      '0x00003effffff0000-0x00003effffffffff  0x0000001000020000        64K   user  r          pte  valid  present               accessed                            special',
    ]);
    const { t, has } = bLeaf('ppc64-radix', 0);
    expect(t.pa).toBe(0x1000010000); // the physical address column
    expect(has('_PAGE_WRITE') && has('_PAGE_DIRTY') && !has('_PAGE_PRIVILEGED')).toBe(true);
    expect(has('_PAGE_SPECIAL')).toBe(true); // pte_mkdevmap sets _PAGE_SPECIAL too
  });

  it('s390x: dump_pagetables.c lines (size in K units, ASCE/PGD/PUD/PMD/PTE, I or RO/RW NX/X), holes included', async () => {
    expect((await dumpOf('s390x', 'buggy', 'B')).slice(0, 10)).toEqual([
      '# ptdump of B (cpu 1), s390x, at the end',
      '---[ User Space ]---',
      '0x0000000000000000-0x000003ff80000000      4094G PUD I',
      '0x000003ff80000000-0x000003fff7f00000      1919M PMD I',
      '0x000003fff7f00000-0x000003fff7fdb000       876K PTE I',
      '0x000003fff7fdb000-0x000003fff7fdc000         4K PTE RO NX',
      '0x000003fff7fdc000-0x000003fff7feb000        60K PTE I',
      '0x000003fff7feb000-0x000003fff7fec000         4K PTE RO NX',
      '0x000003fff7fec000-0x000003fff8000000        80K PTE I',
      '0x000003fff8000000-0x0000040000000000       128M PMD I',
    ]);
    // RO: _PAGE_PROTECT is set on both (clean pages stay protected so the first store faults).
    for (const off of [0, 0x10000]) {
      const { t, has } = bLeaf('s390x', off);
      expect(t.levels).toHaveLength(5);
      expect(has('_PAGE_PROTECT') && has('_PAGE_NOEXEC') && !has('_PAGE_INVALID')).toBe(true);
    }
  });

  it('a layout whose ptdump style is generic (no format of its own) still dumps, with its flag names, and says so', () => {
    const sim = simAfter(SMALL, 'x86_64', 'buggy');
    const { mm } = bMap(sim);
    const hooks = { ...sim.layout.hooks, ptdump: { ...sim.layout.hooks.ptdump, style: 'generic' as const } };
    const other = { layout: { ...sim.layout, name: 'other', hooks }, kernel: sim.kernel } as unknown as Simulation;
    const lines = formatKernelPtdump(other, mm).split('\n');
    expect(lines[0]).toBe('---[ User Space (no ptdump format of other in daxsim: its flag names) ]---');
    expect(lines[5]).toBe('0x00003efffffe0000-0x00003efffffe1000         4K pte _PAGE_PRESENT _PAGE_RW _PAGE_USER _PAGE_ACCESSED _PAGE_DIRTY _PAGE_SPECIAL _PAGE_SOFT_DIRTY _PAGE_DEVMAP _PAGE_NX');
  });
});

describe('run --dump-tlb P: QEMU info tlb lines, stale entries marked', () => {
  it('s390x: entries are checked against a walk from the CPU\'s ASCE (the region-third table), not the kernel\'s pgd', async () => {
    const r = await runCliCaptured(['run', small, '--arch', 's390x', '--mkclean', 'buggy', '--dump-tlb', 'B', '--at', '8', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { dump: { tlb: Record<string, Array<{ va: number; stale: string | null }>> } };
    expect(j.dump.tlb.B!.length).toBeGreaterThan(0);
    expect(j.dump.tlb.B!.every((e) => e.stale === null)).toBe(true);
  });

  it("x86_64: B's CPU holds both pages; the frames and letters agree with the page tables", async () => {
    const r = await runCliCaptured(['run', small, '--mkclean', 'buggy', '--dump-tlb', 'B', '--json']);
    const j = JSON.parse(r.stdout) as { dump: { tlb: Record<string, Array<{ va: number; frame: number; stale: string | null }>> } };
    expect(j.dump.tlb.B!.map((e) => [e.va, e.frame, e.stale])).toEqual([
      [0x3efffffe0000, 0x1000010000, null],
      [0x3effffff0000, 0x1000020000, null],
    ]);
    const t = await runCliCaptured(['run', small, '--mkclean', 'buggy', '--dump-tlb', 'B']);
    expect(t.stdout.split('\n').slice(0, 3)).toEqual([
      '---[ TLB of cpu 1 (process B), at the end: 2 entries, 0 stale ]---',
      '00003efffffe0000: 0000001000010000 X--DA--UW',
      '00003effffff0000: 0000001000020000 X---A--U-',
    ]);
  });

  it('a PTE write-protected without a TLB flush leaves a stale writable, dirty entry', () => {
    const sim = simAfter(SMALL, 'x86_64', 'buggy');
    const { mm, b } = bMap(sim);
    const layout = sim.layout;
    const t = vtop(sim, mm, b.start);
    const pte = t.levels[3]!;
    const v = BigInt(pte.value) & ~(layout.flags._PAGE_RW! | layout.flags._PAGE_DIRTY!);
    sim.kernel.writeEntry(pte.entry_pa, { lo: Number(v & 0xffffffffn), hi: Number(v >> 32n) }); // no flush_tlb_page
    expect(formatTlbDump(sim, mm, 'now').split('\n').slice(0, 2)).toEqual([
      '---[ TLB of cpu 1 (process B), now: 2 entries, 1 stale ]---',
      '00003efffffe0000: 0000001000010000 X--DA--UW  STALE: writable here, read-only in the page table',
    ]);
  });
});

describe('daxsim vtop: crash(8) vtop', () => {
  it("x86_64 seed after the buggy fsync: B's PTE, level by level", async () => {
    const r = await runCliCaptured(['vtop', 'B', 'b+0x10', seed, '--mkclean', 'buggy', '--at', String(fsyncLine)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'VIRTUAL           PHYSICAL        ',
      '3efffffff010      1000001010      ',
      '',
      '   PGD: 1013e8 => 104067',
      '   PUD: 104ff8 => 105067',
      '   PMD: 105ff8 => 106067',
      '   PTE: 106ff8 => 8400001000001a67',
      '  PAGE: 1000001000',
      '',
      '      PTE          PHYSICAL   FLAGS',
      '8400001000001a67  1000001000  (PRESENT|RW|USER|ACCESSED|DIRTY|NX)',
    ]);
    // Each entry address is the table the level above points to, plus 8 * the va's index there.
    const layout = findLayout('x86_64')!;
    const j = JSON.parse((await runCliCaptured(['vtop', 'B', 'b+0x10', seed, '--mkclean', 'buggy', '--at', String(fsyncLine), '--json'])).stdout) as {
      pa: number;
      levels: Array<{ entry_pa: number; value: string; next: number }>;
    };
    const va = 0x3efffffff010;
    for (let l = 1; l < 4; l++) {
      const lv = layout.levels[l]!;
      expect(j.levels[l]!.entry_pa).toBe(j.levels[l - 1]!.next + 8 * (Math.floor(va / 2 ** lv.shift) % 2 ** lv.bits));
      expect(j.levels[l - 1]!.next).toBe(Number(BigInt(j.levels[l - 1]!.value) & layout.pfn.mask));
    }
    const leaf = BigInt(j.levels[3]!.value);
    expect(leaf & 0xfffn).toBe(layout.flags._PAGE_PRESENT! | layout.flags._PAGE_RW! | layout.flags._PAGE_USER! | layout.flags._PAGE_ACCESSED! | layout.flags._PAGE_DIRTY! | layout.flags._PAGE_SPECIAL! | layout.flags._PAGE_SOFT_DIRTY!);
    expect(j.pa).toBe(Number(leaf & layout.pfn.mask) + 0x10);
    expect(r.stdout).toContain('  vma  b: [0x3efffffff000, 0x3f0000000000) F offset 0x1010 rw shared\n');
    expect(r.stdout).toContain('  tlb  cpu 1: 0x3efffffff000 -> 0x1000001000 4K rw dirty\n');
  });

  it("a PMD leaf: PAGE with crash's (2MB) and PSE", async () => {
    const r = await runCliCaptured(['vtop', 'A', 'a+0x1000', seed, '--mkclean', 'buggy', '--at', String(fsyncLine)]);
    expect(r.stdout).toContain('  PAGE: 1000000000  (2MB)\n');
    expect(r.stdout).toMatch(/\n[0-9a-f]+  1000000000  \(PRESENT\|USER\|ACCESSED\|PSE\|NX\)\n/);
  });

  it('an address in no mapping is "(not accessible)", as crash says, with the walk decoded below', async () => {
    const r = await runCliCaptured(['vtop', 'B', '0x3effffc00000', seed, '--mkclean', 'buggy']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['VIRTUAL           PHYSICAL        ', '3effffc00000      (not accessible)', '']);
    expect(r.stdout).toContain('  vma  none: the address lies outside every mapping\n');
    expect(r.stdout).toMatch(/\n {2}pmd {2}entry at 0x[0-9a-f]+ = 0x0: empty\n/);
  });

  it('bad arguments are one-line errors, exit 2', async () => {
    for (const [args, msg] of [
      [['Z', '0x0', seed], "has no process 'Z'"],
      [['B', 'a+0', seed], "process 'B' has no mapping 'a'"],
      [['B', 'b+0x1000', seed], 'lies beyond mapping'],
      [['B', 'zz', seed], "'zz' is not a number"],
      [['B', '0x800000000000', seed], 'is not a user address of x86_64'],
      [['B', '0x0', seed, '--at', '1'], 'holds no statement'],
      [['B', '0x0'], 'usage: daxsim vtop'],
    ] as const) {
      const r = await runCliCaptured(['vtop', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('run --dump-cache and dump options', () => {
  it('--dump-cache at the end of the buggy run lists the line B wrote after the fsync', async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--dump-cache', '--json']);
    const j = JSON.parse(r.stdout) as { dump: { cache: Array<{ lines: number; target: string; pending: boolean }> } };
    expect(j.dump.cache).toEqual([{ pa: expect.any(Number), end: expect.any(Number), lines: 1, pending: false, target: 'F[0x1000-0x1040)' }]);
  });

  it('bad dump options are one-line errors, exit 2', async () => {
    for (const [args, msg] of [
      [['--dump', 'Z'], "--dump: seed.dax has no process 'Z'"],
      [['--dump-tlb', 'Z'], "--dump-tlb: seed.dax has no process 'Z'"],
      [['--at', '3'], '--at LINE needs --dump P'],
      [['--dump', 'A', '--at', '1'], 'holds no statement'],
      [['--dump', 'B', '--at', '3'], "process 'B' does not exist yet"],
      [['--dump', 'A', '--at', 'x'], "'x' is not a number"],
    ] as const) {
      const r = await runCliCaptured(['run', seed, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg.replace('seed.dax', seed));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

const USER = 'USR RW NX SHD AF NG         UXN    MEM/NORMAL';
const USER_RO = 'USR ro NX SHD AF NG         UXN    MEM/NORMAL';

// arm64 (arch/arm64/mm/ptdump.c): note_page() lines, pte_bits[] columns, pg_level[] names (PUD
// with 4 levels, not with the 64K granule's 3; a block says BLK). Under `buggy` B's written PTE
// stays RW (PTE_RDONLY clear: the missed mapping), under `range` it turns ro; a PTE only read
// is ro from its fault on.
describe('run --dump P on arm64 (arch/arm64/mm/ptdump.c)', () => {
  it('arm64-4k, buggy: PGD / PUD / PMD / PTE runs, B\'s missed PTE RW, its read page ro', async () => {
    expect(await dumpOf('arm64-4k', 'buggy', 'B')).toEqual([
      '# ptdump of B (cpu 1), arm64-4k, at the end',
      '---[ User Space ]---',
      '0x0000000000000000-0x0000ff8000000000      261632G PGD',
      '0x0000ff8000000000-0x0000ffffc0000000         511G PUD',
      '0x0000ffffc0000000-0x0000fffff7e00000         894M PMD',
      '0x0000fffff7e00000-0x0000fffff7fe0000        1920K PTE',
      `0x0000fffff7fe0000-0x0000fffff7fe1000           4K PTE   ${USER}`,
      '0x0000fffff7fe1000-0x0000fffff7ff0000          60K PTE',
      `0x0000fffff7ff0000-0x0000fffff7ff1000           4K PTE   ${USER_RO}`,
      '0x0000fffff7ff1000-0x0000fffff8000000          60K PTE',
      '0x0000fffff8000000-0x0001000000000000         128M PMD',
    ]);
    // range write-protects it: pte_mkclean sets PTE_RDONLY (and clears PTE_DIRTY, not shown)
    expect((await dumpOf('arm64-4k', 'range', 'B'))[6]).toBe(`0x0000fffff7fe0000-0x0000fffff7fe1000           4K PTE   ${USER_RO}`);
  });

  it('arm64-4k: A\'s 2 MiB is a PMD block (BLK: PTE_TABLE_BIT clear), cleaned to ro by fsync', async () => {
    expect((await dumpOf('arm64-4k', 'buggy', 'A'))[5]).toBe('0x0000fffff7c00000-0x0000fffff7e00000           2M PMD   USR ro NX SHD AF NG     BLK UXN    MEM/NORMAL');
  });

  it('arm64-64k: 3 levels, so no PUD; runs of equal prot merge across pages (B\'s two 64 KiB)', async () => {
    expect(await dumpOf('arm64-64k', 'range', 'B')).toEqual([
      '# ptdump of B (cpu 1), arm64-64k, at the end',
      '---[ User Space ]---',
      '0x0000000000000000-0x0000fc0000000000         252T PGD',
      '0x0000fc0000000000-0x0000ffffe0000000     4193792M PMD',
      '0x0000ffffe0000000-0x0000fffff7fe0000      393088K PTE',
      `0x0000fffff7fe0000-0x0000fffff8000000         128K PTE   ${USER_RO}`,
      '0x0000fffff8000000-0x0001000000000000         128M PTE',
    ]);
  });

  it('arm64: the columns are the entry\'s bits by the layout\'s masks', () => {
    const layout = findLayout('arm64-4k')!;
    for (const [off, rdonly] of [[0, false], [0x10000, true]] as const) {
      const { t, v, has } = bLeaf('arm64-4k', off);
      expect(t.levels).toHaveLength(4);
      expect(has('PTE_RDONLY')).toBe(rdonly);
      expect(['PTE_VALID', 'PTE_USER', 'PTE_PXN', 'PTE_UXN', 'PTE_AF', 'PTE_NG', 'PTE_TABLE_BIT'].every(has)).toBe(true);
      expect(v & layout.flags.PTE_SHARED!).toBe(layout.flags.PTE_SHARED!);
      expect(v & layout.flags.PTE_ATTRINDX_MASK!).toBe(0n); // MT_NORMAL
    }
  });
});

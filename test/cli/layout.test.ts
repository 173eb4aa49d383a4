// `daxsim layout` and `daxsim arches`, run as a child process as users run them.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function daxsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('daxsim layout', () => {
  it('x86_64 --json: the documented fields, values from arch/x86/include/asm/pgtable_types.h', () => {
    const r = daxsim('layout', 'x86_64', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.arch).toBe('x86_64');
    expect(j.endian).toBe('little');
    expect((j.levels as { name: string; shift: number; bits: number }[]).map(({ name, shift, bits }) => ({ name, shift, bits }))).toEqual([
      { name: 'pgd', shift: 39, bits: 9 },
      { name: 'pud', shift: 30, bits: 9 },
      { name: 'pmd', shift: 21, bits: 9 },
      { name: 'pte', shift: 12, bits: 9 },
    ]);
    expect(j.page_shift).toBe(12);
    expect(j.pfn).toEqual({ shift: 12, mask: '0x000ffffffffff000' });
    const flags = j.flags as Record<string, string>;
    expect(flags._PAGE_PRESENT).toBe('0x1');
    expect(flags._PAGE_RW).toBe('0x2');
    expect(flags._PAGE_DIRTY).toBe('0x40');
    expect(flags._PAGE_DEVMAP).toBe('0x400000000000000');
    expect(flags._PAGE_NX).toBe('0x8000000000000000');
    expect(j.devmap).toBe('_PAGE_DEVMAP');
    expect(j.fs_dax_limited).toBe(false);
    expect(j.huge_sizes).toEqual([2 ** 21, 2 ** 30]);
  });

  it('ppc64-radix --json: big-endian, 64K pages, PTE_RPN_MASK (arch/powerpc/include/asm/book3s/64/pgtable.h)', () => {
    const r = daxsim('layout', 'ppc64-radix', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.endian).toBe('big');
    expect(j.page_shift).toBe(16);
    expect(j.pfn).toEqual({ shift: 16, mask: '0x001fffffffff0000' });
    expect((j.flags as Record<string, string>)._PAGE_PTE).toBe('0x4000000000000000');
  });

  it('s390x --json: devmap null, fs_dax_limited true (arch/s390/include/asm/pgtable.h)', () => {
    const r = daxsim('layout', 's390x', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j.devmap).toBeNull();
    expect(j.fs_dax_limited).toBe(true);
    expect((j.flags as Record<string, string>)._PAGE_INVALID).toBe('0x400');
  });

  it('prints a readable table without --json', () => {
    const r = daxsim('layout', 'x86_64-la57');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/p4d\s+39\s+9/);
    expect(r.stdout).toMatch(/_PAGE_DEVMAP\s+0x0400000000000000/);
  });

  it('unknown arch: exit 2 and one line on stderr', () => {
    const r = daxsim('layout', 'vax', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^daxsim: layout: unknown architecture 'vax'.*\n$/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('missing arch and unknown option: exit 2, one line', () => {
    for (const args of [['layout'], ['layout', 'x86_64', '--bogus'], ['arches', 'extra']]) {
      const r = daxsim(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^daxsim: (layout|arches): /);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('daxsim arches', () => {
  it('--json: one object per arch with name and the layout fields but flags', () => {
    const r = daxsim('arches', '--json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    const names = list.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['x86_64', 'x86_64-la57', 'ppc64-radix', 's390x']));
    for (const a of list) {
      expect(a).not.toHaveProperty('flags');
      for (const k of ['arch', 'endian', 'levels', 'page_shift', 'pfn', 'devmap', 'fs_dax_limited', 'fs_dax', 'fs_dax_pmd']) expect(a).toHaveProperty(k);
      if (a.fs_dax_limited === true) expect(a.devmap).toBeNull();
      // FS_DAX needs ZONE_DEVICE (a devmap bit) or FS_DAX_LIMITED; FS_DAX_PMD needs ZONE_DEVICE (fs/Kconfig).
      expect(a.fs_dax).toBe(a.devmap !== null || a.fs_dax_limited === true);
      expect(a.fs_dax_pmd).toBe(a.devmap !== null);
    }
    // riscv64 and loongarch64 cannot enable fsdax in 6.1 (interface: "Architectures").
    for (const a of list.filter((x) => String(x.name).startsWith('riscv64'))) expect(a.fs_dax).toBe(false);
    expect(list.some((a) => a.devmap === null)).toBe(true);
  });

  it('prints a table', () => {
    const r = daxsim('arches');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/s390x\s+5\s+pgd\/p4d\/pud\/pmd\/pte\s+4K\s+1M,2G\s+big\s+-\s+yes/);
  });
});

// `daxsim compare`, in-process: every arch x strategy of the seed scenario, with its expected
// outcomes (src/scenario/seed.ts: buggy and page-head lose B's second write exactly where the
// layout has a devmap bit),
// the JSON and SVG files, and a one-line usage error.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { layouts } from '../arch/index.ts';
import { command, svgPathFor } from '../src/cli/commands/compare.ts';
import { InputError } from '../src/cli/errors.ts';
import { compare, type CompareResult } from '../src/compare/compare.ts';
import { SEED_STRATEGIES } from '../src/kernel/kernel.ts';

const dir = mkdtempSync(join(tmpdir(), 'daxsim-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compare (library)', () => {
  const res = compare();

  it('has a row for every arch and every strategy', () => {
    expect(res.arches).toEqual(layouts.map((l) => l.name));
    expect(res.rows.map((r) => `${r.arch}/${r.mkclean}`)).toEqual(layouts.flatMap((l) => SEED_STRATEGIES.map((s) => `${l.name}/${s}`)));
    for (const r of res.rows) expect(r.error).toBeNull();
  });

  it('gives the seed outcomes: buggy and page-head lose data on devmap arches only, range and page never', () => {
    for (const r of res.rows) {
      const l = layouts.find((x) => x.name === r.arch)!;
      // One 2 MiB PMD entry holds the seed's file where there is a devmap bit and a 2 MiB PMD.
      const pmdEntry = l.devmap !== null && 2 ** l.levels[l.pmdLevel]!.shift <= 2 ** 21;
      // No arch_wb_cache_pmem (riscv64): fsync writes nothing back, A's and B's writes are lost.
      const noWriteback = l.hooks.wbCachePmem === null;
      const lost = noWriteback || ((r.mkclean === 'buggy' || r.mkclean === 'page-head') && pmdEntry);
      expect(r.durable, `${r.arch}/${r.mkclean}`).toBe(!lost);
      expect(r.expected).toBe(lost ? 'lost' : 'durable');
      if (lost) expect(r.lost_bytes).toBe(noWriteback ? 128 : 64);
    }
  });

  it('reports the layout shape and the mkclean costs', () => {
    const row = (arch: string, s: string) => res.rows.find((r) => r.arch === arch && r.mkclean === s)!;
    expect(row('x86_64', 'range')).toMatchObject({ walk_levels: 4, pmd_walk_levels: 3, dax_entries_per_2m: 1, pt_entries_per_2m: 1, fs_dax_pmd: true });
    expect(row('x86_64-la57', 'range').walk_levels).toBe(5);
    expect(row('s390x', 'range')).toMatchObject({ fs_dax_limited: true, fs_dax_pmd: false, dax_entries_per_2m: 512, pt_entries_per_2m: 512 });
    expect(row('ppc64-radix', 'range')).toMatchObject({ page_size: 65536, dax_entries_per_2m: 1 });
    // A PMD larger than 2 MiB cannot hold 2 MiB of a file: one entry per page there.
    expect(row('arm64-64k', 'range')).toMatchObject({ fs_dax_pmd: true, dax_entries_per_2m: 32, pt_entries_per_2m: 32 });
    expect(row('ppc64-hash', 'range')).toMatchObject({ fs_dax_pmd: true, dax_entries_per_2m: 32 });
    expect(row('loongarch64', 'range')).toMatchObject({ fs_dax_pmd: false, dax_entries_per_2m: 128 });
    expect(row('arm64-4k', 'range')).toMatchObject({ walk_levels: 4, dax_entries_per_2m: 1 });
    // buggy cleans A's PMD only; range cleans A's PMD and B's PTE, then B's PTE again
    expect(row('x86_64', 'buggy').mkclean_cleaned).toBe(1);
    expect(row('x86_64', 'range').mkclean_cleaned).toBe(3);
    expect(row('x86_64', 'range').tlb_flushes).toBeGreaterThanOrEqual(3);
    expect(row('x86_64', 'page').mkclean_visits).toBeGreaterThan(row('x86_64', 'range').mkclean_visits);
    for (const r of res.rows) expect(r.refs_per_translation).toBeGreaterThan(0);
    // only the hashed page table has HPTEs to invalidate: A's and B's PTEs at the first fsync,
    // B's again at the second (B's store after the first re-hashed it)
    for (const r of res.rows) expect(r.hpte_flushes, `${r.arch}/${r.mkclean}`).toBe(r.arch === 'ppc64-hash' ? 3 : 0);
  });
});

describe('compare (command)', () => {
  it('--json-out writes the JSON and the SVG chart next to it, and prints the table', async () => {
    const out = join(dir, 'cmp.json');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    let printed: string;
    try {
      code = await command.run(['--json-out', out]);
      printed = write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    for (const l of layouts) expect(printed).toContain(l.name);
    const json = JSON.parse(readFileSync(out, 'utf8')) as CompareResult;
    expect(json.rows).toHaveLength(layouts.length * SEED_STRATEGIES.length);
    expect(svgPathFor(out)).toBe(join(dir, 'cmp.svg'));
    const svg = readFileSync(join(dir, 'cmp.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('x86_64 / buggy');
    // red marks a lost run only: no strategy's bars are red, the lost ones are outlined in it
    expect(svg).not.toMatch(/<rect[^>]*fill="#d62728"/);
    expect(svg).toMatch(/<rect[^>]*stroke="#d62728"[^>]*><title>x86_64 \/ buggy: [^<]*lost/);
  });

  it('bad input is one InputError line', async () => {
    await expect(command.run(['--mkclean', 'nope'])).rejects.toThrow(InputError);
    await expect(command.run([join(dir, 'missing.dax')])).rejects.toThrow(/cannot read file/);
  });
});

// The README's sweep chart cannot go stale: the command written next to it is run here and
// must write exactly the committed bench/charts/compare-sweep-sharers.svg; and each figure the README's
// per-layout paragraphs quote is checked against that run's data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/cli/run-cli.ts';
import type { SweepResult, SweepRow } from '../src/compare/sweep.ts';

const dir = mkdtempSync(join(tmpdir(), 'daxsim-readme-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const README = readFileSync('README.md', 'utf8');
const CHART = 'bench/charts/compare-sweep-sharers.svg';

describe('the README sweep chart', async () => {
  const line = README.split('\n').find((l) => l.includes(`--svg ${CHART}`));
  const args = line?.trim().replace(/^npm run -s daxsim -- /, '').split(/\s+/) ?? [];
  const svgOut = join(dir, 'chart.svg');
  const jsonOut = join(dir, 'chart.json');
  const run = await runCliCaptured([...args.map((a) => (a === CHART ? svgOut : a)), '--json-out', jsonOut]);
  const res = JSON.parse(readFileSync(jsonOut, 'utf8')) as SweepResult;
  const row = (arch: string, s: string, x: number): SweepRow => res.rows.find((r) => r.arch === arch && r.mkclean === s && r.x === x)!;

  it('is shown by the README and is what its command writes today', () => {
    expect(line, 'the command next to the chart').toBeDefined();
    expect(README).toContain(`](${CHART})`);
    expect(run.code).toBe(0);
    // regenerate with the command in the README if this fails after a deliberate change
    expect(readFileSync(svgOut, 'utf8')).toBe(readFileSync(CHART, 'utf8'));
    expect(res.arches).toHaveLength(11);
  });

  it('x86_64: buggy visits A alone and loses up to 256 sharers, the head page at 512 saves it; range 1 + n; page 513 VMAs at 1', () => {
    for (const x of res.points.filter((p) => p <= 256)) {
      expect(row('x86_64', 'buggy', x)).toMatchObject({ vmas_visited: 1, leaves_cleaned: 1, tlb_flushes: 1, pt_refs: 5, durable: false });
      expect(row('x86_64', 'range', x)).toMatchObject({ vmas_visited: 1 + x, leaves_cleaned: 1 + x, durable: true });
    }
    expect(row('x86_64', 'buggy', 512)).toMatchObject({ durable: true, rewrite_bytes_written_back: 32768 });
    expect(row('x86_64', 'range', 512)).toMatchObject({ leaves_cleaned: 513, pt_refs: 3077 });
    expect(row('x86_64', 'page', 1).vmas_visited).toBe(513);
    expect(row('x86_64', 'page', 512).vmas_visited).toBe(1024);
  });

  it('la57 differs from x86_64 in pt_refs only; ppc64-radix-4k and arm64-4k equal x86_64', () => {
    const same = (a: SweepRow, b: SweepRow, but: Array<keyof SweepRow> = []): void => {
      const strip = (r: SweepRow) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'arch' && !but.includes(k as keyof SweepRow)));
      expect(strip(a)).toEqual(strip(b));
    };
    for (const s of res.strategies) {
      for (const x of res.points) {
        same(row('x86_64-la57', s, x), row('x86_64', s, x), ['pt_refs']);
        same(row('ppc64-radix-4k', s, x), row('x86_64', s, x));
        same(row('arm64-4k', s, x), row('x86_64', s, x));
      }
    }
    expect(row('x86_64-la57', 'buggy', 1).pt_refs).toBe(6);
    expect(row('x86_64-la57', 'range', 512).pt_refs).toBe(3590);
  });

  it('ppc64-radix: buggy loses from 1 to 16 sharers only, 2 VMAs at 32, 17 at 512; page 33 VMAs at 1', () => {
    for (const x of res.points) expect(row('ppc64-radix', 'buggy', x).durable, `${x}`).toBe(x >= 32);
    expect(row('ppc64-radix', 'buggy', 32).vmas_visited).toBe(2);
    expect(row('ppc64-radix', 'buggy', 512).vmas_visited).toBe(17);
    expect(row('ppc64-radix', 'page', 1).vmas_visited).toBe(33);
  });

  it('arm64-64k and ppc64-hash: 32 page entries, the strategies coincide, 33 then 544, durable; pt_refs 165 against 198', () => {
    for (const a of ['arm64-64k', 'ppc64-hash']) {
      for (const x of res.points) {
        const b = row(a, 'buggy', x);
        expect(b.dax_entries).toBe(32);
        expect(b.durable).toBe(true);
        for (const s of res.strategies) expect({ ...row(a, s, x), mkclean: 'buggy' }).toEqual(b);
      }
      expect(row(a, 'range', 1)).toMatchObject({ vmas_visited: 33, leaves_cleaned: 33 });
      expect(row(a, 'range', 512)).toMatchObject({ vmas_visited: 544, leaves_cleaned: 544 });
    }
    expect(row('arm64-64k', 'range', 1).pt_refs).toBe(165);
    // the fewest references of the layouts whose file is page entries
    const pageEntryRefs = res.rows.filter((r) => r.x === 1 && r.dax_entries > 1).map((r) => r.pt_refs);
    expect(Math.min(...pageEntryRefs)).toBe(165);
    expect(row('ppc64-hash', 'range', 1).pt_refs).toBe(198);
  });

  it('s390x: 512 page entries, 513 then 1024, the most references, always durable', () => {
    for (const x of res.points) expect(row('s390x', 'buggy', x)).toMatchObject({ dax_entries: 512, durable: true });
    expect(row('s390x', 'range', 1)).toMatchObject({ vmas_visited: 513, leaves_cleaned: 513, pt_refs: 3591, bytes_written_back: 32832 });
    expect(row('s390x', 'range', 512)).toMatchObject({ vmas_visited: 1024, pt_refs: 7168 });
    const most = Math.max(...res.rows.map((r) => r.pt_refs));
    expect(res.rows.filter((r) => r.pt_refs === most).every((r) => r.arch === 's390x')).toBe(true);
  });

  it('riscv64 and loongarch64: every leaf cleaned, nothing written back, everything lost', () => {
    for (const a of ['riscv64-sv39', 'riscv64-sv48', 'loongarch64']) {
      for (const r of res.rows.filter((x) => x.arch === a)) {
        expect(r).toMatchObject({ dax_entries: a === 'loongarch64' ? 128 : 512, bytes_written_back: 0, rewrite_bytes_written_back: 0, durable: false });
        expect(r.leaves_cleaned).toBe(r.dax_entries + r.sharers);
      }
    }
    expect(row('riscv64-sv48', 'range', 1).pt_refs).toBe(3078);
    expect(row('riscv64-sv39', 'range', 1).pt_refs).toBe(2565);
  });

  it('tlb_flushes equals leaves_cleaned everywhere; HPTE flushes too on ppc64-hash, and 0 elsewhere', () => {
    for (const r of res.rows) {
      expect(r.tlb_flushes, `${r.arch}/${r.mkclean}/${r.x}`).toBe(r.leaves_cleaned);
      expect(r.hpte_flushes, `${r.arch}/${r.mkclean}/${r.x}`).toBe(r.arch === 'ppc64-hash' ? r.leaves_cleaned : 0);
    }
    expect(row('ppc64-hash', 'range', 1).hpte_flushes).toBe(33);
    expect(row('ppc64-hash', 'range', 512).hpte_flushes).toBe(544);
  });
});

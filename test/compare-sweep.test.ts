// `daxsim compare --sweep`: the sharers shape (src/compare/sharers.ts, the seed with n sharers)
// over a parameter, per layout and strategy. What the kernel's rules make of it: the buggy
// dax_entry_mkclean visits A's VMA only and loses every sharer's second store under a PMD
// entry; pfn_mkclean_range visits and cleans every sharer; without a devmap bit every page is
// its own entry and nothing is lost; without arch_wb_cache_pmem nothing is written back.
// Then the line charts: well-formed SVG, a panel per metric, a series per layout x strategy,
// log axes where the values span decades, red only for the lost marker.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLayout } from '../arch/index.ts';
import type { Layout } from '../arch/types.ts';
import { runCliCaptured } from '../src/cli/run-cli.ts';
import { makeScale } from '../src/compare/line-chart.ts';
import { LOST_COLOR, SERIES_COLORS } from '../src/compare/svg.ts';
import { SWEEP_METRICS, sweepSvg } from '../src/compare/sweep-svg.ts';
import { parseSweep, sweep, type SweepResult, type SweepRow } from '../src/compare/sweep.ts';
import { InputError } from '../src/scenario/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'daxsim-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const arch = (name: string): Layout => findLayout(name)!;

describe('--sweep P=...', () => {
  it('takes powers of two between the bounds, a step, or a list', () => {
    expect(parseSweep('sharers=1..512').points).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(parseSweep('sharers=1..10').points).toEqual([1, 2, 4, 8, 10]);
    expect(parseSweep('sharers=0..4').points).toEqual([0, 1, 2, 4]);
    expect(parseSweep('entries=2..8:3').points).toEqual([2, 5, 8]);
    expect(parseSweep('size=4M,2M,2M').points).toEqual([2 * 2 ** 20, 4 * 2 ** 20]);
    expect(parseSweep('size=2M..8M')).toEqual({ param: 'size', points: [2, 4, 8].map((m) => m * 2 ** 20) });
  });

  it('says what is wrong with a bad one, as one InputError', () => {
    const bad = (s: string): string => {
      try {
        parseSweep(s);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error(`${s} was accepted`);
    };
    expect(bad('procs=1..2')).toMatch(/P one of sharers, entries, size/);
    expect(bad('sharers')).toMatch(/P=A..B/);
    expect(bad('sharers=8..2')).toMatch(/empty/);
    expect(bad('sharers=1..1000:1')).toMatch(/more than 64 points/);
    expect(bad('sharers=1..100000')).toMatch(/from 0 to 4095/);
    expect(bad('size=32G')).toMatch(/from 1 to 17179869184/);
    expect(bad('sharers=4096')).toMatch(/from 0 to 4095/);
    expect(bad('entries=0..4')).toMatch(/from 1 to 4096/);
    expect(bad('sharers=1..x')).toMatch(/'x' is not a number/);
    expect(bad('entries=1..4:0')).toMatch(/step must be positive/);
  });
});

describe('the sweep on the kernel rules', () => {
  const res = sweep({ spec: parseSweep('sharers=1,4'), arches: ['x86_64', 's390x', 'riscv64-sv39', 'ppc64-radix'].map(arch), strategies: ['buggy', 'range'] });
  const row = (a: string, s: string, x: number): SweepRow => res.rows.find((r) => r.arch === a && r.mkclean === s && r.x === x)!;

  it('has a row per layout x strategy x point, none failed', () => {
    expect(res.rows).toHaveLength(4 * 2 * 2);
    for (const r of res.rows) expect(r.error).toBeNull();
  });

  it('x86_64 buggy: one VMA (A), one leaf (A PMD) cleaned, the sharers second stores lost', () => {
    for (const n of [1, 4]) {
      expect(row('x86_64', 'buggy', n)).toMatchObject({ dax_entries: 1, vmas_visited: 1, leaves_cleaned: 1, rewrite_bytes_written_back: 0, durable: false, lost_bytes: 8 * n });
      // the first fsync flushes every dirty line of the entry: A line 0 and one line per sharer
      expect(row('x86_64', 'buggy', n).bytes_written_back).toBe(64 * (1 + n));
    }
  });

  it('x86_64 range: every sharer VMA visited and its PTE cleaned, so the second stores fault and reach pmem', () => {
    for (const n of [1, 4]) {
      expect(row('x86_64', 'range', n)).toMatchObject({ vmas_visited: 1 + n, leaves_cleaned: 1 + n, rewrite_bytes_written_back: 64 * n, durable: true, lost_bytes: 0 });
      // the first fsync's visits only: A's PMD and each sharer's PTE (page_vma_mapped_walk's one leaf per VMA)
      expect(row('x86_64', 'range', n).leaves_visited).toBe(1 + n);
      expect(row('x86_64', 'range', n).tlb_flushes).toBeGreaterThanOrEqual(1 + n);
    }
  });

  it('s390x (no devmap bit, FS_DAX_PMD off): 512 page entries, the buggy walk finds each sharer at its own entry', () => {
    expect(row('s390x', 'buggy', 4)).toMatchObject({ dax_entries: 512, durable: true, rewrite_bytes_written_back: 4 * 64 });
    expect(row('s390x', 'buggy', 4).leaves_cleaned).toBe(row('s390x', 'range', 4).leaves_cleaned);
  });

  it('riscv64 (no arch_wb_cache_pmem): mkclean runs but nothing is written back, everything lost', () => {
    expect(row('riscv64-sv39', 'range', 1)).toMatchObject({ bytes_written_back: 0, rewrite_bytes_written_back: 0, durable: false });
    expect(row('riscv64-sv39', 'range', 1).leaves_cleaned).toBeGreaterThan(0);
  });

  it('ppc64-radix (64 KiB pages, 32 in 2 MiB): sharer 31 maps page 0, the head, which the buggy walk does find and clean', () => {
    const r = sweep({ spec: parseSweep('sharers=31,32'), arches: [arch('ppc64-radix')], strategies: ['buggy'] });
    expect(r.rows.map((x) => x.vmas_visited)).toEqual([1, 2]);
    // its second store then takes a write-protect fault that re-dirties the entry, and the
    // second fsync writes back the whole entry: every sharer's second store with it
    expect(r.rows.map((x) => x.durable)).toEqual([false, true]);
    expect(r.rows.map((x) => x.rewrite_bytes_written_back)).toEqual([0, 32 * 64]);
  });

  it('entries and size: the file grows by the layout entry size (PMD with FS_DAX_PMD, else a page)', () => {
    const e = sweep({ spec: parseSweep('entries=1,3'), arches: ['x86_64', 's390x', 'ppc64-hash'].map(arch), strategies: ['range'] });
    expect(e.rows.map((r) => [r.arch, r.x, r.dax_entries, r.size])).toEqual([
      ['x86_64', 1, 1, 2 ** 21],
      ['x86_64', 3, 3, 3 * 2 ** 21],
      ['s390x', 1, 1, 4096],
      ['s390x', 3, 3, 3 * 4096],
      ['ppc64-hash', 1, 1, 2 ** 24],
      ['ppc64-hash', 3, 3, 3 * 2 ** 24],
    ]);
    const s = sweep({ spec: parseSweep('size=2M,16M'), arches: [arch('ppc64-hash')], strategies: ['buggy'] });
    // ppc64-hash's PMD is 16 MiB: a 2 MiB file is 32 page entries, a 16 MiB one a single PMD entry
    expect(s.rows.map((r) => r.dax_entries)).toEqual([32, 1]);
    expect(s.rows.map((r) => r.durable)).toEqual([true, false]);
  });

  it('a point too large for a layout is its error row, not a run of 16 M faults', () => {
    const r = sweep({ spec: parseSweep('size=1G'), arches: [arch('s390x')], strategies: ['buggy'] });
    expect(r.rows[0]!.error).toBe('the file would take 262144 DAX entries here (more than 65536)');
    const e = sweep({ spec: parseSweep('entries=64'), arches: [arch('arm64-64k')], strategies: ['buggy'] });
    expect(e.rows[0]!.error).toBe('the file would be 32768 MiB (more than 16384 MiB)');
  });

  it('a size that is not a multiple of a layout page size is bad input', () => {
    expect(() => sweep({ spec: parseSweep('size=4K'), arches: [arch('ppc64-radix')], strategies: ['range'] })).toThrow(/not a multiple of ppc64-radix's page size/);
  });
});

/** Checks `xml` is well-formed (tags nest, attributes quoted, only the five entities); returns the start tags. */
function parseXml(xml: string): Array<{ name: string; attrs: Record<string, string> }> {
  const tags: Array<{ name: string; attrs: Record<string, string> }> = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const entities = (s: string): void => {
    for (const m of s.matchAll(/&[^;\s]*;?/g)) expect(m[0], 'entity').toMatch(/^&(amp|lt|gt|quot|apos);$/);
  };
  let pos = 0;
  for (let m = token.exec(xml); m !== null; m = token.exec(xml)) {
    pos = token.lastIndex;
    if (m[5] !== undefined) {
      entities(m[5]);
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close === '/') {
      expect(stack.pop(), `</${name}>`).toBe(name);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      expect(attrs[a[1]!], `duplicate attribute ${a[1]}`).toBeUndefined();
      entities(a[2]!);
      attrs[a[1]!] = a[2]!;
    }
    tags.push({ name: name!, attrs });
    if (selfClose !== '/') stack.push(name!);
  }
  expect(pos, 'all of the document is markup or text').toBe(xml.length);
  expect(stack).toEqual([]);
  return tags;
}

describe('the line charts', () => {
  const res: SweepResult = sweep({ spec: parseSweep('sharers=1..64'), arches: ['x86_64', 's390x', 'riscv64-sv39'].map(arch), strategies: ['buggy', 'range'] });
  const svg = sweepSvg(res, 'daxsim compare --sweep sharers=1..64');
  const tags = parseXml(svg);
  const panels = tags.filter((t) => t.attrs.class === 'panel');

  it('is one well-formed SVG with a panel per metric and a series per layout x strategy in each', () => {
    expect(tags[0]!.name).toBe('svg');
    expect(tags[0]!.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(panels.map((p) => p.attrs['data-metric'])).toEqual(SWEEP_METRICS.map((m) => m.title));
    const series = tags.filter((t) => t.attrs.class === 'series').map((t) => t.attrs['data-series']);
    const names = res.arches.flatMap((a) => res.strategies.map((s) => `${a} / ${s}`));
    expect(series).toEqual(SWEEP_METRICS.flatMap(() => names));
    const legend = tags.filter((t) => t.attrs.class === 'legend-entry').length;
    expect(legend).toBe(names.length);
    for (const n of names) expect(svg).toContain(`>${n}</text>`);
    expect(svg).toContain('sharers (processes mapping one page each, besides A) (log scale)');
  });

  it('uses log axes where values span decades and linear ones where not', () => {
    // leaves cleaned: 1 (x86_64 buggy) to 576 (s390x at 64 sharers); pt_refs likewise; no
    // layout here has a hashed page table, so the HPTE panel is all zeros, on a linear axis
    expect(panels.map((p) => p.attrs['data-y-scale'])).toEqual(SWEEP_METRICS.map((m) => (m.key === 'hpte_flushes' ? 'linear' : 'log')));
    for (const p of panels) expect(p.attrs['data-x-scale']).toBe('log');
    const small = sweep({ spec: parseSweep('sharers=1,2'), arches: [arch('x86_64')], strategies: ['range'] });
    const linear = parseXml(sweepSvg(small, 't')).filter((t) => t.attrs.class === 'panel');
    expect(linear.map((p) => p.attrs['data-y-scale'])).toEqual(SWEEP_METRICS.map(() => 'linear'));
    // a log axis ticks at decades (counts) or powers of two (bytes), zeros on their own "0" line
    expect(makeScale([1, 5, 700], 100, 'count', 10, null).ticks.map((t) => t.label)).toEqual(['1', '10', '100', '1k']);
    expect(makeScale([0, 64, 65536], 100, 'bytes', 10, null).ticks.map((t) => t.label)).toEqual(['0 B', '64 B', '256 B', '1 KiB', '4 KiB', '16 KiB', '64 KiB']);
    const s = makeScale([0, 1, 1000], 100, 'count', 10, null);
    expect(s.at(0)).toBe(0);
    expect(s.at(1)).toBeGreaterThan(0);
  });

  it('keeps red for the lost marker: no series is red, every lost point is a red cross, the legend says so', () => {
    expect(SERIES_COLORS).not.toContain(LOST_COLOR);
    const strokes = tags.filter((t) => t.attrs.class === 'series').map((t) => t.attrs.stroke);
    expect(strokes).not.toContain(LOST_COLOR);
    const lostPoints = res.rows.filter((r) => !r.durable).length;
    const crosses = tags.filter((t) => t.attrs.class === 'lost');
    // one cross per lost point per panel, and one in the legend
    expect(crosses).toHaveLength(lostPoints * SWEEP_METRICS.length + 1);
    for (const c of crosses) expect(c.attrs.stroke).toBe(LOST_COLOR);
    expect(svg).toMatch(/red cross: the data stored before the last fsync was lost at the crash/);
  });
});

describe('daxsim compare --sweep (command)', () => {
  it('prints the table, writes the JSON (schema 2) and the charts', async () => {
    const out = join(dir, 'sweep.json');
    const r = await runCliCaptured(['compare', '--sweep', 'sharers=1,2', '--arch', 'x86_64,s390x', '--mkclean', 'buggy,range', '--json-out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^compare --sweep sharers/);
    expect(r.stdout).toMatch(/x86_64 +buggy +1 .* LOST 8 B/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { schema: number } & SweepResult;
    expect(json).toMatchObject({ schema: 2, sweep: 'sharers', points: [1, 2], arches: ['x86_64', 's390x'], strategies: ['buggy', 'range'], persistence: 'adr', kernel: '6.1' });
    expect(Object.keys(json.rows[0]!)).toEqual(['arch', 'mkclean', 'x', 'sharers', 'size', 'dax_entries', 'vmas_visited', 'leaves_visited', 'pt_refs', 'leaves_cleaned', 'tlb_flushes', 'hpte_flushes', 'bytes_written_back', 'rewrite_bytes_written_back', 'durable', 'lost_bytes', 'error']);
    parseXml(readFileSync(join(dir, 'sweep.svg'), 'utf8'));
  });

  it('bad input is one line, exit 2', async () => {
    for (const args of [['--sweep', 'nope=1'], ['--sweep', 'sharers=1', '--arch', 'vax'], ['--sweep', 'sharers=1', '--mkclean', 'buggy,nope'], ['x.dax', '--sweep', 'sharers=1']]) {
      const r = await runCliCaptured(['compare', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^daxsim: compare: [^\n]+\n$/);
    }
  });

  const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  it.skipIf(CHROMIUM === undefined)('renders in headless Chromium', async () => {
    const svgPath = join(dir, 'render.svg');
    await runCliCaptured(['compare', '--sweep', 'sharers=1,8', '--arch', 'x86_64', '--mkclean', 'buggy', '--svg', svgPath]);
    const profile = mkdtempSync(join(tmpdir(), 'daxsim-chromium-'));
    try {
      const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', `file://${svgPath}`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('x86_64 / buggy');
      expect(r.stdout).not.toMatch(/parsererror/);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

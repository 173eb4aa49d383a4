// `run --html` and `seed --html`: one self-contained page, rendered in headless Chromium when
// it is installed (Debian's chromium; .ci/run installs it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import { runCliCaptured } from '../../src/cli/run-cli.ts';
import { seedScenario } from '../../src/scenario/seed.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-html-'));
const seed = path.join(dir, 'seed.dax');
writeFileSync(seed, seedScenario(findLayout('x86_64')!, 'lost'));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function chromium(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const profile = mkdtempSync(path.join(tmpdir(), 'daxsim-chromium-'));
  try {
    const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('--html', () => {
  const page = path.join(dir, 'run.html');

  it('run --html writes a self-contained page with every step, mkclean visits and misses, and the loss', async () => {
    const r = await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--html', page]);
    expect(r.code).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|url\(|https?:/i);
    expect(html).toContain('<code>B write b 0 64</code>');
    expect(html).toContain('mkclean MISSED B/b');
    expect(html).toContain('DIRTY');
    expect(html).toContain('data-outcome="lost"');
    expect(html).toContain('LOST 64 bytes');
  });

  it('range: mkclean visits B and the run is durable', async () => {
    const p = path.join(dir, 'range.html');
    const r = await runCliCaptured(['run', seed, '--mkclean', 'range', '--html', p]);
    expect(r.code).toBe(1); // the seed file says `expect lost`
    const html = readFileSync(p, 'utf8');
    expect(html).toMatch(/mkclean visited B\/b at 0x[0-9a-f]+ \(pte\) for F entry 0: cleaned/);
    expect(html).toContain('data-outcome="durable"');
  });

  it('seed --html: one run per arch x strategy with a table of contents', async () => {
    const p = path.join(dir, 'seed.html');
    const r = await runCliCaptured(['seed', '--arch', 'x86_64', '--html', p]);
    expect(r.code).toBe(0);
    const html = readFileSync(p, 'utf8');
    for (const s of ['buggy', 'range', 'page']) expect(html).toContain(`x86_64, mkclean ${s}, persistence adr`);
    expect(html).toContain('href="#run2"');
  });

  it('an unwritable --html path is a one-line error', async () => {
    const r = await runCliCaptured(['run', seed, '--html', path.join(dir, 'no/such/dir/x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^daxsim: run: cannot write .* \(ENOENT\)\n$/);
  });

  it.skipIf(CHROMIUM === undefined)('renders in headless Chromium (--dump-dom, --screenshot)', async () => {
    await runCliCaptured(['run', seed, '--mkclean', 'buggy', '--html', page]);
    const r = chromium(['--dump-dom', `file://${page}`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mkclean MISSED B/b');
    expect(r.stdout).toContain('data-outcome="lost"');
    const shot = path.join(dir, 'shot.png');
    const s = chromium(['--window-size=1200,900', `--screenshot=${shot}`, `file://${page}`]);
    expect(s.status).toBe(0);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  });
});

/** The rendered DOM of a page, and the text and links of the element with `id` (or of a selector-like match). */
function rendered(file: string): { dom: string; text: (html: string) => string; step: (line: number) => string } {
  const r = chromium(['--dump-dom', `file://${file}`]);
  expect(r.status).toBe(0);
  const dom = r.stdout;
  const text = (html: string): string => html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]*>/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
  const step = (line: number): string => {
    const m = new RegExp(`<details[^>]*id="run0-l${line}"[^>]*>[\\s\\S]*?</details>`).exec(dom);
    expect(m, `step of line ${line}`).not.toBeNull();
    return m![0];
  };
  return { dom, text, step };
}

describe.skipIf(CHROMIUM === undefined)('--html explains the loss (rendered in headless Chromium)', () => {
  // test/scenarios/seed-buggy.dax: 17 A fsync F (misses B), 20 B write b 0 64 (no fault), 21 A fsync F (nothing), 22 crash.
  const file = path.join(dir, 'explain.html');

  it('each lost range links to the store, the promise and the mkclean miss, with the reason', async () => {
    await runCliCaptured(['run', 'test/scenarios/seed-buggy.dax', '--html', file]);
    const { dom, text } = rendered(file);
    const why = /<table class="why">[\s\S]*?<\/table>/.exec(dom)![0];
    const row = /<tr><td class="m">F \[0x1000, 0x1040\)[\s\S]*?<\/tr>/.exec(why)![0];
    expect([...row.matchAll(/href="#(run0-l\d+)"/g)].map((m) => m[1])).toEqual(['run0-l20', 'run0-l21', 'run0-l17']);
    expect(text(row)).toBe(
      'F [0x1000, 0x1040) 64 bytes line 20 : B write b 0 64 by B took no fault : its mapping was still writable and dirty and the DAX entry clean line 21 : A fsync F nothing wrote these bytes back after the store line 17 : A fsync F : mkclean left B/b writable: VMA not returned by i_mmap (DAX entry 0)',
    );
    for (const id of ['run0-l20', 'run0-l21', 'run0-l17']) expect(dom).toContain(`id="${id}"`); // the links land on steps
  });

  it('says when a later store took no fault and when a writeback wrote nothing back', () => {
    const { text, step } = rendered(file);
    expect(text(step(20))).toContain("B's store to F [0x1000, 0x1040) took no fault: the mapping was still writable and dirty (mkclean missed it at line 17: VMA not returned by i_mmap), so DAX entry 0 stayed clean and no fsync will write this back");
    expect(text(step(21))).toContain('the writeback wrote nothing back: no DIRTY DAX entry in F [0x0, 0x200000)');
    expect(text(step(21))).not.toContain('dax_writeback_one');
  });

  it('shows only what changed: changed bits highlighted, unchanged entries hidden, unchanged steps collapsed', () => {
    const { text, step } = rendered(file);
    // The fsync write-protects and cleans A's PMD: RW and DIRTY cleared, the ro and clean badges marked as changed.
    const s17 = step(17);
    expect(s17).toMatch(/^<details class="step miss" id="run0-l17" open="">/);
    expect(text(s17)).toContain('-_PAGE_RW -_PAGE_DIRTY');
    expect(s17).toContain('<span class="b ro chg">ro</span><span class="b clean chg">clean</span>');
    expect(s17).toContain('<span class="b clean chg">clean</span></td></tr>'); // the DAX entry's DIRTY mark cleared
    // B's unchanged PTE appears there only because mkclean missed it.
    expect(text(s17)).toContain('0x3efffffff000-0x3f0000000000 pte present rw dirty young F+0x1000 MISSED (VMA not returned by i_mmap)');
    // B's second write changes no entry: no table, just the note and the dirty line count.
    expect(step(20)).not.toContain('<table');
    // Statements that change nothing are collapsed.
    for (const line of [9, 14, 18, 19, 23]) {
      expect(step(line)).toMatch(new RegExp(`^<details class="step same" id="run0-l${line}">`));
      expect(text(step(line))).toContain('(nothing changed)');
    }
  });

  it('marks a promise that held only because another process flushed the line as luck', async () => {
    const luck = path.join(dir, 'luck.dax');
    writeFileSync(
      luck,
      [
        'mkclean buggy',
        'file F size 2M',
        'proc A',
        'proc B',
        'A mmap a F offset 0 length 2M rw shared',
        'B mmap b F offset 4K length 4K rw shared',
        'A write a 0 64',
        'B write b 0 64',
        'A fsync F', // 9: misses B's PTE
        'B write b 0 64', // 10: no fault, entry clean: unprotected
        'A write a 0x2000 64', // 11: wp fault on A's clean PMD: the entry is DIRTY again
        'A fsync F', // 12: writes back the whole entry, B's line with it
        'crash',
        'expect durable',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'luck.html');
    const r = await runCliCaptured(['run', luck, '--html', out]);
    expect(r.code).toBe(0);
    const { dom, text, step } = rendered(out);
    expect(dom).toContain('data-outcome="durable"');
    const box = /<div class="lucky" data-luck="1">[\s\S]*?<\/div>/.exec(dom)![0];
    expect(text(box)).toBe(
      "Promises that held by luck luck line 10 : B write b 0 64 by B (no fault, entry clean, its mapping missed by mkclean at line 9: VMA not returned by i_mmap) was promised by line 12 : A fsync F and survived only because line 12 : A fsync F wrote back DAX entry 0, made DIRTY again by A's fault at line 11 : A write a 0x2000 64 , and with it the whole entry, this line included.",
    );
    expect(text(step(12))).toContain('held by luck');
    // On the fixed kernel the same promise is kept by mkclean itself: no luck.
    const fixed = path.join(dir, 'fixed.html');
    await runCliCaptured(['run', luck, '--mkclean', 'range', '--html', fixed]);
    expect(readFileSync(fixed, 'utf8')).not.toContain('class="lucky"');
  });
});
if (CHROMIUM === undefined) console.warn('test/report/html.test.ts: chromium not found (/usr/bin/chromium): the headless rendering test is skipped; install it with apt-get install -y chromium');

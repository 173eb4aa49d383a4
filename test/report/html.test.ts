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
if (CHROMIUM === undefined) console.warn('test/report/html.test.ts: chromium not found (/usr/bin/chromium): the headless rendering test is skipped; install it with apt-get install -y chromium');

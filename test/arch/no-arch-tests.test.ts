// Every arch decision is a hook of arch/types.ts ArchHooks, as Linux has its arch/<x>/ hooks
// with fixed names: nothing in src/ may decide by a layout's family or name. This greps every
// module of src/ for the forms such a decision takes, so one that creeps back in fails here.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The code of a line, without its // comment (comments may name arches freely). */
const code = (line: string): string => line.replace(/(^|[^:'"\\])\/\/.*$/, '$1').replace(/^\s*\*.*$/, '');

const quote = (s: string): string => s.replace(/[-.]/g, (c) => `\\${c}`);
const NAMES = layouts.map((l) => quote(l.name)).join('|');

/** The forms of an arch test: the family read at all, a name compared, a table keyed by layout name. */
const FORBIDDEN: readonly RegExp[] = [
  /\.family\b/,
  /layout\.name\s*(===|!==)|(===|!==)\s*\w*layout\.name\b/i,
  /layout\.name\.(startsWith|endsWith|includes)\(/i,
  new RegExp(`(===|!==)\\s*'(${NAMES})'`),
  new RegExp(`'(${NAMES})'\\s*(===|!==)`),
  new RegExp(`^\\s*'?(${NAMES})'?\\s*:`),
  new RegExp(`case\\s+'(${NAMES})'`),
];

/** The one use of a layout name in src/ that is no decision: the default --arch. */
const DEFAULT_ARCH = /(\?\?|opts\.arch,)\s*'x86_64'\)?;?$/;

function offences(): string[] {
  const out: string[] = [];
  for (const f of tsFiles(SRC)) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((raw, i) => {
      const line = code(raw);
      if (DEFAULT_ARCH.test(line.trim())) return;
      for (const re of FORBIDDEN) if (re.test(line)) out.push(`${path.relative(SRC, f)}:${i + 1}: ${raw.trim()}`);
    });
  }
  return out;
}

describe('no arch decision outside arch/', () => {
  it('src/ tests no family and no layout name', () => {
    expect(offences()).toEqual([]);
  });

  it('the grep would catch the forms it looks for', () => {
    // The check itself must be able to fail: each form, as it was written before the hooks.
    const samples = [
      "const policy = POLICY[k.layout.family];",
      "if (layout.name === 's390x' && !last) table = S390;",
      "if (layout.name.startsWith('x86_64')) {",
      "  'x86_64-la57': { make: (l) => new X86Ptdump(l) },",
      "if (report.arch !== 'x86_64' && report.arch !== 'x86_64-la57') run.unavailable = 'x';",
    ];
    for (const s of samples) expect(FORBIDDEN.some((re) => re.test(code(s))), s).toBe(true);
    expect(FORBIDDEN.some((re) => re.test(code("// x86_64: flush_tlb_mm_range's ceiling")))).toBe(false);
  });
});

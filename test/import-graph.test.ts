// Imports point one way: no module of src/ or arch/ reaches itself through its relative
// imports (type-only imports included, as a reader follows them).
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(path.normalize(p));
  }
  return out;
}

/** Every cycle the depth-first search closes, as `a -> b -> a`. */
function importCycles(roots: readonly string[]): string[] {
  const graph = new Map<string, string[]>();
  for (const f of roots.flatMap((r) => tsFiles(r))) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/^(?:import|export)\b[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => path.normalize(path.join(path.dirname(f), m[1]!)));
    graph.set(f, deps);
  }
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (state.get(d) === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (state.get(n) === undefined) visit(n);
  return cycles;
}

describe('the import graph', () => {
  it('has no cycle in src/ or arch/', () => {
    expect(importCycles(['src', 'arch'])).toEqual([]);
  });

  it('finds a cycle where there is one, type-only imports included', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'daxsim-imports-'));
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
      writeFileSync(path.join(dir, 'b.ts'), "import { c } from './c.ts';\nexport type { A } from './a.ts';\nexport type B = number;\nexport const d = c;\n");
      writeFileSync(path.join(dir, 'c.ts'), 'export const c = 1;\n');
      expect(importCycles([dir]).map((c) => c.split(' -> ').map((f) => path.basename(f)).join(' -> '))).toEqual(['a.ts -> b.ts -> a.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

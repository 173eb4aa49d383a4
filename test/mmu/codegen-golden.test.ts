// The generated walk of every layout, kept as a golden file (test/mmu/golden/<layout>.js.golden: generated
// output, so not counted as source by tools that look for repeated code) so a
// reviewer can read what runs and a diff shows when it changes. After an intended change:
//   UPDATE_GOLDEN=1 npx vitest run --config test/vitest.config.ts test/mmu/codegen-golden.test.ts
// The spec is a default Machine's: 4 GiB of DRAM at 0 read directly, 4096 TLB entries per class.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { generateSource, safeName, walkSpecFor } from '../../src/mmu/codegen.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, Mmu } from '../../src/mmu/index.ts';

const GiB = 2 ** 30;
const dir = fileURLToPath(new URL('./golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

function source(L: Layout): string {
  return generateSource(L, walkSpecFor(L, 0, 4 * GiB, 12));
}

describe.each(layouts.map((l) => [l.name, l] as const))('generated walk of %s', (name, L) => {
  it('is the golden file', () => {
    const file = `${dir}${safeName(name)}.js.golden`;
    const src = source(L);
    if (update || !existsSync(file)) writeFileSync(file, src);
    expect(src).toBe(readFileSync(file, 'utf8'));
  });

  it('writes no bare number for a counter, TLB field or permission', () => {
    const src = source(L);
    // Every counter index, TLB field offset and Perm literal carries its name.
    expect(src).not.toMatch(/cnt\[\d+\]/);
    expect(src).not.toMatch(/\[e\w* [+|] \d+\]/);
    expect(src).not.toMatch(/perm (\|=|=) \d+;/);
  });
});

describe('generated source', () => {
  it('filters names: a layout name with U+2028 or */ cannot end the comment it is written into', () => {
    const base = layouts[0]!;
    const evil: Layout = { ...base, name: 'x86\u2028evil */ throw 1; /*', levels: base.levels.map((lv) => ({ ...lv })) };
    const src = source(evil);
    expect(src).not.toContain('\u2028');
    expect(src).toContain('for layout x86_evil____throw_1____.');
    // And it still compiles and walks: the Mmu of that layout translates like the original's.
    const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: 4 * GiB, size: GiB });
    const b = new TableBuilder(evil, mem, new FrameAllocator(mem, mem.dram));
    b.map(0x7f0000000000, 4 * GiB, 3, { young: true, dirty: true });
    const mmu = new Mmu(evil, mem);
    mmu.setRoot(0, b.root);
    expect(mmu.translate(0, 0x7f0000000123, Access.Read, true)).toBe(4 * GiB + 0x123);
  });
});

// pmdp_invalidate per layout (ArchHooks.pmdInvalidate): the value page_vma_mkclean_one leaves
// in a DAX PMD slot between invalidating it and setting the clean value. The kernel must still
// see a present (devmap) huge PMD mapping the same pfn, so MADV_DONTNEED's unlocked test in
// zap_pmd_range takes the PMD lock (024eee0e83f0); the MMU must not translate through it.
import { describe, expect, it } from 'vitest';
import { testAny } from '../../arch/bits.ts';
import { layouts } from '../../arch/index.ts';
import type { Entry, Layout } from '../../arch/types.ts';

/** pmd_mkinvalid / pmdp_invalidate as the hook gives it. */
function invalidate(L: Layout, e: Entry): Entry {
  const m = L.hooks.pmdInvalidate;
  const lo = ((e.lo & ~m.clear.lo) | m.set.lo) >>> 0;
  const hi = ((e.hi & ~m.clear.hi) | m.set.hi) >>> 0;
  const inv = { lo, hi };
  m.after?.(L.pmdLevel, e, inv);
  return inv;
}

/** The hardware's "valid for translation" rule at level `lv` (arch/types.ts HardwareRules). */
function hwValid(L: Layout, lv: number, e: Entry): boolean {
  return testAny(e, L.hw.valid[lv]!) === L.hw.validWhenSet[lv]!;
}

describe.each(layouts.filter((l) => l.levels[l.pmdLevel]!.leaf).map((l) => [l.name, l] as const))('pmdp_invalidate on %s', (_n, L) => {
  const pmd = L.pmdLevel;
  const prot = { write: true, user: true, exec: false, dirty: true, young: true, devmap: L.devmap !== null, special: L.devmap === null };

  it('keeps a huge PMD present (and devmap) to the kernel, with its pfn, but invalid to the MMU', () => {
    const leaf: Entry = { lo: 0, hi: 0 };
    const alignedPfn = 3 * 2 ** (L.levels[pmd]!.shift - L.pageShift); // the third PMD-sized frame
    L.mkLeaf(pmd, alignedPfn, prot, leaf);
    expect(hwValid(L, pmd, leaf)).toBe(true);
    const inv = invalidate(L, leaf);
    expect(L.isNone(pmd, inv)).toBe(false);
    expect(L.isPresent(pmd, inv)).toBe(true);
    expect(L.isDevmap(pmd, inv)).toBe(L.isDevmap(pmd, leaf));
    expect(L.leafPfn(pmd, inv)).toBe(alignedPfn);
    expect(hwValid(L, pmd, inv)).toBe(false);
    if (L.hooks.pmdTransHuge !== null && L.hooks.pmdTransHuge(leaf)) expect(L.hooks.pmdTransHuge(inv)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntervalTree } from '../../src/kernel/interval-tree.ts';

// vma_interval_tree_foreach(vma, root, start, last) (include/linux/interval_tree_generic.h):
// every node with ITSTART <= last && start <= ITLAST, in increasing ITSTART order.
describe('i_mmap interval tree', () => {
  it('answers overlap queries exactly like a scan, in start order, through inserts and removals', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), start: fc.nat(600), len: fc.integer({ min: 1, max: 700 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('query' as const), start: fc.nat(1300), len: fc.integer({ min: 1, max: 600 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const tree = new IntervalTree<{ id: number; start: number; last: number }>();
        const live: Array<{ id: number; start: number; last: number }> = [];
        let id = 0;
        for (const o of ops) {
          if (o.kind === 'insert') {
            const v = { id: id++, start: o.start, last: o.start + o.len - 1 };
            tree.insert(v.start, v.last, v);
            live.push(v);
          } else if (o.kind === 'remove') {
            if (live.length === 0) continue;
            const [v] = live.splice(o.pick % live.length, 1);
            expect(tree.remove(v!.start, v!)).toBe(true);
          } else {
            const last = o.start + o.len - 1;
            const want = live.filter((v) => v.start <= last && o.start <= v.last).sort((a, b) => a.start - b.start || a.id - b.id);
            expect(tree.query(o.start, last).map((v) => v.id)).toEqual(want.map((v) => v.id));
          }
        }
        expect(tree.size).toBe(live.length);
        // balanced: height stays logarithmic
        expect(tree.height).toBeLessThanOrEqual(1.45 * Math.log2(live.length + 2) + 1);
      }),
    );
  });

  it('finds the seed VMAs: A [0,511] and B [1,1]; [0,0] returns only A, [0,511] both', () => {
    const tree = new IntervalTree<string>();
    tree.insert(0, 511, 'A');
    tree.insert(1, 1, 'B');
    expect(tree.query(0, 0)).toEqual(['A']);
    expect(tree.query(0, 511)).toEqual(['A', 'B']);
  });
});

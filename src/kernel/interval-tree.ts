// The file's i_mmap: an augmented interval tree of VMAs keyed by their page-offset range,
// as mm/interval_tree.c builds it from include/linux/interval_tree_generic.h: each node
// covers [ITSTART, ITLAST] (inclusive, in pages) and carries the largest ITLAST of its
// subtree, so an overlap query prunes whole subtrees. The kernel uses an augmented
// red-black tree; this is an augmented AVL tree, which answers the same queries with the
// same O(log n + k) bound.
//
// Query semantics follow vma_interval_tree_foreach(vma, root, start, last): every node with
// ITSTART <= last && start <= ITLAST, in increasing ITSTART order (ties by insertion order).

interface Node<T> {
  start: number;
  last: number;
  seq: number;
  value: T;
  subtreeLast: number;
  height: number;
  left: Node<T> | null;
  right: Node<T> | null;
}

export class IntervalTree<T> {
  private root: Node<T> | null = null;
  private seq = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(start: number, last: number, value: T): void {
    if (last < start) throw new RangeError(`interval [${start}, ${last}] is empty`);
    const node: Node<T> = { start, last, seq: this.seq++, value, subtreeLast: last, height: 1, left: null, right: null };
    this.root = insertNode(this.root, node);
    this.count++;
  }

  /** Removes the node holding `value` with this start; returns whether it was found. */
  remove(start: number, value: T): boolean {
    const before = this.count;
    this.root = removeNode(this.root, start, value, () => this.count--);
    return this.count < before;
  }

  /** Every value whose interval overlaps [start, last], in increasing start order. */
  query(start: number, last: number): T[] {
    const out: T[] = [];
    collect(this.root, start, last, out);
    return out;
  }

  /**
   * query() into a caller's array, reused from call to call: out[0 .. n-1] receive the same
   * values in the same order, and n is returned. Slots from n on are left as they were (the
   * array only grows), so a reused array costs no allocation once it is large enough.
   */
  queryInto(start: number, last: number, out: T[]): number {
    return collectAt(this.root, start, last, out, 0);
  }

  /** Every value, in start order. */
  values(): T[] {
    const out: T[] = [];
    collect(this.root, -Infinity, Infinity, out);
    return out;
  }

  /** Tree height (for tests of balance). */
  get height(): number {
    return h(this.root);
  }
}

function h<T>(n: Node<T> | null): number {
  return n === null ? 0 : n.height;
}

function update<T>(n: Node<T>): void {
  n.height = 1 + Math.max(h(n.left), h(n.right));
  let m = n.last;
  if (n.left !== null && n.left.subtreeLast > m) m = n.left.subtreeLast;
  if (n.right !== null && n.right.subtreeLast > m) m = n.right.subtreeLast;
  n.subtreeLast = m;
}

type Side = 'left' | 'right';
const OTHER = { left: 'right', right: 'left' } as const satisfies Record<Side, Side>;

/** Rotates n toward `side`: its child on the other side becomes the subtree's root (one
 * function for both mirror images). */
function rotate<T>(n: Node<T>, side: Side): Node<T> {
  const up = OTHER[side];
  const c = n[up]!;
  n[up] = c[side];
  c[side] = n;
  update(n);
  update(c);
  return c;
}

function balance<T>(n: Node<T>): Node<T> {
  update(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) return rotateFrom(n, 'left');
  if (bf < -1) return rotateFrom(n, 'right');
  return n;
}

/** n's `heavy` subtree is two taller than the other: a single rotation, or a double one when
 * that child leans the other way. */
function rotateFrom<T>(n: Node<T>, heavy: Side): Node<T> {
  const light = OTHER[heavy];
  const c = n[heavy]!;
  if (h(c[heavy]) < h(c[light])) n[heavy] = rotate(c, heavy);
  return rotate(n, light);
}

function before<T>(a: Node<T>, b: Node<T>): boolean {
  return a.start < b.start || (a.start === b.start && a.seq < b.seq);
}

function insertNode<T>(n: Node<T> | null, node: Node<T>): Node<T> {
  if (n === null) return node;
  if (before(node, n)) n.left = insertNode(n.left, node);
  else n.right = insertNode(n.right, node);
  return balance(n);
}

function removeMin<T>(n: Node<T>): [Node<T> | null, Node<T>] {
  if (n.left === null) return [n.right, n];
  const [rest, min] = removeMin(n.left);
  n.left = rest;
  return [balance(n), min];
}

function removeNode<T>(n: Node<T> | null, start: number, value: T, found: () => void): Node<T> | null {
  if (n === null) return null;
  if (n.start === start && n.value === value) {
    found();
    if (n.left === null) return n.right;
    if (n.right === null) return n.left;
    const [rest, min] = removeMin(n.right);
    min.left = n.left;
    min.right = rest;
    return balance(min);
  }
  // Equal starts may sit on either side after rotations: search both.
  if (start <= n.start) n.left = removeNode(n.left, start, value, found);
  if (start >= n.start) n.right = removeNode(n.right, start, value, found);
  return balance(n);
}

function collect<T>(n: Node<T> | null, start: number, last: number, out: T[]): void {
  if (n === null || n.subtreeLast < start) return;
  collect(n.left, start, last, out);
  if (n.start > last) return; // this node and its right subtree start after the query
  if (n.last >= start) out.push(n.value);
  collect(n.right, start, last, out);
}

/** collect() writing out[i], out[i + 1], ...; returns the next free index. */
function collectAt<T>(n: Node<T> | null, start: number, last: number, out: T[], i: number): number {
  while (n !== null && n.subtreeLast >= start) {
    i = collectAt(n.left, start, last, out, i);
    if (n.start > last) return i; // this node and its right subtree start after the query
    if (n.last >= start) {
      if (i < out.length) out[i] = n.value;
      else out.push(n.value);
      i++;
    }
    n = n.right; // the right subtree: a loop instead of a tail call
  }
  return i;
}

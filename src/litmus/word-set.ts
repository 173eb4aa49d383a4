// The explorer's visited-state sets: machine states are fixed-length Uint32 words (explore.ts,
// "Encoding"), kept in one growing array and found by open addressing, with no per-state object.

/** Open-addressing hash set of fixed-length Uint32 keys. */
export class WordSet {
  private keys: Uint32Array;
  private table: Int32Array;
  size = 0;
  constructor(readonly stride: number) {
    this.keys = new Uint32Array(Math.max(1, stride) * 1024);
    this.table = new Int32Array(2048).fill(-1);
  }

  private hash(src: Uint32Array, off: number): number {
    let h = 0x811c9dc5 ^ this.stride;
    for (let i = 0; i < this.stride; i++) {
      h = Math.imul(h ^ src[off + i]!, 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  /** Adds src[off .. off+stride); true when it was not there. */
  add(src: Uint32Array, off: number): boolean {
    const s = this.stride;
    let mask = this.table.length - 1;
    let i = this.hash(src, off) & mask;
    for (;;) {
      const k = this.table[i]!;
      if (k < 0) break;
      const base = k * s;
      let eq = true;
      for (let j = 0; j < s; j++) {
        if (this.keys[base + j] !== src[off + j]) {
          eq = false;
          break;
        }
      }
      if (eq) return false;
      i = (i + 1) & mask;
    }
    const id = this.size++;
    if ((id + 1) * s > this.keys.length) {
      const k = new Uint32Array(this.keys.length * 2);
      k.set(this.keys);
      this.keys = k;
    }
    this.keys.set(src.subarray(off, off + s), id * s);
    this.table[i] = id;
    if (this.size * 2 > this.table.length) {
      this.table = new Int32Array(this.table.length * 2).fill(-1);
      mask = this.table.length - 1;
      for (let k = 0; k < this.size; k++) {
        let j = this.hash(this.keys, k * s) & mask;
        while (this.table[j]! >= 0) j = (j + 1) & mask;
        this.table[j] = k;
      }
    }
    return true;
  }
}

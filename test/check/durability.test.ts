// The durability checker judges a crash image against what was promised, and learns what was
// stored from the store event itself: it never reads back from the cache whose crash it judges.
import { describe, expect, it } from 'vitest';
import { DurabilityChecker } from '../../src/check/durability.ts';
import type { DaxFile } from '../../src/kernel/file.ts';

const F = { name: 'F', phys: 1 << 30 } as unknown as DaxFile;

/** A crash image holding `bytes` at F's offsets, zero elsewhere. */
function image(bytes: Record<number, number>): { readByte(pa: number): number } {
  return { readByte: (pa) => bytes[pa - F.phys] ?? 0 };
}

describe('the durability checker', () => {
  it('records the bytes the store event carries (at its offset into the buffer) and finds them lost when the image lacks them', () => {
    const c = new DurabilityChecker();
    const ev = c.events();
    const buf = Uint8Array.of(9, 9, 0xa1, 0xa2, 0xa3, 0xa4, 9);
    ev.fileStore!(F, 64, 4, 1, buf, 2); // stores a1..a4 at offsets 64..67
    ev.fileSynced!(F, 0, 4096);
    expect(c.check(image({ 64: 0xa1, 65: 0xa2, 66: 0xa3, 67: 0xa4 }), [F])).toEqual([]);
    // The bytes before and after the stored range in the buffer are not part of the promise.
    expect(c.check(image({ 64: 0xa1, 65: 0xa2, 66: 0xa3 }), [F])).toEqual([{ file: 'F', offset: 67, length: 1 }]);
    expect(c.check(image({}), [F])).toEqual([{ file: 'F', offset: 64, length: 4 }]);
  });

  it('an unpromised store is not a loss; a store after the promise may survive in its place', () => {
    const c = new DurabilityChecker();
    const ev = c.events();
    ev.fileStore!(F, 0, 2, 0, Uint8Array.of(1, 2), 0);
    expect(c.check(image({}), [F])).toEqual([]);
    ev.fileSynced!(F, 0, 2);
    ev.fileStore!(F, 0, 1, 0, Uint8Array.of(7), 0);
    expect(c.check(image({ 0: 7, 1: 2 }), [F])).toEqual([]);
    expect(c.check(image({ 0: 1, 1: 2 }), [F])).toEqual([]);
    expect(c.check(image({ 0: 5, 1: 2 }), [F])).toEqual([{ file: 'F', offset: 0, length: 1 }]);
  });
});

// What a run's byte expectations and its losses say, in one line each: the first byte that
// differs from what `expect data` / `expect view` wanted, and the ranges a crash lost.

import type { LostRange } from '../check/durability.ts';
import type { BytesWanted } from './expect-types.ts';

/** null when `got` is what `want` says, else the first difference in one line. */
export function compareBytes(got: Uint8Array, want: BytesWanted, fileOffset: number, fileNow: () => Uint8Array, written: Uint8Array): string | null {
  const expected = want.kind === 'zero' ? new Uint8Array(got.length) : want.kind === 'byte' ? new Uint8Array(got.length).fill(want.byte) : want.kind === 'file' ? fileNow() : written;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== expected[i]) {
      const hex = (b: number): string => '0x' + b.toString(16).padStart(2, '0');
      const zeros = got.every((b) => b === 0);
      return `${zeros ? 'all zero: ' : ''}byte ${hex(got[i]!)} at file offset 0x${(fileOffset + i).toString(16)} where ${want.kind === 'byte' ? `byte ${want.byte}` : want.kind} is ${hex(expected[i]!)}`;
    }
  }
  return null;
}

export function describeLost(lost: readonly LostRange[]): string {
  const total = lost.reduce((a, r) => a + r.length, 0);
  const parts = lost.slice(0, 4).map((r) => `${r.file}[0x${r.offset.toString(16)}+${r.length}]`);
  return `${total} bytes: ${parts.join(', ')}${lost.length > 4 ? ', ...' : ''}`;
}

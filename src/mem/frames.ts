// A physical frame allocator over one region. Page-table pages differ in size across
// layouts (an x86 table is 4 KiB; a book3s64 radix 64K PTE table is 256 bytes and its PGD
// 64 KiB), so it hands out naturally aligned power-of-two blocks of any size, zeroed, and
// keeps a free list per size. Deterministic: the same calls give the same addresses.

import { PhysMemError, type PhysMem, type Region } from './phys.ts';

export class FrameAllocator {
  private next: number;
  private readonly free = new Map<number, number[]>();
  allocatedBytes = 0;

  constructor(
    private readonly mem: PhysMem,
    private readonly region: Region,
  ) {
    this.next = region.base;
  }

  /** Back to the state of a new allocator over the same region (nothing allocated). */
  reset(): void {
    this.next = this.region.base;
    this.free.clear();
    this.allocatedBytes = 0;
  }

  /** A zeroed block of `bytes` (a power of two), aligned to its size. */
  alloc(bytes: number): number {
    // Arithmetic, not `bytes & (bytes - 1)`: that truncates to 32 bits, so 2^32 + 4096 would pass.
    if (!(bytes > 0) || !Number.isInteger(Math.log2(bytes))) throw new PhysMemError(`frame size ${bytes} is not a power of two`);
    const list = this.free.get(bytes);
    let pa: number;
    if (list !== undefined && list.length > 0) {
      pa = list.pop()!;
    } else {
      pa = Math.ceil(this.next / bytes) * bytes;
      if (pa + bytes > this.region.end) {
        throw new PhysMemError(`${this.region.kind} exhausted: cannot allocate ${bytes} more bytes`);
      }
      this.next = pa + bytes;
    }
    this.mem.zero(pa, bytes);
    this.allocatedBytes += bytes;
    return pa;
  }

  release(pa: number, bytes: number): void {
    let list = this.free.get(bytes);
    if (list === undefined) {
      list = [];
      this.free.set(bytes, list);
    }
    list.push(pa);
    this.allocatedBytes -= bytes;
  }
}

// The pmem device's block allocator: one per device, lowest free first, so reuse replays the
// same way every run. Files created allocated (`file F size N`) take one extent aligned to
// 2 MiB (and to PMD_SIZE), as before; sparse files take blocks as faults and writes allocate
// them. Free space is a sorted list of extents, so a 1 TiB device costs a few numbers.
//
// A simplification of ext4's mballoc, stated: a PMD fault into a hole asks for one 2 MiB
// extent aligned to PMD_SIZE and falls back to PTEs when there is none (the kernel would
// allocate what it finds and fall back on the misaligned pfn in dax_iomap_direct_access);
// every block is the page size (ext4 DAX needs blocksize == PAGE_SIZE, ext4_should_use_dax).

export class BlockAllocator {
  /** Free extents [start, end), sorted by start, never adjacent. */
  private free: { start: number; end: number }[];

  constructor(
    readonly base: number,
    readonly end: number,
  ) {
    this.free = [{ start: base, end }];
  }

  /** The lowest `size` bytes aligned to `align` that are free, or -1. Allocates them. */
  alloc(size: number, align: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      const start = Math.ceil(f.start / align) * align;
      if (start + size > f.end) continue;
      const parts: { start: number; end: number }[] = [];
      if (f.start < start) parts.push({ start: f.start, end: start });
      if (start + size < f.end) parts.push({ start: start + size, end: f.end });
      this.free.splice(i, 1, ...parts);
      return start;
    }
    return -1;
  }

  /** The lowest start `alloc(size, align)` would return, without allocating: -1 if none. */
  peek(size: number, align: number): number {
    for (const f of this.free) {
      const start = Math.ceil(f.start / align) * align;
      if (start + size <= f.end) return start;
    }
    return -1;
  }

  /** Gives [start, start + size) back. */
  release(start: number, size: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < start) i++;
    this.free.splice(i, 0, { start, end: start + size });
    // merge with neighbours
    const merged: { start: number; end: number }[] = [];
    for (const f of this.free) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.end >= f.start) last.end = Math.max(last.end, f.end);
      else merged.push({ ...f });
    }
    this.free = merged;
  }
}

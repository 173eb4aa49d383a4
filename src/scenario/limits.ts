// The scenario language's limits (parse.ts checks them before anything runs).

/** Limits checked up front so no scenario can exhaust the host. */
export const LIMITS = {
  processes: 1024,
  mappings: 4096,
  files: 256,
  statements: 100_000,
  /** Bytes one write/read/flush may cover (the cache model runs at a few MB/s). */
  accessBytes: 16 * 2 ** 20,
  /** Bytes all writes together may store (host memory for the cache model: ~20 bytes a byte). */
  totalWritten: 64 * 2 ** 20,
  /** Bytes all writes, reads and flushes together may touch (bounds the run time). */
  totalTouched: 64 * 2 ** 20,
  /** Largest file and largest mapping. */
  fileBytes: 2 ** 40,
  /** The pmem device (Simulation's default): files, each 2 MiB aligned, must fit on it. */
  deviceBytes: 2 ** 40,
  /** Bytes all mappings together may span (munmap zaps every PMD slot of a mapping). */
  mappedBytes: 2 * 2 ** 40,
} as const;

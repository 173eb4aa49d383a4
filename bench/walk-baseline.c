/*
 * The native baseline of the MMU benchmarks (bench/mmu.bench.ts): an x86-64 4-level page walk
 * and a TLB hit in plain C, over the same page tables and the same addresses the JavaScript
 * cases use. The benchmark dumps the DRAM holding the tables and the address list to files,
 * compiles this with the host's gcc (-O2) and runs it; the ratio JS / C is what the targets are
 * stated in (issue 16), measured in the same run because the machines are shared.
 *
 * The walk follows the same rules as the generated JS walk (Intel SDM Vol. 3A 4.5, 4.6.1, 4.8):
 * per level the entry's present bit, PS at the pud and pmd, R/W and U/S ANDed and XD ORed over
 * the levels, the accessed bits (and dirty for stores) checked and set only where clear, the
 * frame from the level's address mask. The TLB is direct-mapped, 4096 entries, 16 bytes each
 * (page number with the address-space tag; frame with the permission bits below bit 12), as
 * QEMU's CPUTLBEntry keeps its flags in the low bits of the page address.
 *
 * usage: walk-baseline <tables.bin> <addrs.bin> <root> walk|tlb <seconds>
 * prints: {"mode": ..., "per_s": ..., "checksum": ...}  (per_s: per CPU-second; checksum: the sum of the physical
 * addresses' low 32 bits over one pass, which the JS side compares with its own).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRESENT 0x1ull
#define RW 0x2ull
#define USER 0x4ull
#define ACCESSED 0x20ull
#define DIRTY 0x40ull
#define PSE 0x80ull
#define NX (1ull << 63)
#define PFN_MASK 0x000ffffffffff000ull     /* PTE_PFN_MASK, __PHYSICAL_MASK_SHIFT 52 */
#define PMD_PAGE_MASK 0x000fffffffe00000ull /* PHYSICAL_PMD_PAGE_MASK */
#define PUD_PAGE_MASK 0x000fffffc0000000ull /* PHYSICAL_PUD_PAGE_MASK */

static uint64_t *mem;
static size_t mem_words;
static uint64_t root;

static inline uint64_t load(uint64_t pa) {
  uint64_t w = pa >> 3;
  return w < mem_words ? mem[w] : 0;
}

/* One user read walk: the physical address, or ~0 on a fault. */
static inline uint64_t walk(uint64_t va) {
  static const int shift[4] = {39, 30, 21, 12};
  static const uint64_t leaf_mask[4] = {0, PUD_PAGE_MASK, PMD_PAGE_MASK, PFN_MASK};
  uint64_t table = root, and_ = ~0ull, or_ = 0, e = 0;
  int level;
  for (level = 0; level < 4; level++) {
    uint64_t epa = table | (((va >> shift[level]) & 511) << 3);
    e = load(epa);
    if (!(e & PRESENT)) return ~0ull;
    and_ &= e;
    or_ |= e;
    if (!(e & ACCESSED)) mem[epa >> 3] = e | ACCESSED; /* SDM 4.8 */
    if (level == 3 || ((level == 1 || level == 2) && (e & PSE))) break;
    if (level == 0 && (e & PSE)) return ~0ull; /* PS reserved in a PML4E */
    table = e & PFN_MASK;
  }
  if (!(and_ & USER)) return ~0ull; /* a user access needs U/S=1 on every level */
  (void)or_;                        /* XD matters for fetches only */
  uint64_t size_mask = (1ull << shift[level]) - 1;
  return (e & leaf_mask[level]) + (va & size_mask);
}

#define TLB_BITS 12
#define TLB_SIZE (1u << TLB_BITS)
struct tlb_entry {
  uint64_t vpn_tag;    /* page number | tag << 52 */
  uint64_t frame_perm; /* frame | R W X U D bits below bit 12 */
};
static struct tlb_entry tlb[TLB_SIZE];
static const uint64_t tag = 1ull << 52;
#define PERM_R 1ull
#define PERM_U 8ull

static inline uint64_t tlb_hit(uint64_t va, int *miss) {
  uint64_t vpn = va >> 12;
  struct tlb_entry *t = &tlb[vpn & (TLB_SIZE - 1)];
  if (t->vpn_tag == (vpn | tag) && (t->frame_perm & (PERM_R | PERM_U)) == (PERM_R | PERM_U))
    return (t->frame_perm & ~0xfffull) + (va & 0xfff);
  *miss = 1;
  return 0;
}

static void fill(uint64_t va, uint64_t pa) {
  uint64_t vpn = va >> 12;
  struct tlb_entry *t = &tlb[vpn & (TLB_SIZE - 1)];
  t->vpn_tag = vpn | tag;
  t->frame_perm = (pa & ~0xfffull) | PERM_R | PERM_U;
}

static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(n > 0 ? n : 1);
  if (fread(p, 1, n, f) != (size_t)n) {
    perror(path);
    exit(2);
  }
  fclose(f);
  *len = n;
  return p;
}

/* CPU time of this thread: time other processes take on a shared machine does not count. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s tables.bin addrs.bin root walk|tlb seconds\n", argv[0]);
    return 2;
  }
  size_t bytes, abytes;
  mem = slurp(argv[1], &bytes);
  mem_words = bytes / 8;
  double *addrs = slurp(argv[2], &abytes); /* the JS side's Float64Array */
  size_t n = abytes / sizeof(double);
  root = strtoull(argv[3], NULL, 0);
  int tlb_mode = strcmp(argv[4], "tlb") == 0;
  double seconds = atof(argv[5]);
  uint64_t *va = malloc(n * sizeof *va);
  for (size_t i = 0; i < n; i++) va[i] = (uint64_t)addrs[i];

  uint64_t checksum = 0;
  int miss = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t pa = walk(va[i]);
    checksum += pa & 0xffffffffull; /* low halves: the JS side sums doubles, exact below 2^53 */
    if (tlb_mode) fill(va[i], pa);
  }
  if (tlb_mode) {
    /* The TLB holds the last fill per slot: keep the addresses that hit (the JS case's working set fits). */
    for (size_t i = 0; i < n; i++) {
      int m = 0;
      tlb_hit(va[i], &m);
      if (m) fill(va[i], walk(va[i]));
    }
  }
  volatile uint64_t sink = 0;
  uint64_t done = 0;
  double t0 = now(), t1 = t0;
  const size_t batch = 1024;
  size_t c = 0;
  while (t1 - t0 < seconds) {
    uint64_t s = 0;
    for (int r = 0; r < 64; r++) {
      for (size_t i = 0; i < batch; i++) {
        s += tlb_mode ? tlb_hit(va[c], &miss) : walk(va[c]);
        c = (c + 1) & (n - 1);
      }
    }
    sink += s;
    done += 64 * batch;
    t1 = now();
  }
  printf("{\"mode\": \"%s\", \"per_s\": %.0f, \"checksum\": %llu, \"misses\": %d}\n", tlb_mode ? "tlb" : "walk", done / (t1 - t0), (unsigned long long)checksum, miss);
  (void)sink;
  return 0;
}

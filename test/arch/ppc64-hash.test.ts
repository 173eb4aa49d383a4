// ppc64-hash's HPT bookkeeping (arch/ppc64-hash.ts), as Linux 6.1 keeps it beside the Linux
// PTE: hash_page's refill marks the leaf H_PAGE_HASHPTE (with _PAGE_ACCESSED, and _PAGE_DIRTY
// for a store); pte_update of an entry with HASHPTE invalidates its HPTE (hpte_need_flush ->
// flush_hash_page; hpte_do_hugepage_flush for a PMD); ptep_set_access_flags does not; set_pte_at
// strips _PAGE_HPTEFLAGS. On the seed's shape with a 16 MiB file (one PMD entry): fsync's
// mkclean flushes A's and B's HPTEs, B's next store takes the write-protect fault, and its refill
// marks the PTE HASHPTE and dirty again.
import { describe, expect, it } from 'vitest';
import { entryFromBigInt, entryToBigInt, maskToBigInt, newEntry } from '../../arch/bits.ts';
import { hpteUpdate, PPC64_HASH_64K_FLAGS as H, ppc64Hash } from '../../arch/ppc64-hash.ts';
import { PPC64_RADIX_PTE_FLAGS as F } from '../../arch/ppc64-radix.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const MiB = 2 ** 20;
const e = (v: bigint) => entryFromBigInt(v, newEntry());
/** A present, readable, writable, dirty, young 64 KiB PTE of pfn 0x100. */
const PTE = F._PAGE_PRESENT | F._PAGE_PTE | F._PAGE_RW | F._PAGE_DIRTY | F._PAGE_ACCESSED | (0x100n << 16n);

describe('hpteUpdate: what an entry update does to the HPT', () => {
  it('pte_update of an entry with H_PAGE_HASHPTE flushes its HPTE (clear, wrprotect)', () => {
    expect(hpteUpdate(e(PTE | H.H_PAGE_HASHPTE), e(0n))).toBe(1);
    expect(hpteUpdate(e(PTE | H.H_PAGE_HASHPTE), e((PTE | H.H_PAGE_HASHPTE) & ~F._PAGE_WRITE))).toBe(1);
  });

  it('no HPTE, no flush; set_pte_at strips _PAGE_HPTEFLAGS from the new value', () => {
    const next = e(PTE | H.H_PAGE_HASHPTE | H.H_PAGE_BUSY);
    expect(hpteUpdate(e(0n), next)).toBe(0);
    expect(entryToBigInt(next)).toBe(PTE);
  });

  it('ptep_set_access_flags (only DIRTY, ACCESSED, READ, WRITE, EXEC, SOFT_DIRTY ORed in) keeps the HPTE', () => {
    const old = (PTE & ~(F._PAGE_WRITE | F._PAGE_DIRTY)) | H.H_PAGE_HASHPTE;
    const next = e(old | F._PAGE_WRITE | F._PAGE_DIRTY | F._PAGE_SOFT_DIRTY);
    expect(hpteUpdate(e(old), next)).toBe(0);
    expect(entryToBigInt(next) & H.H_PAGE_HASHPTE).toBe(H.H_PAGE_HASHPTE);
  });

  it('is ppc64-hash\'s hook and no other layout\'s; its refill sets HASHPTE with ACCESSED', () => {
    expect(ppc64Hash.hooks.hpte?.update).toBe(hpteUpdate);
    const leaf = ppc64Hash.levels.length - 1;
    expect(maskToBigInt(ppc64Hash.hw.accessed[leaf]!)).toBe(F._PAGE_ACCESSED | H.H_PAGE_HASHPTE);
    expect(ppc64Hash.flags.H_PAGE_HASHPTE).toBe(1n << 55n);
  });
});

describe('ppc64-hash: the seed on a 16 MiB file (one PMD entry)', () => {
  function run(mkclean: 'buggy' | 'range') {
    const sim = new Simulation({ arch: 'ppc64-hash', mkclean });
    const F16 = sim.file('F', 16 * MiB);
    const A = sim.process('A');
    const B = sim.process('B');
    const a = A.mmap('a', F16, { offset: 0, length: 16 * MiB });
    const b = B.mmap('b', F16, { offset: 64 * 1024, length: 64 * 1024 });
    A.write(a, 0, 64);
    B.write(b, 0, 64);
    const raw = (p: typeof A, v: typeof a): bigint => BigInt(sim.entry(p, v, 0).raw);
    return { sim, A, B, a, b, F16, raw };
  }

  it('a store\'s refill marks the leaf: A\'s PMD and B\'s PTE carry H_PAGE_HASHPTE, ACCESSED and DIRTY', () => {
    const { sim, A, B, a, b, raw } = run('range');
    expect(sim.entry(A, a, 0).level).toBe('pmd');
    for (const v of [raw(A, a), raw(B, b)]) expect(v & (H.H_PAGE_HASHPTE | F._PAGE_ACCESSED | F._PAGE_DIRTY)).toBe(H.H_PAGE_HASHPTE | F._PAGE_ACCESSED | F._PAGE_DIRTY);
    expect(sim.counters().hpteFlushes).toBe(0);
  });

  it('range: fsync flushes both HPTEs; B\'s PTE is ro, clean, without HASHPTE; its next store faults and is re-hashed', () => {
    const { sim, A, B, b, F16, raw } = run('range');
    A.fsync(F16);
    expect(sim.counters().hpteFlushes).toBe(2);
    expect(raw(B, b) & (H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY)).toBe(0n);
    B.write(b, 0, 64);
    expect(sim.faults(B).wp).toBe(1);
    expect(raw(B, b) & (H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY)).toBe(H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY);
    // the write-protect fault's ptep_set_access_flags flushes nothing
    expect(sim.counters().hpteFlushes).toBe(2);
    A.fsync(F16);
    expect(sim.crash().durable).toBe(true);
  });

  it('buggy: only A\'s PMD HPTE is flushed; B keeps its HPTE, its PTE stays writable and dirty, the second store is lost', () => {
    const { sim, A, B, b, F16, raw } = run('buggy');
    A.fsync(F16);
    expect(sim.counters().hpteFlushes).toBe(1);
    expect(raw(B, b) & (H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY)).toBe(H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY);
    B.write(b, 0, 64);
    expect(sim.faults(B).wp).toBe(0);
    A.fsync(F16);
    expect(sim.crash().durable).toBe(false);
  });

  it('read, then store: the write-protect fault\'s ptep_set_access_flags ORs W and D into a hashed PTE without a flush', () => {
    const sim = new Simulation({ arch: 'ppc64-hash', mkclean: 'range' });
    const F2 = sim.file('F', 2 * MiB);
    const B = sim.process('B');
    const b = B.mmap('b', F2, { offset: 0, length: 64 * 1024 });
    B.read(b, 0, 8);
    const raw = (): bigint => BigInt(sim.entry(B, b, 0).raw);
    expect(raw() & (H.H_PAGE_HASHPTE | F._PAGE_WRITE)).toBe(H.H_PAGE_HASHPTE);
    B.write(b, 0, 8);
    expect(sim.faults(B).wp).toBe(1);
    expect(raw() & (H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY)).toBe(H.H_PAGE_HASHPTE | F._PAGE_WRITE | F._PAGE_DIRTY);
    expect(sim.counters().hpteFlushes).toBe(0);
  });

  it('no other layout counts HPTE flushes', () => {
    const sim = new Simulation({ arch: 'x86_64', mkclean: 'range' });
    const F2 = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const a = A.mmap('a', F2, { offset: 0, length: 2 * MiB });
    A.write(a, 0, 64);
    A.fsync(F2);
    expect(sim.counters()).toMatchObject({ hpteFlushes: 0, mkcleanCleaned: 1 });
  });
});

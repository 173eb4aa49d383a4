// The loss ledger behind the HTML report and the trace: which store, promise and mkclean miss
// explain a lost range, with the miss's reason, and which promises held by luck. Driven with
// the kernel's events directly, as the kernel would send them for two processes sharing one
// 2 MiB DAX entry of F.
import { describe, expect, it } from 'vitest';
import type { DaxEntry } from '../../src/kernel/dax-entries.ts';
import type { MkcleanAction } from '../../src/kernel/events.ts';
import type { DaxFile } from '../../src/kernel/file.ts';
import type { Mm, Vma } from '../../src/kernel/mm.ts';
import type { HwFault } from '../../src/kernel/ports.ts';
import { LossLedger } from '../../src/report/loss.ts';
import type { Simulation } from '../../src/sim/simulation.ts';

const entry = { index: 0, order: 9, pfn: 0x1000000, kind: 'real', locked: false, dirty: false, towrite: false } as DaxEntry;
const F = { name: 'F', size: 2 << 20, phys: 0, mapping: { entries: { find: () => entry } } } as unknown as DaxFile;
const A = { name: 'A', cpu: 0 } as Mm;
const B = { name: 'B', cpu: 1 } as Mm;
const vma = (name: string, mm: Mm): Vma => ({ name, mm }) as unknown as Vma;
const sim = { pageSize: 4096, kernel: { mms: [A, B] } } as unknown as Simulation;

/** A ledger fed the seed's story: B's mapping left writable at line 5 by `action`, B stores again at 6, A fsyncs at 7. */
function story(actions: Array<['missed' | MkcleanAction, Vma]>): LossLedger {
  const l = new LossLedger();
  l.attach(sim);
  const ev = l.events();
  entry.dirty = true;
  ev.fault!(B, 0x1000, 'write', 'pte write', {} as HwFault); // the ledger ignores the hardware's report
  ev.fileStore!(F, 0x1000, 64, 1, new Uint8Array(64), 0);
  l.endStatement(4, 'B');
  for (const [a, v] of actions) {
    if (a === 'missed') ev.mkcleanMissed!(F, entry, v);
    else ev.mkcleanVisit!(F, entry, v, 0x1000, 'pte', a);
  }
  ev.writeback!(F, entry, 1);
  entry.dirty = false;
  ev.fileSynced!(F, 0, 2 << 20);
  l.endStatement(5, 'A');
  ev.fileStore!(F, 0x1000, 64, 1, new Uint8Array(64), 0); // no fault: the PTE is still writable
  l.endStatement(6, 'B');
  ev.fileSynced!(F, 0, 2 << 20); // the entry is clean: no writeback
  l.endStatement(7, 'A');
  return l;
}

const lost = [{ file: 'F', offset: 0x1000, length: 64 }];

describe('LossLedger.explain', () => {
  it.each([
    ['missed', 'VMA not returned by i_mmap'],
    ['pfn-mismatch', 'pfn mismatch'],
    ['skipped-private', 'private mapping skipped'],
  ] as const)('%s: the store of line 6, the promise of line 7, the miss of line 5 with its reason', (action, reason) => {
    const [x] = story([[action, vma('b', B)]]).explain(lost);
    expect(x!.store).toMatchObject({ line: 6, by: 'B', faulted: false, unprotected: true });
    expect(x!.promise).toMatchObject({ line: 7, kind: 'sync' });
    expect(x!.missed).toMatchObject({ line: 5, victim: 'B', vma: 'b', reason });
    expect(x!.writebacksAfter).toEqual([]);
  });

  it('a skipped private VMA is not the cause when a shared one of the same process was missed', () => {
    const [x] = story([['missed', vma('b', B)], ['skipped-private', vma('p', B)]]).explain(lost);
    expect(x!.missed).toMatchObject({ vma: 'b', reason: 'VMA not returned by i_mmap' });
  });

  it("another process's mapping missed is not this store's cause", () => {
    const [x] = story([['missed', vma('a2', A)]]).explain(lost);
    expect(x!.missed).toBeNull();
  });
});

describe('LossLedger.luck', () => {
  it("an unprotected store saved by A's clwb of its line is luck; by B's own clwb it is not", () => {
    for (const [cpu, lucky] of [[0, true], [1, false]] as const) {
      const l = story([['missed', vma('b', B)]]);
      const ev = l.events();
      ev.userFlush!(cpu, F, 0x1000);
      ev.userFence!(cpu);
      l.endStatement(8, cpu === 0 ? 'A' : 'B');
      ev.fileSynced!(F, 0, 2 << 20);
      l.endStatement(9, 'A');
      const luck = l.luck([]);
      expect(luck.length > 0, `clwb on cpu ${cpu}`).toBe(lucky);
      if (lucky) expect(luck[0]).toMatchObject({ store: { line: 6 }, promise: { line: 7 }, savedBy: { line: 8, by: 'A' }, missed: { line: 5 } });
    }
  });

  it('a lost store is never luck', () => {
    expect(story([['missed', vma('b', B)]]).luck(lost)).toEqual([]);
  });
});

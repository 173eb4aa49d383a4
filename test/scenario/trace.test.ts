// --trace: a Chrome trace-event document with the faults, walks, TLB flushes, write-backs
// and mkclean visits of a run, in order.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { TraceRecorder } from '../../src/scenario/trace.ts';

describe('trace of the seed scenario', () => {
  it('shows buggy mkclean cleaning A and missing B, and B\'s second write taking no walk', () => {
    const trace = new TraceRecorder();
    const scn = parseScenario(readFileSync('test/scenarios/seed-buggy.dax', 'utf8'), 'seed-buggy.dax');
    runScenario(scn, { trace });
    const events = JSON.parse(JSON.stringify(trace.toJSON())).traceEvents as Array<{ name: string; cat: string; ts: number; args?: Record<string, unknown> }>;
    const instants = events.filter((e) => e.cat !== 'statement' && e.cat !== 'counter' && e.cat !== '__metadata').map((e) => e.ts);
    expect(instants).toEqual([...instants].sort((a, b) => a - b)); // instant events in the order they happened
    const mk = events.filter((e) => e.cat === 'mkclean').map((e) => [e.name, e.args?.process]);
    expect(mk).toEqual([
      ['mkclean cleaned', 'A'],
      ['mkclean missed', 'B'],
    ]);
    expect(events.filter((e) => e.cat === 'fault').map((e) => [e.name, e.args?.process])).toEqual([
      ['fault write', 'A'],
      ['fault write', 'B'],
    ]);
    expect(events.filter((e) => e.cat === 'walk')).toHaveLength(2); // the two first writes; the second B write hits the stale TLB
    expect(events.filter((e) => e.cat === 'writeback')).toHaveLength(1); // the second fsync finds the entry clean
    expect(events.filter((e) => e.cat === 'tlb').map((e) => e.name)).toEqual(['tlb flush (pmdp_invalidate)']);
  });
});

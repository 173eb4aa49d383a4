// explore --interleave (src/explore/interleave.ts): seeded interleavings of tasks at the named
// points rediscover the race bugs on their buggy kernels, shrunk to runnable replays, and
// find nothing on the fixed kernel in the same budget.
import { describe, expect, it } from 'vitest';
import { exploreInterleavings } from '../../src/explore/interleave.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

/** The finding's replay: its last expectation fails on the kernel it was found on, and holds without the switch. */
function replay(dax: string, bug: string): { buggy: boolean; fixed: boolean } {
  const last = (text: string): boolean => runScenario(parseScenario(text, 'finding.dax')).expects.at(-1)!.ok;
  return { buggy: last(dax), fixed: last(dax.replace(`bug ${bug}\n`, '')) };
}

describe('explore --interleave', () => {
  it('finds the missed PMD wake-up as a hang, and the fixed kernel in the same budget finds nothing', () => {
    const budget = { count: 2, seconds: null };
    const buggy = exploreInterleavings({ arch: 'x86_64', bugs: ['missed-wakeup-pmd'], seed: 7 }, budget);
    expect(buggy.findings.map((f) => f.kind)).toEqual(['hang']);
    const f = buggy.findings[0]!;
    expect(f.lines).toBeLessThanOrEqual(f.originalLines);
    expect(f.dax).toMatch(/expect done T\d\n$/);
    expect(replay(f.dax, 'missed-wakeup-pmd')).toEqual({ buggy: false, fixed: true });
    expect(exploreInterleavings({ arch: 'x86_64', bugs: [], seed: 7 }, budget).findings).toEqual([]);
  });

  it('finds the fault racing write(2) as a mapping that shows zeros where the file has data', () => {
    const budget = { count: 40, seconds: null };
    const buggy = exploreInterleavings({ arch: 'x86_64', bugs: ['fault-races-write'], seed: 1 }, budget);
    expect(buggy.findings.map((f) => f.kind)).toEqual(['stale-view']);
    const f = buggy.findings[0]!;
    expect(f.what).toMatch(/all zero/);
    expect(replay(f.dax, 'fault-races-write')).toEqual({ buggy: false, fixed: true });
    expect(exploreInterleavings({ arch: 'x86_64', bugs: [], seed: 1 }, budget).findings).toEqual([]);
  }, 120_000);

  it('is repeatable: the same seed gives the same findings', () => {
    const a = exploreInterleavings({ arch: 'x86_64', bugs: ['missed-wakeup-pmd'], seed: 7 }, { count: 2, seconds: null });
    const b = exploreInterleavings({ arch: 'x86_64', bugs: ['missed-wakeup-pmd'], seed: 7 }, { count: 2, seconds: null });
    expect(b.findings.map((f) => f.dax)).toEqual(a.findings.map((f) => f.dax));
  });
});

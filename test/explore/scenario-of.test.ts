// explore runs generated scenarios without printing and parsing them (engine.ts scenarioOf);
// findings are written with toDax. The two must describe the same statements.
import { describe, expect, it } from 'vitest';
import { generate, scenarioOf } from '../../src/explore/engine.ts';
import { toDax } from '../../src/scenario/generate.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

describe('scenarioOf', () => {
  for (const pageSize of [4096, 65536]) {
    it(`equals parseScenario(toDax(g)) on generated scenarios (page size ${pageSize})`, () => {
      const cfg = { arches: ['x86_64'], strategies: ['range' as const], persistence: 'adr' as const, seed: 7 };
      for (let i = 0; i < 300; i++) {
        const g = generate(cfg, i, pageSize);
        expect(scenarioOf(g, pageSize)).toStrictEqual(parseScenario(toDax(g, pageSize), 'explore'));
      }
    });
  }
});

describe('a reused machine', () => {
  it('gives the same reports as a new one, counters included (Machine.reset)', () => {
    const cfg = { arches: ['x86_64'], strategies: ['range' as const], persistence: 'adr' as const, seed: 11 };
    for (const [arch, mkclean, persistence] of [['x86_64', 'buggy', 'adr'], ['ppc64-radix', 'range', 'eadr']] as const) {
      const ps = arch === 'x86_64' ? 4096 : 65536;
      for (let i = 0; i < 60; i++) {
        const scn = scenarioOf(generate(cfg, i, ps), ps);
        const fresh = runScenario(scn, { arch, mkclean, persistence });
        const reused = runScenario(scn, { arch, mkclean, persistence, reuseMachine: true });
        expect(reused).toStrictEqual(fresh);
      }
    }
  });
});

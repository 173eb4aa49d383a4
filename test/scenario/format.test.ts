// formatStmt writes a statement back in the scenario language (explore's findings are written
// with it): parsing what it writes gives the same statements.
import { describe, expect, it } from 'vitest';
import { formatStmt } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';

const SCENARIO = `file F size 2M
proc A
proc B
A mmap a F offset 0 length 2M rw shared
B mmap b F offset 4K length 4K ro private
A mmap s F offset 8K length 4K rw shared sync
A write a 0 64
A write a 64 8 byte 7
B read b 0 8
A flush a 0 64
A sfence
A fsync F
A msync a
A msync a 4096 100
expect pte A a 0 present rw dirty pmd
expect tlb B b 0 cached ro clean
A munmap s
crash
expect lost
`;

describe('formatStmt', () => {
  it('every statement form reads back as itself', () => {
    const stmts = parseScenario(SCENARIO, 'f.dax').stmts;
    const text = stmts.map(formatStmt).join('\n') + '\n';
    expect(text).toBe(SCENARIO.replace('offset 4K', 'offset 4096').replace('length 4K ro', 'length 4096 ro').replace('offset 8K length 4K', 'offset 8192 length 4096').replace('length 2M', 'length 2097152').replace('size 2M', 'size 2097152'));
    expect(parseScenario(text, 'f.dax').stmts).toEqual(stmts);
  });
});

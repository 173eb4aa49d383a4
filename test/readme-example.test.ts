// The README's library example, verbatim: the package imports itself by name.
import { expect, it } from 'vitest';
import { Simulation } from 'daxsim';

it('the range fix write-protects a PTE inside a PMD entry', () => {
  const sim = new Simulation({ arch: 'x86_64', mkclean: 'range' });
  const F = sim.file('F', 2 << 20);
  const A = sim.process('A'), B = sim.process('B');
  const a = A.mmap('a', F, { offset: 0, length: 2 << 20 });
  const b = B.mmap('b', F, { offset: 4096, length: 4096 });
  A.write(a, 0, 64); B.write(b, 0, 64); A.fsync(F);
  expect(sim.entry(B, b, 0)).toMatchObject({ level: 'pte', write: false, dirty: false });
  B.write(b, 0, 64); A.fsync(F);
  expect(sim.crash().durable).toBe(true);
});

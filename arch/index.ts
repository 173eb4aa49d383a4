// Every page-table layout daxsim models, in the order `daxsim arches` lists them.
// fsDaxLimited is derived in each layout from `devmap === null` (bits.ts fsDaxLimitedFor).

import type { Layout } from './types.ts';
import { x86_64 } from './x86_64.ts';
import { x86_64_la57 } from './x86_64-la57.ts';
import { ppc64Radix } from './ppc64-radix.ts';
import { s390x } from './s390x.ts';
import { arm64_4k, arm64_64k } from './arm64.ts';

export const layouts: readonly Layout[] = Object.freeze([x86_64, x86_64_la57, ppc64Radix, s390x, arm64_4k, arm64_64k]);

const byName = new Map<string, Layout>(layouts.map((l) => [l.name, l]));

export function findLayout(name: string): Layout | undefined {
  return byName.get(name);
}

// daxsim's library API: build a machine for an arch, create files, processes and mappings,
// perform the scenario language's operations, inspect page-table entries, DAX entries,
// counters and crash results. See README.md, "Library".
export { Simulation, Process, SimulationError, resolvePmd, type SimulationOptions, type MapOptions, type EntryView, type DaxEntryView, type CrashResult, type PmdSetting } from './sim/simulation.ts';
export { ALL_STRATEGIES, SEED_STRATEGIES, STRATEGIES, type Strategy, type DecodedEntry } from './kernel/kernel.ts';
export { STRATEGY_INFO, type StrategyInfo } from './kernel/strategies.ts';
export { DEFAULT_KERNEL, KERNEL_RULES, KERNEL_VERSIONS, type KernelRules, type KernelVersion } from './kernel/versions.ts';
export type { DaxFile } from './kernel/file.ts';
export type { Vma, Mm } from './kernel/mm.ts';
export type { LostRange } from './check/durability.ts';
export { layouts, findLayout } from '../arch/index.ts';
export type { Layout, Entry, Level } from '../arch/types.ts';
export { parseScenario, type Scenario, type Stmt } from './scenario/parse.ts';
export { runScenario, type RunReport, type RunOptions } from './scenario/run.ts';
export { seedScenario, expectedSeedOutcome } from './scenario/seed.ts';
export { genScenario, toDax, type GenScenario } from './scenario/generate.ts';
export type { Persistence } from './machine/machine.ts';

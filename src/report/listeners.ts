// Several listeners for the kernel's events as one KernelEvents: each event goes to every
// listener that has it, in the order given (as Simulation.listen chains them onto the kernel).

import type { KernelEvents } from '../kernel/events.ts';

export function mergeListeners(...lists: readonly KernelEvents[]): KernelEvents {
  const merged: Record<string, (...args: unknown[]) => void> = {};
  for (const list of lists) {
    for (const key of Object.keys(list) as Array<keyof KernelEvents>) {
      const b = list[key] as ((...args: unknown[]) => void) | undefined;
      if (b === undefined) continue;
      const a = merged[key];
      merged[key] = a === undefined ? b : (...args: unknown[]) => {
        a(...args);
        b(...args);
      };
    }
  }
  return merged as KernelEvents;
}

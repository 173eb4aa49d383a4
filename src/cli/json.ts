// JSON as every command prints or writes it (README, "JSON output"): `"schema": 2` first at the
// top level, keys snake_case. Keys that are names from the input (processes, litmus locations,
// kernel flag macros) are data and are never rewritten, so snake-casing is applied only to
// the objects daxsim itself names (snakeKeys).

export const SCHEMA = 2;

/** `{"schema": 2, ...doc}`. */
export function jsonDocument<T extends object>(doc: T): { schema: typeof SCHEMA } & T {
  return { schema: SCHEMA, ...doc };
}

/** `entriesWrittenBack` -> `entries_written_back`. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A copy of `v` with every object key snake_cased, recursively. */
export function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [snakeCase(k), snakeKeys(x)]));
  return v;
}

/** One JSON document and a newline. */
export function jsonText(doc: object, indent?: number): string {
  return JSON.stringify(Array.isArray(doc) ? doc : jsonDocument(doc), null, indent) + '\n';
}

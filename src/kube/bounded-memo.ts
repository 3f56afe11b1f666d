/**
 * Memo tables for pure functions on the admission path. They are the only module-level mutable state the core
 * keeps, and they cannot change a result: an entry is the function's own answer for its key, computed once.
 * Keys can come from pod specs (untrusted), so each table holds at most `limit` entries and is emptied when full
 * (a workload repeats the same few values; an attacker cycling values only costs the computation it skipped),
 * and keys longer than `maxKeyLength` are computed every time rather than kept in memory.
 */

/** Limits of one memo table. */
export interface MemoLimits {
  /** Entries kept before the table is emptied. */
  readonly limit: number;
  /** Longest string key worth keeping; longer keys bypass the table. */
  readonly maxKeyLength: number;
}

const DEFAULT_LIMITS: MemoLimits = { limit: 256, maxKeyLength: 1024 };

/** `compute` memoized on its one string argument; `compute` must be pure and its result never mutated. */
export function boundedMemo<T>(compute: (key: string) => T, limits: MemoLimits = DEFAULT_LIMITS): (key: string) => T {
  const table = new Map<string, T>();
  return (key) => {
    const known = table.get(key);
    if (known !== undefined || table.has(key)) return known as T;
    const value = compute(key);
    if (key.length <= limits.maxKeyLength) {
      if (table.size >= limits.limit) table.clear();
      table.set(key, value);
    }
    return value;
  };
}

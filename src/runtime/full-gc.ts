import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * Runs a full, compacting garbage collection now, as `--expose-gc`'s `gc()` does, without that flag on the
 * command line: the flag is set at run time and `gc` taken from a fresh context (the way Jest's
 * `--logHeapUsage` does it). Returns false when V8 would not give it.
 *
 * Why: V8 collects when allocation makes it, not when memory is no longer needed. After the caches list 50,000
 * objects, ~20-30 MB of parsed pages are garbage and nothing allocates enough to collect them; the heap (and RSS)
 * stays that large for as long as the process lives (bench/README.md, "Findings").
 */
export function fullGc(): boolean {
  try {
    if (!collect) {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
    collect();
    return true;
  } catch {
    return false;
  }
}

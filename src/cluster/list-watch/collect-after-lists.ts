import type { Logger } from 'pino';
import { fullGc } from '../../runtime/full-gc.js';

/** A list of at least this many objects leaves enough garbage (parsed pages) to be worth a full collection. */
const MIN_OBJECTS = 1_000;

/** Lists come one after another at start-up: one collection this long after the last big one covers them all. */
const DELAY_MS = 1_000;

/**
 * The caches' `onListed` callback: a full garbage collection shortly after a large list (the initial sync, or a
 * relist after a watch expired), so the memory of the listed pages goes back to the system at once instead of
 * staying in V8's heap until allocation happens to trigger a collection; with 10,000 workspaces that is ~20-30 MB
 * of a 120 MB budget (bench/README.md, "Findings"). It pauses the event loop for tens of milliseconds, once per
 * large list. `collect` is for tests.
 */
export function collectAfterLargeLists(logger: Logger, collect: () => boolean = fullGc): (objects: number) => void {
  let timer: NodeJS.Timeout | undefined;
  return (objects) => {
    if (objects < MIN_OBJECTS) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const before = process.memoryUsage();
      const started = performance.now();
      if (!collect()) return;
      const after = process.memoryUsage();
      const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
      logger.info({
        pauseMs: Math.round(performance.now() - started),
        heapUsedMB: [mb(before.heapUsed), mb(after.heapUsed)],
        rssMB: [mb(before.rss), mb(after.rss)],
      }, 'collected the memory of large cache lists');
    }, DELAY_MS);
    timer.unref();
  };
}

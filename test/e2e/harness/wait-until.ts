/** Waiting for cluster components, failing fast (with their logs) when one dies. */
import type { ManagedProcess } from './managed-process.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How often {@link waitUntil} probes. */
const POLL_INTERVAL_MS = 250;

/**
 * Polls `probe` until it returns true. Fails fast when one of `watched` exits,
 * and on timeout; both errors carry the tail of every watched process' log.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  watched: ManagedProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const dead = watched.find((p) => !p.running);
    if (dead) throw new Error(`${what}: ${dead.describe()}\n${logTails(watched)}`);
    try {
      if (await probe()) return;
      lastError = '';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const last = lastError ? ` (last error: ${lastError})` : '';
      throw new Error(`${what}: not ready after ${timeoutMs} ms${last}\n${logTails(watched)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The last `lines` of each process' log, for error messages. */
export function logTails(processes: ManagedProcess[], lines = 30): string {
  return processes.map((p) => `--- ${p.describe()}; log ${p.logPath}:\n${p.excerpt(lines)}`).join('\n');
}

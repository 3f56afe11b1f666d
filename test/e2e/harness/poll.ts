/** Polling for end-to-end assertions on eventually-consistent cluster state. */

/** Options for {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
  /**
   * Called before each attempt; what it throws ends the polling at once, e.g.
   * `ControlPlane.assertRunning`. Errors from `probe` itself are retried.
   */
  guard?: () => void;
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than
 * undefined, and returns that. On timeout, throws with `what` and the last
 * error `probe` threw, if any.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 250, guard }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    guard?.();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Tuning of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay (default 1 s). */
  readonly initialMs?: number;
  /** Cap (default 30 s): also the period at which a missing Longhorn CRD is looked for again. */
  readonly maxMs?: number;
  /** Growth per failure (default 2). */
  readonly factor?: number;
  /** Fraction of the delay taken off at random (default 0.3), so reflectors that failed together do not retry together. */
  readonly jitter?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
}

/**
 * Capped exponential backoff with jitter taken below the nominal delay, so that a delay never exceeds `maxMs`:
 * the n-th consecutive failure waits in [d * (1 - jitter), d] with d = min(maxMs, initialMs * factor^(n-1)).
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.initialMs);
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(Math.max(options.jitter ?? 0.3, 0), 1);
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last {@link reset}. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next attempt, in milliseconds. */
  next(): number {
    // Cap the exponent too: factor^n overflows to Infinity after ~1000 failures of a long outage.
    const nominal = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.failures, 64));
    this.failures += 1;
    return Math.round(nominal * (1 - this.jitter * this.random()));
  }

  /** Forgets past failures (after a success). */
  reset(): void {
    this.failures = 0;
  }
}

// Latency samples in milliseconds, kept exactly (a growable Float64Array), and their percentiles.

/** Collects latency samples; `summary()` gives the percentiles the report prints. */
export class Latencies {
  #values = new Float64Array(1 << 16);
  #count = 0;

  /** Adds one sample (ms). */
  add(ms) {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  get count() {
    return this.#count;
  }

  /** p50, p90, p99, p99.9 and max in ms (nearest-rank), rounded to the microsecond; nulls when empty. */
  summary() {
    const n = this.#count;
    if (n === 0) return { samples: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
    const sorted = this.#values.slice(0, n).sort();
    const at = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
    const round = (ms) => Math.round(ms * 1000) / 1000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i];
    return {
      samples: n, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), p999: round(at(0.999)),
      max: round(sorted[n - 1]), mean: round(sum / n),
    };
  }
}

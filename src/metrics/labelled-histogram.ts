import type { ClosedLabel } from './closed-label.js';
import { LabelSpace } from './label-space.js';
import { familyHeader, formatValue, labelText, metricFamily, sampleLine, type MetricFamily } from './prometheus-text.js';

/**
 * A histogram over closed labels. Each observation increments one (non-cumulative) bucket and adds to the sum;
 * the cumulative `_bucket{le}` series, `+Inf`, `_sum` and `_count` are worked out when /metrics is scraped. A
 * series appears once it has an observation, as with prom-client.
 */
export class LabelledHistogram {
  readonly family: MetricFamily;
  private readonly space: LabelSpace;
  private readonly bounds: Float64Array;
  /** Buckets per series: one per bound plus the `+Inf` one. */
  private readonly width: number;
  /** `width` counts per series, each bucket counting only the observations that fell in it. */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;

  constructor(
    family: { readonly name: string; readonly help: string },
    labels: readonly ClosedLabel[],
    /** Upper bounds (inclusive), ascending and finite; `+Inf` is added. */
    bounds: readonly number[],
  ) {
    this.family = metricFamily(family.name, 'histogram', family.help);
    bounds.forEach((bound, index) => {
      if (!Number.isFinite(bound) || (index > 0 && bound <= bounds[index - 1]!)) throw new Error('histogram bounds must be finite and ascending');
    });
    this.space = new LabelSpace(labels);
    this.bounds = Float64Array.from(bounds);
    this.width = bounds.length + 1;
    this.counts = new Float64Array(this.space.size * this.width);
    this.sums = new Float64Array(this.space.size);
  }

  /** The slot of a label combination: each label's `indexOf`, in the order the labels were given. */
  slot(index0 = 0, index1 = 0, index2 = 0, index3 = 0): number {
    return this.space.slot(index0, index1, index2, index3);
  }

  /** Records one observation in the series at `slot`. */
  observe(slot: number, value: number): void {
    // A linear scan: with ten bounds and most reviews in the first few buckets it beats a binary search.
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[slot * this.width + bucket]!++;
    this.sums[slot]! += value;
  }

  /** The family's exposition text. */
  render(): string {
    const { name } = this.family;
    let text = familyHeader(this.family);
    for (let slot = 0; slot < this.sums.length; slot++) {
      const first = slot * this.width;
      let count = 0;
      for (let bucket = 0; bucket < this.width; bucket++) count += this.counts[first + bucket]!;
      if (count === 0) continue;
      const labels = this.space.labelsOf(slot);
      let cumulative = 0;
      for (let bucket = 0; bucket < this.width; bucket++) {
        cumulative += this.counts[first + bucket]!;
        const le = bucket < this.bounds.length ? formatValue(this.bounds[bucket]!) : '+Inf';
        text += sampleLine(`${name}_bucket`, labelText([...labels, ['le', le]]), cumulative);
      }
      const seriesLabels = labelText(labels);
      text += sampleLine(`${name}_sum`, seriesLabels, this.sums[slot]!);
      text += sampleLine(`${name}_count`, seriesLabels, count);
    }
    return text;
  }
}

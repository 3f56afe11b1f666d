import type { ClosedLabel } from './closed-label.js';
import { LabelSpace } from './label-space.js';
import { familyHeader, labelText, metricFamily, sampleLine, type MetricFamily } from './prometheus-text.js';

/**
 * A counter over closed labels, one number per label combination. Counting is an array increment; the text is
 * built only when /metrics is scraped. A series appears once it has been counted, or from the start when
 * {@link expose}d at 0: the main combinations are, so `rate()` and `absent()` alerts work before the first review,
 * without exporting every product of the label sets.
 */
export class LabelledCounter {
  readonly family: MetricFamily;
  private readonly space: LabelSpace;
  private readonly values: Float64Array;
  /** 1 where a series is exported even at 0. */
  private readonly exposed: Uint8Array;

  constructor(family: { readonly name: string; readonly help: string }, labels: readonly ClosedLabel[]) {
    this.family = metricFamily(family.name, 'counter', family.help);
    this.space = new LabelSpace(labels);
    this.values = new Float64Array(this.space.size);
    this.exposed = new Uint8Array(this.space.size);
  }

  /** Exports the series at `slot` from now on, at 0 until counted. */
  expose(slot: number): void {
    this.exposed[slot] = 1;
  }

  /** The slot of a label combination: each label's `indexOf`, in the order the labels were given. */
  slot(index0 = 0, index1 = 0, index2 = 0, index3 = 0): number {
    return this.space.slot(index0, index1, index2, index3);
  }

  /** Adds `amount` (positive: counters only go up) to the series at `slot`. */
  add(slot: number, amount = 1): void {
    this.values[slot]! += amount;
  }

  /** The family's exposition text. */
  render(): string {
    let text = familyHeader(this.family);
    for (let slot = 0; slot < this.values.length; slot++) {
      const value = this.values[slot]!;
      if (value !== 0 || this.exposed[slot] === 1) text += sampleLine(this.family.name, labelText(this.space.labelsOf(slot)), value);
    }
    return text;
  }
}

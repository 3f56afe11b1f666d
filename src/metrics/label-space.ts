import type { ClosedLabel } from './closed-label.js';
import { checkLabelName } from './prometheus-text.js';

/** The most labels a space takes: `slot` has one parameter per label so that recording allocates nothing. */
const MAX_LABELS = 4;

/**
 * Every combination of a metric's closed label values, each at a fixed slot of a flat array (the label indexes
 * combined like the indexes of a multi-dimensional array), so that recording a sample is arithmetic and an
 * array write: no label object, no string key, no allocation.
 */
export class LabelSpace {
  /** How many slots: the product of the labels' sizes. */
  readonly size: number;
  private readonly stride0: number;
  private readonly stride1: number;
  private readonly stride2: number;
  private readonly stride3: number;

  constructor(readonly labels: readonly ClosedLabel[]) {
    if (labels.length > MAX_LABELS) throw new Error(`at most ${MAX_LABELS} labels, got ${labels.length}`);
    for (const label of labels) checkLabelName(label.name);
    if (new Set(labels.map((label) => label.name)).size !== labels.length) throw new Error('duplicate label name');
    // Row-major: the last label varies fastest. Strides of absent labels stay 0, so their (default) indexes add nothing.
    const strides = [0, 0, 0, 0];
    let size = 1;
    for (let index = labels.length - 1; index >= 0; index--) {
      strides[index] = size;
      size *= labels[index]!.size;
    }
    this.size = size;
    [this.stride0, this.stride1, this.stride2, this.stride3] = strides as [number, number, number, number];
  }

  /** The slot of one combination, from each label's `indexOf`, in the order the labels were given. */
  slot(index0 = 0, index1 = 0, index2 = 0, index3 = 0): number {
    return index0 * this.stride0 + index1 * this.stride1 + index2 * this.stride2 + index3 * this.stride3;
  }

  /** The label names and values of a slot, for rendering. */
  labelsOf(slot: number): [name: string, value: string][] {
    const strides = [this.stride0, this.stride1, this.stride2, this.stride3];
    return this.labels.map((label, index) => {
      const stride = strides[index]!;
      return [label.name, label.values[Math.floor(slot / stride) % label.size]!];
    });
  }
}

/** The value every label value outside a closed set is counted under. */
export const OTHER_LABEL_VALUE = 'other';

/**
 * A label whose values form a closed set, each with a small index; anything else takes the index of `other`.
 * Every distinct label value is a series kept for the life of the process: without a closed set, a client posting
 * reviews with made-up (or megabyte-long) kinds would grow memory and /metrics without bound. The index lets a
 * metric keep its series in a flat number array instead of a map keyed by label strings.
 */
export class ClosedLabel {
  /** The known values in index order, then `other`. */
  readonly values: readonly string[];
  private readonly indexes: ReadonlyMap<string, number>;
  private readonly otherIndex: number;

  constructor(readonly name: string, known: readonly string[]) {
    this.values = Object.freeze([...new Set(known)].filter((value) => value !== OTHER_LABEL_VALUE).concat(OTHER_LABEL_VALUE));
    this.indexes = new Map(this.values.map((value, index) => [value, index]));
    this.otherIndex = this.values.length - 1;
  }

  /**
   * A label over every member of a string union, listed as the keys of a record so that the compiler rejects the
   * label when a member is added to the union and not here (it would be counted as `other`).
   */
  static ofUnion<T extends string>(name: string, members: Record<T, true>): ClosedLabel {
    return new ClosedLabel(name, Object.keys(members));
  }

  /** How many values, `other` included. */
  get size(): number {
    return this.values.length;
  }

  /** The index of `value`, or of `other` when it is not in the set. */
  indexOf(value: string): number {
    return this.indexes.get(value) ?? this.otherIndex;
  }
}

/**
 * Lets one full list run at a time across the reflectors that share the gate. A list page is a few MB of JSON
 * plus its parsed objects until the page is reduced to facts; four lists at once (the start-up case) quadruple
 * that transient peak, and V8 keeps a heap it once grew, so the peak becomes the process's lasting RSS.
 * Measured at 10k workspaces: ~40-60 MB of transient heap with four parallel lists.
 */
export class ListGate {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `task` after every task passed earlier has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

// Whether a stream is "full": the one place that decides it. An append refused as queue full makes it full; it
// stays full until an append started after that refusal succeeds, the unsent bytes fall below what they were at
// the refusal (something was delivered or dropped, which made room), or the queue is purged.

export class QueueFullTracker {
  /** Appends are numbered as they start; only one that started after the last refusal proves there is room. */
  private appendsStarted = 0;
  private refusedAppend = 0;
  /** Unsent bytes when the last append was refused; null when the queue is not full. */
  private fullAtUnsentBytes: number | null = null;

  /** A number for an append that starts now, to give to accepted() or refused(). */
  appendStarted(): number {
    return ++this.appendsStarted;
  }

  accepted(append: number): void {
    // An append accepted before the refusal (still being written when it came) says nothing about room now.
    if (append > this.refusedAppend) this.fullAtUnsentBytes = null;
  }

  refused(append: number, unsentBytes: number): void {
    this.refusedAppend = append;
    this.fullAtUnsentBytes = unsentBytes;
  }

  /** Purged: everything unsent is gone. */
  emptied(): void {
    this.fullAtUnsentBytes = null;
  }

  /** Full, given the unsent bytes now. */
  isFull(unsentBytes: number): boolean {
    if (this.fullAtUnsentBytes !== null && unsentBytes < this.fullAtUnsentBytes) this.fullAtUnsentBytes = null;
    return this.fullAtUnsentBytes !== null;
  }
}

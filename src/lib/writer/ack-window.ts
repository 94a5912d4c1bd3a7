// Acknowledgements of one generation: in queue order, only over an unbroken run of delivered batches, one
// durable ack for all that were delivered since the last. The send loop issues them after the read of the next
// batch: the queue runs its operations one at a time, and the next request should not wait for an ack's fsync.
// While batches go out back to back, acks (an fsync each) are spaced by ackIntervalMs; as soon as the writer
// waits for anything (no data, pause, backoff, stop) the send loop flushes what was delivered at once. A failed
// ack ends the generation (the records are then sent again).
import type { QueuePosition } from './batcher';
import type { WriterQueue } from './types';

/** A batch in the window: where the queue may be acknowledged to once it is delivered, and what settled so far. */
export class AckEntry {
  done = false;
  /** Lines (and bytes, each with its newline) of this batch delivered or dropped so far. */
  settledLines = 0;
  settledBytes = 0;

  constructor(
    readonly ackTo: QueuePosition | null,
    private readonly window: AckWindow,
  ) {}

  /** Lines of this batch that were delivered or dropped: the queue counts them as unsent until the ack. */
  settle(lines: number, bytes: number): void {
    this.settledLines += lines;
    this.settledBytes += bytes;
    this.window.settled(lines, bytes);
  }
}

export interface AckWindowOptions {
  intervalMs: number;
  now: () => number;
  /** Every ack is work of the generation, which must settle before the next one rewinds the queue. */
  track: (ack: Promise<void>) => void;
  /** After each ack: the queue's figures changed. */
  acked: () => void;
  /** An ack failed. */
  failed: (err: unknown) => void;
}

export class AckWindow {
  private readonly entries: AckEntry[] = [];
  private settledLines = 0;
  private settledBytes = 0;
  private lastAckAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private acking: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly queue: Pick<WriterQueue, 'ack'>,
    private readonly options: AckWindowOptions,
  ) {}

  /** Lines delivered (or dropped) that are not acknowledged yet, and their bytes. */
  get linesSettled(): number {
    return this.settledLines;
  }
  get bytesSettled(): number {
    return this.settledBytes;
  }

  /** A batch about to be delivered, at the end of the window. */
  open(ackTo: QueuePosition | null): AckEntry {
    const entry = new AckEntry(ackTo, this);
    this.entries.push(entry);
    return entry;
  }

  settled(lines: number, bytes: number): void {
    this.settledLines += lines;
    this.settledBytes += bytes;
  }

  /**
   * Acknowledges what was delivered: at once with `force`, otherwise no sooner than ackIntervalMs after the last
   * ack (a timer does it then). The ack itself runs after those before it, and after the caller's next read.
   */
  flush(force: boolean): void {
    if (this.closed || !this.entries.length || !this.entries[0].done) return;
    const due = this.lastAckAt + this.options.intervalMs - this.options.now();
    if (!force && due > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.flush(true);
        }, due);
        this.timer.unref();
      }
      return;
    }
    this.clearTimer();
    this.lastAckAt = this.options.now();
    this.acking = this.acking.then(() => this.ackDelivered()).catch((err: unknown) => this.options.failed(err));
    this.options.track(this.acking);
  }

  /** The last flush, then no more: resolves when every ack issued has settled. */
  async close(): Promise<void> {
    this.flush(true);
    this.closed = true;
    this.clearTimer();
    await this.acking;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async ackDelivered(): Promise<void> {
    // Up to the last delivered batch that ends a record; delivered batches after it (the first part of a record
    // bigger than a batch) wait for the batch that ends their record, and stay counted as settled until then.
    let last = -1;
    for (let i = 0; i < this.entries.length && this.entries[i].done; i++) if (this.entries[i].ackTo) last = i;
    if (last < 0) return;
    const acked = this.entries.splice(0, last + 1);
    // Uncounted before the queue's figures drop: for a moment the remaining figures may be too high, never too low.
    for (const entry of acked) {
      this.settledLines -= entry.settledLines;
      this.settledBytes -= entry.settledBytes;
    }
    await this.queue.ack(acked[last].ackTo as QueuePosition);
    // The queue figures (remaining bytes, oldest age) change only now: report them.
    this.options.acked();
  }
}

// One stream's figures, in one object: every reader (the replication list row, the node badge, output 1, the
// editor sidebar, the Prometheus endpoint) reads them here. Counts come as facts, each counted once: appends
// and refusals from the stream, drops from the queue's onDrop, answers, deliveries and non-retryable drops from
// the writer's events. What the queue's files hold now (bytes on disk, unsent, oldest unsent) is the queue's:
// read from its stats when asked, never counted here.
import type { EventEmitter } from 'events';
import { type DroppedRecords, OVERFLOW_REJECT, type OverflowPolicy, type QueueDropReason } from '../queue';
import type { WriterAnswer, WriterDelivered, WriterDiscarded } from '../writer/events';
import { QueueFullTracker } from './queue-full';

export type DropReason = QueueDropReason | 'non-retryable';
export const DROP_REASONS = ['non-retryable', 'age', 'queue-full', 'purge', 'corrupt'] as const satisfies readonly DropReason[];

/** Lines and their bytes, each line with its newline (as the writer counts them). */
export interface Amount {
  lines: number;
  bytes: number;
}

/** What the queue's files hold now (QueueStats has these). */
export interface QueueGauges {
  bytesOnDisk: number;
  unsentBytes: number;
  unsentLines: number;
  oldestUnsentEnqueuedAt: number | null;
}

export interface MetricsSnapshot {
  /** Appended to the queue. */
  queued: Amount;
  /** Appends refused because the queue was full (onQueueFull "reject"). */
  refused: Amount;
  /** Stored by the remote. */
  sent: Amount;
  /** Request bodies as sent (after gzip), of requests the remote answered. */
  wireBytes: number;
  /** Dropped, by reason ('queue-full': deleted under onQueueFull "drop-oldest"). */
  dropped: Record<DropReason, Amount>;
  requests: number;
  retries: number;
  /** Answers by HTTP status; 0 counts requests without an answer (network error, timeout). */
  responsesByCode: Record<string, number>;
  lastSuccessAt: number | null;
  full: boolean;
  queue: QueueGauges;
}

export class StreamMetrics {
  private readonly queued = zero();
  private readonly refused = zero();
  private readonly sent = zero();
  private wireBytes = 0;
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, zero()])) as Record<DropReason, Amount>;
  private requests = 0;
  private retries = 0;
  private responsesByCode: Record<string, number> = {};
  private lastSuccessAt: number | null = null;
  private readonly full = new QueueFullTracker();

  /** `gauges` reads the queue's stats; `policy` tells a refused append (reject) from a deleted one (drop-oldest). */
  constructor(
    private readonly gauges: () => QueueGauges,
    private readonly policy: OverflowPolicy,
  ) {}

  /** Counts the facts a StreamWriter emits. */
  watchWriter(writer: EventEmitter): void {
    writer.on('answer', (answer: WriterAnswer) => this.answered(answer));
    writer.on('delivered', (delivered: WriterDelivered) => this.delivered(delivered));
    writer.on('discarded', (discarded: WriterDiscarded) => add(this.dropped['non-retryable'], discarded));
  }

  // ---- facts from the stream and the queue ----

  /** An append starts: the number it returns goes to appended() or appendRefused(). */
  appendStarted(): number {
    return this.full.appendStarted();
  }

  /** `recordBytes` as the queue counts them (see lineBytesOfRecords). */
  appended(append: number, lines: number, recordBytes: number): void {
    add(this.queued, { lines, bytes: lineBytesOfRecords(recordBytes, 1) });
    this.full.accepted(append);
  }

  /** The queue refused the append as full (its lines and bytes come with the queue's drop report). */
  appendRefused(append: number): void {
    this.full.refused(append, this.gauges().unsentBytes);
  }

  /**
   * The queue's onDrop. Under "reject" a 'queue-full' report is a refused append, not a deletion: returns
   * 'refused' then, 'dropped' otherwise.
   */
  queueDropped(report: DroppedRecords): 'refused' | 'dropped' {
    const amount = { lines: report.lines, bytes: lineBytesOfRecords(report.bytes, report.records) };
    if (report.reason === 'queue-full' && this.policy === OVERFLOW_REJECT) {
      add(this.refused, amount);
      return 'refused';
    }
    add(this.dropped[report.reason], amount);
    return 'dropped';
  }

  purged(): void {
    this.full.emptied();
  }

  // ---- facts from the writer ----

  answered(answer: WriterAnswer): void {
    this.requests++;
    if (answer.retry) this.retries++;
    this.responsesByCode[answer.statusCode] = (this.responsesByCode[answer.statusCode] ?? 0) + 1;
    if (answer.statusCode > 0) this.wireBytes += answer.wireBytes;
  }

  delivered(delivered: WriterDelivered): void {
    add(this.sent, delivered);
    this.lastSuccessAt = delivered.at;
  }

  // ---- reading ----

  /** Copies, so that a caller keeping them does not see them change. */
  snapshot(): MetricsSnapshot {
    const queue = this.gauges();
    return {
      queued: { ...this.queued },
      refused: { ...this.refused },
      sent: { ...this.sent },
      wireBytes: this.wireBytes,
      dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, { ...this.dropped[reason] }])) as Record<DropReason, Amount>,
      requests: this.requests,
      retries: this.retries,
      responsesByCode: { ...this.responsesByCode },
      lastSuccessAt: this.lastSuccessAt,
      full: this.full.isFull(queue.unsentBytes),
      queue: {
        bytesOnDisk: queue.bytesOnDisk,
        unsentBytes: queue.unsentBytes,
        unsentLines: queue.unsentLines,
        oldestUnsentEnqueuedAt: queue.oldestUnsentEnqueuedAt,
      },
    };
  }
}

/** The queue counts a record's bytes without its last newline; here every line has one, as the writer counts. */
function lineBytesOfRecords(recordBytes: number, records: number): number {
  return recordBytes + records;
}

function zero(): Amount {
  return { lines: 0, bytes: 0 };
}

function add(target: Amount, amount: Amount): void {
  target.lines += amount.lines;
  target.bytes += amount.bytes;
}

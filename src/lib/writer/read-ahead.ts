// Batches ready to send: read from the queue, merged and encoded into request bodies, with the body buffers
// reused from batch to batch; and the few read ahead while requests are in flight.
import { Batcher, type Batch, type QueuePosition } from './batcher';
import { GzipEncoder } from './gzip-encoder';
import type { Generation } from './lifecycle';
import type { WriterQueue } from './types';

/** A batch ready to send: its request body, and what it stands for. */
export interface PreparedBatch {
  lines: number;
  /** Uncompressed. */
  bytes: number;
  ackTo: QueuePosition | null;
  encoded: Buffer;
  /** Without gzip: the buffer `encoded` was written into, to reuse once the batch is delivered. */
  plainBuffer?: Buffer;
}

/**
 * Batches read and encoded ahead of the requests in flight. One is not enough: now and then a read waits
 * behind an ack's fsync in the queue, and the next request would wait with it, leaving the remote idle. A few
 * hide that wait; each holds a request body in memory, so they stay few.
 */
export const PREPARED_AHEAD = 3;

export class BatchSource {
  private readonly batcher: Batcher;
  /**
   * With gzip, the uncompressed body is needed only until it is compressed, so one buffer serves every batch
   * (batches are prepared one after the other). Like the queue's reusable read buffer, this keeps a backlog drain
   * from making a batch's worth of short-lived memory outside the JS heap per batch, which made V8 run full
   * collections often.
   */
  private plainBody: Buffer | null = null;
  /**
   * Without gzip the uncompressed body is the request body, kept until its batch is delivered (it is sent
   * again on a retry): those buffers are reused afterwards, at most one per request in flight plus those
   * prepared ahead.
   */
  private spareBodies: Buffer[] = [];
  private readonly gzipEncoder = new GzipEncoder();

  constructor(
    private readonly queue: Pick<WriterQueue, 'readNext'>,
    private readonly settings: { maxBatchBytes: number; gzip: boolean; maxConcurrentRequests: number },
  ) {
    this.batcher = new Batcher(settings.maxBatchBytes);
  }

  /** A new generation reads from the last acknowledged record: what the batcher held is read again. */
  clear(): void {
    this.batcher.clear();
  }

  /** Nothing to send: the buffers kept for back-to-back batches go until the next batch. */
  release(): void {
    this.plainBody = null;
    this.spareBodies = [];
    this.gzipEncoder.release();
    this.batcher.releaseBuffers();
  }

  /**
   * A batch's requests are over (answered, failed or aborted): its body buffer may serve another batch. A server
   * that answers before it has read a whole body could still be sent the rest from it: bytes of a request
   * already answered.
   */
  recycle(plainBuffer: Buffer): void {
    if (this.spareBodies.length <= this.settings.maxConcurrentRequests + PREPARED_AHEAD) this.spareBodies.push(plainBuffer);
  }

  async prepare(): Promise<PreparedBatch | null> {
    const batch = await this.nextBatch();
    if (!batch) return null;
    const max = this.settings.maxBatchBytes;
    // Only the request body is kept: the batch's payloads are views of the queue's read buffer.
    if (!this.settings.gzip) {
      // Sent as it is (and again on a retry): a buffer no other batch uses until this one is delivered.
      let plainBuffer = this.spareBodies.pop();
      if (!plainBuffer || plainBuffer.length < batch.bytes) plainBuffer = Buffer.allocUnsafe(Math.max(batch.bytes, max));
      return { lines: batch.lines, bytes: batch.bytes, ackTo: batch.ackTo, encoded: batch.copyInto(plainBuffer), plainBuffer };
    }
    if (!this.plainBody || this.plainBody.length < batch.bytes) this.plainBody = Buffer.allocUnsafe(Math.max(batch.bytes, max));
    const encoded = await this.gzipEncoder.encode(batch.copyInto(this.plainBody));
    return { lines: batch.lines, bytes: batch.bytes, ackTo: batch.ackTo, encoded };
  }

  /** The next batch: full if the queue has enough, otherwise what there is; null when nothing is queued. */
  private async nextBatch(): Promise<Batch | null> {
    const max = this.settings.maxBatchBytes;
    for (;;) {
      if (this.batcher.hasFullBatch()) return this.batcher.take(false);
      const room = max - this.batcher.bufferedBytes - (this.batcher.isEmpty ? 0 : 1);
      // Nearly full: another read would add little and costs a turn of the queue (which may be busy acking).
      if (!this.batcher.isEmpty && room < max / 16) return this.batcher.take(true);
      // The queue may read into the buffer of the last read again: what the batcher still holds of it is copied
      // out first (earlier batches were copied into their bodies). Records over the batch size always leave a
      // rest behind, and a new read buffer for every batch made V8 run full collections often.
      this.batcher.ownPayloads();
      const records = await this.queue.readNext(Math.max(1, room), { reuseReadBuffer: true });
      if (records.length === 0) return this.batcher.take(true);
      this.batcher.add(records);
    }
  }
}

/**
 * The next batches of one generation, read and encoded while requests are in flight, in queue order: with one
 * request at a time this hides the queue read and gzip behind the network and the remote's work. Each starts
 * when the one before it has finished, and only if that one found a batch.
 */
export class ReadAhead {
  private readonly ahead: Array<Promise<PreparedBatch | null>> = [];

  constructor(
    private readonly source: BatchSource,
    private readonly generation: Generation,
  ) {}

  /** Starts reads until `count` are ahead. */
  fill(count: number): void {
    while (this.ahead.length < count) {
      const last = this.ahead[this.ahead.length - 1];
      const next = last ? last.then((batch) => (batch ? this.source.prepare() : null), () => null) : this.source.prepare();
      // Its failure is handled where it is awaited; until then it must not count as unhandled.
      next.catch(() => undefined);
      this.ahead.push(this.generation.track(next));
    }
  }

  /** The first batch read ahead, or null if none was (or it found nothing). */
  async take(): Promise<PreparedBatch | null> {
    const next = this.ahead.shift();
    return next ? await next : null;
  }

  /** Waits for the reads ahead and forgets them: stale once one found nothing (data may have come since). */
  async discard(): Promise<void> {
    await Promise.allSettled(this.ahead.splice(0));
  }

  /** Reads one batch now, as work of the generation. */
  readNow(): Promise<PreparedBatch | null> {
    return this.generation.track(this.source.prepare());
  }
}

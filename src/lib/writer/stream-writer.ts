// The send loop of one replication stream: read records from the queue, merge them into batches, send them,
// isolate bad lines by bisection, back off when the remote is unhappy, and acknowledge exactly what the remote
// accepted (or what was dropped as non-retryable, when the user allows that).
//
// This file is the public facade and the loop; its parts live beside it, one job each: lifecycle.ts (the
// writer's states and its generations, which own the queue's rewind), ack-window.ts (ordered acks),
// read-ahead.ts (batches read and encoded ahead), bad-lines.ts (isolating refused lines), waker.ts (waiting).
// It stays somewhat over 400 lines on purpose: what a request's outcome does to the writer's figures (attempt,
// succeeded, failed, refuse, partlyStored) sits next to those figures and getState(), which reads them.
import { EventEmitter } from 'events';
import { AckWindow, type AckEntry } from './ack-window';
import { backoffDelay } from './backoff';
import { LineIsolation, Proof } from './bad-lines';
import { Generations, WriterLifecycle, type Generation } from './lifecycle';
import type { Outcome } from './outcome';
import type { PartialWriteLines } from './partial-write';
import { BatchSource, PREPARED_AHEAD, ReadAhead, type PreparedBatch } from './read-ahead';
import { decodeBody, type RemoteClient, type WriteResult } from './remote-client';
import {
  Cancelled,
  chunkOf,
  lineBytes,
  settingsFrom,
  type Chunk,
  type Delivery,
  type Refusal,
  type Settings,
  type WriterOptions,
  type WriterQueue,
  type WriterState,
} from './types';
import { Waker } from './waker';
import type { WriterAnswer, WriterDelivered, WriterDiscarded } from './events';

export {
  DEFAULT_ACK_INTERVAL_MS,
  DEFAULT_MAX_BATCH_BYTES,
  MAX_CONCURRENT_REQUESTS,
  type NonRetryableDrop,
  type WriterOptions,
  type WriterQueue,
  type WriterState,
  type WriterStateName,
} from './types';
export { SERVER_ERRORS_BEFORE_SUSPECT } from './bad-lines';

/** A Retry-After longer than this (or than maxBackoffMs, if longer) is not believed. */
const MAX_RETRY_AFTER_MS = 3_600_000;

export class StreamWriter extends EventEmitter {
  private client: RemoteClient;
  private bucket: string;
  private readonly settings: Settings;
  private readonly lifecycle = new WriterLifecycle();
  private readonly generations: Generations;
  private readonly source: BatchSource;
  private readonly proof = new Proof(() => this.wake());
  private readonly waker = new Waker(() => this.proof.notify());
  private readonly isolation: LineIsolation;
  /** The acks of the current generation, with what it delivered that is not acknowledged yet. */
  private acks: AckWindow | null = null;

  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  /** No request starts before this time (ms epoch): the backoff that new data cannot bypass. */
  private retryAt = 0;
  /** Consecutive failed attempts, for the backoff exponent. */
  private failures = 0;

  private latestResponseCode: number | null = null;
  private latestErrorMessage = '';
  /** The answer that refused the kept lines (the latest such), shown while any are kept. */
  private blockingAnswer: Refusal | null = null;

  private readonly onAppended = (): void => this.wake();

  constructor(
    private readonly queue: WriterQueue,
    client: RemoteClient,
    bucket: string,
    options: WriterOptions = {},
  ) {
    super();
    this.client = client;
    this.bucket = bucket;
    this.settings = settingsFrom(options);
    this.generations = new Generations(queue);
    this.source = new BatchSource(queue, this.settings);
    this.isolation = new LineIsolation(
      {
        beforeAttempt: (gen) => this.beforeAttempt(gen),
        attempt: (chunk, signal, retry) => this.attempt(chunk, signal, retry),
        isCurrent: (gen) => this.isCurrent(gen),
        succeeded: (chunk, entry) => this.succeeded(chunk, entry),
        refuse: (lines, refusal, d) => this.refuse(lines, refusal, d),
        partlyStored: (lines, partial, statusCode, d) => this.partlyStored(lines, partial, statusCode, d),
        failed: (outcome, result) => this.failed(outcome, result),
        answering: (errorMessage) => this.answering(errorMessage),
        noteError: (errorMessage) => {
          this.latestErrorMessage = errorMessage;
        },
        changed: () => this.changed(),
      },
      this.proof,
    );
  }

  /** Begins sending whatever is queued, and whatever is appended later. */
  start(): void {
    if (!this.lifecycle.canStart) return;
    this.lifecycle.start();
    if (this.settings.startDelayMs > 0) this.retryAt = this.settings.now() + this.settings.startDelayMs;
    this.queue.on('appended', this.onAppended);
    this.loop = this.run();
  }

  pause(): void {
    if (this.lifecycle.paused) return;
    this.lifecycle.pause();
    this.changed();
  }

  resume(): void {
    if (!this.lifecycle.paused) return;
    this.lifecycle.resume();
    this.wake();
    this.changed();
  }

  /** Sends now, skipping the current backoff wait once. */
  flush(): void {
    this.retryAt = 0;
    this.wake();
  }

  /** A changed remote or bucket: the queue stays, unacknowledged records go to the new target. */
  retarget(client: RemoteClient, bucket: string): void {
    this.client = client;
    this.bucket = bucket;
    this.lifecycle.retarget();
    const old = this.abort;
    this.abort = new AbortController();
    old.abort();
    this.retryAt = 0;
    this.failures = 0;
    this.wake();
    this.changed();
  }

  /**
   * Stops sending: the request in flight may finish (and be acknowledged) within `timeoutMs`, then it is
   * abandoned. Records not acknowledged stay queued.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopping) return this.stopping;
    this.lifecycle.stop();
    this.queue.removeListener('appended', this.onAppended);
    this.wake();
    this.stopping = (async () => {
      if (this.loop) {
        const timer = setTimeout(() => this.abort.abort(), Math.max(0, timeoutMs));
        timer.unref();
        try {
          await this.loop;
        } finally {
          clearTimeout(timer);
        }
      }
      this.changed();
    })();
    return this.stopping;
  }

  getState(): WriterState {
    const now = this.settings.now();
    // Lines kept because the remote refused them block the stream until they go: other answers (a 204 for
    // the good half of their batch, a 503 meanwhile) must not hide which answer that is.
    const blockedBy = this.lifecycle.blockedBy();
    const shown = blockedBy === 'data' && this.blockingAnswer ? this.blockingAnswer : null;
    return {
      state: this.lifecycle.name(),
      blockedBy,
      latestResponseCode: shown ? shown.statusCode : this.latestResponseCode,
      latestErrorMessage: shown ? shown.errorMessage : this.latestErrorMessage,
      linesHeld: this.lifecycle.linesHeld,
      linesSettled: this.acks?.linesSettled ?? 0,
      bytesSettled: this.acks?.bytesSettled ?? 0,
      nextAttemptAt: this.retryAt > now ? this.retryAt : null,
    };
  }

  // ---- the send loop ----

  private async run(): Promise<void> {
    while (!this.lifecycle.stopped) {
      try {
        // Begins only once the previous generation's deliveries, reads and acks have settled; rewinds the queue.
        await this.runGeneration(await this.generations.begin(this.lifecycle.generation, this.abort.signal));
      } catch (err) {
        if (err instanceof Cancelled || this.lifecycle.stopped) continue;
        // The queue failed us (disk error, closed under us): report it and try again after a backoff.
        this.latestErrorMessage = `queue error: ${(err as Error)?.message ?? String(err)}`;
        this.lifecycle.failed('retryable');
        this.scheduleRetry(null);
        this.changed();
      }
    }
  }

  /** Sends until stopped or retargeted, from the last acknowledged record. */
  private async runGeneration(gen: Generation): Promise<void> {
    const s = this.settings;
    this.source.clear();
    // What was delivered but not acknowledged is read and sent again now: a new window counts from zero.
    const acks = new AckWindow(this.queue, {
      intervalMs: s.ackIntervalMs,
      now: s.now,
      track: (ack) => gen.track(ack),
      acked: () => this.changed(),
      failed: (err) => {
        gen.fail(err);
        this.wake();
      },
    });
    this.acks = acks;
    const ahead = new ReadAhead(this.source, gen);
    const running = new Set<Promise<void>>();
    try {
      while (this.isCurrent(gen.id)) {
        if (gen.failure) throw gen.failure;
        if (this.lifecycle.paused) {
          acks.flush(true);
          await this.waker.next(true);
          continue;
        }
        // A delivery waiting for proof sends nothing meanwhile: the next batch may go in its slot.
        if (running.size - this.proof.awaiting >= s.maxConcurrentRequests) {
          // Only while requests succeed: in an outage the batches would just wait in memory.
          if (this.lifecycle.failureKind === null && this.lifecycle.linesHeld === 0 && this.retryAt <= s.now()) ahead.fill(PREPARED_AHEAD);
          acks.flush(false);
          await Promise.race([...running, this.waker.next(true)]);
          continue;
        }
        const wait = this.retryAt - s.now();
        if (wait > 0) {
          acks.flush(true);
          await this.waker.sleep(wait);
          continue;
        }
        let next = await ahead.take();
        if (!next) {
          // A read ahead that found nothing is stale (data may have come since), and so are those after it.
          await ahead.discard();
          if (this.isCurrent(gen.id)) next = await ahead.readNow();
        }
        if (!this.isCurrent(gen.id)) break; // the batch is read again after the rewind of the next generation
        if (!next) {
          this.proof.idle();
          this.source.release();
          acks.flush(true);
          await (running.size ? Promise.race([...running, this.waker.next(true)]) : this.waker.next(true));
          continue;
        }
        running.add(this.startDelivery(next, gen, acks.open(next.ackTo), running));
      }
      if (gen.failure) throw gen.failure;
    } finally {
      // Deliveries (and reads) of this generation settle first, then their acks: only then may the next
      // generation rewind the queue, which Generations.begin() enforces by waiting for gen.end().
      await ahead.discard();
      await Promise.allSettled([...running]);
      await acks.close();
      await gen.end();
      this.source.release();
    }
  }

  /** Delivers one batch as work of the generation; its entry in the ack window is marked done when it is. */
  private startDelivery(batch: PreparedBatch, gen: Generation, entry: AckEntry, running: Set<Promise<void>>): Promise<void> {
    const delivery: Promise<void> = this.deliver(batch, { gen: gen.id, signal: gen.signal, drops: [], entry })
      .then(() => {
        entry.done = true;
      })
      .catch((err: unknown) => {
        if (!(err instanceof Cancelled)) gen.fail(err);
      })
      .finally(() => {
        running.delete(delivery);
        if (batch.plainBuffer) this.source.recycle(batch.plainBuffer);
        this.wake();
      });
    return gen.track(delivery);
  }

  /** Resolves when every line of the batch was accepted or dropped as non-retryable. */
  private async deliver(batch: PreparedBatch, d: Delivery): Promise<void> {
    if (batch.lines === 0 || batch.bytes === 0) return;
    const { encoded } = batch;
    const gzip = this.settings.gzip;
    // The text is needed only to bisect (a data error, a 413): decoded from the request body then.
    const source = { get body(): string { return decodeBody(encoded, gzip); } };
    let held = await this.isolation.sendChunk({ source, lines: batch.lines, bytes: batch.bytes, encoded }, d, false, null);
    if (held.length > 0) {
      // Bad lines we may not drop: only they are retried, with backoff, and the stream reports it is blocked by
      // data (with the answer that refused them) until they are accepted, or the queue is purged.
      let holding = held.length;
      this.lifecycle.hold(holding);
      try {
        for (let round = 0; held.length > 0; round++) {
          this.retryAt = this.settings.now() + backoffDelay(round, this.settings.initialBackoffMs, this.settings.maxBackoffMs, this.settings.random);
          this.changed();
          held = await this.isolation.sendChunk(chunkOf(held), d, true, null);
          this.lifecycle.release(holding - held.length);
          holding = held.length;
        }
      } finally {
        this.lifecycle.release(holding);
        if (this.lifecycle.linesHeld === 0) this.blockingAnswer = null;
        this.changed();
      }
    }
    for (const drop of d.drops) this.emit('dropped', drop);
  }

  /**
   * A partial write that names every refused line: the other lines are stored, so they count as delivered and are
   * never sent again; each refused line is dropped or kept with the remote's reason for it.
   */
  private partlyStored(lines: string[], partial: PartialWriteLines, statusCode: number, d: Delivery): string[] {
    const refused = new Map(partial.refused.map((line) => [line.lineNumber, line]));
    const stored = lines.filter((_, i) => !refused.has(i + 1));
    this.proof.countAnswered();
    const storedBytes = lineBytes(stored);
    d.entry.settle(stored.length, storedBytes);
    if (stored.length > 0) this.emit('delivered', { lines: stored.length, bytes: storedBytes, at: this.settings.now() } satisfies WriterDelivered);
    const held: string[] = [];
    for (const [lineNumber, line] of refused) {
      const errorMessage = line.message ? `${partial.message}: line ${lineNumber}: ${line.message}` : partial.message;
      held.push(...this.refuse([lines[lineNumber - 1]], { statusCode, errorMessage }, d));
    }
    this.changed();
    return held;
  }

  /** Single lines the remote refused for good: dropped when the user allows it, otherwise kept (returned). */
  private refuse(lines: string[], refusal: Refusal, d: Delivery): string[] {
    if (!this.settings.dropNonRetryableData) {
      this.blockingAnswer = refusal;
      return lines;
    }
    const bytes = lineBytes(lines);
    d.entry.settle(lines.length, bytes);
    this.emit('discarded', { lines: lines.length, bytes } satisfies WriterDiscarded);
    const last = d.drops[d.drops.length - 1];
    if (last && last.statusCode === refusal.statusCode && last.errorMessage === refusal.errorMessage) {
      last.lines.push(...lines);
      last.bytes += bytes;
    } else d.drops.push({ lines: [...lines], bytes, statusCode: refusal.statusCode, errorMessage: refusal.errorMessage });
    this.changed();
    return [];
  }

  /** Waits while paused and while backing off; throws Cancelled when the writer stops or changes target. */
  private async beforeAttempt(gen: number): Promise<void> {
    for (;;) {
      if (!this.isCurrent(gen)) throw new Cancelled();
      if (this.lifecycle.paused) {
        await this.waker.next(false);
        continue;
      }
      const wait = this.retryAt - this.settings.now();
      if (wait > 0) {
        await this.waker.sleep(wait);
        continue;
      }
      return;
    }
  }

  private async attempt(chunk: Chunk, signal: AbortSignal, retry: boolean): Promise<WriteResult> {
    this.lifecycle.requestStarted();
    let result: WriteResult;
    try {
      result = await this.client.write(this.bucket, chunk.encoded ?? chunk.source.body, {
        gzip: this.settings.gzip,
        encoded: chunk.encoded !== undefined,
        timeoutMs: this.settings.requestTimeoutMs,
        precision: 'ns',
        signal,
      });
    } finally {
      this.lifecycle.requestEnded();
    }
    if (!(result.statusCode === 0 && signal.aborted)) {
      this.latestResponseCode = result.statusCode;
      this.emit('answer', { statusCode: result.statusCode, wireBytes: result.bytesSent, retry } satisfies WriterAnswer);
    }
    return result;
  }

  private succeeded(chunk: Chunk, entry: AckEntry): void {
    this.proof.countAnswered();
    entry.settle(chunk.lines, chunk.bytes + 1);
    this.emit('delivered', { lines: chunk.lines, bytes: chunk.bytes + 1, at: this.settings.now() } satisfies WriterDelivered);
    this.latestErrorMessage = '';
    this.failures = 0;
    this.lifecycle.recovered();
    this.retryAt = 0;
    this.changed();
  }

  /** An answer that says nothing about the lines: waited out with backoff (or until the user acts). */
  private failed(outcome: Outcome, result: WriteResult): void {
    this.lifecycle.failed(outcome === 'config' ? 'config' : 'retryable');
    this.latestErrorMessage = result.errorMessage;
    this.scheduleRetry(result.retryAfterMs);
    this.changed();
  }

  /** The remote answers about the lines of a suspected chunk: it is not kept waiting by a backoff meanwhile. */
  private answering(errorMessage: string): void {
    this.failures = 0;
    this.retryAt = 0;
    this.latestErrorMessage = errorMessage;
    this.changed();
  }

  private scheduleRetry(retryAfterMs: number | null): void {
    const s = this.settings;
    const delay =
      retryAfterMs !== null
        ? Math.min(retryAfterMs, Math.max(s.maxBackoffMs, MAX_RETRY_AFTER_MS)) + (s.recoveryJitterMs > 0 ? Math.round(s.random() * s.recoveryJitterMs) : 0)
        : backoffDelay(this.failures, s.initialBackoffMs, s.maxBackoffMs, s.random);
    this.failures++;
    this.retryAt = Math.max(this.retryAt, s.now() + delay);
  }

  private isCurrent(gen: number): boolean {
    return this.lifecycle.isCurrent(gen);
  }

  /** Something happened (an append, a resume, a delivery that ended...): the loop and the waits look again. */
  private wake(): void {
    this.waker.wake();
  }

  private changed(): void {
    this.emit('change', this.getState());
  }
}

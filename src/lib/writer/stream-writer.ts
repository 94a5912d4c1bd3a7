// The send loop of one replication stream: read records from the queue, merge them into batches, send them,
// isolate bad lines by bisection, back off when the remote is unhappy, and acknowledge exactly what the remote
// accepted (or what was dropped as non-retryable, when the user allows that).
import { EventEmitter } from 'events';
import { Batcher, type Batch, type QueuePosition, type WriterRecord } from './batcher';
import { backoffDelay } from './backoff';
import { GzipEncoder } from './gzip-encoder';
import { classifyStatus } from './outcome';
import { parsePartialWrite, type PartialWriteLines } from './partial-write';
import { decodeBody, type RemoteClient, type WriteResult } from './remote-client';
import type { WriterAnswer, WriterDelivered, WriterDiscarded } from './events';

/** What the writer needs from a queue; `DurableQueue` has it, and unit tests use a small in-memory fake. */
export interface WriterQueue {
  /**
   * Records after the read cursor, advancing it; the first one even if it is bigger than maxBytes. With
   * `reuseReadBuffer` the writer says it holds none of the payloads it read before, so the queue may read
   * into the same buffer again.
   */
  readNext(maxBytes: number, options?: { reuseReadBuffer?: boolean }): Promise<WriterRecord[]>;
  /** Everything up to this position was delivered (or dropped on purpose). */
  ack(upTo: QueuePosition): Promise<void>;
  /** Read cursor back to the last acknowledged position. */
  rewind(): void;
  on(event: 'appended', listener: () => void): unknown;
  removeListener(event: 'appended', listener: () => void): unknown;
}

export interface WriterOptions {
  /** Uncompressed line protocol per request; default 500000 (as InfluxDB replication). */
  maxBatchBytes?: number;
  /** Default true. */
  gzip?: boolean;
  /** Drop lines the remote refuses as bad data (after isolating them); default false: keep retrying them. */
  dropNonRetryableData?: boolean;
  /** Default 1000. */
  initialBackoffMs?: number;
  /** Default 300000. */
  maxBackoffMs?: number;
  /** Default 30000. */
  requestTimeoutMs?: number;
  /** Default 1, which keeps order; up to 4 when order does not matter. */
  maxConcurrentRequests?: number;
  /** For jitter; injectable for tests. */
  random?: () => number;
  now?: () => number;
  /**
   * Least time between two acknowledgements while batches go out back to back (each ack is an fsync);
   * default 100. Whenever the writer waits, delivered records are acknowledged at once.
   */
  ackIntervalMs?: number;
  // Fleet (issue 17): a random delay in [0, recoveryJitterMs] is added to every Retry-After (the one wait that all
  // gateways of a quota get alike), and `startDelayMs` holds the first send back (a backlog at start-up).
  recoveryJitterMs?: number;
  startDelayMs?: number;
}

export type WriterStateName = 'idle' | 'sending' | 'retrying' | 'blocked' | 'paused' | 'stopped';

export interface WriterState {
  state: WriterStateName;
  /** Blocked by configuration errors (401/403/404) or by bad lines that are kept. */
  blockedBy: 'config' | 'data' | null;
  /**
   * 0 for a network error (or an answer that could not be read), null before the first request. While lines
   * the remote refused are kept (blocked by data), the answer that refused them, whatever came since.
   */
  latestResponseCode: number | null;
  /** The remote's error text (redacted), '' after a success; while blocked by data, the refusal's text. */
  latestErrorMessage: string;
  /** Lines the remote refused that are kept and retried (blocked by data). */
  linesHeld: number;
  /**
   * Lines delivered (or dropped) that the queue still counts as unsent: the rest of a record that cannot be
   * acknowledged yet because a line of it is held, or batches delivered ahead of one still in flight.
   */
  linesSettled: number;
  /** Their bytes, counted as the queue does (each line with its newline). */
  bytesSettled: number;
  nextAttemptAt: number | null;
}

export interface NonRetryableDrop {
  lines: string[];
  statusCode: number;
  errorMessage: string;
}

export const DEFAULT_MAX_BATCH_BYTES = 500_000;
export const MAX_CONCURRENT_REQUESTS = 4;
export const DEFAULT_ACK_INTERVAL_MS = 100;
/**
 * Batches read and encoded ahead of the requests in flight. Measured on a 64 MB drain to VictoriaMetrics (gzip
 * on, 4 drains each): with 1 the writer left the remote idle 36-68 ms in all between a response and the next
 * request (reads that waited behind an ack's fsync), with 3 it was 7-15 ms. They hold at most 3 request bodies.
 */
const PREPARED_AHEAD = 3;

/** A Retry-After longer than this (or than maxBackoffMs, if longer) is not believed. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Consecutive server errors (5xx but 503) on the same request body before the writer suspects the body itself:
 * a line that makes the remote fail (InfluxDB 1.6.7 panics with a 500 on some lines with exactly 100 tags).
 */
export const SERVER_ERRORS_BEFORE_SUSPECT = 3;
/**
 * Deliveries of a single suspected line that may wait, each freeing its request slot, while later batches go
 * out and show whether the remote is healthy. Bounds what a run of such lines holds in memory.
 */
const MAX_AWAITING_PROOF = 3;

type Settings = Required<WriterOptions>;
type FailureKind = 'retryable' | 'config';

/** Unwinds a delivery when the writer stops or changes target; never reported. */
class Cancelled extends Error {}

/** Unwinds the bisection of a suspected body: the remote failed every part tried, so it is down, not the lines. */
class Unproven extends Error {}

/**
 * The bisection of a body the remote keeps failing on (5xx) or answers unreadably: single lines that fail are
 * put aside until something else was accepted, which proves the remote is otherwise healthy.
 */
interface Suspicion {
  /** `answered` when the suspicion began. */
  mark: number;
  deferred: Array<{ line: string; refusal: Refusal }>;
}

interface Refusal {
  statusCode: number;
  errorMessage: string;
}

/** One batch being delivered, and what has become of its lines. */
interface Delivery {
  gen: number;
  signal: AbortSignal;
  drops: NonRetryableDrop[];
  entry: WindowEntry;
}

interface Chunk {
  /** The text, read only when it must be (a retry without `encoded`, a bisection): a whole batch makes it lazily. */
  source: { readonly body: string };
  lines: number;
  /** Uncompressed bytes of the text. */
  bytes: number;
  split?: string[];
  /** The request body, prepared while the previous request was in flight (whole batches only). */
  encoded?: Buffer;
}

/** A batch ready to send: its request body, and what it stands for. */
interface PreparedBatch {
  lines: number;
  /** Uncompressed. */
  bytes: number;
  ackTo: QueuePosition | null;
  encoded: Buffer;
  /** Without gzip: the buffer `encoded` was written into, to reuse once the batch is delivered. */
  plainBuffer?: Buffer;
}

interface WindowEntry {
  ackTo: QueuePosition | null;
  done: boolean;
  /** Lines (and bytes, each with its newline) of this batch delivered or dropped so far. */
  settledLines: number;
  settledBytes: number;
}

export class StreamWriter extends EventEmitter {
  private client: RemoteClient;
  private bucket: string;
  private readonly settings: Settings;
  private readonly batcher: Batcher;
  /**
   * With gzip, the uncompressed body is needed only until it is compressed, so one buffer serves every batch
   * (batches are prepared one after the other). Like the queue's reusable read buffer, this keeps a backlog drain
   * from making ~1 MB of short-lived memory outside the JS heap per batch, which made V8 run a full
   * collection every dozen batches or so.
   */
  private plainBody: Buffer | null = null;
  /**
   * Without gzip the uncompressed body is the request body, kept until its batch is delivered (it is sent
   * again on a retry): those buffers are reused afterwards, at most one per request in flight plus those
   * prepared ahead.
   */
  private spareBodies: Buffer[] = [];
  private readonly gzipEncoder = new GzipEncoder();

  private started = false;
  private stopped = false;
  private paused = false;
  /** Bumped by retarget(): deliveries of an older generation stop before their next attempt. */
  private generation = 0;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  private wakers: Array<() => void> = [];
  /** Something happened (an append, a resume...) since the send loop last looked. */
  private wakePending = false;

  /** No request starts before this time (ms epoch): the backoff that new data cannot bypass. */
  private retryAt = 0;
  /** Consecutive failed attempts, for the backoff exponent. */
  private failures = 0;
  private failureKind: FailureKind | null = null;
  private inflight = 0;

  private latestResponseCode: number | null = null;
  private latestErrorMessage = '';
  /**
   * Requests the remote accepted or refused as bad data (it read them and judged them): a suspected line is
   * judged only once the remote did that for something else.
   */
  private answered = 0;
  /** Refused lines kept by deliveries in progress; the stream is blocked by data while there are any. */
  private linesHeld = 0;
  /** The answer that refused the kept lines (the latest such), shown while any are kept. */
  private blockingAnswer: Refusal | null = null;
  private linesSettled = 0;
  private bytesSettled = 0;
  /** Deliveries of a single suspected line waiting for other batches to show the remote is healthy. */
  private awaitingProof = 0;
  private proofWaiters: Array<() => void> = [];
  /** Bumped when the send loop finds nothing more to send: no proof will come from other batches now. */
  private idleSignals = 0;

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
    this.settings = {
      maxBatchBytes: positive(options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES),
      gzip: options.gzip ?? true,
      dropNonRetryableData: options.dropNonRetryableData ?? false,
      initialBackoffMs: positive(options.initialBackoffMs, 1000),
      maxBackoffMs: positive(options.maxBackoffMs, 300_000),
      requestTimeoutMs: positive(options.requestTimeoutMs, 30_000),
      maxConcurrentRequests: Math.min(MAX_CONCURRENT_REQUESTS, Math.max(1, Math.floor(options.maxConcurrentRequests ?? 1))),
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      ackIntervalMs: Math.max(0, options.ackIntervalMs ?? DEFAULT_ACK_INTERVAL_MS),
      recoveryJitterMs: Math.max(0, options.recoveryJitterMs ?? 0),
      startDelayMs: Math.max(0, options.startDelayMs ?? 0),
    };
    this.batcher = new Batcher(this.settings.maxBatchBytes);
  }

  /** Begins sending whatever is queued, and whatever is appended later. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.settings.startDelayMs > 0) this.retryAt = this.settings.now() + this.settings.startDelayMs;
    this.queue.on('appended', this.onAppended);
    this.loop = this.run();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.changed();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
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
    this.generation++;
    const old = this.abort;
    this.abort = new AbortController();
    old.abort();
    this.retryAt = 0;
    this.failures = 0;
    this.failureKind = null;
    this.wake();
    this.changed();
  }

  /**
   * Stops sending: the request in flight may finish (and be acknowledged) within `timeoutMs`, then it is
   * abandoned. Records not acknowledged stay queued.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopped = true;
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
    const blockedBy = this.failureKind === 'config' ? 'config' : this.linesHeld > 0 ? 'data' : null;
    const shown = blockedBy === 'data' && this.blockingAnswer ? this.blockingAnswer : null;
    let state: WriterStateName;
    if (this.stopped) state = 'stopped';
    else if (this.paused) state = 'paused';
    else if (blockedBy) state = 'blocked';
    else if (this.failureKind === 'retryable') state = 'retrying';
    else if (this.inflight > 0) state = 'sending';
    else state = 'idle';
    return {
      state,
      blockedBy,
      latestResponseCode: shown ? shown.statusCode : this.latestResponseCode,
      latestErrorMessage: shown ? shown.errorMessage : this.latestErrorMessage,
      linesHeld: this.linesHeld,
      linesSettled: this.linesSettled,
      bytesSettled: this.bytesSettled,
      nextAttemptAt: this.retryAt > now ? this.retryAt : null,
    };
  }

  // ---- the send loop ----

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.runGeneration(this.generation);
      } catch (err) {
        if (err instanceof Cancelled || this.stopped) continue;
        // The queue failed us (disk error, closed under us): report it and try again after a backoff.
        this.latestErrorMessage = `queue error: ${(err as Error)?.message ?? String(err)}`;
        this.failureKind = 'retryable';
        this.scheduleRetry(null);
        this.changed();
      }
    }
  }

  /** Sends until stopped or retargeted. Starts from the last acknowledged record. */
  private async runGeneration(gen: number): Promise<void> {
    this.queue.rewind();
    this.batcher.clear();
    // What was delivered but not acknowledged is read and sent again now.
    this.linesSettled = 0;
    this.bytesSettled = 0;
    const window: WindowEntry[] = [];
    const running = new Set<Promise<void>>();
    let acking: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    // The next batches, read and encoded while requests are in flight, in queue order: with one request at a
    // time this hides the queue read and gzip behind the network and the remote's work. More than one, because
    // a read now and then waits behind an ack's fsync in the queue and would otherwise delay the next request.
    // Each starts when the one before it has finished, and only if that one found a batch.
    const ahead: Array<Promise<PreparedBatch | null>> = [];
    const readAhead = (): void => {
      const last = ahead[ahead.length - 1];
      const next = last ? last.then((batch) => (batch ? this.prepareBatch() : null), () => null) : this.prepareBatch();
      // Its failure is handled where it is awaited; until then it must not count as unhandled.
      next.catch(() => undefined);
      ahead.push(next);
    };
    const signal = this.abort.signal;
    // Acks go out in queue order, only over an unbroken run of delivered batches, one durable ack for all
    // that were delivered since the last. They are issued after the read of the next batch: the queue runs
    // its operations one at a time, and the next request should not wait for an ack's fsync. A failed ack
    // ends this generation (the records are then sent again).
    // While batches go out back to back, acks (an fsync each) are spaced by ackIntervalMs; as soon as the
    // writer waits for anything (no data, pause, backoff, stop) what was delivered is acknowledged at once.
    let lastAckAt = 0;
    let ackTimer: NodeJS.Timeout | null = null;
    const flushAcks = (force: boolean): void => {
      if (!window.length || !window[0].done) return;
      const due = lastAckAt + this.settings.ackIntervalMs - this.settings.now();
      if (!force && due > 0) {
        if (!ackTimer) {
          ackTimer = setTimeout(() => {
            ackTimer = null;
            flushAcks(true);
          }, due);
          ackTimer.unref();
        }
        return;
      }
      if (ackTimer) clearTimeout(ackTimer);
      ackTimer = null;
      lastAckAt = this.settings.now();
      acking = acking
        .then(() => this.ackDelivered(window))
        .catch((err: unknown) => {
          failure = failure ?? err;
          this.wake();
        });
    };
    try {
      while (this.isCurrent(gen)) {
        if (failure) throw failure;
        if (this.paused) {
          flushAcks(true);
          await this.nextWake(true);
          continue;
        }
        // A delivery waiting for proof sends nothing meanwhile: the next batch may go in its slot.
        if (running.size - this.awaitingProof >= this.settings.maxConcurrentRequests) {
          // Only while requests succeed: in an outage the batches would just wait in memory.
          if (this.failureKind === null && this.linesHeld === 0 && this.retryAt <= this.settings.now()) while (ahead.length < PREPARED_AHEAD) readAhead();
          flushAcks(false);
          await Promise.race([...running, this.nextWake(true)]);
          continue;
        }
        const wait = this.retryAt - this.settings.now();
        if (wait > 0) {
          flushAcks(true);
          await this.sleep(wait);
          continue;
        }
        let next = ahead.length ? await ahead.shift() : null;
        if (!next) {
          // A read ahead that found nothing is stale (data may have come since), and so are those after it.
          await Promise.allSettled(ahead.splice(0));
          if (this.isCurrent(gen)) next = await this.prepareBatch();
        }
        if (!this.isCurrent(gen)) break; // the batch is read again after the rewind of the next generation
        if (!next) {
          if (this.awaitingProof > 0) {
            this.idleSignals++;
            this.notifyAwaitingProof();
          }
          this.releaseBuffers();
          flushAcks(true);
          await (running.size ? Promise.race([...running, this.nextWake(true)]) : this.nextWake(true));
          continue;
        }
        const entry: WindowEntry = { ackTo: next.ackTo, done: false, settledLines: 0, settledBytes: 0 };
        window.push(entry);
        const delivery: Promise<void> = this.deliver(next, { gen, signal, drops: [], entry })
          .then(() => {
            entry.done = true;
          })
          .catch((err: unknown) => {
            if (!(err instanceof Cancelled)) failure = failure ?? err;
          })
          .finally(() => {
            running.delete(delivery);
            // Its requests are over (answered, failed or aborted). A server that answers before it has read a
            // whole body could still be sent the rest from this buffer: bytes of a request already answered.
            if (next.plainBuffer && this.spareBodies.length <= this.settings.maxConcurrentRequests + PREPARED_AHEAD) this.spareBodies.push(next.plainBuffer);
            this.wake();
          });
        running.add(delivery);
      }
      if (failure) throw failure;
    } finally {
      // Deliveries (and reads) of this generation must settle before the next one rewinds the queue.
      await Promise.allSettled(ahead.splice(0));
      await Promise.allSettled([...running]);
      flushAcks(true);
      if (ackTimer) clearTimeout(ackTimer);
      await acking.catch(() => undefined);
      this.releaseBuffers();
    }
  }

  /** Nothing to send: the buffers kept for back-to-back batches go until the next batch. */
  private releaseBuffers(): void {
    this.plainBody = null;
    this.spareBodies = [];
    this.gzipEncoder.release();
    this.batcher.releaseBuffers();
  }

  private async ackDelivered(window: WindowEntry[]): Promise<void> {
    // Up to the last delivered batch that ends a record; delivered batches after it (the first part of a record
    // bigger than a batch) wait for the batch that ends their record, and stay counted as settled until then.
    let last = -1;
    for (let i = 0; i < window.length && window[i].done; i++) if (window[i].ackTo) last = i;
    if (last < 0) return;
    const acked = window.splice(0, last + 1);
    // Uncounted before the queue's figures drop: for a moment the remaining figures may be too high, never too low.
    for (const entry of acked) {
      this.linesSettled -= entry.settledLines;
      this.bytesSettled -= entry.settledBytes;
    }
    await this.queue.ack(acked[last].ackTo as QueuePosition);
    // The queue figures (remaining bytes, oldest age) change only now: report them.
    this.changed();
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
      // rest behind, and a new read buffer for every batch made V8 run a full collection every few batches.
      this.batcher.ownPayloads();
      const records = await this.queue.readNext(Math.max(1, room), { reuseReadBuffer: true });
      if (records.length === 0) return this.batcher.take(true);
      this.batcher.add(records);
    }
  }

  private async prepareBatch(): Promise<PreparedBatch | null> {
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

  /** Resolves when every line of the batch was accepted or dropped as non-retryable. */
  private async deliver(batch: PreparedBatch, d: Delivery): Promise<void> {
    if (batch.lines === 0 || batch.bytes === 0) return;
    const { encoded } = batch;
    const gzip = this.settings.gzip;
    // The text is needed only to bisect (a data error, a 413): decoded from the request body then.
    const source = { get body(): string { return decodeBody(encoded, gzip); } };
    let held = await this.sendChunk({ source, lines: batch.lines, bytes: batch.bytes, encoded }, d, false, null);
    if (held.length > 0) {
      // Bad lines we may not drop: only they are retried, with backoff, and the stream reports it is blocked by
      // data (with the answer that refused them) until they are accepted, or the queue is purged.
      let holding = held.length;
      this.linesHeld += holding;
      try {
        for (let round = 0; held.length > 0; round++) {
          this.retryAt = this.settings.now() + backoffDelay(round, this.settings.initialBackoffMs, this.settings.maxBackoffMs, this.settings.random);
          this.changed();
          const body = held.join('\n');
          held = await this.sendChunk({ source: { body }, lines: held.length, bytes: Buffer.byteLength(body), split: held }, d, true, null);
          this.linesHeld -= holding - held.length;
          holding = held.length;
        }
      } finally {
        this.linesHeld -= holding;
        if (this.linesHeld === 0) this.blockingAnswer = null;
        this.changed();
      }
    }
    for (const drop of d.drops) this.emit('dropped', drop);
  }

  /**
   * Sends a chunk until the remote accepts it; on a data error or 413 the chunk is bisected. Returns the single
   * lines that the remote refused and that may not be dropped. A batch of n lines with k bad lines costs
   * O(k log n) requests.
   *
   * A chunk the remote keeps failing on with a server error (or answers unreadably) is suspected of holding a
   * line the remote cannot take: it is bisected too, and a single line that still fails is refused like a bad
   * line, but only once the remote accepted something else meanwhile. If nothing gets through, the remote is
   * down (or overloaded) for everything: the chunk is retried whole with backoff, and nothing is dropped.
   */
  private async sendChunk(chunk: Chunk, d: Delivery, retry: boolean, suspicion: Suspicion | null): Promise<string[]> {
    let serverErrors = 0;
    for (;;) {
      await this.beforeAttempt(d.gen);
      const result = await this.attempt(chunk, d.signal, retry);
      if (!this.isCurrent(d.gen) && result.statusCode === 0) throw new Cancelled();
      const outcome = classifyStatus(result.statusCode);
      if (outcome === 'ok') {
        this.succeeded(chunk, d.entry);
        return [];
      }
      let refusal: Refusal | null = null;
      if (outcome === 'too-large' || outcome === 'data') {
        // The remote read these lines and judged them: it is working, which a suspicion may need to know.
        this.countAnswered();
        refusal = { statusCode: result.statusCode, errorMessage: result.errorMessage };
      } else if (isSuspect(result)) {
        serverErrors++;
        if (suspicion) return this.suspectChunk(chunk, d, result, suspicion);
        if (result.unreadable || serverErrors >= SERVER_ERRORS_BEFORE_SUSPECT) {
          const held = await this.investigate(chunk, d, result);
          if (held) return held;
          serverErrors = 0;
        }
      } else {
        // A network error or a 503 says nothing about the lines: the count is of server errors in a row.
        serverErrors = 0;
      }
      if (!refusal) {
        this.failureKind = outcome === 'config' ? 'config' : 'retryable';
        this.latestErrorMessage = result.errorMessage;
        this.scheduleRetry(result.retryAfterMs);
        this.changed();
        retry = true;
        continue;
      }
      // 'too-large' or 'data': halve until the offending single lines are found.
      this.latestErrorMessage = refusal.errorMessage;
      const lines = chunk.split ?? chunk.source.body.split('\n');
      // Unless the remote said which lines it refused: then the others are stored (InfluxDB 3, accept_partial).
      const partial = outcome === 'data' ? parsePartialWrite(result.statusCode, result.body, lines.length) : null;
      if (partial?.kind === 'lines') return this.partlyStored(lines, partial, result.statusCode, d);
      if (lines.length > 1) {
        this.changed();
        return this.bisect(lines, d, suspicion);
      }
      return this.refuse(lines, refusal, d);
    }
  }

  /**
   * A partial write that names every refused line: the other lines are stored, so they count as delivered and are
   * never sent again; each refused line is dropped or kept with the remote's reason for it.
   */
  private partlyStored(lines: string[], partial: PartialWriteLines, statusCode: number, d: Delivery): string[] {
    const refused = new Map(partial.refused.map((line) => [line.lineNumber, line]));
    const stored = lines.filter((_, i) => !refused.has(i + 1));
    this.countAnswered();
    const storedBytes = stored.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    this.settle(d.entry, stored.length, storedBytes);
    if (stored.length > 0) this.emit('delivered', { lines: stored.length, bytes: storedBytes, at: this.settings.now() } satisfies WriterDelivered);
    const held: string[] = [];
    for (const [lineNumber, line] of refused) {
      const errorMessage = line.message ? `${partial.message}: line ${lineNumber}: ${line.message}` : partial.message;
      held.push(...this.refuse([lines[lineNumber - 1]], { statusCode, errorMessage }, d));
    }
    this.changed();
    return held;
  }

  private async bisect(lines: string[], d: Delivery, suspicion: Suspicion | null): Promise<string[]> {
    const mid = lines.length >> 1;
    const held: string[] = [];
    for (const part of [lines.slice(0, mid), lines.slice(mid)]) {
      const body = part.join('\n');
      held.push(...(await this.sendChunk({ source: { body }, lines: part.length, bytes: Buffer.byteLength(body), split: part }, d, false, suspicion)));
    }
    return held;
  }

  /**
   * A chunk the remote keeps failing on: bisects it to find the lines it fails on. Returns the lines kept
   * (refused and not dropped), or null when the remote accepted none of it: then it is down, not the lines.
   */
  private async investigate(chunk: Chunk, d: Delivery, result: WriteResult): Promise<string[] | null> {
    const suspicion: Suspicion = { mark: this.answered, deferred: [] };
    let held: string[];
    try {
      held = await this.suspectChunk(chunk, d, result, suspicion);
    } catch (err) {
      if (err instanceof Unproven) return null;
      throw err;
    }
    // Every line of the chunk failed (a batch of one line, common when messages come one at a time, or of two):
    // nothing in it can show that the remote is healthy, so later batches go out meanwhile to find out.
    if (this.answered === suspicion.mark && !(await this.awaitProof(d, suspicion.mark))) return null;
    // Something else got through: the remote is healthy, and the lines it failed on alone are the cause.
    for (const { line, refusal } of suspicion.deferred) held.push(...(await this.confirm(line, refusal, d)));
    return held;
  }

  /**
   * A line the remote failed on while it accepted others is sent alone again before it is refused, so that a
   * remote failing now and then is less likely to be taken for a bad line. Returns the line if it is kept.
   */
  private async confirm(line: string, refusal: Refusal, d: Delivery): Promise<string[]> {
    const chunk: Chunk = { source: { body: line }, lines: 1, bytes: Buffer.byteLength(line), split: [line] };
    let last = refusal;
    for (let failed = 1; failed < SERVER_ERRORS_BEFORE_SUSPECT; ) {
      await this.beforeAttempt(d.gen);
      const result = await this.attempt(chunk, d.signal, true);
      if (!this.isCurrent(d.gen) && result.statusCode === 0) throw new Cancelled();
      const outcome = classifyStatus(result.statusCode);
      if (outcome === 'ok') {
        this.succeeded(chunk, d.entry);
        return [];
      }
      if (isSuspect(result)) {
        failed++;
        last = describeSuspect(result);
      } else if (outcome === 'data' || outcome === 'too-large') {
        this.countAnswered();
        return this.refuse([line], { statusCode: result.statusCode, errorMessage: result.errorMessage }, d);
      } else {
        // Not an answer about the line (503, 429, no answer, 401...): the ordinary handling waits it out.
        this.failureKind = outcome === 'config' ? 'config' : 'retryable';
        this.latestErrorMessage = result.errorMessage;
        this.scheduleRetry(result.retryAfterMs);
        this.changed();
        return this.sendChunk(chunk, d, true, null);
      }
    }
    return this.refuse([line], last, d);
  }

  /**
   * Frees this delivery's request slot until another request is answered (true: the remote is healthy) or the
   * send loop has nothing else to send (false). In an outage it waits until the other batches get through,
   * and confirm() then sends its line again: nothing is judged while the remote fails everything.
   */
  private async awaitProof(d: Delivery, mark: number): Promise<boolean> {
    if (this.awaitingProof >= MAX_AWAITING_PROOF) return false;
    const idle = this.idleSignals;
    this.awaitingProof++;
    this.wake();
    try {
      while (this.answered === mark && this.idleSignals === idle) {
        if (!this.isCurrent(d.gen)) throw new Cancelled();
        await new Promise<void>((resolve) => this.proofWaiters.push(resolve));
      }
    } finally {
      this.awaitingProof--;
    }
    return this.answered > mark;
  }

  /** The remote read and judged a request (2xx, or a refusal of bad data): it is working. */
  private countAnswered(): void {
    this.answered++;
    this.notifyAwaitingProof();
  }

  private notifyAwaitingProof(): void {
    const waiters = this.proofWaiters;
    this.proofWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A suspected chunk failed again: halve it, or put a single line aside until it is judged. */
  private async suspectChunk(chunk: Chunk, d: Delivery, result: WriteResult, suspicion: Suspicion): Promise<string[]> {
    const lines = chunk.split ?? chunk.source.body.split('\n');
    if (lines.length === 1) {
      suspicion.deferred.push({ line: lines[0], refusal: describeSuspect(result) });
      return [];
    }
    // The remote is not kept waiting by a backoff while it answers: its answers are about these lines.
    this.failures = 0;
    this.retryAt = 0;
    this.latestErrorMessage = result.errorMessage;
    this.changed();
    const held = await this.bisect(lines, d, suspicion);
    // Both halves failed and nothing else got through since the suspicion began: an outage, or two bad lines side
    // by side. Two lines are not enough to tell; from four on, stop here rather than try every line of the batch
    // on a remote that fails everything.
    if (lines.length > 2 && this.answered === suspicion.mark) throw new Unproven();
    return held;
  }

  /** Single lines the remote refused for good: dropped when the user allows it, otherwise kept (returned). */
  private refuse(lines: string[], refusal: Refusal, d: Delivery): string[] {
    if (!this.settings.dropNonRetryableData) {
      this.blockingAnswer = refusal;
      return lines;
    }
    const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    this.settle(d.entry, lines.length, bytes);
    this.emit('discarded', { lines: lines.length, bytes } satisfies WriterDiscarded);
    const last = d.drops[d.drops.length - 1];
    if (last && last.statusCode === refusal.statusCode && last.errorMessage === refusal.errorMessage) last.lines.push(...lines);
    else d.drops.push({ lines: [...lines], statusCode: refusal.statusCode, errorMessage: refusal.errorMessage });
    this.changed();
    return [];
  }

  private settle(entry: WindowEntry, lines: number, bytes: number): void {
    entry.settledLines += lines;
    entry.settledBytes += bytes;
    this.linesSettled += lines;
    this.bytesSettled += bytes;
  }

  /** Waits while paused and while backing off; throws Cancelled when the writer stops or changes target. */
  private async beforeAttempt(gen: number): Promise<void> {
    for (;;) {
      if (!this.isCurrent(gen)) throw new Cancelled();
      if (this.paused) {
        await this.nextWake(false);
        continue;
      }
      const wait = this.retryAt - this.settings.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      return;
    }
  }

  private async attempt(chunk: Chunk, signal: AbortSignal, retry: boolean): Promise<WriteResult> {
    this.inflight++;
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
      this.inflight--;
    }
    if (!(result.statusCode === 0 && signal.aborted)) {
      this.latestResponseCode = result.statusCode;
      this.emit('answer', { statusCode: result.statusCode, wireBytes: result.bytesSent, retry } satisfies WriterAnswer);
    }
    return result;
  }

  private succeeded(chunk: Chunk, entry: WindowEntry): void {
    this.countAnswered();
    this.settle(entry, chunk.lines, chunk.bytes + 1);
    this.emit('delivered', { lines: chunk.lines, bytes: chunk.bytes + 1, at: this.settings.now() } satisfies WriterDelivered);
    this.latestErrorMessage = '';
    this.failures = 0;
    this.failureKind = null;
    this.retryAt = 0;
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

  // ---- waiting ----

  private isCurrent(gen: number): boolean {
    return !this.stopped && gen === this.generation;
  }

  private wake(): void {
    this.notifyAwaitingProof();
    this.wakePending = true;
    const wakers = this.wakers;
    this.wakers = [];
    for (const resolve of wakers) resolve();
  }

  /** Resolves on the next wake(); with `consume`, at once if one happened since the send loop last looked. */
  private nextWake(consume: boolean): Promise<void> {
    if (consume && this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakers.push(() => {
        if (consume) this.wakePending = false;
        resolve();
      });
    });
  }

  /** Sleeps up to `ms`, or less if woken (flush, stop, resume, retarget, an append). */
  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    try {
      await Promise.race([timeout, this.nextWake(false)]);
    } finally {
      clearTimeout(timer);
    }
  }

  private changed(): void {
    this.emit('change', this.getState());
  }
}

/**
 * A server error that may be caused by the lines sent: any 5xx but 503 (the remote saying it is unavailable)
 * and answers with a Retry-After (the remote saying when to come back), and an answer that could not be read.
 */
function isSuspect(result: WriteResult): boolean {
  if (result.unreadable) return true;
  return result.statusCode >= 500 && result.statusCode !== 503 && result.retryAfterMs === null;
}

/** What a line the remote fails on alone is refused with: its answer, and why it is taken as the line's fault. */
function describeSuspect(result: WriteResult): Refusal {
  const because = result.unreadable
    ? `${result.errorMessage}, for this line alone, while the remote accepts other lines`
    : `HTTP ${result.statusCode} for this line alone, while the remote accepts other lines: ${result.errorMessage}`;
  return { statusCode: result.statusCode, errorMessage: because };
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

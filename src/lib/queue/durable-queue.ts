// The queue's public face: opens the folder, serialises every file operation under one lock, and hands each
// call to the part that does it (Appender, QueueReader, SizePolicy, recover). See index.ts for the design.
import { EventEmitter } from 'events';
import * as fsp from 'fs/promises';
import { Appender } from './appender';
import { QueueClosedError } from './errors';
import { addTo, type DropCounter, type DroppedRecords, QueueFigures, type QueueDropReason, zeroCounter } from './figures';
import type { QueuePosition } from './position';
import { type QueueRecord, QueueReader, type ReadOptions } from './reader';
import { recover } from './recovery';
import { SegmentStore } from './segment-store';
import { type BoundsOptions, expiredThrough, SizePolicy } from './size-policy';

export interface QueueStats {
  bytesOnDisk: number;
  unsentBytes: number;
  unsentLines: number;
  unsentRecords: number;
  oldestUnsentEnqueuedAt: number | null;
  appended: DropCounter;
  acknowledged: DropCounter;
  dropped: Record<QueueDropReason, DropCounter>;
}

export interface QueueOptions extends BoundsOptions {
  dir: string;
  onDrop?: (dropped: DroppedRecords) => void;
  now?: () => number;
}

/** Emits 'appended' after each durable append batch. */
export class DurableQueue extends EventEmitter {
  readonly dir: string;
  private readonly policy: SizePolicy;
  private readonly now: () => number;
  private readonly store: SegmentStore;
  private readonly figures: QueueFigures;
  private readonly reader: QueueReader;
  private readonly appender: Appender;
  private lock: Promise<void> = Promise.resolve();
  /** No new appends (close() has begun). */
  private closing = false;
  /** Files released: every call but stats() fails. */
  private closed = false;

  private constructor(options: QueueOptions) {
    super();
    if (!options || typeof options.dir !== 'string' || options.dir === '') throw new TypeError('queue dir is required');
    this.policy = new SizePolicy(options);
    this.dir = options.dir;
    this.now = options.now ?? Date.now;
    this.store = new SegmentStore(this.dir);
    this.figures = new QueueFigures(options.onDrop);
    this.reader = new QueueReader(this.store, this.figures);
    this.appender = new Appender({
      store: this.store,
      policy: this.policy,
      figures: this.figures,
      reader: this.reader,
      now: this.now,
      exclusive: (fn) => this.exclusive(fn),
      isClosed: () => this.closed,
      appended: () => this.emit('appended'),
    });
  }

  /** Opens the queue in `options.dir`, recovering whatever a previous run left there. */
  static async open(options: QueueOptions): Promise<DurableQueue> {
    const queue = new DurableQueue(options);
    await fsp.mkdir(queue.dir, { recursive: true, mode: 0o700 });
    try {
      await recover(queue.store, queue.figures);
    } catch (err) {
      await queue.releaseHandles();
      throw err;
    }
    const reports = queue.figures.takeDeferredReports();
    if (reports.length > 0) setImmediate(() => reports.forEach((r) => queue.figures.report(r)));
    return queue;
  }

  /** White-box tests replace the slot writer to make an acknowledgement fail. */
  get ackSlots(): SegmentStore['ackSlots'] {
    return this.store.ackSlots;
  }

  /**
   * Resolves once the lines are durable (see index.ts for what that promises), with the bytes of the record
   * written: the lines joined by newlines, as the queue counts them.
   */
  append(lines: string[]): Promise<number> {
    if (this.closing) return Promise.reject(new QueueClosedError());
    if (!Array.isArray(lines)) return Promise.reject(new TypeError('append() takes an array of lines'));
    if (lines.length === 0) return Promise.resolve(0);
    return this.appender.append(lines);
  }

  readNext(maxBytes: number, options: ReadOptions = {}): Promise<QueueRecord[]> {
    return this.exclusive(async () => {
      this.assertOpen();
      await this.expireLocked();
      return this.reader.read(maxBytes, options);
    });
  }

  ack(upTo: QueuePosition): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (!upTo || !Number.isFinite(upTo.segment) || !Number.isFinite(upTo.offset)) throw new TypeError('ack() takes a queue position');
      await this.reader.ack(upTo);
    });
  }

  /** Reads again from the acknowledged position: whatever was handed out and not acked was not delivered. */
  rewind(): void {
    this.reader.rewind();
  }

  purge(): Promise<DroppedRecords> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (this.store.active().size > 0) await this.store.rollover();
      return this.reader.purgeAll();
    });
  }

  expire(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      await this.expireLocked();
    });
  }

  stats(): QueueStats {
    const unsent = zeroCounter();
    for (const s of this.store.segments) addTo(unsent, s.unsent.lines, s.unsent.bytes, s.unsent.records);
    // Dropped while out: no longer on disk, but not delivered nor counted as dropped yet either.
    let oldest = this.store.oldestUnsent;
    for (const r of this.reader.heldByWriter()) {
      addTo(unsent, r.lines, r.bytes, 1);
      if (oldest === null || r.enqueuedAt < oldest) oldest = r.enqueuedAt;
    }
    return {
      bytesOnDisk: this.store.diskBytes,
      unsentBytes: unsent.bytes,
      unsentLines: unsent.lines,
      unsentRecords: unsent.records,
      oldestUnsentEnqueuedAt: unsent.records > 0 ? oldest : null,
      ...this.figures.totals(),
    };
  }

  /** Waits for appends already accepted, then releases every file handle. */
  async close(): Promise<void> {
    this.closing = true;
    await this.appender.drain();
    await this.exclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.releaseHandles();
    });
  }

  /** Closes and removes the queue folder (the node was deleted). */
  async destroy(): Promise<void> {
    await this.close();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosedError();
  }

  private async releaseHandles(): Promise<void> {
    this.reader.releaseBuffer();
    await this.store.releaseHandles();
  }

  /** Drops unsent records enqueued more than maxAgeSeconds ago (by their own time, not the file's). */
  private async expireLocked(): Promise<void> {
    const oldest = this.store.oldestUnsent;
    if (oldest === null) return;
    const cutoff = this.policy.expiryCutoff(this.now);
    if (cutoff === null || oldest >= cutoff) return;
    await this.reader.dropThrough(await expiredThrough(this.store, cutoff), 'age');
  }
}

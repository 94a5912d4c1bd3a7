// Appending with group commit: append() frames the lines at once and waits in `pending`; one flush at a
// time takes every waiting frame that fits the active segment, writes them with one writev and one
// fdatasync, and only then resolves their promises. Admission and room follow the SizePolicy.
import type { FileHandle } from 'fs/promises';
import { QueueClosedError, QueueDiskError, QueueFullError } from './errors';
import { addTo, type QueueFigures } from './figures';
import type { QueuePosition } from './position';
import type { QueueReader } from './reader';
import { encodeLinesFrame, FRAME_HEADER_BYTES } from './record-format';
import type { SegmentStore } from './segment-store';
import type { SizePolicy } from './size-policy';

interface PendingAppend {
  frame: Buffer;
  lines: number;
  payloadBytes: number;
  enqueuedAt: number;
  resolve: (payloadBytes: number) => void;
  reject: (err: Error) => void;
}

/** What the appender needs from the queue that owns it. */
export interface AppenderHost {
  store: SegmentStore;
  policy: SizePolicy;
  figures: QueueFigures;
  reader: QueueReader;
  now: () => number;
  /** Runs `fn` under the queue's lock. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  isClosed(): boolean;
  /** After each durable batch. */
  appended(): void;
}

export class Appender {
  private pending: PendingAppend[] = [];
  /** Frame bytes accepted by append() but not yet on disk. */
  private unwrittenBytes = 0;
  private flushing: Promise<void> | null = null;

  constructor(private readonly host: AppenderHost) {}

  /**
   * Resolves once the lines are durable, with the record's payload bytes; rejects with QueueFullError,
   * QueueDiskError or QueueClosedError.
   */
  append(lines: string[]): Promise<number> {
    const { policy } = this.host;
    const enqueuedAt = this.host.now();
    const frame = encodeLinesFrame(lines, enqueuedAt);
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    if (policy.neverFits(frame.length)) {
      return Promise.reject(
        this.refuse(lines, payloadBytes, `queue full: a record of ${frame.length} bytes is bigger than maxQueueSizeBytes ${policy.maxQueueSizeBytes}`),
      );
    }
    const accepted = policy.acceptedBytes(this.host.store, this.unwrittenBytes);
    if (policy.refuses(accepted, frame.length)) {
      return Promise.reject(
        this.refuse(
          lines,
          payloadBytes,
          `queue full: ${accepted} bytes queued, appending ${frame.length} more would exceed maxQueueSizeBytes ${policy.maxQueueSizeBytes}`,
        ),
      );
    }
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ frame, lines: lines.length, payloadBytes, enqueuedAt, resolve, reject });
      this.unwrittenBytes += frame.length;
      this.startFlushing();
    });
  }

  /** Resolves when no flush is running (appends accepted before are settled). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Counts and reports a refused append; the caller rejects with the returned error. */
  private refuse(lines: string[], payloadBytes: number, message: string): QueueFullError {
    this.host.figures.drop({ reason: 'queue-full', records: 1, lines: lines.length, bytes: payloadBytes, data: [lines.join('\n')] });
    return new QueueFullError(message);
  }

  private startFlushing(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      try {
        while (this.pending.length > 0) await this.host.exclusive(() => this.flushBatch());
      } catch (err) {
        // flushBatch settles its own batch; anything escaping it must still not strand waiting appends.
        failBatch(this.pending.splice(0), new QueueDiskError('write', err));
        this.unwrittenBytes = 0;
      } finally {
        this.flushing = null;
      }
    })();
  }

  /** Writes and syncs every pending append that fits the current segment; never throws. */
  private async flushBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    if (this.host.isClosed()) {
      failBatch(this.pending.splice(0), new QueueClosedError());
      return;
    }
    const { store, policy, figures } = this.host;
    let active = store.active();
    const needRollover = active.size > 0 && active.size + this.pending[0].frame.length > policy.segmentMaxBytes;
    const segmentRoom = policy.segmentMaxBytes - (needRollover ? 0 : active.size);
    const queueRoom = policy.batchLimit();
    let take = 0;
    let bytes = 0;
    while (take < this.pending.length) {
      const len = this.pending[take].frame.length;
      if (take > 0 && (bytes + len > segmentRoom || bytes + len > queueRoom)) break;
      take++;
      bytes += len;
    }
    const batch = this.pending.splice(0, take);
    try {
      if (needRollover) await store.rollover();
      if (bytes > policy.freeRoom(store.diskBytes)) await this.makeRoom(bytes);
      try {
        await this.writeToActive(batch, bytes);
      } catch (err) {
        // A full disk while the active segment is wholly acknowledged (a drained queue keeps writing into
        // it): starting a new segment deletes that one, which frees its space for this batch.
        if (store.reclaimableBytes() === 0) throw err;
        await store.rollover();
        await this.writeToActive(batch, bytes);
      }
      active = store.active();
      active.size += bytes;
      store.diskBytes += bytes;
      for (const p of batch) {
        addTo(active.unsent, p.lines, p.payloadBytes, 1);
        addTo(figures.appended, p.lines, p.payloadBytes, 1);
        if (p.enqueuedAt > active.newestUnsentAt) active.newestUnsentAt = p.enqueuedAt;
        if (store.oldestUnsent === null) store.oldestUnsent = p.enqueuedAt;
      }
    } catch (err) {
      this.unwrittenBytes -= bytes;
      failBatch(batch, new QueueDiskError('write', err));
      return;
    }
    this.unwrittenBytes -= bytes;
    for (const p of batch) p.resolve(p.payloadBytes);
    this.host.appended();
  }

  /** Makes room for `bytes` more: frees a fully acknowledged active segment, then (drop-oldest) drops old ones. */
  private async makeRoom(bytes: number): Promise<void> {
    const { store, policy } = this.host;
    const active = store.active();
    const activeFullyAcked = store.reclaimableBytes() > 0;
    if (active.size > 0 && (activeFullyAcked || policy.mustLeaveActive(active.size, bytes))) await store.rollover();
    const count = policy.segmentsToDrop(store, bytes);
    if (count === 0) return;
    const target: QueuePosition = { segment: store.segments[count].id, offset: 0 };
    await this.host.reader.dropThrough(target, 'queue-full');
  }

  /** Appends the batch's frames to the active segment and syncs them; on failure the segment is as before. */
  private async writeToActive(batch: PendingAppend[], bytes: number): Promise<void> {
    const { store } = this.host;
    const active = store.active();
    const handle = store.writeHandle as FileHandle;
    const before = active.size;
    try {
      await writeFully(handle, batch.map((p) => p.frame), bytes);
      await handle.datasync();
    } catch (err) {
      // Cut off a partial write so the segment still ends on a frame boundary.
      await handle.truncate(before).catch(() => undefined);
      // If even that failed, later frames land after the leftover bytes: track the real length so their
      // positions stay right (readers then skip the leftover as damage).
      const actual = await handle.stat().then((st) => st.size, () => before);
      if (actual > before) {
        active.size = actual;
        store.diskBytes += actual - before;
      }
      throw err;
    }
  }
}

function failBatch(batch: PendingAppend[], err: Error): void {
  for (const p of batch) p.reject(err);
}

/** One writev for the whole batch, continuing if the kernel takes less than everything. */
async function writeFully(handle: FileHandle, buffers: Buffer[], total: number): Promise<void> {
  let written = (await handle.writev(buffers)).bytesWritten;
  while (written < total) {
    const rest = Buffer.concat(buffers).subarray(written);
    const { bytesWritten } = await handle.write(rest, 0, rest.length, null);
    if (bytesWritten === 0) throw new Error('short write');
    written += bytesWritten;
  }
}

// A durable, bounded, crash-safe queue of line protocol on local disk: one folder per stream, append-only
// segment files of checksummed frames, an acknowledged position kept in two preallocated slot files.
// Every operation that touches files runs under one lock; appends that arrive meanwhile wait in `pending`
// and are written and synced together by the next flush (group commit).
import { EventEmitter } from 'events';
import type { FileHandle } from 'fs/promises';
import * as fsp from 'fs/promises';
import { AckSlots, syncDirectory } from './ack-file';
import { comparePositions, type QueuePosition } from './position';
import { encodeLinesFrame, FRAME_HEADER_BYTES } from './record-format';
import { DEFAULT_SCAN_WINDOW_BYTES, listSegmentIds, type ScanItem, SegmentScanner, segmentPath } from './segment';

export const DEFAULT_MAX_QUEUE_SIZE_BYTES = 67108860;
export const MIN_MAX_QUEUE_SIZE_BYTES = 33554430;
export const DEFAULT_MAX_AGE_SECONDS = 604800;
export const DEFAULT_SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
/** The smallest bound the queue itself accepts (the node enforces MIN_MAX_QUEUE_SIZE_BYTES). */
export const QUEUE_SIZE_FLOOR_BYTES = 1024 * 1024;
/** Drop reports carry the dropped text only up to this much, so dropping a big backlog cannot flood memory. */
const MAX_REPORTED_DROP_DATA_BYTES = 8 * 1024 * 1024;

export type OverflowPolicy = 'reject' | 'drop-oldest';
export type QueueDropReason = 'age' | 'queue-full' | 'purge' | 'corrupt';

export interface QueueRecord {
  /**
   * The lines of one append as stored: UTF-8, joined with 0x0a (no trailing newline). A view of the read
   * buffer, which the queue reads into again only when the caller says it is done with it (reuseReadBuffer);
   * the writer copies it into request bodies as it is.
   */
  payload: Buffer;
  /** `payload` as text, decoded on each access (the writer's hot path never asks for it). */
  readonly data: string;
  lines: number;
  /** ms since epoch, when append() was called. */
  enqueuedAt: number;
  /** Position just after this record: ack(end) acknowledges it and all before it. */
  end: QueuePosition;
  /** Bytes of `payload`. */
  bytes: number;
}

export interface ReadOptions {
  /**
   * Says the caller holds no payload of its earlier reads made with this option any more, so the queue may
   * read into the same buffer again instead of a new one. One caller per queue (the stream's writer) uses
   * it; reads without it never touch that buffer.
   */
  reuseReadBuffer?: boolean;
}

export interface DroppedRecords {
  reason: QueueDropReason;
  records: number;
  lines: number;
  bytes: number;
  /** The dropped records' text, only when it had been read anyway. */
  data?: string[];
}

export interface DropCounter {
  lines: number;
  bytes: number;
  records: number;
}

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

export interface QueueOptions {
  dir: string;
  maxQueueSizeBytes?: number;
  maxAgeSeconds?: number;
  onQueueFull?: OverflowPolicy;
  segmentMaxBytes?: number;
  onDrop?: (dropped: DroppedRecords) => void;
  now?: () => number;
}

export class QueueFullError extends Error {
  readonly code = 'QUEUE_FULL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

interface Segment {
  id: number;
  /** Durable length: readers never look past it. */
  size: number;
  /** Records after the acknowledged position. */
  unsent: DropCounter;
  /** Newest enqueue time among unsent records: lets max age drop a whole segment without reading it. */
  newestUnsentAt: number;
}

interface PendingAppend {
  frame: Buffer;
  lines: number;
  payloadBytes: number;
  enqueuedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** What readNext hands out: the bytes as read, the text only if someone asks for it. */
class ReadRecord implements QueueRecord {
  constructor(
    readonly payload: Buffer,
    readonly lines: number,
    readonly enqueuedAt: number,
    readonly end: QueuePosition,
  ) {}

  get bytes(): number {
    return this.payload.length;
  }

  get data(): string {
    return this.payload.toString('utf8');
  }
}

/** A record handed out by readNext and not yet acknowledged: lets ack() count without rereading. */
interface InFlightRecord {
  segment: number;
  end: number;
  lines: number;
  bytes: number;
  enqueuedAt: number;
}

/**
 * A handed-out record whose segment a drop (queue full, max age) deleted. The writer may still deliver it
 * from memory, so it is neither dropped nor acknowledged yet: an ack at or past its end means it arrived,
 * a rewind means its send failed and it is dropped then.
 */
interface DroppedInFlightRecord extends InFlightRecord {
  reason: 'queue-full' | 'age';
  /** Its text for the drop report, when the drop had read it. */
  data?: string;
}

/** What moving the acknowledged position covered. */
interface Covered {
  /** Records counted now (acknowledged or dropped, as the caller decides). */
  removed: DropCounter;
  /** Handed-out records of a drop, to settle later (empty when acknowledging). */
  held: InFlightRecord[];
}

/** A record's text and end, read for a drop report. */
interface CollectedRecord {
  end: QueuePosition;
  data: string;
}

function positionKey(segment: number, offset: number): string {
  return `${segment}:${offset}`;
}

function zeroCounter(): DropCounter {
  return { lines: 0, bytes: 0, records: 0 };
}

function addTo(target: DropCounter, lines: number, bytes: number, records: number): void {
  target.lines += lines;
  target.bytes += bytes;
  target.records += records;
}

function subtractFrom(target: DropCounter, lines: number, bytes: number, records: number): void {
  target.lines = Math.max(0, target.lines - lines);
  target.bytes = Math.max(0, target.bytes - bytes);
  target.records = Math.max(0, target.records - records);
}

function laterOf(a: QueuePosition, b: QueuePosition): QueuePosition {
  return comparePositions(a, b) >= 0 ? a : b;
}

/** Attaches the dropped text when it was read and matches the count. */
function withData(dropped: DroppedRecords, data: string[] | undefined): DroppedRecords {
  return data && data.length === dropped.records ? { ...dropped, data } : dropped;
}

function describeDiskError(action: string, err: unknown): Error {
  const cause = err as NodeJS.ErrnoException;
  const wrapped = new Error(`queue ${action} failed: ${cause?.message ?? String(err)}`) as NodeJS.ErrnoException;
  if (cause?.code) wrapped.code = cause.code;
  (wrapped as Error & { cause?: unknown }).cause = err;
  return wrapped;
}

/**
 * The file window of one readNext: about what it will return, so that a 500 kB batch is one read call
 * instead of eight 64 kB ones (each a trip through libuv's thread pool). Never below the scanner's default,
 * and capped so that a huge maxBytes cannot make one allocation of that size.
 */
function readWindowBytes(maxBytes: number): number {
  const wanted = Number.isFinite(maxBytes) ? Math.ceil(maxBytes * 1.25) + READ_WINDOW_SLACK_BYTES : MAX_READ_WINDOW_BYTES;
  return Math.min(MAX_READ_WINDOW_BYTES, Math.max(DEFAULT_SCAN_WINDOW_BYTES, wanted));
}

/** With the 25% above: frame headers (24 bytes a record, a lot for one-line records) and the next record's header. */
const READ_WINDOW_SLACK_BYTES = 16 * 1024;
const MAX_READ_WINDOW_BYTES = 4 * 1024 * 1024;

/** Emits 'appended' after each durable append batch. */
export class DurableQueue extends EventEmitter {
  readonly dir: string;
  private readonly maxQueueSizeBytes: number;
  private readonly maxAgeSeconds: number;
  private readonly policy: OverflowPolicy;
  private readonly segmentMaxBytes: number;
  private readonly onDrop?: (dropped: DroppedRecords) => void;
  private readonly now: () => number;

  private segments: Segment[] = [];
  private writeHandle: FileHandle | null = null;
  private readonly readHandles = new Map<number, FileHandle>();
  /**
   * The buffer of readNext calls with reuseReadBuffer: a writer draining a backlog would otherwise make a
   * new 600 kB buffer for every batch, and that much short-lived memory outside the JS heap makes V8 run
   * full collections (about ten in a 64 MB drain before, with the writer's other buffers).
   */
  private readBuffer: Buffer | null = null;
  private diskBytes = 0;
  private ackPosition: QueuePosition = { segment: 1, offset: 0 };
  private readCursor: QueuePosition = { segment: 1, offset: 0 };
  private inFlight: InFlightRecord[] = [];
  private droppedInFlight: DroppedInFlightRecord[] = [];
  /** Bumped by rewind(): a drop that raced with one must not hold records the writer has let go. */
  private rewinds = 0;
  private ackSlots: AckSlots | null = null;
  private oldestUnsent: number | null = null;
  /** Damage already counted, keyed "segment:offset", so rereading it is not counted twice. */
  private readonly knownCorruption = new Set<string>();

  private pending: PendingAppend[] = [];
  /** Frame bytes accepted by append() but not yet on disk. */
  private unwrittenBytes = 0;
  private flushing: Promise<void> | null = null;
  private lock: Promise<void> = Promise.resolve();
  private closing = false;
  private closed = false;
  /** Drops found during open are reported once the caller holds the queue. */
  private deferredReports: DroppedRecords[] | null = [];

  private readonly appended = zeroCounter();
  private readonly acknowledged = zeroCounter();
  private readonly dropped: Record<QueueDropReason, DropCounter> = {
    age: zeroCounter(),
    'queue-full': zeroCounter(),
    purge: zeroCounter(),
    corrupt: zeroCounter(),
  };

  private constructor(options: QueueOptions) {
    super();
    if (!options || typeof options.dir !== 'string' || options.dir === '') throw new TypeError('queue dir is required');
    const maxQueue = options.maxQueueSizeBytes ?? DEFAULT_MAX_QUEUE_SIZE_BYTES;
    if (!Number.isFinite(maxQueue) || maxQueue < QUEUE_SIZE_FLOOR_BYTES) {
      throw new RangeError(`maxQueueSizeBytes must be at least ${QUEUE_SIZE_FLOOR_BYTES}, got ${maxQueue}`);
    }
    const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
    if (!Number.isFinite(maxAge) || maxAge < 0) throw new RangeError(`maxAgeSeconds must be 0 or more, got ${maxAge}`);
    const policy = options.onQueueFull ?? 'reject';
    if (policy !== 'reject' && policy !== 'drop-oldest') throw new RangeError(`unknown onQueueFull policy ${String(policy)}`);
    const segmentMax = options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES;
    if (!Number.isFinite(segmentMax) || segmentMax < 1024) throw new RangeError(`segmentMaxBytes must be at least 1024, got ${segmentMax}`);
    this.dir = options.dir;
    this.maxQueueSizeBytes = maxQueue;
    this.maxAgeSeconds = maxAge;
    this.policy = policy;
    this.segmentMaxBytes = segmentMax;
    this.onDrop = options.onDrop;
    this.now = options.now ?? Date.now;
  }

  /** Opens the queue in `options.dir`, recovering whatever a previous run left there. */
  static async open(options: QueueOptions): Promise<DurableQueue> {
    const queue = new DurableQueue(options);
    await fsp.mkdir(queue.dir, { recursive: true, mode: 0o700 });
    try {
      await queue.recover();
    } catch (err) {
      await queue.releaseHandles();
      throw err;
    }
    const reports = queue.deferredReports ?? [];
    queue.deferredReports = null;
    if (reports.length > 0) setImmediate(() => reports.forEach((r) => queue.report(r)));
    return queue;
  }

  // ---------------------------------------------------------------- appending

  append(lines: string[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('queue is closed'));
    if (!Array.isArray(lines)) return Promise.reject(new TypeError('append() takes an array of lines'));
    if (lines.length === 0) return Promise.resolve();
    const enqueuedAt = this.now();
    const frame = encodeLinesFrame(lines, enqueuedAt);
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    if (frame.length > this.maxQueueSizeBytes) {
      return Promise.reject(
        this.refuse(lines, payloadBytes, `queue full: a record of ${frame.length} bytes is bigger than maxQueueSizeBytes ${this.maxQueueSizeBytes}`),
      );
    }
    if (this.policy === 'reject') {
      const projected = this.diskBytes - this.reclaimableBytes() + this.unwrittenBytes + frame.length;
      if (projected > this.maxQueueSizeBytes) {
        return Promise.reject(
          this.refuse(
            lines,
            payloadBytes,
            `queue full: ${this.diskBytes + this.unwrittenBytes} bytes queued, appending ${frame.length} more would exceed maxQueueSizeBytes ${this.maxQueueSizeBytes}`,
          ),
        );
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame, lines: lines.length, payloadBytes, enqueuedAt, resolve, reject });
      this.unwrittenBytes += frame.length;
      this.startFlushing();
    });
  }

  /** Counts and reports a refused append; the caller rejects with the returned error. */
  private refuse(lines: string[], payloadBytes: number, message: string): QueueFullError {
    addTo(this.dropped['queue-full'], lines.length, payloadBytes, 1);
    this.report({ reason: 'queue-full', records: 1, lines: lines.length, bytes: payloadBytes, data: [lines.join('\n')] });
    return new QueueFullError(message);
  }

  /** Acknowledged bytes a rollover would free right away: the active segment when it is fully acknowledged. */
  private reclaimableBytes(): number {
    const active = this.active();
    return this.ackPosition.segment === active.id && this.ackPosition.offset >= active.size ? active.size : 0;
  }

  private startFlushing(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      try {
        while (this.pending.length > 0) await this.exclusive(() => this.flushBatch());
      } catch (err) {
        // flushBatch settles its own batch; anything escaping it must still not strand waiting appends.
        this.failBatch(this.pending.splice(0), describeDiskError('write', err));
        this.unwrittenBytes = 0;
      } finally {
        this.flushing = null;
      }
    })();
  }

  /** Writes and syncs every pending append that fits the current segment; never throws. */
  private async flushBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    if (this.closed) {
      this.failBatch(this.pending.splice(0), new Error('queue is closed'));
      return;
    }
    let active = this.active();
    const needRollover = active.size > 0 && active.size + this.pending[0].frame.length > this.segmentMaxBytes;
    const segmentRoom = this.segmentMaxBytes - (needRollover ? 0 : active.size);
    const queueRoom = this.policy === 'drop-oldest' ? this.maxQueueSizeBytes : Infinity;
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
      if (needRollover) await this.rollover();
      if (this.diskBytes + bytes > this.maxQueueSizeBytes) await this.makeRoom(bytes);
      try {
        await this.writeToActive(batch, bytes);
      } catch (err) {
        // A full disk while the active segment is wholly acknowledged (a drained queue keeps writing into
        // it): starting a new segment deletes that one, which frees its space for this batch.
        if (this.reclaimableBytes() === 0) throw err;
        await this.rollover();
        await this.writeToActive(batch, bytes);
      }
      active = this.active();
      active.size += bytes;
      this.diskBytes += bytes;
      for (const p of batch) {
        addTo(active.unsent, p.lines, p.payloadBytes, 1);
        addTo(this.appended, p.lines, p.payloadBytes, 1);
        if (p.enqueuedAt > active.newestUnsentAt) active.newestUnsentAt = p.enqueuedAt;
        if (this.oldestUnsent === null) this.oldestUnsent = p.enqueuedAt;
      }
    } catch (err) {
      this.unwrittenBytes -= bytes;
      this.failBatch(batch, describeDiskError('write', err));
      return;
    }
    this.unwrittenBytes -= bytes;
    for (const p of batch) p.resolve();
    this.emit('appended');
  }

  /** Appends the batch's frames to the active segment and syncs them; on failure the segment is as before. */
  private async writeToActive(batch: PendingAppend[], bytes: number): Promise<void> {
    const active = this.active();
    const handle = this.writeHandle as FileHandle;
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
        this.diskBytes += actual - before;
      }
      throw err;
    }
  }

  private failBatch(batch: PendingAppend[], err: Error): void {
    for (const p of batch) p.reject(err);
  }

  /** Makes room for `bytes` more: frees a fully acknowledged active segment, then (drop-oldest) drops old ones. */
  private async makeRoom(bytes: number): Promise<void> {
    const active = this.active();
    const activeFullyAcked = this.reclaimableBytes() > 0;
    const mustLeaveActive = this.policy === 'drop-oldest' && active.size + bytes > this.maxQueueSizeBytes;
    if (active.size > 0 && (activeFullyAcked || mustLeaveActive)) await this.rollover();
    if (this.policy !== 'drop-oldest' || this.diskBytes + bytes <= this.maxQueueSizeBytes) return;

    let freed = 0;
    let count = 0;
    const last = this.segments.length - 1;
    while (count < last && this.diskBytes - freed + bytes > this.maxQueueSizeBytes) {
      freed += this.segments[count].size;
      count++;
    }
    if (count === 0) return;
    const target: QueuePosition = { segment: this.segments[count].id, offset: 0 };
    const collected = await this.collectData(this.ackPosition, target);
    const covered = await this.acknowledgeThrough(target, 'hold');
    this.settleDrop('queue-full', covered, collected);
  }

  /**
   * Counts and reports a drop of whole records: those never handed out are dropped now; those handed out
   * are held in droppedInFlight until the writer acks them (delivered) or rewinds (dropped then).
   */
  private settleDrop(reason: 'queue-full' | 'age', covered: Covered, collected: CollectedRecord[] | undefined): void {
    const texts = new Map<string, string>();
    for (const r of collected ?? []) texts.set(positionKey(r.end.segment, r.end.offset), r.data);
    const heldKeys = new Set<string>();
    for (const r of covered.held) {
      const key = positionKey(r.segment, r.end);
      heldKeys.add(key);
      this.droppedInFlight.push({ ...r, reason, data: texts.get(key) });
    }
    const { removed } = covered;
    if (removed.records === 0) return;
    addTo(this.dropped[reason], removed.lines, removed.bytes, removed.records);
    const data = collected?.filter((r) => !heldKeys.has(positionKey(r.end.segment, r.end.offset))).map((r) => r.data);
    this.report(withData({ reason, ...removed }, data));
  }

  private async rollover(): Promise<void> {
    const previous = this.active();
    const id = previous.id + 1;
    const handle = await fsp.open(segmentPath(this.dir, id), 'a', 0o600);
    try {
      await syncDirectory(this.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    const old = this.writeHandle;
    this.writeHandle = handle;
    this.segments.push({ id, size: 0, unsent: zeroCounter(), newestUnsentAt: -Infinity });
    await old?.close().catch(() => undefined);
    await this.removeAcknowledgedSegments();
  }

  // ---------------------------------------------------------------- reading and acknowledging

  readNext(maxBytes: number, options: ReadOptions = {}): Promise<QueueRecord[]> {
    return this.exclusive(async () => {
      this.assertOpen();
      await this.expireLocked();
      const out: QueueRecord[] = [];
      const reports: DroppedRecords[] = [];
      let total = 0;
      let cursor = laterOf(this.readCursor, this.ackPosition);
      let index = this.segments.findIndex((s) => s.id >= cursor.segment);
      if (index === -1) return out;
      if (this.segments[index].id !== cursor.segment) cursor = { segment: this.segments[index].id, offset: 0 };
      const windowBytes = readWindowBytes(maxBytes);
      // Only the first segment's scanner reads into the reusable buffer: records of the first are views of it.
      let lend: Buffer | undefined;
      if (options.reuseReadBuffer) {
        if (!this.readBuffer || this.readBuffer.length < windowBytes) this.readBuffer = Buffer.allocUnsafe(windowBytes);
        lend = this.readBuffer;
      }
      reading: for (;;) {
        const segment = this.segments[index];
        const scanner = new SegmentScanner(await this.readHandle(segment.id), segment.size, windowBytes, lend);
        lend = undefined;
        let offset = cursor.offset;
        for (;;) {
          const item = await scanner.next(offset, true);
          if (!item) break;
          if (item.kind === 'record') {
            if (out.length > 0 && total + item.payloadBytes > maxBytes) break reading;
            out.push(new ReadRecord(item.payload as Buffer, item.lines, item.enqueuedAt, { segment: segment.id, offset: item.end }));
            this.inFlight.push({ segment: segment.id, end: item.end, lines: item.lines, bytes: item.payloadBytes, enqueuedAt: item.enqueuedAt });
            total += item.payloadBytes;
            offset = item.end;
            cursor = { segment: segment.id, offset };
            if (total >= maxBytes) break reading;
          } else {
            this.noteCorruption(segment.id, item, reports);
            offset = item.end;
            cursor = { segment: segment.id, offset };
          }
        }
        if (index === this.segments.length - 1) break;
        await this.closeReadHandle(segment.id);
        index++;
        cursor = { segment: this.segments[index].id, offset: 0 };
      }
      this.readCursor = cursor;
      // Nothing to read: the reader is about to wait, and an idle stream need not hold its read buffer.
      if (out.length === 0 && options.reuseReadBuffer) this.readBuffer = null;
      for (const r of reports) this.report(r);
      return out;
    });
  }

  ack(upTo: QueuePosition): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (!upTo || !Number.isFinite(upTo.segment) || !Number.isFinite(upTo.offset)) throw new TypeError('ack() takes a queue position');
      const { removed } = await this.acknowledgeThrough({ segment: upTo.segment, offset: upTo.offset }, 'count');
      // Records a drop deleted while they were out: acked means the writer delivered them after all.
      const delivered = this.droppedInFlight.filter((r) => comparePositions({ segment: r.segment, offset: r.end }, upTo) <= 0);
      if (delivered.length > 0) {
        this.droppedInFlight = this.droppedInFlight.filter((r) => !delivered.includes(r));
        for (const r of delivered) addTo(removed, r.lines, r.bytes, 1);
      }
      addTo(this.acknowledged, removed.lines, removed.bytes, removed.records);
    });
  }

  /** Reads again from the acknowledged position: whatever was handed out and not acked was not delivered. */
  rewind(): void {
    this.rewinds++;
    this.inFlight = [];
    const first = this.segments[0];
    this.readCursor = first ? laterOf(this.ackPosition, { segment: first.id, offset: 0 }) : this.ackPosition;
    // Records deleted by a drop while they were out will not come back: their send failed, so they are
    // dropped now, under the drop's reason.
    const held = this.droppedInFlight;
    this.droppedInFlight = [];
    for (const reason of ['queue-full', 'age'] as const) {
      const mine = held.filter((r) => r.reason === reason);
      if (mine.length === 0) continue;
      const counter = zeroCounter();
      for (const r of mine) addTo(counter, r.lines, r.bytes, 1);
      addTo(this.dropped[reason], counter.lines, counter.bytes, counter.records);
      const data = mine.every((r) => r.data !== undefined) ? mine.map((r) => r.data as string) : undefined;
      this.report(withData({ reason, ...counter }, data));
    }
  }

  purge(): Promise<DroppedRecords> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (this.active().size > 0) await this.rollover();
      const active = this.active();
      const { removed } = await this.acknowledgeThrough({ segment: active.id, offset: active.size }, 'count');
      addTo(this.dropped.purge, removed.lines, removed.bytes, removed.records);
      const dropped: DroppedRecords = { reason: 'purge', ...removed };
      if (removed.records > 0) this.report(dropped);
      return dropped;
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
    for (const s of this.segments) addTo(unsent, s.unsent.lines, s.unsent.bytes, s.unsent.records);
    // Dropped while out: no longer on disk, but not delivered nor counted as dropped yet either.
    let oldest = this.oldestUnsent;
    for (const r of this.droppedInFlight) {
      addTo(unsent, r.lines, r.bytes, 1);
      if (oldest === null || r.enqueuedAt < oldest) oldest = r.enqueuedAt;
    }
    const copy = (c: DropCounter): DropCounter => ({ lines: c.lines, bytes: c.bytes, records: c.records });
    return {
      bytesOnDisk: this.diskBytes,
      unsentBytes: unsent.bytes,
      unsentLines: unsent.lines,
      unsentRecords: unsent.records,
      oldestUnsentEnqueuedAt: unsent.records > 0 ? oldest : null,
      appended: copy(this.appended),
      acknowledged: copy(this.acknowledged),
      dropped: {
        age: copy(this.dropped.age),
        'queue-full': copy(this.dropped['queue-full']),
        purge: copy(this.dropped.purge),
        corrupt: copy(this.dropped.corrupt),
      },
    };
  }

  /** Waits for appends already accepted, then releases every file handle. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.flushing) await this.flushing;
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

  // ---------------------------------------------------------------- internals

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('queue is closed');
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private report(dropped: DroppedRecords): void {
    if (this.deferredReports) {
      this.deferredReports.push(dropped);
      return;
    }
    if (!this.onDrop) return;
    try {
      this.onDrop(dropped);
    } catch {
      // A failing listener must not break the queue.
    }
  }

  /** Counts damage found while reading, once per place. */
  private noteCorruption(segment: number, item: Exclude<ScanItem, { kind: 'record' }>, reports: DroppedRecords[]): void {
    const key = `${segment}:${item.offset}`;
    if (this.knownCorruption.has(key)) return;
    this.knownCorruption.add(key);
    const bytes = item.end - item.offset;
    addTo(this.dropped.corrupt, item.lines, bytes, 1);
    reports.push({ reason: 'corrupt', records: 1, lines: item.lines, bytes });
  }

  private async readHandle(id: number): Promise<FileHandle> {
    let handle = this.readHandles.get(id);
    if (!handle) {
      handle = await fsp.open(segmentPath(this.dir, id), 'r');
      this.readHandles.set(id, handle);
    }
    return handle;
  }

  private async closeReadHandle(id: number): Promise<void> {
    const handle = this.readHandles.get(id);
    if (!handle) return;
    this.readHandles.delete(id);
    await handle.close().catch(() => undefined);
  }

  private async releaseHandles(): Promise<void> {
    for (const id of [...this.readHandles.keys()]) await this.closeReadHandle(id);
    this.readBuffer = null;
    const slots = this.ackSlots;
    this.ackSlots = null;
    await slots?.close();
    const handle = this.writeHandle;
    this.writeHandle = null;
    await handle?.close().catch(() => undefined);
  }

  /**
   * Moves the acknowledged position forward to `target` (persisted before any file is deleted) and returns
   * what it covered: records handed out by readNext are counted from memory (or, with 'hold', set apart
   * for a drop to settle later), whole segments from their figures, and only a stretch nobody read is
   * scanned from disk. Nothing changes unless the new position is durable: on failure it rejects and the
   * figures are as before.
   */
  private async acknowledgeThrough(target: QueuePosition, handedOut: 'count' | 'hold'): Promise<Covered> {
    const removed = zeroCounter();
    const held: InFlightRecord[] = [];
    const active = this.active();
    if (comparePositions(target, { segment: active.id, offset: active.size }) > 0) target = { segment: active.id, offset: active.size };
    if (comparePositions(target, this.ackPosition) <= 0) return { removed, held };
    const slots = this.ackSlots;
    if (!slots) throw new Error('queue is closed');

    const rewindsAtStart = this.rewinds;
    const saved = {
      inFlight: this.inFlight.slice(),
      segments: this.segments.map((s) => ({ segment: s, unsent: { ...s.unsent }, newestUnsentAt: s.newestUnsentAt })),
    };
    try {
      let covered = this.ackPosition;
      while (this.inFlight.length > 0) {
        const next = this.inFlight[0];
        const end = { segment: next.segment, offset: next.end };
        if (comparePositions(end, target) > 0) break;
        this.inFlight.shift();
        const segment = this.segments.find((s) => s.id === next.segment);
        if (segment) subtractFrom(segment.unsent, next.lines, next.bytes, 1);
        if (handedOut === 'hold') held.push(next);
        else addTo(removed, next.lines, next.bytes, 1);
        covered = laterOf(covered, end);
      }
      for (const segment of this.segments) {
        if (segment.id >= target.segment) break;
        addTo(removed, segment.unsent.lines, segment.unsent.bytes, segment.unsent.records);
        segment.unsent = zeroCounter();
        segment.newestUnsentAt = -Infinity;
      }
      const last = this.segments.find((s) => s.id === target.segment);
      if (last) {
        let offset = covered.segment === last.id ? covered.offset : 0;
        if (offset < target.offset) {
          const scanner = new SegmentScanner(await this.readHandle(last.id), target.offset);
          for (;;) {
            const item = await scanner.next(offset, false);
            if (!item) break;
            if (item.kind === 'record') {
              subtractFrom(last.unsent, item.lines, item.payloadBytes, 1);
              addTo(removed, item.lines, item.payloadBytes, 1);
            }
            offset = item.end;
          }
        }
        // Acknowledged to its end, nothing in it is unsent, even a record that went bad after it was counted.
        if (target.offset >= last.size) last.unsent = zeroCounter();
        if (last.unsent.records === 0) last.newestUnsentAt = -Infinity;
      }
      await slots.write(target);
    } catch (err) {
      if (this.rewinds === rewindsAtStart) this.inFlight = saved.inFlight;
      for (const s of saved.segments) {
        s.segment.unsent = s.unsent;
        s.segment.newestUnsentAt = s.newestUnsentAt;
      }
      throw describeDiskError('acknowledge', err);
    }
    this.ackPosition = target;
    this.readCursor = laterOf(this.readCursor, target);
    this.inFlight = this.inFlight.filter((r) => comparePositions({ segment: r.segment, offset: r.end }, target) > 0);
    if (this.rewinds !== rewindsAtStart) {
      // The writer rewound meanwhile: it let these records go without delivering them.
      for (const r of held.splice(0)) addTo(removed, r.lines, r.bytes, 1);
    }
    await this.removeAcknowledgedSegments();
    await this.refreshOldestUnsent();
    return { removed, held };
  }

  /** Deletes segments wholly before the acknowledged position (never the active one). */
  private async removeAcknowledgedSegments(): Promise<void> {
    while (this.segments.length > 1) {
      const first = this.segments[0];
      const done =
        this.ackPosition.segment > first.id || (this.ackPosition.segment === first.id && this.ackPosition.offset >= first.size);
      if (!done) break;
      this.segments.shift();
      this.diskBytes -= first.size;
      await this.closeReadHandle(first.id);
      await fsp.unlink(segmentPath(this.dir, first.id)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      if (this.ackPosition.segment <= first.id) this.ackPosition = { segment: this.segments[0].id, offset: 0 };
      this.readCursor = laterOf(this.readCursor, this.ackPosition);
    }
  }

  /** The enqueue time of the first unsent record, read from its header. */
  private async refreshOldestUnsent(): Promise<void> {
    this.oldestUnsent = null;
    let offset = this.ackPosition.offset;
    for (const segment of this.segments) {
      if (segment.id < this.ackPosition.segment) continue;
      if (segment.id > this.ackPosition.segment) offset = 0;
      if (segment.unsent.records === 0) continue;
      const scanner = new SegmentScanner(await this.readHandle(segment.id), segment.size, 4096);
      for (;;) {
        const item = await scanner.next(offset, false);
        if (!item) break;
        if (item.kind === 'record') {
          this.oldestUnsent = item.enqueuedAt;
          return;
        }
        offset = item.end;
      }
    }
  }

  /** Drops unsent records enqueued more than maxAgeSeconds ago (by their own time, not the file's). */
  private async expireLocked(): Promise<void> {
    if (this.maxAgeSeconds <= 0 || this.oldestUnsent === null) return;
    const cutoff = this.now() - this.maxAgeSeconds * 1000;
    if (this.oldestUnsent >= cutoff) return;
    let target = this.ackPosition;
    const lastIndex = this.segments.length - 1;
    scanning: for (let i = this.segments.findIndex((s) => s.id >= target.segment); i !== -1 && i <= lastIndex; i++) {
      const segment = this.segments[i];
      if (i < lastIndex && segment.newestUnsentAt < cutoff) {
        // Every unsent record in it is too old: no need to read it to know.
        target = { segment: this.segments[i + 1].id, offset: 0 };
        continue;
      }
      const scanner = new SegmentScanner(await this.readHandle(segment.id), segment.size);
      let offset = segment.id === target.segment ? target.offset : 0;
      for (;;) {
        const item = await scanner.next(offset, false);
        if (!item) break;
        if (item.kind === 'record' && item.enqueuedAt >= cutoff) break scanning;
        offset = item.end;
        target = { segment: segment.id, offset };
      }
      if (i < lastIndex) target = { segment: this.segments[i + 1].id, offset: 0 };
    }
    const collected = await this.collectData(this.ackPosition, target);
    const covered = await this.acknowledgeThrough(target, 'hold');
    this.settleDrop('age', covered, collected);
  }

  /**
   * The text of the records in [from, to), for a drop report; undefined when it exceeds
   * MAX_REPORTED_DROP_DATA_BYTES, so that reporting a big drop never holds much in memory.
   */
  private async collectData(from: QueuePosition, to: QueuePosition): Promise<CollectedRecord[] | undefined> {
    const data: CollectedRecord[] = [];
    let bytes = 0;
    const reports: DroppedRecords[] = [];
    for (const segment of this.segments) {
      if (segment.id < from.segment) continue;
      if (segment.id > to.segment) break;
      const end = segment.id === to.segment ? Math.min(to.offset, segment.size) : segment.size;
      const scanner = new SegmentScanner(await this.readHandle(segment.id), end);
      let offset = segment.id === from.segment ? from.offset : 0;
      for (;;) {
        const item = await scanner.next(offset, true);
        if (!item) break;
        if (item.kind === 'record') {
          bytes += item.payloadBytes;
          if (bytes > MAX_REPORTED_DROP_DATA_BYTES) return undefined;
          data.push({ end: { segment: segment.id, offset: item.end }, data: (item.payload as Buffer).toString('utf8') });
        } else {
          this.noteCorruption(segment.id, item, reports);
        }
        offset = item.end;
      }
    }
    for (const r of reports) this.report(r);
    return data;
  }

  // ---------------------------------------------------------------- recovery

  private async recover(): Promise<void> {
    const { slots, saved } = await AckSlots.open(this.dir);
    this.ackSlots = slots;
    let ids = await listSegmentIds(this.dir);
    let ack: QueuePosition = saved ?? { segment: ids[0] ?? 1, offset: 0 };
    // Segments wholly before the saved position: a crash came between saving it and deleting them.
    for (const id of ids.filter((i) => i < ack.segment)) await fsp.unlink(segmentPath(this.dir, id));
    ids = ids.filter((i) => i >= ack.segment);
    if (ids.length === 0) {
      // A fresh id after the saved one, so offsets saved for an old segment can never apply to new data.
      const id = saved ? saved.segment + 1 : 1;
      await (await fsp.open(segmentPath(this.dir, id), 'a', 0o600)).close();
      await syncDirectory(this.dir);
      ids = [id];
      ack = { segment: id, offset: 0 };
    } else if (ids[0] !== ack.segment) {
      ack = { segment: ids[0], offset: 0 };
    }

    for (let i = 0; i < ids.length; i++) {
      const segment = await this.scanOnOpen(ids[i], ids[i] === ack.segment ? ack.offset : 0, i === ids.length - 1);
      if (segment.id === ack.segment && ack.offset > segment.size) ack = { segment: segment.id, offset: segment.size };
      this.segments.push(segment);
      this.diskBytes += segment.size;
    }
    this.ackPosition = ack;
    this.readCursor = ack;
    this.writeHandle = await fsp.open(segmentPath(this.dir, this.active().id), 'a', 0o600);
    await this.removeAcknowledgedSegments();
  }

  /** Streams one segment's frames from `from`: figures for what is unsent, damage counted, torn tail cut. */
  private async scanOnOpen(id: number, from: number, isLast: boolean): Promise<Segment> {
    const file = segmentPath(this.dir, id);
    const handle = await fsp.open(file, 'r');
    const segment: Segment = { id, size: 0, unsent: zeroCounter(), newestUnsentAt: -Infinity };
    let truncateTo: number | null = null;
    try {
      const size = (await handle.stat()).size;
      segment.size = size;
      const scanner = new SegmentScanner(handle, size);
      let offset = Math.min(from, size);
      for (;;) {
        const item = await scanner.next(offset, false);
        if (!item) break;
        if (item.kind === 'record') {
          addTo(segment.unsent, item.lines, item.payloadBytes, 1);
          if (item.enqueuedAt > segment.newestUnsentAt) segment.newestUnsentAt = item.enqueuedAt;
          if (this.oldestUnsent === null) this.oldestUnsent = item.enqueuedAt;
        } else if (item.kind === 'invalid-tail' && isLast) {
          // A crash mid-write: that append never resolved. A whole frame with a bad checksum is damage.
          truncateTo = item.offset;
          if (item.completeFrame) this.noteCorruption(id, item, this.deferredReports ?? []);
          break;
        } else {
          this.noteCorruption(id, item, this.deferredReports ?? []);
        }
        offset = item.end;
      }
    } finally {
      await handle.close();
    }
    if (truncateTo !== null) {
      const writable = await fsp.open(file, 'r+');
      try {
        await writable.truncate(truncateTo);
        await writable.datasync();
      } finally {
        await writable.close();
      }
      segment.size = truncateTo;
    }
    return segment;
  }
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

// Reading and acknowledging: hands records out from the read cursor, remembers what is out, moves the
// acknowledged position (durably, before any file is deleted) and settles records that a drop deleted while
// they were out. One reader per queue: the stream's writer.
// A little over 400 lines on purpose: reading, acknowledging and settling dropped records share the cursor and
// the list of records out, and split apart each would need the other's internals.
import { QueueClosedError, QueueDiskError } from './errors';
import { addTo, type DropCounter, type DroppedRecords, type QueueFigures, subtractFrom, withData, zeroCounter } from './figures';
import { comparePositions, type QueuePosition } from './position';
import { FRAME_HEADER_BYTES } from './record-format';
import { DEFAULT_SCAN_WINDOW_BYTES, SegmentScanner } from './segment';
import { laterOf, type Segment, type SegmentStore } from './segment-store';

/** Drop reports carry the dropped text only up to this much, so dropping a big backlog cannot flood memory. */
const MAX_REPORTED_DROP_DATA_BYTES = 8 * 1024 * 1024;
/** With the 25% in readWindowBytes: frame headers (24 bytes a record) and the next record's header. */
const READ_WINDOW_SLACK_BYTES = 16 * 1024;
const MAX_READ_WINDOW_BYTES = 4 * 1024 * 1024;

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
  reason: DropWhileOut;
  /** Its text for the drop report, when the drop had read it. */
  data?: string;
}

/** The drops that may delete records the writer still holds. */
export type DropWhileOut = 'queue-full' | 'age';

/**
 * What moving the acknowledged position does with records handed out and not yet acknowledged:
 * 'count-now' (an ack, a purge) counts them among the covered records at once; 'hold-for-writer' (a drop)
 * sets them apart, because the writer may still deliver them from memory.
 */
type HandedOut = 'count-now' | 'hold-for-writer';

/** What moving the acknowledged position covered. */
interface Covered {
  /** Records counted now (acknowledged or dropped, as the caller decides). */
  removed: DropCounter;
  /** Handed-out records of a drop, to settle later (empty with 'count-now'). */
  held: InFlightRecord[];
}

/** A segment's figures that acknowledging changes. */
interface SegmentFigures {
  unsent: DropCounter;
  newestUnsentAt: number;
}

/** What moving the acknowledged position will do, worked out before anything changes. */
interface CoverPlan {
  covered: Covered;
  segments: Map<Segment, SegmentFigures>;
}

/** A record's text and end, read for a drop report. */
interface CollectedRecord {
  end: QueuePosition;
  data: string;
}

function positionKey(segment: number, offset: number): string {
  return `${segment}:${offset}`;
}

function endOf(r: InFlightRecord): QueuePosition {
  return { segment: r.segment, offset: r.end };
}

/**
 * The file window of one readNext: about what it will return, so that a big batch is one read call instead
 * of many small ones (each a trip through libuv's thread pool). Never below the scanner's default, and
 * capped so that a huge maxBytes cannot make one allocation of that size.
 */
function readWindowBytes(maxBytes: number): number {
  const wanted = Number.isFinite(maxBytes) ? Math.ceil(maxBytes * 1.25) + READ_WINDOW_SLACK_BYTES : MAX_READ_WINDOW_BYTES;
  return Math.min(MAX_READ_WINDOW_BYTES, Math.max(DEFAULT_SCAN_WINDOW_BYTES, wanted));
}

/**
 * Bytes in the store's segments from `offset` of segment number `index` on, counted only up to `atMost`: it runs
 * on every read, and a backlog can span many segments.
 */
function unreadBytes(store: SegmentStore, index: number, offset: number, atMost: number): number {
  let bytes = store.segments[index].size - offset;
  for (let k = index + 1; k < store.segments.length && bytes < atMost; k++) bytes += store.segments[k].size;
  return bytes;
}

export class QueueReader {
  private inFlight: InFlightRecord[] = [];
  private droppedInFlight: DroppedInFlightRecord[] = [];
  /** Bumped by rewind(): a drop that raced with one must not hold records the writer has let go. */
  private rewinds = 0;
  /**
   * The buffer of reads with reuseReadBuffer: a writer draining a backlog would otherwise make a new buffer
   * for every batch, and that much short-lived memory outside the JS heap makes V8 run full collections.
   */
  private readBuffer: Buffer | null = null;

  constructor(
    private readonly store: SegmentStore,
    private readonly figures: QueueFigures,
  ) {}

  /** Records after the read cursor, up to about maxBytes of payload (at least one). Under the lock. */
  async read(maxBytes: number, options: ReadOptions): Promise<QueueRecord[]> {
    const store = this.store;
    const out: QueueRecord[] = [];
    const reports: DroppedRecords[] = [];
    let total = 0;
    let cursor = laterOf(store.readCursor, store.ackPosition);
    let index = store.segments.findIndex((s) => s.id >= cursor.segment);
    if (index === -1) return out;
    if (store.segments[index].id !== cursor.segment) cursor = { segment: store.segments[index].id, offset: 0 };
    // No bigger than what the store holds after the cursor: a stream that keeps up reads a record or two per
    // batch, and a full window for those would be a new buffer of most of a megabyte after every idle spell.
    const fullWindow = readWindowBytes(maxBytes);
    const windowBytes = Math.min(fullWindow, Math.max(FRAME_HEADER_BYTES, unreadBytes(store, index, cursor.offset, fullWindow)));
    // Only the first segment's scanner reads into the reusable buffer: records of the first are views of it.
    let lend: Buffer | undefined;
    if (options.reuseReadBuffer) {
      if (!this.readBuffer || this.readBuffer.length < windowBytes) this.readBuffer = Buffer.allocUnsafe(windowBytes);
      lend = this.readBuffer;
    }
    reading: for (;;) {
      const segment = store.segments[index];
      const scanner = new SegmentScanner(await store.readHandle(segment.id), segment.size, windowBytes, lend);
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
          this.figures.noteCorruption(segment.id, item, reports);
          offset = item.end;
          cursor = { segment: segment.id, offset };
        }
      }
      if (index === store.segments.length - 1) break;
      await store.closeReadHandle(segment.id);
      index++;
      cursor = { segment: store.segments[index].id, offset: 0 };
    }
    store.readCursor = cursor;
    // Nothing to read: the reader is about to wait, and an idle stream need not hold its read buffer.
    if (out.length === 0 && options.reuseReadBuffer) this.readBuffer = null;
    for (const r of reports) this.figures.report(r);
    return out;
  }

  /** Everything up to `upTo` was delivered. Under the lock. */
  async ack(upTo: QueuePosition): Promise<void> {
    await this.acknowledgeThrough({ segment: upTo.segment, offset: upTo.offset }, 'count-now', ({ removed }) => {
      // Records a drop deleted while they were out: acked means the writer delivered them after all.
      const delivered = this.droppedInFlight.filter((r) => comparePositions(endOf(r), upTo) <= 0);
      if (delivered.length > 0) {
        this.droppedInFlight = this.droppedInFlight.filter((r) => !delivered.includes(r));
        for (const r of delivered) addTo(removed, r.lines, r.bytes, 1);
      }
      addTo(this.figures.acknowledged, removed.lines, removed.bytes, removed.records);
    });
  }

  /** Reads again from the acknowledged position: whatever was handed out and not acked was not delivered. */
  rewind(): void {
    const store = this.store;
    this.rewinds++;
    this.inFlight = [];
    const first = store.segments[0];
    store.readCursor = first ? laterOf(store.ackPosition, { segment: first.id, offset: 0 }) : store.ackPosition;
    // Records deleted by a drop while they were out will not come back: their send failed, so they are
    // dropped now, under the drop's reason.
    const held = this.droppedInFlight;
    this.droppedInFlight = [];
    for (const reason of ['queue-full', 'age'] as const) {
      const mine = held.filter((r) => r.reason === reason);
      if (mine.length === 0) continue;
      const counter = zeroCounter();
      for (const r of mine) addTo(counter, r.lines, r.bytes, 1);
      const data = mine.every((r) => r.data !== undefined) ? mine.map((r) => r.data as string) : undefined;
      this.figures.drop(withData({ reason, ...counter }, data));
    }
  }

  /** Everything unsent up to the end of the store, counted as purged. Under the lock, after a rollover. */
  async purgeAll(): Promise<DroppedRecords> {
    const active = this.store.active();
    let dropped: DroppedRecords = { reason: 'purge', ...zeroCounter() };
    await this.acknowledgeThrough({ segment: active.id, offset: active.size }, 'count-now', ({ removed }) => {
      dropped = { reason: 'purge', ...removed };
      addTo(this.figures.dropped.purge, removed.lines, removed.bytes, removed.records);
      if (removed.records > 0) this.figures.report(dropped);
    });
    return dropped;
  }

  /** Drops every record before `target` for `reason` (records the writer holds are settled later). */
  async dropThrough(target: QueuePosition, reason: DropWhileOut): Promise<void> {
    const collected = await this.collectData(this.store.ackPosition, target);
    await this.acknowledgeThrough(target, 'hold-for-writer', (covered) => this.settleDrop(reason, covered, collected));
  }

  /** Records a drop deleted while they were out: still unsent until the writer acks or rewinds. */
  heldByWriter(): readonly InFlightRecord[] {
    return this.droppedInFlight;
  }

  releaseBuffer(): void {
    this.readBuffer = null;
  }

  /**
   * Moves the acknowledged position forward to `target` (persisted before any file is deleted) and hands
   * what it covered to `credit`: records handed out are counted from memory (or held, see HandedOut), whole
   * segments from their figures, and only a stretch nobody read is scanned from disk. Nothing changes unless
   * the new position is durable: on failure it rejects and the figures are as before.
   */
  private async acknowledgeThrough(target: QueuePosition, handedOut: HandedOut, credit: (covered: Covered) => void): Promise<void> {
    const store = this.store;
    const active = store.active();
    if (comparePositions(target, { segment: active.id, offset: active.size }) > 0) target = { segment: active.id, offset: active.size };
    if (comparePositions(target, store.ackPosition) <= 0) {
      // Nothing left to cover on disk, but an ack may still settle records a drop deleted while they were out.
      credit({ removed: zeroCounter(), held: [] });
      return;
    }
    const slots = store.ackSlots;
    if (!slots) throw new QueueClosedError();

    const rewindsAtStart = this.rewinds;
    let plan: CoverPlan;
    try {
      plan = await this.planCover(target, handedOut);
      await slots.write(target);
    } catch (err) {
      throw new QueueDiskError('acknowledge', err);
    }
    // From here to credit() nothing awaits, so that stats() never sees covered records neither unsent nor
    // counted as acknowledged or dropped.
    for (const [segment, figures] of plan.segments) {
      segment.unsent = figures.unsent;
      segment.newestUnsentAt = figures.newestUnsentAt;
    }
    store.ackPosition = target;
    store.readCursor = laterOf(store.readCursor, target);
    this.inFlight = this.inFlight.filter((r) => comparePositions(endOf(r), target) > 0);
    const { removed, held } = plan.covered;
    if (this.rewinds !== rewindsAtStart) {
      // The writer rewound meanwhile: it let these records go without delivering them.
      for (const r of held.splice(0)) addTo(removed, r.lines, r.bytes, 1);
    }
    credit(plan.covered);
    await store.removeAcknowledgedSegments();
    await store.refreshOldestUnsent();
  }

  /**
   * Works out, without changing anything, what lies between the acknowledged position and `target`: the
   * records covered, and each touched segment's unsent figures once they are taken off.
   */
  private async planCover(target: QueuePosition, handedOut: HandedOut): Promise<CoverPlan> {
    const store = this.store;
    const covered: Covered = { removed: zeroCounter(), held: [] };
    const segments = new Map<Segment, SegmentFigures>();
    const draft = (segment: Segment): SegmentFigures => {
      let figures = segments.get(segment);
      if (!figures) {
        figures = { unsent: { ...segment.unsent }, newestUnsentAt: segment.newestUnsentAt };
        segments.set(segment, figures);
      }
      return figures;
    };
    let coveredTo = store.ackPosition;
    for (const next of this.inFlight) {
      const end = endOf(next);
      if (comparePositions(end, target) > 0) break;
      const segment = store.segments.find((s) => s.id === next.segment);
      if (segment) subtractFrom(draft(segment).unsent, next.lines, next.bytes, 1);
      if (handedOut === 'hold-for-writer') covered.held.push(next);
      else addTo(covered.removed, next.lines, next.bytes, 1);
      coveredTo = laterOf(coveredTo, end);
    }
    for (const segment of store.segments) {
      if (segment.id >= target.segment) break;
      const figures = draft(segment);
      addTo(covered.removed, figures.unsent.lines, figures.unsent.bytes, figures.unsent.records);
      figures.unsent = zeroCounter();
      figures.newestUnsentAt = -Infinity;
    }
    const last = store.segments.find((s) => s.id === target.segment);
    if (!last) return { covered, segments };
    const figures = draft(last);
    let offset = coveredTo.segment === last.id ? coveredTo.offset : 0;
    if (offset < target.offset) {
      const scanner = new SegmentScanner(await store.readHandle(last.id), target.offset);
      for (;;) {
        const item = await scanner.next(offset, false);
        if (!item) break;
        if (item.kind === 'record') {
          subtractFrom(figures.unsent, item.lines, item.payloadBytes, 1);
          addTo(covered.removed, item.lines, item.payloadBytes, 1);
        }
        offset = item.end;
      }
    }
    // Acknowledged to its end, nothing in it is unsent, even a record that went bad after it was counted.
    if (target.offset >= last.size) figures.unsent = zeroCounter();
    if (figures.unsent.records === 0) figures.newestUnsentAt = -Infinity;
    return { covered, segments };
  }

  /**
   * Counts and reports a drop of whole records: those never handed out are dropped now; those handed out
   * are held in droppedInFlight until the writer acks them (delivered) or rewinds (dropped then).
   */
  private settleDrop(reason: DropWhileOut, covered: Covered, collected: CollectedRecord[] | undefined): void {
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
    const data = collected?.filter((r) => !heldKeys.has(positionKey(r.end.segment, r.end.offset))).map((r) => r.data);
    this.figures.drop(withData({ reason, ...removed }, data));
  }

  /**
   * The text of the records in [from, to), for a drop report; undefined when it exceeds
   * MAX_REPORTED_DROP_DATA_BYTES, so that reporting a big drop never holds much in memory.
   */
  private async collectData(from: QueuePosition, to: QueuePosition): Promise<CollectedRecord[] | undefined> {
    const store = this.store;
    const data: CollectedRecord[] = [];
    let bytes = 0;
    const reports: DroppedRecords[] = [];
    for (const segment of store.segments) {
      if (segment.id < from.segment) continue;
      if (segment.id > to.segment) break;
      const end = segment.id === to.segment ? Math.min(to.offset, segment.size) : segment.size;
      const scanner = new SegmentScanner(await store.readHandle(segment.id), end);
      let offset = segment.id === from.segment ? from.offset : 0;
      for (;;) {
        const item = await scanner.next(offset, true);
        if (!item) break;
        if (item.kind === 'record') {
          bytes += item.payloadBytes;
          if (bytes > MAX_REPORTED_DROP_DATA_BYTES) return undefined;
          data.push({ end: { segment: segment.id, offset: item.end }, data: (item.payload as Buffer).toString('utf8') });
        } else {
          this.figures.noteCorruption(segment.id, item, reports);
        }
        offset = item.end;
      }
    }
    for (const r of reports) this.figures.report(r);
    return data;
  }
}

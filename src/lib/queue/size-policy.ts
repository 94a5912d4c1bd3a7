// The queue's bounds: how big it may grow (and what happens at the bound: the overflow policy), how old an
// unsent record may get, and the one computation of free room that every size decision uses.
import type { QueuePosition } from './position';
import { SegmentScanner } from './segment';
import type { SegmentStore } from './segment-store';

/** At the bound, refuse new appends (the flow gets a QueueFullError) and keep what is queued. */
export const OVERFLOW_REJECT = 'reject';
/** At the bound, delete the oldest segments to make room for new appends. */
export const OVERFLOW_DROP_OLDEST = 'drop-oldest';
export const OVERFLOW_POLICIES = [OVERFLOW_REJECT, OVERFLOW_DROP_OLDEST] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

export function isOverflowPolicy(value: unknown): value is OverflowPolicy {
  return value === OVERFLOW_REJECT || value === OVERFLOW_DROP_OLDEST;
}

export const DEFAULT_MAX_QUEUE_SIZE_BYTES = 67108860;
export const MIN_MAX_QUEUE_SIZE_BYTES = 33554430;
export const DEFAULT_MAX_AGE_SECONDS = 604800;
export const DEFAULT_SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
/** The smallest bound the queue itself accepts (the node enforces MIN_MAX_QUEUE_SIZE_BYTES). */
export const QUEUE_SIZE_FLOOR_BYTES = 1024 * 1024;

export interface BoundsOptions {
  maxQueueSizeBytes?: number;
  maxAgeSeconds?: number;
  onQueueFull?: OverflowPolicy;
  segmentMaxBytes?: number;
}

/** The checked bounds of one queue. Sizes count whole frames (header and payload), as they lie on disk. */
export class SizePolicy {
  readonly maxQueueSizeBytes: number;
  readonly maxAgeSeconds: number;
  readonly policy: OverflowPolicy;
  readonly segmentMaxBytes: number;

  constructor(options: BoundsOptions) {
    const maxQueue = options.maxQueueSizeBytes ?? DEFAULT_MAX_QUEUE_SIZE_BYTES;
    if (!Number.isFinite(maxQueue) || maxQueue < QUEUE_SIZE_FLOOR_BYTES) {
      throw new RangeError(`maxQueueSizeBytes must be at least ${QUEUE_SIZE_FLOOR_BYTES}, got ${maxQueue}`);
    }
    const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
    if (!Number.isFinite(maxAge) || maxAge < 0) throw new RangeError(`maxAgeSeconds must be 0 or more, got ${maxAge}`);
    const policy = options.onQueueFull ?? OVERFLOW_REJECT;
    if (!isOverflowPolicy(policy)) throw new RangeError(`unknown onQueueFull policy ${String(policy)}`);
    const segmentMax = options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES;
    if (!Number.isFinite(segmentMax) || segmentMax < 1024) throw new RangeError(`segmentMaxBytes must be at least 1024, got ${segmentMax}`);
    this.maxQueueSizeBytes = maxQueue;
    this.maxAgeSeconds = maxAge;
    this.policy = policy;
    this.segmentMaxBytes = segmentMax;
  }

  get dropsOldest(): boolean {
    return this.policy === OVERFLOW_DROP_OLDEST;
  }

  /**
   * Bytes that still fit under the bound when `usedBytes` are taken. Every size decision asks this; the
   * callers differ only in what they count as taken (see `acceptedBytes` and the flush's use of the disk).
   */
  freeRoom(usedBytes: number): number {
    return this.maxQueueSizeBytes - usedBytes;
  }

  /**
   * What the queue will hold once every accepted append is written: what is on disk, minus an active segment
   * that is wholly acknowledged (the next flush starts a new one and deletes it), plus what waits in memory.
   */
  acceptedBytes(store: SegmentStore, unwrittenBytes: number): number {
    return store.diskBytes - store.reclaimableBytes() + unwrittenBytes;
  }

  /** A frame bigger than the whole bound can never be stored, whatever the policy. */
  neverFits(frameBytes: number): boolean {
    return frameBytes > this.maxQueueSizeBytes;
  }

  /** Under 'reject', an append that does not fit the room left by what is already accepted is refused. */
  refuses(acceptedBytes: number, frameBytes: number): boolean {
    return this.policy === OVERFLOW_REJECT && frameBytes > this.freeRoom(acceptedBytes);
  }

  /**
   * Most frame bytes one group commit writes. Under 'drop-oldest' a batch never outgrows the bound, so
   * making room for it can always succeed; under 'reject' admission already kept the total in bounds.
   */
  batchLimit(): number {
    return this.dropsOldest ? this.maxQueueSizeBytes : Infinity;
  }

  /** Under 'drop-oldest': appending `bytes` to the active segment alone would pass the bound. */
  mustLeaveActive(activeSize: number, bytes: number): boolean {
    return this.dropsOldest && bytes > this.freeRoom(activeSize);
  }

  /**
   * How many of the oldest segments (never the active one) must go so that `bytes` more fit on disk.
   * 0 under 'reject', or when they fit already.
   */
  segmentsToDrop(store: SegmentStore, bytes: number): number {
    if (!this.dropsOldest || bytes <= this.freeRoom(store.diskBytes)) return 0;
    let freed = 0;
    let count = 0;
    const last = store.segments.length - 1;
    while (count < last && bytes > this.freeRoom(store.diskBytes - freed)) {
      freed += store.segments[count].size;
      count++;
    }
    return count;
  }

  /** Records enqueued before this time are expired; null when max age is off. */
  expiryCutoff(now: () => number): number | null {
    return this.maxAgeSeconds > 0 ? now() - this.maxAgeSeconds * 1000 : null;
  }
}

/**
 * The position just after the last unsent record enqueued before `cutoff` (records are in enqueue order),
 * or the acknowledged position when none is. Whole segments whose newest record is too old are skipped
 * without reading them.
 */
export async function expiredThrough(store: SegmentStore, cutoff: number): Promise<QueuePosition> {
  let target = store.ackPosition;
  const segments = store.segments;
  const lastIndex = segments.length - 1;
  scanning: for (let i = segments.findIndex((s) => s.id >= target.segment); i !== -1 && i <= lastIndex; i++) {
    const segment = segments[i];
    if (i < lastIndex && segment.newestUnsentAt < cutoff) {
      // Every unsent record in it is too old: no need to read it to know.
      target = { segment: segments[i + 1].id, offset: 0 };
      continue;
    }
    const scanner = new SegmentScanner(await store.readHandle(segment.id), segment.size);
    let offset = segment.id === target.segment ? target.offset : 0;
    for (;;) {
      const item = await scanner.next(offset, false);
      if (!item) break;
      if (item.kind === 'record' && item.enqueuedAt >= cutoff) break scanning;
      offset = item.end;
      target = { segment: segment.id, offset };
    }
    if (i < lastIndex) target = { segment: segments[i + 1].id, offset: 0 };
  }
  return target;
}

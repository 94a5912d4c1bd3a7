// The queue's files and where it stands in them: the list of segments with their figures, the acknowledged
// position and read cursor, and the open handles. Every part of the queue works on this one object, always
// under the queue's lock.
import type { FileHandle } from 'fs/promises';
import * as fsp from 'fs/promises';
import { type AckSlots, syncDirectory } from './ack-file';
import { type DropCounter, zeroCounter } from './figures';
import { comparePositions, type QueuePosition } from './position';
import { SegmentScanner, segmentPath } from './segment';

export interface Segment {
  id: number;
  /** Durable length: readers never look past it. */
  size: number;
  /** Records after the acknowledged position. */
  unsent: DropCounter;
  /** Newest enqueue time among unsent records: lets max age drop a whole segment without reading it. */
  newestUnsentAt: number;
}

export function laterOf(a: QueuePosition, b: QueuePosition): QueuePosition {
  return comparePositions(a, b) >= 0 ? a : b;
}

export class SegmentStore {
  /** Oldest first; the last one is the active segment that appends go to. Never empty once open. */
  segments: Segment[] = [];
  /** Sum of the segments' sizes. */
  diskBytes = 0;
  ackPosition: QueuePosition = { segment: 1, offset: 0 };
  readCursor: QueuePosition = { segment: 1, offset: 0 };
  /** Enqueue time of the first unsent record on disk, null when there is none. */
  oldestUnsent: number | null = null;
  writeHandle: FileHandle | null = null;
  ackSlots: AckSlots | null = null;
  private readonly readHandles = new Map<number, FileHandle>();

  constructor(readonly dir: string) {}

  active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Acknowledged bytes a rollover would free right away: the active segment when it is fully acknowledged. */
  reclaimableBytes(): number {
    const active = this.active();
    return this.ackPosition.segment === active.id && this.ackPosition.offset >= active.size ? active.size : 0;
  }

  async readHandle(id: number): Promise<FileHandle> {
    let handle = this.readHandles.get(id);
    if (!handle) {
      handle = await fsp.open(segmentPath(this.dir, id), 'r');
      this.readHandles.set(id, handle);
    }
    return handle;
  }

  async closeReadHandle(id: number): Promise<void> {
    const handle = this.readHandles.get(id);
    if (!handle) return;
    this.readHandles.delete(id);
    await handle.close().catch(() => undefined);
  }

  async releaseHandles(): Promise<void> {
    for (const id of [...this.readHandles.keys()]) await this.closeReadHandle(id);
    const slots = this.ackSlots;
    this.ackSlots = null;
    await slots?.close();
    const handle = this.writeHandle;
    this.writeHandle = null;
    await handle?.close().catch(() => undefined);
  }

  /** Starts a new active segment (its name made durable first) and deletes what is now wholly acknowledged. */
  async rollover(): Promise<void> {
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

  /** Deletes segments wholly before the acknowledged position (never the active one). */
  async removeAcknowledgedSegments(): Promise<void> {
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
  async refreshOldestUnsent(): Promise<void> {
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
}

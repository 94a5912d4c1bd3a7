// Opening a queue folder: whatever a previous run left there (a crash at any point included) becomes a
// consistent store. Segments wholly before the saved acknowledged position are deleted, a torn tail of
// the last segment is cut off (that append never resolved), damage is counted once, and the unsent figures
// of each segment are rebuilt by one streaming pass.
import * as fsp from 'fs/promises';
import { AckSlots, syncDirectory } from './ack-file';
import { addTo, type DroppedRecords, type QueueFigures, zeroCounter } from './figures';
import type { QueuePosition } from './position';
import { listSegmentIds, SegmentScanner, segmentPath } from './segment';
import type { Segment, SegmentStore } from './segment-store';

/** Fills `store` from its folder; damage found goes to `figures` (reported once the queue is handed out). */
export async function recover(store: SegmentStore, figures: QueueFigures): Promise<void> {
  const dir = store.dir;
  const { slots, saved } = await AckSlots.open(dir);
  store.ackSlots = slots;
  let ids = await listSegmentIds(dir);
  let ack: QueuePosition = saved ?? { segment: ids[0] ?? 1, offset: 0 };
  // Segments wholly before the saved position: a crash came between saving it and deleting them.
  for (const id of ids.filter((i) => i < ack.segment)) await fsp.unlink(segmentPath(dir, id));
  ids = ids.filter((i) => i >= ack.segment);
  if (ids.length === 0) {
    // A fresh id after the saved one, so offsets saved for an old segment can never apply to new data.
    const id = saved ? saved.segment + 1 : 1;
    await (await fsp.open(segmentPath(dir, id), 'a', 0o600)).close();
    await syncDirectory(dir);
    ids = [id];
    ack = { segment: id, offset: 0 };
  } else if (ids[0] !== ack.segment) {
    ack = { segment: ids[0], offset: 0 };
  }

  const reports: DroppedRecords[] = [];
  for (let i = 0; i < ids.length; i++) {
    const segment = await scanOnOpen(store, figures, reports, ids[i], ids[i] === ack.segment ? ack.offset : 0, i === ids.length - 1);
    if (segment.id === ack.segment && ack.offset > segment.size) ack = { segment: segment.id, offset: segment.size };
    store.segments.push(segment);
    store.diskBytes += segment.size;
  }
  for (const r of reports) figures.report(r);
  store.ackPosition = ack;
  store.readCursor = ack;
  store.writeHandle = await fsp.open(segmentPath(dir, store.active().id), 'a', 0o600);
  await store.removeAcknowledgedSegments();
}

/** Streams one segment's frames from `from`: figures for what is unsent, damage counted, torn tail cut. */
async function scanOnOpen(
  store: SegmentStore,
  figures: QueueFigures,
  reports: DroppedRecords[],
  id: number,
  from: number,
  isLast: boolean,
): Promise<Segment> {
  const file = segmentPath(store.dir, id);
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
        if (store.oldestUnsent === null) store.oldestUnsent = item.enqueuedAt;
      } else if (item.kind === 'invalid-tail' && isLast) {
        // A crash mid-write: that append never resolved. A whole frame with a bad checksum is damage.
        truncateTo = item.offset;
        if (item.completeFrame) figures.noteCorruption(id, item, reports);
        break;
      } else {
        figures.noteCorruption(id, item, reports);
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

// The durable on-disk queue: public API. Plain TypeScript, no Node-RED.
//
// DESIGN
// One folder per stream:
//   0000000001.seg, 0000000002.seg, ...  append-only segment files of frames (record-format.ts: a 24-byte
//                                        header with length, line count, enqueue time and CRC-32, then the
//                                        append's lines joined by '\n'); the highest id is the active one
//   ack-0.slot, ack-1.slot               the acknowledged position (segment id + byte offset), written in
//                                        turn in place so an ack needs no free blocks (ack-file.ts)
//
// Files and their jobs:
//   durable-queue.ts  the facade: open/close, the one lock every file operation runs under
//   appender.ts       append() and group commit (one writev + one fdatasync for all appends waiting)
//   reader.ts         readNext, ack, rewind, purge, and drops of records the writer still holds
//   size-policy.ts    the size bound, the overflow policies, free room, and the max-age cutoff
//   recovery.ts       open: rebuilds the figures from the files, cuts a torn tail, counts damage
//   segment-store.ts  the segment list, positions and handles all of the above share
//   segment.ts, record-format.ts, ack-file.ts, crc32.ts, position.ts: file formats and scanning
//   figures.ts        the counters (appended, acknowledged, dropped by reason) and drop reports
//   errors.ts         QueueFullError (QUEUE_FULL), QueueClosedError (QUEUE_CLOSED), QueueDiskError (errno code)
//
// Invariants:
// - When append() resolves, its lines are written and fdatasync'ed in the active segment (and a new
//   segment's name is synced in its folder before anything is written to it): a crash after that loses
//   none of them. A write that fails is cut off the segment again (when the disk lets it) and rejects.
// - When ack(p) resolves, p is durable in an ack slot; only then are wholly acknowledged segments deleted.
//   After a crash the queue resumes from the last durable ack: records read but not yet acknowledged are
//   read again (at-least-once; a crash can cost duplicates, never acknowledged-then-lost data).
// - A crash in the middle of an append leaves a torn frame at the end of the last segment: recovery cuts
//   it off (that append never resolved). Damage elsewhere is skipped and counted as 'corrupt', once.
// - The figures (unsent, appended, acknowledged, dropped) change only with what is durable: a failed ack
//   leaves every figure as it was.
// - maxQueueSizeBytes bounds the frame bytes on disk: under 'reject' an append that would not fit is refused
//   (QueueFullError, counted as dropped 'queue-full'); under 'drop-oldest' whole old segments are deleted.
//   Records the writer holds when their segment is dropped count as unsent until it acks them
//   (delivered) or rewinds (dropped then).
//
// Who calls what:
// - The stream owns the queue: open, append (from the flow), purge, expire (timer), stats, close, destroy.
// - One reader, the stream's writer (WriterQueue in writer/stream-writer.ts): readNext, ack, rewind and
//   the 'appended' event. readNext with reuseReadBuffer promises it holds no payload of its earlier reads.
export {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_QUEUE_SIZE_BYTES,
  DEFAULT_SEGMENT_MAX_BYTES,
  MIN_MAX_QUEUE_SIZE_BYTES,
  OVERFLOW_DROP_OLDEST,
  OVERFLOW_POLICIES,
  OVERFLOW_REJECT,
  QUEUE_SIZE_FLOOR_BYTES,
  isOverflowPolicy,
  type OverflowPolicy,
} from './size-policy';
export { DurableQueue, type QueueOptions, type QueueStats } from './durable-queue';
export { QueueClosedError, QueueDiskError, QueueFullError } from './errors';
export { type DropCounter, type DroppedRecords, type QueueDropReason } from './figures';
export { type QueueRecord, type ReadOptions } from './reader';
export { comparePositions, type QueuePosition } from './position';

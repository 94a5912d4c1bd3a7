// The durable on-disk queue: public API. Plain TypeScript, no Node-RED.
export {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_QUEUE_SIZE_BYTES,
  DEFAULT_SEGMENT_MAX_BYTES,
  DurableQueue,
  MIN_MAX_QUEUE_SIZE_BYTES,
  QUEUE_SIZE_FLOOR_BYTES,
  QueueFullError,
  type DropCounter,
  type DroppedRecords,
  type OverflowPolicy,
  type QueueDropReason,
  type QueueOptions,
  type QueueRecord,
  type ReadOptions,
  type QueueStats,
} from './durable-queue';
export { comparePositions, type QueuePosition } from './position';

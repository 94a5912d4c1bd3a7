// The remote writer: batches from the queue, InfluxDB write APIs, retries that respect the remote.
export { classifyStatus, type Outcome } from './outcome';
export { backoffDelay, parseRetryAfter } from './backoff';
export { Batcher, buildBatches, type Batch, type PayloadChunk, type QueuePosition, type WriterRecord } from './batcher';
export {
  RemoteClient,
  USER_AGENT,
  encodeBody,
  decodeBody,
  GZIP_LEVEL,
  GZIP_CHUNK_BYTES,
  MAX_ERROR_TEXT,
  errorTextOf,
  isGatewayAnswer,
  type Precision,
  type RemoteClientOptions,
  type ValidateResult,
  type WriteOptions,
  type WriteResult,
} from './remote-client';
export { GzipEncoder } from './gzip-encoder';
export { createDispatcher, type ConnectionOptions, type DispatcherFactory } from './connection';
export {
  StreamWriter,
  DEFAULT_MAX_BATCH_BYTES,
  MAX_CONCURRENT_REQUESTS,
  DEFAULT_ACK_INTERVAL_MS,
  type NonRetryableDrop,
  type WriterOptions,
  type WriterQueue,
  type WriterState,
  type WriterStateName,
} from './stream-writer';
export { type WriterAnswer, type WriterDelivered, type WriterDiscarded } from './events';

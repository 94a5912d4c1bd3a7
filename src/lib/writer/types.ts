// What the writer's parts share: the queue it reads, its options and settings, the state it reports, and the
// shapes of a delivery in progress.
import type { QueuePosition, WriterRecord } from './batcher';
import type { AckEntry } from './ack-window';

/** What the writer needs from a queue; `DurableQueue` has it, and unit tests use a small in-memory fake. */
export interface WriterQueue {
  /**
   * Records after the read cursor, advancing it; the first one even if it is bigger than maxBytes. With
   * `reuseReadBuffer` the writer says it holds none of the payloads it read before, so the queue may read
   * into the same buffer again.
   */
  readNext(maxBytes: number, options?: { reuseReadBuffer?: boolean }): Promise<WriterRecord[]>;
  /** Everything up to this position was delivered (or dropped on purpose). */
  ack(upTo: QueuePosition): Promise<void>;
  /** Read cursor back to the last acknowledged position. */
  rewind(): void;
  on(event: 'appended', listener: () => void): unknown;
  removeListener(event: 'appended', listener: () => void): unknown;
}

export interface WriterOptions {
  /** Uncompressed line protocol per request; default 500000 (as InfluxDB replication). */
  maxBatchBytes?: number;
  /** Default true. */
  gzip?: boolean;
  /** Drop lines the remote refuses as bad data (after isolating them); default false: keep retrying them. */
  dropNonRetryableData?: boolean;
  /** Default 1000. */
  initialBackoffMs?: number;
  /** Default 300000. */
  maxBackoffMs?: number;
  /** Default 30000. */
  requestTimeoutMs?: number;
  /** Default 1, which keeps order; up to 4 when order does not matter. */
  maxConcurrentRequests?: number;
  /** For jitter; injectable for tests. */
  random?: () => number;
  now?: () => number;
  /**
   * Least time between two acknowledgements while batches go out back to back (each ack is an fsync);
   * default 100. Whenever the writer waits, delivered records are acknowledged at once.
   */
  ackIntervalMs?: number;
  // Fleet (issue 17): a random delay in [0, recoveryJitterMs] is added to every Retry-After (the one wait that all
  // gateways of a quota get alike), and `startDelayMs` holds the first send back (a backlog at start-up).
  recoveryJitterMs?: number;
  startDelayMs?: number;
}

export type WriterStateName = 'idle' | 'sending' | 'retrying' | 'blocked' | 'paused' | 'stopped';

export interface WriterState {
  state: WriterStateName;
  /** Blocked by configuration errors (401/403/404) or by bad lines that are kept. */
  blockedBy: 'config' | 'data' | null;
  /**
   * 0 for a network error (or an answer that could not be read), null before the first request. While lines
   * the remote refused are kept (blocked by data), the answer that refused them, whatever came since.
   */
  latestResponseCode: number | null;
  /** The remote's error text (redacted), '' after a success; while blocked by data, the refusal's text. */
  latestErrorMessage: string;
  /** Lines the remote refused that are kept and retried (blocked by data). */
  linesHeld: number;
  /**
   * Lines delivered (or dropped) that the queue still counts as unsent: the rest of a record that cannot be
   * acknowledged yet because a line of it is held, or batches delivered ahead of one still in flight.
   */
  linesSettled: number;
  /** Their bytes, counted as the queue does (each line with its newline). */
  bytesSettled: number;
  nextAttemptAt: number | null;
  // Counts (requests, answers by code, lines sent and dropped) are not state: the writer reports each as an
  // event (events.ts) and the stream's metrics object counts them.
}

export interface NonRetryableDrop {
  lines: string[];
  /** Their bytes, each line with its newline. */
  bytes: number;
  statusCode: number;
  errorMessage: string;
}

/** Bytes of these lines, each with its newline: how the queue, the writer and the metrics count them. */
export function lineBytes(lines: readonly string[]): number {
  let bytes = 0;
  for (const line of lines) bytes += Buffer.byteLength(line) + 1;
  return bytes;
}

export const DEFAULT_MAX_BATCH_BYTES = 500_000;
export const MAX_CONCURRENT_REQUESTS = 4;
export const DEFAULT_ACK_INTERVAL_MS = 100;

export type Settings = Required<WriterOptions>;

export function settingsFrom(options: WriterOptions): Settings {
  return {
    maxBatchBytes: positive(options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES),
    gzip: options.gzip ?? true,
    dropNonRetryableData: options.dropNonRetryableData ?? false,
    initialBackoffMs: positive(options.initialBackoffMs, 1000),
    maxBackoffMs: positive(options.maxBackoffMs, 300_000),
    requestTimeoutMs: positive(options.requestTimeoutMs, 30_000),
    maxConcurrentRequests: Math.min(MAX_CONCURRENT_REQUESTS, Math.max(1, Math.floor(options.maxConcurrentRequests ?? 1))),
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    ackIntervalMs: Math.max(0, options.ackIntervalMs ?? DEFAULT_ACK_INTERVAL_MS),
    recoveryJitterMs: Math.max(0, options.recoveryJitterMs ?? 0),
    startDelayMs: Math.max(0, options.startDelayMs ?? 0),
  };
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Unwinds a delivery when the writer stops or changes target; never reported. */
export class Cancelled extends Error {}

export interface Refusal {
  statusCode: number;
  errorMessage: string;
}

/** One batch being delivered, and what has become of its lines. */
export interface Delivery {
  gen: number;
  signal: AbortSignal;
  drops: NonRetryableDrop[];
  entry: AckEntry;
}

export interface Chunk {
  /** The text, read only when it must be (a retry without `encoded`, a bisection): a whole batch makes it lazily. */
  source: { readonly body: string };
  lines: number;
  /** Uncompressed bytes of the text. */
  bytes: number;
  split?: string[];
  /** The request body, prepared while the previous request was in flight (whole batches only). */
  encoded?: Buffer;
}

/** A chunk of whole lines (a half of a bisection, a line alone, the lines kept). */
export function chunkOf(lines: string[]): Chunk {
  const body = lines.join('\n');
  return { source: { body }, lines: lines.length, bytes: Buffer.byteLength(body), split: lines };
}

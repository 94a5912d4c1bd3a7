// One replication stream: a durable queue on this machine and a writer that drains it to a remote bucket,
// plus the figures that `influx replication list` shows. Plain TypeScript: the Node-RED node wires it up.
import { EventEmitter } from 'events';
import { DurableQueue, type DroppedRecords, QueueFullError } from './queue';
import type { ReplicationSettings } from './stream-config';
import { type NonRetryableDrop, type RemoteClient, StreamWriter, type WriterOptions, type WriterState } from './writer';
import { jitterDelay } from './fleet/options';
import type { StreamFigures } from './metrics/prometheus';
import { DROP_REASONS, type DropReason, type MetricsSnapshot, StreamMetrics } from './metrics/stream-metrics';

export type StreamStateName = 'ok' | 'retrying' | 'blocked' | 'paused' | 'full';
export type { DropReason };

/** The node's checked settings (precision is applied at ingest, not by the stream) plus where and how to run. */
export interface StreamConfig extends Omit<ReplicationSettings, 'precision'> {
  id: string;
  /** Folder of this stream's queue. */
  queueDir: string;
  /** Writer tuning (backoff, timeouts); mostly for tests. */
  writer?: Omit<WriterOptions, 'maxBatchBytes' | 'gzip' | 'dropNonRetryableData'>;
  /** How often max age is applied while nobody reads (ms). */
  expireIntervalMs?: number;
}

/** The stream's own settings as InfluxDB's replication list shows them. */
type ListedSettings =
  | 'id'
  | 'name'
  | 'remoteID'
  | 'remoteBucketName'
  | 'remoteBucketID'
  | 'maxQueueSizeBytes'
  | 'maxAgeSeconds'
  | 'dropNonRetryableData';

/** A row of the replication list: InfluxDB's fields first, then ours. */
export interface ReplicationRow extends Pick<StreamConfig, ListedSettings> {
  currentQueueSizeBytes: number;
  remainingBytesToBeSynced: number;
  remainingLinesToBeSynced: number;
  latestResponseCode: number | null;
  latestErrorMessage: string;
  state: StreamStateName;
  oldestUnsentAgeSeconds: number | null;
  linesQueued: number;
  linesSent: number;
  linesDropped: Record<DropReason, number>;
  lastSuccessAt: string | null;
  nextAttemptAt: string | null;
}

/** What a flow is told about dropped lines (output 2). */
export interface DroppedLines {
  reason: DropReason;
  lines: string[];
  lineCount: number;
  bytes: number;
  statusCode?: number;
  error?: string;
}

/**
 * Events: 'change' (after a send attempt, an ack, a control or a drop), 'queued' (after lines were appended),
 * 'dropped' (DroppedLines).
 */
export class ReplicationStream extends EventEmitter {
  private writer: StreamWriter;
  /** Every figure of this stream; the row and the Prometheus figures are read from it. */
  private readonly metrics: StreamMetrics;
  private expireTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private config: StreamConfig,
    private readonly queue: DurableQueue,
    private client: RemoteClient,
  ) {
    super();
    this.metrics = new StreamMetrics(() => queue.stats(), config.onQueueFull);
    this.writer = this.createWriter(client);
    this.metrics.watchWriter(this.writer);
  }

  /** Opens (or recovers) the queue and starts sending. */
  static async open(config: StreamConfig, client: RemoteClient): Promise<ReplicationStream> {
    let stream: ReplicationStream | null = null;
    const queue = await DurableQueue.open({
      dir: config.queueDir,
      maxQueueSizeBytes: config.maxQueueSizeBytes,
      maxAgeSeconds: config.maxAgeSeconds,
      onQueueFull: config.onQueueFull,
      // The stream does not exist yet while recovery runs; drops found then are reported once it does.
      onDrop: (dropped) => stream?.reportQueueDrop(dropped),
    });
    // Fleet (issue 17): with a backlog at start-up, the first send waits a random part of the recovery jitter.
    const jitterMs = config.writer?.recoveryJitterMs ?? 0;
    if (jitterMs > 0 && queue.stats().unsentLines > 0) {
      config = { ...config, writer: { ...config.writer, startDelayMs: jitterDelay(jitterMs, config.writer?.random) } };
    }
    stream = new ReplicationStream(config, queue, client);
    stream.writer.start();
    const interval = config.expireIntervalMs ?? 60_000;
    if (config.maxAgeSeconds > 0) {
      stream.expireTimer = setInterval(() => {
        queue.expire().then(() => stream?.emit('change'), () => undefined);
      }, interval);
      stream.expireTimer.unref();
    }
    return stream;
  }

  get id(): string {
    return this.config.id;
  }

  /** Appends lines (already validated, timestamps in ns); resolves once they are durable on disk. */
  async enqueue(lines: string[]): Promise<void> {
    if (this.closed) throw new Error('replication stream is closed');
    const append = this.metrics.appendStarted();
    try {
      const recordBytes = await this.queue.append(lines);
      this.metrics.appended(append, lines.length, recordBytes);
      this.emit('queued');
    } catch (err) {
      if (err instanceof QueueFullError) {
        this.metrics.appendRefused(append);
        this.emit('change');
      }
      throw err;
    }
  }

  pause(): void {
    this.writer.pause();
    this.emit('change');
  }

  resume(): void {
    this.writer.resume();
    this.emit('change');
  }

  /** Send now, ignoring the current backoff once. */
  flush(): void {
    this.writer.flush();
  }

  /** Drops every unsent line (counted as 'purge'). */
  async purge(): Promise<DroppedRecords> {
    const dropped = await this.queue.purge();
    // The writer may hold purged lines in its current batch: make it drop that batch and read the queue again.
    this.writer.retarget(this.client, bucketOf(this.config));
    this.metrics.purged();
    this.emit('change');
    return dropped;
  }

  /** What the writer is doing (lines held, next attempt) beyond what the row shows. */
  writerState(): WriterState {
    return this.writer.getState();
  }

  /** Every figure of this stream (counts since it opened, and the queue's files now). */
  figuresSnapshot(): MetricsSnapshot {
    return this.metrics.snapshot();
  }

  row(now = Date.now()): ReplicationRow {
    return this.rowOf(this.metrics.snapshot(), this.writer.getState(), now);
  }

  private rowOf(m: MetricsSnapshot, w: WriterState, now: number): ReplicationRow {
    const stats = m.queue;
    const dropped = {} as Record<DropReason, number>;
    // The list counts an append refused as queue full (under "reject") with the lines dropped as queue full.
    for (const reason of DROP_REASONS) dropped[reason] = m.dropped[reason].lines + (reason === 'queue-full' ? m.refused.lines : 0);
    return {
      id: this.config.id,
      name: this.config.name,
      remoteID: this.config.remoteID,
      remoteBucketName: this.config.remoteBucketName,
      remoteBucketID: this.config.remoteBucketID,
      maxQueueSizeBytes: this.config.maxQueueSizeBytes,
      maxAgeSeconds: this.config.maxAgeSeconds,
      dropNonRetryableData: this.config.dropNonRetryableData,
      currentQueueSizeBytes: stats.bytesOnDisk,
      // The queue acknowledges whole records: lines of a record the remote already took (while a line of it is
      // refused, say) are still unsent for the queue, not for the user.
      remainingBytesToBeSynced: Math.max(0, stats.unsentBytes - w.bytesSettled),
      remainingLinesToBeSynced: Math.max(0, stats.unsentLines - w.linesSettled),
      latestResponseCode: w.latestResponseCode,
      latestErrorMessage: w.latestErrorMessage,
      state: stateName(w, m.full),
      oldestUnsentAgeSeconds:
        stats.oldestUnsentEnqueuedAt === null ? null : Math.max(0, Math.floor((now - stats.oldestUnsentEnqueuedAt) / 1000)),
      linesQueued: m.queued.lines,
      linesSent: m.sent.lines,
      linesDropped: dropped,
      lastSuccessAt: m.lastSuccessAt === null ? null : new Date(m.lastSuccessAt).toISOString(),
      nextAttemptAt: w.nextAttemptAt === null ? null : new Date(w.nextAttemptAt).toISOString(),
    };
  }

  /** The figures of the Prometheus metrics (issue 17); all in memory, no file is read. */
  figures(now = Date.now()): StreamFigures {
    const m = this.metrics.snapshot();
    const row = this.rowOf(m, this.writer.getState(), now);
    return {
      id: row.id,
      name: row.name,
      remoteBucket: row.remoteBucketName || row.remoteBucketID,
      remoteID: row.remoteID,
      state: row.state,
      maxQueueSizeBytes: row.maxQueueSizeBytes,
      queuedLines: m.queued.lines,
      queuedBytes: m.queued.bytes,
      currentQueueBytes: row.currentQueueSizeBytes,
      remainingBytes: row.remainingBytesToBeSynced,
      remainingLines: row.remainingLinesToBeSynced,
      oldestUnsentAgeSeconds: row.oldestUnsentAgeSeconds,
      sentBytes: m.sent.bytes,
      sentLines: m.sent.lines,
      wireBytes: m.wireBytes,
      requests: m.requests,
      retries: m.retries,
      responsesByCode: m.responsesByCode,
      droppedLines: row.linesDropped,
      nonRetryableDroppedBytes: m.dropped['non-retryable'].bytes,
      refusedLines: m.refused.lines,
      refusedBytes: m.refused.bytes,
    };
  }

  /** Stops sending (the in-flight request gets up to `timeoutMs`) and releases the queue's files. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.expireTimer) clearInterval(this.expireTimer);
    try {
      await this.writer.stop(timeoutMs);
    } finally {
      await this.queue.close();
    }
  }

  /** Close, then remove the queue folder: the node was deleted. */
  async destroy(timeoutMs = 10_000): Promise<void> {
    await this.close(timeoutMs);
    await this.queue.destroy();
  }

  private createWriter(client: RemoteClient): StreamWriter {
    const writer = new StreamWriter(this.queue, client, bucketOf(this.config), {
      ...this.config.writer,
      maxBatchBytes: this.config.maxBatchBytes,
      gzip: this.config.gzip,
      dropNonRetryableData: this.config.dropNonRetryableData,
    });
    writer.on('change', () => this.emit('change'));
    writer.on('dropped', (drop: NonRetryableDrop) => {
      this.emit('dropped', {
        reason: 'non-retryable',
        lines: drop.lines,
        lineCount: drop.lines.length,
        bytes: drop.bytes,
        statusCode: drop.statusCode,
        error: drop.errorMessage,
      } satisfies DroppedLines);
    });
    return writer;
  }

  private reportQueueDrop(dropped: DroppedRecords): void {
    // A refused append (under 'reject') is counted, but the flow already has those lines: its message goes to
    // the Catch node, so they are not also emitted as dropped.
    if (this.metrics.queueDropped(dropped) === 'refused') return void this.emit('change');
    const lines = dropped.data ? dropped.data.flatMap((record) => record.split('\n')) : [];
    this.emit('dropped', {
      reason: dropped.reason,
      lines,
      lineCount: dropped.lines,
      bytes: dropped.bytes,
    } satisfies DroppedLines);
    this.emit('change');
  }
}

function stateName(w: WriterState, full: boolean): StreamStateName {
  if (w.state === 'paused') return 'paused';
  if (w.state === 'blocked') return 'blocked';
  if (full) return 'full';
  if (w.state === 'retrying') return 'retrying';
  return 'ok';
}

/** The v2 `bucket` parameter accepts a name or an ID; exactly one of them is set. */
export function bucketOf(config: Pick<StreamConfig, 'remoteBucketName' | 'remoteBucketID'>): string {
  return config.remoteBucketID || config.remoteBucketName;
}

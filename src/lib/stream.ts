// One replication stream: a durable queue on this machine and a writer that drains it to a remote bucket,
// plus the figures that `influx replication list` shows. Plain TypeScript: the Node-RED node wires it up.
import { EventEmitter } from 'events';
import { DurableQueue, type DroppedRecords, type QueueDropReason } from './queue';
import type { ReplicationSettings } from './stream-config';
import { type NonRetryableDrop, type RemoteClient, StreamWriter, type WriterOptions, type WriterState } from './writer';
import { jitterDelay } from './fleet/options';
import type { StreamFigures } from './metrics/prometheus';
import { streamFigures } from './metrics/stream-figures';

export type StreamStateName = 'ok' | 'retrying' | 'blocked' | 'paused' | 'full';
export type DropReason = QueueDropReason | 'non-retryable';

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

const DROP_REASONS: readonly DropReason[] = ['non-retryable', 'age', 'queue-full', 'purge', 'corrupt'];

/**
 * Events: 'change' (after a send attempt, an ack, a control or a drop), 'queued' (after lines were appended),
 * 'dropped' (DroppedLines).
 */
export class ReplicationStream extends EventEmitter {
  private writer: StreamWriter;
  /** Unsent bytes when the last append was refused as queue full; null when the queue is not full. The stream
   *  stays "full" until an append succeeds or something is delivered (which makes room). */
  private fullAtUnsentBytes: number | null = null;
  /** Appends are numbered as they start; only one that started after the last refusal proves there is room. */
  private appendsStarted = 0;
  private refusedAppend = 0;
  private expireTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private nonRetryableDropped = 0;
  private nonRetryableDroppedBytes = 0;

  private constructor(
    private config: StreamConfig,
    private readonly queue: DurableQueue,
    private client: RemoteClient,
  ) {
    super();
    this.writer = this.createWriter(client);
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
    const appendNumber = ++this.appendsStarted;
    try {
      await this.queue.append(lines);
      // An append accepted before the refusal (still being written when it came) says nothing about room now.
      if (appendNumber > this.refusedAppend) this.fullAtUnsentBytes = null;
      this.emit('queued');
    } catch (err) {
      if ((err as { code?: string }).code === 'QUEUE_FULL') {
        this.refusedAppend = appendNumber;
        this.fullAtUnsentBytes = this.queue.stats().unsentBytes;
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
    this.fullAtUnsentBytes = null;
    this.emit('change');
    return dropped;
  }

  /** The writer's own figures (requests, retries, lines held) beyond what the row shows. */
  writerState(): WriterState {
    return this.writer.getState();
  }

  row(now = Date.now()): ReplicationRow {
    const stats = this.queue.stats();
    const w = this.writer.getState();
    const dropped = {} as Record<DropReason, number>;
    for (const reason of DROP_REASONS) {
      dropped[reason] = reason === 'non-retryable' ? Math.max(w.linesDropped, this.nonRetryableDropped) : stats.dropped[reason].lines;
    }
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
      state: this.stateName(w),
      oldestUnsentAgeSeconds:
        stats.oldestUnsentEnqueuedAt === null ? null : Math.max(0, Math.floor((now - stats.oldestUnsentEnqueuedAt) / 1000)),
      linesQueued: stats.appended.lines,
      linesSent: w.linesSent,
      linesDropped: dropped,
      lastSuccessAt: w.lastSuccessAt === null ? null : new Date(w.lastSuccessAt).toISOString(),
      nextAttemptAt: w.nextAttemptAt === null ? null : new Date(w.nextAttemptAt).toISOString(),
    };
  }

  /** The figures of the Prometheus metrics (issue 17); all in memory, no file is read. */
  figures(now = Date.now()): StreamFigures {
    return streamFigures(this.row(now), this.queue.stats(), this.writer.getState(), {
      onQueueFull: this.config.onQueueFull,
      nonRetryableDroppedBytes: this.nonRetryableDroppedBytes,
    });
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
    writer.on('change', () => {
      if (this.fullAtUnsentBytes !== null && this.queue.stats().unsentBytes < this.fullAtUnsentBytes) this.fullAtUnsentBytes = null;
      this.emit('change');
    });
    writer.on('dropped', (drop: NonRetryableDrop) => {
      this.nonRetryableDropped += drop.lines.length;
      const bytes = drop.lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
      this.nonRetryableDroppedBytes += bytes;
      this.emit('dropped', {
        reason: 'non-retryable',
        lines: drop.lines,
        lineCount: drop.lines.length,
        bytes,
        statusCode: drop.statusCode,
        error: drop.errorMessage,
      } satisfies DroppedLines);
    });
    return writer;
  }

  private reportQueueDrop(dropped: DroppedRecords): void {
    // Under 'reject' the refused append is counted by the queue, but the flow already has those lines: its message
    // goes to the Catch node, so they are not also emitted as dropped.
    if (dropped.reason === 'queue-full' && this.config.onQueueFull === 'reject') return void this.emit('change');
    const lines = dropped.data ? dropped.data.flatMap((record) => record.split('\n')) : [];
    this.emit('dropped', {
      reason: dropped.reason,
      lines,
      lineCount: dropped.lines,
      bytes: dropped.bytes,
    } satisfies DroppedLines);
    this.emit('change');
  }

  private stateName(w: WriterState): StreamStateName {
    if (w.state === 'paused') return 'paused';
    if (w.state === 'blocked') return 'blocked';
    if (this.fullAtUnsentBytes !== null) return 'full';
    if (w.state === 'retrying') return 'retrying';
    return 'ok';
  }
}

/** The v2 `bucket` parameter accepts a name or an ID; exactly one of them is set. */
export function bucketOf(config: Pick<StreamConfig, 'remoteBucketName' | 'remoteBucketID'>): string {
  return config.remoteBucketID || config.remoteBucketName;
}

// The metrics figures of one stream, from what it already counts: its row (the replication list), the queue's
// counters and the writer's. All of them are kept in memory.
import type { QueueStats, OverflowPolicy } from '../queue';
import type { ReplicationRow } from '../stream';
import type { WriterState } from '../writer';
import type { StreamFigures } from './prometheus';

export interface StreamExtras {
  onQueueFull: OverflowPolicy;
  nonRetryableDroppedBytes: number;
}

export function streamFigures(row: ReplicationRow, queue: QueueStats, writer: WriterState, extras: StreamExtras): StreamFigures {
  const refused = extras.onQueueFull === 'reject' ? queue.dropped['queue-full'] : { lines: 0, bytes: 0 };
  return {
    id: row.id,
    name: row.name,
    remoteBucket: row.remoteBucketName || row.remoteBucketID,
    remoteID: row.remoteID,
    state: row.state,
    maxQueueSizeBytes: row.maxQueueSizeBytes,
    queuedLines: queue.appended.lines,
    queuedBytes: queue.appended.bytes,
    currentQueueBytes: row.currentQueueSizeBytes,
    remainingBytes: row.remainingBytesToBeSynced,
    remainingLines: row.remainingLinesToBeSynced,
    oldestUnsentAgeSeconds: row.oldestUnsentAgeSeconds,
    // Acknowledged records are those delivered and those dropped as non-retryable.
    sentBytes: Math.max(0, queue.acknowledged.bytes - extras.nonRetryableDroppedBytes),
    sentLines: writer.linesSent,
    wireBytes: writer.bytesSent,
    requests: writer.requests,
    retries: writer.retries,
    responsesByCode: writer.responsesByCode ?? {},
    droppedLines: row.linesDropped,
    nonRetryableDroppedBytes: extras.nonRetryableDroppedBytes,
    refusedLines: refused.lines,
    refusedBytes: refused.bytes,
  };
}

// Every replication stream's figures in Prometheus's text exposition format (version 0.0.4). InfluxDB OSS's
// replication metric names first, labelled `replicationID` as InfluxDB labels them, so existing dashboards work;
// then this package's own under `influxdb_replication_`. Built from figures the stream keeps in memory: a scrape
// reads no file.

import { DROP_REASONS } from './stream-metrics';

export { DROP_REASONS };

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const STATES = ['ok', 'retrying', 'blocked', 'paused', 'full'] as const;

/** What one stream knows about itself (ReplicationStream.figures()). */
export interface StreamFigures {
  id: string;
  name: string;
  /** Bucket name, or ID when the stream names its bucket by ID. */
  remoteBucket: string;
  remoteID: string;
  state: (typeof STATES)[number];
  maxQueueSizeBytes: number;
  /** Lines and bytes appended to the queue since it was created. */
  queuedLines: number;
  queuedBytes: number;
  /** The queue's files. */
  currentQueueBytes: number;
  remainingBytes: number;
  remainingLines: number;
  oldestUnsentAgeSeconds: number | null;
  /** Line protocol the remote accepted (uncompressed). */
  sentBytes: number;
  sentLines: number;
  /** Request bodies as sent (after gzip), of requests the remote answered. */
  wireBytes: number;
  requests: number;
  retries: number;
  /** Answers by HTTP status; 0 counts requests without an answer (network error, timeout). */
  responsesByCode: Readonly<Record<string, number>>;
  droppedLines: Readonly<Record<(typeof DROP_REASONS)[number], number>>;
  /** Bytes dropped as non-retryable (refused by the remote). */
  nonRetryableDroppedBytes: number;
  /** Appends refused because the queue was full (onQueueFull "reject"). */
  refusedLines: number;
  refusedBytes: number;
}

type Kind = 'counter' | 'gauge';
interface Family {
  name: string;
  kind: Kind;
  help: string;
  /** One sample per stream, or several (with extra labels). */
  samples(f: StreamFigures): Array<[extra: string, value: number]>;
}

const one = (value: number): Array<[string, number]> => [['', value]];

const FAMILIES: Family[] = [
  // InfluxDB OSS's names.
  { name: 'replications_queue_total_points_queued', kind: 'counter', help: 'Lines (points) added to the queue.', samples: (f) => one(f.queuedLines) },
  { name: 'replications_queue_total_bytes_queued', kind: 'counter', help: 'Bytes of line protocol added to the queue.', samples: (f) => one(f.queuedBytes) },
  { name: 'replications_queue_current_bytes_queued', kind: 'gauge', help: 'Bytes of the queue on disk.', samples: (f) => one(f.currentQueueBytes) },
  {
    name: 'replications_queue_remote_write_errors',
    kind: 'counter',
    help: 'Write requests the remote did not accept, by HTTP status (0: no answer).',
    samples: (f) =>
      Object.keys(f.responsesByCode)
        .filter((code) => !(Number(code) >= 200 && Number(code) < 300))
        .sort((a, b) => Number(a) - Number(b))
        .map((code) => [`code="${escapeLabel(code)}"`, f.responsesByCode[code]]),
  },
  { name: 'replications_queue_remote_write_bytes_sent', kind: 'counter', help: 'Bytes of line protocol the remote accepted.', samples: (f) => one(f.sentBytes) },
  { name: 'replications_queue_remote_write_bytes_dropped', kind: 'counter', help: 'Bytes of line protocol dropped as non-retryable.', samples: (f) => one(f.nonRetryableDroppedBytes) },
  { name: 'replications_queue_points_failed_to_queue', kind: 'counter', help: 'Lines refused because the queue was full.', samples: (f) => one(f.refusedLines) },
  { name: 'replications_queue_bytes_failed_to_queue', kind: 'counter', help: 'Bytes refused because the queue was full.', samples: (f) => one(f.refusedBytes) },
  // This package's.
  { name: 'influxdb_replication_remaining_bytes', kind: 'gauge', help: 'Bytes of line protocol still to send.', samples: (f) => one(f.remainingBytes) },
  { name: 'influxdb_replication_remaining_lines', kind: 'gauge', help: 'Lines still to send.', samples: (f) => one(f.remainingLines) },
  {
    name: 'influxdb_replication_oldest_unsent_age_seconds',
    kind: 'gauge',
    help: 'Age of the oldest line still to send (0 when nothing waits).',
    samples: (f) => one(f.oldestUnsentAgeSeconds ?? 0),
  },
  { name: 'influxdb_replication_max_queue_size_bytes', kind: 'gauge', help: 'Largest size the queue may reach.', samples: (f) => one(f.maxQueueSizeBytes) },
  {
    name: 'influxdb_replication_state',
    kind: 'gauge',
    help: 'The stream state: 1 for the current one.',
    samples: (f) => STATES.map((state) => [`state="${state}"`, f.state === state ? 1 : 0]),
  },
  { name: 'influxdb_replication_lines_sent_total', kind: 'counter', help: 'Lines the remote accepted.', samples: (f) => one(f.sentLines) },
  { name: 'influxdb_replication_requests_total', kind: 'counter', help: 'Write requests made.', samples: (f) => one(f.requests) },
  { name: 'influxdb_replication_retries_total', kind: 'counter', help: 'Write requests that were retries.', samples: (f) => one(f.retries) },
  { name: 'influxdb_replication_wire_bytes_total', kind: 'counter', help: 'Request body bytes as sent (after gzip), of answered requests.', samples: (f) => one(f.wireBytes) },
  {
    name: 'influxdb_replication_lines_dropped_total',
    kind: 'counter',
    help: 'Lines dropped, by reason.',
    samples: (f) => DROP_REASONS.map((reason) => [`reason="${reason}"`, f.droppedLines[reason] ?? 0]),
  },
];

/** The exposition text for these streams (no streams: HELP and TYPE lines only). */
export function renderMetrics(streams: readonly StreamFigures[]): string {
  const labels = streams.map(streamLabels);
  const out: string[] = [];
  for (const family of FAMILIES) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.kind}`);
    streams.forEach((stream, i) => {
      for (const [extra, value] of family.samples(stream)) {
        out.push(`${family.name}{${labels[i]}${extra ? `,${extra}` : ''}} ${formatValue(value)}`);
      }
    });
  }
  return out.join('\n') + '\n';
}

export function streamLabels(f: Pick<StreamFigures, 'id' | 'name' | 'remoteBucket' | 'remoteID'>): string {
  const id = escapeLabel(f.id);
  return `replicationID="${id}",id="${id}",name="${escapeLabel(f.name)}",remoteBucket="${escapeLabel(f.remoteBucket)}",remoteID="${escapeLabel(f.remoteID)}"`;
}

/** Label values: backslash, double quote and newline escaped, as the format requires. */
export function escapeLabel(value: string): string {
  return String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and newline escaped. */
export function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

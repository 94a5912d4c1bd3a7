// Turns the replication node's properties (as the editor saved them, possibly strings) into checked settings.
// The same limits are enforced by the editor; this is the runtime's own check for flows written by hand.
import * as path from 'path';
import { isPrecision, type Precision } from './line-protocol';
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_QUEUE_SIZE_BYTES,
  isOverflowPolicy,
  MIN_MAX_QUEUE_SIZE_BYTES,
  OVERFLOW_DROP_OLDEST,
  OVERFLOW_REJECT,
  type OverflowPolicy,
} from './queue';
import { DEFAULT_MAX_BATCH_BYTES } from './writer';

export { DEFAULT_MAX_BATCH_BYTES };
/** Smallest batch worth a request; smaller values would only multiply requests. */
export const MIN_MAX_BATCH_BYTES = 1_000;

/** The value of every property a flow may leave out. The node file hands this same object to the editor, so a
 *  dialog opens a hand-written or older flow with what the stream actually runs with. */
export const REPLICATION_DEFAULTS = Object.freeze({
  name: '',
  remote: '',
  remoteBucketName: '',
  remoteBucketID: '',
  maxQueueSizeBytes: DEFAULT_MAX_QUEUE_SIZE_BYTES,
  maxAgeSeconds: DEFAULT_MAX_AGE_SECONDS,
  dropNonRetryableData: false,
  precision: 'ns' as Precision,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  onQueueFull: OVERFLOW_REJECT as OverflowPolicy,
  gzip: true,
});

/** The smallest value each number property takes (the editor checks the same ones). */
export const REPLICATION_MINIMUMS = Object.freeze({
  maxQueueSizeBytes: MIN_MAX_QUEUE_SIZE_BYTES,
  maxAgeSeconds: 0,
  maxBatchBytes: MIN_MAX_BATCH_BYTES,
});

export interface ReplicationProperties {
  name?: unknown;
  remote?: unknown;
  remoteBucketName?: unknown;
  remoteBucketID?: unknown;
  maxQueueSizeBytes?: unknown;
  maxAgeSeconds?: unknown;
  dropNonRetryableData?: unknown;
  precision?: unknown;
  maxBatchBytes?: unknown;
  onQueueFull?: unknown;
  gzip?: unknown;
}

export interface ReplicationSettings {
  name: string;
  remoteID: string;
  remoteBucketName: string;
  remoteBucketID: string;
  maxQueueSizeBytes: number;
  maxAgeSeconds: number;
  dropNonRetryableData: boolean;
  precision: Precision;
  maxBatchBytes: number;
  onQueueFull: OverflowPolicy;
  gzip: boolean;
}

export interface ParsedReplicationSettings {
  settings: ReplicationSettings;
  /** One sentence per invalid property; empty when the stream can run. */
  problems: string[];
}

export function parseReplicationSettings(props: ReplicationProperties): ParsedReplicationSettings {
  const problems: string[] = [];
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value).trim());
  const bool = (value: unknown, fallback: boolean) =>
    value === undefined || value === null || value === '' ? fallback : value === true || value === 'true';

  const integer = (name: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined || value === null || value === '') return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return n;
  };

  const remoteBucketName = text(props.remoteBucketName);
  const remoteBucketID = text(props.remoteBucketID);
  if (!remoteBucketName && !remoteBucketID) problems.push('set a remote bucket name or a remote bucket ID');
  if (remoteBucketName && remoteBucketID) problems.push('set either a remote bucket name or a remote bucket ID, not both');

  const remoteID = text(props.remote);
  if (!remoteID) problems.push('no remote (influxdb-remote) is selected');

  const defaults = REPLICATION_DEFAULTS;
  const min = REPLICATION_MINIMUMS;
  const precision = text(props.precision) || defaults.precision;
  if (!isPrecision(precision)) problems.push(`precision must be one of ns, us, ms, s; got ${JSON.stringify(precision)}`);

  const onQueueFull = text(props.onQueueFull) || defaults.onQueueFull;
  if (!isOverflowPolicy(onQueueFull)) {
    problems.push(`onQueueFull must be "${OVERFLOW_REJECT}" or "${OVERFLOW_DROP_OLDEST}", got ${JSON.stringify(onQueueFull)}`);
  }

  const settings: ReplicationSettings = {
    name: text(props.name),
    remoteID,
    remoteBucketName,
    remoteBucketID,
    maxQueueSizeBytes: integer('maxQueueSizeBytes', props.maxQueueSizeBytes, defaults.maxQueueSizeBytes, min.maxQueueSizeBytes),
    maxAgeSeconds: integer('maxAgeSeconds', props.maxAgeSeconds, defaults.maxAgeSeconds, min.maxAgeSeconds),
    dropNonRetryableData: bool(props.dropNonRetryableData, defaults.dropNonRetryableData),
    precision: isPrecision(precision) ? precision : defaults.precision,
    maxBatchBytes: integer('maxBatchBytes', props.maxBatchBytes, defaults.maxBatchBytes, min.maxBatchBytes),
    onQueueFull: isOverflowPolicy(onQueueFull) ? onQueueFull : defaults.onQueueFull,
    gzip: bool(props.gzip, defaults.gzip),
  };
  return { settings, problems };
}

/** Node ids are chosen by whoever writes the flow: only a plain file name may become a folder under the root. */
export function queueDirFor(root: string, nodeId: string): string {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(nodeId) || /^\.+$/.test(nodeId)) {
    throw new Error(`node id ${JSON.stringify(nodeId)} cannot name a queue folder (letters, digits, '.', '_' and '-' only)`);
  }
  const resolvedRoot = path.resolve(root);
  const dir = path.resolve(resolvedRoot, nodeId);
  if (path.dirname(dir) !== resolvedRoot) throw new Error(`queue folder for node ${JSON.stringify(nodeId)} escapes ${resolvedRoot}`);
  return dir;
}

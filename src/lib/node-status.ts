// The node status (colour, shape, short text) of a replication stream, derived from its list row so that the
// editor badge, the output message and the sidebar always agree.
import type { ReplicationRow } from './stream';

export interface NodeStatus {
  fill: 'green' | 'yellow' | 'red' | 'grey' | 'blue';
  shape: 'dot' | 'ring';
  text: string;
}

/** Node-RED shows status text under the node: keep it short (under 20 characters). */
export const MAX_STATUS_TEXT = 19;

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit += 1;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function code(row: ReplicationRow): string {
  if (row.latestResponseCode === null) return '-';
  if (row.latestResponseCode !== 0) return String(row.latestResponseCode);
  // No status code: no answer at all, unless a line is kept, which only an answer (one the client could not
  // read) does.
  return row.state === 'blocked' ? 'bad answer' : 'net err';
}

export function statusOf(row: ReplicationRow): NodeStatus {
  const queued = formatBytes(row.remainingBytesToBeSynced);
  switch (row.state) {
    case 'paused':
      return fit({ fill: 'grey', shape: 'dot', text: `paused · ${queued}` });
    case 'full':
      return fit({ fill: 'red', shape: 'ring', text: `full · ${queued}` });
    case 'blocked':
      return fit({ fill: 'red', shape: 'ring', text: `${code(row)} · ${queued}` });
    case 'retrying':
      return fit({ fill: 'yellow', shape: 'ring', text: `${code(row)} · ${queued}` });
    default:
      return fit({
        fill: 'green',
        shape: row.remainingBytesToBeSynced === 0 ? 'dot' : 'ring',
        text: `${code(row)} · ${queued}`,
      });
  }
}

/** A red ring for a stream that cannot run (bad settings or remote). */
export function configErrorStatus(): NodeStatus {
  return { fill: 'red', shape: 'ring', text: 'config error' };
}

function fit(status: NodeStatus): NodeStatus {
  return status.text.length <= MAX_STATUS_TEXT ? status : { ...status, text: status.text.slice(0, MAX_STATUS_TEXT - 1) + '…' };
}

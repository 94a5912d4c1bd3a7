// The node status (colour, shape, short text) of a replication stream, derived from its list row so that the
// editor badge, the output message and the sidebar always agree.
import type { ReplicationRow } from './stream';
// Shared with the editor (see the file): one definition for the badge and the sidebar.
import { formatBytes } from '../../resources/format-bytes';

export { formatBytes };

export interface NodeStatus {
  fill: 'green' | 'yellow' | 'red' | 'grey' | 'blue';
  shape: 'dot' | 'ring';
  text: string;
}

/** Node-RED shows status text under the node: keep it short (under 20 characters). */
export const MAX_STATUS_TEXT = 19;

/** Looks up a text under `status.` in the node's message catalog (nodes/locales/<lang>/), so that the badge
 *  speaks the runtime's language; __name__ placeholders are filled from `vars`. */
export type StatusText = (key: string, vars?: Record<string, string>) => string;

function code(row: ReplicationRow, t: StatusText): string {
  if (row.latestResponseCode === null) return '-';
  if (row.latestResponseCode !== 0) return String(row.latestResponseCode);
  // No status code: no answer at all, unless a line is kept, which only an answer (one the client could not
  // read) does.
  return row.state === 'blocked' ? t('status.badAnswer') : t('status.netErr');
}

export function statusOf(row: ReplicationRow, t: StatusText): NodeStatus {
  const queued = formatBytes(row.remainingBytesToBeSynced);
  const answer = () => t('status.answer', { code: code(row, t), queued });
  switch (row.state) {
    case 'paused':
      return fit({ fill: 'grey', shape: 'dot', text: t('status.paused', { queued }) });
    case 'full':
      return fit({ fill: 'red', shape: 'ring', text: t('status.full', { queued }) });
    case 'blocked':
      return fit({ fill: 'red', shape: 'ring', text: answer() });
    case 'retrying':
      return fit({ fill: 'yellow', shape: 'ring', text: answer() });
    default:
      return fit({
        fill: 'green',
        shape: row.remainingBytesToBeSynced === 0 ? 'dot' : 'ring',
        text: answer(),
      });
  }
}

/** A red ring for a stream that cannot run (bad settings or remote). */
export function configErrorStatus(t: StatusText): NodeStatus {
  return { fill: 'red', shape: 'ring', text: t('status.configError') };
}

function fit(status: NodeStatus): NodeStatus {
  return status.text.length <= MAX_STATUS_TEXT ? status : { ...status, text: status.text.slice(0, MAX_STATUS_TEXT - 1) + '…' };
}

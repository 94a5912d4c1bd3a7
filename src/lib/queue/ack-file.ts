// The acknowledged position, kept in a tiny file replaced atomically (write tmp, fsync, rename, fsync the
// folder) so a crash leaves either the old or the new position, never a torn one.
import * as fsp from 'fs/promises';
import * as path from 'path';
import type { QueuePosition } from './position';

const ACK_FILE = 'ack.json';
const ACK_TMP = 'ack.json.tmp';

export async function readAckPosition(dir: string): Promise<QueuePosition | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, ACK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    const { segment, offset } = parsed;
    if (Number.isSafeInteger(segment) && Number.isSafeInteger(offset) && (segment as number) >= 0 && (offset as number) >= 0) {
      return { segment: segment as number, offset: offset as number };
    }
  } catch {
    // An unreadable ack file can only come from outside damage; starting from the oldest segment re-sends
    // data rather than losing it.
  }
  return null;
}

export async function writeAckPosition(dir: string, position: QueuePosition): Promise<void> {
  const tmp = path.join(dir, ACK_TMP);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ segment: position.segment, offset: position.offset }));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path.join(dir, ACK_FILE));
  await syncDirectory(dir);
}

/** Makes a created, renamed or deleted name in `dir` survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

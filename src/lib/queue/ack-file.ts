// The acknowledged position, kept in two fixed-size slot files that are overwritten in place.
//
// An ack must succeed on a full disk: it is what lets the queue delete segments and free space. Writing a
// new file and renaming it needs free blocks; overwriting bytes that are already allocated does not. So
// both slots are allocated once (when the queue folder is first opened) and every ack rewrites one of them
// at offset 0 with the same size, then fdatasyncs it. Writes alternate between the slots, so a write torn
// by a crash spoils only the slot being written and the other still holds the previous position.
//
// Slot layout (SLOT_BYTES, little-endian):
//   0  4 bytes magic "DQAK"     8  f64 sequence (higher is newer)   24 f64 offset
//   4  u32 format version 1     16 f64 segment                      32 u32 CRC-32 of bytes 0..31
//   36..63 zero
import type { FileHandle } from 'fs/promises';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { crc32 } from './crc32';
import { comparePositions, type QueuePosition } from './position';

/** Written by the previous format (tmp + rename); read once on open, migrated into the slots, removed. */
const LEGACY_ACK_FILE = 'ack.json';
const LEGACY_ACK_TMP = 'ack.json.tmp';
const SLOT_FILES = ['ack-0.slot', 'ack-1.slot'] as const;
export const SLOT_BYTES = 64;
const SLOT_MAGIC = Buffer.from('DQAK', 'latin1');
const SLOT_VERSION = 1;

interface SlotContent {
  sequence: number;
  position: QueuePosition;
}

/** Encodes one slot; exported for tests that build damaged slots. */
export function encodeAckSlot(sequence: number, position: QueuePosition): Buffer {
  const buf = Buffer.alloc(SLOT_BYTES);
  SLOT_MAGIC.copy(buf, 0);
  buf.writeUInt32LE(SLOT_VERSION, 4);
  buf.writeDoubleLE(sequence, 8);
  buf.writeDoubleLE(position.segment, 16);
  buf.writeDoubleLE(position.offset, 24);
  buf.writeUInt32LE(crc32(buf.subarray(0, 32)), 32);
  return buf;
}

/** The slot's content, or null when it is empty, torn or damaged. */
export function decodeAckSlot(buf: Buffer): SlotContent | null {
  if (buf.length < SLOT_BYTES) return null;
  if (!buf.subarray(0, 4).equals(SLOT_MAGIC) || buf.readUInt32LE(4) !== SLOT_VERSION) return null;
  if (crc32(buf.subarray(0, 32)) !== buf.readUInt32LE(32)) return null;
  const sequence = buf.readDoubleLE(8);
  const segment = buf.readDoubleLE(16);
  const offset = buf.readDoubleLE(24);
  if (![sequence, segment, offset].every((n) => Number.isSafeInteger(n) && n >= 0)) return null;
  return { sequence, position: { segment, offset } };
}

/** The two preallocated ack slots of one queue folder, kept open for the queue's life. */
export class AckSlots {
  /** Sequence of the newest durable slot (0: none yet). */
  private sequence: number;

  private constructor(
    private readonly handles: FileHandle[],
    newest: SlotContent | null,
  ) {
    this.sequence = newest ? newest.sequence : 0;
  }

  /**
   * Opens (and on first use preallocates) the slots in `dir` and returns the saved position: the valid
   * slot with the highest sequence, or a position left by the previous format's ack.json (migrated here).
   */
  static async open(dir: string): Promise<{ slots: AckSlots; saved: QueuePosition | null }> {
    const handles: FileHandle[] = [];
    let newest: SlotContent | null = null;
    try {
      let created = false;
      for (const name of SLOT_FILES) {
        const file = path.join(dir, name);
        const opened = await openSlot(file);
        handles.push(opened.handle);
        created ||= opened.created;
        const content = opened.content;
        if (content && (!newest || content.sequence > newest.sequence)) newest = content;
      }
      if (created) await syncDirectory(dir);
      const slots = new AckSlots(handles, newest);
      let saved = newest ? newest.position : null;
      const legacy = await readLegacyAckPosition(dir);
      if (legacy.found) {
        // A crash after migrating but before removing ack.json leaves both: the later one is the truth.
        if (legacy.position && (!saved || comparePositions(legacy.position, saved) > 0)) {
          await slots.write(legacy.position);
          saved = legacy.position;
        }
        await removeLegacyFiles(dir);
      }
      return { slots, saved };
    } catch (err) {
      for (const h of handles) await h.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Makes `position` durable by overwriting the older slot in place (no new blocks, so it works on a full
   * disk). On failure the newer slot still holds the previous position, and the next write retries the
   * same (older) slot.
   */
  async write(position: QueuePosition): Promise<void> {
    const sequence = this.sequence + 1;
    const handle = this.handles[sequence % 2];
    const buf = encodeAckSlot(sequence, position);
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await handle.write(buf, written, buf.length - written, written);
      if (bytesWritten === 0) throw new Error('short write of the ack slot');
      written += bytesWritten;
    }
    await handle.datasync();
    this.sequence = sequence;
  }

  async close(): Promise<void> {
    for (const h of this.handles.splice(0)) await h.close().catch(() => undefined);
  }
}

/** Opens one slot file for in-place writes, allocating it (zeroed, so invalid) when missing or cut short. */
async function openSlot(file: string): Promise<{ handle: FileHandle; content: SlotContent | null; created: boolean }> {
  let handle: FileHandle;
  let created = false;
  try {
    handle = await fsp.open(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    handle = await fsp.open(file, 'w+', 0o600);
    created = true;
  }
  try {
    const buf = Buffer.alloc(SLOT_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SLOT_BYTES, 0);
    const size = (await handle.stat()).size;
    const content = bytesRead === SLOT_BYTES ? decodeAckSlot(buf) : null;
    if (size !== SLOT_BYTES) {
      // New, or cut short by a crash during creation: give it its full size now, while there is space.
      const fill = content ? buf : Buffer.alloc(SLOT_BYTES);
      await handle.truncate(0);
      await handle.write(fill, 0, SLOT_BYTES, 0);
      await handle.datasync();
      created = true;
    }
    return { handle, content, created };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** `found` when ack.json (or its leftover temporary file) exists; `position` when ack.json is readable. */
async function readLegacyAckPosition(dir: string): Promise<{ found: boolean; position: QueuePosition | null }> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, LEGACY_ACK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const tmpLeft = await fsp.access(path.join(dir, LEGACY_ACK_TMP)).then(() => true, () => false);
    return { found: tmpLeft, position: null };
  }
  try {
    const parsed = JSON.parse(text) as { segment?: unknown; offset?: unknown };
    const { segment, offset } = parsed;
    if (Number.isSafeInteger(segment) && Number.isSafeInteger(offset) && (segment as number) >= 0 && (offset as number) >= 0) {
      return { found: true, position: { segment: segment as number, offset: offset as number } };
    }
  } catch {
    // An unreadable ack file can only come from outside damage; starting from the oldest segment re-sends
    // data rather than losing it.
  }
  return { found: true, position: null };
}

async function removeLegacyFiles(dir: string): Promise<void> {
  for (const name of [LEGACY_ACK_FILE, LEGACY_ACK_TMP]) {
    await fsp.unlink(path.join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
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

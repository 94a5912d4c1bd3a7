// How one append is framed on disk. A frame is a fixed 24-byte header followed by the payload (the
// append's lines joined with '\n', UTF-8):
//
//   0  u8   magic 0xD1          4  u32le payload length     12 f64le enqueuedAt (ms epoch)
//   1  u8   magic 0x51          8  u32le line count         20 u32le CRC-32 of bytes 0..19 + payload
//   2  u8   format version 1
//   3  u8   flags (0)
//
// The checksum covers the header too, so a flipped bit in the length or the time is caught as surely as
// one in the data; the magic bytes let a reader find the next frame after a damaged one.
import { crc32 } from './crc32';

export const FRAME_HEADER_BYTES = 24;
export const FRAME_MAGIC_0 = 0xd1;
export const FRAME_MAGIC_1 = 0x51;
export const FRAME_VERSION = 1;
/** The first four header bytes of every valid frame: what a reader scans for after damage. */
export const FRAME_SIGNATURE = Buffer.from([FRAME_MAGIC_0, FRAME_MAGIC_1, FRAME_VERSION, 0]);
/** A length above this is damage, not data (no record may exceed the queue's size bound anyway). */
export const MAX_FRAME_PAYLOAD_BYTES = 1024 * 1024 * 1024;

export interface FrameHeader {
  payloadBytes: number;
  lines: number;
  enqueuedAt: number;
  crc: number;
}

/** Builds one frame (header + payload) in a single buffer, ready to write. */
export function encodeFrame(data: string, lines: number, enqueuedAt: number): Buffer {
  const payloadBytes = Buffer.byteLength(data, 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  copyText(frame, data, FRAME_HEADER_BYTES, payloadBytes);
  return sealFrame(frame, payloadBytes, lines, enqueuedAt);
}

/** Lines per piece when a big append is joined piecewise (see encodeLinesFrame). */
const JOIN_PIECE_LINES = 256;

/**
 * The frame of one append: its lines joined with '\n'. V8 joins a few hundred strings much faster
 * per byte than thousands at once, and this is most of an append's CPU cost, so big appends are joined in
 * pieces copied one after the other (same bytes as one join).
 */
export function encodeLinesFrame(lines: readonly string[], enqueuedAt: number): Buffer {
  if (lines.length <= JOIN_PIECE_LINES) return encodeFrame(lines.join('\n'), lines.length, enqueuedAt);
  const pieces: string[] = [];
  const sizes: number[] = [];
  let payloadBytes = 0;
  for (let i = 0; i < lines.length; i += JOIN_PIECE_LINES) {
    const piece = lines.slice(i, i + JOIN_PIECE_LINES).join('\n');
    const size = Buffer.byteLength(piece, 'utf8');
    pieces.push(piece);
    sizes.push(size);
    payloadBytes += size;
  }
  payloadBytes += pieces.length - 1; // the '\n' between pieces
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  let at = FRAME_HEADER_BYTES;
  for (let k = 0; k < pieces.length; k++) {
    if (k > 0) frame[at++] = 0x0a;
    copyText(frame, pieces[k], at, sizes[k]);
    at += sizes[k];
  }
  return sealFrame(frame, payloadBytes, lines.length, enqueuedAt);
}

/** Copies `text` (known to be `bytes` long in UTF-8) into `buf` at `at`. */
function copyText(buf: Buffer, text: string, at: number, bytes: number): void {
  // Line protocol is nearly always ASCII, where UTF-8 and Latin-1 bytes agree and the Latin-1 copy is far
  // cheaper; equal lengths prove there is no other character.
  if (bytes === text.length) buf.write(text, at, 'latin1');
  else buf.write(text, at, 'utf8');
}

/** Fills in the header of a frame whose payload is in place, checksum last. */
function sealFrame(frame: Buffer, payloadBytes: number, lines: number, enqueuedAt: number): Buffer {
  frame[0] = FRAME_MAGIC_0;
  frame[1] = FRAME_MAGIC_1;
  frame[2] = FRAME_VERSION;
  frame[3] = 0;
  frame.writeUInt32LE(payloadBytes, 4);
  frame.writeUInt32LE(lines, 8);
  frame.writeDoubleLE(enqueuedAt, 12);
  const crc = crc32(frame.subarray(FRAME_HEADER_BYTES), crc32(frame.subarray(0, 20)));
  frame.writeUInt32LE(crc, 20);
  return frame;
}

/**
 * Reads a header at `offset` of `buf` (which must hold FRAME_HEADER_BYTES from there). Returns null when
 * the bytes cannot be a frame start (wrong magic/version/flags, insane length or time).
 */
export function decodeFrameHeader(buf: Buffer, offset: number): FrameHeader | null {
  if (buf[offset] !== FRAME_MAGIC_0 || buf[offset + 1] !== FRAME_MAGIC_1) return null;
  if (buf[offset + 2] !== FRAME_VERSION || buf[offset + 3] !== 0) return null;
  const payloadBytes = buf.readUInt32LE(offset + 4);
  if (payloadBytes > MAX_FRAME_PAYLOAD_BYTES) return null;
  const enqueuedAt = buf.readDoubleLE(offset + 12);
  if (!Number.isFinite(enqueuedAt)) return null;
  return { payloadBytes, lines: buf.readUInt32LE(offset + 8), enqueuedAt, crc: buf.readUInt32LE(offset + 20) };
}

/** True when the checksum in `header` matches the header bytes at `offset` and the payload after them. */
export function frameChecksumMatches(buf: Buffer, offset: number, header: FrameHeader): boolean {
  const start = offset + FRAME_HEADER_BYTES;
  const crc = crc32(buf.subarray(start, start + header.payloadBytes), crc32(buf.subarray(offset, offset + 20)));
  return crc === header.crc;
}

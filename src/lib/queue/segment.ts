// Segment files: naming, listing, and a streaming scanner that walks the frames of one file through a
// small fixed window, so neither recovery nor reading ever holds a whole segment in memory.
import type { FileHandle } from 'fs/promises';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { decodeFrameHeader, FRAME_HEADER_BYTES, FRAME_SIGNATURE, frameChecksumMatches } from './record-format';

const SEGMENT_NAME = /^(\d{10})\.seg$/;

/** Zero-padded so that a plain name sort is also the numeric order. */
export function segmentFileName(id: number): string {
  return `${String(id).padStart(10, '0')}.seg`;
}

export function segmentPath(dir: string, id: number): string {
  return path.join(dir, segmentFileName(id));
}

/** Segment ids present in `dir`, ascending. */
export async function listSegmentIds(dir: string): Promise<number[]> {
  const names = await fsp.readdir(dir);
  const ids: number[] = [];
  for (const name of names) {
    const m = SEGMENT_NAME.exec(name);
    if (m) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

/** A valid frame. `end` is the offset just after it. */
export interface ScannedRecord {
  kind: 'record';
  offset: number;
  end: number;
  lines: number;
  enqueuedAt: number;
  payloadBytes: number;
  /**
   * The payload (lines as UTF-8 joined by 0x0a), when asked for: a view of the scanner's window, not a copy.
   * The scanner never reads into a window it has handed a view of, so the bytes stay as they are.
   */
  payload?: Buffer;
}

/**
 * Damaged bytes [offset, end); a valid frame starts at `end`. `lines` is the best estimate of the lines lost
 * (see damagedLines), so that a loss is never reported as 0 lines.
 */
export interface ScannedCorruption {
  kind: 'corrupt';
  offset: number;
  end: number;
  lines: number;
}

/**
 * Nothing valid from `offset` to the end of the file. `completeFrame` tells a torn write (the file ends
 * inside the frame: the append never resolved) from a whole frame whose checksum fails.
 */
export interface ScannedInvalidTail {
  kind: 'invalid-tail';
  offset: number;
  end: number;
  completeFrame: boolean;
  lines: number;
}

export type ScanItem = ScannedRecord | ScannedCorruption | ScannedInvalidTail;

export const DEFAULT_SCAN_WINDOW_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Reads frames of one segment file up to `size` (the durable length: bytes past it are ignored). The window
 * grows only to fit a single record bigger than itself, and shrinks back after.
 */
export class SegmentScanner {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  /** A view of `buf` was handed out: the next read must go to a new buffer, not overwrite this one. */
  private bufShared = false;
  /** `buf` was made bigger than the window for one big record: dropped again once a window is enough. */
  private oversized = false;

  /**
   * `lent`: a buffer to read the first window into instead of a new one (the queue's reusable read buffer);
   * the scanner only reads into it, the caller decides when it may be used again.
   */
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly windowBytes = DEFAULT_SCAN_WINDOW_BYTES,
    lent?: Buffer,
  ) {
    this.buf = lent ?? EMPTY;
  }

  /** The item starting at `offset`, or null at the end of the file. */
  async next(offset: number, withData: boolean): Promise<ScanItem | null> {
    if (offset >= this.size) return null;
    const parsed = await this.frameAt(offset);
    if (parsed.kind === 'valid') {
      const item: ScannedRecord = {
        kind: 'record',
        offset,
        end: offset + FRAME_HEADER_BYTES + parsed.payloadBytes,
        lines: parsed.lines,
        enqueuedAt: parsed.enqueuedAt,
        payloadBytes: parsed.payloadBytes,
      };
      if (withData) {
        const start = offset + FRAME_HEADER_BYTES - this.bufStart;
        item.payload = this.buf.subarray(start, start + parsed.payloadBytes);
        this.bufShared = true;
      }
      return item;
    }
    const resume = await this.findNextFrame(offset + 1);
    const end = resume ?? this.size;
    const lines = await this.damagedLines(parsed, offset, end);
    if (resume === null) {
      return { kind: 'invalid-tail', offset, end, completeFrame: parsed.kind === 'bad-checksum', lines };
    }
    return { kind: 'corrupt', offset, end, lines };
  }

  /**
   * Lines lost in the damaged bytes [offset, end). The checksum covers header and payload together, so a
   * failed one cannot say which part is bad: the header's line count is trusted when it is plausible for
   * its payload (a line is at least one byte plus its '\n'), otherwise the '\n' in the bytes are counted.
   */
  private async damagedLines(
    parsed: { kind: 'not-a-frame' | 'truncated' } | { kind: 'bad-checksum'; lines: number; payloadBytes: number },
    offset: number,
    end: number,
  ): Promise<number> {
    if (parsed.kind !== 'bad-checksum') return (await this.countNewlines(offset, end)) + 1;
    if (parsed.lines >= 1 && parsed.lines <= parsed.payloadBytes / 2 + 1) return parsed.lines;
    // The header's binary fields may hold 0x0a bytes that are no line ends: count after it.
    return (await this.countNewlines(Math.min(offset + FRAME_HEADER_BYTES, end), end)) + 1;
  }

  private async countNewlines(from: number, to: number): Promise<number> {
    let count = 0;
    let pos = from;
    while (pos < to) {
      const avail = await this.load(pos, Math.min(this.windowBytes, to - pos));
      if (avail <= 0) break;
      const start = pos - this.bufStart;
      const view = this.buf.subarray(start, start + avail);
      for (let at = view.indexOf(0x0a); at !== -1; at = view.indexOf(0x0a, at + 1)) count++;
      pos += avail;
    }
    return count;
  }

  private async frameAt(
    offset: number,
  ): Promise<
    | { kind: 'valid'; payloadBytes: number; lines: number; enqueuedAt: number }
    | { kind: 'not-a-frame' | 'truncated' }
    | { kind: 'bad-checksum'; lines: number; payloadBytes: number }
  > {
    if ((await this.load(offset, FRAME_HEADER_BYTES)) < FRAME_HEADER_BYTES) return { kind: 'truncated' };
    const header = decodeFrameHeader(this.buf, offset - this.bufStart);
    if (!header) return { kind: 'not-a-frame' };
    const frameBytes = FRAME_HEADER_BYTES + header.payloadBytes;
    if (offset + frameBytes > this.size) return { kind: 'truncated' };
    await this.load(offset, frameBytes);
    if (!frameChecksumMatches(this.buf, offset - this.bufStart, header)) {
      return { kind: 'bad-checksum', lines: header.lines, payloadBytes: header.payloadBytes };
    }
    return { kind: 'valid', payloadBytes: header.payloadBytes, lines: header.lines, enqueuedAt: header.enqueuedAt };
  }

  /** First offset >= `from` where a frame with a valid checksum starts, or null. */
  private async findNextFrame(from: number): Promise<number | null> {
    let pos = from;
    while (pos + FRAME_HEADER_BYTES <= this.size) {
      const avail = await this.load(pos, Math.min(this.windowBytes, this.size - pos));
      const rel = this.buf.subarray(0, this.bufLen).indexOf(FRAME_SIGNATURE, pos - this.bufStart);
      if (rel === -1 || rel + this.bufStart + FRAME_SIGNATURE.length > pos + avail) {
        // Keep the last few bytes: a signature may straddle two windows.
        const next = pos + avail - (FRAME_SIGNATURE.length - 1);
        if (next <= pos || pos + avail >= this.size) return null;
        pos = next;
        continue;
      }
      const candidate = this.bufStart + rel;
      if ((await this.frameAt(candidate)).kind === 'valid') return candidate;
      pos = candidate + 1;
    }
    return null;
  }

  /** Makes the window hold [offset, offset + length) as far as the file goes; returns the bytes available. */
  private async load(offset: number, length: number): Promise<number> {
    const want = Math.min(length, this.size - offset);
    if (want <= 0) return 0;
    if (offset >= this.bufStart && offset + want <= this.bufStart + this.bufLen) return want;
    const capacity = Math.max(want, this.windowBytes);
    if (this.bufShared || this.buf.length < capacity || (this.oversized && capacity === this.windowBytes)) {
      this.buf = Buffer.allocUnsafe(capacity);
      this.bufShared = false;
      this.oversized = capacity > this.windowBytes;
    }
    const toRead = Math.min(capacity, this.size - offset);
    let got = 0;
    while (got < toRead) {
      const { bytesRead } = await this.fh.read(this.buf, got, toRead - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.bufStart = offset;
    this.bufLen = got;
    return Math.min(want, got);
  }
}

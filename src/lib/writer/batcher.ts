// Turns queue records into request bodies of at most `maxBatchBytes` of line protocol, split on line
// boundaries: small records are merged into one request, a record bigger than the limit is spread over
// several requests, and a single line bigger than the limit goes alone.

/** Where a record ends in the queue; acknowledging it acknowledges the record and everything before it. */
export interface QueuePosition {
  segment: number;
  offset: number;
}

/** The part of a queue record the writer needs. */
export interface WriterRecord {
  /** Lines joined with '\n', no trailing newline. */
  data: string;
  lines: number;
  end: QueuePosition;
  /** UTF-8 bytes of `data`, when the source already knows them (the queue does): saves measuring again. */
  bytes?: number;
}

export interface Batch {
  /** Line protocol, lines joined with '\n'. Made on first use: a batch that is sent as it is never needs it. */
  readonly body: string;
  lines: number;
  /** UTF-8 bytes of `body` (uncompressed). */
  bytes: number;
  /** End of the last record whose final lines are in this batch: what to ack once it is delivered. */
  ackTo: QueuePosition | null;
  /**
   * `body` as UTF-8, written piece by piece into one buffer: half the work of joining the text first and
   * encoding the joined copy, and no 500 kB string to collect afterwards.
   */
  toBuffer(): Buffer;
}

/** A batch over the texts it was taken from; the joined text exists only if someone asks for it. */
class PieceBatch implements Batch {
  private joined: string | null;

  constructor(
    private readonly parts: readonly string[],
    readonly lines: number,
    readonly bytes: number,
    readonly ackTo: QueuePosition | null,
  ) {
    this.joined = parts.length === 1 ? parts[0] : null;
  }

  get body(): string {
    if (this.joined === null) this.joined = this.parts.join('\n');
    return this.joined;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      if (i > 0) out[at++] = 0x0a;
      at += out.write(this.parts[i], at, 'utf8');
    }
    // `bytes` is counted from the same texts, so this only guards against a caller's wrong `bytes`.
    return at === out.length ? out : Buffer.from(this.body, 'utf8');
  }
}

interface Piece {
  data: string;
  bytes: number;
  lines: number;
  /** Set on the last piece of a record only. */
  end: QueuePosition | null;
}

/**
 * Holds records read from the queue until they make a batch. It keeps at most one batch plus the record that
 * did not fit, so memory stays bounded by the batch size and the queue's largest record.
 */
export class Batcher {
  private pieces: Piece[] = [];
  private buffered = 0;

  constructor(readonly maxBatchBytes: number) {
    if (!(maxBatchBytes >= 1)) throw new RangeError(`maxBatchBytes must be at least 1, got ${maxBatchBytes}`);
  }

  /** Bytes waiting, counting one separator between pieces. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get isEmpty(): boolean {
    return this.pieces.length === 0;
  }

  add(records: readonly WriterRecord[]): void {
    for (const record of records) {
      const bytes = record.bytes ?? Buffer.byteLength(record.data, 'utf8');
      if (bytes <= this.maxBatchBytes) {
        this.push({ data: record.data, bytes, lines: record.lines, end: record.end });
      } else {
        const chunks = splitOnLines(record.data, this.maxBatchBytes);
        chunks.forEach((chunk, i) => this.push({ ...chunk, end: i === chunks.length - 1 ? record.end : null }));
      }
    }
  }

  /** True when the waiting pieces already fill a batch, so waiting for more data would not make it bigger. */
  hasFullBatch(): boolean {
    // `buffered` counts separators exactly as take() does, so reaching the limit means take() stops there.
    return this.buffered >= this.maxBatchBytes;
  }

  /**
   * The next batch: a full one, or (when `final`, i.e. nothing more is available right now) whatever is
   * waiting. Null when there is nothing to send yet.
   */
  take(final: boolean): Batch | null {
    if (this.pieces.length === 0) return null;
    let total = 0;
    let count = 0;
    while (count < this.pieces.length) {
      const piece = this.pieces[count];
      const next = total + (total > 0 && piece.bytes > 0 ? 1 : 0) + piece.bytes;
      if (count > 0 && next > this.maxBatchBytes) break;
      total = next;
      count++;
    }
    const full = count < this.pieces.length || total >= this.maxBatchBytes;
    if (!full && !final) return null;
    const taken = this.pieces.splice(0, count);
    this.buffered = this.recount();
    let lines = 0;
    let ackTo: QueuePosition | null = null;
    const parts: string[] = [];
    for (const piece of taken) {
      if (piece.bytes > 0) parts.push(piece.data);
      lines += piece.lines;
      if (piece.end) ackTo = piece.end;
    }
    return new PieceBatch(parts, lines, total, ackTo);
  }

  clear(): void {
    this.pieces = [];
    this.buffered = 0;
  }

  private push(piece: Piece): void {
    this.buffered += (this.buffered > 0 && piece.bytes > 0 ? 1 : 0) + piece.bytes;
    this.pieces.push(piece);
  }

  private recount(): number {
    let total = 0;
    for (const piece of this.pieces) total += (total > 0 && piece.bytes > 0 ? 1 : 0) + piece.bytes;
    return total;
  }
}

/** All batches for `records`, as a send loop with nothing more to read would make them. */
export function buildBatches(records: readonly WriterRecord[], maxBatchBytes: number): Batch[] {
  const batcher = new Batcher(maxBatchBytes);
  batcher.add(records);
  const batches: Batch[] = [];
  for (let batch = batcher.take(true); batch; batch = batcher.take(true)) batches.push(batch);
  return batches;
}

/** Splits text into chunks of whole lines of at most `maxBytes` each; a longer line is a chunk of its own. */
export function splitOnLines(text: string, maxBytes: number): Array<{ data: string; bytes: number; lines: number }> {
  const chunks: Array<{ data: string; bytes: number; lines: number }> = [];
  let start = 0; // start of the current chunk in `text`
  let bytes = 0;
  let lines = 0;
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const lineBytes = Buffer.byteLength(text.slice(pos, nl), 'utf8');
    const next = bytes + (lines > 0 ? 1 : 0) + lineBytes;
    if (lines > 0 && next > maxBytes) {
      chunks.push({ data: text.slice(start, pos - 1), bytes, lines });
      start = pos;
      bytes = lineBytes;
      lines = 1;
    } else {
      bytes = next;
      lines++;
    }
    pos = nl + 1;
  }
  if (lines > 0) chunks.push({ data: text.slice(start), bytes, lines });
  return chunks;
}

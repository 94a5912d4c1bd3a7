// Turns queue records into request bodies of at most `maxBatchBytes` of line protocol, split on line
// boundaries: small records are merged into one request, a record bigger than the limit is spread over
// several requests, and a single line bigger than the limit goes alone.
//
// The hot path works on bytes: the queue hands over each record's payload (UTF-8 lines joined by 0x0a, as
// stored on disk) and a request body is those bytes copied one after the other with 0x0a between records.
// Nothing is decoded to a string unless a batch has to be bisected (a data error, a 413): decoding a batch and
// encoding it again costs the writer CPU, which on a small gateway competes with everything else.

/** Where a record ends in the queue; acknowledging it acknowledges the record and everything before it. */
export interface QueuePosition {
  segment: number;
  offset: number;
}

/**
 * The part of a queue record the writer needs: its lines as bytes (`payload`, what DurableQueue gives) or,
 * for sources that hold text (tests' fakes, callers building batches by hand), as text (`data`).
 */
export interface WriterRecord {
  /** Lines as UTF-8, joined with 0x0a, no trailing newline. Used before `data` when both are there. */
  payload?: Buffer;
  /** Lines joined with '\n', no trailing newline; used only when there is no `payload`. */
  data?: string;
  lines: number;
  end: QueuePosition;
}

export interface Batch {
  /** Line protocol, lines joined with '\n'. Decoded on first use. */
  readonly body: string;
  lines: number;
  /** UTF-8 bytes of `body` (uncompressed). */
  bytes: number;
  /** End of the last record whose final lines are in this batch: what to ack once it is delivered. */
  ackTo: QueuePosition | null;
  /** `body` as UTF-8, in a buffer of its own (made once; callers must not change it). */
  toBuffer(): Buffer;
  /**
   * `body` as UTF-8 written into `target` (a new buffer if it is too small); returns the written part. For a
   * caller that reuses one buffer for every batch it compresses.
   */
  copyInto(target: Buffer): Buffer;
}

/**
 * A batch over the payloads it was taken from. They may be views of the queue's read buffer, which is read
 * into again once the writer has copied them out: whatever is kept beyond that is a copy.
 */
class PieceBatch implements Batch {
  private joined: Buffer | null = null;
  private text: string | null = null;

  constructor(
    private parts: readonly Buffer[],
    readonly lines: number,
    readonly bytes: number,
    readonly ackTo: QueuePosition | null,
  ) {}

  get body(): string {
    if (this.text === null) this.text = this.toBuffer().toString('utf8');
    return this.text;
  }

  toBuffer(): Buffer {
    if (this.joined === null) {
      this.joined = this.copyInto(Buffer.allocUnsafe(this.bytes));
      // The copy is all that is needed from now on: let go of the views.
      this.parts = [this.joined];
    }
    return this.joined;
  }

  copyInto(target: Buffer): Buffer {
    const out = target.length >= this.bytes ? target.subarray(0, this.bytes) : Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      if (i > 0) out[at++] = 0x0a;
      at += this.parts[i].copy(out, at);
    }
    if (at !== this.bytes) throw new Error(`batch of ${this.bytes} bytes was assembled from ${at}`);
    return out;
  }
}

interface Piece {
  payload: Buffer;
  lines: number;
  /** Set on the last piece of a record only. */
  end: QueuePosition | null;
  /** The payload is in one of the batcher's own buffers (ownPayloads), not a view of the queue's. */
  owned?: boolean;
}

/** The smallest carry buffer: below 4 kB, Buffer.allocUnsafe takes it from Node's shared pool. */
const CARRY_MIN_BYTES = 2048;

/** Copies the payloads of `pieces` (all, or only those not owned yet) into `target` from `at`; returns the end. */
function copyPieces(pieces: Piece[], target: Buffer, at: number, all: boolean): number {
  for (const piece of pieces) {
    if (piece.owned && !all) continue;
    const length = piece.payload.copy(target, at);
    piece.payload = target.subarray(at, at + length);
    piece.owned = true;
    at += length;
  }
  return at;
}

/** A stretch of whole lines of a payload. */
export interface PayloadChunk {
  payload: Buffer;
  lines: number;
}

/**
 * Holds records read from the queue until they make a batch. It keeps at most one batch plus the record that
 * did not fit, and two buffers of about a batch's size for what it holds between reads (ownPayloads), so
 * memory stays bounded by the batch size and the queue's largest record.
 */
export class Batcher {
  private pieces: Piece[] = [];
  private buffered = 0;
  /** The two buffers ownPayloads() copies into, in turn, and which one it used last. */
  private carry: [Buffer | null, Buffer | null] = [null, null];
  private carryTurn = 0;
  /** Bytes of the current carry buffer written since it was started. */
  private carryUsed = 0;

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
      const payload = record.payload ?? Buffer.from(record.data ?? '', 'utf8');
      // A record bigger than a batch is cut by take(), where it is known how much room the batch has left.
      this.push({ payload, lines: record.lines, end: record.end });
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
    const max = this.maxBatchBytes;
    let total = 0;
    let count = 0;
    // The piece that does not fit whole, and the part of it (whole lines) that fits the room left.
    let head: PayloadChunk | null = null;
    while (count < this.pieces.length) {
      const bytes = this.pieces[count].payload.length;
      const separator = total > 0 && bytes > 0 ? 1 : 0;
      if (total + separator + bytes <= max) {
        total += separator + bytes;
        count++;
        continue;
      }
      // A record that fits a batch goes whole into the next one: it is acknowledged only once all its lines
      // are delivered, so cutting it would mean sending its first part again after a restart. A record over the
      // limit has to be cut anyway: its first lines fill the room left here, so that a record just over the limit
      // (a 500 kB message whose timestamps grew to nanoseconds) does not leave a sliver for a request of its own.
      if (bytes > max) {
        head = headOfLines(this.pieces[count].payload, max - total - separator, count === 0);
        if (head) total += separator + head.payload.length;
      }
      break;
    }
    const full = count < this.pieces.length || total >= max;
    if (!full && !final) return null;
    const taken = this.pieces.splice(0, count);
    if (head) {
      const rest = this.pieces[0];
      taken.push({ payload: head.payload, lines: head.lines, end: head.lines === rest.lines ? rest.end : null });
      if (head.lines === rest.lines) this.pieces.shift();
      else {
        rest.payload = rest.payload.subarray(head.payload.length + 1);
        rest.lines -= head.lines;
      }
    }
    this.buffered = this.recount();
    let lines = 0;
    let ackTo: QueuePosition | null = null;
    const parts: Buffer[] = [];
    for (const piece of taken) {
      if (piece.payload.length > 0) parts.push(piece.payload);
      lines += piece.lines;
      if (piece.end) ackTo = piece.end;
    }
    return new PieceBatch(parts, lines, total, ackTo);
  }

  /**
   * Copies every payload it holds that is still a view of the queue's read buffer into a buffer of its own.
   * What it holds between reads is little (the rest of a record cut at the end of a batch, or records that did
   * not fill one), and copying it lets the queue read into its one read buffer again instead of a new one for
   * every batch.
   *
   * The copies go into one of two buffers kept for this. New payloads are appended after what the current one
   * holds (a stream that keeps up reads a record or two at a time while a batch fills, and copying everything
   * held again on every read made that quadratic). When it has no room left, all held payloads move to the
   * other one, which by then holds nothing: whatever was put there moved over at the last switch. A new buffer
   * for every copy churns memory outside the JS heap while big messages drain (each record a little over a
   * batch leaves a rest), and V8 answers that churn with full collections. Batches taken before this call must
   * have been copied out already: their payloads may be in the buffer written now.
   */
  ownPayloads(): void {
    let held = 0;
    let fresh = 0;
    for (const piece of this.pieces) {
      held += piece.payload.length;
      if (!piece.owned) fresh += piece.payload.length;
    }
    if (fresh === 0) return;
    const current = this.carry[this.carryTurn];
    if (current && this.carryUsed + fresh <= current.length) {
      this.carryUsed = copyPieces(this.pieces, current, this.carryUsed, false);
      return;
    }
    this.carryTurn ^= 1;
    let target = this.carry[this.carryTurn];
    if (!target || target.length < held) {
      // Room for as much again, growing up to a batch, not a batch at once: after an idle spell (when the
      // buffers are let go) a stream that keeps up holds a few small records here, and Node's pool serves
      // buffers under 4 kB cheaply.
      const room = Math.min(this.maxBatchBytes, Math.max(CARRY_MIN_BYTES, 2 * held, 2 * (target ? target.length : 0)));
      target = this.carry[this.carryTurn] = Buffer.allocUnsafe(Math.max(held, room));
    }
    this.carryUsed = copyPieces(this.pieces, target, 0, true);
  }

  /** Lets go of the buffers ownPayloads() keeps (an idle writer need not hold them); new ones come when needed. */
  releaseBuffers(): void {
    this.carry = [null, null];
    this.carryUsed = 0;
  }

  clear(): void {
    this.pieces = [];
    this.buffered = 0;
  }

  private push(piece: Piece): void {
    const bytes = piece.payload.length;
    this.buffered += (this.buffered > 0 && bytes > 0 ? 1 : 0) + bytes;
    this.pieces.push(piece);
  }

  private recount(): number {
    let total = 0;
    for (const piece of this.pieces) {
      const bytes = piece.payload.length;
      total += (total > 0 && bytes > 0 ? 1 : 0) + bytes;
    }
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

/**
 * The first whole lines of `payload` that fit in `room` bytes (a view, no copy), or null if not even one
 * does; with `atLeastOne`, a first line longer than `room` is returned alone (it goes in a batch of its own).
 */
function headOfLines(payload: Buffer, room: number, atLeastOne: boolean): PayloadChunk | null {
  let end = room >= 0 ? payload.lastIndexOf(0x0a, room) : -1;
  if (end < 0) {
    if (!atLeastOne) return null;
    end = payload.indexOf(0x0a);
    if (end < 0) end = payload.length;
  }
  let lines = 1;
  for (let nl = payload.indexOf(0x0a); nl >= 0 && nl < end; nl = payload.indexOf(0x0a, nl + 1)) lines++;
  return { payload: payload.subarray(0, end), lines };
}

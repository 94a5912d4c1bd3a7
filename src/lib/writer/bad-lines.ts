// Isolating the lines the remote refuses: a chunk refused as bad data (or too large) is bisected down to the
// single lines at fault, and a chunk the remote keeps failing on with server errors is suspected and bisected
// the same way, with a line judged only once the remote accepted something else meanwhile.
import { classifyStatus, type Outcome } from './outcome';
import { parsePartialWrite, type PartialWriteLines } from './partial-write';
import type { WriteResult } from './remote-client';
import type { AckEntry } from './ack-window';
import { Cancelled, chunkOf, type Chunk, type Delivery, type Refusal } from './types';

/**
 * Consecutive server errors (5xx but 503) on the same request body before the writer suspects the body itself:
 * a line that makes the remote fail (InfluxDB 1.6.7 panics with a 500 on some lines with exactly 100 tags).
 */
export const SERVER_ERRORS_BEFORE_SUSPECT = 3;
/**
 * Deliveries of a single suspected line that may wait, each freeing its request slot, while later batches go
 * out and show whether the remote is healthy. Bounds what a run of such lines holds in memory.
 */
const MAX_AWAITING_PROOF = 3;

/** Unwinds the bisection of a suspected body: the remote failed every part tried, so it is down, not the lines. */
class Unproven extends Error {}

/**
 * The bisection of a body the remote keeps failing on (5xx) or answers unreadably: single lines that fail are
 * put aside until something else was accepted, which proves the remote is otherwise healthy.
 */
interface Suspicion {
  /** `answered` when the suspicion began. */
  mark: number;
  deferred: Array<{ line: string; refusal: Refusal }>;
}

/** Whether the remote is working: the requests it read and judged, and the deliveries waiting to know it. */
export class Proof {
  /**
   * Requests the remote accepted or refused as bad data (it read them and judged them): a suspected line is
   * judged only once the remote did that for something else.
   */
  answered = 0;
  /** Deliveries of a single suspected line waiting for other batches to show the remote is healthy. */
  awaiting = 0;
  private waiters: Array<() => void> = [];
  /** Bumped when the send loop finds nothing more to send: no proof will come from other batches now. */
  private idleSignals = 0;

  /** `wake` lets the send loop use the request slot a waiting delivery frees. */
  constructor(private readonly wake: () => void) {}

  /** The remote read and judged a request (2xx, or a refusal of bad data): it is working. */
  countAnswered(): void {
    this.answered++;
    this.notify();
  }

  /** The send loop has nothing else to send: those waiting for proof will get none. */
  idle(): void {
    if (this.awaiting === 0) return;
    this.idleSignals++;
    this.notify();
  }

  /** Waiting deliveries look again (an answer, a wake of the writer). */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Frees this delivery's request slot until another request is answered (true: the remote is healthy) or the
   * send loop has nothing else to send (false). In an outage it waits until the other batches get through,
   * and confirm() then sends its line again: nothing is judged while the remote fails everything.
   */
  async await(mark: number, isCurrent: () => boolean): Promise<boolean> {
    if (this.awaiting >= MAX_AWAITING_PROOF) return false;
    const idle = this.idleSignals;
    this.awaiting++;
    this.wake();
    try {
      while (this.answered === mark && this.idleSignals === idle) {
        if (!isCurrent()) throw new Cancelled();
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      this.awaiting--;
    }
    return this.answered > mark;
  }
}

/** What the isolation needs from the writer: its requests, and what it records of their outcome. */
export interface IsolationHost {
  /** Waits while paused and while backing off; throws Cancelled when the writer stops or changes target. */
  beforeAttempt(gen: number): Promise<void>;
  attempt(chunk: Chunk, signal: AbortSignal, retry: boolean): Promise<WriteResult>;
  isCurrent(gen: number): boolean;
  succeeded(chunk: Chunk, entry: AckEntry): void;
  refuse(lines: string[], refusal: Refusal, d: Delivery): string[];
  partlyStored(lines: string[], partial: PartialWriteLines, statusCode: number, d: Delivery): string[];
  /** An answer that says nothing about the lines (no answer, 503, 429, 401...): waited out with backoff. */
  failed(outcome: Outcome, result: WriteResult): void;
  /** The remote answers about these lines: no backoff keeps it waiting, its answers are about them. */
  answering(errorMessage: string): void;
  /** The latest error text, reported with the next change. */
  noteError(errorMessage: string): void;
  changed(): void;
}

export class LineIsolation {
  constructor(
    private readonly host: IsolationHost,
    private readonly proof: Proof,
  ) {}

  /** One attempt, after any pause or backoff; null when the remote accepted the chunk (counted as delivered). */
  private async attemptOnce(chunk: Chunk, d: Delivery, retry: boolean): Promise<{ result: WriteResult; outcome: Outcome } | null> {
    const host = this.host;
    await host.beforeAttempt(d.gen);
    const result = await host.attempt(chunk, d.signal, retry);
    if (!host.isCurrent(d.gen) && result.statusCode === 0) throw new Cancelled();
    const outcome = classifyStatus(result.statusCode);
    if (outcome !== 'ok') return { result, outcome };
    host.succeeded(chunk, d.entry);
    return null;
  }

  /**
   * Sends a chunk until the remote accepts it; on a data error or 413 the chunk is bisected. Returns the single
   * lines that the remote refused and that may not be dropped. A batch of n lines with k bad lines costs
   * O(k log n) requests.
   *
   * A chunk the remote keeps failing on with a server error (or answers unreadably) is suspected of holding a
   * line the remote cannot take: it is bisected too, and a single line that still fails is refused like a bad
   * line, but only once the remote accepted something else meanwhile. If nothing gets through, the remote is
   * down (or overloaded) for everything: the chunk is retried whole with backoff, and nothing is dropped.
   */
  async sendChunk(chunk: Chunk, d: Delivery, retry: boolean, suspicion: Suspicion | null): Promise<string[]> {
    const host = this.host;
    let serverErrors = 0;
    for (;;) {
      const tried = await this.attemptOnce(chunk, d, retry);
      if (!tried) return [];
      const { result, outcome } = tried;
      let refusal: Refusal | null = null;
      if (outcome === 'too-large' || outcome === 'data') {
        // The remote read these lines and judged them: it is working, which a suspicion may need to know.
        this.proof.countAnswered();
        refusal = { statusCode: result.statusCode, errorMessage: result.errorMessage };
      } else if (isSuspect(result)) {
        serverErrors++;
        if (suspicion) return this.suspectChunk(chunk, d, result, suspicion);
        if (result.unreadable || serverErrors >= SERVER_ERRORS_BEFORE_SUSPECT) {
          const held = await this.investigate(chunk, d, result);
          if (held) return held;
          serverErrors = 0;
        }
      } else {
        // A network error or a 503 says nothing about the lines: the count is of server errors in a row.
        serverErrors = 0;
      }
      if (!refusal) {
        host.failed(outcome, result);
        retry = true;
        continue;
      }
      // 'too-large' or 'data': halve until the offending single lines are found.
      host.noteError(refusal.errorMessage);
      const lines = chunk.split ?? chunk.source.body.split('\n');
      // Unless the remote said which lines it refused: then the others are stored (InfluxDB 3, accept_partial).
      const partial = outcome === 'data' ? parsePartialWrite(result.statusCode, result.body, lines.length) : null;
      if (partial?.kind === 'lines') return host.partlyStored(lines, partial, result.statusCode, d);
      if (lines.length > 1) {
        host.changed();
        return this.bisect(lines, d, suspicion);
      }
      return host.refuse(lines, refusal, d);
    }
  }

  private async bisect(lines: string[], d: Delivery, suspicion: Suspicion | null): Promise<string[]> {
    const mid = lines.length >> 1;
    const held: string[] = [];
    for (const part of [lines.slice(0, mid), lines.slice(mid)]) held.push(...(await this.sendChunk(chunkOf(part), d, false, suspicion)));
    return held;
  }

  /**
   * A chunk the remote keeps failing on: bisects it to find the lines it fails on. Returns the lines kept
   * (refused and not dropped), or null when the remote accepted none of it: then it is down, not the lines.
   */
  private async investigate(chunk: Chunk, d: Delivery, result: WriteResult): Promise<string[] | null> {
    const suspicion: Suspicion = { mark: this.proof.answered, deferred: [] };
    let held: string[];
    try {
      held = await this.suspectChunk(chunk, d, result, suspicion);
    } catch (err) {
      if (err instanceof Unproven) return null;
      throw err;
    }
    // Every line of the chunk failed (a batch of one line, common when messages come one at a time, or of two):
    // nothing in it can show that the remote is healthy, so later batches go out meanwhile to find out.
    if (this.proof.answered === suspicion.mark && !(await this.proof.await(suspicion.mark, () => this.host.isCurrent(d.gen)))) return null;
    // Something else got through: the remote is healthy, and the lines it failed on alone are the cause.
    for (const { line, refusal } of suspicion.deferred) held.push(...(await this.confirm(line, refusal, d)));
    return held;
  }

  /**
   * A line the remote failed on while it accepted others is sent alone again before it is refused, so that a
   * remote failing now and then is less likely to be taken for a bad line. Returns the line if it is kept.
   */
  private async confirm(line: string, refusal: Refusal, d: Delivery): Promise<string[]> {
    const host = this.host;
    const chunk = chunkOf([line]);
    let last = refusal;
    for (let failed = 1; failed < SERVER_ERRORS_BEFORE_SUSPECT; ) {
      const tried = await this.attemptOnce(chunk, d, true);
      if (!tried) return [];
      const { result, outcome } = tried;
      if (isSuspect(result)) {
        failed++;
        last = describeSuspect(result);
      } else if (outcome === 'data' || outcome === 'too-large') {
        this.proof.countAnswered();
        return host.refuse([line], { statusCode: result.statusCode, errorMessage: result.errorMessage }, d);
      } else {
        // Not an answer about the line (503, 429, no answer, 401...): the ordinary handling waits it out.
        host.failed(outcome, result);
        return this.sendChunk(chunk, d, true, null);
      }
    }
    return host.refuse([line], last, d);
  }

  /** A suspected chunk failed again: halve it, or put a single line aside until it is judged. */
  private async suspectChunk(chunk: Chunk, d: Delivery, result: WriteResult, suspicion: Suspicion): Promise<string[]> {
    const lines = chunk.split ?? chunk.source.body.split('\n');
    if (lines.length === 1) {
      suspicion.deferred.push({ line: lines[0], refusal: describeSuspect(result) });
      return [];
    }
    this.host.answering(result.errorMessage);
    const held = await this.bisect(lines, d, suspicion);
    // Both halves failed and nothing else got through since the suspicion began: an outage, or two bad lines side
    // by side. Two lines are not enough to tell; from four on, stop here rather than try every line of the batch
    // on a remote that fails everything.
    if (lines.length > 2 && this.proof.answered === suspicion.mark) throw new Unproven();
    return held;
  }
}

/**
 * A server error that may be caused by the lines sent: any 5xx from the remote itself but 503 (the remote saying
 * it is unavailable) and answers with a Retry-After (the remote saying when to come back), and an answer that
 * could not be read. A proxy's or gateway's answer is not one: it only says the remote could not be reached, and
 * suspecting the lines would set them aside while later batches overtake them.
 */
function isSuspect(result: WriteResult): boolean {
  if (result.unreadable) return true;
  if (result.fromGateway) return false;
  return result.statusCode >= 500 && result.statusCode !== 503 && result.retryAfterMs === null;
}

/** What a line the remote fails on alone is refused with: its answer, and why it is taken as the line's fault. */
function describeSuspect(result: WriteResult): Refusal {
  const because = result.unreadable
    ? `${result.errorMessage}, for this line alone, while the remote accepts other lines`
    : `HTTP ${result.statusCode} for this line alone, while the remote accepts other lines: ${result.errorMessage}`;
  return { statusCode: result.statusCode, errorMessage: because };
}

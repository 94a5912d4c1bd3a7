// A write rate limit shared by every stream of one remote (Telegraf's `rate_limit`, in bytes per period): the
// remote's client awaits acquire() before each request. It keeps the sends of the last period, so ANY interval
// of one period (the remote's quota windows included, wherever they start) carries at most the limit, plus at
// most one request when a single request is bigger than the limit (it would otherwise never go).

export interface RateLimitOptions {
  /** Bytes allowed per period; counted as the caller says (the client counts uncompressed line protocol). */
  limitBytes: number;
  periodMs: number;
  now?: () => number;
}

interface Send {
  at: number;
  bytes: number;
}

export class WriteRateLimit {
  readonly limitBytes: number;
  readonly periodMs: number;
  private readonly now: () => number;
  private sends: Send[] = [];
  private total = 0;
  /** Callers are served in arrival order: a big request is not starved by small ones. */
  private turn: Promise<void> = Promise.resolve();
  /** Time spent waiting for room, for the figures. */
  waitedMs = 0;

  constructor(options: RateLimitOptions) {
    if (!(options.limitBytes > 0) || !(options.periodMs > 0)) throw new Error('rate limit needs a positive byte count and period');
    this.limitBytes = options.limitBytes;
    this.periodMs = options.periodMs;
    this.now = options.now ?? Date.now;
  }

  /** Resolves when `bytes` may be sent now (and counts them as sent); rejects if `signal` aborts first. */
  acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    const mine = this.turn.then(() => this.waitForRoom(bytes, signal));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async waitForRoom(bytes: number, signal?: AbortSignal): Promise<void> {
    const began = this.now();
    for (;;) {
      if (signal?.aborted) throw new Error('request aborted');
      const now = this.now();
      this.forget(now);
      const wait = this.waitFor(bytes, now);
      if (wait <= 0) {
        this.sends.push({ at: now, bytes });
        this.total += bytes;
        this.waitedMs += now - began;
        return;
      }
      await sleep(wait, signal);
    }
  }

  /** Drops the sends that left the window. */
  private forget(now: number): void {
    let i = 0;
    while (i < this.sends.length && this.sends[i].at + this.periodMs <= now) this.total -= this.sends[i++].bytes;
    if (i > 0) this.sends.splice(0, i);
  }

  /** How long until `bytes` fit in the window (0: now). With nothing in the window anything fits. */
  private waitFor(bytes: number, now: number): number {
    if (this.sends.length === 0 || this.total + bytes <= this.limitBytes) return 0;
    let remaining = this.total;
    for (const send of this.sends) {
      remaining -= send.bytes;
      if (remaining + bytes <= this.limitBytes || remaining === 0) return Math.max(1, send.at + this.periodMs - now);
    }
    return Math.max(1, this.sends[this.sends.length - 1].at + this.periodMs - now);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Bytes of line protocol in a request body: quotas count uncompressed line protocol. A gzip body made by zlib
 * is one member whose last 4 bytes hold the uncompressed size (mod 2^32, far above any batch).
 */
export function lineProtocolBytes(body: Buffer, gzip: boolean): number {
  return gzip && body.length >= 18 ? body.readUInt32LE(body.length - 4) : body.length;
}

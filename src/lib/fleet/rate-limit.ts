// A write rate limit shared by every stream of one remote (Telegraf's `rate_limit`, in bytes per period): the
// remote's client awaits acquire() before each request and calls the function it gets once the request is over.
// A request's bytes stay in the window for one period from the END of the request: it reached the remote before
// that, so every interval of one period AT THE REMOTE (its quota windows, wherever they start) carries at most the
// limit, whatever the requests' latency. A request bigger than the limit goes alone (it would otherwise never go).

export interface RateLimitOptions {
  /** Bytes allowed per period; counted as the caller says (the client counts uncompressed line protocol). */
  limitBytes: number;
  periodMs: number;
  now?: () => number;
}

interface Send {
  /** When the request ended (or was granted, while it runs). */
  at: number;
  bytes: number;
  running: boolean;
}

export class WriteRateLimit {
  readonly limitBytes: number;
  readonly periodMs: number;
  private readonly now: () => number;
  private sends: Send[] = [];
  private total = 0;
  /** Callers are served in arrival order: a big request is not starved by small ones. */
  private turn: Promise<void> = Promise.resolve();
  /** Waiting callers, woken when a request ends (its bytes then leave the window one period later). */
  private wakers = new Set<() => void>();
  /** Time spent waiting for room, for the figures. */
  waitedMs = 0;

  constructor(options: RateLimitOptions) {
    if (!(options.limitBytes > 0) || !(options.periodMs > 0)) throw new Error('rate limit needs a positive byte count and period');
    this.limitBytes = options.limitBytes;
    this.periodMs = options.periodMs;
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves when `bytes` may be sent now, with the function to call when the request is over: `counted` false
   * when the remote did not take the bytes into its quota (a 429, or no answer), which gives them back at once.
   * Rejects if `signal` aborts first.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<(counted?: boolean) => void> {
    const mine = this.turn.then(() => this.waitForRoom(bytes, signal));
    this.turn = mine.then(
      () => undefined,
      () => undefined,
    );
    return mine;
  }

  private async waitForRoom(bytes: number, signal?: AbortSignal): Promise<(counted?: boolean) => void> {
    const began = this.now();
    for (;;) {
      if (signal?.aborted) throw new Error('request aborted');
      const now = this.now();
      this.forget(now);
      const wait = this.waitFor(bytes, now);
      if (wait <= 0) {
        const send: Send = { at: now, bytes, running: true };
        this.sends.push(send);
        this.total += bytes;
        this.waitedMs += now - began;
        return (counted = true) => this.ended(send, counted);
      }
      await this.sleep(wait, signal);
    }
  }

  private ended(send: Send, counted: boolean): void {
    if (!send.running) return;
    send.running = false;
    send.at = Math.max(send.at, this.now());
    if (!counted) {
      this.sends = this.sends.filter((s) => s !== send);
      this.total -= send.bytes;
    }
    for (const wake of [...this.wakers]) wake();
  }

  /** Drops the sends that left the window. */
  private forget(now: number): void {
    const kept = this.sends.filter((s) => s.running || s.at + this.periodMs > now);
    if (kept.length === this.sends.length) return;
    this.sends = kept;
    this.total = kept.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** How long until `bytes` fit in the window (0: now). With nothing in the window anything fits. */
  private waitFor(bytes: number, now: number): number {
    if (this.sends.length === 0 || this.total + bytes <= this.limitBytes) return 0;
    let remaining = this.total;
    for (const send of this.sends.filter((s) => !s.running).sort((a, b) => a.at - b.at)) {
      remaining -= send.bytes;
      if (remaining + bytes <= this.limitBytes || remaining === 0) return Math.max(1, send.at + this.periodMs - now);
    }
    // Only requests still running stand in the way: the end of one wakes this wait.
    return this.periodMs;
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }
}

/**
 * Bytes of line protocol in a request body: quotas count uncompressed line protocol. A gzip body made by zlib
 * is one member whose last 4 bytes hold the uncompressed size (mod 2^32, far above any batch).
 */
export function lineProtocolBytes(body: Buffer, gzip: boolean): number {
  return gzip && body.length >= 18 ? body.readUInt32LE(body.length - 4) : body.length;
}

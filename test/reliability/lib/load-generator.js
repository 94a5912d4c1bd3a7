'use strict';
// Posts line protocol to a gateway flow's `http in` endpoint, every line with its own timestamp, and remembers
// which lines were acknowledged (2xx), refused (4xx/5xx, with the answer) or lost with the connection.
// Timestamps are consecutive milliseconds from `startMs` (VictoriaMetrics keeps ms), so "did line X arrive"
// is "is timestamp X stored". With concurrency 1 the timestamps are also the order of the requests.

const zlib = require('zlib');
const { Agent, request } = require('undici');
const { sleep } = require('../../harness/wait');

class LoadGenerator {
  /**
   * url                 string, or a function returning it (Node-RED may change port when restarted)
   * measurement         line protocol measurement; the field is `v` (so VictoriaMetrics names it <m>_v)
   * linesPerRequest     lines in each request body
   * concurrency         requests in flight at once
   * startMs             timestamp of the first line (ms epoch)
   * padBytes            a constant tag of this many bytes, to make lines bigger
   * pauseAfterFailureMs wait after a failed request (Node-RED restarting), so a kill does not spin the loop
   * requestTimeoutMs    give up on one request after this long (counted as failed: not acknowledged)
   * maxRequests         stop by itself after this many requests (default: until stop())
   * pauseBetweenMs      wait between two requests of a worker (a soak of an hour need not send millions of lines)
   * headers             extra request headers (e.g. the influxdb-write-in endpoint's Authorization)
   * gzip                send the bodies gzip-compressed (Content-Encoding: gzip), as InfluxDB clients do
   */
  constructor({
    url,
    measurement = 'rel',
    linesPerRequest = 20,
    concurrency = 1,
    startMs = Date.now() - 7 * 24 * 3600_000,
    padBytes = 0,
    pauseAfterFailureMs = 25,
    requestTimeoutMs = 15000,
    maxRequests = Infinity,
    pauseBetweenMs = 0,
    headers = {},
    gzip = false,
  }) {
    this.headers = headers;
    this.gzip = gzip;
    this.url = typeof url === 'function' ? url : () => url;
    this.measurement = measurement;
    this.linesPerRequest = linesPerRequest;
    this.concurrency = concurrency;
    this.nextMs = startMs;
    this.startMs = startMs;
    this.pad = padBytes > 0 ? `,pad=${'p'.repeat(padBytes)}` : '';
    this.pauseAfterFailureMs = pauseAfterFailureMs;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxRequests = maxRequests;
    this.pauseBetweenMs = pauseBetweenMs;
    this.agent = new Agent({ keepAliveTimeout: 2000, connections: concurrency + 2 });
    this.running = false;
    this.workers = [];
    /** Ranges of acknowledged lines: [firstMs, count]. */
    this.acknowledgedRanges = [];
    this.refusals = new Map(); // answer text (first 200 chars) -> count
    this.counts = { requests: 0, acknowledged: 0, refused: 0, failed: 0, linesSent: 0, linesAcknowledged: 0, linesRefused: 0, linesFailed: 0 };
    this.lastStatus = null;
  }

  /** The body of the next request; reserves its timestamps. */
  nextBody() {
    const first = this.nextMs;
    this.nextMs += this.linesPerRequest;
    const lines = new Array(this.linesPerRequest);
    for (let i = 0; i < this.linesPerRequest; i++) {
      const ms = first + i;
      lines[i] = `${this.measurement},src=load${this.pad} v=${ms - this.startMs}i ${ms}000000`;
    }
    return { first, body: lines.join('\n') };
  }

  /** Sends one request; resolves with { status, text } (status 0 when the connection failed). */
  async postOne() {
    const { first, body } = this.nextBody();
    const n = this.linesPerRequest;
    this.counts.requests++;
    this.counts.linesSent += n;
    let status = 0;
    let text = '';
    try {
      const res = await request(this.url(), {
        method: 'POST',
        body: this.gzip ? zlib.gzipSync(body) : body,
        headers: { 'content-type': 'text/plain', ...(this.gzip ? { 'content-encoding': 'gzip' } : {}), ...this.headers },
        dispatcher: this.agent,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      text = err.code || err.message;
    }
    this.lastStatus = status;
    if (status >= 200 && status < 300) {
      this.counts.acknowledged++;
      this.counts.linesAcknowledged += n;
      this.acknowledgedRanges.push([first, n]);
    } else if (status > 0) {
      this.counts.refused++;
      this.counts.linesRefused += n;
      const key = text.slice(0, 200);
      this.refusals.set(key, (this.refusals.get(key) || 0) + 1);
    } else {
      this.counts.failed++;
      this.counts.linesFailed += n;
    }
    return { status, text, first, lines: n };
  }

  start() {
    if (this.running) return this;
    this.running = true;
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
    return this;
  }

  async work() {
    while (this.running && this.counts.requests < this.maxRequests) {
      const { status } = await this.postOne();
      const pause = status === 0 || status >= 500 ? Math.max(this.pauseAfterFailureMs, this.pauseBetweenMs) : this.pauseBetweenMs;
      if (pause > 0) await sleep(pause);
    }
  }

  /** Resolves once maxRequests have been answered (or failed). */
  async finished() {
    await Promise.all(this.workers);
    this.workers = [];
    this.running = false;
    return this.summary();
  }

  /** Stops after the requests in flight have been answered (or failed). */
  async stop() {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
    return this.summary();
  }

  async close() {
    this.running = false;
    await Promise.all(this.workers);
    await this.agent.close().catch(() => {});
  }

  /** Every acknowledged timestamp (ms), in request order. */
  *acknowledgedTimestamps() {
    for (const [first, n] of this.acknowledgedRanges) for (let i = 0; i < n; i++) yield first + i;
  }

  summary() {
    return { ...this.counts, refusals: Object.fromEntries(this.refusals) };
  }
}

module.exports = { LoadGenerator };

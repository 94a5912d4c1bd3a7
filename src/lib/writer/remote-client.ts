// HTTP to one remote: a keep-alive undici pool with the remote's TLS settings, gzip, timeouts, and answers
// turned into plain results (this class never throws for an HTTP or network outcome).
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { gunzipSync, gzip as gzipCallback } from 'zlib';
import { Pool } from 'undici';
import { parseRetryAfter } from './backoff';
import {
  buildWriteRequest,
  joinURL,
  redact,
  secretsOf,
  tlsOptions,
  type RemoteCredentials,
  type RemoteSettings,
} from '../remote';
import { lineProtocolBytes, type WriteRateLimit } from '../fleet/rate-limit';

/** The queue holds lines normalised to nanoseconds, so this is what the writer sends unless told otherwise. */
export type Precision = Parameters<typeof buildWriteRequest>[3];

const gzipAsync = promisify(gzipCallback);

/**
 * Level 2. Measured on bench/writer.js's line protocol (40 different 500 kB bodies, async gzip, 2-core machine,
 * medians of 5 passes): level 1 1.44-1.61 ms a body, 13.5% of the input; level 2 1.68-1.81 ms, 12.8%; level 3
 * 2.5 ms, 11.3%; level 6 about 3.5 ms, 10.1%; memLevel 9 or a smaller window gained nothing. Level 1 would
 * save about 0.2 ms of CPU a batch (roughly 2% of a 64 MB drain to VictoriaMetrics on this machine) for 5%
 * more bytes on the wire, which is what gzip is for on a gateway's uplink: not worth it.
 */
export const GZIP_LEVEL = 2;
/**
 * zlib's output piece size: the default 16 kB makes a 500 kB batch (about 60 kB gzipped) several trips through
 * libuv's thread pool and back; one piece is measurably cheaper (about 0.3 ms of CPU a batch here).
 */
export const GZIP_CHUNK_BYTES = 128 * 1024;
/** Longest remote error text we keep: enough for InfluxDB's messages, not a whole HTML error page. */
export const MAX_ERROR_TEXT = 1000;
/** Bytes of a response body read at most; the rest is discarded. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export const USER_AGENT = `node-red-contrib-influxdb-replication/${packageVersion()}`;

function packageVersion(): string {
  try {
    // Same relative path from src/lib/writer and from the built nodes/lib/writer.
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The bytes of a request body: UTF-8, gzipped (asynchronously, off the event loop) when asked. */
export async function encodeBody(body: string | Buffer, gzip: boolean): Promise<Buffer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return gzip ? gzipAsync(bytes, { level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES }) : bytes;
}

/** The text of a body made by encodeBody(): for bisecting a batch, which is rare, so synchronous. */
export function decodeBody(encoded: Buffer, gzip: boolean): string {
  return (gzip ? gunzipSync(encoded) : encoded).toString('utf8');
}

export interface WriteResult {
  /** HTTP status, or 0 when there was no answer (network error, timeout, abort). */
  statusCode: number;
  /** The answer's body (truncated, redacted). */
  body: string;
  /** From Retry-After on 429 and 503; null otherwise. */
  retryAfterMs: number | null;
  /** The remote's error text (or the network error), redacted and truncated; '' on success. */
  errorMessage: string;
  /** Bytes of the request body as sent (after gzip). */
  bytesSent: number;
}

export interface WriteOptions {
  gzip: boolean;
  /** `body` is a Buffer already made by encodeBody() with the same `gzip` setting: send it as it is. */
  encoded?: boolean;
  timeoutMs: number;
  precision?: Precision;
  /** Aborts the request (stop, retarget); the result is then statusCode 0. */
  signal?: AbortSignal;
}

export interface ValidateResult {
  ok: boolean;
  statusCode: number;
  message: string;
}

export interface RemoteClientOptions {
  userAgent?: string;
  /** Sockets in the pool; a stream uses at most 4 requests at a time. */
  connections?: number;
  /** Fleet (issue 17): the remote's write rate limit, awaited before each write request. */
  rateLimit?: WriteRateLimit | null;
}

export class RemoteClient {
  readonly settings: RemoteSettings;
  private readonly credentials: RemoteCredentials;
  private readonly secrets: string[];
  private readonly userAgent: string;
  private readonly pool: Pool;
  private closed = false;
  private readonly rateLimit: WriteRateLimit | null;

  constructor(settings: RemoteSettings, credentials: RemoteCredentials, options: RemoteClientOptions = {}) {
    this.rateLimit = options.rateLimit ?? null;
    this.settings = { ...settings };
    this.credentials = { ...credentials };
    this.secrets = secretsOf(credentials);
    this.userAgent = options.userAgent || USER_AGENT;
    const tls = tlsOptions(settings);
    const origin = new URL(settings.remoteURL.trim()).origin;
    this.pool = new Pool(origin, {
      connections: options.connections ?? 4,
      keepAliveTimeout: 30_000,
      connect: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}) },
    });
  }

  /** POSTs line protocol to the bucket (a name, an ID, or `db/rp` for v1). Resolves with the outcome. */
  async write(bucket: string, body: string | Buffer, options: WriteOptions): Promise<WriteResult> {
    const request = buildWriteRequest(this.settings, this.credentials, bucket, options.precision ?? 'ns');
    const payload = options.encoded && Buffer.isBuffer(body) ? body : await encodeBody(body, options.gzip);
    const headers: Record<string, string> = {
      ...request.headers,
      'content-type': 'text/plain; charset=utf-8',
      'user-agent': this.userAgent,
      accept: 'application/json',
    };
    if (options.gzip) headers['content-encoding'] = 'gzip';
    // Fleet (issue 17): wait for room under the remote's rate limit; the request timeout starts after it.
    let ended: ((counted?: boolean) => void) | null = null;
    if (this.rateLimit && payload.length > 0) {
      try {
        ended = await this.rateLimit.acquire(lineProtocolBytes(payload, options.gzip), options.signal);
      } catch {
        return { statusCode: 0, body: '', retryAfterMs: null, errorMessage: 'request aborted', bytesSent: 0 };
      }
    }
    let result: WriteResult | null = null;
    try {
      result = await this.send('POST', new URL(request.url), headers, payload, options.timeoutMs, options.signal);
      return result;
    } finally {
      // A 429 and a request without an answer did not use the remote's quota (as far as we can know).
      ended?.(result !== null && result.statusCode !== 0 && result.statusCode !== 429);
    }
  }

  /**
   * Checks that writes would work, in plain words: for v2 an empty write to the bucket (204 means OK, as
   * InfluxDB's own remote validation does); for v1 `/ping`, then an empty write that checks the database,
   * retention policy and write permission without storing anything.
   */
  async validate(bucket: string, timeoutMs = 10_000): Promise<ValidateResult> {
    if (this.settings.writeAPI === 'v1') {
      const ping = await this.send('GET', joinURL(this.settings.remoteURL, '/ping'), { 'user-agent': this.userAgent }, null, timeoutMs);
      if (ping.statusCode === 0) return { ok: false, statusCode: 0, message: describeUnreachable(this.settings.remoteURL, ping.errorMessage) };
      if (ping.statusCode < 200 || ping.statusCode >= 300) {
        return {
          ok: false,
          statusCode: ping.statusCode,
          message: `the remote answered /ping with HTTP ${ping.statusCode}; is this an InfluxDB 1.x server (or a proxy path missing from the URL)? ${ping.errorMessage}`.trim(),
        };
      }
    }
    const result = await this.write(bucket, '', { gzip: false, timeoutMs });
    return { ok: result.statusCode >= 200 && result.statusCode < 300, statusCode: result.statusCode, message: this.describeProbe(bucket, result) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private describeProbe(bucket: string, result: WriteResult): string {
    // An empty error body is described as "HTTP <code>" elsewhere; the sentence below already names the code.
    const detail = result.errorMessage && result.errorMessage !== `HTTP ${result.statusCode}` ? `: ${result.errorMessage}` : '';
    const what = this.settings.writeAPI === 'v1' ? 'database' : 'bucket';
    const s = result.statusCode;
    if (s >= 200 && s < 300) return `OK: the remote accepts writes to ${what} ${JSON.stringify(bucket)}`;
    if (s === 0) return describeUnreachable(this.settings.remoteURL, result.errorMessage);
    if (s === 401) return `authentication failed (HTTP 401): check the ${this.settings.writeAPI === 'v1' ? 'user name and password' : 'API token'}${detail}`;
    if (s === 403) return `permission denied (HTTP 403): the credentials may not write to ${what} ${JSON.stringify(bucket)}${detail}`;
    if (s === 404) {
      return this.settings.writeAPI === 'v1'
        ? `database missing (HTTP 404): ${JSON.stringify(bucket)} does not exist on the remote${detail}`
        : `bucket or org missing (HTTP 404): check bucket ${JSON.stringify(bucket)} and org ${JSON.stringify(this.settings.remoteOrgID)}${detail}`;
    }
    if (/retention policy not found/i.test(result.errorMessage)) return `retention policy missing (HTTP ${s})${detail}`;
    return `unexpected answer from the remote (HTTP ${s})${detail}`;
  }

  private async send(
    method: 'GET' | 'POST',
    url: URL,
    headers: Record<string, string>,
    payload: Buffer | null,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WriteResult> {
    const bytesSent = payload ? payload.length : 0;
    // One controller per request, tied to the caller's signal only while the request runs: the caller's signal
    // lives as long as the writer, and listeners left on it would pile up.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.max(1, timeoutMs));
    timer.unref();
    const onAbort = (): void => controller.abort();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.pool.request({
        method,
        path: url.pathname + url.search,
        headers,
        body: payload ?? undefined,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const raw = await readLimited(response.body, MAX_RESPONSE_BYTES);
      const status = response.statusCode;
      const ok = status >= 200 && status < 300;
      const retryAfterHeader = status === 429 || status === 503 ? headerValue(response.headers['retry-after']) : undefined;
      return {
        statusCode: status,
        body: this.clean(raw),
        retryAfterMs: parseRetryAfterHeader(retryAfterHeader),
        errorMessage: ok ? '' : this.clean(errorTextOf(raw, status)),
        bytesSent,
      };
    } catch (err) {
      let message: string;
      if (timedOut) message = `request timed out after ${timeoutMs} ms`;
      else if (signal?.aborted) message = 'request aborted';
      else message = networkErrorText(err);
      return { statusCode: 0, body: '', retryAfterMs: null, errorMessage: this.clean(message), bytesSent: 0 };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private clean(text: string): string {
    return truncate(redact(text, this.secrets), MAX_ERROR_TEXT);
  }
}

function parseRetryAfterHeader(value: string | undefined): number | null {
  return parseRetryAfter(value, Date.now());
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * InfluxDB answers `{"error": ...}` (1.x) or `{"code": ..., "message": ...}` (2.x); other remotes plain text.
 * Not truncated here: secrets are redacted first, so that a cut cannot leave half a token behind.
 */
export function errorTextOf(body: string, status: number): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { error?: unknown; message?: unknown };
      const text = parsed.error ?? parsed.message;
      if (typeof text === 'string' && text) return text;
    } catch {
      // not JSON after all: use the text as it is
    }
  }
  return trimmed || `HTTP ${status}`;
}

function networkErrorText(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code || e?.cause?.code;
  const message = e?.message || String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

const TLS_PATTERN = /CERT|TLS|SSL|EPROTO|self[- ]signed|certificate|wrong version number/i;

function describeUnreachable(remoteURL: string, errorMessage: string): string {
  let host = remoteURL;
  try {
    host = new URL(remoteURL).host;
  } catch {
    // keep the text as given
  }
  if (TLS_PATTERN.test(errorMessage)) {
    return `TLS problem talking to ${host}: ${errorMessage} (check the CA certificate, or allow insecure TLS for a self-signed certificate)`;
  }
  if (/timed out/i.test(errorMessage)) return `the remote ${host} did not answer in time: ${errorMessage}`;
  return `the remote ${host} is unreachable: ${errorMessage}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

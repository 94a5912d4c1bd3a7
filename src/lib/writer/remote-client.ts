// HTTP to one remote: requests through the dispatcher of connection.ts (a keep-alive pool with the remote's
// TLS settings), gzip, timeouts, and answers turned into plain results (this class never throws for an HTTP
// or network outcome).
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { gunzipSync, gzip as gzipCallback } from 'zlib';
import type { Dispatcher } from 'undici';
import { connectionSecrets } from '../connection/dispatcher';
import { parseRetryAfter } from './backoff';
import { createDispatcher, type ConnectionOptions, type DispatcherFactory } from './connection';
import {
  buildWriteRequest,
  joinURL,
  redact,
  secretsOf,
  type RemoteCredentials,
  type RemoteSettings,
} from '../remote';
import { lineProtocolBytes, type WriteRateLimit } from '../fleet/rate-limit';

/** The queue holds lines normalised to nanoseconds, so this is what the writer sends unless told otherwise. */
export type Precision = Parameters<typeof buildWriteRequest>[3];

const gzipAsync = promisify(gzipCallback);

/**
 * Level 2: on line protocol it costs little more CPU than level 1 for smaller bodies, which is what gzip is
 * for on a gateway's uplink, while higher levels cost much more CPU for little gain (bench/writer.js measures
 * it; the figures are in the commit that chose it).
 */
export const GZIP_LEVEL = 2;
/**
 * zlib's output piece size: with the default one a batch's gzipped body takes several trips through libuv's
 * thread pool and back; a piece that holds it all is cheaper.
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
  /** The answer's body (at most 64 kB as read, redacted). */
  body: string;
  /** From Retry-After on 429 and 503; null otherwise. */
  retryAfterMs: number | null;
  /** The remote's error text (or the network error), redacted and truncated; '' on success. */
  errorMessage: string;
  /** Bytes of the request body as sent (after gzip). */
  bytesSent: number;
  /** The server's `X-Influxdb-Version` header, when it sent one (InfluxDB's /ping does). */
  version?: string;
  /**
   * The remote answered, but not in HTTP the client can read (statusCode is then 0): InfluxDB 1.x, for one,
   * echoes a refused line in a header, control characters and all, and such a header fails the whole answer.
   */
  unreadable?: boolean;
  /**
   * The error answer came from a proxy, load balancer or gateway in front of the remote, not from its write API
   * (see isGatewayAnswer): it says the remote could not be reached, nothing about the lines sent.
   */
  fromGateway?: boolean;
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
  /** TLS config node, proxy node and environment for the connection (src/lib/connection). */
  connection?: ConnectionOptions;
  /** Where the HTTP connections come from (see connection.ts); tests pass a mock transport here. */
  createDispatcher?: DispatcherFactory;
  /** Fleet (issue 17): the remote's write rate limit, awaited before each write request. */
  rateLimit?: WriteRateLimit | null;
}

export class RemoteClient {
  readonly settings: RemoteSettings;
  private readonly credentials: RemoteCredentials;
  private readonly secrets: string[];
  private readonly userAgent: string;
  private readonly pool: Dispatcher;
  private closed = false;
  private readonly rateLimit: WriteRateLimit | null;

  constructor(settings: RemoteSettings, credentials: RemoteCredentials, options: RemoteClientOptions = {}) {
    this.rateLimit = options.rateLimit ?? null;
    this.settings = { ...settings };
    this.credentials = { ...credentials };
    this.secrets = [...secretsOf(credentials), ...connectionSecrets(settings, options.connection)];
    this.userAgent = options.userAgent || USER_AGENT;
    this.pool = (options.createDispatcher ?? createDispatcher)(settings, { ...options.connection, connections: options.connections ?? 4 });
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
    if (this.settings.writeAPI === 'v3') {
      const problem = await this.checkInfluxDB3(timeoutMs);
      if (problem) return problem;
    }
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

  /**
   * An InfluxDB 3 server answers /ping with its version headers when it is up (with the token, when
   * authentication is on). Null when it looks like a 3.x server that takes our token, else why not.
   */
  private async checkInfluxDB3(timeoutMs: number): Promise<ValidateResult | null> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.credentials.remoteAPIToken) headers.authorization = `Bearer ${this.credentials.remoteAPIToken}`;
    const ping = await this.send('GET', joinURL(this.settings.remoteURL, '/ping'), headers, null, timeoutMs);
    const s = ping.statusCode;
    const fail = (message: string): ValidateResult => ({ ok: false, statusCode: s, message });
    if (s === 0) return fail(describeUnreachable(this.settings.remoteURL, ping.errorMessage));
    if (s === 401 || s === 403) {
      return fail(`authentication failed (HTTP ${s} on /ping): check the token${this.credentials.remoteAPIToken ? '' : ' (none is set)'}`);
    }
    if (s === 404) return fail('the remote has no /ping (HTTP 404): is this an InfluxDB 3 server, or is a proxy path missing from the URL?');
    if (s < 200 || s >= 300) return fail(`the remote answered /ping with HTTP ${s}: ${ping.errorMessage}`.trim());
    const major = /^v?(\d+)\./.exec(ping.version ?? '')?.[1];
    if (major && major !== '3') {
      return fail(`the remote is InfluxDB ${ping.version}, not 3.x: choose the v${major === '1' ? '1' : '2'} write API for it`);
    }
    return null;
  }

  private describeProbe(bucket: string, result: WriteResult): string {
    // An empty error body is described as "HTTP <code>" elsewhere; the sentence below already names the code.
    const detail = result.errorMessage && result.errorMessage !== `HTTP ${result.statusCode}` ? `: ${result.errorMessage}` : '';
    const what = this.settings.writeAPI === 'v2' ? 'bucket' : 'database';
    const s = result.statusCode;
    if (s >= 200 && s < 300) return `OK: the remote accepts writes to ${what} ${JSON.stringify(bucket)}`;
    if (s === 0) return describeUnreachable(this.settings.remoteURL, result.errorMessage);
    if (s === 401) return `authentication failed (HTTP 401): check the ${this.settings.writeAPI === 'v1' ? 'user name and password' : 'API token'}${detail}`;
    if (s === 403) return `permission denied (HTTP 403): the credentials may not write to ${what} ${JSON.stringify(bucket)}${detail}`;
    if (s === 404) {
      return this.settings.writeAPI !== 'v2'
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
      const fromGateway = !ok && isGatewayAnswer(status, headerValue(response.headers['content-type']));
      return {
        statusCode: status,
        // Whole (as read, redacted): an InfluxDB 3 partial write lists every refused line in it.
        body: redact(raw, this.secrets),
        retryAfterMs: parseRetryAfterHeader(retryAfterHeader),
        errorMessage: ok ? '' : this.errorMessageOf(raw, status, fromGateway),
        bytesSent,
        version: headerValue(response.headers['x-influxdb-version']),
        ...(fromGateway ? { fromGateway } : {}),
      };
    } catch (err) {
      let message: string;
      if (timedOut) message = `request timed out after ${timeoutMs} ms`;
      else if (signal?.aborted) message = 'request aborted';
      else if (isUnreadableAnswer(err)) {
        const reason = (err as Error).message || 'malformed HTTP';
        return { statusCode: 0, body: '', retryAfterMs: null, errorMessage: this.clean(`the remote's answer could not be read: ${reason}`), bytesSent, unreadable: true };
      } else message = networkErrorText(err);
      return { statusCode: 0, body: '', retryAfterMs: null, errorMessage: this.clean(message), bytesSent: 0 };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private errorMessageOf(body: string, status: number, fromGateway: boolean): string {
    const text = errorTextOf(body, status);
    return this.clean(fromGateway ? `a proxy or gateway in front of the remote answered: ${text}` : text);
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
  // A proxy's error page: its title says what happened ("500 Unable to connect"), the markup is noise.
  if (trimmed.startsWith('<')) {
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    if (title) return title;
  }
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

/**
 * An error answer from whatever stands in front of the remote rather than from its write API: 502 and 504 are a
 * gateway's statuses by definition, and an HTML page is what proxies and load balancers send (tinyproxy answers
 * `500 Unable to connect` when the remote refuses the connection); InfluxDB and its peers answer JSON or text.
 */
export function isGatewayAnswer(status: number, contentType: string | undefined): boolean {
  if (status === 502 || status === 504) return true;
  return status >= 500 && /^\s*text\/html\b/i.test(contentType ?? '');
}

/** undici's parser refused the answer (a bad header, a broken status line): the remote did answer something. */
function isUnreadableAnswer(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'HTTPParserError';
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

// Token checks as InfluxDB makes them. v2 and v3 clients send `Authorization: Token X` or `Bearer X`; v1
// clients send Basic auth or the `u`/`p` query parameters, with the token as the password (the user name is
// not checked, as InfluxDB 2/3's v1 compatibility does). Comparison takes the same time whether or not, and
// wherever, a guess differs from a token.
import { createHash, timingSafeEqual } from 'crypto';
import { param, type Query, type WriteApi } from './query';

export type Headers = Record<string, string | string[] | undefined>;

/** The accepted tokens from the credential text: one or more, separated by commas, spaces or new lines. */
export function parseTokens(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

function header(headers: Headers, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value[0] ?? '' : value ?? '';
}

/** The secret the request presents, or undefined when it presents none in a form this API takes. */
export function presentedToken(api: WriteApi, headers: Headers, query: Query): string | undefined {
  const authorization = header(headers, 'authorization').trim();
  const match = /^(\S+)\s+(.+)$/.exec(authorization);
  if (match) {
    const scheme = match[1].toLowerCase();
    const value = match[2].trim();
    if (scheme === 'token' || scheme === 'bearer') return value;
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 ? decoded.slice(colon + 1) : undefined;
    }
  }
  // v1 clients put credentials in the query string (influx CLI, python influxdb); the v3 endpoints of
  // InfluxDB accept them on /write only, and so does this endpoint.
  if (api === 'v1') {
    const password = param(query, 'p');
    if (password) return password;
  }
  return undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when `presented` equals one of `tokens`. Both sides are hashed first so that the comparison is over
 * equal lengths, and every token is compared (no early exit), so the time taken tells nothing about the tokens.
 */
export function tokenAccepted(presented: string | undefined, tokens: readonly string[]): boolean {
  if (presented === undefined || tokens.length === 0) return false;
  const guess = digest(presented);
  let accepted = false;
  for (const token of tokens) {
    if (timingSafeEqual(guess, digest(token))) accepted = true;
  }
  return accepted;
}

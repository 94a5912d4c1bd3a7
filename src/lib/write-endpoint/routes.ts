// The paths the endpoint serves under its prefix, and the node's size-limit property.
import type { WriteApi } from './query';

/** InfluxDB 1.x's default max-body-size. */
export const DEFAULT_MAX_BODY_BYTES = 25_000_000;

export interface Route {
  method: 'get' | 'post';
  path: string;
  /** The write API of a POST route; undefined for /ping and /health. */
  api?: WriteApi;
  kind: 'write' | 'ping' | 'health';
}

/**
 * '' or a path such as '/influx' (a leading slash is added, trailing ones removed). Throws naming the prefix
 * when it holds anything but URL path characters: express would read ':' or '*' as route patterns.
 */
export function normalisePrefix(prefix: string | undefined): string {
  let p = String(prefix ?? '').trim();
  if (p === '' || p === '/') return '';
  if (!p.startsWith('/')) p = `/${p}`;
  p = p.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p)) {
    throw new Error(`path prefix ${JSON.stringify(prefix)} may hold only letters, digits and . _ ~ - between slashes`);
  }
  return p;
}

export function routesFor(prefix: string): Route[] {
  return [
    { method: 'post', path: `${prefix}/api/v2/write`, api: 'v2', kind: 'write' },
    { method: 'post', path: `${prefix}/write`, api: 'v1', kind: 'write' },
    { method: 'post', path: `${prefix}/api/v3/write_lp`, api: 'v3', kind: 'write' },
    { method: 'get', path: `${prefix}/ping`, kind: 'ping' },
    { method: 'get', path: `${prefix}/health`, kind: 'health' },
  ];
}

/** The size limit property: a whole number of bytes of at least 1; '' means the default. */
export function parseMaxBodyBytes(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_MAX_BODY_BYTES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`max body size must be a whole number of bytes (at least 1), got ${JSON.stringify(value)}`);
  return n;
}

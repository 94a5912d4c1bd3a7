// What a write request's query string means for each of InfluxDB's write APIs: where the lines go (for the
// flow's routing) and the precision of their timestamps, normalised to the four the replication node takes.
import { badRequest } from './errors';

export type WriteApi = 'v1' | 'v2' | 'v3';
export type Precision = 'ns' | 'us' | 'ms' | 's';

/** How the endpoint must treat the timestamps of the body before the flow sees them. */
export type TimestampRewrite = { kind: 'none' } | { kind: 'scale'; factor: bigint } | { kind: 'auto' };

export interface WriteTarget {
  /** The precision the flow's message carries (msg.precision). */
  precision: Precision;
  /** Non-null when the endpoint converts timestamps itself (v1 `m`/`h`, v3 `auto`): the flow then sees `precision`. */
  rewrite: TimestampRewrite;
  bucket?: string;
  org?: string;
  db?: string;
  rp?: string;
}

export type Query = Record<string, unknown>;

const NONE: TimestampRewrite = { kind: 'none' };

// InfluxDB 1.x: n, u, ms, s, m, h (ns and us are taken too). Minutes and hours have no equivalent in the
// replication node, so those timestamps are converted to seconds here.
const V1_PRECISIONS: Record<string, { precision: Precision; rewrite: TimestampRewrite }> = {
  n: { precision: 'ns', rewrite: NONE },
  ns: { precision: 'ns', rewrite: NONE },
  u: { precision: 'us', rewrite: NONE },
  us: { precision: 'us', rewrite: NONE },
  ms: { precision: 'ms', rewrite: NONE },
  s: { precision: 's', rewrite: NONE },
  m: { precision: 's', rewrite: { kind: 'scale', factor: 60n } },
  h: { precision: 's', rewrite: { kind: 'scale', factor: 3600n } },
};

// InfluxDB 2.x: ns, us, ms, s.
const V2_PRECISIONS: Record<string, Precision> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };

// InfluxDB 3 /api/v3/write_lp: the long names (the short ones are accepted too); `auto` (the default) guesses
// each timestamp's unit from its magnitude, so the endpoint converts every timestamp to nanoseconds.
const V3_PRECISIONS: Record<string, Precision> = {
  nanosecond: 'ns',
  microsecond: 'us',
  millisecond: 'ms',
  second: 's',
  ns: 'ns',
  us: 'us',
  ms: 'ms',
  s: 's',
};

/** One query parameter as a string ('' when missing); repeated parameters take the first, as Go's Get does. */
export function param(query: Query, name: string): string {
  const value = query[name];
  if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : '';
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/** Throws a 400 WriteRefusal naming the parameter when the query cannot be a write to this API. */
export function parseWriteQuery(api: WriteApi, query: Query): WriteTarget {
  const precisionParam = param(query, 'precision');
  if (api === 'v1') {
    const db = param(query, 'db');
    if (!db) throw badRequest('database is required: add ?db=NAME to /write');
    const chosen = V1_PRECISIONS[precisionParam || 'n'];
    if (!chosen) throw badRequest(`precision ${JSON.stringify(precisionParam)} is not one of n, u, ms, s, m, h`);
    return { ...chosen, db, rp: param(query, 'rp') || undefined };
  }
  if (api === 'v2') {
    const bucket = param(query, 'bucket');
    if (!bucket) throw badRequest('bucket is required: add ?bucket=NAME to /api/v2/write');
    const precision = V2_PRECISIONS[precisionParam || 'ns'];
    if (!precision) throw badRequest(`precision ${JSON.stringify(precisionParam)} is not one of ns, us, ms, s`);
    const org = param(query, 'org') || param(query, 'orgID');
    return { precision, rewrite: NONE, bucket, org: org || undefined };
  }
  const db = param(query, 'db');
  if (!db) throw badRequest('database is required: add ?db=NAME to /api/v3/write_lp');
  if (!precisionParam || precisionParam === 'auto') return { precision: 'ns', rewrite: { kind: 'auto' }, db };
  const precision = V3_PRECISIONS[precisionParam];
  if (!precision) throw badRequest(`precision ${JSON.stringify(precisionParam)} is not one of auto, nanosecond, microsecond, millisecond, second`);
  return { precision, rewrite: NONE, db };
}

// Timestamp precisions, InfluxDB's timestamp range, and the ingest clock.
import type { Precision } from './types';

export const PRECISIONS: readonly Precision[] = Object.freeze(['ns', 'us', 'ms', 's'] as Precision[]);

export function isPrecision(value: unknown): value is Precision {
  return value === 'ns' || value === 'us' || value === 'ms' || value === 's';
}

const NS_PER_UNIT: Record<Precision, bigint> = { ns: 1n, us: 1000n, ms: 1000000n, s: 1000000000n };

/** Nanoseconds per unit of `precision`. */
export function precisionMultiplier(precision: Precision): bigint {
  if (!isPrecision(precision)) throw new TypeError(`unknown precision ${JSON.stringify(precision)} (expected ns, us, ms or s)`);
  return NS_PER_UNIT[precision];
}

// InfluxDB keeps the two extreme int64 values for itself (models.MinNanoTime / MaxNanoTime),
// so a point must lie strictly inside the int64 range.
export const MIN_TIMESTAMP_NS = -9223372036854775806n;
export const MAX_TIMESTAMP_NS = 9223372036854775806n;

export function isTimestampInRange(ns: bigint): boolean {
  return ns >= MIN_TIMESTAMP_NS && ns <= MAX_TIMESTAMP_NS;
}

/** The largest |ns| InfluxDB takes, as the ASCII digits it is written with (19 of them). */
const MAX_NS_DIGITS = Buffer.from(String(MAX_TIMESTAMP_NS), 'latin1');

/**
 * Whether the digits `bytes[from, end)` (no sign, no leading zero) followed by `zeros` zeros stay within InfluxDB's
 * range (MIN_TIMESTAMP_NS is -MAX_TIMESTAMP_NS). Comparing digits spares a BigInt per line: with 19 digits in all,
 * the value fits when its own digits are at most the first digits of the limit.
 */
export function digitsWithinNsRange(bytes: Buffer, from: number, end: number, zeros: number): boolean {
  const digits = end - from;
  const total = digits + zeros;
  if (total !== MAX_NS_DIGITS.length) return total < MAX_NS_DIGITS.length;
  for (let k = 0; k < digits; k++) {
    const c = bytes[from + k];
    const limit = MAX_NS_DIGITS[k];
    if (c !== limit) return c < limit;
  }
  return true;
}

// Date.now() only has millisecond resolution, so points stamped in the same millisecond would share a
// timestamp and overwrite each other in InfluxDB. We anchor the monotonic clock to the wall clock and
// re-anchor whenever the two drift apart (NTP steps, suspend), which keeps the result wall-clock time.
const MAX_DRIFT_NS = 2000000n;
let anchorWallNs = 0n;
let anchorHr = 0n;

/** Wall-clock time in nanoseconds. Not guaranteed to be strictly increasing. */
export function currentTimeNs(): bigint {
  const wallNs = BigInt(Date.now()) * 1000000n;
  const hr = process.hrtime.bigint();
  const estimate = anchorWallNs + (hr - anchorHr);
  const drift = estimate - wallNs;
  if (anchorHr === 0n || drift > MAX_DRIFT_NS || drift < -MAX_DRIFT_NS) {
    anchorWallNs = wallNs;
    anchorHr = hr;
    return wallNs;
  }
  return estimate;
}

// Timestamp conversions the endpoint makes itself, for precisions the replication node has no name for:
// InfluxDB 1.x `precision=m|h` (scaled to seconds) and InfluxDB 3's `precision=auto` (each timestamp's unit
// guessed from its magnitude, then written in nanoseconds). Only the timestamp token of a line changes; a line
// whose timestamp is not an integer is left as it is, for the replication node to refuse with its own message.
import type { TimestampRewrite } from './query';

const NS_PER_S = 1_000_000_000n;

/**
 * Where a line's timestamp starts, or -1 when the line has none. Line protocol: the measurement and tags end at
 * the first space that is not escaped; fields end at the next space that is neither escaped nor inside a
 * double-quoted string value (quotes mean nothing in the measurement and tags, only in field values).
 */
export function timestampStart(line: string): number {
  let i = 0;
  const n = line.length;
  // measurement and tags
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 32 /* space */) break;
  }
  if (i >= n) return -1;
  i++;
  let quoted = false;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34 /* " */) quoted = !quoted;
    else if (c === 32 && !quoted) return i + 1;
  }
  return -1;
}

/** InfluxDB 3's guess for `precision=auto` (values below 5e9 are seconds, below 5e12 ms, below 5e15 us). */
export function autoFactor(timestamp: bigint): bigint {
  const magnitude = (timestamp < 0n ? -timestamp : timestamp) / NS_PER_S;
  if (magnitude < 5n) return NS_PER_S;
  if (magnitude < 5_000n) return 1_000_000n;
  if (magnitude < 5_000_000n) return 1_000n;
  return 1n;
}

/** The body with its timestamps converted as `rewrite` says; unchanged (the same string) for `none`. */
export function rewriteTimestamps(text: string, rewrite: TimestampRewrite): string {
  if (rewrite.kind === 'none') return text;
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed[0] === '#') continue;
    const start = timestampStart(line);
    if (start < 0) continue;
    const token = line.slice(start).replace(/[\r\s]+$/, '');
    if (!/^-?\d+$/.test(token)) continue;
    const value = BigInt(token);
    const factor = rewrite.kind === 'scale' ? rewrite.factor : autoFactor(value);
    lines[k] = line.slice(0, start) + String(value * factor);
  }
  return lines.join('\n');
}

// Durations as InfluxDB writes them ('10m', '30s', '1h30m', '500ms'), for window sizes and allowed lateness.
// Windows are aligned to the epoch in nanoseconds, so the parser also gives the exact nanosecond count.

const NS_PER_UNIT: Record<string, bigint> = {
  ms: 1000000n,
  s: 1000000000n,
  m: 60n * 1000000000n,
  h: 3600n * 1000000000n,
  d: 86400n * 1000000000n,
  w: 7n * 86400n * 1000000000n,
};

const UNITS_TEXT = 'ms, s, m, h, d, w';
const PART = /(\d+)(ms|s|m|h|d|w)/y;

export class DurationError extends Error {
  override name = 'DurationError';
}

/**
 * Parses a duration such as '10m', '1h30m' or '500ms' into nanoseconds.
 * Calendar units (mo, y) are refused: their length varies, so epoch-aligned windows cannot use them.
 * With `allowZero`, '0' (bare) is accepted, as allowed lateness may be zero.
 */
export function parseDurationNs(text: unknown, { allowZero = false }: { allowZero?: boolean } = {}): bigint {
  if (typeof text === 'number' && allowZero && text === 0) return 0n;
  if (typeof text !== 'string') throw new DurationError(`duration must be text such as "10m", got ${describe(text)}`);
  const source = text.trim();
  if (source === '') throw new DurationError('duration is empty: write one such as "10m", "30s" or "1h30m"');
  if (allowZero && /^0+$/.test(source)) return 0n;
  let total = 0n;
  let position = 0;
  while (position < source.length) {
    PART.lastIndex = position;
    const match = PART.exec(source);
    if (!match) {
      throw new DurationError(
        `invalid duration "${source}" at "${source.slice(position)}": use whole numbers with units ${UNITS_TEXT}, e.g. "10m" or "1h30m"`,
      );
    }
    total += BigInt(match[1]) * NS_PER_UNIT[match[2]];
    position = PART.lastIndex;
  }
  if (total === 0n && !allowZero) throw new DurationError(`duration "${source}" must be longer than zero`);
  return total;
}

/** Same as parseDurationNs, in milliseconds (a duration below 1 ms is refused). */
export function parseDurationMs(text: unknown, options: { allowZero?: boolean } = {}): number {
  const ns = parseDurationNs(text, options);
  if (ns % 1000000n !== 0n) throw new DurationError(`duration "${String(text).trim()}" is not a whole number of milliseconds`);
  return Number(ns / 1000000n);
}

/** Whether `text` is a valid window size (the editor's validator mirrors this rule). */
export function isDuration(text: unknown, options: { allowZero?: boolean } = {}): boolean {
  try {
    parseDurationNs(text, options);
    return true;
  } catch {
    return false;
  }
}

/** Writes nanoseconds back as the shortest duration text ('90m' -> '1h30m'); used in messages and snapshots. */
export function formatDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  let rest = ns;
  let text = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = NS_PER_UNIT[unit];
    if (rest >= size) {
      text += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return rest > 0n ? `${text}${rest}ns` : text;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

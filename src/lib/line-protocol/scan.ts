// A single-pass scanner for one line of InfluxDB line protocol.
//
// It follows the InfluxDB line protocol reference and, where the reference is silent, InfluxDB's own
// Go parser (models/points.go), because InfluxDB 2 refuses a whole write when one line fails to parse:
// anything we let through must be accepted by the server. Where we are stricter than the server
// (whitespace) the reason says so plainly. Checked against influxd 1.6.7: it also accepts leading,
// trailing and doubled spaces, which we refuse here (prepareLines strips trailing spaces and tabs before
// scanning, so clients that add them are still served); `_field`/`_measurement` tag keys, which InfluxDB 2
// refuses; and it refuses unsigned `123u` (InfluxDB 1.x ships with unsigned support off), which we accept
// because InfluxDB 2 and the reference do.
//
// Escaping (identical to the server):
//  - measurement: `\,` and `\ ` are escapes;
//  - tag keys, tag values, field keys: `\,`, `\=` and `\ ` are escapes;
//  - string field values: `\"` and `\\` are escapes;
//  - a backslash before any other character is a literal backslash.
//
// A raw newline inside a quoted string is legal for InfluxDB, but payloads are split on `\n` before they
// reach this scanner, so such a string reads as unterminated. Write `\n` characters as something else.
//
// Validation-only callers (prepareLines) pass no point and the scanner allocates nothing on valid lines.
import type { FieldValue, ParseResult, ParsedPoint } from './types';
import { MAX_TIMESTAMP_NS, MIN_TIMESTAMP_NS } from './precision';
import { SAFE_INT64_DIGITS, quote, scanScalar } from './scalar';

const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const EQUALS = 61;
const BACKSLASH = 92;


/** InfluxDB's limit on the series key (measurement, tags and one field key), in UTF-8 bytes. */
const MAX_KEY_BYTES = 65535;

/** The outcome of scanLine. The object is reused: read it before the next call. */
export interface LineScan {
  /** '' when the line is valid, otherwise a short reason. */
  reason: string;
  /** Index where the timestamp token starts, -1 when the line has none (or is invalid). */
  timestampStart: number;
}

const result: LineScan = { reason: '', timestampStart: -1 };
// Start/end offsets of the tag keys seen so far on the current line, for the duplicate check.
let tagKeyBounds = new Int32Array(64);

function fail(reason: string): LineScan {
  result.reason = reason;
  result.timestampStart = -1;
  return result;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function unescapeIdentifier(line: string, start: number, end: number, equalsEscapes: boolean): string {
  let out = '';
  let copied = start;
  for (let i = start; i < end - 1; i++) {
    if (line.charCodeAt(i) !== BACKSLASH) continue;
    const next = line.charCodeAt(i + 1);
    if (next === COMMA || next === SPACE || (equalsEscapes && next === EQUALS)) {
      out += line.slice(copied, i);
      copied = i + 1;
      i++;
    }
  }
  return out + line.slice(copied, end);
}

function unescapeString(line: string, start: number, end: number): string {
  let out = '';
  let copied = start;
  for (let i = start; i < end - 1; i++) {
    if (line.charCodeAt(i) !== BACKSLASH) continue;
    const next = line.charCodeAt(i + 1);
    if (next === QUOTE || next === BACKSLASH) {
      out += line.slice(copied, i);
      copied = i + 1;
      i++;
    }
  }
  return out + line.slice(copied, end);
}

function isReservedTagKey(line: string, start: number, end: number): boolean {
  const length = end - start;
  // InfluxDB 2 answers "cannot use reserved tag key" for these.
  return (
    (length === 4 && line.startsWith('time', start)) ||
    (length === 6 && line.startsWith('_field', start)) ||
    (length === 12 && line.startsWith('_measurement', start))
  );
}

function sameText(line: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) {
    if (line.charCodeAt(aStart + k) !== line.charCodeAt(bStart + k)) return false;
  }
  return true;
}

function keyTooLong(line: string, lineStart: number, keyEnd: number, fieldKeyStart: number, fieldKeyEnd: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short keys need no byte count.
  // InfluxDB counts the series key plus the field key and a 4-byte separator.
  const units = keyEnd - lineStart + (fieldKeyEnd - fieldKeyStart) + 4;
  if (units * 3 <= MAX_KEY_BYTES) return false;
  const bytes = Buffer.byteLength(line.slice(lineStart, keyEnd)) + Buffer.byteLength(line.slice(fieldKeyStart, fieldKeyEnd)) + 4;
  return bytes > MAX_KEY_BYTES;
}

/**
 * Scans one line (no newline). When `point` is given, it is filled with the unescaped content.
 * The returned object is shared between calls.
 */
export function scanLine(line: string, point: ParsedPoint | null): LineScan {
  return scanRange(line, 0, line.length, point);
}

/**
 * Scans the line `text[start, end)` (no newline); `timestampStart` is an index into `text`. Validating a
 * payload in place, without cutting it into line strings first, is about a quarter faster.
 */
export function scanRange(line: string, start: number, end: number, point: ParsedPoint | null): LineScan {
  const n = end;
  if (n === start) return fail('empty line');
  let c = line.charCodeAt(start);
  if (c === SPACE || c === TAB) return fail('line starts with whitespace');
  if (c === HASH) return fail('measurement cannot start with "#" (the line reads as a comment)');
  if (c === COMMA) return fail('missing measurement');

  // Measurement.
  let i = start;
  let escaped = false;
  while (i < n) {
    c = line.charCodeAt(i);
    if (c === COMMA || c === SPACE) break;
    if (c === BACKSLASH && i + 1 < n) {
      const next = line.charCodeAt(i + 1);
      if (next === COMMA || next === SPACE) {
        escaped = true;
        i += 2;
        continue;
      }
    }
    i++;
  }
  if (i === n) return fail('missing field set');
  if (point) point.measurement = escaped ? unescapeIdentifier(line, start, i, false) : line.slice(start, i);

  // Tag set.
  let tagCount = 0;
  while (c === COMMA) {
    i++;
    const keyStart = i;
    let keyEscaped = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === EQUALS || c === COMMA || c === SPACE) break;
      if (c === BACKSLASH && i + 1 < n) {
        const next = line.charCodeAt(i + 1);
        if (next === COMMA || next === SPACE || next === EQUALS) {
          keyEscaped = true;
          i += 2;
          continue;
        }
      }
      i++;
    }
    const keyEnd = i;
    if (keyEnd === keyStart) return fail('missing tag key');
    if (i === n || c !== EQUALS) return fail(`missing tag value for key ${quote(line, keyStart, keyEnd)}`);
    i++;
    const valueStart = i;
    let valueEscaped = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === COMMA || c === SPACE) break;
      if (c === EQUALS) return fail(`unescaped "=" in tag value for key ${quote(line, keyStart, keyEnd)}`);
      if (c === BACKSLASH && i + 1 < n) {
        const next = line.charCodeAt(i + 1);
        if (next === COMMA || next === SPACE || next === EQUALS) {
          valueEscaped = true;
          i += 2;
          continue;
        }
      }
      i++;
    }
    if (i === valueStart) return fail(`missing tag value for key ${quote(line, keyStart, keyEnd)}`);
    if (i === n) return fail('missing field set');
    if (!keyEscaped && isReservedTagKey(line, keyStart, keyEnd)) {
      return fail(`tag key ${quote(line, keyStart, keyEnd)} is reserved by InfluxDB`);
    }
    // Escaping is one-to-one, so comparing the escaped text finds duplicates of the unescaped keys.
    for (let t = 0; t < tagCount; t++) {
      if (sameText(line, tagKeyBounds[2 * t], tagKeyBounds[2 * t + 1], keyStart, keyEnd)) {
        return fail(`duplicate tag key ${quote(line, keyStart, keyEnd)}`);
      }
    }
    if (2 * tagCount + 2 > tagKeyBounds.length) {
      const grown = new Int32Array(tagKeyBounds.length * 2);
      grown.set(tagKeyBounds);
      tagKeyBounds = grown;
    }
    tagKeyBounds[2 * tagCount] = keyStart;
    tagKeyBounds[2 * tagCount + 1] = keyEnd;
    tagCount++;
    if (point) {
      point.tags.push([
        keyEscaped ? unescapeIdentifier(line, keyStart, keyEnd, true) : line.slice(keyStart, keyEnd),
        valueEscaped ? unescapeIdentifier(line, valueStart, i, true) : line.slice(valueStart, i),
      ]);
    }
  }
  const seriesKeyEnd = i;

  // Field set. Here line[i] is the space after the series key.
  i++;
  if (i === n) return fail('missing field set');
  if (line.charCodeAt(i) === SPACE) return fail('more than one space before the field set');
  for (;;) {
    const keyStart = i;
    let keyEscaped = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === EQUALS || c === COMMA || c === SPACE) break;
      if (c === BACKSLASH && i + 1 < n) {
        const next = line.charCodeAt(i + 1);
        if (next === COMMA || next === SPACE || next === EQUALS) {
          keyEscaped = true;
          i += 2;
          continue;
        }
      }
      i++;
    }
    const keyEnd = i;
    if (keyEnd === keyStart) return fail(keyStart === n ? 'field set ends with a comma' : 'missing field key');
    if (i === n || c !== EQUALS) return fail(`missing value for field key ${quote(line, keyStart, keyEnd)}`);
    if (!keyEscaped && keyEnd - keyStart === 4 && line.startsWith('time', keyStart)) {
      // InfluxDB 1 refuses the point and InfluxDB 2 silently drops the field.
      return fail('field key "time" is reserved by InfluxDB');
    }
    if (keyTooLong(line, start, seriesKeyEnd, keyStart, keyEnd)) return fail(`series key is longer than ${MAX_KEY_BYTES} bytes`);
    i++;
    if (i === n) return fail(`missing value for field key ${quote(line, keyStart, keyEnd)}`);
    c = line.charCodeAt(i);
    let value: FieldValue | null = null;
    if (c === QUOTE) {
      const stringStart = i + 1;
      let stringEscaped = false;
      let closed = false;
      i = stringStart;
      while (i < n) {
        c = line.charCodeAt(i);
        if (c === QUOTE) {
          closed = true;
          break;
        }
        if (c === BACKSLASH && i + 1 < n) {
          const next = line.charCodeAt(i + 1);
          if (next === QUOTE || next === BACKSLASH) {
            stringEscaped = true;
            i += 2;
            continue;
          }
        }
        i++;
      }
      if (!closed) return fail(`unterminated string value for field key ${quote(line, keyStart, keyEnd)}`);
      if (point) {
        value = { type: 'string', value: stringEscaped ? unescapeString(line, stringStart, i) : line.slice(stringStart, i) };
      }
      i++;
      if (i < n) {
        c = line.charCodeAt(i);
        if (c !== COMMA && c !== SPACE) {
          return fail(`unexpected text after the string value of field key ${quote(line, keyStart, keyEnd)}`);
        }
      }
    } else {
      const tokenStart = i;
      while (i < n) {
        c = line.charCodeAt(i);
        if (c === COMMA || c === SPACE) break;
        i++;
      }
      if (i === tokenStart) return fail(`missing value for field key ${quote(line, keyStart, keyEnd)}`);
      const scalar = scanScalar(line, tokenStart, i, point !== null);
      if (typeof scalar === 'string') return fail(`${scalar} for key ${quote(line, keyStart, keyEnd)}`);
      value = scalar;
    }
    if (point) {
      const key = keyEscaped ? unescapeIdentifier(line, keyStart, keyEnd, true) : line.slice(keyStart, keyEnd);
      point.fields.push([key, value as FieldValue]);
    }
    if (i === n) {
      result.reason = '';
      result.timestampStart = -1;
      if (point) point.timestamp = null;
      return result;
    }
    if (c === COMMA) {
      i++;
      continue;
    }
    break; // a space: the timestamp follows
  }

  // Timestamp.
  i++;
  const timestampStart = i;
  if (i === n) return fail('trailing whitespace at the end of the line');
  c = line.charCodeAt(i);
  if (c === SPACE) {
    let rest = i;
    while (rest < n && line.charCodeAt(rest) === SPACE) rest++;
    return fail(rest === n ? 'trailing whitespace at the end of the line' : 'more than one space before the timestamp');
  }
  if (c === MINUS) i++;
  const digitsStart = i;
  while (i < n && isDigit(line.charCodeAt(i))) i++;
  const digits = i - digitsStart;
  if (i < n) {
    if (digits > 0 && line.charCodeAt(i) === SPACE) {
      let rest = i;
      while (rest < n && line.charCodeAt(rest) === SPACE) rest++;
      if (rest === n) return fail('trailing whitespace after the timestamp');
      return fail(`unexpected text after the timestamp: ${quote(line, rest, n)}`);
    }
    let tokenEnd = i;
    while (tokenEnd < n && line.charCodeAt(tokenEnd) !== SPACE) tokenEnd++;
    return fail(`invalid timestamp ${quote(line, timestampStart, tokenEnd)} (must be an integer)`);
  }
  if (digits === 0) return fail(`invalid timestamp ${quote(line, timestampStart, n)} (must be an integer)`);
  // A timestamp outside the ns range is out of range in any coarser precision too.
  if (digits > SAFE_INT64_DIGITS || point) {
    const ts = BigInt(line.slice(timestampStart, n));
    if (ts < MIN_TIMESTAMP_NS || ts > MAX_TIMESTAMP_NS) return fail(`timestamp ${quote(line, timestampStart, n)} is out of range`);
    if (point) point.timestamp = ts;
  }
  result.reason = '';
  result.timestampStart = timestampStart;
  return result;
}

/** Parses one line (no newline) into its unescaped parts. */
export function parseLine(line: string): ParseResult {
  if (typeof line !== 'string') return { ok: false, reason: `expected a string, got ${line === null ? 'null' : typeof line}` };
  if (line.indexOf('\n') !== -1) return { ok: false, reason: 'line contains a newline (pass one line at a time)' };
  const point: ParsedPoint = { measurement: '', tags: [], fields: [], timestamp: null };
  const scan = scanLine(line, point);
  return scan.reason === '' ? { ok: true, point } : { ok: false, reason: scan.reason };
}

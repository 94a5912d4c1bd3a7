// A scanner for one line of InfluxDB line protocol that accepts exactly what InfluxDB 1.6.7 accepts.
//
// InfluxDB's parser (models/points.go) is the authority: a line we accept and the server refuses is lost at
// the remote (or blocks the stream), and a line we refuse that the server takes is a refusal nobody asked
// for. The rules below were learnt from that parser and checked line by line against a real influxd 1.6.7
// (test/e2e/line-protocol-differential.test.js). The server reads a line in two passes that treat a
// backslash differently, and both decide what is accepted:
//
//  - Measurement, tag keys and tag values: a delimiter (`,`, space, `=`) is escaped when the byte before it
//    is a backslash, whatever that backslash itself follows (`a\\,b` is one name). A tag value may start
//    with `=` (`t==a` is the value `=a`); an unescaped `=` later in it is refused.
//  - Field set, first pass: a backslash and the byte after it are skipped as a pair, so `a\\,b=1` has a bare
//    comma (refused) and `a\\=1` has a bare `=`. Quotes open a string only in a value.
//  - Field set, second pass (the one that names the stored fields): a key ends at the first `=` whose
//    previous byte is not a backslash, so `a\\=1,b=2` stores one field `a\=1,b` = 2, and `a\\=1` alone
//    is refused. Values are the text up to the next comma outside quotes.
//  - Unescaping: measurement and field keys drop the backslash before `,` `"` space `=`; tag keys and values
//    before `,` space `=`; string values before `"` and `\\`; any other backslash is kept. A string value is
//    the text between its first and last byte (`"a"b` is stored as `a"`).
//  - Whitespace: spaces, tabs and NUL bytes before the measurement, the field set and the timestamp are
//    skipped; only spaces may follow a timestamp.
//  - Semantics: duplicate tag keys, a tag key `time`, and one field key with two types are refused; a field
//    named `time` is dropped by the server (refused when it is the only field); the series key plus a field
//    key may hold at most 65535 bytes.
//
// Where we differ from InfluxDB 1.6.7, on purpose (each is listed in the differential test's allow-list):
//  - unsigned `123u` is accepted (InfluxDB 2 takes it; 1.x ships with it off and refuses the line);
//  - tag keys `_field` and `_measurement` are refused (InfluxDB 2 refuses them; 1.x stores them);
//  - a newline that InfluxDB keeps inside a line (in a quoted string, or after a backslash) is refused:
//    the queue stores one line per line (prepare.ts finds such lines the way the server does);
//  - (prepare.ts) a CR before a newline is dropped, where InfluxDB keeps it in the line's last token; and a
//    line without a timestamp that ends with a backslash is refused, as the appended ingest time would join
//    its last value.
//
// Lines are read as UTF-8 bytes (bytes.ts says why); offsets are byte offsets. Validation-only callers
// (prepareLines) pass no point and the scanner allocates nothing on valid lines.
import type { FieldValue, ParseResult, ParsedPoint } from './types';
import { digitsWithinNsRange, isTimestampInRange } from './precision';
import { asciiText, encodeReusing, isAsciiText, utf8Text, whileReading } from './bytes';
import { quote, scanScalar, scanValueSyntax } from './scalar';

const NUL = 0;
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
const UNDERSCORE = 95;
const LOWER_T = 116;

/** InfluxDB's limit on the series key (measurement, tags and one field key), in UTF-8 bytes. */
const MAX_KEY_BYTES = 65535;

/** The outcome of scanRange. The object is reused: read it before the next call. */
export interface LineScan {
  /** '' when the line is valid, otherwise a short reason. */
  reason: string;
  /** Where the measurement starts (after the whitespace InfluxDB skips). */
  start: number;
  /** Where the field set ends (the space after it, or the end of the line). */
  fieldsEnd: number;
  /** Index where the timestamp token starts, -1 when the line has none (or is invalid). */
  timestampStart: number;
  /** Index just after the timestamp token, -1 when the line has none. */
  timestampEnd: number;
}

const result: LineScan = { reason: '', start: 0, fieldsEnd: -1, timestampStart: -1, timestampEnd: -1 };
// Start/end offsets of the tag keys seen so far on the current line, for the duplicate check.
let tagKeyBounds = new Int32Array(64);
// Per field of the second pass: key start, `=` position, value end, type code (see TYPE_*).
let fieldBounds = new Int32Array(64);
// Positions of the `=` signs the first pass over the field set accepted (its values are already checked).
let firstPassEquals = new Int32Array(64);
let firstPassCommas = new Int32Array(64);
const TYPE_FLOAT = 1;
const TYPE_INTEGER = 2;
const TYPE_UNSIGNED = 3;
const TYPE_STRING = 4;
const TYPE_BOOLEAN = 5;
const TYPE_NAMES = ['', 'float', 'integer', 'unsigned', 'string', 'boolean'];

function fail(reason: string): LineScan {
  result.reason = reason;
  result.timestampStart = -1;
  result.timestampEnd = -1;
  return result;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** What InfluxDB skips before the measurement, the field set and the timestamp. */
export function isSkippedWhitespace(c: number): boolean {
  return c === SPACE || c === TAB || c === NUL;
}

/**
 * The text of `line[start, end)` without the backslash before the bytes of `escapes` (a single left-to-right
 * pass, as InfluxDB does). A backslash is ASCII, so the pieces between them are whole UTF-8 characters.
 */
function unescape(line: Buffer, start: number, end: number, escapes: readonly number[]): string {
  // Not line.indexOf: the buffer may run far past the line (a payload, or the reused encoding buffer).
  let backslash = start;
  while (backslash < end && line[backslash] !== BACKSLASH) backslash++;
  if (backslash === end) return utf8Text(line, start, end);
  let out = '';
  let copied = start;
  for (let i = backslash; i < end - 1; i++) {
    if (line[i] !== BACKSLASH) continue;
    if (escapes.includes(line[i + 1])) {
      out += utf8Text(line, copied, i);
      copied = i + 1;
      i++;
    }
  }
  return out + utf8Text(line, copied, end);
}


const NAME_ESCAPES = [COMMA, SPACE, EQUALS, QUOTE]; // measurement and field keys
const TAG_ESCAPES = [COMMA, SPACE, EQUALS];
const STRING_ESCAPES = [QUOTE, BACKSLASH];

function sameText(line: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) {
    if (line[aStart + k] !== line[bStart + k]) return false;
  }
  return true;
}

function keyTooLong(lineStart: number, keyEnd: number, fieldKeyStart: number, fieldKeyEnd: number): boolean {
  // InfluxDB counts the series key plus the field key and a 4-byte separator.
  return keyEnd - lineStart + (fieldKeyEnd - fieldKeyStart) + 4 > MAX_KEY_BYTES;
}

/**
 * Scans the line `line[start, end)` (no newline); the offsets in the result are indexes into `line`, which may
 * hold a whole payload: it is validated in place, as cutting it into lines first would make one per line.
 */
export function scanRange(line: Buffer, start: number, end: number, point: ParsedPoint | null): LineScan {
  const n = end;
  while (start < n && isSkippedWhitespace(line[start])) start++;
  result.start = start;
  result.fieldsEnd = -1;
  if (start === n) return fail('empty line');
  let c = line[start];
  if (c === COMMA) return fail('missing measurement');
  // InfluxDB skips such a line as a comment (prepareLines counts it as skipped, not as a point).
  if (c === HASH) return fail('measurement cannot start with "#" (the line reads as a comment)');

  // Measurement: its first byte is never a delimiter. In names and tags a delimiter is escaped when the byte
  // before it is a backslash, whatever that backslash follows.
  let i = start;
  let previous = c;
  for (;;) {
    i++;
    if (i >= n) return fail('missing field set');
    c = line[i];
    if ((c === COMMA || c === SPACE) && previous !== BACKSLASH) break;
    previous = c;
  }
  if (point) point.measurement = unescape(line, start, i, NAME_ESCAPES);

  // Tag set. Here line[i] is the comma or space after the measurement.
  let tagCount = 0;
  while (c === COMMA) {
    i++;
    const keyStart = i;
    c = i < n ? line[i] : SPACE;
    if (c === SPACE || c === COMMA || c === EQUALS) return fail('missing tag key');
    for (;;) {
      previous = c;
      i++;
      if (i >= n) return fail(`missing tag value for key ${quote(line, keyStart, i)}`);
      c = line[i];
      if (previous === BACKSLASH) continue;
      if (c === SPACE || c === COMMA) return fail(`missing tag value for key ${quote(line, keyStart, i)}`);
      if (c === EQUALS) break;
    }
    const keyEnd = i;
    i++;
    const valueStart = i;
    c = i < n ? line[i] : SPACE;
    if (c === COMMA || c === SPACE) return fail(`missing tag value for key ${quote(line, keyStart, keyEnd)}`);
    // The first byte of a value may be anything else, `=` included.
    for (;;) {
      previous = c;
      i++;
      if (i >= n) return fail('missing field set');
      c = line[i];
      if (previous === BACKSLASH) continue;
      if (c === EQUALS) return fail(`unescaped "=" in tag value for key ${quote(line, keyStart, keyEnd)}`);
      if (c === COMMA || c === SPACE) break;
    }
    // The reserved keys start with `t` or `_`: the first byte spares most keys the comparisons.
    const keyFirst = line[keyStart];
    if (keyFirst === LOWER_T && isAsciiText(line, keyStart, keyEnd, 'time')) return fail('tag key "time" is reserved by InfluxDB');
    // InfluxDB 2 answers "cannot use reserved tag key" for these; InfluxDB 1 stores them.
    if (keyFirst === UNDERSCORE && (isAsciiText(line, keyStart, keyEnd, '_field') || isAsciiText(line, keyStart, keyEnd, '_measurement'))) {
      return fail(`tag key ${quote(line, keyStart, keyEnd)} is reserved by InfluxDB 2`);
    }
    // InfluxDB compares the keys as written.
    for (let t = 0; t < tagCount; t++) {
      if (sameText(line, tagKeyBounds[2 * t], tagKeyBounds[2 * t + 1], keyStart, keyEnd)) {
        return fail(`duplicate tag key ${quote(line, keyStart, keyEnd)}`);
      }
    }
    tagKeyBounds = withRoomFor(tagKeyBounds, 2 * tagCount + 2);
    tagKeyBounds[2 * tagCount] = keyStart;
    tagKeyBounds[2 * tagCount + 1] = keyEnd;
    tagCount++;
    if (point) point.tags.push([unescape(line, keyStart, keyEnd, TAG_ESCAPES), unescape(line, valueStart, i, TAG_ESCAPES)]);
  }
  const seriesKeyEnd = i;
  if (keyTooLong(start, seriesKeyEnd, 0, 0)) return fail(`series key is longer than ${MAX_KEY_BYTES} bytes`);

  // Field set, first pass (InfluxDB's scanFields).
  i++;
  while (i < n && isSkippedWhitespace(line[i])) i++;
  const fieldsStart = i;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  let lastEquals = fieldsStart;
  let sawBackslash = false;
  while (i < n) {
    c = line[i];
    if (c === BACKSLASH) {
      sawBackslash = true;
      if (i + 1 < n) {
        i += 2;
        continue;
      }
    }
    if (c === QUOTE && equals > commas) {
      quoted = !quoted;
      i++;
      continue;
    }
    if (c === EQUALS && !quoted) {
      equals++;
      lastEquals = i;
      if (equals > firstPassEquals.length) {
        const grown = new Int32Array(firstPassEquals.length * 2);
        grown.set(firstPassEquals);
        firstPassEquals = grown;
      }
      firstPassEquals[equals - 1] = i;
      const before = line[i - 1];
      if ((before === SPACE || before === COMMA) && line[i - 2] !== BACKSLASH) return fail('missing field key');
      if (i + 1 >= n) return fail(`missing value for field key ${quote(line, fieldKeyStart(line, fieldsStart, i), i)}`);
      const next = line[i + 1];
      if (next === COMMA || next === SPACE) return fail(`missing value for field key ${quote(line, fieldKeyStart(line, fieldsStart, i), i)}`);
      if (next !== QUOTE) {
        let valueEnd = i + 1;
        while (valueEnd < n) {
          const v = line[valueEnd];
          if (v === COMMA || v === SPACE) break;
          valueEnd++;
        }
        const syntax = scanValueSyntax(line, i + 1, valueEnd);
        if (syntax !== '') return fail(`${syntax} for key ${quote(line, fieldKeyStart(line, fieldsStart, i), i)}`);
        i = valueEnd;
        continue;
      }
    }
    if (c === COMMA && !quoted) {
      if (commas >= firstPassCommas.length) {
        const grown = new Int32Array(firstPassCommas.length * 2);
        grown.set(firstPassCommas);
        firstPassCommas = grown;
      }
      firstPassCommas[commas] = i;
      commas++;
    }
    if (c === SPACE && !quoted) break;
    i++;
  }
  if (quoted) return fail(`unterminated string value for field key ${quote(line, fieldKeyStart(line, fieldsStart, lastEquals), lastEquals)}`);
  if (equals === 0) return fail(i === fieldsStart ? 'missing field set' : `missing value for field key ${quote(line, fieldsStart, i)}`);
  if (commas !== equals - 1) return fail(`invalid field set ${quote(line, fieldsStart, i)} (a comma or "=" too many)`);
  const fieldsEnd = i;
  result.fieldsEnd = fieldsEnd;

  const fieldReason = scanStoredFields(line, start, seriesKeyEnd, fieldsStart, fieldsEnd, equals, sawBackslash, point);
  if (fieldReason !== '') return fail(fieldReason);

  // Timestamp.
  i = fieldsEnd;
  while (i < n && isSkippedWhitespace(line[i])) i++;
  const timestampStart = i;
  if (i < n && line[i] === MINUS) i++;
  while (i < n) {
    const t = line[i];
    if (t === SPACE) break;
    if (!isDigit(t)) {
      let tokenEnd = i;
      while (tokenEnd < n && line[tokenEnd] !== SPACE) tokenEnd++;
      return fail(`invalid timestamp ${quote(line, timestampStart, tokenEnd)} (must be an integer)`);
    }
    i++;
  }
  const timestampEnd = i;
  if (timestampEnd === timestampStart) {
    result.reason = '';
    result.timestampStart = -1;
    result.timestampEnd = -1;
    if (point) point.timestamp = null;
    return result;
  }
  if (timestampEnd - timestampStart === 1 && line[timestampStart] === MINUS) {
    return fail('invalid timestamp "-" (must be an integer)');
  }
  for (let rest = timestampEnd; rest < n; rest++) {
    if (line[rest] !== SPACE) {
      return fail(`unexpected text after the timestamp: ${quote(line, rest, n)}`);
    }
  }
  // A timestamp outside the ns range is out of range in any coarser precision too.
  if (!isWithinNsRange(line, timestampStart, timestampEnd)) return fail(`timestamp ${quote(line, timestampStart, timestampEnd)} is out of range`);
  if (point) point.timestamp = BigInt(asciiText(line, timestampStart, timestampEnd));
  result.reason = '';
  result.timestampStart = timestampStart;
  result.timestampEnd = timestampEnd;
  return result;
}

/** Whether the integer token `line[start, end)` lies in InfluxDB's range. */
function isWithinNsRange(line: Buffer, start: number, end: number): boolean {
  const digitsStart = line[start] === MINUS ? start + 1 : start;
  if (line[digitsStart] !== ZERO) return digitsWithinNsRange(line, digitsStart, end, 0);
  // Leading zeros: BigInt reads past them.
  return isTimestampInRange(BigInt(asciiText(line, start, end)));
}

/** Start of the field key that ends at `equalsAt` in the first pass (for reasons only). */
function fieldKeyStart(line: Buffer, fieldsStart: number, equalsAt: number): number {
  let k = equalsAt;
  while (k > fieldsStart) {
    const c = line[k - 1];
    if ((c === COMMA || c === SPACE) && !(k - 2 >= fieldsStart && line[k - 2] === BACKSLASH)) break;
    k--;
  }
  return k;
}

/**
 * The second pass over a field set that the first accepted: the fields InfluxDB stores. Returns a reason, or
 * '' (and fills `point.fields` when given).
 */
function scanStoredFields(
  line: Buffer,
  lineStart: number,
  seriesKeyEnd: number,
  from: number,
  to: number,
  firstPassCount: number,
  sawBackslash: boolean,
  point: ParsedPoint | null,
): string {
  let count = 0;
  let firstPass = 0;
  let kept = 0;
  let i = from;
  while (i < to) {
    const keyStart = i;
    if (!sawBackslash) {
      // Without a backslash both passes split the field set alike: at the `=` and the commas the first one found.
      const eq = firstPassEquals[count];
      const valueEnd = count < firstPassCount - 1 ? firstPassCommas[count] : to;
      const reason = addStoredField(line, lineStart, seriesKeyEnd, keyStart, eq, valueEnd, valueType(line, eq + 1, valueEnd), count, point);
      if (reason === KEPT) kept++;
      else if (reason !== DROPPED) return reason;
      count++;
      i = valueEnd + 1;
      continue;
    }
    // The key ends at the first `=` whose previous byte is not a backslash (the first byte always counts).
    let eq = i;
    while (eq < to && !(line[eq] === EQUALS && (eq === keyStart || line[eq - 1] !== BACKSLASH))) eq++;
    if (eq > to - 2) return `field key ${quote(line, keyStart, Math.min(eq, to))} cannot be read by InfluxDB (a key must not end with a backslash)`;
    // The value ends at the next comma outside quotes; `\"` and `\\` do not count as quotes.
    let valueEnd = eq + 1;
    let quoted = false;
    while (valueEnd < to) {
      const c = line[valueEnd];
      if (c === BACKSLASH && valueEnd + 1 < to) {
        const next = line[valueEnd + 1];
        if (next === QUOTE || next === BACKSLASH) {
          valueEnd += 2;
          continue;
        }
      }
      if (c === QUOTE) quoted = !quoted;
      else if (c === COMMA && !quoted) break;
      valueEnd++;
    }
    // Where both passes agree on the `=`, the first pass has checked the value: only its type is needed.
    while (firstPass < firstPassCount && firstPassEquals[firstPass] < eq) firstPass++;
    const checked = firstPass < firstPassCount && firstPassEquals[firstPass] === eq;
    const type = checked ? valueType(line, eq + 1, valueEnd) : storedType(line, eq + 1, valueEnd);
    const reason = addStoredField(line, lineStart, seriesKeyEnd, keyStart, eq, valueEnd, type, count, point);
    if (reason === KEPT) kept++;
    else if (reason !== DROPPED) return reason;
    count++;
    i = valueEnd + 1;
  }
  if (kept === 0) return 'field key "time" is reserved by InfluxDB (it is dropped, and the line has no other field)';
  return '';
}

const KEPT = 'kept';
const DROPPED = 'dropped';

/** Checks the stored field number `count` and records it; returns KEPT, DROPPED (a `time` field) or a reason. */
function addStoredField(
  line: Buffer,
  lineStart: number,
  seriesKeyEnd: number,
  keyStart: number,
  eq: number,
  valueEnd: number,
  type: number,
  count: number,
  point: ParsedPoint | null,
): string {
  // A lone `"` here is not only refused: InfluxDB 1.6.7 panics and exits on it (seen with `m a\\=" ="`).
  if (type === 0) return `InfluxDB reads the field ${quote(line, keyStart, eq)} as ${quote(line, eq + 1, valueEnd)}, which is not a value`;
  if (keyTooLong(lineStart, seriesKeyEnd, keyStart, eq)) return `series key is longer than ${MAX_KEY_BYTES} bytes`;
  // InfluxDB drops `time` fields before it compares types, so they cannot conflict.
  const isTime = line[keyStart] === LOWER_T && isAsciiText(line, keyStart, eq, 'time');
  for (let f = 0; f < count && !isTime; f++) {
    const at = 4 * f;
    if (fieldBounds[at + 3] !== type && sameText(line, fieldBounds[at], fieldBounds[at + 1], keyStart, eq)) {
      return `field ${quote(line, keyStart, eq)} appears twice with different types (${TYPE_NAMES[fieldBounds[at + 3]]} and ${TYPE_NAMES[type]}): InfluxDB refuses the line`;
    }
  }
  fieldBounds = withRoomFor(fieldBounds, 4 * count + 4);
  fieldBounds[4 * count] = keyStart;
  fieldBounds[4 * count + 1] = eq;
  fieldBounds[4 * count + 2] = valueEnd;
  fieldBounds[4 * count + 3] = type;
  // InfluxDB drops a field named `time` and keeps the rest of the point.
  if (isTime) return DROPPED;
  if (point) point.fields.push([unescape(line, keyStart, eq, NAME_ESCAPES), storedValue(line, eq + 1, valueEnd, type)]);
  return KEPT;
}

/** The TYPE_* InfluxDB gives the value text [start, end), 0 when it cannot read it. */
function storedType(line: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  const first = line[start];
  if (first === QUOTE) return end - start >= 2 ? TYPE_STRING : 0;
  const scalar = scanScalar(line, start, end, false);
  if (typeof scalar === 'string') return 0;
  const last = line[end - 1];
  if (isDigit(first) || first === MINUS || first === 46) return last === 105 ? TYPE_INTEGER : last === 117 ? TYPE_UNSIGNED : TYPE_FLOAT;
  return TYPE_BOOLEAN;
}

/** The TYPE_* of a value the first pass accepted. */
function valueType(line: Buffer, start: number, end: number): number {
  const first = line[start];
  if (first === QUOTE) return end - start >= 2 ? TYPE_STRING : 0;
  if (isDigit(first) || first === MINUS || first === 46) {
    const last = line[end - 1];
    return last === 105 ? TYPE_INTEGER : last === 117 ? TYPE_UNSIGNED : TYPE_FLOAT;
  }
  return TYPE_BOOLEAN;
}

function storedValue(line: Buffer, start: number, end: number, type: number): FieldValue {
  // A string is the text between the first and the last byte, whatever the last byte is.
  if (type === TYPE_STRING) return { type: 'string', value: unescape(line, start + 1, end - 1, STRING_ESCAPES) };
  return scanScalar(line, start, end, true) as FieldValue;
}

/** Parses one line (no newline) into its unescaped parts. */
export function parseLine(line: string): ParseResult {
  if (typeof line !== 'string') return { ok: false, reason: `expected a string, got ${line === null ? 'null' : typeof line}` };
  if (line.indexOf('\n') !== -1) return { ok: false, reason: 'line contains a newline (pass one line at a time)' };
  const point: ParsedPoint = { measurement: '', tags: [], fields: [], timestamp: null };
  const { bytes, length } = encodeReusing(line);
  const scan = whileReading(length === line.length ? line : null, () => scanRange(bytes, 0, length, point));
  return scan.reason === '' ? { ok: true, point } : { ok: false, reason: scan.reason };
}

/** `bounds` if it holds `needed` entries, else a copy twice its size (lines with many tags or fields are rare). */
function withRoomFor(bounds: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= bounds.length) return bounds;
  const grown = new Int32Array(Math.max(needed, bounds.length * 2));
  grown.set(bounds);
  return grown;
}

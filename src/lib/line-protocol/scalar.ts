// Unquoted field values (numbers and booleans) with InfluxDB's exact syntax and 64-bit ranges. Lines are
// read as UTF-8 bytes (see scan.ts for why).
import type { FieldValue } from './types';
import { asciiText, isAsciiAt, utf8Text } from './bytes';

const MINUS = 45;
const DOT = 46;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;
const UPPER_E = 69;
const LOWER_E = 101;
const LOWER_I = 105;
const LOWER_U = 117;

const MIN_INT64 = -9223372036854775808n;
const MAX_INT64 = 9223372036854775807n;
const MAX_UINT64 = 18446744073709551615n;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Bytes of the source shown in a quote, and the most characters a quote may take once escaped. */
const QUOTED_SOURCE_BYTES = 64;
const MAX_QUOTED_CHARS = 70;

/** Quotes a piece of the line for a reason, shortened so one bad line cannot flood a log. */
export function quote(line: Buffer, start: number, end: number): string {
  let cut = characterBoundary(line, start, Math.min(end, start + QUOTED_SOURCE_BYTES), end);
  for (;;) {
    const quoted = JSON.stringify(utf8Text(line, start, cut) + (cut < end ? '…' : ''));
    // JSON escapes control characters as \u0003 (six characters each): a binary token would make an error
    // message of several hundred characters, so it is cut shorter until the quoted form is short too.
    if (quoted.length <= MAX_QUOTED_CHARS || cut - start <= 8) return quoted;
    cut = characterBoundary(line, start, start + Math.floor((cut - start) / 2), end);
  }
}

/** `cut`, moved back to the start of the UTF-8 character it falls in, so a quote never shows half of one. */
function characterBoundary(line: Buffer, start: number, cut: number, end: number): number {
  let at = cut;
  while (at < end && at > start && (line[at] & 0xc0) === 0x80) at--;
  return at > start ? at : cut;
}

function isBooleanToken(line: Buffer, start: number, end: number): boolean | null {
  switch (end - start) {
    case 1: {
      const c = line[start];
      if (c === 116 || c === 84) return true; // t T
      if (c === 102 || c === 70) return false; // f F
      return null;
    }
    case 4:
      if (isAsciiAt(line, start, 'true') || isAsciiAt(line, start, 'True') || isAsciiAt(line, start, 'TRUE')) return true;
      return null;
    case 5:
      if (isAsciiAt(line, start, 'false') || isAsciiAt(line, start, 'False') || isAsciiAt(line, start, 'FALSE')) return false;
      return null;
    default:
      return null;
  }
}

/** `-?digits` over [start, end). */
function isIntegerText(line: Buffer, start: number, end: number): boolean {
  let p = start;
  if (p < end && line[p] === MINUS) p++;
  if (p === end) return false;
  for (; p < end; p++) if (!isDigit(line[p])) return false;
  return true;
}

/**
 * InfluxDB's float syntax over [start, end): `-?(d+.?d*|.d+)([eE][+-]?d+)?`.
 * Returns 0 when invalid, 1 for a plain decimal, 2 when an exponent is present (range must be checked).
 */
function floatTextKind(line: Buffer, start: number, end: number): number {
  let p = start;
  if (line[p] === MINUS) p++;
  let digits = 0;
  let dot = false;
  for (; p < end; p++) {
    const c = line[p];
    if (isDigit(c)) digits++;
    else if (c === DOT && !dot) dot = true;
    else break;
  }
  if (digits === 0) return 0;
  if (p === end) return 1;
  const e = line[p];
  if (e !== LOWER_E && e !== UPPER_E) return 0;
  p++;
  const sign = line[p];
  if (sign === PLUS || sign === MINUS) p++;
  const exponentStart = p;
  for (; p < end; p++) if (!isDigit(line[p])) return 0;
  return p > exponentStart ? 2 : 0;
}

/** Every digit-only token of at most this many digits fits in an int64. */
const SAFE_INT64_DIGITS = 18;

/**
 * Checks an unquoted field value over [start, end). Returns a reason (without the key) when invalid,
 * the value when `build` is set, and null otherwise.
 */
export function scanScalar(line: Buffer, start: number, end: number, build: boolean): FieldValue | string | null {
  const first = line[start];
  const last = line[end - 1];
  if (isDigit(first) || first === MINUS || first === DOT) {
    if (last === LOWER_I) {
      if (!isIntegerText(line, start, end - 1)) return `invalid integer value ${quote(line, start, end)}`;
      const digits = end - 1 - start - (first === MINUS ? 1 : 0);
      if (!build && digits <= SAFE_INT64_DIGITS) return null;
      const value = BigInt(asciiText(line, start, end - 1));
      if (value < MIN_INT64 || value > MAX_INT64) return `integer value ${quote(line, start, end)} is out of the 64-bit signed range`;
      return build ? { type: 'integer', value } : null;
    }
    if (last === LOWER_U) {
      if (first === MINUS) return `invalid unsigned value ${quote(line, start, end)} (unsigned cannot be negative)`;
      if (!isIntegerText(line, start, end - 1)) return `invalid unsigned value ${quote(line, start, end)}`;
      if (!build && end - 1 - start <= SAFE_INT64_DIGITS) return null;
      const value = BigInt(asciiText(line, start, end - 1));
      if (value > MAX_UINT64) return `unsigned value ${quote(line, start, end)} is out of the 64-bit unsigned range`;
      return build ? { type: 'unsigned', value } : null;
    }
    const kind = floatTextKind(line, start, end);
    if (kind === 0) return `invalid field value ${quote(line, start, end)}`;
    // Without an exponent only a number of more than 308 digits can overflow.
    if (!build && kind === 1 && end - start < 300) return null;
    const value = Number(asciiText(line, start, end));
    if (!Number.isFinite(value)) return `float value ${quote(line, start, end)} is out of range`;
    return build ? { type: 'float', value } : null;
  }
  const bool = isBooleanToken(line, start, end);
  if (bool !== null) return build ? { type: 'boolean', value: bool } : null;
  const lower = utf8Text(line, start, end).toLowerCase();
  if (lower === 'true' || lower === 'false') return `invalid boolean value ${quote(line, start, end)}`;
  return `invalid field value ${quote(line, start, end)}`;
}


const UPPER_N = 78;
const LOWER_N = 110;
/** Go's strconv.ParseFloat syntax for the characters InfluxDB lets through to it. */
const GO_FLOAT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The first-pass check InfluxDB makes on an unquoted field value over [start, end) (models/points.go
 * scanNumber and scanBoolean): '' when it passes, otherwise a reason without the key. Numbers start with a
 * digit, `.`, `-`, `N` or `n`; everything else must be a boolean.
 */
export function scanValueSyntax(line: Buffer, start: number, end: number): string {
  const first = line[start];
  if (isDigit(first) || first === DOT || first === MINUS || first === UPPER_N || first === LOWER_N) {
    return numberSyntax(line, start, end);
  }
  if (isBooleanToken(line, start, end) !== null) return '';
  const lower = utf8Text(line, start, Math.min(end, start + 6)).toLowerCase();
  if (lower === 'true' || lower === 'false') return `invalid boolean value ${quote(line, start, end)}`;
  return `invalid field value ${quote(line, start, end)}`;
}

function invalidValue(line: Buffer, start: number, end: number): string {
  return `invalid field value ${quote(line, start, end)}`;
}

function numberSyntax(line: Buffer, start: number, end: number): string {
  const negative = line[start] === MINUS;
  let isInt = false;
  let isUnsigned = false;
  let decimal = false;
  let scientific = false;
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const c = line[i];
    if ((c === LOWER_I || c === LOWER_U) && i > start && !isInt && !isUnsigned) {
      if (c === LOWER_I) isInt = true;
      else isUnsigned = true;
      continue;
    }
    if (c === DOT) {
      if (decimal) return invalidValue(line, start, end);
      decimal = true;
      continue;
    }
    if (i > start && (c === LOWER_E || c === UPPER_E)) {
      scientific = true;
      continue;
    }
    const previous = line[i - 1];
    if ((c === PLUS || c === MINUS) && (previous === LOWER_E || previous === UPPER_E)) continue;
    if (!isDigit(c)) return invalidValue(line, start, end);
  }
  if ((isInt || isUnsigned) && (decimal || scientific)) {
    return `invalid ${isInt ? 'integer' : 'unsigned'} value ${quote(line, start, end)}`;
  }
  const digits = end - start - (isInt ? 1 : 0) - (decimal ? 1 : 0) - (negative ? 1 : 0);
  if (digits === 0) return invalidValue(line, start, end);
  const last = line[end - 1];
  if (isInt) {
    if (last !== LOWER_I) return `invalid integer value ${quote(line, start, end)}`;
    if (end - 1 - start < 19) return '';
    const value = BigInt(asciiText(line, start, end - 1));
    if (value < MIN_INT64 || value > MAX_INT64) return `integer value ${quote(line, start, end)} is out of the 64-bit signed range`;
    return '';
  }
  if (isUnsigned) {
    // InfluxDB 1.x refuses unsigned values (its support is off); InfluxDB 2 takes them, so we do.
    if (last !== LOWER_U) return `invalid unsigned value ${quote(line, start, end)}`;
    if (negative) return `invalid unsigned value ${quote(line, start, end)} (unsigned cannot be negative)`;
    if (end - 1 - start < 20) return '';
    const value = BigInt(asciiText(line, start, end - 1));
    if (value > MAX_UINT64) return `unsigned value ${quote(line, start, end)} is out of the 64-bit unsigned range`;
    return '';
  }
  // InfluxDB checks the float only with an exponent or from 25 characters; shorter plain decimals always fit.
  if (!scientific && end - start < 25) return '';
  const text = utf8Text(line, start, end);
  if (!GO_FLOAT.test(text)) return invalidValue(line, start, end);
  if (!Number.isFinite(Number(text))) return `float value ${quote(line, start, end)} is out of range`;
  return '';
}

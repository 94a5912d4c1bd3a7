// Turns what a flow hands us (text, bytes, point objects) into validated lines with nanosecond
// timestamps, ready for the queue. Invalid lines are reported by line number and never block the
// valid ones of the same payload.
import type { LineError, Precision, PrepareOptions, PreparedLines } from './types';
import { currentTimeNs, digitsWithinNsRange, isPrecision, isTimestampInRange, precisionMultiplier } from './precision';
import { isSkippedWhitespace, scanRange, type LineScan } from './scan';
import { PointConversionError, describeType, pointObjectToLine } from './serialize';
import { asciiText, encodeReusing } from './bytes';

const SPACE = 32;
const HASH = 35;
const QUOTE = 34;
const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;
const NEWLINE = 10;
const CR = 13;
const MINUS = 45;
const ZERO = 48;
/**
 * A payload's text and its UTF-8 bytes. Lines are scanned on the bytes (the scanner reads them several times
 * faster than a string) and queued as strings cut from the text.
 */
interface Source {
  text: string;
  bytes: Buffer;
  /** Whether the text is ASCII, so that its offsets are the bytes' offsets and a line is a slice of it. */
  ascii: boolean;
}

/**
 * The source of `text`; `bytes`, when given, are the bytes it was decoded from. Those serve only when ASCII: bytes
 * that are not valid UTF-8 decode to U+FFFD, and the scanner must read the bytes of the text that is queued. Read
 * the source before the next call (its bytes may be the reused encoding buffer).
 */
function sourceOf(text: string, bytes?: Buffer): Source {
  // A string holds as many UTF-16 units as its UTF-8 bytes only when every character is ASCII.
  let encoded = bytes;
  if (encoded === undefined || encoded.length !== text.length) {
    const reused = encodeReusing(text);
    encoded = reused.bytes.subarray(0, reused.length);
  }
  return { text, bytes: encoded, ascii: encoded.length === text.length };
}

/** The text of the bytes [start, end) of the source. */
function lineText(source: Source, start: number, end: number): string {
  return source.ascii ? source.text.slice(start, end) : source.bytes.toString('utf8', start, end);
}

interface Context {
  precision: Precision;
  multiplier: bigint;
  /** The multiplier as the zeros it appends to a timestamp's digits: '000000' for ms. */
  zeros: string;
  /** ' ' + now in ns, appended to lines without a timestamp. */
  nowSuffix: string;
}

function createContext(options: PrepareOptions | undefined, caller: string): Context {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${caller}: options { precision } are required`);
  const { precision, nowNs } = options;
  if (!isPrecision(precision)) throw new TypeError(`${caller}: unknown precision ${JSON.stringify(precision)} (expected ns, us, ms or s)`);
  if (nowNs !== undefined && typeof nowNs !== 'bigint') throw new TypeError(`${caller}: nowNs must be a bigint`);
  const multiplier = precisionMultiplier(precision);
  return { precision, multiplier, zeros: String(multiplier).slice(1), nowSuffix: ' ' + String(nowNs ?? currentTimeNs()) };
}

/** Blank (spaces, tabs, NUL bytes) or, like InfluxDB, `#` as the first other character. */
function isSkippable(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (isSkippedWhitespace(c)) continue;
    return c === HASH;
  }
  return true;
}

/**
 * Adds the line at bytes [start, end) of the source. It is validated in place and cut out of the payload only
 * if it is kept, the cheapest way through a large payload. What InfluxDB ignores (whitespace before the
 * measurement and after the last token) is left out of the queued line.
 */
function addLine(source: Source, start: number, end: number, lineNumber: number, ctx: Context, out: PreparedLines, scanned = false, joined = false): void {
  const bytes = source.bytes;
  const first = bytes[start];
  if ((end === start || isSkippedWhitespace(first) || first === HASH) && isSkippable(bytes, start, end)) {
    out.skipped++;
    return;
  }
  if (joined) {
    out.errors.push({
      lineNumber,
      reason: 'a newline inside a string value or after a backslash: InfluxDB keeps it in the line, and the queue holds one line per line',
    });
    return;
  }
  // `scanned`: lineEnd has just scanned exactly this range, and the scanner's result object still holds it.
  const scan = scanned ? lastScan : scanRange(bytes, start, end, null);
  if (scan.reason !== '') {
    out.errors.push({ lineNumber, reason: scan.reason });
    return;
  }
  if (scan.timestampStart < 0) {
    // InfluxDB pairs a backslash with the byte after it, so the appended " <now>" would become part of the last
    // value (`s="a"\` would be stored as `"a"\ 1700…`). InfluxDB itself stamps such a line; we cannot.
    if (bytes[scan.fieldsEnd - 1] === BACKSLASH) {
      out.errors.push({ lineNumber, reason: 'a line without a timestamp must not end with a backslash (the ingest timestamp would join its last value)' });
      return;
    }
    out.lines.push(lineText(source, scan.start, scan.fieldsEnd) + ctx.nowSuffix);
    return;
  }
  const line = lineText(source, scan.start, scan.timestampEnd);
  if (ctx.multiplier === 1n) {
    out.lines.push(line); // the scanner has range-checked the ns value
  } else {
    const { timestampStart, timestampEnd } = scan;
    // Multiplying by a power of ten is appending zeros: exact, and without a BigInt round trip per line, which
    // would weigh on every payload sent in a coarser precision. A leading zero (which BigInt would drop) takes
    // the general path.
    const digitsAt = bytes[timestampStart] === MINUS ? timestampStart + 1 : timestampStart;
    if (bytes[digitsAt] !== ZERO && digitsWithinNsRange(bytes, digitsAt, timestampEnd, ctx.zeros.length)) {
      out.lines.push(line + ctx.zeros);
      return;
    }
    const written = asciiText(bytes, timestampStart, timestampEnd);
    const ns = BigInt(written) * ctx.multiplier;
    if (!isTimestampInRange(ns)) {
      out.errors.push({ lineNumber, reason: `timestamp ${written} ${ctx.precision} is out of InfluxDB's range once converted to ns` });
      return;
    }
    // The timestamp is the line's last token, and ASCII: as many characters as bytes.
    out.lines.push(line.slice(0, line.length - written.length) + String(ns));
  }
}

interface SplitHint {
  /** Next `"`, `\` and double backslash at or after the current line start (the text's length when none). */
  quote: number;
  backslash: number;
  doubleBackslash: number;
  /** Whether lineEnd scanned the line it returned (valid, result in lastScan). */
  scanned: boolean;
  /** Whether the line it returned goes past a newline (InfluxDB's splitter kept one inside it). */
  joined: boolean;
}

let lastScan: LineScan = { reason: 'not scanned', start: 0, fieldsEnd: -1, timestampStart: -1, timestampEnd: -1 };

/**
 * Where the line starting at `start` ends, the way InfluxDB splits a body (models/points.go scanLine): a
 * newline inside a quoted field value, or right after a backslash, does not end it.
 *
 * InfluxDB's splitter tracks quotes with its own state machine. Running it on every line costs more than the
 * scan itself, so it runs only when the first newline may not end the line: when the line holds a quote or a
 * backslash, ends with a backslash, or holds a double backslash (where the splitter and the tag scanner read
 * escapes differently), and the line up to the newline does not scan as valid. A valid line there ends outside
 * any string (the field scan ended unquoted, and a timestamp has no quotes), so the newline ends it.
 */
function lineEnd(bytes: Buffer, start: number, hint: SplitHint): number {
  const newlineAt = nextIndex(bytes, NEWLINE, start);
  hint.scanned = false;
  hint.joined = false;
  if (hint.quote < start) hint.quote = nextIndex(bytes, QUOTE, start);
  if (hint.backslash < start) hint.backslash = nextIndex(bytes, BACKSLASH, start);
  if (hint.quote >= newlineAt && hint.backslash >= newlineAt) return newlineAt;
  if (hint.doubleBackslash < start) hint.doubleBackslash = nextIndex(bytes, DOUBLE_BACKSLASH, start);
  if (hint.doubleBackslash >= newlineAt && newlineAt > start && bytes[newlineAt - 1] !== BACKSLASH) {
    const end = newlineAt > start && bytes[newlineAt - 1] === CR ? newlineAt - 1 : newlineAt;
    const first = bytes[start];
    if (!isSkippedWhitespace(first) && first !== HASH) {
      lastScan = scanRange(bytes, start, end, null);
      if (lastScan.reason === '') {
        hint.scanned = true;
        return newlineAt;
      }
    }
  }
  const end = splitterEnd(bytes, start);
  hint.joined = end > newlineAt;
  return end;
}

/** InfluxDB's splitter, byte for byte. */
function splitterEnd(bytes: Buffer, start: number): number {
  const n = bytes.length;
  let quoted = false;
  let inFields = false;
  let equals = 0;
  let commas = 0;
  let i = start;
  while (i < n) {
    const c = bytes[i];
    if (c === BACKSLASH && i + 2 < n) {
      i += 2;
      continue;
    }
    if (c === SPACE) inFields = true;
    if (inFields) {
      if (!quoted && c === EQUALS) {
        equals++;
        i++;
        continue;
      }
      if (!quoted && c === COMMA) {
        commas++;
        i++;
        continue;
      }
      if (c === QUOTE && equals > commas) {
        quoted = !quoted;
        i++;
        continue;
      }
    }
    if (c === NEWLINE && !quoted) break;
    i++;
  }
  return i;
}

const DOUBLE_BACKSLASH = Buffer.from('\\\\', 'latin1');

/** Where the next `needle` is at or after `from`, the end of the bytes when there is none. */
function nextIndex(bytes: Buffer, needle: number | Buffer, from: number): number {
  const at = bytes.indexOf(needle, from);
  return at === -1 ? bytes.length : at;
}

/** Adds every line of the source, numbering from `firstLineNumber`; returns the number of lines it held. */
function addText(source: Source, firstLineNumber: number, ctx: Context, out: PreparedLines): number {
  const bytes = source.bytes;
  const n = bytes.length;
  let lineNumber = firstLineNumber;
  let start = 0;
  const hint: SplitHint = { quote: -1, backslash: -1, doubleBackslash: -1, scanned: false, joined: false };
  while (start < n) {
    let end = lineEnd(bytes, start, hint);
    const next = end + 1;
    if (end > start && bytes[end - 1] === CR) end--;
    addLine(source, start, end, lineNumber, ctx, out, hint.scanned, hint.joined);
    // A line that holds newlines (refused above) still counts them, so later line numbers match the text.
    if (hint.joined) for (let k = bytes.indexOf(NEWLINE, start); k !== -1 && k < end; k = bytes.indexOf(NEWLINE, k + 1)) lineNumber++;
    lineNumber++;
    start = next;
  }
  return lineNumber - firstLineNumber;
}

/**
 * Splits a text payload on \n (accepting \r\n), skips blank and `#` comment lines (counted in `skipped`),
 * validates every line and returns the valid ones normalised to nanoseconds: a written timestamp is
 * converted from `precision` exactly (only that token changes), a missing one becomes `nowNs`.
 */
export function prepareLines(text: string, options: PrepareOptions): PreparedLines {
  const ctx = createContext(options, 'prepareLines');
  const out: PreparedLines = { lines: [], errors: [], skipped: 0 };
  if (typeof text !== 'string') {
    out.errors.push({ lineNumber: 0, reason: `expected a string, got ${describeType(text)}` });
    return out;
  }
  addText(sourceOf(text), 1, ctx, out);
  return out;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** A Buffer that went through JSON (Node-RED does this when messages are serialised). */
function isSerialisedBuffer(value: unknown): value is { type: 'Buffer'; data: number[] } {
  const candidate = value as { type?: unknown; data?: unknown } | null;
  return typeof value === 'object' && candidate !== null && candidate.type === 'Buffer' && Array.isArray(candidate.data);
}

function decode(bytes: Uint8Array | { data: number[] }): Source {
  let buffer = isBytes(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(bytes.data);
  let text = buffer.toString('utf8');
  // A file saved by an editor may start with a byte order mark (EF BB BF), which is not part of the measurement.
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    buffer = buffer.subarray(3);
  }
  return sourceOf(text, buffer);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

function addObject(value: unknown, index: number, lineNumber: number, ctx: Context, nsCtx: Context, out: PreparedLines): void {
  let line: string;
  try {
    line = pointObjectToLine(value, index, ctx.multiplier);
  } catch (error) {
    if (!(error instanceof PointConversionError)) throw error;
    out.errors.push({ lineNumber, reason: error.message });
    return;
  }
  // The object's timestamp is already in ns; validation also guards against anything the
  // serialiser might let through that the server would refuse.
  const source = sourceOf(line);
  addLine(source, 0, source.bytes.length, lineNumber, nsCtx, out);
}

const EXPECTED = 'a string, a Buffer, a point object or an array of them';

/**
 * Accepts msg.payload as a string, a Buffer, an array of strings/Buffers/point objects, or a point
 * object, and returns ns-normalised lines as prepareLines does. Line numbers run across the whole
 * payload (each array element adds its own lines; a point object is one line). A payload of another
 * type, or an array element of another type, gives a LineError with line number 0.
 */
export function preparePayload(payload: unknown, options: PrepareOptions): PreparedLines {
  const ctx = createContext(options, 'preparePayload');
  const nsCtx: Context = { precision: 'ns', multiplier: 1n, zeros: '', nowSuffix: ctx.nowSuffix };
  const out: PreparedLines = { lines: [], errors: [], skipped: 0 };
  if (typeof payload === 'string') {
    addText(sourceOf(payload), 1, ctx, out);
  } else if (isBytes(payload) || isSerialisedBuffer(payload)) {
    addText(decode(payload), 1, ctx, out);
  } else if (Array.isArray(payload)) {
    let lineNumber = 1;
    for (let index = 0; index < payload.length; index++) {
      const element: unknown = payload[index];
      if (typeof element === 'string') {
        lineNumber += addText(sourceOf(element), lineNumber, ctx, out);
      } else if (isBytes(element) || isSerialisedBuffer(element)) {
        lineNumber += addText(decode(element), lineNumber, ctx, out);
      } else if (isPlainObject(element)) {
        addObject(element, index, lineNumber, ctx, nsCtx, out);
        lineNumber++;
      } else {
        out.errors.push(typeError(`array element ${index} is ${article(describeType(element))}; expected a string, a Buffer or a point object`));
      }
    }
  } else if (isPlainObject(payload)) {
    addObject(payload, 0, 1, ctx, nsCtx, out);
  } else {
    out.errors.push(typeError(`payload is ${article(describeType(payload))}; expected ${EXPECTED}`));
  }
  return out;
}

function typeError(reason: string): LineError {
  return { lineNumber: 0, reason };
}

function article(type: string): string {
  if (type === 'null' || type === 'undefined') return type;
  return (/^[aeiou]/i.test(type) ? 'an ' : 'a ') + type;
}

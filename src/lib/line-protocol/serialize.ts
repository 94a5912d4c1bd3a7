// Turns points (parsed ones, or plain objects from a flow) into line protocol text.
//
// Everything written here must read back to the same values through parseLine, so values that line
// protocol cannot carry are refused instead of being mangled: newlines (payloads are split on them),
// names ending in a backslash (the backslash would escape the delimiter that follows), a measurement
// starting with "#" (the line would read as a comment), and names InfluxDB reserves.
import type { FieldValue, ParsedPoint, PointObject, Precision } from './types';
import { isTimestampInRange, precisionMultiplier } from './precision';

/** A point that cannot be written; `index` is its position in the input. */
export class PointConversionError extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`point ${index}: ${problem}`);
    this.name = 'PointConversionError';
  }
}

// Thrown inside one point's conversion and turned into a PointConversionError (or a plain Error) by the caller.
class Problem extends Error {}

const MIN_INT64 = -9223372036854775808n;
const MAX_INT64 = 9223372036854775807n;
const MAX_UINT64 = 18446744073709551615n;
const FIELD_TYPES = new Set(['float', 'integer', 'unsigned', 'string', 'boolean']);
const RESERVED_TAG_KEYS = new Set(['time', '_field', '_measurement']);

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Buffer.isBuffer(value)) return 'Buffer';
  if (value instanceof Date) return 'Date';
  return typeof value;
}

function show(text: string): string {
  return JSON.stringify(text.length > 64 ? text.slice(0, 64) + '…' : text);
}

function checkName(name: string, what: string): void {
  if (name.length === 0) throw new Problem(`empty ${what}`);
  if (name.indexOf('\n') !== -1) throw new Problem(`${what} ${show(name)} contains a newline`);
  if (name.charCodeAt(name.length - 1) === 92) {
    throw new Problem(`${what} ${show(name)} ends with a backslash, which line protocol cannot represent`);
  }
}

export function escapeMeasurement(name: string): string {
  checkName(name, 'measurement');
  const first = name.charCodeAt(0);
  if (first === 35) throw new Problem(`measurement ${show(name)} starts with "#", which makes the line a comment`);
  if (first === 9) throw new Problem(`measurement ${show(name)} starts with a tab`);
  // InfluxDB drops the backslash before `=` and `"` in a measurement too, so those are escaped as well.
  return name.replace(/[,= "]/g, '\\$&');
}

/** Escaping for tag keys, tag values and field keys. */
export function escapeKey(name: string, what: string): string {
  checkName(name, what);
  return name.replace(/[,= ]/g, '\\$&');
}

export function escapeStringValue(text: string, key: string): string {
  if (text.indexOf('\n') !== -1) throw new Problem(`string field ${show(key)} contains a newline`);
  return '"' + text.replace(/["\\]/g, '\\$&') + '"';
}

function toInteger(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}

function formatTypedValue(key: string, field: FieldValue): string {
  const value: unknown = field.value;
  switch (field.type) {
    case 'float':
      if (typeof value !== 'number') throw new Problem(`float field ${show(key)} needs a number, got ${describeType(value)}`);
      if (!Number.isFinite(value)) throw new Problem(`field ${show(key)} is not a finite number (${value})`);
      return String(value);
    case 'integer': {
      const int = toInteger(value);
      if (int === null) throw new Problem(`integer field ${show(key)} needs an integer, got ${describeType(value)} ${show(String(value))}`);
      if (int < MIN_INT64 || int > MAX_INT64) throw new Problem(`integer field ${show(key)} is out of the 64-bit signed range`);
      return `${int}i`;
    }
    case 'unsigned': {
      const int = toInteger(value);
      if (int === null) throw new Problem(`unsigned field ${show(key)} needs an integer, got ${describeType(value)} ${show(String(value))}`);
      if (int < 0n || int > MAX_UINT64) throw new Problem(`unsigned field ${show(key)} is out of the 64-bit unsigned range`);
      return `${int}u`;
    }
    case 'string':
      if (typeof value !== 'string') throw new Problem(`string field ${show(key)} needs a string, got ${describeType(value)}`);
      return escapeStringValue(value, key);
    case 'boolean':
      if (typeof value !== 'boolean') throw new Problem(`boolean field ${show(key)} needs a boolean, got ${describeType(value)}`);
      return value ? 'true' : 'false';
    default:
      throw new Problem(`field ${show(key)} has an unknown type ${show(String((field as { type: unknown }).type))}`);
  }
}

function isFieldValue(value: object): value is FieldValue {
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && FIELD_TYPES.has(type) && 'value' in value;
}

function formatFieldValue(key: string, value: unknown): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Problem(`field ${show(key)} is not a finite number (${value})`);
      return String(value);
    case 'bigint':
      if (value < MIN_INT64 || value > MAX_INT64) throw new Problem(`integer field ${show(key)} is out of the 64-bit signed range`);
      return `${value}i`;
    case 'string':
      return escapeStringValue(value, key);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value !== null && !Array.isArray(value) && !(value instanceof Date) && isFieldValue(value)) {
        return formatTypedValue(key, value);
      }
      if (value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        throw new Problem(`field ${show(key)} is a nested object (only numbers, bigints, strings, booleans and {type, value})`);
      }
      throw new Problem(`field ${show(key)} has an unsupported value of type ${describeType(value)}`);
    default:
      throw new Problem(`field ${show(key)} has an unsupported value of type ${describeType(value)}`);
  }
}

function checkFieldKey(key: string): string {
  if (key === 'time') throw new Problem('field key "time" is reserved by InfluxDB');
  // InfluxDB's field-set scanner pairs a backslash with the next byte, so a written `\\` followed by an escaped
  // delimiter leaves the delimiter bare: no escaping can carry these.
  if (/\\[,= ]/.test(key)) throw new Problem(`field key ${show(key)} has a backslash before ",", "=" or a space, which line protocol cannot represent`);
  checkName(key, 'field key');
  // Field keys lose the backslash before `"` as well.
  return key.replace(/[,= "]/g, '\\$&');
}

function checkTagKey(key: string): string {
  if (RESERVED_TAG_KEYS.has(key)) throw new Problem(`tag key ${show(key)} is reserved by InfluxDB`);
  return escapeKey(key, 'tag key');
}

function formatTimestamp(ns: bigint): string {
  if (!isTimestampInRange(ns)) throw new Problem(`timestamp ${ns} ns is out of InfluxDB's range`);
  return String(ns);
}

/** Serialises a parsed point (for example an aggregate); the timestamp is written as given. Throws on unwritable points. */
export function formatPoint(point: ParsedPoint): string {
  try {
    let line = escapeMeasurement(point.measurement);
    const seen = new Set<string>();
    for (const [key, value] of point.tags) {
      if (seen.has(key)) throw new Problem(`duplicate tag key ${show(key)}`);
      seen.add(key);
      line += ',' + checkTagKey(key) + '=' + escapeKey(value, `value of tag ${show(key)}`);
    }
    if (point.fields.length === 0) throw new Problem('no fields');
    let separator = ' ';
    for (const [key, value] of point.fields) {
      line += separator + checkFieldKey(key) + '=' + formatTypedValue(key, value);
      separator = ',';
    }
    if (point.timestamp !== null) line += ' ' + formatTimestamp(point.timestamp);
    return line;
  } catch (error) {
    if (error instanceof Problem) throw new Error(`cannot format point: ${error.message}`);
    throw error;
  }
}

function timestampToNs(timestamp: unknown, multiplier: bigint): bigint | null {
  if (timestamp === undefined || timestamp === null) return null;
  if (timestamp instanceof Date) {
    const ms = timestamp.getTime();
    if (Number.isNaN(ms)) throw new Problem('bad timestamp: invalid Date');
    return BigInt(ms) * 1000000n;
  }
  if (typeof timestamp === 'bigint') return timestamp * multiplier;
  if (typeof timestamp === 'number') {
    if (!Number.isInteger(timestamp)) throw new Problem(`bad timestamp ${timestamp}: not an integer in the chosen precision`);
    if (!Number.isSafeInteger(timestamp)) {
      throw new Problem(`bad timestamp ${timestamp}: beyond 2^53 a number loses digits, pass a bigint or a string`);
    }
    return BigInt(timestamp) * multiplier;
  }
  if (typeof timestamp === 'string') {
    if (!/^-?\d+$/.test(timestamp)) throw new Problem(`bad timestamp ${show(timestamp)}: not an integer`);
    return BigInt(timestamp) * multiplier;
  }
  throw new Problem(`bad timestamp of type ${describeType(timestamp)}`);
}

/** Converts one point object; `multiplier` is ns per timestamp unit. Throws PointConversionError. */
export function pointObjectToLine(point: unknown, index: number, multiplier: bigint): string {
  try {
    if (typeof point !== 'object' || point === null || Array.isArray(point)) {
      throw new Problem(`expected an object, got ${describeType(point)}`);
    }
    const { measurement, tags, fields, timestamp } = point as Partial<PointObject>;
    if (typeof measurement !== 'string' || measurement.length === 0) throw new Problem('missing measurement');
    let line = escapeMeasurement(measurement);
    if (tags !== undefined && tags !== null) {
      if (typeof tags !== 'object' || Array.isArray(tags)) throw new Problem(`tags must be an object, got ${describeType(tags)}`);
      for (const key of Object.keys(tags)) {
        const value: unknown = tags[key];
        if (value === undefined || value === null) continue; // absent, as InfluxDB wants for empty tags
        let text: string;
        if (typeof value === 'string') text = value;
        else if (typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
        else if (typeof value === 'number') {
          if (!Number.isFinite(value)) throw new Problem(`tag ${show(key)} is not a finite number (${value})`);
          text = String(value);
        } else throw new Problem(`tag ${show(key)} has an unsupported value of type ${describeType(value)}`);
        if (text.length === 0) throw new Problem(`empty value of tag ${show(key)}`);
        line += ',' + checkTagKey(key) + '=' + escapeKey(text, `value of tag ${show(key)}`);
      }
    }
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new Problem(fields === undefined ? 'no fields' : `fields must be an object, got ${describeType(fields)}`);
    }
    let separator = ' ';
    for (const key of Object.keys(fields)) {
      const value: unknown = fields[key];
      if (value === undefined || value === null) continue;
      line += separator + checkFieldKey(key) + '=' + formatFieldValue(key, value);
      separator = ',';
    }
    if (separator === ' ') throw new Problem('no fields');
    const ns = timestampToNs(timestamp, multiplier);
    if (ns !== null) line += ' ' + formatTimestamp(ns);
    return line;
  } catch (error) {
    if (error instanceof Problem) throw new PointConversionError(index, error.message);
    throw error;
  }
}

/**
 * Serialises objects to line protocol. Numeric timestamps are read in `precision` units and Dates
 * exactly; every returned line carries its timestamp in NANOSECONDS (or none, when the object has none).
 * Throws PointConversionError ("point <index>: <problem>") for the first object that cannot be written.
 */
export function pointsToLines(points: PointObject | PointObject[], precision: Precision): string[] {
  const multiplier = precisionMultiplier(precision);
  const list: unknown[] = Array.isArray(points) ? points : [points];
  const lines = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) lines[i] = pointObjectToLine(list[i], i, multiplier);
  return lines;
}

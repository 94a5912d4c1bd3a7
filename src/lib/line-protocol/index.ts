// InfluxDB line protocol: parse and validate lines, normalise timestamps to nanoseconds, and
// serialise points. Plain TypeScript, no Node-RED. See scan.ts for the exact grammar and escaping.
export type {
  FieldValue,
  LineError,
  ParseResult,
  ParsedPoint,
  PointObject,
  Precision,
  PrepareOptions,
  PreparedLines,
} from './types';
export {
  MAX_TIMESTAMP_NS,
  MIN_TIMESTAMP_NS,
  PRECISIONS,
  currentTimeNs,
  isPrecision,
  isTimestampInRange,
  precisionMultiplier,
} from './precision';
export { parseLine } from './scan';
export { PointConversionError, formatPoint, pointsToLines } from './serialize';
export { preparePayload, prepareLines } from './prepare';

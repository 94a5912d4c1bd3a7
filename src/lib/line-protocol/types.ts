// The shapes shared by the line-protocol parser, serialiser and payload preparation.

export type Precision = 'ns' | 'us' | 'ms' | 's';

export type FieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'unsigned'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

export interface ParsedPoint {
  /** Unescaped. */
  measurement: string;
  /** Unescaped, in the order written. */
  tags: Array<[string, string]>;
  /**
   * Unescaped keys, in the order written. A key written twice with the same type is kept twice (InfluxDB stores
   * the last); twice with two types the line is refused, as InfluxDB refuses it. Fields named `time` are left
   * out, as InfluxDB drops them.
   */
  fields: Array<[string, FieldValue]>;
  /** As written (no precision applied), null when absent. */
  timestamp: bigint | null;
}

export type ParseResult = { ok: true; point: ParsedPoint } | { ok: false; reason: string };

export interface LineError {
  /** 1-based line number within the payload; 0 when the payload as a whole (or an element of the wrong type) is refused. */
  lineNumber: number;
  reason: string;
}

export interface PreparedLines {
  /** Valid lines, timestamps in nanoseconds. */
  lines: string[];
  errors: LineError[];
  /** Blank and comment lines. */
  skipped: number;
}

export interface PrepareOptions {
  precision: Precision;
  /** Timestamp given to lines that have none; defaults to currentTimeNs() taken once per call. */
  nowNs?: bigint;
}

export interface PointObject {
  measurement: string;
  tags?: Record<string, string | number | boolean>;
  /** number -> float, bigint -> integer, FieldValue for an explicit integer/unsigned (or any type). */
  fields: Record<string, number | bigint | string | boolean | FieldValue>;
  /** number/bigint/numeric string in `precision` units; Date -> exact ns. */
  timestamp?: number | bigint | string | Date;
}

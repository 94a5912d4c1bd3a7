// The engine's settings, and reading them from the node's editor properties with clear problems.
import { NON_NUMERIC_FNS, NUMERIC_FNS, type NonNumericFn, type NumericFn, isNonNumericFn, isNumericFn } from './aggregates';
import { parseDurationNs } from './duration';
import type { Precision } from '../line-protocol';

export type TimeSource = 'stop' | 'start';

export interface DownsampleOptions {
  /** Window size; windows are [start, start + every), aligned to the Unix epoch like aggregateWindow. */
  everyNs: bigint;
  /** For float, integer and unsigned fields. */
  numericFn: NumericFn;
  /** For string and boolean fields. */
  nonNumericFn: NonNumericFn;
  /** The timestamp written for a window: its stop (as aggregateWindow) or its start. */
  timeSrc: TimeSource;
  /** How long after its end (wall clock) a window still takes points. */
  allowedLatenessNs: bigint;
  /** Emit windows without points for series seen before (count 0 with numericFn count; nothing otherwise). */
  createEmpty: boolean;
  /** New series past this many open series are refused. */
  maxSeries: number;
}

export const DEFAULT_MAX_SERIES = 10000;

/** The value of every property a flow may leave out, as the editor saves it. The node file hands this same
 *  object to the editor, so a dialog opens a hand-written or older flow with what the node actually runs with. */
export const DOWNSAMPLE_DEFAULTS = Object.freeze({
  name: '',
  every: '10m',
  numericFn: 'mean' as NumericFn,
  nonNumericFn: 'last' as NonNumericFn,
  timeSrc: 'stop' as TimeSource,
  precision: 'ns' as Precision,
  allowedLateness: '0',
  createEmpty: false,
  maxSeries: DEFAULT_MAX_SERIES,
  contextStore: '',
});

export const DEFAULT_OPTIONS: Readonly<Omit<DownsampleOptions, 'everyNs'>> = Object.freeze({
  numericFn: DOWNSAMPLE_DEFAULTS.numericFn,
  nonNumericFn: DOWNSAMPLE_DEFAULTS.nonNumericFn,
  timeSrc: DOWNSAMPLE_DEFAULTS.timeSrc,
  allowedLatenessNs: parseDurationNs(DOWNSAMPLE_DEFAULTS.allowedLateness, { allowZero: true }),
  createEmpty: DOWNSAMPLE_DEFAULTS.createEmpty,
  maxSeries: DOWNSAMPLE_DEFAULTS.maxSeries,
});

/** The node's properties as the editor saves them (strings mostly). */
export interface DownsampleProperties {
  every?: unknown;
  numericFn?: unknown;
  nonNumericFn?: unknown;
  timeSrc?: unknown;
  allowedLateness?: unknown;
  createEmpty?: unknown;
  maxSeries?: unknown;
}

/** Reads the properties; `problems` lists every invalid one (the options then hold defaults for those). */
export function parseDownsampleProperties(props: DownsampleProperties): { options: DownsampleOptions; problems: string[] } {
  const problems: string[] = [];
  const options: DownsampleOptions = { everyNs: parseDurationNs(DOWNSAMPLE_DEFAULTS.every), ...DEFAULT_OPTIONS };
  if (!blank(props.every)) {
    try {
      options.everyNs = parseDurationNs(props.every);
    } catch (err) {
      problems.push(`every: ${(err as Error).message}`);
    }
  }
  if (!blank(props.allowedLateness)) {
    try {
      options.allowedLatenessNs = parseDurationNs(props.allowedLateness, { allowZero: true });
    } catch (err) {
      problems.push(`allowed lateness: ${(err as Error).message}`);
    }
  }
  if (!blank(props.numericFn)) {
    if (isNumericFn(props.numericFn)) options.numericFn = props.numericFn;
    else problems.push(`numeric function ${JSON.stringify(props.numericFn)} is not one of ${NUMERIC_FNS.join(', ')}`);
  }
  if (!blank(props.nonNumericFn)) {
    if (isNonNumericFn(props.nonNumericFn)) options.nonNumericFn = props.nonNumericFn;
    else problems.push(`non-numeric function ${JSON.stringify(props.nonNumericFn)} is not one of ${NON_NUMERIC_FNS.join(', ')}`);
  }
  if (!blank(props.timeSrc)) {
    if (props.timeSrc === 'stop' || props.timeSrc === 'start') options.timeSrc = props.timeSrc;
    else problems.push(`time source ${JSON.stringify(props.timeSrc)} is not "stop" or "start"`);
  }
  if (!blank(props.createEmpty)) options.createEmpty = props.createEmpty === true || props.createEmpty === 'true';
  if (!blank(props.maxSeries)) {
    const max = Number(String(props.maxSeries).trim());
    if (Number.isSafeInteger(max) && max > 0) options.maxSeries = max;
    else problems.push(`max series ${JSON.stringify(props.maxSeries)} is not a whole number of at least 1`);
  }
  return { options, problems };
}

function blank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

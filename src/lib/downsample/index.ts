// Downsampling as aggregateWindow does it: epoch-aligned windows per series and field, emitted as line protocol.
export { DurationError, formatDurationNs, isDuration, parseDurationMs, parseDurationNs } from './duration';
export {
  type Accumulator,
  type AccumulatorState,
  type AggregateFn,
  NON_NUMERIC_FNS,
  NUMERIC_FNS,
  type NonNumericFn,
  type NumericFn,
  createAccumulator,
  isNonNumericFn,
  isNumericFn,
  isNumericType,
  restoreAccumulator,
} from './aggregates';
export { SeriesLimitError, WindowStore, seriesKeyOf, sortTags } from './window-store';
export {
  DEFAULT_MAX_SERIES,
  DEFAULT_OPTIONS,
  DOWNSAMPLE_DEFAULTS,
  type DownsampleOptions,
  type DownsampleProperties,
  type TimeSource,
  parseDownsampleProperties,
} from './options';
export {
  type AddResult,
  type DownsampleCounters,
  type DownsampleSnapshot,
  type DownsampleStats,
  Downsampler,
  MAX_EMPTY_WINDOWS_PER_SERIES,
  type WindowBatch,
} from './downsampler';
export { downsampleConfigErrorStatus, downsampleStatus, type StatusText } from './status';

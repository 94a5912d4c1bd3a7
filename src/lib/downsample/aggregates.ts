// The aggregate functions of aggregateWindow as small incremental accumulators: each keeps O(1) state per
// series, field and window (median keeps at most MEDIAN_EXACT_LIMIT values), so memory grows with the number
// of open series x fields, not with the number of points.
import type { FieldValue } from '../line-protocol/types';

export const NUMERIC_FNS = ['mean', 'min', 'max', 'sum', 'count', 'first', 'last', 'median'] as const;
export const NON_NUMERIC_FNS = ['last', 'first'] as const;
export type NumericFn = (typeof NUMERIC_FNS)[number];
export type NonNumericFn = (typeof NON_NUMERIC_FNS)[number];
export type AggregateFn = NumericFn;
export type ValueType = FieldValue['type'];

export function isNumericFn(value: unknown): value is NumericFn {
  return typeof value === 'string' && (NUMERIC_FNS as readonly string[]).includes(value);
}

export function isNonNumericFn(value: unknown): value is NonNumericFn {
  return typeof value === 'string' && (NON_NUMERIC_FNS as readonly string[]).includes(value);
}

export function isNumericType(type: ValueType): boolean {
  return type === 'float' || type === 'integer' || type === 'unsigned';
}

/** A FieldValue as JSON: bigints as decimal strings. */
export type SavedValue =
  | { type: 'float'; value: number }
  | { type: 'integer' | 'unsigned'; value: string }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

/** What an accumulator saves in a snapshot; `fn` and `type` say how to rebuild it. */
export interface AccumulatorState {
  fn: AggregateFn;
  type: ValueType;
  /** Number of values added. */
  n: number;
  /** Running value: sum, min, max, first or last (absent while n = 0 and for count/median). */
  value?: SavedValue;
  /** Timestamp (ns, decimal) of `value` for first/last. */
  at?: string;
  /** The values of the window, for median only. */
  values?: number[];
}

export interface Accumulator {
  readonly fn: AggregateFn;
  /** The one type this accumulator takes: a field changing type inside a window is refused by the caller. */
  readonly type: ValueType;
  readonly count: number;
  add(value: FieldValue, timestampNs: bigint): void;
  /** The aggregate, or null when there is none to write (no values, or a float that is not finite). */
  result(): FieldValue | null;
  save(): AccumulatorState;
}

/** Builds the accumulator for `fn` over values of `type`. Only first, last and count take strings and booleans. */
export function createAccumulator(fn: AggregateFn, type: ValueType): Accumulator {
  if (!isNumericType(type) && fn !== 'first' && fn !== 'last' && fn !== 'count') {
    throw new TypeError(`${fn} cannot aggregate ${type} values`);
  }
  switch (fn) {
    case 'count':
      return new CountAccumulator(type);
    case 'sum':
      return new SumAccumulator(type);
    case 'mean':
      return new MeanAccumulator(type);
    case 'min':
      return new ExtremeAccumulator('min', type);
    case 'max':
      return new ExtremeAccumulator('max', type);
    case 'first':
      return new PositionAccumulator('first', type);
    case 'last':
      return new PositionAccumulator('last', type);
    case 'median':
      return new MedianAccumulator(type);
    default:
      throw new TypeError(`unknown aggregate function ${JSON.stringify(fn)}`);
  }
}

/** Rebuilds an accumulator from its snapshot; throws a clear error on a damaged state. */
export function restoreAccumulator(state: AccumulatorState): Accumulator {
  if (!state || typeof state !== 'object') throw new TypeError('accumulator state is not an object');
  const accumulator = createAccumulator(state.fn, state.type) as BaseAccumulator;
  if (!Number.isSafeInteger(state.n) || state.n < 0) throw new TypeError(`accumulator count ${JSON.stringify(state.n)} is not valid`);
  accumulator.load(state);
  return accumulator;
}

export function saveValue(value: FieldValue): SavedValue {
  if (value.type === 'integer' || value.type === 'unsigned') return { type: value.type, value: value.value.toString() };
  return value;
}

export function loadValue(saved: SavedValue): FieldValue {
  switch (saved?.type) {
    case 'integer':
    case 'unsigned':
      return { type: saved.type, value: BigInt(saved.value) };
    case 'float':
      if (typeof saved.value === 'number') return saved;
      break;
    case 'string':
      if (typeof saved.value === 'string') return saved;
      break;
    case 'boolean':
      if (typeof saved.value === 'boolean') return saved;
      break;
  }
  throw new TypeError(`saved value ${JSON.stringify(saved)} is not valid`);
}

abstract class BaseAccumulator implements Accumulator {
  count = 0;
  constructor(
    readonly fn: AggregateFn,
    readonly type: ValueType,
  ) {}
  abstract add(value: FieldValue, timestampNs: bigint): void;
  abstract result(): FieldValue | null;
  abstract save(): AccumulatorState;
  abstract load(state: AccumulatorState): void;
  protected base(): AccumulatorState {
    return { fn: this.fn, type: this.type, n: this.count };
  }
}

class CountAccumulator extends BaseAccumulator {
  constructor(type: ValueType) {
    super('count', type);
  }
  add(): void {
    this.count += 1;
  }
  result(): FieldValue {
    return { type: 'integer', value: BigInt(this.count) };
  }
  save(): AccumulatorState {
    return this.base();
  }
  load(state: AccumulatorState): void {
    this.count = state.n;
  }
}

/** Sums floats as numbers and integers exactly as bigints; a sum keeps the input type, as in Flux. */
class SumAccumulator extends BaseAccumulator {
  private floatSum = 0;
  private intSum = 0n;
  constructor(type: ValueType, fn: 'sum' | 'mean' = 'sum') {
    super(fn, type);
  }
  add(value: FieldValue): void {
    this.count += 1;
    if (value.type === 'float') this.floatSum += value.value;
    else this.intSum += value.value as bigint;
  }
  result(): FieldValue | null {
    if (this.count === 0) return null;
    if (this.type === 'float') return finiteOrNull(this.floatSum);
    return { type: this.type as 'integer' | 'unsigned', value: this.intSum };
  }
  save(): AccumulatorState {
    return { ...this.base(), value: saveValue(this.type === 'float' ? { type: 'float', value: this.floatSum } : ({ type: this.type, value: this.intSum } as FieldValue)) };
  }
  load(state: AccumulatorState): void {
    this.count = state.n;
    const value = state.value ? loadValue(state.value) : null;
    if (value?.type === 'float') this.floatSum = value.value;
    else if (value && (value.type === 'integer' || value.type === 'unsigned')) this.intSum = value.value;
  }
}

/** Mean is always a float: integers are summed exactly and divided once at the end. */
class MeanAccumulator extends SumAccumulator {
  constructor(type: ValueType) {
    super(type, 'mean');
  }
  override result(): FieldValue | null {
    const sum = super.result();
    if (sum === null) return null;
    const total = sum.type === 'float' ? sum.value : Number(sum.value as bigint);
    return finiteOrNull(total / this.count);
  }
}

class ExtremeAccumulator extends BaseAccumulator {
  private best: FieldValue | null = null;
  constructor(fn: 'min' | 'max', type: ValueType) {
    super(fn, type);
  }
  add(value: FieldValue): void {
    this.count += 1;
    if (this.best === null) {
      this.best = value;
      return;
    }
    const smaller = (value.value as number | bigint) < (this.best.value as number | bigint);
    const larger = (value.value as number | bigint) > (this.best.value as number | bigint);
    if ((this.fn === 'min' && smaller) || (this.fn === 'max' && larger)) this.best = value;
  }
  result(): FieldValue | null {
    return this.best;
  }
  save(): AccumulatorState {
    return this.best ? { ...this.base(), value: saveValue(this.best) } : this.base();
  }
  load(state: AccumulatorState): void {
    this.count = state.n;
    this.best = state.value ? loadValue(state.value) : null;
  }
}

/**
 * first/last by timestamp, as aggregateWindow sees the window sorted by time: points may arrive out of order.
 * Ties go to the later arrival for last (InfluxDB keeps the last write of a timestamp) and to the earlier for first.
 */
class PositionAccumulator extends BaseAccumulator {
  private chosen: FieldValue | null = null;
  private at = 0n;
  constructor(fn: 'first' | 'last', type: ValueType) {
    super(fn, type);
  }
  add(value: FieldValue, timestampNs: bigint): void {
    this.count += 1;
    const replace = this.chosen === null || (this.fn === 'first' ? timestampNs < this.at : timestampNs >= this.at);
    if (replace) {
      this.chosen = value;
      this.at = timestampNs;
    }
  }
  result(): FieldValue | null {
    return this.chosen;
  }
  save(): AccumulatorState {
    return this.chosen ? { ...this.base(), value: saveValue(this.chosen), at: this.at.toString() } : this.base();
  }
  load(state: AccumulatorState): void {
    this.count = state.n;
    this.chosen = state.value ? loadValue(state.value) : null;
    this.at = state.at ? BigInt(state.at) : 0n;
  }
}

/**
 * Median (Flux's method "exact_mean": the mean of the two middle values for an even count), always a float.
 * Exact for windows of up to MEDIAN_EXACT_LIMIT points per series and field; past that it keeps a uniform random
 * sample of that many values (reservoir sampling), so memory stays bounded by series x fields, not by points.
 */
export const MEDIAN_EXACT_LIMIT = 4096;

class MedianAccumulator extends BaseAccumulator {
  private values: number[] = [];
  constructor(type: ValueType, private readonly random: () => number = Math.random) {
    super('median', type);
  }
  add(value: FieldValue): void {
    this.count += 1;
    const v = Number(value.value);
    if (this.values.length < MEDIAN_EXACT_LIMIT) {
      this.values.push(v);
      return;
    }
    // Algorithm R: the n-th value replaces a kept one with probability limit / n.
    const slot = Math.floor(this.random() * this.count);
    if (slot < MEDIAN_EXACT_LIMIT) this.values[slot] = v;
  }
  result(): FieldValue | null {
    if (this.values.length === 0) return null;
    const sorted = Float64Array.from(this.values).sort();
    const middle = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    return finiteOrNull(median);
  }
  save(): AccumulatorState {
    return { ...this.base(), values: this.values.slice() };
  }
  load(state: AccumulatorState): void {
    if (!Array.isArray(state.values) || state.values.some((v) => typeof v !== 'number')) {
      throw new TypeError('median state has no list of values');
    }
    this.values = state.values.slice(0, MEDIAN_EXACT_LIMIT);
    this.count = Math.max(this.values.length, state.n);
  }
}

/** Line protocol cannot carry NaN or ±Infinity (a float sum can overflow to Infinity). */
function finiteOrNull(value: number): FieldValue | null {
  return Number.isFinite(value) ? { type: 'float', value } : null;
}

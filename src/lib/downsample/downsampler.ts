// The downsampling engine: points in, closed windows out as line protocol. It never reads a clock itself:
// the caller passes "now", so tests drive time by hand and the node uses the wall clock.
import { formatPoint } from '../line-protocol';
import type { FieldValue, ParsedPoint } from '../line-protocol/types';
import { type AccumulatorState, createAccumulator, isNonNumericFn, isNumericFn, isNumericType, restoreAccumulator } from './aggregates';
import type { DownsampleOptions, TimeSource } from './options';
import { type SeriesWindow, SeriesLimitError, WindowStore, seriesKeyOf, sortTags } from './window-store';

/** All series of one window, ready to send as one message. */
export interface WindowBatch {
  startNs: bigint;
  stopNs: bigint;
  /** One line per series, timestamps in ns. */
  lines: string[];
}

export interface AddResult {
  /** added: aggregated (maybe minus some fields, see problems); late: its window was already emitted; refused: not aggregated. */
  outcome: 'added' | 'late' | 'refused';
  problems: string[];
}

export interface DownsampleCounters {
  pointsAdded: number;
  latePoints: number;
  refusedPoints: number;
  /** Fields refused because their type changed inside a window. */
  refusedFields: number;
  windowsEmitted: number;
  linesEmitted: number;
  /** Aggregates that could not be written as line protocol (e.g. an integer sum beyond int64). */
  unwritableLines: number;
}

export interface DownsampleStats extends DownsampleCounters {
  openSeries: number;
  openWindows: number;
}

/** JSON-safe (bigints as decimal strings), for a Node-RED context store. */
export interface DownsampleSnapshot {
  version: 1;
  options: {
    every: string;
    numericFn: string;
    nonNumericFn: string;
    timeSrc: TimeSource;
    allowedLateness: string;
    createEmpty: boolean;
    maxSeries: number;
  };
  /** Points before this time (ns) are late; null before the first emission. */
  watermark: string | null;
  counters: DownsampleCounters;
  /** Series retained for empty windows (createEmpty), with where their emission stands. */
  series: Array<{ measurement: string; tags: Array<[string, string]>; numericFields: string[]; lastEmittedStart: string | null }>;
  windows: Array<{ start: string; measurement: string; tags: Array<[string, string]>; fields: Array<[string, AccumulatorState]> }>;
}

/** How many empty windows one series gets per emission at most, so a long outage cannot produce millions of lines. */
export const MAX_EMPTY_WINDOWS_PER_SERIES = 10000;

export class Downsampler {
  readonly options: Readonly<DownsampleOptions>;
  private readonly store: WindowStore;
  private watermark: bigint | null = null;
  private readonly counters: DownsampleCounters = {
    pointsAdded: 0,
    latePoints: 0,
    refusedPoints: 0,
    refusedFields: 0,
    windowsEmitted: 0,
    linesEmitted: 0,
    unwritableLines: 0,
  };
  private readonly emptyWindows: boolean;

  constructor(options: DownsampleOptions) {
    if (options.everyNs <= 0n) throw new RangeError('every must be longer than zero');
    if (options.allowedLatenessNs < 0n) throw new RangeError('allowed lateness cannot be negative');
    if (!Number.isSafeInteger(options.maxSeries) || options.maxSeries < 1) throw new RangeError('maxSeries must be a whole number of at least 1');
    if (!isNumericFn(options.numericFn)) throw new RangeError(`unknown numeric function ${JSON.stringify(options.numericFn)}`);
    if (!isNonNumericFn(options.nonNumericFn)) throw new RangeError(`unknown non-numeric function ${JSON.stringify(options.nonNumericFn)}`);
    this.options = Object.freeze({ ...options });
    // aggregateWindow's empty windows hold null for every function but count; line protocol has no null,
    // so only count produces empty windows (as 0).
    this.emptyWindows = options.createEmpty && options.numericFn === 'count';
    this.store = new WindowStore(options.maxSeries, this.emptyWindows);
  }

  /** Start of the window holding `timestampNs` (floor, also for times before 1970). */
  windowStart(timestampNs: bigint): bigint {
    const every = this.options.everyNs;
    const remainder = timestampNs % every;
    return remainder < 0n ? timestampNs - remainder - every : timestampNs - remainder;
  }

  /** Aggregates one point. Its timestamp must be in ns. */
  add(point: ParsedPoint): AddResult {
    if (point.timestamp === null) {
      this.counters.refusedPoints += 1;
      return { outcome: 'refused', problems: ['point has no timestamp'] };
    }
    const timestamp = point.timestamp;
    if (this.watermark !== null && timestamp < this.watermark) {
      this.counters.latePoints += 1;
      return { outcome: 'late', problems: [] };
    }
    const tags = sortTags(point.tags);
    const key = seriesKeyOf(point.measurement, tags);
    let window: SeriesWindow;
    try {
      window = this.store.window(this.windowStart(timestamp), { measurement: point.measurement, tags }, key);
    } catch (err) {
      if (!(err instanceof SeriesLimitError)) throw err;
      this.counters.refusedPoints += 1;
      return { outcome: 'refused', problems: [err.message] };
    }
    const problems: string[] = [];
    for (const [name, value] of point.fields) {
      const numeric = isNumericType(value.type);
      let accumulator = window.fields.get(name);
      if (!accumulator) {
        accumulator = createAccumulator(numeric ? this.options.numericFn : this.options.nonNumericFn, value.type);
        window.fields.set(name, accumulator);
      } else if (accumulator.type !== value.type) {
        // InfluxDB refuses a field that changes type within a shard; mixing types in one aggregate would
        // silently change the output type, so the value is refused instead.
        this.counters.refusedFields += 1;
        problems.push(`field "${name}" of "${point.measurement}" is ${accumulator.type} in this window, got ${value.type}: value not aggregated`);
        continue;
      }
      accumulator.add(value, timestamp);
      if (numeric && this.emptyWindows) window.series.numericFields.add(name);
    }
    this.counters.pointsAdded += 1;
    return { outcome: 'added', problems };
  }

  /** Emits the windows whose end plus the allowed lateness is at or before `nowNs`, oldest first. */
  emitDue(nowNs: bigint): WindowBatch[] {
    const boundary = this.windowStart(nowNs - this.options.allowedLatenessNs);
    if (this.watermark === null || boundary > this.watermark) this.watermark = boundary;
    return this.emitThrough(this.watermark);
  }

  /**
   * Emits every open window now. Points that later arrive for a flushed window count as late: emitting a
   * second, partial aggregate with the same timestamp would overwrite the first one at the remote.
   */
  flush(): WindowBatch[] {
    let boundary = this.watermark;
    for (const start of this.store.starts()) {
      const stop = start + this.options.everyNs;
      if (boundary === null || stop > boundary) boundary = stop;
    }
    if (boundary === null) return [];
    this.watermark = boundary;
    return this.emitThrough(boundary);
  }

  /** When the earliest open window becomes due (ns), or null when none is open. */
  nextDueNs(): bigint | null {
    const starts = this.store.starts();
    return starts.length === 0 ? null : starts[0] + this.options.everyNs + this.options.allowedLatenessNs;
  }

  stats(): DownsampleStats {
    return { ...this.counters, openSeries: this.store.seriesCount, openWindows: this.store.openWindowCount };
  }

  /** The time before which points are late (ns), null before the first emission. */
  lateBefore(): bigint | null {
    return this.watermark;
  }

  private emitThrough(boundary: bigint): WindowBatch[] {
    const every = this.options.everyNs;
    const byStart = new Map<bigint, string[]>();
    const linesAt = (start: bigint) => {
      let lines = byStart.get(start);
      if (!lines) byStart.set(start, (lines = []));
      return lines;
    };
    if (this.emptyWindows) this.fillEmptyWindows(boundary, linesAt);
    for (const start of this.store.starts()) {
      if (start + every > boundary) break;
      const lines = linesAt(start);
      for (const window of this.store.take(start)) {
        const line = this.formatWindow(window);
        if (line !== null) lines.push(line);
      }
    }
    const batches: WindowBatch[] = [];
    for (const start of [...byStart.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const lines = byStart.get(start)!;
      if (lines.length === 0) continue;
      batches.push({ startNs: start, stopNs: start + every, lines });
      this.counters.windowsEmitted += 1;
      this.counters.linesEmitted += lines.length;
    }
    return batches;
  }

  /** Count 0 for each numeric field of a known series in every closed window it has no points in. */
  private fillEmptyWindows(boundary: bigint, linesAt: (start: bigint) => string[]): void {
    const every = this.options.everyNs;
    const firstOpen = new Map<string, bigint>();
    for (const window of this.store.allWindows()) {
      if (!firstOpen.has(window.series.key)) firstOpen.set(window.series.key, window.start);
    }
    for (const series of this.store.allSeries()) {
      if (series.numericFields.size === 0) continue;
      let from = series.lastEmittedStart !== null ? series.lastEmittedStart + every : firstOpen.get(series.key);
      if (from === undefined) continue;
      const earliest = boundary - BigInt(MAX_EMPTY_WINDOWS_PER_SERIES) * every;
      if (from < earliest) from = earliest;
      const fields: Array<[string, FieldValue]> = [...series.numericFields].map((name) => [name, { type: 'integer', value: 0n }]);
      for (let start = from; start + every <= boundary; start += every) {
        if (this.store.has(start, series.key)) continue;
        const line = this.format({ measurement: series.measurement, tags: series.tags as Array<[string, string]>, fields, timestamp: this.timestampOf(start) });
        if (line !== null) linesAt(start).push(line);
        series.lastEmittedStart = start;
      }
    }
  }

  private formatWindow(window: SeriesWindow): string | null {
    const fields: Array<[string, FieldValue]> = [];
    for (const [name, accumulator] of window.fields) {
      const value = accumulator.result();
      if (value !== null) fields.push([name, value]);
    }
    if (fields.length === 0) return null;
    // formatPoint only reads the tags; the cast drops the readonly marker the store keeps them under.
    return this.format({ measurement: window.series.measurement, tags: window.series.tags as Array<[string, string]>, fields, timestamp: this.timestampOf(window.start) });
  }

  private format(point: ParsedPoint): string | null {
    try {
      return formatPoint(point);
    } catch {
      this.counters.unwritableLines += 1;
      return null;
    }
  }

  private timestampOf(start: bigint): bigint {
    return this.options.timeSrc === 'stop' ? start + this.options.everyNs : start;
  }

  snapshot(): DownsampleSnapshot {
    const o = this.options;
    return {
      version: 1,
      options: {
        every: o.everyNs.toString(),
        numericFn: o.numericFn,
        nonNumericFn: o.nonNumericFn,
        timeSrc: o.timeSrc,
        allowedLateness: o.allowedLatenessNs.toString(),
        createEmpty: o.createEmpty,
        maxSeries: o.maxSeries,
      },
      watermark: this.watermark === null ? null : this.watermark.toString(),
      counters: { ...this.counters },
      series: this.emptyWindows
        ? [...this.store.allSeries()].map((s) => ({
            measurement: s.measurement,
            tags: s.tags.map(([k, v]) => [k, v] as [string, string]),
            numericFields: [...s.numericFields],
            lastEmittedStart: s.lastEmittedStart === null ? null : s.lastEmittedStart.toString(),
          }))
        : [],
      windows: this.store.allWindows().map((w) => ({
        start: w.start.toString(),
        measurement: w.series.measurement,
        tags: w.series.tags.map(([k, v]) => [k, v] as [string, string]),
        fields: [...w.fields].map(([name, accumulator]) => [name, accumulator.save()] as [string, AccumulatorState]),
      })),
    };
  }

  /**
   * Rebuilds an engine from a snapshot. With `options` whose windows differ from the snapshot's (every,
   * functions, time source, createEmpty), the saved windows cannot continue: they are flushed with the
   * snapshot's own settings and returned in `flushed`, so nothing is lost, and a fresh engine takes over.
   * Throws a clear error on a snapshot that is not one.
   */
  static restore(snapshot: unknown, options?: DownsampleOptions): { engine: Downsampler; flushed: WindowBatch[] } {
    const saved = checkSnapshot(snapshot);
    const savedOptions: DownsampleOptions = {
      everyNs: BigInt(saved.options.every),
      numericFn: saved.options.numericFn as DownsampleOptions['numericFn'],
      nonNumericFn: saved.options.nonNumericFn as DownsampleOptions['nonNumericFn'],
      timeSrc: saved.options.timeSrc,
      allowedLatenessNs: BigInt(saved.options.allowedLateness),
      createEmpty: saved.options.createEmpty,
      maxSeries: saved.options.maxSeries,
    };
    const target = options ?? savedOptions;
    const compatible =
      target.everyNs === savedOptions.everyNs &&
      target.numericFn === savedOptions.numericFn &&
      target.nonNumericFn === savedOptions.nonNumericFn &&
      target.timeSrc === savedOptions.timeSrc &&
      target.createEmpty === savedOptions.createEmpty;
    const loaded = new Downsampler(compatible ? target : savedOptions);
    loaded.load(saved);
    if (compatible) return { engine: loaded, flushed: [] };
    const flushed = loaded.flush();
    const engine = new Downsampler(target);
    engine.watermark = loaded.watermark;
    Object.assign(engine.counters, loaded.counters);
    return { engine, flushed };
  }

  private load(saved: DownsampleSnapshot): void {
    this.watermark = saved.watermark === null ? null : BigInt(saved.watermark);
    for (const name of Object.keys(this.counters) as Array<keyof DownsampleCounters>) {
      const value = saved.counters?.[name];
      if (Number.isSafeInteger(value) && value >= 0) this.counters[name] = value;
    }
    // Restored series are registered past the limit if need be: a restart must not lose open windows.
    for (const s of saved.series ?? []) {
      const tags = sortTags(s.tags);
      const series = this.store.seriesFor({ measurement: s.measurement, tags }, seriesKeyOf(s.measurement, tags), true);
      for (const name of s.numericFields) series.numericFields.add(name);
      series.lastEmittedStart = s.lastEmittedStart === null ? null : BigInt(s.lastEmittedStart);
    }
    for (const w of saved.windows) {
      const tags = sortTags(w.tags);
      const key = seriesKeyOf(w.measurement, tags);
      const series = this.store.seriesFor({ measurement: w.measurement, tags }, key, true);
      const window = this.store.window(BigInt(w.start), { measurement: w.measurement, tags }, key);
      for (const [name, state] of w.fields) {
        const accumulator = restoreAccumulator(state);
        window.fields.set(name, accumulator);
        if (this.emptyWindows && isNumericType(accumulator.type)) series.numericFields.add(name);
      }
    }
  }
}

function checkSnapshot(snapshot: unknown): DownsampleSnapshot {
  const s = snapshot as DownsampleSnapshot;
  const problem = (what: string) => new TypeError(`not a downsample snapshot: ${what}`);
  if (!s || typeof s !== 'object') throw problem('not an object');
  if (s.version !== 1) throw problem(`unknown version ${JSON.stringify(s.version)}`);
  if (!s.options || typeof s.options !== 'object') throw problem('no options');
  if (!/^\d+$/.test(String(s.options.every)) || !/^\d+$/.test(String(s.options.allowedLateness))) throw problem('bad every or allowed lateness');
  if (s.watermark !== null && !/^-?\d+$/.test(String(s.watermark))) throw problem('bad watermark');
  if (!Array.isArray(s.windows)) throw problem('no list of windows');
  for (const w of s.windows) {
    if (!w || !/^-?\d+$/.test(String(w.start)) || typeof w.measurement !== 'string' || !Array.isArray(w.tags) || !Array.isArray(w.fields)) {
      throw problem(`bad window ${JSON.stringify(w)}`);
    }
  }
  if (s.series !== undefined && !Array.isArray(s.series)) throw problem('bad list of series');
  return s;
}

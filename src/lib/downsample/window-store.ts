// The open windows: one entry per (window start, series), holding one accumulator per field. Also the
// series known to the engine, which the open-series limit counts, so memory is bounded by series x fields.
import type { Accumulator } from './aggregates';

/** A series is a measurement plus its tag set; tags are kept sorted by key so that tag order does not matter. */
export interface SeriesIdentity {
  measurement: string;
  /** Sorted by key. */
  tags: ReadonlyArray<[string, string]>;
}

export interface SeriesInfo extends SeriesIdentity {
  key: string;
  /** How many windows of this series are open. */
  openWindows: number;
  /** Numeric fields seen so far (for empty windows with count); filled only when the store retains series. */
  numericFields: Set<string>;
  /** Start of the latest window emitted for this series, null before the first. */
  lastEmittedStart: bigint | null;
}

export interface SeriesWindow {
  start: bigint;
  series: SeriesInfo;
  /** In the order the fields first appeared. */
  fields: Map<string, Accumulator>;
}

export class SeriesLimitError extends Error {
  override name = 'SeriesLimitError';
}

/**
 * Tags sorted by key, the canonical order InfluxDB itself uses. Most writers already sort them, so a sorted
 * list is returned as is (no copy on the hot path); callers never modify the result.
 */
export function sortTags(tags: ReadonlyArray<[string, string]>): ReadonlyArray<[string, string]> {
  let sorted = true;
  for (let i = 1; i < tags.length && sorted; i++) sorted = tags[i - 1][0] <= tags[i][0];
  if (sorted) return tags;
  return tags.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A newline cannot occur in a measurement, tag key or tag value of a line, so it separates the parts unambiguously. */
export function seriesKeyOf(measurement: string, sortedTags: ReadonlyArray<[string, string]>): string {
  let key = measurement;
  for (const [k, v] of sortedTags) key += '\n' + k + '\n' + v;
  return key;
}

export class WindowStore {
  private readonly windows = new Map<bigint, Map<string, SeriesWindow>>();
  private readonly series = new Map<string, SeriesInfo>();
  private windowCount = 0;

  /**
   * @param maxSeries  new series past this many known series are refused
   * @param retainSeries  keep series after their last window closes (needed to emit empty windows)
   */
  constructor(
    readonly maxSeries: number,
    readonly retainSeries: boolean,
  ) {}

  get seriesCount(): number {
    return this.series.size;
  }

  get openWindowCount(): number {
    return this.windowCount;
  }

  /** The window of `series` starting at `start`, opened if needed. Throws SeriesLimitError for a new series past the limit. */
  window(start: bigint, identity: SeriesIdentity, key: string): SeriesWindow {
    let byseries = this.windows.get(start);
    const existing = byseries?.get(key);
    if (existing) return existing;
    const series = this.seriesFor(identity, key, false);
    if (!byseries) {
      byseries = new Map();
      this.windows.set(start, byseries);
    }
    const window: SeriesWindow = { start, series, fields: new Map() };
    byseries.set(key, window);
    series.openWindows += 1;
    this.windowCount += 1;
    return window;
  }

  /** Registers a series, even past the limit when `force` (restoring a snapshot must not lose windows). */
  seriesFor(identity: SeriesIdentity, key: string, force: boolean): SeriesInfo {
    const known = this.series.get(key);
    if (known) return known;
    if (!force && this.series.size >= this.maxSeries) {
      throw new SeriesLimitError(`open series limit reached (maxSeries = ${this.maxSeries}): new series ${JSON.stringify(describeSeries(identity))} refused`);
    }
    const info: SeriesInfo = {
      key,
      measurement: identity.measurement,
      tags: identity.tags,
      openWindows: 0,
      numericFields: new Set(),
      lastEmittedStart: null,
    };
    this.series.set(key, info);
    return info;
  }

  /** Window starts that have open windows, ascending. */
  starts(): bigint[] {
    return [...this.windows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  has(start: bigint, key: string): boolean {
    return this.windows.get(start)?.has(key) ?? false;
  }

  /** Removes and returns the windows starting at `start`, forgetting series with nothing open (unless retained). */
  take(start: bigint): SeriesWindow[] {
    const byseries = this.windows.get(start);
    if (!byseries) return [];
    this.windows.delete(start);
    const taken = [...byseries.values()];
    for (const window of taken) {
      const series = window.series;
      series.openWindows -= 1;
      this.windowCount -= 1;
      if (series.lastEmittedStart === null || start > series.lastEmittedStart) series.lastEmittedStart = start;
      if (series.openWindows === 0 && !this.retainSeries) this.series.delete(series.key);
    }
    return taken;
  }

  allSeries(): IterableIterator<SeriesInfo> {
    return this.series.values();
  }

  allWindows(): SeriesWindow[] {
    const all: SeriesWindow[] = [];
    for (const start of this.starts()) all.push(...this.windows.get(start)!.values());
    return all;
  }
}

function describeSeries(identity: SeriesIdentity): string {
  return [identity.measurement, ...identity.tags.map(([k, v]) => `${k}=${v}`)].join(',');
}

// The node's status badge: open series, windows emitted, late points, in under 20 characters.
import type { StatusText } from '../node-status';
import type { DownsampleStats } from './downsampler';

export type { StatusText };

export interface DownsampleStatus {
  fill: 'green' | 'yellow' | 'red' | 'grey' | 'blue';
  shape: 'dot' | 'ring';
  text: string;
}

const MAX_TEXT = 19;

/** 950 -> "950", 12345 -> "12k", 1500000 -> "1.5M": keeps the badge short. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1000000) return `${Math.floor(n / 1000)}k`;
  if (n < 10000000) return `${(n / 1000000).toFixed(1).replace(/\.0$/, '')}M`;
  return `${Math.floor(n / 1000000)}M`;
}

/** Green while all is well, yellow once points arrived late (they are counted, not aggregated). */
export function downsampleStatus(
  stats: Pick<DownsampleStats, 'openSeries' | 'windowsEmitted' | 'latePoints'>,
  t: StatusText,
): DownsampleStatus {
  const series = compactCount(stats.openSeries);
  const windows = compactCount(stats.windowsEmitted);
  if (stats.latePoints === 0) {
    const texts = ['status.seriesWindows', 'status.seriesWindowsShort'].map((key) => t(key, { series, windows }));
    return { fill: 'green', shape: stats.openSeries > 0 ? 'dot' : 'ring', text: fit(texts) };
  }
  const late = compactCount(stats.latePoints);
  const texts = ['status.late', 'status.lateShort', 'status.lateOnly'].map((key) => t(key, { series, windows, late }));
  return { fill: 'yellow', shape: 'ring', text: fit(texts) };
}

/** A red ring for a node that cannot run (bad settings). */
export function downsampleConfigErrorStatus(t: StatusText): DownsampleStatus {
  return { fill: 'red', shape: 'ring', text: t('status.configError') };
}

function fit(candidates: string[]): string {
  return candidates.find((text) => text.length <= MAX_TEXT) ?? candidates[candidates.length - 1].slice(0, MAX_TEXT);
}

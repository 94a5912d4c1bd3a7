// The node's status badge: open series, windows emitted, late points, in under 20 characters.
import type { DownsampleStats } from './downsampler';

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
export function downsampleStatus(stats: Pick<DownsampleStats, 'openSeries' | 'windowsEmitted' | 'latePoints'>): DownsampleStatus {
  const series = compactCount(stats.openSeries);
  const windows = compactCount(stats.windowsEmitted);
  if (stats.latePoints === 0) {
    return { fill: 'green', shape: stats.openSeries > 0 ? 'dot' : 'ring', text: fit([`${series} series · ${windows} win`, `${series} ser · ${windows} win`]) };
  }
  const late = compactCount(stats.latePoints);
  return { fill: 'yellow', shape: 'ring', text: fit([`${series} ser · ${windows} win · late ${late}`, `${series} ser · late ${late}`, `late ${late}`]) };
}

function fit(candidates: string[]): string {
  return candidates.find((text) => text.length <= MAX_TEXT) ?? candidates[candidates.length - 1].slice(0, MAX_TEXT);
}

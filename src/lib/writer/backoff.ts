// Retry timing: exponential backoff with full jitter, and the remote's own Retry-After when it gives one.

/**
 * Delay before retry number `attempt` (0 for the first retry): uniformly random in
 * [0, min(maxMs, initialMs * 2^attempt)] ("full jitter"), so that many gateways coming back after the same
 * outage do not hit the remote in lockstep.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 52);
  const ceiling = Math.min(maxMs, initialMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(0, Math.round(ceiling * r));
}

/**
 * Milliseconds to wait according to a Retry-After header: either delta-seconds or an HTTP date.
 * Null when there is no usable header; a date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only real HTTP dates: a bare number was handled above, and Date.parse accepts odd strings like "1".
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

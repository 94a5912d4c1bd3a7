// A remote's fleet options: the instance id tag, the write rate limit and the recovery jitter. Read from the
// influxdb-remote node's properties (strings or numbers, `${VAR}` already substituted by Node-RED when the
// variable is set).
import { instanceIdProblem } from './instance-tag';

export interface FleetOptions {
  /** Tag value of `_instance_id` added to every line; '' adds nothing. */
  instanceId: string;
  /** Bytes of line protocol per period; 0: no limit. */
  rateLimitBytes: number;
  rateLimitPeriodSeconds: number;
  /** Most random delay before a stream's first send at start-up with a backlog, and added to a Retry-After. */
  recoveryJitterSeconds: number;
}

export interface FleetProperties {
  instanceId?: unknown;
  rateLimitBytes?: unknown;
  rateLimitPeriodSeconds?: unknown;
  recoveryJitterSeconds?: unknown;
}

export const DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 300;

/** What a remote without these properties runs with (the editor opens a dialog with the same values). */
export const FLEET_DEFAULTS: Readonly<FleetOptions> = Object.freeze({
  instanceId: '',
  rateLimitBytes: 0,
  rateLimitPeriodSeconds: DEFAULT_RATE_LIMIT_PERIOD_SECONDS,
  recoveryJitterSeconds: 0,
});
/** A day: beyond that a delay is a misconfiguration, not a jitter. */
export const MAX_RECOVERY_JITTER_SECONDS = 86_400;

/** Node-RED leaves `${VAR}` as it is when VAR is not set. */
const UNRESOLVED = /^\$\{(\S+)\}$/;

export function parseFleetOptions(props: FleetProperties): { options: FleetOptions; problems: string[] } {
  const problems: string[] = [];
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value).trim());
  const number = (name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    const s = text(value);
    const unresolved = UNRESOLVED.exec(s);
    if (unresolved) {
      problems.push(`${name}: environment variable ${unresolved[1]} is not set`);
      return fallback;
    }
    if (s === '') return fallback;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0 || n > max) {
      problems.push(`${name} must be a number from 0 to ${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return n;
  };

  let instanceId = text(props.instanceId);
  const unresolved = UNRESOLVED.exec(instanceId);
  if (unresolved) {
    problems.push(`instance id: environment variable ${unresolved[1]} is not set`);
    instanceId = '';
  } else {
    const problem = instanceIdProblem(instanceId);
    if (problem) {
      problems.push(problem);
      instanceId = '';
    }
  }
  const rateLimitBytes = Math.floor(number('rateLimitBytes', props.rateLimitBytes, FLEET_DEFAULTS.rateLimitBytes));
  const rateLimitPeriodSeconds = number('rateLimitPeriodSeconds', props.rateLimitPeriodSeconds, FLEET_DEFAULTS.rateLimitPeriodSeconds);
  if (rateLimitBytes > 0 && rateLimitPeriodSeconds <= 0) problems.push('rateLimitPeriodSeconds must be more than 0 when rateLimitBytes is set');
  const recoveryJitterSeconds = number('recoveryJitterSeconds', props.recoveryJitterSeconds, FLEET_DEFAULTS.recoveryJitterSeconds, MAX_RECOVERY_JITTER_SECONDS);
  return { options: { instanceId, rateLimitBytes, rateLimitPeriodSeconds, recoveryJitterSeconds }, problems };
}

/** A uniformly random delay in [0, maxMs]; `random` is injectable for tests. */
export function jitterDelay(maxMs: number, random: () => number = Math.random): number {
  if (!(maxMs > 0)) return 0;
  return Math.round(Math.min(Math.max(random(), 0), 1) * maxMs);
}

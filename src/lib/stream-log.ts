// What a headless gateway writes to its log about a stream: state changes (ok, retrying, blocked, full, paused)
// and dropped lines by reason (corrupt records found on recovery among them). An outage flips a stream between
// states many times and drops can come with every batch, so each kind of line is written at most once per
// interval: the first at once, what comes within the interval summed up in one line when it ends.
import type { DropReason, ReplicationRow, StreamStateName } from './stream';

export interface StreamLogLine {
  level: 'info' | 'warn';
  /** A key of the node's locale catalog, under `log.`. */
  key: 'state' | 'stateSummary' | 'dropped';
  vars: Record<string, string | number>;
}

export interface StreamLogOptions {
  /** At most one line of a kind per interval. */
  intervalMs?: number;
  now?: () => number;
}

export const DEFAULT_LOG_INTERVAL_MS = 60_000;

export class StreamLog {
  private readonly intervalMs: number;
  private readonly now: () => number;
  /** The state the last line named (or the first row had). */
  private loggedState: StreamStateName | null = null;
  /** The state of the latest row, and how often it changed since the last line. */
  private seenState: StreamStateName | null = null;
  private changes = 0;
  private stateSince = 0;
  private lastStateLineAt = -Infinity;
  private latest: ReplicationRow | null = null;
  private stateTimer: NodeJS.Timeout | null = null;
  private lastDropLineAt = -Infinity;
  private heldDrops = new Map<DropReason, number>();
  private dropTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (line: StreamLogLine) => void,
    options: StreamLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The stream's row after a change; the first row sets the state without a line (the node's start says it). */
  row(row: ReplicationRow): void {
    this.latest = row;
    if (this.seenState === null) {
      this.loggedState = this.seenState = row.state;
      this.stateSince = this.now();
      return;
    }
    if (row.state === this.seenState) return;
    this.seenState = row.state;
    this.changes++;
    const wait = this.lastStateLineAt + this.intervalMs - this.now();
    if (wait <= 0) this.flushState();
    else if (!this.stateTimer) {
      this.stateTimer = setTimeout(() => this.flushState(), wait);
      this.stateTimer.unref();
    }
  }

  /** Lines dropped (output 2), by reason. */
  dropped(reason: DropReason, lines: number): void {
    if (lines <= 0) return;
    this.heldDrops.set(reason, (this.heldDrops.get(reason) ?? 0) + lines);
    const wait = this.lastDropLineAt + this.intervalMs - this.now();
    if (wait <= 0) this.flushDrops();
    else if (!this.dropTimer) {
      this.dropTimer = setTimeout(() => this.flushDrops(), wait);
      this.dropTimer.unref();
    }
  }

  /** Writes what is held back (the node is closing) and stops the timers. */
  close(): void {
    this.flushState();
    this.flushDrops();
  }

  private flushState(): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    this.stateTimer = null;
    const row = this.latest;
    if (!row || this.changes === 0 || this.loggedState === null) return;
    const now = this.now();
    const from = this.loggedState;
    const vars = {
      name: row.name,
      from,
      to: row.state,
      seconds: Math.round((now - this.stateSince) / 1000),
      code: row.latestResponseCode ?? '-',
      error: row.latestErrorMessage || '-',
      queued: row.remainingLinesToBeSynced,
      changes: this.changes,
    };
    const level = row.state === 'ok' ? 'info' : 'warn';
    this.write({ level, key: this.changes > 1 ? 'stateSummary' : 'state', vars });
    if (row.state !== from) this.stateSince = now;
    this.loggedState = row.state;
    this.changes = 0;
    this.lastStateLineAt = now;
  }

  private flushDrops(): void {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    this.dropTimer = null;
    if (this.heldDrops.size === 0) return;
    const name = this.latest?.name ?? '';
    for (const [reason, lines] of this.heldDrops) this.write({ level: 'warn', key: 'dropped', vars: { name, reason, lines } });
    this.heldDrops.clear();
    this.lastDropLineAt = this.now();
  }
}

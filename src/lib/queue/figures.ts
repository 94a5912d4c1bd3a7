// What the queue counts (appended, acknowledged, dropped by reason) and how it reports drops to its owner.
import type { ScanItem } from './segment';

export type QueueDropReason = 'age' | 'queue-full' | 'purge' | 'corrupt';

export interface DropCounter {
  lines: number;
  bytes: number;
  records: number;
}

export interface DroppedRecords {
  reason: QueueDropReason;
  records: number;
  lines: number;
  bytes: number;
  /** The dropped records' text, only when it had been read anyway. */
  data?: string[];
}

export function zeroCounter(): DropCounter {
  return { lines: 0, bytes: 0, records: 0 };
}

export function copyCounter(c: DropCounter): DropCounter {
  return { lines: c.lines, bytes: c.bytes, records: c.records };
}

export function addTo(target: DropCounter, lines: number, bytes: number, records: number): void {
  target.lines += lines;
  target.bytes += bytes;
  target.records += records;
}

export function subtractFrom(target: DropCounter, lines: number, bytes: number, records: number): void {
  target.lines = Math.max(0, target.lines - lines);
  target.bytes = Math.max(0, target.bytes - bytes);
  target.records = Math.max(0, target.records - records);
}

/** Attaches the dropped text when it was read and matches the count. */
export function withData(dropped: DroppedRecords, data: string[] | undefined): DroppedRecords {
  return data && data.length === dropped.records ? { ...dropped, data } : dropped;
}

/** The queue's running totals since open, and the one way drops reach the owner's onDrop. */
export class QueueFigures {
  readonly appended = zeroCounter();
  readonly acknowledged = zeroCounter();
  readonly dropped: Record<QueueDropReason, DropCounter> = {
    age: zeroCounter(),
    'queue-full': zeroCounter(),
    purge: zeroCounter(),
    corrupt: zeroCounter(),
  };
  /** Damage already counted, keyed "segment:offset", so rereading it is not counted twice. */
  private readonly knownCorruption = new Set<string>();
  /** Drops found during open are reported once the caller holds the queue. */
  private deferredReports: DroppedRecords[] | null = [];

  constructor(private readonly onDrop?: (dropped: DroppedRecords) => void) {}

  /** Counts a drop under its reason and reports it. */
  drop(dropped: DroppedRecords): void {
    addTo(this.dropped[dropped.reason], dropped.lines, dropped.bytes, dropped.records);
    this.report(dropped);
  }

  report(dropped: DroppedRecords): void {
    if (this.deferredReports) {
      this.deferredReports.push(dropped);
      return;
    }
    if (!this.onDrop) return;
    try {
      this.onDrop(dropped);
    } catch {
      // A failing listener must not break the queue.
    }
  }

  /** Ends the opening phase: reports from then on go straight to onDrop; returns those held until now. */
  takeDeferredReports(): DroppedRecords[] {
    const reports = this.deferredReports ?? [];
    this.deferredReports = null;
    return reports;
  }

  /** Counts damage found while reading, once per place; the report goes to `reports` (sent by the caller). */
  noteCorruption(segment: number, item: Exclude<ScanItem, { kind: 'record' }>, reports: DroppedRecords[]): void {
    const key = `${segment}:${item.offset}`;
    if (this.knownCorruption.has(key)) return;
    this.knownCorruption.add(key);
    const bytes = item.end - item.offset;
    addTo(this.dropped.corrupt, item.lines, bytes, 1);
    reports.push({ reason: 'corrupt', records: 1, lines: item.lines, bytes });
  }

  /** Copies, so that a caller keeping them does not see them change. */
  totals(): { appended: DropCounter; acknowledged: DropCounter; dropped: Record<QueueDropReason, DropCounter> } {
    return {
      appended: copyCounter(this.appended),
      acknowledged: copyCounter(this.acknowledged),
      dropped: {
        age: copyCounter(this.dropped.age),
        'queue-full': copyCounter(this.dropped['queue-full']),
        purge: copyCounter(this.dropped.purge),
        corrupt: copyCounter(this.dropped.corrupt),
      },
    };
  }
}

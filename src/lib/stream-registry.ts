// The deployed replication streams of this Node-RED runtime, for the admin API and the sidebar.
import type { ReplicationRow, ReplicationStream } from './stream';
import type { StreamFigures } from './metrics/prometheus';

export class StreamRegistry {
  private readonly streams = new Map<string, ReplicationStream>();

  add(stream: ReplicationStream): void {
    this.streams.set(stream.id, stream);
  }

  /** Removes the entry only if it is still this stream (a redeploy may already have added its successor). */
  remove(stream: ReplicationStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  get(id: string): ReplicationStream | undefined {
    return this.streams.get(id);
  }

  /** The metrics figures of every stream, in the list's order. */
  figures(now = Date.now()): StreamFigures[] {
    return [...this.streams.values()].map((stream) => stream.figures(now)).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  rows(now = Date.now()): ReplicationRow[] {
    return [...this.streams.values()].map((stream) => stream.row(now)).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }
}

/** Calls `fn` at most once per `intervalMs`: the first call runs now, later ones are merged into one trailing call. */
export function throttle(fn: () => void, intervalMs: number): { (): void; cancel(): void } {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    timer = null;
    last = Date.now();
    fn();
  };
  const throttled = () => {
    if (timer) return;
    const wait = last + intervalMs - Date.now();
    if (wait <= 0) run();
    else {
      timer = setTimeout(run, wait);
      timer.unref();
    }
  };
  throttled.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

// The errors a caller of the queue must tell apart, each with a `code` to match on (an `instanceof` check
// breaks when two copies of the package are loaded). Their messages are part of what users see in Catch
// nodes, so they stay as they are; only QueueFullError names itself.

/** An append refused because the queue is at its size bound (policy 'reject', or a record bigger than the bound). */
export class QueueFullError extends Error {
  readonly code = 'QUEUE_FULL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/** The queue was closed (the node stopped or was deleted) before or while the call ran. */
export class QueueClosedError extends Error {
  readonly code = 'QUEUE_CLOSED' as const;
  constructor() {
    super('queue is closed');
  }
}

/**
 * The disk refused a write, sync or acknowledgement. `code` is the system's own (ENOSPC, EIO, ...) so a caller
 * can tell a full disk from a broken one; `cause` is the original error.
 */
export class QueueDiskError extends Error {
  // `declare`: no own property unless the system gave a code, as before.
  declare code?: string;
  constructor(action: 'write' | 'acknowledge', err: unknown) {
    const cause = err as NodeJS.ErrnoException;
    super(`queue ${action} failed: ${cause?.message ?? String(err)}`);
    if (cause?.code) this.code = cause.code;
    this.cause = err;
  }
}

// The facts a StreamWriter reports as events, for whoever counts them (the stream's metrics object). The
// writer keeps no counts of its own: its getState() is what it is doing, not what it has done.

/** 'answer': an attempt the remote answered, or that failed on the network (not one aborted by stop/retarget). */
export interface WriterAnswer {
  /** 0: no answer (network error, timeout, an answer that could not be read). */
  statusCode: number;
  /** Request body bytes as sent (after gzip). */
  wireBytes: number;
  /** The attempt repeated an earlier one (after a failure). */
  retry: boolean;
}

/** 'delivered': the remote stored these lines (a 2xx, or the stored part of a partial write). */
export interface WriterDelivered {
  lines: number;
  /** Each line with its newline. */
  bytes: number;
  /** When (ms epoch, the writer's clock). */
  at: number;
}

/** 'discarded': lines the remote refused for good, dropped as the user allows (counted when dropped). */
export interface WriterDiscarded {
  lines: number;
  /** Each line with its newline. */
  bytes: number;
}

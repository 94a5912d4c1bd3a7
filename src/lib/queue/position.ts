// A place in the queue: a segment and a byte offset inside it.

export interface QueuePosition {
  segment: number;
  offset: number;
}

/** Negative, zero or positive like a sort comparator: segment first, then offset. */
export function comparePositions(a: QueuePosition, b: QueuePosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

// What a remote's partial-write answer says about the lines of the request, as far as it says anything.
//
// - InfluxDB 3 (`/api/v3/write_lp` with accept_partial=true) answers 400 with
//   `{"error": "partial write of line protocol occurred", "data": [{"original_line", "line_number",
//   "error_message"}, ...]}`: every refused line by its number (counted from 1 in the request body), and every
//   other line IS stored. That is enough to acknowledge the good lines without sending them again.
// - InfluxDB 2.x answers 400 `{"code": "invalid", "message": "partial write error (N written): ..."}` (or 422),
//   and 1.x 400 `partial write: ... dropped=N`: they say how many lines were stored or dropped, and name at
//   most the first bad line, not which lines were stored. Only bisection finds the bad lines there.

export interface RefusedLine {
  /** 1-based line number in the request body, as the remote counts. */
  lineNumber: number;
  /** The remote's reason for this line. */
  message: string;
  /** The line as the remote quotes it (may be cut by the remote). */
  originalLine: string;
}

export type PartialWrite =
  /** The remote names every refused line; the others are stored. */
  | { kind: 'lines'; message: string; refused: RefusedLine[] }
  /** The remote stored `written` lines of the request but does not say which. */
  | { kind: 'count'; message: string; written: number }
  /** The remote dropped `dropped` lines of the request but does not say which. */
  | { kind: 'dropped'; message: string; dropped: number };

export type PartialWriteLines = Extract<PartialWrite, { kind: 'lines' }>;

/**
 * Reads a 400/422 answer's body. Null when it is not a partial write this module knows, or when a line list
 * does not fit the request (`lineCount` lines): then it cannot be trusted to acknowledge anything.
 */
export function parsePartialWrite(status: number, body: string, lineCount: number): PartialWrite | null {
  if (status !== 400 && status !== 422) return null;
  const json = parseJSON(body);
  const data = json?.data;
  if (Array.isArray(data) && data.length > 0) {
    const refused: RefusedLine[] = [];
    for (const item of data) {
      const entry = item as { line_number?: unknown; error_message?: unknown; original_line?: unknown };
      const n = entry.line_number;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > lineCount) return null;
      refused.push({
        lineNumber: n,
        message: typeof entry.error_message === 'string' ? entry.error_message : '',
        originalLine: typeof entry.original_line === 'string' ? entry.original_line : '',
      });
    }
    // One entry per line; the remote's order is kept only for messages, the numbers are what counts.
    const unique = new Map(refused.map((line) => [line.lineNumber, line]));
    const message = typeof json?.error === 'string' ? json.error : 'partial write';
    return { kind: 'lines', message, refused: [...unique.values()].sort((a, b) => a.lineNumber - b.lineNumber) };
  }
  const message = typeof json?.message === 'string' ? json.message : typeof json?.error === 'string' ? json.error : body.trim();
  const written = /partial write error \((\d+) written\)/i.exec(message);
  if (written) return { kind: 'count', message, written: Math.min(Number(written[1]), lineCount) };
  const dropped = /partial write\b[^]*?\bdropped=(\d+)/i.exec(message);
  if (dropped) return { kind: 'dropped', message, dropped: Math.min(Number(dropped[1]), lineCount) };
  return null;
}

function parseJSON(body: string): { data?: unknown; error?: unknown; message?: unknown } | null {
  const trimmed = body.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return parsed && typeof parsed === 'object' ? (parsed as { data?: unknown; error?: unknown; message?: unknown }) : null;
  } catch {
    return null;
  }
}

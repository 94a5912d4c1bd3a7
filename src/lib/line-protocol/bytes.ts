// Reading text out of a line held as UTF-8 bytes. The scanner works on bytes because V8 reads a Buffer
// several times faster per character than a string's charCodeAt, and line protocol is nearly all ASCII.

/**
 * The string the bytes being read were encoded from, while it is ASCII (its offsets are the bytes' offsets):
 * texts are then cut from it, cheaper than decoding a few bytes at a time. Set by `whileReading` only.
 */
let asciiSource: string | null = null;

/** Runs `read` with `source` (when ASCII) as the text that the bytes it reads hold. */
export function whileReading<T>(source: string | null, read: () => T): T {
  asciiSource = source;
  try {
    return read();
  } finally {
    asciiSource = null;
  }
}

/** The UTF-8 text of `bytes[start, end)`. */
export function utf8Text(bytes: Buffer, start: number, end: number): string {
  return asciiSource !== null ? asciiSource.slice(start, end) : bytes.toString('utf8', start, end);
}

/** The text of `bytes[start, end)` known to be ASCII (digits, signs, a decimal point): the cheapest decode. */
export function asciiText(bytes: Buffer, start: number, end: number): string {
  return asciiSource !== null ? asciiSource.slice(start, end) : bytes.toString('latin1', start, end);
}

/** Whether the bytes at `at` spell `text` (ASCII). */
export function isAsciiAt(bytes: Buffer, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    if (bytes[at + k] !== text.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether `bytes[start, end)` is exactly `text` (ASCII). */
export function isAsciiText(bytes: Buffer, start: number, end: number, text: string): boolean {
  return end - start === text.length && isAsciiAt(bytes, start, text);
}

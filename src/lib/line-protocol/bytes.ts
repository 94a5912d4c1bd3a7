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

/**
 * Reused to encode the texts the scanner reads, one at a time (preparing a payload and parsing a line are
 * synchronous): a 500 kB message then makes no new buffer outside the JS heap, where such buffers pile up until
 * V8 collects them. Longer texts get a buffer of their own, so one huge payload does not keep this one huge.
 */
let scratch = Buffer.allocUnsafeSlow(4096);
const MAX_SCRATCH_BYTES = 1024 * 1024;

/** Text encoded by `encodeReusing`: its UTF-8 bytes are `bytes[0, length)`. */
export interface EncodedText {
  bytes: Buffer;
  length: number;
}

const encoded: EncodedText = { bytes: scratch, length: 0 };

/** `text` as UTF-8, in a buffer that may be longer: valid until the next call (copy what must outlive it). */
export function encodeReusing(text: string): EncodedText {
  const length = Buffer.byteLength(text, 'utf8');
  encoded.length = length;
  if (length > MAX_SCRATCH_BYTES) {
    encoded.bytes = Buffer.from(text, 'utf8');
    return encoded;
  }
  if (length > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH_BYTES, Math.max(length, 2 * scratch.length)));
  // As many bytes as characters: ASCII, where Latin-1 gives the same bytes and is the cheaper encoder.
  scratch.write(text, 0, length, length === text.length ? 'latin1' : 'utf8');
  encoded.bytes = scratch;
  return encoded;
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

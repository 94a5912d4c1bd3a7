// Reads a write request's body as the client sent it: identity or gzip (what InfluxDB takes), with a size
// limit that applies both to the bytes received and to the decompressed line protocol (a small gzip body can
// inflate to gigabytes). The endpoint reads the stream itself, so no body parser of Node-RED's (which differ
// between versions: before 4.1 they inflate and decode text bodies) is ever in the way.
import { gunzip } from 'zlib';
import { promisify } from 'util';
import type { Readable } from 'stream';
import { badRequest, tooLarge, unsupportedEncoding } from './errors';

const gunzipAsync = promisify(gunzip);

export type BodyEncoding = 'identity' | 'gzip';

/** The body's encoding from its Content-Encoding header; throws a 415 WriteRefusal for any other. */
export function bodyEncoding(contentEncoding: string | string[] | undefined): BodyEncoding {
  const raw = Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding ?? '';
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  throw unsupportedEncoding(raw.trim());
}

/** Throws a 413 WriteRefusal early when the declared Content-Length is already over the limit. */
export function checkDeclaredLength(contentLength: string | string[] | undefined, limitBytes: number): void {
  const value = Array.isArray(contentLength) ? contentLength[0] : contentLength;
  if (value !== undefined && /^\d+$/.test(value) && Number(value) > limitBytes) throw tooLarge(limitBytes);
}

/**
 * Reads `source` to the end as sent (still compressed). Rejects with a 413 WriteRefusal as soon as more than
 * `limitBytes` arrive (the rest is read and discarded, so that the client gets the answer, not a reset).
 */
export function readRaw(source: Readable, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        settled = true;
        source.removeListener('data', onData);
        source.resume();
        return reject(tooLarge(limitBytes));
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.on('end', () => {
      if (!settled) resolve(Buffer.concat(chunks, received));
    });
    source.on('error', (err: Error) => {
      if (settled) return;
      settled = true;
      reject(badRequest(`request body could not be read: ${err.message}`));
    });
  });
}

/**
 * The line protocol text of a body as sent. A gzip body is inflated up to `limitBytes` of text (a small gzip
 * body can inflate to gigabytes): beyond that 413; a body that does not inflate 400.
 */
export async function decodeBody(raw: Buffer, encoding: BodyEncoding, limitBytes: number): Promise<string> {
  if (encoding === 'identity') return raw.toString('utf8');
  try {
    return (await gunzipAsync(raw, { maxOutputLength: limitBytes })).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limitBytes);
    throw badRequest(`body is not valid gzip (Content-Encoding: gzip): ${(err as Error).message}`);
  }
}

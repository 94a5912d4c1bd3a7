// Gzip for a writer's request bodies with one zlib engine kept from batch to batch. zlib.gzip() makes a new
// engine per call: its deflate state and output buffer, outside the JS heap, every batch. While a backlog
// drains, that churn makes V8 run full collections.
// A kept engine is reset (deflateReset keeps its memory) and used again. The work still runs in libuv's
// thread pool.
import { constants, createGzip, type Gzip } from 'zlib';
import { GZIP_CHUNK_BYTES, GZIP_LEVEL } from './remote-client';

export class GzipEncoder {
  private engine: Gzip | null = null;
  /** Bodies are compressed one after the other: each is one gzip member written through the same engine. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `input` as a complete gzip file (the same bytes a fresh engine would make); `input` must not change until then. */
  encode(input: Buffer): Promise<Buffer> {
    const result = this.queue.then(() => this.encodeNow(input));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Frees the engine (an idle writer need not hold its memory); the next encode() makes a new one. */
  release(): void {
    const engine = this.engine;
    this.engine = null;
    // Closing while an encode runs would fail it: wait for the queue to drain.
    if (engine) void this.queue.then(() => engine.close());
  }

  private encodeNow(input: Buffer): Promise<Buffer> {
    const engine = this.engine ?? (this.engine = createGzip({ level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES }));
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        length += chunk.length;
      };
      const onError = (err: Error): void => {
        cleanup();
        // An engine that failed is not trusted again.
        if (this.engine === engine) this.engine = null;
        engine.close();
        reject(err);
      };
      const cleanup = (): void => {
        engine.removeListener('data', onData);
        engine.removeListener('error', onError);
      };
      engine.on('data', onData);
      engine.on('error', onError);
      engine.write(input);
      // Z_FINISH ends the member (its output comes as 'data' before this callback); reset() readies the
      // engine for the next one.
      engine.flush(constants.Z_FINISH, () => {
        cleanup();
        // Every zlib class has reset(); @types/node declares it only for some.
        (engine as Gzip & { reset(): void }).reset();
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
      });
    });
  }
}

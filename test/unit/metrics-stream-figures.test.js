'use strict';
// A real stream's metrics figures (issue #17, point 1) after retries and a dropped bad line: answers counted by
// status code, bytes sent and dropped kept apart, and the queue's totals.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ReplicationStream } = require('../../nodes/lib/stream');
const { RemoteClient } = require('../../nodes/lib/writer');
const { startCannedServer } = require('../harness/canned-server');
const { waitFor } = require('../harness/servers');

describe('metrics figures of a stream', function () {
  this.timeout(20000);
  let server;
  let client;
  let stream;
  let dir;

  before(async () => {
    let first = true;
    server = await startCannedServer((req) => {
      if (first) {
        first = false;
        return { status: 503, headers: { 'retry-after': '0' }, body: 'busy' };
      }
      if (req.body.includes('bad')) return { status: 400, body: { code: 'invalid', message: 'unable to parse bad line' } };
      return { status: 204 };
    });
    client = new RemoteClient({ remoteURL: server.url, remoteOrgID: 'o', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'figures-token' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-figures-'));
    stream = await ReplicationStream.open(
      {
        id: 'fig',
        name: 'figures',
        remoteID: 'r',
        remoteBucketName: 'b',
        remoteBucketID: '',
        maxQueueSizeBytes: 64 * 1024 * 1024,
        maxAgeSeconds: 0,
        dropNonRetryableData: true,
        onQueueFull: 'reject',
        maxBatchBytes: 500_000,
        gzip: false,
        queueDir: dir,
        writer: { initialBackoffMs: 20, maxBackoffMs: 50 },
      },
      client,
    );
  });
  after(async () => {
    await stream.close(1000);
    await client.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts answers by code, and the bytes sent and dropped apart', async () => {
    const good = ['m,s=a v=1 1', 'm,s=a v=2 2', 'm,s=a v=3 3'];
    const bad = 'm,s=bad v=4 4';
    await stream.enqueue([...good, bad]);
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { message: 'everything delivered or dropped' });
    const f = stream.figures();
    assert.strictEqual(f.queuedLines, 4);
    assert.strictEqual(f.sentLines, 3);
    assert.strictEqual(f.droppedLines['non-retryable'], 1);
    assert.strictEqual(f.nonRetryableDroppedBytes, Buffer.byteLength(bad) + 1);
    assert.strictEqual(f.sentBytes + f.nonRetryableDroppedBytes, f.queuedBytes);
    assert.strictEqual(f.remainingLines, 0);
    // 503 first, then the whole batch 400, then its halves (one 204, one 400 that is split down to the bad line).
    assert.strictEqual(f.responsesByCode['503'], 1);
    assert.ok(f.responsesByCode['400'] >= 2, JSON.stringify(f.responsesByCode));
    assert.ok(f.responsesByCode['204'] >= 1, JSON.stringify(f.responsesByCode));
    const total = Object.values(f.responsesByCode).reduce((s, n) => s + n, 0);
    assert.strictEqual(total, f.requests);
    assert.strictEqual(f.retries >= 1, true);
  });
});

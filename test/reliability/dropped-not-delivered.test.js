'use strict';
// Issue #8, accounting: a line the queue reports as dropped must not reach the remote afterwards. Here the stream
// (queue + writer, in-process) retries a batch against a remote answering 503, the flow purges the queue, then the
// remote recovers: the purged lines must not arrive. (The same mechanism shows in outage.test.js under drop-oldest:
// lines dropped from the oldest segment while the writer held them were delivered anyway.)
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ReplicationStream } = require('../../nodes/lib/stream');
const { RemoteClient } = require('../../nodes/lib/writer');
const { waitFor, sleep } = require('../harness/servers');
const { startScriptedRemote } = require('./lib/scripted-remote');

describe('reliability: lines dropped by the queue are never delivered afterwards (in-process)', function () {
  this.timeout(30000);
  let up = false;
  let remote;
  let client;
  let stream;
  let dir;

  before(async () => {
    remote = await startScriptedRemote(() => (up ? { status: 204 } : { status: 503, body: 'down for maintenance' }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dropped-not-delivered-'));
    client = new RemoteClient({ remoteURL: remote.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'drop-token' });
    stream = await ReplicationStream.open(
      {
        id: 'purge',
        name: 'purge',
        remoteID: 'r',
        remoteBucketName: 'bucket',
        remoteBucketID: '',
        maxQueueSizeBytes: 64 * 1024 * 1024,
        maxAgeSeconds: 0,
        dropNonRetryableData: false,
        onQueueFull: 'reject',
        maxBatchBytes: 500_000,
        gzip: false,
        queueDir: path.join(dir, 'purge'),
        writer: { initialBackoffMs: 100, maxBackoffMs: 200, requestTimeoutMs: 2000 },
      },
      client,
    );
  });

  after(async () => {
    if (stream) await stream.close().catch(() => {});
    if (client) await client.close().catch(() => {});
    if (remote) await remote.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not send purged lines once the remote recovers', async () => {
    const lines = ['purged v=1i 1000000000', 'purged v=2i 2000000000'];
    await stream.enqueue(lines);
    // The writer has read the batch and is retrying it.
    await waitFor(() => remote.requests.length >= 2, { timeoutMs: 10000, message: 'two failed attempts' });
    const dropped = await stream.purge();
    assert.strictEqual(dropped.lines, 2, 'purge reports both lines as dropped');
    assert.strictEqual(stream.row().remainingLinesToBeSynced, 0);
    up = true;
    // Let the writer's next attempts happen (its backoff is at most 200 ms), then send something new.
    await sleep(1000);
    await stream.enqueue(['after v=3i 3000000000']);
    await waitFor(() => remote.accepted().includes('after v=3i 3000000000'), { timeoutMs: 10000, message: 'the new line to arrive' });
    const ghosts = remote.accepted().filter((l) => lines.includes(l));
    assert.deepStrictEqual(ghosts, [], 'lines reported as purged were delivered anyway');
  });
});

'use strict';
// One in-process replication stream (queue in a temp folder, a RemoteClient to `remote.remoteURL`) for tests that
// drive the queue and the writer without Node-RED. Fast writer tuning unless told otherwise; `dropped` collects
// what the stream reports on output 2; `close()` stops it and removes its folder.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ReplicationStream } = require('../../nodes/lib/stream');
const { DEFAULT_MAX_BATCH_BYTES, RemoteClient } = require('../../nodes/lib/writer');
const { OVERFLOW_REJECT } = require('../../nodes/lib/queue');

/**
 * remote:      remote settings over { remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false } (remoteURL required)
 * credentials: the remote's credentials
 * stream:      stream settings over a 64 MiB queue, no max age, default batches, gzip off, no dropping
 * writer:      writer tuning over 20-200 ms backoff and a 5 s request timeout
 */
async function openTestStream({ remote, credentials = {}, stream = {}, writer = {} }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-stream-'));
  const client = new RemoteClient({ remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false, ...remote }, credentials);
  const opened = await ReplicationStream.open(
    {
      id: 's1',
      name: 's1',
      remoteID: 'r1',
      remoteBucketName: 'bucket',
      remoteBucketID: '',
      maxQueueSizeBytes: 64 * 1024 * 1024,
      maxAgeSeconds: 0,
      onQueueFull: OVERFLOW_REJECT,
      maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
      gzip: false,
      dropNonRetryableData: false,
      ...stream,
      queueDir: dir,
      writer: { initialBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 5000, ...writer },
    },
    client,
  );
  const dropped = [];
  opened.on('dropped', (d) => dropped.push(d));
  return {
    stream: opened,
    dropped,
    async close() {
      await opened.close(1000);
      await client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { openTestStream };

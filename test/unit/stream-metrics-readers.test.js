'use strict';
// Issue 15: a stream's row (replication list, badge, output 1, sidebar) and its Prometheus figures read the same
// metrics object: the same figures, and "full" decided once (a refused append makes it, an accepted one ends it).
const assert = require('assert');
const { openTestStream } = require('../harness/test-stream');
const { startCannedServer } = require('../harness/canned-server');
const { waitFor } = require('../harness/wait');

describe('a stream: the row and the Prometheus figures read one metrics object', function () {
  this.timeout(20000);
  let server;
  let opened;

  beforeEach(async () => {
    server = await startCannedServer((req) => (req.body.includes('bad') ? { status: 400, body: { code: 'invalid', message: 'bad line' } } : { status: 204 }));
    opened = await openTestStream({ remote: { remoteURL: server.url }, stream: { maxQueueSizeBytes: 1024 * 1024, dropNonRetryableData: true } });
  });
  afterEach(async () => {
    await opened.close();
    await server.stop();
  });

  it('shows the same sent, queued, dropped and request figures in both', async () => {
    const { stream } = opened;
    await stream.enqueue(['m v=1 1', 'm v=2 2', 'm,t=bad v=3 3']);
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0 && stream.row().linesDropped['non-retryable'] === 1, { message: 'delivered and dropped' });
    const row = stream.row();
    const f = stream.figures();
    assert.strictEqual(row.linesQueued, 3);
    assert.strictEqual(f.queuedLines, row.linesQueued);
    assert.strictEqual(row.linesSent, 2);
    assert.strictEqual(f.sentLines, row.linesSent);
    assert.deepStrictEqual(f.droppedLines, row.linesDropped);
    assert.strictEqual(f.sentBytes + f.nonRetryableDroppedBytes, f.queuedBytes);
    assert.strictEqual(f.requests, server.requests.length);
    assert.ok(row.lastSuccessAt !== null);
  });

  it('is full after a refused append, counts it as refused, and is no longer full once an append fits', async () => {
    const { stream } = opened;
    const huge = `m s="${'x'.repeat(1024 * 1024)}" 1`;
    await assert.rejects(stream.enqueue([huge]), (err) => err.code === 'QUEUE_FULL');
    let row = stream.row();
    let f = stream.figures();
    assert.strictEqual(row.state, 'full');
    assert.strictEqual(f.state, 'full');
    assert.strictEqual(f.refusedLines, 1);
    assert.strictEqual(f.refusedBytes, Buffer.byteLength(huge) + 1);
    assert.strictEqual(row.linesDropped['queue-full'], 1);
    // Under "reject" the flow keeps the refused lines (its message goes to Catch): nothing on output 2.
    assert.strictEqual(opened.dropped.length, 0);
    await stream.enqueue(['m v=1 1']);
    row = stream.row();
    f = stream.figures();
    assert.notStrictEqual(row.state, 'full');
    assert.strictEqual(f.refusedLines, 1);
    assert.strictEqual(row.linesQueued, 1);
  });
});

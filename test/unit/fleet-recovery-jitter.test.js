'use strict';
// The random delays of a fleet (issue #17, point 4), with an injected random: a stream with a backlog at start-up
// waits a part of the remote's recovery jitter before its first send (none without a backlog), and a Retry-After
// gets a part of it added; both between 0 and the maximum.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ReplicationStream } = require('../../nodes/lib/stream');
const { DurableQueue } = require('../../nodes/lib/queue');
const { RemoteClient } = require('../../nodes/lib/writer');
const { startCannedServer } = require('../harness/canned-server');
const { waitFor } = require('../harness/servers');

const JITTER_MS = 60_000;

describe('recovery jitter', function () {
  this.timeout(20000);
  let server;
  let responder;
  let client;
  let dir;
  const streams = [];

  before(async () => {
    server = await startCannedServer((req, i) => responder(req, i));
    client = new RemoteClient({ remoteURL: server.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'jitter-token' });
  });
  beforeEach(() => {
    responder = () => ({ status: 204 });
    server.requests.length = 0;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-jitter-'));
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) await stream.close(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  async function open(name, random, { backlog }) {
    const queueDir = path.join(dir, name);
    if (backlog) {
      const queue = await DurableQueue.open({ dir: queueDir });
      await queue.append(['m,s=backlog v=1 1', 'm,s=backlog v=2 2']);
      await queue.close();
    }
    const before = Date.now();
    const stream = await ReplicationStream.open(
      {
        id: name,
        name,
        remoteID: 'r',
        remoteBucketName: 'b',
        remoteBucketID: '',
        maxQueueSizeBytes: 64 * 1024 * 1024,
        maxAgeSeconds: 0,
        dropNonRetryableData: false,
        onQueueFull: 'reject',
        maxBatchBytes: 500_000,
        gzip: false,
        queueDir,
        writer: { recoveryJitterMs: JITTER_MS, random, initialBackoffMs: 50, maxBackoffMs: 100 },
      },
      client,
    );
    streams.push(stream);
    return { stream, before, after: Date.now() };
  }

  for (const r of [0, 0.25, 0.999999]) {
    it(`holds the first send of a stream with a backlog for random x max (random ${r})`, async function () {
      const { stream, before, after } = await open(`start${String(r).replace('.', '')}`, () => r, { backlog: true });
      const next = Date.parse(stream.row().nextAttemptAt ?? new Date(before).toISOString());
      const delay = Math.round(r * JITTER_MS);
      // nextAttemptAt is shown to the second's fraction in ISO text: ms precision.
      assert.ok(next >= before + delay && next <= after + delay, `next attempt ${next - before} ms after open, expected ${delay}`);
      assert.ok(next - before <= JITTER_MS + (after - before), 'never beyond the maximum');
      if (r > 0) {
        assert.strictEqual(server.requests.length, 0, 'nothing sent before the delay');
        stream.flush(); // a flush still sends at once
        await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { message: 'the backlog sent after flush' });
      }
    });
  }

  it('does not hold back a stream that starts without a backlog', async function () {
    const { stream } = await open('empty', () => 0.5, { backlog: false });
    assert.strictEqual(stream.row().nextAttemptAt, null);
    await stream.enqueue(['m,s=new v=1 1']);
    await waitFor(() => server.requests.length === 1, { message: 'the new line sent at once' });
  });

  it('adds random x max to a Retry-After', async function () {
    responder = () => ({ status: 429, headers: { 'retry-after': '2' }, body: { code: 'too many requests', message: 'quota' } });
    const { stream } = await open('retry-after', () => 0.5, { backlog: false });
    const before = Date.now();
    await stream.enqueue(['m,s=q v=1 1']);
    await waitFor(() => stream.row().latestResponseCode === 429 && stream.row().nextAttemptAt, { message: 'the 429' });
    const next = Date.parse(stream.row().nextAttemptAt);
    const expected = 2000 + 0.5 * JITTER_MS;
    assert.ok(next - before >= expected && next - before <= expected + (Date.now() - before), `next attempt ${next - before} ms, expected ${expected}`);
  });
});

'use strict';
// InfluxDB 3 as a target (issue #16, points 3 and 4), against the harness's scripted InfluxDB 3
// (test/harness/influxdb3-remote.js answers as ../shared/notes/remote-targets.md documents): a partial write is
// a partial success, so the stored lines are acknowledged once and never sent again, nothing is bisected, and the
// refused lines are dropped with the remote's message per line or block the stream on exactly those lines.
// 401, 404 (database), 413 and 429/503 with Retry-After get the handling they get from the other write APIs.
const assert = require('assert');
const { startInfluxDB3 } = require('../harness/influxdb3-remote');
const { waitFor } = require('../harness/servers');
const { openTestStream } = require('../harness/test-stream');

const TOKEN = 'apiv3_token-7f3a';
const TYPE_CONFLICT = "invalid column type for column 'v', expected iox::column_type::field::float, got iox::column_type::field::string";

function mixedLines(n, badEvery) {
  return Array.from({ length: n }, (_, i) => (i % badEvery === badEvery - 1 ? `m,t=a v="text" ${1700000000000000000 + i}` : `m,t=a v=${i} ${1700000000000000000 + i}`));
}
const isBad = (line) => line.includes('v="text"');
const writes = (remote) => remote.requests.filter((r) => r.url.startsWith('/api/v3/write_lp'));
const linesOf = (req) => (req.body === '' ? [] : req.body.split('\n'));

describe('InfluxDB 3 as a target: write_lp and partial writes (scripted InfluxDB 3)', function () {
  this.timeout(30000);
  const cleanups = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()();
  });

  async function setUp(remoteOptions, { drop = false, token = TOKEN, bucket = 'edge', maxBatchBytes = 500000, gzip = true } = {}) {
    const remote = await startInfluxDB3({ token: TOKEN, ...remoteOptions });
    const { stream, dropped, close } = await openTestStream({
      remote: { remoteURL: remote.url, remoteOrgID: '', writeAPI: 'v3', noSync: false },
      credentials: { remoteAPIToken: token },
      stream: { id: 's3', name: 'to core', remoteID: 'r3', remoteBucketName: bucket, maxBatchBytes, gzip, dropNonRetryableData: drop },
    });
    cleanups.push(async () => {
      await close();
      await remote.stop();
    });
    return { remote, stream, dropped };
  }

  it('1,000 lines with 7 refused: 993 stored once, the 7 dropped with their line numbers and reasons, one request, nothing resent', async function () {
    const { remote, stream, dropped } = await setUp({ databases: ['edge'], refuses: (l) => (isBad(l) ? TYPE_CONFLICT : null) }, { drop: true });
    const lines = mixedLines(1000, 142);
    const bad = lines.filter(isBad);
    assert.strictEqual(bad.length, 7);
    await stream.enqueue(lines);
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0 && dropped.length > 0, { message: 'the batch to be settled' });

    assert.strictEqual(writes(remote).length, 1, 'one request: no bisection, no resend');
    const [req] = writes(remote);
    const url = new URL(req.url, 'http://x');
    assert.strictEqual(url.searchParams.get('db'), 'edge');
    assert.strictEqual(url.searchParams.get('accept_partial'), 'true');
    assert.strictEqual(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepStrictEqual(remote.stored, lines.filter((l) => !isBad(l)), 'the 993 good lines, each once, in order');

    const droppedLines = dropped.flatMap((d) => d.lines);
    assert.deepStrictEqual(droppedLines, bad);
    const messages = dropped.map((d) => d.error).join('\n');
    for (const line of bad) {
      const number = lines.indexOf(line) + 1;
      assert.ok(messages.includes(`line ${number}: ${TYPE_CONFLICT}`), `line ${number} is named with its reason`);
    }
    assert.ok(dropped.every((d) => d.reason === 'non-retryable' && d.statusCode === 400));
    const row = stream.row();
    assert.strictEqual(row.linesSent, 993);
    assert.strictEqual(row.linesDropped['non-retryable'], 7);
    assert.strictEqual(row.state, 'ok');
  });

  it('without dropNonRetryableData blocks on exactly the refused lines, says so, and resends only them', async function () {
    const refuse = { on: true };
    const { remote, stream } = await setUp({ refuses: (l) => (refuse.on && isBad(l) ? TYPE_CONFLICT : null) });
    const lines = mixedLines(1000, 142);
    const bad = lines.filter(isBad);
    await stream.enqueue(lines);
    await waitFor(() => writes(remote).length >= 3, { message: 'retries of the refused lines' });
    const row = stream.row();
    assert.strictEqual(row.state, 'blocked');
    assert.strictEqual(row.latestResponseCode, 400);
    assert.match(row.latestErrorMessage, /partial write of line protocol occurred: line \d+: invalid column type/);
    assert.strictEqual(row.remainingLinesToBeSynced, 7, 'only the refused lines remain');
    for (const retry of writes(remote).slice(1)) assert.deepStrictEqual(linesOf(retry), bad, 'a retry carries the 7 lines alone');
    assert.strictEqual(remote.stored.length, 993);

    refuse.on = false; // the schema was fixed on the remote
    stream.flush();
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { message: 'the kept lines to go through' });
    assert.deepStrictEqual([...remote.stored].sort(), [...lines].sort(), 'every line stored exactly once');
    assert.strictEqual(stream.row().state, 'ok');
    assert.strictEqual(stream.row().latestErrorMessage, '');
  });

  it('a wrong token (401) and an unknown database (404) block the stream and keep every line', async function () {
    for (const [options, code, pattern] of [
      [{ token: 'wrong-token' }, 401, /not authorized/],
      [{ bucket: 'nodb' }, 404, /database not found: nodb/],
    ]) {
      const { remote, stream } = await setUp({ databases: ['edge'] }, options);
      await stream.enqueue(mixedLines(50, 1000));
      await waitFor(() => stream.row().state === 'blocked', { message: `blocked on ${code}` });
      const row = stream.row();
      assert.strictEqual(row.latestResponseCode, code);
      assert.match(row.latestErrorMessage, pattern);
      assert.strictEqual(row.remainingLinesToBeSynced, 50);
      assert.strictEqual(remote.stored.length, 0);
      assert.ok(!row.latestErrorMessage.includes(TOKEN));
    }
  });

  it('413: a batch over the server\'s request size is split until every part fits; all lines stored once', async function () {
    const { remote, stream } = await setUp({ maxRequestBytes: 20_000 }, { gzip: false });
    const lines = mixedLines(2000, 100000);
    await stream.enqueue(lines);
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { message: 'the split batches to be delivered' });
    const statuses = writes(remote).map((r) => r.status);
    assert.strictEqual(statuses[0], 413, 'the whole batch was too large');
    assert.ok(statuses.filter((s) => s === 204).length >= 2, `split into parts that fit: ${statuses.join(' ')}`);
    assert.ok(writes(remote).filter((r) => r.status === 204).every((r) => r.rawBody.length <= 20_000));
    assert.deepStrictEqual(remote.stored, lines);
  });

  for (const status of [429, 503]) {
    it(`${status} with Retry-After: waits as long as it says, then delivers everything once`, async function () {
      const { remote, stream } = await setUp({});
      remote.overload(status, 1, 2);
      const lines = mixedLines(100, 100000);
      await stream.enqueue(lines);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { timeoutMs: 15000, message: 'delivery after the overload' });
      const times = writes(remote).map((r) => r.at);
      assert.strictEqual(times.length, 3);
      assert.ok(times[1] - times[0] >= 950 && times[2] - times[1] >= 950, `retries waited for Retry-After: ${times[1] - times[0]} and ${times[2] - times[1]} ms`);
      assert.deepStrictEqual(remote.stored, lines);
    });
  }
});

describe('InfluxDB 2.x partial writes: bisected, and counted once (scripted InfluxDB 2.x)', function () {
  this.timeout(30000);
  it('a 400 "partial write error (N written)" is bisected to the bad line; lines sent counts each good line once', async function () {
    const { startCannedServer } = require('../harness/canned-server');
    // InfluxDB 2.x stores the good lines of a request and names only the first bad one.
    const stored = [];
    const remote = await startCannedServer((req) => {
      const lines = req.body === '' ? [] : req.body.split('\n');
      const good = lines.filter((l) => !isBad(l));
      stored.push(...good);
      if (good.length === lines.length) return { status: 204 };
      const first = lines.find(isBad);
      return { status: 400, body: { code: 'invalid', message: `partial write error (${good.length} written): unable to parse '${first}': invalid field type` } };
    });
    const { stream, close } = await openTestStream({
      remote: { remoteURL: remote.url },
      credentials: { remoteAPIToken: TOKEN },
      stream: { id: 's2', remoteBucketName: 'b', dropNonRetryableData: true },
    });
    try {
      const dropped = [];
      stream.on('dropped', (d) => dropped.push(...d.lines));
      const lines = mixedLines(64, 64);
      await stream.enqueue(lines);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0 && dropped.length === 1, { message: 'the batch to be bisected' });
      assert.deepStrictEqual(dropped, lines.filter(isBad));
      assert.strictEqual(stream.row().linesSent, 63, 'each good line counted once, however often bisection resent it');
      assert.ok(remote.requests.length > 2 && remote.requests.length <= 2 * Math.ceil(Math.log2(64)) + 1, `bisected in ${remote.requests.length} requests`);
      assert.deepStrictEqual([...new Set(stored)].sort(), lines.filter((l) => !isBad(l)).sort());
    } finally {
      await close();
      await remote.stop();
    }
  });
});

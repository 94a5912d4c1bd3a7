'use strict';
// Streams against the real InfluxDB 1.6.7 with lines it will never take: a field type conflict (400) kept
// while the stream shows it, a line with a control character (its refusal echoes the line in a header the
// client cannot read), and a line with exactly 100 tags (1.6.7 panics and answers 500). None may stall the
// stream for ever without its status saying so, and none may hold back the lines queued behind it when the
// user allows dropping.
const assert = require('assert');
const http = require('http');
const zlib = require('zlib');
const { englishStatusOf: statusOf } = require('../harness/english-status');
const { startInfluxDB, waitFor } = require('../harness/servers');
const { openTestStream } = require('../harness/test-stream');

// Ten minutes ago: inside the 1 h retention policy for the whole run.
const BASE_NS = BigInt(Date.now() - 600_000) * 1_000_000n;
function makeLines(measurement, n) {
  return Array.from({ length: n }, (_, i) => `${measurement},host=h${i % 7} v=${i}.5 ${BASE_NS + BigInt(i) * 1_000_000n}`);
}
const linesOf = (body) => (body === '' ? [] : body.split('\n'));

/** Forwards writes to `target` with Node's own HTTP client and records every request's lines and status. */
async function startCountingRelay(target) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = /gzip/i.test(req.headers['content-encoding'] || '') ? zlib.gunzipSync(body) : body;
      const record = { lines: linesOf(text.toString('utf8')), status: null };
      requests.push(record);
      const headers = {};
      for (const name of ['content-type', 'content-encoding', 'authorization']) if (req.headers[name]) headers[name] = req.headers[name];
      const out = http.request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
        const parts = [];
        answer.on('data', (c) => parts.push(c));
        answer.on('end', () => {
          record.status = answer.statusCode;
          res.writeHead(answer.statusCode, answer.headers['content-type'] ? { 'content-type': answer.headers['content-type'] } : {});
          res.end(answer.statusCode === 204 ? undefined : Buffer.concat(parts));
        });
      });
      out.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err.message));
      });
      out.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

describe('writer: lines InfluxDB 1.6.7 never takes', function () {
  this.timeout(60_000);
  let influx;
  const cleanups = [];
  before(async function () {
    influx = await startInfluxDB();
    await influx.createDatabase('db1', { rp: 'rp1' });
  });
  after(async function () {
    if (influx) await influx.stop();
  });
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()();
  });

  async function openStream(url, { drop }) {
    const opened = await openTestStream({
      remote: { remoteURL: url, remoteOrgID: '', writeAPI: 'v1' },
      stream: { id: 'stall', name: 'stall', remoteID: 'influx', remoteBucketName: 'db1/rp1', gzip: true, dropNonRetryableData: drop },
      writer: { requestTimeoutMs: 10_000 },
    });
    cleanups.push(() => opened.close());
    return opened;
  }

  it('a field type conflict in one 2,000-line message: the blocked stream shows the 400, counts one line, and resends only it', async function () {
    const relay = await startCountingRelay(influx.url);
    cleanups.push(() => relay.stop());
    const { stream } = await openStream(relay.url, { drop: false });
    const lines = makeLines('conflict', 2000);
    // `v` is a float field; a string in one line is a field type conflict.
    const bad = lines[1500].replace(/v=[\d.]+/, 'v="text"');
    lines[1500] = bad;
    await stream.enqueue(lines);
    const row = await waitFor(() => {
      const r = stream.row();
      return r.state === 'blocked' && stream.figuresSnapshot().retries >= 1 ? r : null;
    }, { timeoutMs: 20_000 });
    assert.strictEqual(row.latestResponseCode, 400);
    assert.match(row.latestErrorMessage, /field type conflict/);
    assert.strictEqual(row.remainingLinesToBeSynced, 1);
    assert.strictEqual(row.remainingBytesToBeSynced, Buffer.byteLength(bad));
    assert.deepStrictEqual(statusOf(row), { fill: 'red', shape: 'ring', text: `400 · ${Buffer.byteLength(bad)} B` });
    assert.strictEqual(await influx.countPoints('db1', 'rp1', 'conflict'), 1999);

    // Once blocked, the bisection is over: every request from then on is a retry of the kept line alone.
    const seen = relay.requests.length;
    // Answered ones only: the relay records a request before its answer comes back.
    const answered = () => relay.requests.slice(seen).filter((r) => r.status !== null);
    await waitFor(() => answered().length >= 3, { timeoutMs: 20_000 });
    const retries = answered();
    assert.ok(retries.length >= 3);
    for (const r of retries) {
      assert.deepStrictEqual(r.lines, [bad]);
      assert.strictEqual(r.status, 400);
    }
    const again = stream.row();
    assert.strictEqual(again.latestResponseCode, 400);
    assert.match(again.latestErrorMessage, /field type conflict/);
  });

  it('a message holding only a line with 100 tags is dropped once later messages show the server is healthy', async function () {
    const { stream, dropped } = await openStream(influx.url, { drop: true });
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}=v${i}`).join(',');
    const panic = `alone,${tags} v=1 ${BASE_NS}`;
    await stream.enqueue([panic]);
    await waitFor(() => stream.figuresSnapshot().requests >= 3, { timeoutMs: 20_000 });
    const behind = makeLines('alonebehind', 5);
    for (const line of behind) await stream.enqueue([line]);
    await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { timeoutMs: 20_000 });
    assert.deepStrictEqual(dropped.map((d) => [d.lines, d.statusCode]), [[[panic], 500]]);
    assert.strictEqual(await influx.countPoints('db1', 'rp1', 'alonebehind'), 5);
  });

  for (const drop of [true, false]) {
    it(`a line with a control character (unreadable refusal) is isolated and ${drop ? 'dropped' : 'kept with a clear status'}`, async function () {
      const measurement = drop ? 'ctrldrop' : 'ctrlkeep';
      const { stream, dropped } = await openStream(influx.url, { drop });
      const lines = makeLines(measurement, 300);
      // Put in the queue as it is, as an older version of the node may have queued it: 1.6.7 has no unsigned
      // integers, so it refuses the line and echoes it, control character and all, in X-Influxdb-Error.
      const control = `${measurement},host=a\u0001 v=1u ${BASE_NS + 999_000_000n}`;
      lines[120] = control;
      await stream.enqueue(lines);
      if (drop) {
        await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { timeoutMs: 20_000 });
        assert.deepStrictEqual(dropped.map((d) => d.lines), [[control]]);
        assert.match(dropped[0].error, /could not be read.*Invalid header value char/);
        const behind = makeLines(`${measurement}behind`, 50);
        await stream.enqueue(behind);
        await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { timeoutMs: 20_000 });
        assert.strictEqual(await influx.countPoints('db1', 'rp1', `${measurement}behind`), 50);
      } else {
        const row = await waitFor(() => (stream.row().state === 'blocked' ? stream.row() : null), { timeoutMs: 20_000 });
        assert.strictEqual(row.latestResponseCode, 0);
        assert.match(row.latestErrorMessage, /could not be read.*for this line alone/);
        assert.strictEqual(row.remainingLinesToBeSynced, 1);
        assert.match(statusOf(row).text, /^bad reply · /);
        assert.strictEqual(dropped.length, 0);
      }
      assert.strictEqual(await influx.countPoints('db1', 'rp1', measurement), 299);
    });

    it(`a line with exactly 100 tags (1.6.7 answers 500) is isolated and ${drop ? 'dropped' : 'kept with a clear status'}`, async function () {
      const measurement = drop ? 'tagsdrop' : 'tagskeep';
      const { stream, dropped } = await openStream(influx.url, { drop });
      const lines = makeLines(measurement, 500);
      const tags = Array.from({ length: 100 }, (_, i) => `t${i}=v${i}`).join(',');
      const panic = `${measurement},${tags} v=1 ${BASE_NS + 777_000_000n}`;
      lines[333] = panic;
      await stream.enqueue(lines);
      if (drop) {
        await waitFor(() => stream.row().remainingLinesToBeSynced === 0, { timeoutMs: 20_000 });
        assert.deepStrictEqual(dropped.map((d) => [d.lines, d.statusCode]), [[[panic], 500]]);
        assert.match(dropped[0].error, /HTTP 500 for this line alone/);
        assert.strictEqual(stream.row().state, 'ok');
      } else {
        const row = await waitFor(() => (stream.row().state === 'blocked' ? stream.row() : null), { timeoutMs: 20_000 });
        assert.strictEqual(row.latestResponseCode, 500);
        assert.match(row.latestErrorMessage, /HTTP 500 for this line alone/);
        assert.strictEqual(row.remainingLinesToBeSynced, 1);
        assert.match(statusOf(row).text, /^500 · /);
      }
      // The 499 others are stored (the line with 100 tags, or rather its series, never is).
      await waitFor(async () => (await influx.countPoints('db1', 'rp1', measurement, { field: 'v' })) === 499, { timeoutMs: 10_000 });
    });
  }
});

'use strict';
// A stream that cannot deliver one line must say so, and must not stall on it for ever: a line refused with 400
// (kept: the stream shows the refusal, counts only what the remote has not taken, and resends only that line),
// an answer the client cannot read (InfluxDB 1.x echoes a refused line, control characters and all, in a
// header), and a line the remote fails on with 500 every time (InfluxDB 1.6.7 panics on some lines).
const assert = require('assert');
const http = require('http');
const { MAX_STATUS_TEXT } = require('../../nodes/lib/node-status');
const { englishStatusOf: statusOf } = require('../harness/english-status');
const { startCannedServer } = require('../harness/canned-server');
const { waitFor } = require('../harness/servers');
const { openTestStream } = require('../harness/test-stream');

const TOKEN = 'tok-blocked-5e1';

function lines(n, tag = 'a') {
  return Array.from({ length: n }, (_, i) => `m,t=${tag} v=${i} ${1700000000000000000 + i}`);
}
const linesOf = (body) => (body === '' ? [] : body.split('\n'));

/**
 * A remote that speaks HTTP by hand, so that it can answer what Node's server would refuse to send: for each
 * request `script(lines, index)` returns { status } for a normal answer, or { rawHeader } to answer 400 with
 * that header value as it is (control characters included), as InfluxDB 1.x does. Requests are recorded with
 * their lines and what they got.
 */
async function startRawRemote(script) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const record = { lines: linesOf(body) };
      const index = requests.length;
      requests.push(record);
      const answer = script(record.lines, index);
      record.status = answer.rawHeader !== undefined ? 'raw' : answer.status;
      if (answer.rawHeader !== undefined) {
        const json = JSON.stringify({ error: answer.rawHeader });
        req.socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Influxdb-Error: ${answer.rawHeader}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
        );
        return;
      }
      res.writeHead(answer.status, answer.status === 204 ? {} : { 'content-type': 'application/json' });
      res.end(answer.status === 204 ? undefined : JSON.stringify({ error: answer.error || 'error' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    accepted: () => requests.filter((r) => r.status === 204).flatMap((r) => r.lines),
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * A remote that answers `downAnswer` (a 500) to everything until `recover()`, then stores what it gets (in `stored`,
 * in the order first seen); stopped by `cleanups`.
 */
async function remoteDownWith500(cleanups, downAnswer = { status: 500, body: 'Internal Server Error' }) {
  let down = true;
  const stored = new Set();
  const server = await startCannedServer((req) => {
    if (down) return downAnswer;
    for (const l of linesOf(req.body)) stored.add(l);
    return { status: 204 };
  });
  cleanups.push(() => server.stop());
  return { server, stored, recover: () => (down = false) };
}

/** Enqueues each line as a message of its own, 20 ms apart, as from a sensor flow. */
async function enqueueOneByOne(stream, lines) {
  for (const line of lines) {
    await stream.enqueue([line]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('writer: blocked and stalled streams', function () {
  this.timeout(20000);
  const cleanups = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()();
  });

  async function openStream(url, options = {}) {
    const opened = await openTestStream({
      remote: { remoteURL: url },
      credentials: { remoteAPIToken: TOKEN },
      stream: { maxBatchBytes: options.maxBatchBytes || 500000, gzip: options.gzip ?? false, dropNonRetryableData: options.drop ?? false },
      writer: { maxBackoffMs: 100, ...(options.writer || {}) },
    });
    cleanups.push(() => opened.close());
    return opened;
  }

  describe('a line refused with 400 and kept', function () {
    /** Stores good lines and refuses lines holding BAD, like InfluxDB 1.x's partial write. */
    function partialWrite(state) {
      return (req) => {
        const all = linesOf(req.body);
        const bad = all.filter((l) => l.includes('BAD') && !state.accept);
        for (const l of all) if (!bad.includes(l)) state.stored.add(l);
        return bad.length ? { status: 400, body: { error: `partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=${bad.length}` } } : { status: 204 };
      };
    }

    it('shows the refusal (code and message) in the row and the badge, counts only the line not taken, and resends only it', async function () {
      const state = { stored: new Set(), accept: false };
      const server = await startCannedServer(partialWrite(state));
      cleanups.push(() => server.stop());
      const { stream } = await openStream(server.url, { writer: { maxConcurrentRequests: 2 } });
      const all = lines(2000);
      const bad = 'm,t=a v="BAD" 1700000000000001234';
      all[1234] = bad;
      await stream.enqueue(all);
      const blocked = await waitFor(() => {
        const r = stream.row();
        return r.state === 'blocked' && state.stored.size === 1999 ? r : null;
      });
      assert.strictEqual(blocked.latestResponseCode, 400);
      assert.match(blocked.latestErrorMessage, /partial write: field type conflict/);
      assert.strictEqual(blocked.remainingLinesToBeSynced, 1);
      assert.strictEqual(blocked.remainingBytesToBeSynced, Buffer.byteLength(bad));
      assert.deepStrictEqual(statusOf(blocked), { fill: 'red', shape: 'ring', text: `400 · ${Buffer.byteLength(bad)} B` });

      // Retries carry the kept line alone.
      const seen = server.requests.length;
      await waitFor(() => stream.figuresSnapshot().retries >= 3 && server.requests.length >= seen + 2);
      const later = server.requests.slice(seen);
      for (const r of later) assert.deepStrictEqual(linesOf(r.body), [bad]);

      // A batch behind it is delivered (204) meanwhile: the stream still shows the 400 that blocks it.
      const more = lines(10, 'b');
      await stream.enqueue(more);
      await waitFor(() => more.every((l) => state.stored.has(l)));
      await waitFor(() => stream.figuresSnapshot().retries >= 5);
      const still = stream.row();
      assert.strictEqual(still.state, 'blocked');
      assert.strictEqual(still.latestResponseCode, 400);
      assert.match(still.latestErrorMessage, /field type conflict/);
      assert.strictEqual(still.remainingLinesToBeSynced, 1, 'the later batch was delivered; only the kept line remains');
      assert.match(statusOf(still).text, /^400 · /);
      // No line the remote stored before was sent again after the bisection found the bad one.
      const resent = server.requests.slice(seen).flatMap((r) => linesOf(r.body)).filter((l) => l !== bad && !more.includes(l));
      assert.deepStrictEqual(resent, []);

      // The remote takes it at last: the stream drains and shows the success.
      state.accept = true;
      stream.flush();
      const drained = await waitFor(() => {
        const r = stream.row();
        return r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
      });
      assert.strictEqual(drained.latestResponseCode, 204);
      assert.strictEqual(drained.latestErrorMessage, '');
      assert.strictEqual(drained.remainingBytesToBeSynced, 0);
      assert.ok(state.stored.has(bad));
    });

    it('a purge ends the block', async function () {
      const state = { stored: new Set(), accept: false };
      const server = await startCannedServer(partialWrite(state));
      cleanups.push(() => server.stop());
      const { stream } = await openStream(server.url);
      const all = lines(50);
      all[7] = 'm,t=a v="BAD" 7';
      await stream.enqueue(all);
      await waitFor(() => stream.row().state === 'blocked' && stream.row().latestResponseCode === 400);
      await stream.purge();
      await waitFor(() => stream.row().state !== 'blocked');
      const r = stream.row();
      assert.strictEqual(r.remainingLinesToBeSynced, 0);
      assert.strictEqual(r.latestErrorMessage === '' || r.state !== 'blocked', true);
      assert.strictEqual(stream.writerState().linesHeld, 0);
    });
  });

  describe('an answer the client cannot read', function () {
    const controlLine = 'm,t=a\u0001 v=1u 1737325583000000000';
    /** InfluxDB 1.x: the refused line echoed in a header, with its control character. */
    const influxLike = (ls) =>
      ls.includes(controlLine) ? { rawHeader: `partial write: unable to parse '${controlLine}': invalid number dropped=0` } : { status: 204 };

    it('bisects to the line and drops it with dropNonRetryableData; the lines behind it go through', async function () {
      const remote = await startRawRemote(influxLike);
      cleanups.push(() => remote.stop());
      const { stream, dropped } = await openStream(remote.url, { drop: true });
      const all = lines(300);
      all[200] = controlLine;
      await stream.enqueue(all);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      const after = lines(20, 'after');
      await stream.enqueue(after);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0 && after.every((l) => remote.accepted().includes(l)));
      assert.deepStrictEqual(dropped.map((d) => d.lines), [[controlLine]]);
      assert.strictEqual(dropped[0].statusCode, 0);
      assert.match(dropped[0].error, /could not be read.*Invalid header value char.*for this line alone/);
      const got = new Set(remote.accepted());
      assert.deepStrictEqual(all.filter((l) => l !== controlLine && !got.has(l)), []);
      assert.strictEqual(stream.row().linesDropped['non-retryable'], 1);
      assert.ok(remote.requests.length < 40, `${remote.requests.length} requests`);
    });

    it('without dropNonRetryableData blocks with a clear message and status', async function () {
      const remote = await startRawRemote(influxLike);
      cleanups.push(() => remote.stop());
      const { stream, dropped } = await openStream(remote.url);
      const all = lines(100);
      all[0] = controlLine;
      await stream.enqueue(all);
      const r = await waitFor(() => {
        const row = stream.row();
        return row.state === 'blocked' && row.remainingLinesToBeSynced === 1 ? row : null;
      });
      assert.strictEqual(r.latestResponseCode, 0);
      assert.match(r.latestErrorMessage, /could not be read.*for this line alone/);
      const status = statusOf(r);
      assert.strictEqual(status.fill, 'red');
      assert.match(status.text, /^bad reply · /);
      assert.ok(status.text.length <= MAX_STATUS_TEXT);
      assert.strictEqual(dropped.length, 0);
      assert.deepStrictEqual(all.slice(1).filter((l) => !remote.accepted().includes(l)), []);
    });

    it('a remote whose every answer is unreadable (a broken proxy) loses nothing: retrying, then all delivered', async function () {
      let broken = true;
      const remote = await startRawRemote(() => (broken ? { rawHeader: 'garbled\u0001' } : { status: 204 }));
      cleanups.push(() => remote.stop());
      const { stream, dropped } = await openStream(remote.url, { drop: true });
      const all = lines(1000);
      await stream.enqueue(all);
      await waitFor(() => remote.requests.length >= 30);
      const r = stream.row();
      assert.strictEqual(r.state, 'retrying');
      assert.match(r.latestErrorMessage, /could not be read/);
      assert.strictEqual(r.remainingLinesToBeSynced, 1000);
      broken = false;
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.strictEqual(dropped.length, 0);
      assert.deepStrictEqual(all.filter((l) => !remote.accepted().includes(l)), []);
    });
  });

  describe('a line the remote fails on with 500 every time', function () {
    const poison = `m,${Array.from({ length: 100 }, (_, i) => `t${i}=v`).join(',')} v=1 1700000000000000999`;
    const panics = (req) => (linesOf(req.body).includes(poison) ? { status: 500, body: 'Internal Server Error\n' } : { status: 204 });

    for (const drop of [true, false]) {
      it(`is isolated after repeated 500s and ${drop ? 'dropped' : 'kept, blocking the stream with the answer'}; the rest drains`, async function () {
        const server = await startCannedServer(panics);
        cleanups.push(() => server.stop());
        const { stream, dropped } = await openStream(server.url, { drop });
        const all = lines(2000);
        all[777] = poison;
        await stream.enqueue(all);
        const accepted = () => new Set(server.requests.filter((r) => !linesOf(r.body).includes(poison)).flatMap((r) => linesOf(r.body)));
        await waitFor(() => accepted().size === 1999);
        if (drop) {
          await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
          assert.deepStrictEqual(dropped.map((d) => [d.lines, d.statusCode]), [[[poison], 500]]);
          assert.match(dropped[0].error, /HTTP 500 for this line alone, while the remote accepts other lines: Internal Server Error/);
          assert.strictEqual(stream.row().state, 'ok');
        } else {
          const r = await waitFor(() => (stream.row().state === 'blocked' ? stream.row() : null));
          assert.strictEqual(r.latestResponseCode, 500);
          assert.match(r.latestErrorMessage, /HTTP 500 for this line alone/);
          assert.strictEqual(r.remainingLinesToBeSynced, 1);
          assert.match(statusOf(r).text, /^500 · /);
          assert.strictEqual(dropped.length, 0);
        }
        // Three 500s on the whole batch, then about two requests per level of the bisection.
        const untilIsolated = server.requests.findIndex((r) => linesOf(r.body).length === 1 && linesOf(r.body)[0] === poison);
        assert.ok(untilIsolated > 0 && untilIsolated < 30, `the line was isolated after ${untilIsolated} requests`);
      });
    }

    it('two such lines side by side at the start of a batch are both isolated and dropped', async function () {
      const second = poison.replace('v=1 ', 'v=2 ').replace(/ \d+$/, ' 1700000000000000998');
      const server = await startCannedServer((req) => {
        const ls = linesOf(req.body);
        return ls.includes(poison) || ls.includes(second) ? { status: 500, body: 'Internal Server Error\n' } : { status: 204 };
      });
      cleanups.push(() => server.stop());
      const { stream, dropped } = await openStream(server.url, { drop: true });
      const all = [poison, second, ...lines(998)];
      await stream.enqueue(all);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.deepStrictEqual(dropped.flatMap((d) => d.lines).sort(), [poison, second].sort());
      assert.ok(server.requests.length < 40, `${server.requests.length} requests`);
    });

    it('a message of that one line alone: the batches behind it show the remote is healthy, then it is dropped', async function () {
      const server = await startCannedServer(panics);
      cleanups.push(() => server.stop());
      const { stream, dropped } = await openStream(server.url, { drop: true });
      await stream.enqueue([poison]);
      // Alone, nothing shows the remote is otherwise healthy: it is retried, not judged.
      await waitFor(() => server.requests.length >= 8);
      assert.strictEqual(dropped.length, 0);
      assert.strictEqual(stream.row().state, 'retrying');
      assert.strictEqual(stream.row().latestResponseCode, 500);
      // Messages come one at a time behind it, as from a sensor flow.
      const behind = lines(5, 'behind');
      for (const line of behind) await stream.enqueue([line]);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.deepStrictEqual(dropped.map((d) => [d.lines, d.statusCode]), [[[poison], 500]]);
      const accepted = new Set(server.requests.filter((r) => !linesOf(r.body).includes(poison)).flatMap((r) => linesOf(r.body)));
      assert.deepStrictEqual(behind.filter((l) => !accepted.has(l)), []);
      assert.strictEqual(stream.row().state, 'ok');
    });

    it('a message of that one line alone, kept: the stream is blocked with the answer once a later batch got through', async function () {
      const server = await startCannedServer(panics);
      cleanups.push(() => server.stop());
      const { stream, dropped } = await openStream(server.url, { drop: false });
      await stream.enqueue([poison]);
      await waitFor(() => server.requests.length >= 4);
      await stream.enqueue(lines(3, 'behind'));
      const r = await waitFor(() => (stream.row().state === 'blocked' ? stream.row() : null));
      assert.strictEqual(r.latestResponseCode, 500);
      assert.match(r.latestErrorMessage, /HTTP 500 for this line alone/);
      assert.strictEqual(r.remainingLinesToBeSynced, 1);
      assert.strictEqual(dropped.length, 0);
    });

    it('one-line messages while the remote fails everything with 500: nothing dropped, all delivered after', async function () {
      const { server, stored, recover } = await remoteDownWith500(cleanups);
      const { stream, dropped } = await openStream(server.url, { drop: true });
      const all = lines(12);
      await enqueueOneByOne(stream, all);
      await waitFor(() => server.requests.length >= 40);
      assert.strictEqual(dropped.length, 0);
      recover();
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.strictEqual(dropped.length, 0);
      assert.deepStrictEqual(all.filter((l) => !stored.has(l)), []);
    });

    it("one-line messages while a proxy answers 500 with its error page: not suspected, all delivered in order", async function () {
      // tinyproxy answers `500 Unable to connect` (an HTML page) while the remote refuses connections. Taken for the
      // remote's own 500, it would set single lines aside while later ones overtake them.
      const page = { status: 500, headers: { 'content-type': 'text/html' }, body: '<html><head><title>500 Unable to connect</title></head></html>' };
      const { server, stored, recover } = await remoteDownWith500(cleanups, page);
      const { stream, dropped } = await openStream(server.url, { drop: true });
      const all = lines(12);
      await enqueueOneByOne(stream, all);
      await waitFor(() => server.requests.length >= 20);
      const r = stream.row();
      assert.strictEqual(r.state, 'retrying');
      assert.match(r.latestErrorMessage, /a proxy or gateway in front of the remote answered: 500 Unable to connect/);
      // Never bisected: every request while down carried the oldest line first.
      assert.deepStrictEqual([...new Set(server.requests.map((q) => linesOf(q.body)[0]))], [all[0]]);
      recover();
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.strictEqual(dropped.length, 0);
      assert.deepStrictEqual([...stored], all, 'first deliveries in queue order');
    });

    it('a line the remote fails on only for a while is sent alone again before it is judged, and delivered', async function () {
      const flaky = 'm,t=flaky v=1 1700000000000000500';
      let aloneFailures = 0;
      const server = await startCannedServer((req) => {
        const ls = linesOf(req.body);
        if (!ls.includes(flaky)) return { status: 204 };
        // Fails on it until it has been sent alone once (a remote restarting a shard, say), then takes it.
        if (ls.length === 1 && aloneFailures++ >= 1) return { status: 204 };
        return { status: 500, body: 'timeout' };
      });
      cleanups.push(() => server.stop());
      const { stream, dropped } = await openStream(server.url, { drop: true });
      const all = lines(1000);
      all[500] = flaky;
      await stream.enqueue(all);
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.strictEqual(dropped.length, 0);
      assert.strictEqual(aloneFailures, 2);
      assert.strictEqual(stream.row().state, 'ok');
    });

    it('a remote that fails everything with 500 drops nothing and tries only a few parts of a batch', async function () {
      const { server, stored, recover } = await remoteDownWith500(cleanups);
      const { stream, dropped } = await openStream(server.url, { drop: true });
      const all = lines(4000);
      await stream.enqueue(all);
      await waitFor(() => server.requests.length >= 40);
      const r = stream.row();
      assert.strictEqual(r.state, 'retrying');
      assert.strictEqual(r.latestResponseCode, 500);
      assert.strictEqual(r.remainingLinesToBeSynced, 4000);
      // Each suspicion tries one path down the batch and one sibling, not every line.
      const sizes = server.requests.map((q) => linesOf(q.body).length);
      assert.ok(sizes.filter((n) => n === 1).length <= 2 * sizes.filter((n) => n === 4000).length, `sizes tried: ${sizes.join(',')}`);
      recover();
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.strictEqual(dropped.length, 0);
      assert.strictEqual(stream.row().linesDropped['non-retryable'], 0);
      assert.deepStrictEqual(all.filter((l) => !stored.has(l)), []);
    });

    it('503 is never taken for a bad line: retried whole with backoff', async function () {
      let calls = 0;
      const server = await startCannedServer(() => (++calls <= 6 ? { status: 503, body: 'busy' } : { status: 204 }));
      cleanups.push(() => server.stop());
      const { stream, dropped } = await openStream(server.url, { drop: true });
      await stream.enqueue(lines(100));
      await waitFor(() => stream.row().remainingLinesToBeSynced === 0);
      assert.deepStrictEqual(server.requests.map((q) => linesOf(q.body).length), Array(7).fill(100));
      assert.strictEqual(dropped.length, 0);
    });
  });
});

'use strict';
// The send loop against an in-memory queue and scripted HTTP servers: merging, exact acknowledgement,
// bisection of bad lines, 413 splits, backoff, pause/flush/stop/retarget, concurrency, secrets.
const assert = require('assert');
const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { StreamWriter, RemoteClient } = require('../../nodes/lib/writer');
const { watchWriter, writerFigures } = require('../harness/writer-metrics');
const { DurableQueue } = require('../../nodes/lib/queue');
const { cannedServers } = require('../harness/canned-server');
const { cleanupsAfterEach } = require('../harness/cleanups');
const { waitFor } = require('../harness/servers');
const { MemoryQueue } = require('../harness/memory-queue');

const TOKEN = 'tok-very-secret-123';

function lines(n, from = 0, tag = 'a') {
  return Array.from({ length: n }, (_, i) => `m,t=${tag} v=${from + i} ${from + i}`);
}

/** A server that stores good lines and refuses lines containing BAD like InfluxDB 1.x: a partial write. */
function partialWriteServer(state) {
  return (req) => {
    const body = req.body;
    const all = body === '' ? [] : body.split('\n');
    const bad = all.filter((l) => l.includes('BAD') && !state.accept.has(l));
    for (const l of all) if (!bad.includes(l)) state.stored.push(l);
    if (bad.length === 0) return { status: 204 };
    return { status: 400, body: { error: `partial write: field type conflict dropped=${bad.length}` } };
  };
}

describe('writer StreamWriter', function () {
  const cleanups = cleanupsAfterEach();
  const canned = cannedServers(cleanups);
  function client(url) {
    const c = new RemoteClient({ remoteURL: url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: TOKEN });
    cleanups.push(() => c.close());
    return c;
  }
  function writer(queue, url, options = {}) {
    const w = watchWriter(new StreamWriter(queue, client(url), 'bucket', { initialBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 5000, ...options }));
    cleanups.push(() => w.stop(1000));
    return w;
  }
  const sentLines = (server) => server.requests.flatMap((r) => (r.body === '' ? [] : r.body.split('\n')));
  /** A server that holds its first answer until release() (a request in flight), then answers 204. */
  async function holdingFirstAnswer() {
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const server = await canned(async (req, index) => {
      if (index === 0) await held;
      return { status: 204 };
    });
    return { server, release };
  }

  it('merges small queued writes into one request and acks them all', async function () {
    const server = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    for (let i = 0; i < 50; i++) queue.append(lines(2, i * 2));
    const w = writer(queue, server.url);
    w.start();
    await waitFor(() => queue.allAcked);
    assert.strictEqual(server.requests.length, 1);
    assert.deepStrictEqual(sentLines(server), lines(100));
    const s = writerFigures(w);
    assert.strictEqual(s.linesSent, 100);
    assert.strictEqual(s.requests, 1);
    assert.strictEqual(s.latestResponseCode, 204);
    assert.strictEqual(s.bytesSent, server.requests[0].rawBody.length);
    assert.ok(s.lastSuccessAt > 0);
    // Later appends wake the writer.
    queue.append(lines(3, 100));
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(server), lines(103));
    assert.strictEqual(writerFigures(w).state, 'idle');
  });

  it('splits a record over several requests of at most maxBatchBytes, in order, acking it once', async function () {
    const server = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    queue.append(lines(1, 0, 'first'));
    queue.append(lines(200, 1));
    queue.append(lines(1, 201, 'last'));
    const w = writer(queue, server.url, { maxBatchBytes: 1000, gzip: false });
    w.start();
    await waitFor(() => queue.allAcked);
    for (const r of server.requests) assert.ok(r.rawBody.length <= 1000, `${r.rawBody.length} bytes`);
    // The big record's lines fill each batch as far as whole lines allow: no request but the last could have
    // taken the next line.
    const longest = Math.max(...server.requests.flatMap((r) => r.rawBody.toString().split('\n')).map((l) => l.length));
    for (const r of server.requests.slice(0, -1)) assert.ok(r.rawBody.length > 1000 - 1 - longest, `${r.rawBody.length} bytes`);
    assert.ok(server.requests.length >= 4);
    assert.deepStrictEqual(sentLines(server), [...lines(1, 0, 'first'), ...lines(200, 1), ...lines(1, 201, 'last')]);
    // Acks only ever name whole records and grow.
    assert.deepStrictEqual(queue.ackCalls, [...queue.ackCalls].sort((a, b) => a - b));
    assert.strictEqual(writerFigures(w).linesSent, 202);
  });

  it('isolates one bad line among 5,000 by bisection and drops it when allowed', async function () {
    const state = { stored: [], accept: new Set() };
    const server = await canned(partialWriteServer(state));
    const queue = new MemoryQueue();
    const all = lines(5000);
    all[1234] = 'm,t=a v="BAD" 1234';
    for (let i = 0; i < 50; i++) queue.append(all.slice(i * 100, i * 100 + 100));
    const w = writer(queue, server.url, { dropNonRetryableData: true });
    const drops = [];
    w.on('dropped', (d) => drops.push(d));
    w.start();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(drops.map((d) => d.lines), [['m,t=a v="BAD" 1234']]);
    assert.strictEqual(drops[0].statusCode, 400);
    assert.match(drops[0].errorMessage, /partial write: field type conflict/);
    const good = all.filter((l, i) => i !== 1234);
    assert.deepStrictEqual([...new Set(state.stored)].sort(), [...good].sort());
    const s = writerFigures(w);
    assert.strictEqual(s.linesDropped, 1);
    assert.strictEqual(s.linesSent, 4999);
    // O(k log n): one request for the batch, then two per level of halving.
    assert.ok(s.requests <= 1 + 2 * Math.ceil(Math.log2(5000)), `${s.requests} requests`);
  });

  it('from a real queue: sends the stored bytes unchanged (multi-byte text) and bisection still isolates a bad line', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-stream-queue-'));
    const queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
    cleanups.push(async () => {
      await queue.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const state = { stored: [], accept: new Set() };
    const server = await canned(partialWriteServer(state));
    const all = Array.from({ length: 3000 }, (_, i) => `m,loc=${['Zürich', '東京', 'größe'][i % 3]} v=${i}i,s="€😀" ${i}`);
    all[2222] = 'm,loc=東京 v="BAD €" 2222';
    for (let i = 0; i < 30; i++) await queue.append(all.slice(i * 100, i * 100 + 100));
    // Batches of about 20 records each, so that batches join several records and split none.
    const w = writer(queue, server.url, { dropNonRetryableData: true, maxBatchBytes: 60_000 });
    const drops = [];
    w.on('dropped', (d) => drops.push(d));
    w.start();
    await waitFor(() => queue.stats().unsentLines === 0);
    assert.deepStrictEqual(drops.map((d) => d.lines), [['m,loc=東京 v="BAD €" 2222']]);
    const good = all.filter((l, i) => i !== 2222);
    // Every good line, first seen in queue order (a partial write stores the good lines of a refused batch,
    // so bisection sends some of them again).
    assert.deepStrictEqual([...new Set(state.stored)], good);
    assert.ok(server.requests.length > 2, `${server.requests.length} requests`);
    for (const r of server.requests) assert.strictEqual(r.headers['content-encoding'], 'gzip');
    const s = writerFigures(w);
    assert.strictEqual(s.linesSent, 2999);
    assert.strictEqual(s.linesDropped, 1);
    assert.strictEqual(queue.stats().acknowledged.lines, 3000);
  });

  for (const [gzip, inFlight] of [[true, 1], [false, 1], [false, 4]]) {
    it(`from a real queue (gzip ${gzip ? 'on' : 'off'}, ${inFlight} in flight): records of every size arrive whole${inFlight === 1 ? ' and in order' : ''} while buffers are reused`, async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-stream-queue-'));
      const queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
      cleanups.push(async () => {
        await queue.close();
        fs.rmSync(dir, { recursive: true, force: true });
      });
      // A little delay, so that with several requests in flight they really overlap.
      const server = await canned(() => ({ status: 204, delayMs: inFlight > 1 ? 5 : 0 }));
      const all = [];
      // Small records merged into one batch, records bigger than a batch (split, and left over in the
      // batcher while the next read happens), multi-byte text.
      const sizes = [1, 3, 250, 2, 40, 600, 1, 1, 90, 333, 7, 120, 1000, 5];
      for (const [r, n] of sizes.entries()) {
        const lines = Array.from({ length: n }, (_, k) => `m,r=${r},loc=${k % 2 ? 'Zürich' : '東京'} v=${all.length + k}i ${all.length + k}`);
        all.push(...lines);
        await queue.append(lines);
      }
      const w = writer(queue, server.url, { gzip, maxBatchBytes: 20_000, maxConcurrentRequests: inFlight });
      w.start();
      await waitFor(() => queue.stats().unsentLines === 0);
      if (inFlight === 1) assert.deepStrictEqual(sentLines(server), all);
      else assert.deepStrictEqual([...sentLines(server)].sort(), [...all].sort());
      for (const r of server.requests) assert.ok(Buffer.byteLength(r.body) <= 20_000, `${Buffer.byteLength(r.body)} bytes`);
      assert.strictEqual(writerFigures(w).linesSent, all.length);
    });
  }

  it('isolates several bad lines with O(k log n) requests', async function () {
    const state = { stored: [], accept: new Set() };
    const server = await canned(partialWriteServer(state));
    const queue = new MemoryQueue();
    const all = lines(4096);
    const badAt = [7, 2000, 4095];
    for (const i of badAt) all[i] = `m,t=a v="BAD" ${i}`;
    queue.append(all);
    const w = writer(queue, server.url, { dropNonRetryableData: true, maxBatchBytes: 10_000_000 });
    let dropped = [];
    w.on('dropped', (d) => (dropped = dropped.concat(d.lines)));
    w.start();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(dropped, badAt.map((i) => all[i]));
    const s = writerFigures(w);
    assert.strictEqual(s.linesSent, 4096 - 3);
    assert.ok(s.requests <= 1 + 2 * 3 * 12, `${s.requests} requests`);
  });

  it('without dropNonRetryableData keeps retrying a bad line, delivers the good ones, and reports being blocked', async function () {
    const state = { stored: [], accept: new Set() };
    const server = await canned(partialWriteServer(state));
    const queue = new MemoryQueue();
    const all = lines(100);
    all[40] = 'm,t=a v="BAD" 40';
    queue.append(all.slice(0, 50));
    queue.append(all.slice(50));
    const w = writer(queue, server.url, { dropNonRetryableData: false });
    const drops = [];
    w.on('dropped', (d) => drops.push(d));
    w.start();
    // After the first retry of the isolated line, its 400 is the latest answer (good halves answered 204 before).
    await waitFor(() => writerFigures(w).blockedBy === 'data' && writerFigures(w).retries >= 1 && writerFigures(w).latestResponseCode === 400 && new Set(state.stored).size === 99);
    let s = writerFigures(w);
    assert.strictEqual(s.state, 'blocked');
    assert.strictEqual(s.latestResponseCode, 400);
    assert.match(s.latestErrorMessage, /partial write: field type conflict/);
    assert.strictEqual(queue.acked, 0, 'nothing acknowledged while a line of the first record is refused');
    const before = s.requests;
    await waitFor(() => writerFigures(w).retries >= 2 && writerFigures(w).requests > before + 1);
    // The remote changes its mind (say the conflicting measurement was dropped): the line goes through.
    state.accept.add(all[40]);
    await waitFor(() => queue.allAcked);
    s = writerFigures(w);
    assert.strictEqual(drops.length, 0);
    assert.strictEqual(s.linesDropped, 0);
    assert.strictEqual(s.blockedBy, null);
    assert.strictEqual(s.latestErrorMessage, '');
    assert.ok(state.stored.includes(all[40]));
  });

  it('on 413 halves the batch until each part fits; a single line still too large is a data error', async function () {
    const server = await canned((req) => (req.rawBody.length > 300 ? { status: 413, body: { error: 'Request Entity Too Large' } } : { status: 204 }));
    const queue = new MemoryQueue();
    const huge = `m,t=a s="${'x'.repeat(400)}" 999`;
    queue.append(lines(30));
    queue.append([huge]);
    queue.append(lines(5, 30));
    const w = writer(queue, server.url, { gzip: false, dropNonRetryableData: true });
    const drops = [];
    w.on('dropped', (d) => drops.push(d));
    w.start();
    await waitFor(() => queue.allAcked);
    const accepted = server.requests.filter((r) => r.rawBody.length <= 300).flatMap((r) => r.body.split('\n'));
    assert.deepStrictEqual(accepted, [...lines(30), ...lines(5, 30)]);
    assert.deepStrictEqual(drops.map((d) => [d.lines, d.statusCode]), [[[huge], 413]]);
  });

  it('retries 5xx and network errors with backoff, without losing or repeating acknowledged data', async function () {
    let calls = 0;
    const server = await canned(() => {
      calls++;
      if (calls === 1) return { status: 500, body: 'internal' };
      if (calls === 2) return { destroy: true };
      if (calls === 3) return { status: 502 };
      return { status: 204 };
    });
    const queue = new MemoryQueue();
    queue.append(lines(10));
    const w = writer(queue, server.url);
    const codes = [];
    w.on('change', (s) => codes.push(s.latestResponseCode));
    w.start();
    await waitFor(() => queue.allAcked);
    assert.ok(codes.includes(500) && codes.includes(0) && codes.includes(502));
    const s = writerFigures(w);
    assert.strictEqual(s.retries, 3);
    assert.strictEqual(s.requests, 4);
    assert.strictEqual(s.linesSent, 10);
    for (const r of server.requests) assert.deepStrictEqual(r.body.split('\n'), lines(10));
  });

  it('a backoff is not bypassed by new data, and flush() skips it once', async function () {
    let fail = true;
    const times = [];
    const server = await canned(() => {
      times.push(Date.now());
      return fail ? { status: 503, body: 'busy' } : { status: 204 };
    });
    const queue = new MemoryQueue();
    queue.append(lines(1));
    const w = writer(queue, server.url, { initialBackoffMs: 60_000, maxBackoffMs: 60_000, random: () => 1 });
    w.start();
    await waitFor(() => writerFigures(w).state === 'retrying');
    const s = writerFigures(w);
    assert.ok(s.nextAttemptAt >= Date.now() + 50_000);
    for (let i = 0; i < 5; i++) queue.append(lines(1, i + 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.strictEqual(server.requests.length, 1, 'appends must not trigger a send during backoff');
    fail = false;
    w.flush();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(server).slice(1), lines(6));
    assert.strictEqual(writerFigures(w).nextAttemptAt, null);
  });

  it('401/403/404 block the stream as configuration errors, never drop, and say why without secrets', async function () {
    const server = await canned((req) => ({ status: 401, body: { error: `authorization failed for ${req.headers.authorization}` } }));
    const queue = new MemoryQueue();
    queue.append(lines(3));
    const w = writer(queue, server.url, { dropNonRetryableData: true });
    const events = [];
    w.on('change', (s) => events.push(JSON.stringify(s)));
    w.on('dropped', () => assert.fail('config errors are never dropped'));
    w.start();
    await waitFor(() => writerFigures(w).requests >= 3);
    const s = writerFigures(w);
    assert.strictEqual(s.state, 'blocked');
    assert.strictEqual(s.blockedBy, 'config');
    assert.strictEqual(s.latestResponseCode, 401);
    assert.match(s.latestErrorMessage, /authorization failed for Token \*\*\*/);
    assert.strictEqual(queue.acked, 0);
    assert.ok(events.length > 0);
    for (const e of events) assert.ok(!e.includes(TOKEN));
  });

  it('reports status 0 for a network error', async function () {
    const port = await new Promise((resolve) => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const queue = new MemoryQueue();
    queue.append(lines(1));
    const w = writer(queue, `http://127.0.0.1:${port}`);
    w.start();
    await waitFor(() => writerFigures(w).requests >= 2);
    const s = writerFigures(w);
    assert.strictEqual(s.latestResponseCode, 0);
    assert.strictEqual(s.state, 'retrying');
    assert.match(s.latestErrorMessage, /ECONNREFUSED/);
    assert.strictEqual(queue.acked, 0);
  });

  it('pause() holds new sends until resume()', async function () {
    const server = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    const w = writer(queue, server.url);
    w.start();
    w.pause();
    queue.append(lines(4));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.strictEqual(server.requests.length, 0);
    assert.strictEqual(writerFigures(w).state, 'paused');
    w.resume();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(server), lines(4));
  });

  it('stop() lets a quick in-flight request finish and be acknowledged', async function () {
    const server = await canned(() => ({ status: 204, delayMs: 150 }));
    const queue = new MemoryQueue();
    queue.append(lines(2));
    const w = writer(queue, server.url);
    w.start();
    await waitFor(() => server.requests.length === 1);
    await w.stop(5000);
    assert.strictEqual(queue.acked, 1);
    assert.strictEqual(writerFigures(w).state, 'stopped');
    queue.append(lines(1, 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.strictEqual(server.requests.length, 1, 'no sends after stop');
  });

  it('stop() abandons a hung request after the timeout and leaves the records queued', async function () {
    const server = await canned(() => ({ status: 204, delayMs: 10_000 }));
    const queue = new MemoryQueue();
    queue.append(lines(2));
    const w = writer(queue, server.url);
    w.start();
    await waitFor(() => server.requests.length === 1);
    const started = Date.now();
    await w.stop(100);
    assert.ok(Date.now() - started < 5000);
    assert.strictEqual(queue.acked, 0);
  });

  it('retarget() sends what is not yet acknowledged to the new remote', async function () {
    const wrong = await canned(() => ({ status: 404, body: { error: 'database not found: "x"' } }));
    const right = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    queue.append(lines(5));
    const w = writer(queue, wrong.url);
    w.start();
    await waitFor(() => writerFigures(w).blockedBy === 'config');
    assert.match(writerFigures(w).latestErrorMessage, /database not found/);
    w.retarget(client(right.url), 'other');
    queue.append(lines(5, 5));
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(right), lines(10));
    assert.strictEqual(new URL(right.requests[0].url, right.url).searchParams.get('bucket'), 'other');
    assert.strictEqual(writerFigures(w).blockedBy, null);
  });

  it('reads and encodes at most 3 batches ahead of the request in flight, and sends them in order', async function () {
    const { server, release } = await holdingFirstAnswer();
    const queue = new MemoryQueue();
    const reads = queue.reads;
    // Records of 899 bytes (four-digit values), one a batch: ten batches queued.
    for (let i = 0; i < 10; i++) queue.append(lines(50, 1000 + i * 50));
    const w = writer(queue, server.url, { maxBatchBytes: 920, gzip: true });
    w.start();
    await waitFor(() => server.requests.length === 1 && reads.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The batch in flight and three ahead; no more while the request is held.
    assert.deepStrictEqual(reads, [1, 1, 1, 1]);
    release();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(server), lines(500, 1000));
    assert.strictEqual(server.requests.length, 10);
  });

  it('a read ahead that found nothing is not followed by more reads, and data appended meanwhile is sent once, in order', async function () {
    const { server, release } = await holdingFirstAnswer();
    const queue = new MemoryQueue();
    const emptyReads = () => queue.reads.filter((n) => n === 0).length;
    // A record of 899 bytes makes a batch on its own (no second read for it).
    queue.append(lines(50, 1000));
    const w = writer(queue, server.url, { maxBatchBytes: 920 });
    w.start();
    await waitFor(() => server.requests.length === 1 && emptyReads() === 1);
    // Appended while the request is held and the reads ahead have already found the queue empty.
    for (let i = 1; i < 6; i++) queue.append(lines(50, 1000 + i * 50));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Reading on after an empty read could take a batch that the empty one, once consumed, would skip.
    assert.strictEqual(emptyReads(), 1);
    release();
    await waitFor(() => queue.allAcked);
    assert.deepStrictEqual(sentLines(server), lines(300, 1000));
  });

  it('with up to 4 concurrent requests delivers everything and acks only contiguous batches', async function () {
    let inflight = 0;
    let maxInflight = 0;
    const server = await canned(async (req, i) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await new Promise((resolve) => setTimeout(resolve, 5 + ((i * 37) % 40)));
      inflight--;
      return { status: 204 };
    });
    const queue = new MemoryQueue();
    for (let i = 0; i < 40; i++) queue.append(lines(10, i * 10));
    const w = writer(queue, server.url, { maxConcurrentRequests: 4, maxBatchBytes: 300 });
    w.start();
    await waitFor(() => queue.allAcked);
    assert.ok(maxInflight > 1 && maxInflight <= 4, `max in flight ${maxInflight}`);
    assert.deepStrictEqual(sentLines(server).sort(), lines(400).sort());
    assert.deepStrictEqual(queue.ackCalls, [...queue.ackCalls].sort((a, b) => a - b));
    assert.strictEqual(writerFigures(w).linesSent, 400);
  });

  it('a failing queue read is reported and retried; a failing ack makes the unacknowledged records go again', async function () {
    const server = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    const realRead = queue.readNext.bind(queue);
    const realAck = queue.ack.bind(queue);
    let readFailures = 1;
    let ackFailures = 1;
    queue.readNext = async (max) => {
      if (readFailures > 0) {
        readFailures--;
        throw new Error('EIO: disk on fire');
      }
      return realRead(max);
    };
    queue.ack = async (pos) => {
      if (ackFailures > 0) {
        ackFailures--;
        throw new Error('ENOSPC: no space for the ack file');
      }
      return realAck(pos);
    };
    queue.append(lines(3));
    const w = writer(queue, server.url);
    const messages = [];
    w.on('change', (s) => messages.push(s.latestErrorMessage));
    w.start();
    await waitFor(() => queue.allAcked);
    assert.ok(messages.some((m) => /queue error: EIO: disk on fire/.test(m)));
    assert.ok(messages.some((m) => /queue error: ENOSPC/.test(m)));
    // The first delivery could not be acknowledged, so its lines went again: at least once, never lost.
    assert.deepStrictEqual(sentLines(server), [...lines(3), ...lines(3)]);
    assert.strictEqual(writerFigures(w).latestErrorMessage, '');
  });

  it('spaces acks while batches go back to back, and acknowledges everything once it has nothing to send', async function () {
    const server = await canned(() => ({ status: 204 }));
    const queue = new MemoryQueue();
    for (let i = 0; i < 40; i++) queue.append(lines(10, i * 10));
    const w = writer(queue, server.url, { maxBatchBytes: 300, ackIntervalMs: 60_000 });
    w.start();
    await waitFor(() => queue.allAcked);
    assert.ok(server.requests.length >= 20, `${server.requests.length} requests`);
    // One ack for the first batch; the rest wait for the interval or for the writer to run out of data.
    assert.ok(queue.ackCalls.length <= 3, `${queue.ackCalls.length} acks`);
    assert.strictEqual(queue.ackCalls[queue.ackCalls.length - 1], 40);
  });
});

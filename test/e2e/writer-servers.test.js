'use strict';
// The writer against real servers: v2 to VictoriaMetrics and v1 (`db/rp`) to InfluxDB 1.6.7, gzip on and off,
// exact counts; 401, 404, partial writes with and without dropNonRetryableData; 413 from a small max-body-size.
const assert = require('assert');
const { StreamWriter, RemoteClient } = require('../../nodes/lib/writer');
const { watchWriter, writerFigures } = require('../harness/writer-metrics');
const { startInfluxDB, startVictoriaMetrics, waitFor } = require('../harness/servers');
// In-memory WriterQueue (positions are record numbers); the DurableQueue is tested in test/unit/queue*.
const { MemoryQueue } = require('../harness/memory-queue');
const { cleanupsAfterEach } = require('../harness/cleanups');

// Ten minutes ago: inside InfluxDB's 1 h retention policy of the tests for the whole run.
const BASE_NS = BigInt(Date.now() - 600_000) * 1_000_000n;
/** Lines with distinct timestamps (1 ms apart, so VictoriaMetrics' ms resolution keeps them distinct). */
function makeLines(measurement, run, n, from = 0) {
  const out = [];
  for (let i = from; i < from + n; i++) {
    out.push(`${measurement},run=${run},host=h${i % 7} v=${i}.5,n=${i}i ${BASE_NS + BigInt(i) * 1_000_000n}`);
  }
  return out;
}
function fill(queue, lines, perRecord) {
  for (let i = 0; i < lines.length; i += perRecord) queue.append(lines.slice(i, i + perRecord));
}

const FAST = { initialBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 10_000 };

describe('writer against real servers', function () {
  this.timeout(30_000);
  const cleanups = cleanupsAfterEach();
  function track(closeable, how = 'close') {
    cleanups.push(() => closeable[how](1000));
    return closeable;
  }

  describe('VictoriaMetrics, v2 write API', function () {
    let vm;
    before(async function () {
      vm = await startVictoriaMetrics();
    });
    after(async function () {
      if (vm) await vm.stop();
    });

    for (const gzip of [true, false]) {
      it(`delivers every line exactly once with gzip ${gzip ? 'on' : 'off'}`, async function () {
        const run = gzip ? 'gz' : 'plain';
        const client = track(new RemoteClient({ remoteURL: vm.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 't' }));
        const queue = new MemoryQueue();
        const lines = makeLines('wv2', run, 20_000);
        fill(queue, lines, 50);
        const writer = track(watchWriter(new StreamWriter(queue, client, 'bucket', { ...FAST, gzip, maxBatchBytes: 200_000 })), 'stop');
        writer.start();
        await waitFor(() => queue.allAcked, { timeoutMs: 20_000 });
        const count = await vm.waitForSamples(`wv2_v{run="${run}"}`, 20_000);
        assert.strictEqual(count, 20_000);
        const state = writerFigures(writer);
        assert.strictEqual(state.linesSent, 20_000);
        const raw = Buffer.byteLength(lines.join('\n'));
        const minimum = Math.ceil(raw / 200_000);
        assert.ok(state.requests >= minimum && state.requests <= minimum + 1, `${state.requests} requests for ${raw} bytes`);
        assert.strictEqual(state.retries, 0);
        assert.strictEqual(state.latestResponseCode, 204);
        if (gzip) assert.ok(state.bytesSent < raw / 3, `${state.bytesSent} bytes on the wire for ${raw}`);
        else assert.strictEqual(state.bytesSent, raw - (state.requests - 1));
      });
    }

    it('validate() answers OK for a reachable VictoriaMetrics', async function () {
      const client = track(new RemoteClient({ remoteURL: vm.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 't' }));
      const result = await client.validate('bucket');
      assert.strictEqual(result.ok, true, result.message);
      assert.strictEqual(result.statusCode, 204);
    });
  });

  describe('InfluxDB 1.6, v1 write API with db/rp and auth', function () {
    let influx;
    before(async function () {
      influx = await startInfluxDB({ auth: true });
      await influx.createDatabase('db1', { rp: 'rp1' });
      await influx.createUser('writer', 'writer-pw-42', { grantWriteOn: 'db1' });
    });
    after(async function () {
      if (influx) await influx.stop();
    });
    function v1(password = 'writer-pw-42') {
      return track(new RemoteClient({ remoteURL: influx.url, remoteOrgID: '', writeAPI: 'v1', allowInsecureTLS: false }, { username: 'writer', password }));
    }

    for (const gzip of [true, false]) {
      it(`delivers every point with gzip ${gzip ? 'on' : 'off'}`, async function () {
        const measurement = gzip ? 'w1gz' : 'w1plain';
        const queue = new MemoryQueue();
        fill(queue, makeLines(measurement, 'x', 10_000), 100);
        const writer = track(watchWriter(new StreamWriter(queue, v1(), 'db1/rp1', { ...FAST, gzip, maxBatchBytes: 100_000 })), 'stop');
        writer.start();
        await waitFor(() => queue.allAcked, { timeoutMs: 20_000 });
        assert.strictEqual(await influx.countPoints('db1', 'rp1', measurement), 10_000);
        assert.strictEqual(writerFigures(writer).linesSent, 10_000);
        assert.ok(writerFigures(writer).requests > 5);
      });
    }

    it('wrong credentials: 401, blocked as a configuration error, nothing acknowledged or leaked', async function () {
      const client = v1('wrong-password');
      const queue = new MemoryQueue();
      fill(queue, makeLines('w401', 'x', 10), 10);
      const writer = track(watchWriter(new StreamWriter(queue, client, 'db1/rp1', FAST)), 'stop');
      writer.start();
      await waitFor(() => writerFigures(writer).requests >= 2);
      const s = writerFigures(writer);
      assert.strictEqual(s.latestResponseCode, 401);
      assert.strictEqual(s.blockedBy, 'config');
      assert.match(s.latestErrorMessage, /authorization failed/);
      assert.ok(!JSON.stringify(s).includes('wrong-password'));
      assert.strictEqual(queue.acked, 0);
      const validation = await client.validate('db1/rp1');
      assert.strictEqual(validation.ok, false);
      assert.match(validation.message, /authentication failed \(HTTP 401\)/);
    });

    it('missing database: 404, blocked, and validate() names it', async function () {
      const client = v1();
      const queue = new MemoryQueue();
      fill(queue, makeLines('w404', 'x', 10), 10);
      const writer = track(watchWriter(new StreamWriter(queue, client, 'nodb/rp1', FAST)), 'stop');
      writer.start();
      await waitFor(() => writerFigures(writer).requests >= 2);
      const s = writerFigures(writer);
      assert.strictEqual(s.latestResponseCode, 404);
      assert.strictEqual(s.state, 'blocked');
      assert.match(s.latestErrorMessage, /database not found/);
      assert.strictEqual(queue.acked, 0);
      const validation = await client.validate('nodb/rp1');
      assert.match(validation.message, /database missing \(HTTP 404\)/);
      assert.strictEqual((await client.validate('db1/rp1')).ok, true);
    });

    for (const drop of [true, false]) {
      it(`partial write (field type conflict) ${drop ? 'with' : 'without'} dropNonRetryableData delivers all good lines`, async function () {
        const measurement = drop ? 'wpartdrop' : 'wpartkeep';
        const lines = makeLines(measurement, 'x', 2000);
        // `n` is an integer field; a float in one line is a type conflict InfluxDB refuses (and stores the rest).
        const badIndex = 1500;
        lines[badIndex] = lines[badIndex].replace(/n=\d+i/, 'n=0.25');
        const queue = new MemoryQueue();
        queue.append(lines.slice(0, 1000)); // written first, so `n` is an integer field by then
        const writer = track(watchWriter(new StreamWriter(queue, v1(), 'db1/rp1', { ...FAST, dropNonRetryableData: drop })), 'stop');
        const drops = [];
        writer.on('dropped', (d) => drops.push(d));
        writer.start();
        await waitFor(() => queue.allAcked);
        queue.append(lines.slice(1000));
        if (drop) {
          await waitFor(() => queue.allAcked);
          assert.deepStrictEqual(drops.map((d) => d.lines), [[lines[badIndex]]]);
          assert.strictEqual(drops[0].statusCode, 400);
          assert.match(drops[0].errorMessage, /partial write: field type conflict/);
          assert.strictEqual(writerFigures(writer).linesDropped, 1);
        } else {
          await waitFor(() => writerFigures(writer).blockedBy === 'data' && writerFigures(writer).retries >= 1);
          const s = writerFigures(writer);
          assert.strictEqual(s.state, 'blocked');
          assert.match(s.latestErrorMessage, /partial write: field type conflict/);
          assert.strictEqual(queue.acked, 1, 'the record with the refused line stays queued');
          assert.strictEqual(drops.length, 0);
        }
        // Either way InfluxDB stored every line but the refused one (resent lines overwrite themselves).
        assert.strictEqual(await influx.countPoints('db1', 'rp1', measurement, { field: 'v' }), 1999);
      });
    }
  });

  describe('InfluxDB 1.6 with a small max-body-size', function () {
    let influx;
    before(async function () {
      influx = await startInfluxDB({ maxBodySize: 20_000 });
      await influx.createDatabase('db1', { rp: 'rp1' });
    });
    after(async function () {
      if (influx) await influx.stop();
    });

    for (const gzip of [true, false]) {
      it(`413 splits batches until they fit, and every point arrives (gzip ${gzip ? 'on' : 'off'})`, async function () {
        const measurement = gzip ? 'w413gz' : 'w413plain';
        const client = track(new RemoteClient({ remoteURL: influx.url, remoteOrgID: '', writeAPI: 'v1', allowInsecureTLS: false }, {}));
        const queue = new MemoryQueue();
        // Random values compress poorly, so even gzipped 500 kB batches exceed 20 kB.
        const lines = makeLines(measurement, 'x', 4000).map((l, i) => l.replace(/ v=[^,]+,/, ` v=${Math.random()},`));
        fill(queue, lines, 400);
        const writer = track(watchWriter(new StreamWriter(queue, client, 'db1/rp1', { ...FAST, gzip })), 'stop');
        const codes = new Set();
        writer.on('change', (state) => codes.add(state.latestResponseCode));
        writer.start();
        await waitFor(() => queue.allAcked, { timeoutMs: 20_000 });
        assert.ok(codes.has(413), `answers seen: ${[...codes]}`);
        const s = writerFigures(writer);
        assert.strictEqual(s.linesSent, 4000);
        assert.strictEqual(s.linesDropped, 0);
        assert.ok(s.requests > 4, `${s.requests} requests`);
        assert.strictEqual(await influx.countPoints('db1', 'rp1', measurement), 4000);
      });
    }
  });
});

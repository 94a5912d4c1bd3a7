'use strict';
// The writer with the real DurableQueue behind a misbehaving network: refused, reset and closed connections,
// a blackhole (timeouts), slow answers, and canned 429/503 with Retry-After. Whatever happens, every line
// arrives exactly once (VictoriaMetrics keeps duplicates, so an exact count also proves there are none) and
// in order, and the queue ends empty.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { StreamWriter, RemoteClient } = require('../../nodes/lib/writer');
const { watchWriter, writerFigures } = require('../harness/writer-metrics');
const { DurableQueue } = require('../../nodes/lib/queue');
const { startVictoriaMetrics, waitFor } = require('../harness/servers');
const { cleanupsAfterEach } = require('../harness/cleanups');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startCannedServer } = require('../harness/canned-server');

const BASE_NS = BigInt(Date.now() - 600_000) * 1_000_000n;
function makeLines(measurement, n) {
  return Array.from({ length: n }, (_, i) => `${measurement},host=h${i % 5} v=${i} ${BASE_NS + BigInt(i) * 1_000_000n}`);
}

describe('writer under network faults', function () {
  this.timeout(30_000);
  let vm;
  let proxy;
  const cleanups = cleanupsAfterEach();
  before(async function () {
    vm = await startVictoriaMetrics();
    proxy = await startFaultProxy(vm.port);
  });
  after(async function () {
    if (proxy) await proxy.stop();
    if (vm) await vm.stop();
  });
  afterEach(async function () {
    await proxy.setMode('pass');
  });

  async function queueWith(lines, perRecord) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-faults-'));
    const queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
    cleanups.push(async () => {
      await queue.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    for (let i = 0; i < lines.length; i += perRecord) await queue.append(lines.slice(i, i + perRecord));
    return queue;
  }
  function start(queue, url, options = {}) {
    const client = new RemoteClient({ remoteURL: url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'token' });
    const writer = watchWriter(new StreamWriter(queue, client, 'bucket', { initialBackoffMs: 20, maxBackoffMs: 200, requestTimeoutMs: 5000, maxBatchBytes: 20_000, ...options }));
    // Registered before the queue's cleanup runs (cleanups run last-in first-out).
    cleanups.push(async () => {
      await writer.stop(1000);
      await client.close();
    });
    writer.start();
    return writer;
  }
  async function assertAllDelivered(queue, writer, measurement, n) {
    await waitFor(() => queue.stats().unsentLines === 0, { timeoutMs: 20_000 });
    assert.strictEqual(await vm.waitForSamples(`${measurement}_v`, n), n);
    const series = await vm.exportSamples(`${measurement}_v`);
    const values = series.flatMap((s) => s.values.map((v, i) => [s.timestamps[i], v])).sort((a, b) => a[0] - b[0]);
    assert.deepStrictEqual(values.map(([, v]) => v), Array.from({ length: n }, (_, i) => i));
    assert.strictEqual(writerFigures(writer).linesSent, n);
  }

  it('a writer stopped mid-stream resumes from the reopened queue without loss or duplicates', async function () {
    const measurement = 'wf_restart';
    const lines = makeLines(measurement, 5000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-restart-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    let queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
    for (let i = 0; i < lines.length; i += 100) await queue.append(lines.slice(i, i + 100));
    await proxy.setMode('delay', { delayMs: 30 });
    const client = new RemoteClient({ remoteURL: proxy.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'token' });
    const first = watchWriter(new StreamWriter(queue, client, 'bucket', { maxBatchBytes: 20_000, initialBackoffMs: 20 }));
    first.start();
    await waitFor(() => writerFigures(first).linesSent >= 1000);
    await first.stop(10_000); // the request in flight finishes and is acknowledged
    await client.close();
    const sentBefore = writerFigures(first).linesSent;
    assert.ok(sentBefore < 5000, `stopped after ${sentBefore} lines`);
    assert.strictEqual(queue.stats().unsentLines, 5000 - sentBefore);
    await queue.close();

    await proxy.setMode('pass');
    queue = await DurableQueue.open({ dir, maxAgeSeconds: 0 });
    cleanups.push(() => queue.close());
    assert.strictEqual(queue.stats().unsentLines, 5000 - sentBefore);
    const second = start(queue, vm.url);
    await waitFor(() => queue.stats().unsentLines === 0, { timeoutMs: 20_000 });
    assert.strictEqual(writerFigures(second).linesSent, 5000 - sentBefore);
    assert.strictEqual(await vm.waitForSamples(`${measurement}_v`, 5000), 5000);
  });

  const faults = [
    { mode: 'refuse', expect: /ECONNREFUSED/ },
    { mode: 'reset', expect: /ECONNRESET|socket|closed/i },
    { mode: 'close', expect: /socket|closed/i },
    { mode: 'blackhole', expect: /timed out after 300 ms/, options: { requestTimeoutMs: 300 } },
  ];
  for (const fault of faults) {
    it(`${fault.mode}: retries with status 0 and a clear message, then delivers everything once`, async function () {
      const measurement = `wf_${fault.mode}`;
      const queue = await queueWith(makeLines(measurement, 3000), 100);
      await proxy.setMode(fault.mode);
      const writer = start(queue, proxy.url, fault.options);
      await waitFor(() => writerFigures(writer).requests >= 3);
      const s = writerFigures(writer);
      assert.strictEqual(s.latestResponseCode, 0);
      assert.strictEqual(s.state, 'retrying');
      assert.match(s.latestErrorMessage, fault.expect);
      assert.strictEqual(queue.stats().unsentLines, 3000, 'nothing acknowledged during the outage');
      await proxy.setMode('pass');
      await assertAllDelivered(queue, writer, measurement, 3000);
      assert.strictEqual(writerFigures(writer).state, 'idle');
    });
  }

  it('slow answers: no retries, everything delivered', async function () {
    const measurement = 'wf_slow';
    const queue = await queueWith(makeLines(measurement, 2000), 50);
    await proxy.setMode('delay', { delayMs: 100 });
    const writer = start(queue, proxy.url);
    await assertAllDelivered(queue, writer, measurement, 2000);
    assert.strictEqual(writerFigures(writer).retries, 0);
  });

  for (const kind of ['429 with Retry-After in seconds', '503 with Retry-After as an HTTP date']) {
    it(`${kind}: waits at least as long as told, loses and reorders nothing`, async function () {
      const lines = makeLines('wf_canned', 600);
      let answered = 0;
      let retryNotBefore = 0;
      const arrivals = [];
      const early = [];
      const server = await startCannedServer(() => {
        arrivals.push(Date.now());
        answered++;
        if (answered === 2 || answered === 4) {
          if (kind.startsWith('429')) {
            retryNotBefore = Date.now() + 1000;
            return { status: 429, headers: { 'retry-after': '1' }, body: { error: 'too many requests' } };
          }
          // HTTP dates have whole seconds: ask for the start of the second after next.
          const at = (Math.floor(Date.now() / 1000) + 2) * 1000;
          retryNotBefore = at;
          return { status: 503, headers: { 'retry-after': new Date(at).toUTCString() }, body: 'service unavailable' };
        }
        if (retryNotBefore) {
          if (Date.now() < retryNotBefore) early.push(retryNotBefore - Date.now());
          retryNotBefore = 0;
        }
        return { status: 204 };
      });
      cleanups.push(() => server.stop());
      const queue = await queueWith(lines, 20);
      const writer = start(queue, server.url, { maxBatchBytes: 10_000 });
      await waitFor(() => queue.stats().unsentLines === 0, { timeoutMs: 20_000 });
      assert.deepStrictEqual(early, [], 'a retry came before Retry-After allowed it (ms early)');
      // Refused requests were repeated as they were; the accepted ones carry every line once, in order.
      const accepted = server.requests.filter((r, i) => i !== 1 && i !== 3);
      assert.deepStrictEqual(accepted.flatMap((r) => r.body.split('\n')), lines);
      assert.strictEqual(server.requests[2].body, server.requests[1].body);
      assert.strictEqual(server.requests[4].body, server.requests[3].body);
      const waitedFirst = arrivals[2] - arrivals[1];
      const waitedSecond = arrivals[4] - arrivals[3];
      if (kind.startsWith('429')) {
        assert.ok(waitedFirst >= 1000 && waitedSecond >= 1000, `waited ${waitedFirst} and ${waitedSecond} ms`);
      }
      const s = writerFigures(writer);
      assert.strictEqual(s.retries, 2);
      assert.strictEqual(s.linesSent, lines.length);
    });
  }
});

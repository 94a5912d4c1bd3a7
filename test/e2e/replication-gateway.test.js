'use strict';
// Issue #5's end-to-end test: a real Node-RED process runs a gateway flow
//   http in -> influxdb-replication -> (Complete) -> http response 204, (Catch) -> http response 400
// in front of a real VictoriaMetrics. 10,000 lines are posted in many requests; half while the remote is down,
// then Node-RED is killed with SIGKILL, restarted, and the remote comes back: every line whose request was
// answered 2xx must arrive.
const assert = require('assert');
const { request } = require('undici');
const { startVictoriaMetrics, waitFor } = require('../harness/servers');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startNodeRed } = require('../harness/node-red');

const LINES_PER_REQUEST = 100;
const REQUESTS_PER_PHASE = 50;
const CONCURRENCY = 4;
const MEASUREMENT = 'gateway';
// One millisecond apart: VictoriaMetrics keeps millisecond timestamps.
const BASE_MS = Date.now() - 3600_000;

function gatewayFlow(remoteURL) {
  return [
    { id: 'gw', type: 'tab', label: 'gateway' },
    { id: 'remote', type: 'influxdb-remote', name: 'vm', remoteURL, remoteOrgID: 'org', writeAPI: 'v2' },
    { id: 'in', z: 'gw', type: 'http in', url: '/ingest', method: 'post', upload: false, swaggerDoc: '', wires: [['repl']] },
    { id: 'repl', z: 'gw', type: 'influxdb-replication', name: 'to vm', remote: 'remote', remoteBucketName: 'bucket', gzip: true, wires: [[], []] },
    { id: 'completer', z: 'gw', type: 'complete', scope: ['repl'], uncaught: false, wires: [['ok']] },
    { id: 'ok', z: 'gw', type: 'http response', statusCode: '204', headers: {}, wires: [] },
    { id: 'catcher', z: 'gw', type: 'catch', scope: ['repl'], uncaught: false, wires: [['why']] },
    { id: 'why', z: 'gw', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], wires: [['bad']] },
    { id: 'bad', z: 'gw', type: 'http response', statusCode: '400', headers: {}, wires: [] },
  ];
}

function body(requestIndex) {
  const lines = [];
  for (let i = 0; i < LINES_PER_REQUEST; i++) {
    const n = requestIndex * LINES_PER_REQUEST + i;
    lines.push(`${MEASUREMENT},source=e2e v=${n} ${(BASE_MS + n) * 1e6}`);
  }
  return lines.join('\n');
}

/** Posts requests [from, to) with a few in flight; returns the indexes answered 2xx. */
async function postRange(red, from, to) {
  const acknowledged = [];
  let next = from;
  async function worker() {
    while (next < to) {
      const index = next++;
      try {
        const res = await request(`${red.url}/ingest`, { method: 'POST', body: body(index), headers: { 'content-type': 'text/plain' } });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) acknowledged.push(index);
      } catch {
        // not acknowledged: allowed to be lost
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return acknowledged;
}

describe('gateway flow end to end (real Node-RED, real VictoriaMetrics)', function () {
  this.timeout(120000);
  let vm;
  let proxy;
  let red;

  before(async () => {
    vm = await startVictoriaMetrics();
    proxy = await startFaultProxy(vm.port);
    red = await startNodeRed({
      flows: gatewayFlow(proxy.url),
      credentials: { remote: { remoteAPIToken: 'unused-by-vm' } },
      settings: { influxdbReplication: { writer: { initialBackoffMs: 100, maxBackoffMs: 500, requestTimeoutMs: 5000 } } },
    });
  });
  after(async () => {
    if (red) await red.stop();
    if (proxy) await proxy.stop();
    if (vm) await vm.stop();
  });

  it('delivers every acknowledged line after an outage and a SIGKILL', async () => {
    const upPhase = await postRange(red, 0, REQUESTS_PER_PHASE);
    assert.strictEqual(upPhase.length, REQUESTS_PER_PHASE, 'every request is answered 204 while the remote is up');

    proxy.setMode('refuse');
    const downPhase = await postRange(red, REQUESTS_PER_PHASE, 2 * REQUESTS_PER_PHASE);
    assert.strictEqual(downPhase.length, REQUESTS_PER_PHASE, 'the gateway still answers 204 (queued) while the remote is down');
    const rows = JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text);
    assert.ok(rows[0].remainingLinesToBeSynced > 0, 'lines are waiting in the queue during the outage');

    await red.kill('SIGKILL');
    await red.restart();
    proxy.setMode('pass');

    const expected = (upPhase.length + downPhase.length) * LINES_PER_REQUEST;
    await waitFor(
      async () => {
        const r = JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text);
        return r[0] && r[0].remainingLinesToBeSynced === 0 && r[0].latestResponseCode === 204;
      },
      { timeoutMs: 60000, message: 'the queue to drain after the restart' },
    );
    await vm.waitForSamples(`${MEASUREMENT}_v`, expected, { timeoutMs: 20000 });
    const series = await vm.exportSamples(`${MEASUREMENT}_v`);
    const timestamps = new Set(series.flatMap((s) => s.timestamps));
    for (const index of [...upPhase, ...downPhase]) {
      for (let i = 0; i < LINES_PER_REQUEST; i++) {
        const n = index * LINES_PER_REQUEST + i;
        if (!timestamps.has(BASE_MS + n)) assert.fail(`acknowledged line ${n} (request ${index}) did not arrive`);
      }
    }
    assert.strictEqual(timestamps.size, expected);
    const samples = series.reduce((sum, s) => sum + s.values.length, 0);
    // At-least-once: a batch in flight at the kill may arrive twice, never more than one batch's worth (500 kB).
    assert.ok(samples - expected <= 10000, `duplicates ${samples - expected}`);
  });

  it('answers 400 from the Catch node for bad lines and still queues the good ones', async () => {
    const res = await request(`${red.url}/ingest`, {
      method: 'POST',
      body: `${MEASUREMENT}_mixed v=1 ${BASE_MS * 1e6}\nthis is not line protocol`,
      headers: { 'content-type': 'text/plain' },
    });
    assert.strictEqual(res.statusCode, 400);
    const text = await res.body.text();
    assert.match(text, /refused 1 of 2 lines/);
    assert.match(text, /line 2/);
    assert.strictEqual(await vm.waitForSamples(`${MEASUREMENT}_mixed_v`, 1, { timeoutMs: 20000 }), 1);
  });
});

'use strict';
// Issue #6's end-to-end test: raw points -> influxdb-downsample -> influxdb-replication -> a real InfluxDB 1.6.7
// (v1 write API, `db/rp` bucket). The remote must hold exactly the aggregates computed by hand, nothing raw.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { startInfluxDB, waitFor } = require('../harness/servers');

helper.init(require.resolve('node-red'));
const downsampleNode = require('../../nodes/influxdb-downsample.js');
const remoteNode = require('../../nodes/influxdb-remote.js');
const replicationNode = require('../../nodes/influxdb-replication.js');

const S = 1000000000n;
// A window edge for every = 1m, a day ago (inside a 7-day retention policy).
const T0 = (BigInt(Math.floor(Date.now() / 1000) - 86400) / 60n) * 60n * S;

describe('downsample then replicate to InfluxDB 1.6 (real server)', function () {
  this.timeout(30000);
  let influx;
  let queueRoot;
  let clock;

  before(async () => {
    influx = await startInfluxDB();
    await influx.createDatabase('edge', { rp: 'down', duration: '7d' });
  });
  after(async () => {
    if (influx) await influx.stop();
  });
  beforeEach(async () => {
    clock = T0;
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'downsample-e2e-'));
    helper.settings({
      influxdbDownsample: { now: () => clock, tickMs: 20 },
      influxdbReplication: { queueDir: queueRoot, writer: { initialBackoffMs: 50, maxBackoffMs: 200 } },
    });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('stores exactly the expected aggregates', async () => {
    const flow = [
      { id: 'tab', type: 'tab', label: 'downsample' },
      { id: 'ds', z: 'tab', type: 'influxdb-downsample', every: '1m', numericFn: 'mean', nonNumericFn: 'last', timeSrc: 'stop', precision: 's', allowedLateness: '0', maxSeries: 100, wires: [['repl']] },
      { id: 'remote', type: 'influxdb-remote', name: 'influx16', remoteURL: influx.url, writeAPI: 'v1' },
      { id: 'repl', z: 'tab', type: 'influxdb-replication', remote: 'remote', remoteBucketName: 'edge/down', remoteBucketID: '', wires: [[], []] },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['ds', 'repl'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
    await helper.load([downsampleNode, remoteNode, replicationNode], flow, { remote: {} });
    const errors = [];
    helper.getNode('caught').on('input', (msg) => errors.push(msg.error.message));
    const seconds = Number(T0 / S);
    const ds = helper.getNode('ds');
    // Window 1 [T0, T0+60s): host a (tags written in two orders: one series), host b; window 2 for host a only.
    ds.receive({
      payload: [
        `cpu,host=a,dc=x usage=10,load=1i,state="idle" ${seconds + 1}`,
        `cpu,dc=x,host=a usage=20,load=2i,state="busy" ${seconds + 30}`,
        `cpu,host=a,dc=x usage=60,load=6i,state="idle" ${seconds + 59}`,
        `cpu,host=b,dc=x usage=5 ${seconds + 10}`,
        `cpu,host=a,dc=x usage=7,load=3i,state="off" ${seconds + 60}`,
      ].join('\n'),
    });
    clock = T0 + 120n * S; // both windows have ended
    const rows = await waitFor(
      async () => {
        const result = await influx.query('SELECT * FROM "edge"."down"."cpu" GROUP BY *', { db: 'edge' });
        const series = (result.results[0].series || []);
        const count = series.reduce((n, s) => n + s.values.length, 0);
        return count >= 3 ? series : null;
      },
      { timeoutMs: 15000, message: 'three aggregated points in InfluxDB' },
    );
    const got = rows
      .flatMap((s) => s.values.map((v) => ({ tags: s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })))
      .map(({ tags, time, usage, load, state }) => ({ host: tags.host, dc: tags.dc, time, usage, load, state }))
      .sort((a, b) => (a.time + a.host).localeCompare(b.time + b.host));
    const iso = (s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    assert.deepStrictEqual(got, [
      // host a, window 1: usage (10+20+60)/3 = 30, load (1+2+6)/3 = 3 (a float), state last = "idle"; time = window stop
      { host: 'a', dc: 'x', time: iso(seconds + 60), usage: 30, load: 3, state: 'idle' },
      { host: 'b', dc: 'x', time: iso(seconds + 60), usage: 5, load: null, state: null },
      // host a, window 2: the point at exactly T0+60s belongs to [T0+60s, T0+120s)
      { host: 'a', dc: 'x', time: iso(seconds + 120), usage: 7, load: 3, state: 'off' },
    ]);
    // The mean of integers is written as a float: InfluxDB keeps one type per field, and it is float.
    const types = await influx.query('SHOW FIELD KEYS FROM "edge"."down"."cpu"', { db: 'edge' });
    const fieldTypes = Object.fromEntries(types.results[0].series[0].values);
    assert.deepStrictEqual(fieldTypes, { load: 'float', state: 'string', usage: 'float' });
    assert.deepStrictEqual(errors, []);
  });
});

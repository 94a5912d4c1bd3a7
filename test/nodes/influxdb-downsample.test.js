'use strict';
// The influxdb-downsample node in a Node-RED runtime (node-red-node-test-helper) with a hand-driven clock:
// windows close when the test moves the clock, not when real time passes.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { startCannedServer } = require('../harness/canned-server');
const { nextMessage, collect, waitFor, sleep, receivedLines } = require('./helpers');

helper.init(require.resolve('node-red'));
const downsampleNode = require('../../nodes/influxdb-downsample.js');
const remoteNode = require('../../nodes/influxdb-remote.js');
const replicationNode = require('../../nodes/influxdb-replication.js');

const S = 1000000000n;
const T0 = 1700000000n * S; // a window edge for every = 10s
const TICK_MS = 20;

describe('influxdb-downsample node', function () {
  this.timeout(15000);
  let clock;
  let queueRoot;

  beforeEach(async () => {
    clock = T0 + 1n * S;
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'downsample-node-'));
    helper.settings({
      influxdbDownsample: { now: () => clock, tickMs: TICK_MS },
      influxdbReplication: { queueDir: queueRoot, writer: { initialBackoffMs: 50, maxBackoffMs: 200, requestTimeoutMs: 2000 } },
    });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  function flow(props = {}) {
    return [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'ds', z: 'tab', type: 'influxdb-downsample', every: '10s', numericFn: 'mean', nonNumericFn: 'last', timeSrc: 'stop', precision: 'ns', allowedLateness: '0', createEmpty: false, maxSeries: 100, contextStore: '', wires: [['out']], ...props },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['ds'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
      { id: 'statusWatch', z: 'tab', type: 'status', scope: ['ds'], wires: [['statuses']] },
      { id: 'statuses', z: 'tab', type: 'helper' },
    ];
  }

  async function load(props) {
    await helper.load([downsampleNode], flow(props));
    return { ds: helper.getNode('ds'), out: helper.getNode('out'), caught: helper.getNode('caught'), statuses: helper.getNode('statuses') };
  }

  const at = (seconds) => (T0 + BigInt(seconds * 1000) * 1000000n).toString();

  it('emits one message per closed window with all series, in ns, once the clock passes the window end', async function () {
    const { ds, out, caught } = await load();
    const outputs = collect(out);
    const errors = collect(caught);
    ds.receive({ payload: [`cpu,host=b,dc=x v=1i,s="a" ${at(1)}`, `cpu,dc=x,host=b v=2i,s="b" ${at(2)}`, `mem,host=b used=10 ${at(3)}`].join('\n') });
    ds.receive({ payload: `cpu,host=b,dc=x v=9i ${at(10)}` }); // exactly on the edge: next window
    await sleep(5 * TICK_MS);
    assert.strictEqual(outputs.length, 0, 'nothing is sent before the window ends');
    clock = T0 + 10n * S;
    await waitFor(() => outputs.length === 1, { message: 'the first window' });
    const msg = outputs[0];
    const stop = (T0 + 10n * S).toString();
    assert.strictEqual(msg.payload, [`cpu,dc=x,host=b v=1.5,s="b" ${stop}`, `mem,host=b used=10 ${stop}`].join('\n'));
    assert.strictEqual(msg.precision, 'ns');
    assert.deepStrictEqual(msg.window, { start: T0.toString(), stop });
    clock = T0 + 20n * S;
    await waitFor(() => outputs.length === 2, { message: 'the second window' });
    assert.strictEqual(outputs[1].payload, `cpu,dc=x,host=b v=9 ${(T0 + 20n * S).toString()}`);
    assert.deepStrictEqual(errors, []);
  });

  it('converts input of another precision (node setting and msg.precision) to ns', async function () {
    const { ds, out } = await load({ precision: 's', numericFn: 'sum' });
    const seconds = (T0 / S).toString();
    ds.receive({ payload: `m v=1 ${Number(seconds) + 1}` });
    ds.receive({ payload: `m v=2 ${at(2).slice(0, -6)}`, precision: 'ms' });
    const flushed = nextMessage(out);
    ds.receive({ control: 'flush' });
    assert.strictEqual((await flushed).payload, `m v=3 ${(T0 + 10n * S).toString()}`);
  });

  it('flushes all open windows on msg.control = "flush" and counts later points for them as late in the status', async function () {
    const { ds, out, caught, statuses } = await load();
    const outputs = collect(out);
    const statusTexts = [];
    statuses.on('input', (msg) => statusTexts.push(msg.status.text));
    ds.receive({ payload: [`m,h=a v=1 ${at(1)}`, `m,h=b v=3 ${at(1)}`, `m,h=a v=5 ${at(12)}`].join('\n') });
    await waitFor(() => statusTexts.includes('2 series · 0 win'), { message: 'status with 2 open series' });
    ds.receive({ control: 'flush' });
    await waitFor(() => outputs.length === 2, { message: 'two flushed windows' });
    assert.deepStrictEqual(outputs.map((m) => m.window.start), [T0.toString(), (T0 + 10n * S).toString()]);
    assert.strictEqual(outputs[0].payload.split('\n').length, 2);
    await waitFor(() => statusTexts.includes('0 series · 2 win'), { message: 'status after flush' });

    // One late point in a message with an on-time one: no error, counted in the status.
    const errors = collect(caught);
    ds.receive({ payload: [`m,h=a v=7 ${at(3)}`, `m,h=a v=7 ${at(25)}`].join('\n') });
    await waitFor(() => statusTexts.some((t) => /late 1/.test(t)), { message: 'late count in the status' });
    await sleep(3 * TICK_MS);
    assert.deepStrictEqual(errors, []);

    // A message in which every point is late reaches Catch.
    const error = nextMessage(caught);
    ds.receive({ payload: `m,h=a v=7 ${at(4)}` });
    assert.match((await error).error.message, /all 1 points are late/);
    await waitFor(() => statusTexts.some((t) => /late 2/.test(t)), { message: 'late count 2' });
  });

  it('reports bad input to Catch and still aggregates the good lines of the message', async function () {
    const { ds, out, caught } = await load({ maxSeries: 1 });
    let error = nextMessage(caught);
    ds.receive({ payload: `m v=1 ${at(1)}\nthis is not line protocol\nm v=3 ${at(2)}` });
    assert.match((await error).error.message, /refused 1 of 3 points \(2 aggregated, 0 late\): line 2/);

    error = nextMessage(caught);
    ds.receive({ payload: `other v=1 ${at(1)}` });
    assert.match((await error).error.message, /maxSeries = 1/);

    error = nextMessage(caught);
    ds.receive({ payload: `m v=1 ${at(1)}`, precision: 'minutes' });
    assert.match((await error).error.message, /msg.precision must be one of ns, us, ms, s; got "minutes"/);

    error = nextMessage(caught);
    ds.receive({ payload: '' });
    assert.match((await error).error.message, /no line protocol/);

    error = nextMessage(caught);
    ds.receive({ control: 'drain' });
    assert.match((await error).error.message, /unknown msg.control "drain"/);

    const flushed = nextMessage(out);
    ds.receive({ control: 'flush' });
    assert.strictEqual((await flushed).payload, `m v=2 ${(T0 + 10n * S).toString()}`);
  });

  it('refuses to start with invalid properties and says why', async function () {
    const { ds, caught } = await load({ every: '10 minutes', maxSeries: '0' });
    const error = nextMessage(caught);
    ds.receive({ payload: `m v=1 ${at(1)}` });
    const message = (await error).error.message;
    assert.match(message, /downsampling not started: every: invalid duration "10 minutes"/);
    assert.match(message, /max series "0"/);
  });

  it('keeps open windows across a redeploy and emits them afterwards', async function () {
    const { ds } = await load({ numericFn: 'sum' });
    ds.receive({ payload: `m v=1 ${at(1)}` });
    ds.receive({ payload: `m v=2 ${at(2)}` });
    await sleep(3 * TICK_MS);
    await helper.setFlows(flow({ numericFn: 'sum' }), 'full');
    const after = helper.getNode('ds');
    assert.notStrictEqual(after, ds, 'the node was recreated');
    const outputs = collect(helper.getNode('out'));
    after.receive({ payload: `m v=4 ${at(3)}` });
    clock = T0 + 10n * S;
    await waitFor(() => outputs.length === 1, { message: 'the window after the redeploy' });
    assert.strictEqual(outputs[0].payload, `m v=7 ${(T0 + 10n * S).toString()}`);
  });

  it('saves the open windows in the node context as JSON while running', async function () {
    helper.settings({ influxdbDownsample: { now: () => clock, tickMs: TICK_MS, saveMs: TICK_MS } });
    const { ds } = await load({ numericFn: 'count' });
    ds.receive({ payload: `m,h=a v=1,w=2i ${at(1)}` });
    const saved = await waitFor(() => ds.context().get('downsampleState'), { message: 'state in the context' });
    const copy = JSON.parse(JSON.stringify(saved));
    assert.strictEqual(copy.version, 1);
    assert.strictEqual(copy.options.every, (10n * S).toString());
    assert.deepStrictEqual(copy.windows.map((w) => [w.start, w.measurement, w.tags, w.fields.map(([name]) => name)]), [[T0.toString(), 'm', [['h', 'a']], ['v', 'w']]]);
  });

  it('emits the saved windows with their old settings when the window settings change on redeploy', async function () {
    const { ds } = await load({ numericFn: 'sum' });
    ds.receive({ payload: `m v=1 ${at(1)}\nm v=2 ${at(2)}` });
    await sleep(3 * TICK_MS);
    await helper.setFlows(flow({ numericFn: 'max', every: '1m' }), 'full');
    const outputs = collect(helper.getNode('out'));
    await waitFor(() => outputs.length >= 1, { message: 'the old window flushed' });
    assert.strictEqual(outputs[0].payload, `m v=3 ${(T0 + 10n * S).toString()}`);
    // The new settings apply to new points: max over a 1-minute window.
    const after = helper.getNode('ds');
    after.receive({ payload: `m v=5 ${at(15)}\nm v=9 ${at(20)}` });
    after.receive({ control: 'flush' });
    await waitFor(() => outputs.length === 2, { message: 'the new window' });
    assert.strictEqual(outputs[1].payload, `m v=9 ${(T0 - (T0 % (60n * S)) + 60n * S).toString()}`);
  });

  describe('feeding influxdb-replication', function () {
    let server;
    before(async () => {
      server = await startCannedServer(() => ({ status: 204 }));
    });
    after(async () => {
      await server.stop();
    });

    it('replicates only the aggregates', async function () {
      server.requests.length = 0;
      const nodes = [
        { id: 'tab', type: 'tab', label: 'test' },
        { id: 'ds', z: 'tab', type: 'influxdb-downsample', every: '10s', numericFn: 'mean', nonNumericFn: 'last', timeSrc: 'stop', precision: 'ns', allowedLateness: '0', maxSeries: 100, wires: [['repl']] },
        { id: 'remote', type: 'influxdb-remote', name: 'canned', remoteURL: server.url, remoteOrgID: 'org1', writeAPI: 'v2' },
        // The replication node's precision is deliberately not ns: msg.precision = 'ns' from the downsampler wins.
        { id: 'repl', z: 'tab', type: 'influxdb-replication', remote: 'remote', remoteBucketName: 'down', remoteBucketID: '', precision: 's', wires: [[], []] },
        { id: 'catcher', z: 'tab', type: 'catch', scope: ['ds', 'repl'], uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ];
      await helper.load([downsampleNode, remoteNode, replicationNode], nodes, { remote: { remoteAPIToken: 'token-downsample-test' } });
      const errors = collect(helper.getNode('caught'));
      const ds = helper.getNode('ds');
      const raw = [];
      for (let i = 0; i < 10; i++) raw.push(`temp,room=a\\ b c=${20 + i},ok=true,n=${i}i ${at(i)}`);
      ds.receive({ payload: raw.join('\n') });
      clock = T0 + 10n * S;
      await waitFor(() => receivedLines(server).length >= 1, { timeoutMs: 10000, message: 'the aggregate at the remote' });
      await sleep(100);
      // c: (20 + ... + 29) / 10 = 24.5; n: (0 + ... + 9) / 10 = 4.5 (integers averaged become floats).
      assert.deepStrictEqual(receivedLines(server), [`temp,room=a\\ b c=24.5,ok=true,n=4.5 ${(T0 + 10n * S).toString()}`]);
      assert.match(server.requests.find((r) => r.method === 'POST').url, /precision=ns/);
      assert.deepStrictEqual(errors.map((m) => m.error.message), []);
    });
  });
});

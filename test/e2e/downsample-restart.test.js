'use strict';
// Issue #6: "nothing is lost on a redeploy or a restart". A real Node-RED process with a persistent
// (localfilesystem) context store aggregates half a window, is restarted, and the restored window is complete.
const assert = require('assert');
const { startNodeRed } = require('../harness/node-red');
const { waitFor } = require('../harness/servers');

describe('downsample state across a Node-RED restart (real process, persistent context)', function () {
  this.timeout(60000);
  let red;
  after(async () => {
    if (red) await red.stop();
  });

  it('restores open windows from the context store and emits them whole', async () => {
    const flows = [
      { id: 'tab', type: 'tab', label: 't' },
      { id: 'in', z: 'tab', type: 'http in', url: '/ds', method: 'post', wires: [['ds', 'resp']] },
      { id: 'resp', z: 'tab', type: 'http response', statusCode: '204', wires: [] },
      { id: 'ds', z: 'tab', type: 'influxdb-downsample', every: '1h', numericFn: 'mean', nonNumericFn: 'last', timeSrc: 'stop', precision: 'ns', allowedLateness: '0', maxSeries: 100, contextStore: 'file', wires: [['keep']] },
      // Keeps what the downsampler emits in the same persistent store, so the test can read it over HTTP.
      { id: 'keep', z: 'tab', type: 'function', func: "const out = global.get('out', 'file') || []; out.push(msg.payload); global.set('out', out, 'file'); return null;", outputs: 1, wires: [[]] },
      { id: 'get', z: 'tab', type: 'http in', url: '/out', method: 'get', wires: [['read']] },
      { id: 'read', z: 'tab', type: 'function', func: "msg.payload = global.get('out', 'file') || []; return msg;", outputs: 1, wires: [['resp2']] },
      { id: 'resp2', z: 'tab', type: 'http response', wires: [] },
      { id: 'fl', z: 'tab', type: 'http in', url: '/flush', method: 'post', wires: [['mk', 'resp']] },
      { id: 'mk', z: 'tab', type: 'function', func: "return { control: 'flush' };", outputs: 1, wires: [['ds']] },
    ];
    red = await startNodeRed({ flows, settings: { contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } } } });
    const hourNs = 3600n * 1000000000n;
    // Inside a window two hours ahead, so it cannot close by the clock while the test runs; flush emits it.
    const now = (BigInt(Date.now()) * 1000000n / hourNs + 2n) * hourNs + 1000n;
    const post = (body) => red.request('POST', '/ds', { body, headers: { 'content-type': 'text/plain' } });
    assert.strictEqual((await post(`m,h=a v=1i ${now}`)).status, 204);
    await red.restart(); // SIGTERM: a normal close saves the state
    assert.strictEqual((await post(`m,h=a v=4i ${now + 1n}`)).status, 204);
    assert.strictEqual((await red.request('POST', '/flush', { body: '{}', headers: { 'content-type': 'application/json' } })).status, 204);
    const out = await waitFor(async () => {
      const res = await red.request('GET', '/out');
      const list = JSON.parse(res.text);
      return list.length > 0 ? list : null;
    }, { timeoutMs: 10000, message: 'the flushed window' });
    const stop = (now / hourNs + 1n) * hourNs;
    // mean of 1i (before the restart) and 4i (after it): 2.5, a float
    assert.deepStrictEqual(out, [`m,h=a v=2.5 ${stop}`]);
  });
});

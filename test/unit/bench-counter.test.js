'use strict';
// The benchmark's counter node (bench/nodes/bench-counter): Node-RED's ceiling, and with `durable` the durable
// floor, which may complete a message only once its payload is in its file (the bench reads the gap between the
// two as what waiting for the disk costs).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');

helper.init(require.resolve('node-red'));
const counterNode = require('../../bench/nodes/bench-counter/bench-counter.js');

function flow(durable) {
  return [
    { id: 'counter', type: 'bench-counter', z: 'tab', durable, wires: [] },
    { id: 'on-complete', type: 'complete', z: 'tab', scope: ['counter'], uncaught: false, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
}

const fileOf = (id) => path.join(os.tmpdir(), `bench-counter-${process.pid}-${id}.log`);

describe('bench counter node', function () {
  this.timeout(10000);
  afterEach(async () => {
    await helper.unload();
  });

  it('durable: completes each message only once its payload is in the file, and removes the file on close', async () => {
    await helper.load(counterNode, flow(true));
    const counter = helper.getNode('counter');
    const out = helper.getNode('out');
    const payloads = Array.from({ length: 20 }, (_, i) => `m,k=v f=${i}i ${1000 + i}`);
    const checked = new Promise((resolve, reject) => {
      let completed = 0;
      out.on('input', (msg) => {
        try {
          // Every message completed so far, this one included, must already be in the file.
          const onDisk = fs.readFileSync(fileOf('counter'), 'utf8');
          assert.ok(onDisk.includes(msg.payload), `completed before its payload was written: ${msg.payload}`);
          if (++completed === payloads.length) resolve(onDisk);
        } catch (err) {
          reject(err);
        }
      });
    });
    // Sent at once: later messages wait for the fdatasync in progress and go together in the next one.
    for (const payload of payloads) counter.receive({ payload });
    const onDisk = await checked;
    assert.strictEqual(onDisk, payloads.join(''));
    await helper.unload();
    assert.strictEqual(fs.existsSync(fileOf('counter')), false);
  });

  it('plain: completes at once and writes nothing', async () => {
    await helper.load(counterNode, flow(false));
    const out = helper.getNode('out');
    const done = new Promise((resolve) => out.on('input', resolve));
    helper.getNode('counter').receive({ payload: 'm f=1i 1' });
    await done;
    assert.strictEqual(fs.existsSync(fileOf('counter')), false);
  });
});

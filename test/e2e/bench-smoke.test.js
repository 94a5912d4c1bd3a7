'use strict';
// Smoke test of the end-to-end benchmark's plumbing (bench/lib): each contender's flow loads in a real
// Node-RED next to the Node-RED ceiling, the generator's lines all reach VictoriaMetrics, and the counts the
// benchmark reports (sent, arrived, unique) agree. Figures are not checked here: performance lives in bench/.
const assert = require('assert');
const { startRemote } = require('../../bench/lib/remote');
const { startBenchNodeRed } = require('../../bench/lib/node-red');
const { createGenerator } = require('../../bench/lib/generator');
const flows = require('../../bench/lib/flows');

const CONTENDERS = [
  { name: 'influxdb-replication', measurement: 'smoke_repl', format: 'lines', flow: (url) => flows.replicationFlow(url, { gzip: true, maxQueueSizeBytes: 64 * 1024 * 1024 }), needsReplication: true },
  {
    name: 'influxdb-write-in + replication',
    measurement: 'smoke_writein',
    format: 'lines',
    flow: (url) => flows.writeInFlow(url, { gzip: true, maxQueueSizeBytes: 64 * 1024 * 1024 }),
    needsReplication: true,
    path: flows.WRITE_IN_PATH,
    headers: flows.WRITE_IN_HEADERS,
  },
  { name: 'node-red-contrib-influxdb batch', measurement: 'smoke_batch', format: 'points', flow: (url) => flows.contribBatchFlow(url) },
  { name: 'influxdb-client WriteApi node', measurement: 'smoke_client', format: 'lines', flow: (url) => flows.clientWriterFlow(url, { gzip: false }) },
];

describe('end-to-end benchmark plumbing', function () {
  this.timeout(30000);
  let remote;

  before(async () => {
    remote = await startRemote();
  });

  after(async () => {
    if (remote) await remote.stop();
  });

  for (const contender of CONTENDERS) {
    it(`${contender.name}: every line the generator sends is counted once in the remote`, async () => {
      const { flows: f, credentials } = contender.flow(remote.url);
      const red = await startBenchNodeRed({ flows: f, credentials, needsReplication: !!contender.needsReplication });
      try {
        const run = `smoke-${process.pid}`;
        const gen = createGenerator({ url: red.url, path: contender.path, headers: contender.headers, format: contender.format, measurement: contender.measurement, run, linesPerMessage: 50, concurrency: 4 });
        await gen.closedLoop(300);
        const sent = gen.stats();
        await gen.close();
        assert.ok(sent.acked > 0, 'the generator got no 2xx answer');
        assert.strictEqual(sent.refused + sent.noAnswer + sent.unreachable, 0, `failed requests: ${gen.lastError()}`);

        const drained = await remote.waitForLines(contender.measurement, run, sent.offered, { quietMs: 4000, timeoutMs: 15000 });
        assert.strictEqual(drained.count, sent.offered);
        const unique = await remote.countUniqueLines(contender.measurement, run);
        assert.deepStrictEqual(unique, { unique: sent.offered, samples: sent.offered });

        const ceiling = createGenerator({ url: red.url, path: '/ceiling', format: contender.format, measurement: 'smoke_ceiling', run, linesPerMessage: 50, concurrency: 2 });
        await ceiling.closedLoop(100);
        const counted = ceiling.stats();
        await ceiling.close();
        assert.ok(counted.acked > 0 && counted.refused === 0, `ceiling endpoint: ${ceiling.lastError()}`);
      } finally {
        await red.stop();
      }
    });
  }
});

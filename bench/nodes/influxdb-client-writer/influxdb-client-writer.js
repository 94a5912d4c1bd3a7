'use strict';
// Benchmark contender: the usual hand-written node around @influxdata/influxdb-client. Lines go into the
// WriteApi's in-memory batch and done() is called at once, as the client is designed to be used: batching
// and retries happen in the background, in memory (up to maxBufferLines, then the oldest are dropped; all of
// it is gone if the process stops). Waiting for a flush per message instead would be the `influxdb batch`
// node's behaviour, which is measured separately.
const { InfluxDB } = require('@influxdata/influxdb-client');

module.exports = function (RED) {
  function InfluxdbClientWriter(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const token = (node.credentials && node.credentials.token) || '';
    const influx = new InfluxDB({ url: config.url, token, timeout: 30000 });
    const writeApi = influx.getWriteApi(config.org, config.bucket, config.precision || 'ms', {
      batchSize: Number(config.batchSize) || 1000,
      flushInterval: Number(config.flushInterval) || 1000,
      // gzipThreshold is "gzip bodies larger than this"; an unreachable size turns gzip off.
      gzipThreshold: config.gzip === false || config.gzip === 'false' ? Number.MAX_SAFE_INTEGER : 1000,
      // Failures are the point of the benchmark; the client's own console logging of each would only add cost.
      writeFailed() {},
    });

    node.on('input', (msg, send, done) => {
      const text = typeof msg.payload === 'string' ? msg.payload : Buffer.isBuffer(msg.payload) ? msg.payload.toString('utf8') : '';
      if (!text) return done(new Error('msg.payload must be line protocol text'));
      writeApi.writeRecords(text.split('\n'));
      done();
    });

    node.on('close', (done) => {
      writeApi.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('influxdb-client-writer', InfluxdbClientWriter, {
    credentials: { token: { type: 'password' } },
  });
};

'use strict';
// One process of the fleet simulation (bench/fleet.js): several gateways, each a replication stream with its own
// queue folder and its own remote client (as a gateway's influxdb-remote node), with the remote's rate limit when
// one is given. Driven over IPC: start, write on/off, close; reports every gateway's figures every 100 ms.
const { ReplicationStream } = require('../../nodes/lib/stream');
const { RemoteClient } = require('../../nodes/lib/writer');
const { WriteRateLimit } = require('../../nodes/lib/fleet/rate-limit');

const gateways = [];
let ticker = null;
let reporter = null;
let config = null;

function line(gw, seq) {
  // Unique per gateway and sequence number: the timestamp is the sequence (ms after the run's base).
  return `fleet,gw=${gw.id},run=${config.run} v=${seq}i ${config.baseMs + seq}000000`;
}

async function start(message) {
  config = message;
  for (const g of message.gateways) {
    const rateLimit = message.rateLimit ? new WriteRateLimit({ limitBytes: message.rateLimit.bytes, periodMs: message.rateLimit.periodMs }) : null;
    const client = new RemoteClient({ remoteURL: message.remoteURL, remoteOrgID: 'fleet', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'fleet-bench' }, { rateLimit, connections: 1 });
    const stream = await ReplicationStream.open(
      {
        id: g.id,
        name: g.id,
        remoteID: 'fleet',
        remoteBucketName: g.id,
        remoteBucketID: '',
        maxQueueSizeBytes: 64 * 1024 * 1024,
        maxAgeSeconds: 0,
        dropNonRetryableData: false,
        onQueueFull: 'reject',
        maxBatchBytes: message.maxBatchBytes,
        gzip: true,
        queueDir: g.queueDir,
        writer: { ...message.writer, recoveryJitterMs: message.jitterMs },
      },
      client,
    );
    gateways.push({ id: g.id, client, stream, seq: 0, refused: 0 });
  }
  reporter = setInterval(report, 100);
  process.send({ type: 'ready' });
}

function tick() {
  for (const gw of gateways) {
    const lines = [];
    for (let i = 0; i < config.linesPerTick; i++) lines.push(line(gw, gw.seq++));
    gw.stream.enqueue(lines).catch(() => (gw.refused += lines.length));
  }
}

function report() {
  process.send({
    type: 'status',
    at: Date.now(),
    gateways: gateways.map((gw) => {
      const row = gw.stream.row();
      return { id: gw.id, enqueued: gw.seq, refused: gw.refused, remainingLines: row.remainingLinesToBeSynced, remainingBytes: row.remainingBytesToBeSynced, state: row.state, linesSent: row.linesSent };
    }),
  });
}

process.on('message', async (message) => {
  try {
    if (message.type === 'start') await start(message);
    else if (message.type === 'write') {
      if (message.on && !ticker) ticker = setInterval(tick, config.tickMs);
      if (!message.on && ticker) {
        clearInterval(ticker);
        ticker = null;
      }
      process.send({ type: 'writing', on: message.on });
    } else if (message.type === 'close') {
      if (ticker) clearInterval(ticker);
      clearInterval(reporter);
      report();
      for (const gw of gateways) {
        await gw.stream.close(2000);
        await gw.client.close();
      }
      process.send({ type: 'closed' });
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: 'error', message: err.stack || String(err) });
  }
});

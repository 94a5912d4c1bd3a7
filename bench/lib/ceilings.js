'use strict';
// Ceilings the contenders' figures are divided by, measured on this machine in the same run:
//   remote      a raw undici loop posting prebuilt ~500 kB bodies to VictoriaMetrics' /api/v2/write
//   disk        write + fdatasync of 500 kB buffers in a loop, in the temp folder's file system (where the
//               benchmark's Node-RED keeps its queue)
//   influxdb-client  its WriteApi in this process, one ~500 kB batch at a time (the same batch size and the
//               same one-request-at-a-time as this package's writer), so a backlog drain can be compared to it
// (Node-RED's own ceiling needs a Node-RED process and lives in bench/e2e.js.)
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { Pool } = require('undici');
const { InfluxDB } = require('@influxdata/influxdb-client');
const { lineProtocol, linesForBytes } = require('./lines');
const { ORG, BUCKET, TOKEN } = require('./flows');

const BODY_BYTES = 500000;
const PREBUILT_BODIES = 24;

/** Lines/s the remote acknowledges from a loop that does nothing but post prebuilt bodies. */
async function remoteCeiling(remoteURL, { gzip, concurrency, durationMs, run }) {
  const linesPerBody = linesForBytes(BODY_BYTES);
  const bodies = [];
  for (let i = 0; i < PREBUILT_BODIES; i++) {
    const text = lineProtocol('bench_raw', run, i * linesPerBody, linesPerBody);
    bodies.push(gzip ? zlib.gzipSync(text, { level: 2 }) : Buffer.from(text));
  }
  const headers = { 'content-type': 'text/plain; charset=utf-8', authorization: `Token ${TOKEN}` };
  if (gzip) headers['content-encoding'] = 'gzip';
  const pool = new Pool(remoteURL, { connections: concurrency, keepAliveTimeout: 4000 });
  const path = `/api/v2/write?${new URLSearchParams({ org: ORG, bucket: BUCKET, precision: 'ms' })}`;
  let lines = 0;
  let errors = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  async function worker() {
    while (Date.now() < end) {
      const body = bodies[next++ % bodies.length];
      const res = await pool.request({ path, method: 'POST', body, headers });
      await res.body.dump();
      if (res.statusCode === 204) lines += linesPerBody;
      else errors++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pool.close();
  return { linesPerSec: lines / seconds, errors, gzip, concurrency };
}

/** Bytes/s of write + fdatasync of 500 kB buffers (the cost floor of a durable 500 kB message). */
async function diskCeiling({ durationMs, dir = os.tmpdir() }) {
  const folder = fs.mkdtempSync(path.join(dir, 'bench-disk-'));
  const file = path.join(folder, 'data');
  const buffer = Buffer.alloc(BODY_BYTES, 'x');
  let bytes = 0;
  let rounds = 0;
  const handle = await fs.promises.open(file, 'w');
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  try {
    while (Date.now() < end) {
      await handle.write(buffer, 0, buffer.length);
      await handle.datasync();
      bytes += buffer.length;
      rounds++;
      // Keep the file at a bounded size (a queue's segments are rotated too).
      if (rounds % 200 === 0) await handle.truncate(0);
    }
  } finally {
    await handle.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { bytesPerSec: bytes / seconds, fsyncsPerSec: rounds / seconds, dir };
}

/** Lines/s through influxdb-client's WriteApi, one ~500 kB batch per request, one request at a time. */
async function influxdbClientCeiling(remoteURL, { gzip, durationMs, run }) {
  const linesPerBatch = linesForBytes(BODY_BYTES);
  const influx = new InfluxDB({ url: remoteURL, token: TOKEN, timeout: 30000 });
  const writeApi = influx.getWriteApi(ORG, BUCKET, 'ms', {
    batchSize: linesPerBatch + 1, // the loop flushes each batch itself
    flushInterval: 0,
    gzipThreshold: gzip ? 1000 : Number.MAX_SAFE_INTEGER,
    maxRetries: 0,
  });
  let seq = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    writeApi.writeRecords(lineProtocol('bench_clientloop', run, seq, linesPerBatch).split('\n'));
    seq += linesPerBatch;
    await writeApi.flush();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await writeApi.close();
  return { linesPerSec: seq / seconds, gzip };
}

module.exports = { remoteCeiling, diskCeiling, influxdbClientCeiling, BODY_BYTES };

'use strict';
// Writer throughput: drain a pre-filled DurableQueue to VictoriaMetrics with the StreamWriter, next to
// (a) a raw undici loop posting the same prebuilt 500 kB bodies and (b) @influxdata/influxdb-client's WriteApi
// writing the same lines, all in the same run against the same server. Goal: writer >= 90% of the raw loop.
// Run: npx tsc -p tsconfig.json && node bench/writer.js   (WRITER_BENCH_MB=8 for a quick run; default 64)
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { Pool } = require('undici');
const { InfluxDB } = require('@influxdata/influxdb-client');
const { StreamWriter, RemoteClient, buildBatches, GZIP_LEVEL, GZIP_CHUNK_BYTES, USER_AGENT } = require('../nodes/lib/writer');
const { DurableQueue } = require('../nodes/lib/queue');
const { startVictoriaMetrics } = require('../test/harness/servers');

const MAX_BATCH_BYTES = 500_000;

/** About `megabytes` of line protocol in records of `linesPerRecord` lines, timestamps 1 ms apart. */
function makeRecords(megabytes, linesPerRecord) {
  const base = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  const records = [];
  let bytes = 0;
  let i = 0;
  while (bytes < megabytes * 1024 * 1024) {
    const lines = [];
    for (let k = 0; k < linesPerRecord; k++, i++) {
      lines.push(`bench,host=server${i % 20},region=r${i % 3} usage_user=${(i % 1000) / 10},usage_system=${(i * 7) % 100},n=${i}i ${base + BigInt(i) * 1_000_000n}`);
    }
    bytes += Buffer.byteLength(lines.join('\n')) + 1;
    records.push(lines);
  }
  return { records, lines: i, bytes };
}

/** CPU seconds of this process (all threads, so gzip in libuv's pool counts) since `start`. */
function cpuSecondsSince(start) {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function fillQueue(dir, records) {
  const queue = await DurableQueue.open({ dir, maxQueueSizeBytes: 4 * 1024 * 1024 * 1024, maxAgeSeconds: 0 });
  // Many appends in flight: the queue's group commit makes filling fast; this part is not timed.
  for (let i = 0; i < records.length; i += 64) await Promise.all(records.slice(i, i + 64).map((r) => queue.append(r)));
  return queue;
}

async function runWriter(vm, records, { gzip, maxConcurrentRequests = 1 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-bench-'));
  let queue = null;
  let client = null;
  let writer = null;
  try {
    queue = await fillQueue(dir, records);
    client = new RemoteClient({ remoteURL: vm.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 'token' });
    writer = new StreamWriter(queue, client, 'bench', { gzip, maxBatchBytes: MAX_BATCH_BYTES, maxConcurrentRequests });
    const w = writer;
    const q = queue;
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    await new Promise((resolve, reject) => {
      const deadline = Date.now() + 600_000;
      const check = () => {
        if (q.stats().unsentLines === 0) {
          w.removeListener('change', check);
          clearInterval(poll);
          resolve();
        } else if (Date.now() > deadline) {
          w.removeListener('change', check);
          clearInterval(poll);
          reject(new Error(`writer did not drain the queue: ${JSON.stringify(w.getState())}`));
        }
      };
      // 'change' follows every acknowledgement; the poll only guards against a hang.
      const poll = setInterval(check, 1000);
      w.on('change', check);
      w.start();
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuSeconds = cpuSecondsSince(cpuStart);
    const state = w.getState();
    if (state.retries !== 0) throw new Error(`writer needed ${state.retries} retries: ${state.latestErrorMessage}`);
    return { seconds, cpuSeconds, lines: state.linesSent, requests: state.requests, wireBytes: state.bytesSent };
  } finally {
    if (writer) await writer.stop();
    if (client) await client.close();
    if (queue) await queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runRaw(vm, bodies, { gzip, inlineGzip = false }) {
  const url = new URL('/api/v2/write?org=org&bucket=bench&precision=ns', vm.url);
  const pool = new Pool(url.origin, { connections: 1 });
  const prepared = bodies.map((b) => (gzip && !inlineGzip ? zlib.gzipSync(Buffer.from(b.body), { level: GZIP_LEVEL }) : Buffer.from(b.body)));
  const gzipAsync = require('util').promisify(zlib.gzip);
  const headers = { 'content-type': 'text/plain; charset=utf-8', authorization: 'Token token', 'user-agent': USER_AGENT };
  if (gzip) headers['content-encoding'] = 'gzip';
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let lines = 0;
  for (let i = 0; i < prepared.length; i++) {
    const body = inlineGzip ? await gzipAsync(prepared[i], { level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES }) : prepared[i];
    const res = await pool.request({ method: 'POST', path: url.pathname + url.search, headers, body });
    await res.body.dump();
    if (res.statusCode !== 204) throw new Error(`raw loop got ${res.statusCode}`);
    lines += bodies[i].lines;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuSeconds = cpuSecondsSince(cpuStart);
  await pool.close();
  return { seconds, cpuSeconds, lines, requests: prepared.length, wireBytes: prepared.reduce((s, b) => s + b.length, 0) };
}

async function runInfluxClient(vm, records, { gzip }) {
  const lineCount = records.reduce((s, r) => s + r.length, 0);
  const avgLine = Buffer.byteLength(records[0].join('\n')) / records[0].length;
  let written = 0;
  let requests = 0;
  let failed = null;
  let done;
  const allWritten = new Promise((resolve) => (done = resolve));
  // WriteApi sends each full batch at once, without waiting for the previous one (no limit on requests in
  // flight), and close() does not wait for those: count acknowledged lines to know when it is finished.
  const writeApi = new InfluxDB({ url: vm.url, token: 'token', timeout: 30_000 }).getWriteApi('org', 'bench', 'ns', {
    batchSize: Math.floor(MAX_BATCH_BYTES / (avgLine + 1)),
    maxBatchBytes: MAX_BATCH_BYTES,
    flushInterval: 0,
    maxRetries: 0,
    gzipThreshold: gzip ? 1000 : Number.MAX_SAFE_INTEGER,
    maxBufferLines: lineCount + 1,
    writeSuccess(lines) {
      requests++;
      written += lines.length;
      if (written >= lineCount) done();
    },
    writeFailed(error) {
      failed = failed || error;
      done();
      return Promise.resolve();
    },
  });
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const record of records) writeApi.writeRecords(record);
  await writeApi.flush();
  await allWritten;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuSeconds = cpuSecondsSince(cpuStart);
  await writeApi.close().catch(() => undefined);
  if (failed) throw failed;
  return { seconds, cpuSeconds, lines: written, requests, wireBytes: null };
}

/** Lets VictoriaMetrics finish ingesting the previous run, so runs do not compete with its background work. */
async function settle(vm) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const pool = new Pool(vm.url);
  const res = await pool.request({ method: 'GET', path: '/internal/force_flush' });
  await res.body.dump();
  await pool.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/** Runs the comparison; returns one row per method and gzip setting. */
async function runWriterBench({ megabytes = Number(process.env.WRITER_BENCH_MB || 64), linesPerRecord = 100, rounds = Number(process.env.WRITER_BENCH_ROUNDS || 3) } = {}) {
  const { records, lines, bytes } = makeRecords(megabytes, linesPerRecord);
  const bodies = buildBatches(records.map((r, i) => ({ data: r.join('\n'), lines: r.length, end: { segment: 0, offset: i } })), MAX_BATCH_BYTES);
  const vm = await startVictoriaMetrics();
  const rows = [];
  try {
    // Warm-up: the series exist and the server's caches are hot before anything is timed.
    await runRaw(vm, bodies.slice(0, 4), { gzip: false });
    for (const gzip of [false, true]) {
      const best = {};
      for (let round = 0; round < rounds; round++) {
        const methods = [
          ['raw undici loop (prebuilt bodies)', () => runRaw(vm, bodies, { gzip })],
          ['StreamWriter (DurableQueue -> VM)', () => runWriter(vm, records, { gzip })],
          ['@influxdata/influxdb-client WriteApi', () => runInfluxClient(vm, records, { gzip })],
          // For information: order is not kept with more than one request in flight.
          ['StreamWriter, 4 in flight (unordered)', () => runWriter(vm, records, { gzip, maxConcurrentRequests: 4 })],
        ];
        // With gzip the prebuilt bodies are compressed before the clock starts; this loop pays for it as it goes.
        if (gzip) methods.splice(1, 0, ['raw undici loop, gzip per request', () => runRaw(vm, bodies, { gzip, inlineGzip: true })]);
        for (const [name, run] of methods) {
          await settle(vm);
          const result = await run();
          if (result.lines !== lines) throw new Error(`${name}: sent ${result.lines} of ${lines} lines`);
          if (!best[name] || result.seconds < best[name].seconds) best[name] = result;
        }
      }
      const raw = best['raw undici loop (prebuilt bodies)'];
      for (const [name, result] of Object.entries(best)) {
        rows.push({
          method: name,
          gzip,
          lines,
          megabytes: +(bytes / 1048576).toFixed(1),
          seconds: +result.seconds.toFixed(3),
          linesPerSecond: Math.round(lines / result.seconds),
          megabytesPerSecond: +((bytes / 1048576) / result.seconds).toFixed(1),
          requests: result.requests,
          nodeCpuSeconds: +result.cpuSeconds.toFixed(2),
          ratioToRaw: +(raw.seconds / result.seconds).toFixed(3),
        });
      }
    }
  } finally {
    await vm.stop();
  }
  return rows;
}

function printRows(rows) {
  const header = ['method', 'gzip', 'lines', 'MB', 'seconds', 'lines/s', 'MB/s', 'requests', 'node CPU s', 'vs raw'];
  const table = rows.map((r) => [r.method, r.gzip ? 'on' : 'off', r.lines, r.megabytes, r.seconds, r.linesPerSecond, r.megabytesPerSecond, r.requests ?? '-', r.nodeCpuSeconds, `${(r.ratioToRaw * 100).toFixed(1)}%`].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const fmt = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  for (const row of table) console.log(fmt(row));
}

module.exports = { runWriterBench, printRows };

if (require.main === module) {
  runWriterBench()
    .then((rows) => {
      printRows(rows);
      const writerRows = rows.filter((r) => r.method === 'StreamWriter (DurableQueue -> VM)');
      for (const r of writerRows) {
        console.log(`writer / raw loop, gzip ${r.gzip ? 'on' : 'off'}: ${(r.ratioToRaw * 100).toFixed(1)}% (goal >= 90%)`);
        const inline = rows.find((x) => x.gzip === r.gzip && x.method === 'raw undici loop, gzip per request');
        if (inline) console.log(`writer / raw loop gzipping per request: ${((r.ratioToRaw / inline.ratioToRaw) * 100).toFixed(1)}%`);
      }
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}

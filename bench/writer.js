'use strict';
// Writer throughput: drain a pre-filled DurableQueue to VictoriaMetrics with the StreamWriter, next to
// (a) a raw undici loop posting the same prebuilt 500 kB bodies and (b) @influxdata/influxdb-client's WriteApi
// writing the same lines, all in the same run against the same server. Goal: writer >= 90% of the raw loop. The raw
// loop also runs a second time as a method of its own: its ratio to itself is the noise floor of the verdict.
// Run: npx tsc -p tsconfig.json && node bench/writer.js   (WRITER_BENCH_MB=8 for a quick run; default 64 MB,
// WRITER_BENCH_ROUNDS rounds, default 5).
//
// `--remote-cpus=LIST` (a taskset CPU list, e.g. 1) keeps VictoriaMetrics on those CPUs and this process on the
// others. By default both share every core, so every millisecond of CPU a method spends per batch is taken from
// the remote while it handles the request (a loop posting prebuilt bodies spends almost none); with the remote
// on its own CPU, what is compared is the writer's own speed, as with a remote on another machine.
//
// On a small machine VictoriaMetrics stalls now and then (100-250 ms for one request), which swings a
// sub-second run by 20% or more. So each round runs every method once, one after the other (in a new random
// order every round), each round's times are compared with the same round's raw loop, and the
// table shows the median of those per-round ratios next to the best-of figures.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { Pool } = require('undici');
const { InfluxDB } = require('@influxdata/influxdb-client');
const { StreamWriter, RemoteClient, buildBatches, GZIP_LEVEL, GZIP_CHUNK_BYTES, USER_AGENT } = require('../nodes/lib/writer');
const { DurableQueue, OVERFLOW_REJECT } = require('../nodes/lib/queue');
const { StreamMetrics } = require('../nodes/lib/metrics/stream-metrics');
const { startVictoriaMetrics } = require('../test/harness/servers');

const MAX_BATCH_BYTES = 500_000;

// A full collection just before each clock starts: what a method left behind before its timed part (the
// writer's queue fill, the raw loop's compressing, the client's line arrays) is not collected on another
// method's clock, nor on its own.
require('v8').setFlagsFromString('--expose-gc');
const collectGarbage = require('vm').runInNewContext('gc');

/**
 * About `megabytes` of line protocol in records of `linesPerRecord` lines, timestamps 1 ms apart. Each record
 * is kept as one string (its lines joined with '\n'): 64 MB held as a million small strings made every full
 * GC of this process take 100+ ms, a cost that fell on whichever method allocated most, not on the method
 * itself. Lines are split out only where a method needs them, outside its timed part.
 */
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
    const text = lines.join('\n');
    bytes += Buffer.byteLength(text) + 1;
    records.push({ text, lines: lines.length });
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
  for (let i = 0; i < records.length; i += 64) await Promise.all(records.slice(i, i + 64).map((r) => queue.append(r.text.split('\n'))));
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
    // The writer reports requests and deliveries as events; the stream's metrics object counts them.
    const metrics = new StreamMetrics(() => q.stats(), OVERFLOW_REJECT);
    metrics.watchWriter(w);
    collectGarbage();
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
    const counted = metrics.snapshot();
    if (counted.retries !== 0) throw new Error(`writer needed ${counted.retries} retries: ${w.getState().latestErrorMessage}`);
    return { seconds, cpuSeconds, lines: counted.sent.lines, requests: counted.requests, wireBytes: counted.wireBytes };
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
  const prepared = bodies.map((b) => (gzip && !inlineGzip ? zlib.gzipSync(b.bytes, { level: GZIP_LEVEL }) : b.bytes));
  const gzipAsync = require('util').promisify(zlib.gzip);
  const headers = { 'content-type': 'text/plain; charset=utf-8', authorization: 'Token token', 'user-agent': USER_AGENT };
  if (gzip) headers['content-encoding'] = 'gzip';
  collectGarbage();
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

async function runInfluxClient(vm, recordTexts, { gzip }) {
  const records = recordTexts.map((r) => r.text.split('\n'));
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
  collectGarbage();
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

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const RAW = 'raw undici loop (prebuilt bodies)';
const WRITER = 'StreamWriter (DurableQueue -> VM)';
const RAW_INLINE_GZIP = 'raw undici loop, gzip per request';
/** The raw loop again, as a method of its own: its ratio to the raw loop shows how far this machine's noise goes. */
const RAW_AGAIN = 'raw undici loop again (noise check)';

/** A random number generator from a seed (mulberry32), so that a run's method orders can be repeated. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in random order (Fisher-Yates). */
function shuffled(items, random) {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The CPUs in a taskset list such as "1", "0,2" or "2-3". */
function parseCpuList(list) {
  const cpus = new Set();
  for (const part of String(list).split(',')) {
    const [from, to = from] = part.split('-').map((x) => Number(x.trim()));
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) throw new Error(`not a CPU list: ${list}`);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return cpus;
}

/**
 * Moves every thread of this process (and so the threads it starts later: libuv's pool, zlib) off `remoteCpus`;
 * returns the CPUs it now runs on, as a taskset list.
 */
function pinAwayFrom(remoteCpus) {
  const remote = parseCpuList(remoteCpus);
  const own = os.cpus().map((_, cpu) => cpu).filter((cpu) => !remote.has(cpu));
  if (own.length === 0 || own.length === os.cpus().length) throw new Error(`--remote-cpus=${remoteCpus} must name some, not all, of this machine's ${os.cpus().length} CPUs`);
  execFileSync('taskset', ['-a', '-p', '-c', own.join(','), String(process.pid)], { stdio: 'ignore' });
  return own.join(',');
}

/**
 * Runs the comparison; returns one row per method and gzip setting. With `remoteCpus`, VictoriaMetrics runs on
 * those CPUs and this process is moved to the others (for a process of its own: the move is not undone).
 */
async function runWriterBench({
  megabytes = Number(process.env.WRITER_BENCH_MB || 64),
  linesPerRecord = 100,
  rounds = Number(process.env.WRITER_BENCH_ROUNDS || 5),
  remoteCpus = null,
  seed = Number(process.env.WRITER_BENCH_SEED || Date.now() % 1e9),
} = {}) {
  const random = seededRandom(seed);
  const { records, lines, bytes } = makeRecords(megabytes, linesPerRecord);
  const bodies = buildBatches(records.map((r, i) => ({ data: r.text, lines: r.lines, end: { segment: 0, offset: i } })), MAX_BATCH_BYTES).map((b) => ({
    bytes: b.toBuffer(),
    lines: b.lines,
  }));
  const placement = remoteCpus ? `remote on CPU ${remoteCpus}, writer side on CPU ${pinAwayFrom(remoteCpus)}` : 'remote and writer side share every CPU';
  const vm = await startVictoriaMetrics({ cpus: remoteCpus || undefined });
  const rows = [];
  try {
    // Warm-up: the series exist and the server's caches are hot before anything is timed.
    await runRaw(vm, bodies.slice(0, 4), { gzip: false });
    for (const gzip of [false, true]) {
      const methods = [
        [RAW, () => runRaw(vm, bodies, { gzip })],
        [RAW_AGAIN, () => runRaw(vm, bodies, { gzip })],
        [WRITER, () => runWriter(vm, records, { gzip })],
        ['@influxdata/influxdb-client WriteApi', () => runInfluxClient(vm, records, { gzip })],
        // For information: order is not kept with more than one request in flight.
        ['StreamWriter, 4 in flight (unordered)', () => runWriter(vm, records, { gzip, maxConcurrentRequests: 4 })],
      ];
      // With gzip the prebuilt bodies are compressed before the clock starts; this loop pays for it as it goes.
      if (gzip) methods.splice(2, 0, [RAW_INLINE_GZIP, () => runRaw(vm, bodies, { gzip, inlineGzip: true })]);
      /** name -> one result per round */
      const results = new Map(methods.map(([name]) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        // A new order every round: a rotation would keep the same neighbours, and a method that always runs
        // right after the raw loop measured up to 10% apart from it even when it was the raw loop itself.
        const order = shuffled(methods, random);
        for (const [name, run] of order) {
          await settle(vm);
          const result = await run();
          if (result.lines !== lines) throw new Error(`${name}: sent ${result.lines} of ${lines} lines`);
          results.get(name).push(result);
        }
      }
      const raw = results.get(RAW);
      const rawBest = Math.min(...raw.map((r) => r.seconds));
      for (const [name, runs] of results) {
        const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
        const perRound = runs.map((r, i) => raw[i].seconds / r.seconds);
        rows.push({
          method: name,
          gzip,
          placement,
          seed,
          lines,
          megabytes: +(bytes / 1048576).toFixed(1),
          rounds,
          seconds: +best.seconds.toFixed(3),
          medianSeconds: +median(runs.map((r) => r.seconds)).toFixed(3),
          linesPerSecond: Math.round(lines / best.seconds),
          megabytesPerSecond: +((bytes / 1048576) / best.seconds).toFixed(1),
          requests: best.requests,
          nodeCpuSeconds: +median(runs.map((r) => r.cpuSeconds)).toFixed(2),
          /** Best-of: the best time of the raw loop over this method's best time. */
          ratioToRaw: +(rawBest / best.seconds).toFixed(3),
          /** The median over rounds of (that round's raw time / this method's time in the same round). */
          medianRatioToRaw: +median(perRound).toFixed(3),
          roundRatios: perRound.map((x) => +x.toFixed(3)),
        });
      }
    }
  } finally {
    await vm.stop();
  }
  return rows;
}

function printRows(rows) {
  const header = ['method', 'gzip', 'lines', 'MB', 'rounds', 'best s', 'median s', 'lines/s', 'MB/s', 'requests', 'node CPU s', 'vs raw best', 'vs raw median'];
  const pct = (x) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
  const table = rows.map((r) =>
    [
      r.method,
      r.gzip ? 'on' : 'off',
      r.lines,
      r.megabytes,
      r.rounds ?? '-',
      r.seconds,
      r.medianSeconds ?? '-',
      r.linesPerSecond,
      r.megabytesPerSecond,
      r.requests ?? '-',
      r.nodeCpuSeconds,
      pct(r.ratioToRaw),
      pct(r.medianRatioToRaw),
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const fmt = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  if (rows.length) console.log(`placement: ${rows[0].placement}; method order shuffled every round, seed ${rows[0].seed} (WRITER_BENCH_SEED repeats it)`);
  console.log(fmt(header));
  for (const row of table) console.log(fmt(row));
  console.log('lines/s and MB/s: best round; node CPU s: median; vs raw median: median over rounds of (raw time / time) in the same round');
}

/** The summary lines under the table: the writer against the goal, and the raw loop against itself. */
function printGoal(rows) {
  const rounds = (r) => r.roundRatios.map((x) => `${(x * 100).toFixed(1)}%`).join(', ');
  for (const r of rows.filter((x) => x.method === WRITER)) {
    console.log(`writer / raw loop, gzip ${r.gzip ? 'on' : 'off'}: median ${(r.medianRatioToRaw * 100).toFixed(1)}%, best-of ${(r.ratioToRaw * 100).toFixed(1)}% (rounds: ${rounds(r)}) (goal >= 90%)`);
    const again = rows.find((x) => x.gzip === r.gzip && x.method === RAW_AGAIN);
    if (again) console.log(`raw loop / itself (noise), gzip ${r.gzip ? 'on' : 'off'}: median ${(again.medianRatioToRaw * 100).toFixed(1)}% (rounds: ${rounds(again)})`);
    const inline = rows.find((x) => x.gzip === r.gzip && x.method === RAW_INLINE_GZIP);
    if (inline) {
      const perRound = r.roundRatios.map((x, i) => x / inline.roundRatios[i]);
      console.log(`writer / raw loop gzipping per request: median ${(median(perRound) * 100).toFixed(1)}%, best-of ${((r.ratioToRaw / inline.ratioToRaw) * 100).toFixed(1)}%`);
    }
  }
}

module.exports = { runWriterBench, printRows, printGoal };

if (require.main === module) {
  const option = (name) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? null;
  // --json: the rows as JSON on stdout, for bench/run.js, which runs this in a process of its own.
  const json = process.argv.includes('--json');
  runWriterBench({ remoteCpus: option('remote-cpus') })
    .then((rows) => {
      if (json) return void process.stdout.write(JSON.stringify(rows));
      printRows(rows);
      printGoal(rows);
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}

'use strict';
// Durable queue throughput: durable appends of 1 line (64 appenders in flight, so group commit counts),
// 100 lines and 500 kB, next to what this disk does in the same run with (a) a loop of write + fdatasync of
// the same sizes and (b) one fdatasync per line. Goals: bulk >= 70% of raw write+sync; single lines >= 20x
// the one-fdatasync-per-line rate. Optionally (QUEUE_BENCH_BIG_MB=1024) builds a big queue and reports the
// peak memory of reopening and reading all of it.
// Run: npx tsc -p tsconfig.json && node bench/queue.js   (QUEUE_BENCH_SECONDS=4 per contender and row by default)
const fs = require('fs');
const fsp = require('fs/promises');
const os = require('os');
const path = require('path');
const { DurableQueue } = require('../nodes/lib/queue');

const LINE = 'bench,host=edge-gateway-01,site=plant-north,sensor=s42 usage_user=12.5,usage_system=3.25,n=1234567i 1700000000000';
const LINE_BYTES = Buffer.byteLength(LINE) + 1;
const BULK_LINES = Math.round(500_000 / LINE_BYTES);
// raw 'per-line': one fdatasync per line; raw 'loop': write + fdatasync of the same size per append.
// The last row is for information (no goal): bulk appends that overlap, so group commit merges them.
const ROWS = [
  { name: '1 line', lines: 1, concurrency: 64, raw: 'per-line', goal: 20 },
  { name: '100 lines', lines: 100, concurrency: 1, raw: 'loop', goal: 0.7 },
  { name: '500 kB', lines: BULK_LINES, concurrency: 1, raw: 'loop', goal: 0.7 },
  { name: '500 kB', lines: BULK_LINES, concurrency: 4, raw: 'loop', goal: null },
];

function linesOf(count) {
  return Array.from({ length: count }, () => LINE);
}

/** Repeats `step` for about `seconds`; returns the operations done and the seconds taken. */
async function timed(seconds, step) {
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  while (process.hrtime.bigint() < until) ops += await step();
  return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/**
 * This disk's speed drifts by 2x within seconds (a shared virtual disk), so queue and raw figures are taken
 * in alternating short rounds and summed: both see the same weather.
 */
async function alternate(rounds, seconds, contenders) {
  const totals = contenders.map(() => ({ ops: 0, seconds: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const { ops, seconds: took } = await timed(seconds / rounds, contenders[i]);
      totals[i].ops += ops;
      totals[i].seconds += took;
    }
  }
  return totals.map((t) => t.ops / t.seconds);
}

/** The disk's own figure: write `bytes` and fdatasync, appending to one file. Returns a step and a cleanup. */
async function rawWriteSync(dir, bytes) {
  const file = path.join(dir, `raw-${bytes}`);
  const handle = await fsp.open(file, 'a', 0o600);
  const buf = Buffer.alloc(bytes, 'x');
  return {
    step: async () => {
      await handle.write(buf, 0, buf.length, null);
      await handle.datasync();
      return 1;
    },
    done: async () => {
      await handle.close();
      await fsp.rm(file, { force: true });
    },
  };
}

/** Durable appends of `row.lines` lines, `row.concurrency` at a time. Returns a step and a cleanup. */
async function queueAppends(dir, row) {
  const queue = await DurableQueue.open({ dir, maxQueueSizeBytes: 64 * 1024 * 1024 * 1024, maxAgeSeconds: 0 });
  const lines = linesOf(row.lines);
  return {
    step: async () => {
      await Promise.all(Array.from({ length: row.concurrency }, () => queue.append(lines)));
      return row.concurrency;
    },
    done: () => queue.destroy(),
  };
}

/** Builds a queue of about `megabytes`, reopens it and reads it all; returns peak RSS growth while doing so. */
async function bigQueueMemory(dir, megabytes) {
  const build = await DurableQueue.open({ dir, maxQueueSizeBytes: (megabytes + 64) * 1024 * 1024, maxAgeSeconds: 0 });
  const record = linesOf(Math.round(500_000 / LINE_BYTES));
  const perRecord = Buffer.byteLength(record.join('\n'));
  for (let bytes = 0; bytes < megabytes * 1024 * 1024; bytes += 8 * perRecord) {
    await Promise.all(Array.from({ length: 8 }, () => build.append(record)));
  }
  await build.close();
  if (global.gc) global.gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const start = Date.now();
  const queue = await DurableQueue.open({ dir, maxQueueSizeBytes: (megabytes + 64) * 1024 * 1024, maxAgeSeconds: 0 });
  sample();
  const openSeconds = (Date.now() - start) / 1000;
  let lines = 0;
  for (;;) {
    const batch = await queue.readNext(500_000);
    sample();
    if (batch.length === 0) break;
    for (const r of batch) lines += r.lines;
    await queue.ack(batch[batch.length - 1].end);
  }
  await queue.destroy();
  return { megabytes, lines, openSeconds, rssGrowthMB: (peak - before) / 1024 / 1024 };
}

async function runQueueBench({ seconds = Number(process.env.QUEUE_BENCH_SECONDS || 4), rounds = 16, dir, bigMB = Number(process.env.QUEUE_BENCH_BIG_MB || 0) } = {}) {
  const root = fs.mkdtempSync(path.join(dir || os.tmpdir(), 'queue-bench-'));
  try {
    const rows = [];
    for (const row of ROWS) {
      const bytesPerAppend = row.lines * LINE_BYTES;
      const queue = await queueAppends(path.join(root, `q-${row.lines}`), row);
      // Bulk rows compare with a write+sync loop of the same size; single lines with one sync per line.
      const raw = await rawWriteSync(root, row.raw === 'loop' ? bytesPerAppend : LINE_BYTES);
      let appendsPerSecond;
      let rawPerSecond;
      try {
        [appendsPerSecond, rawPerSecond] = await alternate(rounds, seconds, [queue.step, raw.step]);
      } finally {
        await queue.done();
        await raw.done();
      }
      const queueLinesPerSecond = appendsPerSecond * row.lines;
      const rawLinesPerSecond = row.raw === 'loop' ? rawPerSecond * row.lines : rawPerSecond;
      rows.push({
        name: row.name,
        linesPerAppend: row.lines,
        raw: row.raw,
        concurrency: row.concurrency,
        queueLinesPerSecond,
        queueMBPerSecond: (queueLinesPerSecond * LINE_BYTES) / 1e6,
        rawLinesPerSecond,
        rawMBPerSecond: (rawLinesPerSecond * LINE_BYTES) / 1e6,
        rawKind: row.raw === 'loop' ? 'write+fdatasync loop' : 'one fdatasync per line',
        ratio: queueLinesPerSecond / rawLinesPerSecond,
        goal: row.goal,
      });
    }
    const big = bigMB > 0 ? await bigQueueMemory(path.join(root, 'big'), bigMB) : null;
    return { rows, big };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function printRows({ rows, big }) {
  const header = ['append', 'in flight', 'queue lines/s', 'queue MB/s', 'raw lines/s', 'raw MB/s', 'raw = ', 'queue/raw', 'goal'];
  const table = rows.map((r) => [
    r.name,
    String(r.concurrency),
    Math.round(r.queueLinesPerSecond).toLocaleString('en'),
    r.queueMBPerSecond.toFixed(1),
    Math.round(r.rawLinesPerSecond).toLocaleString('en'),
    r.rawMBPerSecond.toFixed(1),
    r.rawKind,
    r.raw === 'per-line' ? `${r.ratio.toFixed(1)}x` : `${(r.ratio * 100).toFixed(0)}%`,
    r.goal === null ? '-' : r.goal >= 1 ? `>= ${r.goal}x` : `>= ${r.goal * 100}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 0 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  for (const row of table) console.log(fmt(row));
  for (const r of rows) {
    if (r.goal !== null) console.log(`${r.name}, ${r.concurrency} in flight: ${r.ratio >= r.goal ? 'meets' : 'MISSES'} the goal`);
  }
  if (big) {
    console.log(
      `big queue ${big.megabytes} MB (${big.lines.toLocaleString('en')} lines): reopened in ${big.openSeconds.toFixed(1)} s, ` +
        `peak RSS growth while reopening and reading it all ${big.rssGrowthMB.toFixed(1)} MB`,
    );
  }
}

module.exports = { runQueueBench, printRows };

if (require.main === module) {
  runQueueBench()
    .then(printRows)
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}

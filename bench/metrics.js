'use strict';
// What one Prometheus scrape costs (issue #17: "no disk I/O, under a millisecond per stream"): real replication
// streams with queued lines (paused, so their figures stay put), then the metrics text of all of them, timed
// over many scrapes; every fs function is counted while the scrapes run.
// Run: npx tsc -p tsconfig.json && node bench/metrics.js   (METRICS_BENCH_STREAMS=200 by default)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ReplicationStream } = require('../nodes/lib/stream');
const { StreamRegistry } = require('../nodes/lib/stream-registry');
const { RemoteClient } = require('../nodes/lib/writer');
const { renderMetrics } = require('../nodes/lib/metrics/prometheus');

const STREAMS = Number(process.env.METRICS_BENCH_STREAMS || 200);
const SCRAPES = Number(process.env.METRICS_BENCH_SCRAPES || 200);

/** Wraps every function of fs and fs.promises with a counter; returns the counter and an undo. */
function countFsCalls() {
  const counts = { calls: 0, names: new Set() };
  const undo = [];
  for (const target of [fs, fs.promises]) {
    for (const name of Object.keys(target)) {
      const original = target[name];
      if (typeof original !== 'function' || /^[A-Z]/.test(name)) continue;
      target[name] = function (...args) {
        counts.calls++;
        counts.names.add(name);
        return original.apply(this, args);
      };
      undo.push(() => (target[name] = original));
    }
  }
  return { counts, restore: () => undo.forEach((fn) => fn()) };
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-metrics-'));
  // Nothing listens there: the streams are paused before anything is sent.
  const client = new RemoteClient({ remoteURL: 'http://127.0.0.1:9', remoteOrgID: 'o', writeAPI: 'v2', allowInsecureTLS: false }, { remoteAPIToken: 't' });
  const registry = new StreamRegistry();
  const streams = [];
  try {
    for (let i = 0; i < STREAMS; i++) {
      const stream = await ReplicationStream.open(
        {
          id: `bench${String(i).padStart(11, '0')}`,
          name: `gateway stream ${i}`,
          remoteID: 'remote',
          remoteBucketName: `bucket-${i % 10}`,
          remoteBucketID: '',
          maxQueueSizeBytes: 67108864,
          maxAgeSeconds: 0,
          dropNonRetryableData: false,
          maxBatchBytes: 500000,
          onQueueFull: 'reject',
          gzip: true,
          queueDir: path.join(root, String(i)),
        },
        client,
      );
      stream.pause();
      await stream.enqueue(Array.from({ length: 50 }, (_, n) => `bench,stream=${i} v=${n} ${1700000000000000000 + n}`));
      streams.push(stream);
      registry.add(stream);
    }
    renderMetrics(registry.figures()); // warm-up
    const { counts, restore } = countFsCalls();
    const started = process.hrtime.bigint();
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) bytes += renderMetrics(registry.figures()).length;
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    restore();
    const perScrapeMs = elapsedMs / SCRAPES;
    const perStreamUs = (perScrapeMs / STREAMS) * 1000;
    console.log('| streams | scrapes | ms per scrape | µs per stream | text per scrape | fs calls during scrapes |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    console.log(`| ${STREAMS} | ${SCRAPES} | ${perScrapeMs.toFixed(2)} | ${perStreamUs.toFixed(1)} | ${Math.round(bytes / SCRAPES / 1024)} kB | ${counts.calls}${counts.calls ? ` (${[...counts.names].join(', ')})` : ''} |`);
    const ok = perStreamUs < 1000 && counts.calls === 0;
    console.log(ok ? 'goal met: under 1 ms per stream, no file system call' : 'goal NOT met');
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const stream of streams) await stream.close(1000);
    await client.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

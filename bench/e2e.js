'use strict';
// End-to-end benchmark: a real Node-RED process and a real VictoriaMetrics, each contender in turn, same
// generator, same machine, same run. See bench/run.js for the table and docs/performance.md for how to read it.
//
// Contenders:
//   replication     this package's influxdb-replication node (durable queue, done() after fdatasync)
//   write-in        the same behind this package's influxdb-write-in endpoint (/api/v2/write, token) instead of http in
//   contrib-batch   node-red-contrib-influxdb 0.7 `influxdb batch` (influxdb-client WriteApi, flush per message)
//   client-writeapi a custom node around influxdb-client's WriteApi (bench/nodes/influxdb-client-writer)
// Beside them in the throughput rounds, two counters that deliver nowhere: Node-RED's ceiling (bench-counter), and
// the durable floor (the same node completing each message after its payload's fdatasync).
// Scenarios: throughput (1 line, 100 lines, 500 kB messages; gzip on/off; in rounds next to Node-RED's ceiling,
// with the Node-RED process's CPU per million lines, on both cores and pinned to one), outage (remote refused for 30 s at
// 10,000 lines/s), restart (Node-RED SIGKILLed during an outage), backlog (replication only: a queue filled
// while paused, then drained).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { request } = require('undici');
const { sleep } = require('../test/harness/servers');
const { startRemote } = require('./lib/remote');
const { startBenchNodeRed } = require('./lib/node-red');
const { createGenerator } = require('./lib/generator');
const { watchMemory } = require('../test/harness/rss');
const { linesForBytes, TYPICAL_LINE_BYTES, BASE_MS } = require('./lib/lines');
const { outageTimeline } = require('./lib/outage-timeline');
const flows = require('./lib/flows');
const ceilings = require('./lib/ceilings');
const cpu = require('./lib/cpu');

const SHAPES = [
  { key: '1', label: '1 line', lines: 1 },
  { key: '100', label: '100 lines', lines: 100 },
  { key: '500k', label: '500 kB', lines: linesForBytes(500000) },
];

const CONTENDERS = {
  replication: {
    label: 'influxdb-replication',
    measurement: 'bench_repl',
    format: 'lines',
    gzips: [true, false],
    needsReplication: true,
    flow: (url, o) => flows.replicationFlow(url, o),
  },
  // The same replication node behind the influxdb-write-in endpoint (InfluxDB's /api/v2/write with a token)
  // instead of `http in`: what the endpoint node costs per message.
  'write-in': {
    label: 'influxdb-write-in + replication',
    measurement: 'bench_writein',
    format: 'lines',
    gzips: [true, false],
    needsReplication: true,
    path: flows.WRITE_IN_PATH,
    headers: flows.WRITE_IN_HEADERS,
    flow: (url, o) => flows.writeInFlow(url, o),
  },
  'contrib-batch': {
    label: 'contrib-influxdb batch',
    measurement: 'bench_batch',
    format: 'points',
    // The node has no gzip setting: influxdb-client gzips bodies over 1 kB.
    gzips: ['auto'],
    flow: (url) => flows.contribBatchFlow(url),
  },
  'client-writeapi': {
    label: 'influxdb-client WriteApi node',
    measurement: 'bench_client',
    format: 'lines',
    gzips: [true, false],
    flow: (url, o) => flows.clientWriterFlow(url, o),
  },
};

const PROFILES = {
  default: {
    // Throughput in rounds: every contender and Node-RED's ceiling once per shape and round, in a fresh
    // Node-RED process each, the order rotated every round; the one-core rounds (Node-RED pinned) with each
    // contender's default gzip setting only.
    rounds: 5,
    oneCoreRounds: 3,
    // Steady state, as on a gateway that runs for months: after 0.5 s of warm-up the runs still measured the
    // JIT compiling each contender's path (Node-RED's ceiling alone cost half as much CPU per message again).
    durationMs: 3000,
    warmupMs: 2000,
    concurrency: 8,
    outageRate: 10000,
    outageBeforeMs: 5000,
    outageMs: 30000,
    outageAfterMs: 5000,
    restartOutageBeforeKillMs: 5000,
    restartAfterMs: 5000,
    quietMs: 20000,
    backlogBytes: 256 * 1024 * 1024,
    drainSegments: 5,
    drainRawMs: 1500,
    ceilingMs: 3000,
  },
  quick: {
    // A smoke run: every contender and scenario, but only the default gzip setting and short phases.
    onlyDefaultGzip: true,
    rounds: 2,
    oneCoreRounds: 1,
    durationMs: 1000,
    warmupMs: 200,
    concurrency: 8,
    outageRate: 10000,
    outageBeforeMs: 2000,
    outageMs: 5000,
    outageAfterMs: 2000,
    restartOutageBeforeKillMs: 2000,
    restartAfterMs: 2000,
    quietMs: 6000,
    backlogBytes: 32 * 1024 * 1024,
    drainSegments: 3,
    drainRawMs: 800,
    ceilingMs: 1000,
  },
};

let runCounter = 0;
function nextRun(prefix) {
  runCounter++;
  return `${prefix}-${process.pid}-${runCounter}`;
}

/**
 * Runs the end-to-end benchmark. options: { quick, backlogBytes, contenders: [...keys], scenarios: [...],
 * log: (text) => void }. Resolves with { profile, ceilings, rows, machine-independent notes }.
 */
async function runE2EBench(options = {}) {
  const profile = { ...PROFILES[options.quick ? 'quick' : 'default'] };
  if (options.backlogBytes) profile.backlogBytes = options.backlogBytes;
  if (options.outageMs) profile.outageMs = options.outageMs;
  if (options.rounds) profile.rounds = options.rounds;
  if (options.oneCoreRounds !== undefined) profile.oneCoreRounds = options.oneCoreRounds;
  if (options.warmupMs !== undefined) profile.warmupMs = options.warmupMs;
  if (options.durationMs) profile.durationMs = options.durationMs;
  const log = options.log || ((text) => process.stderr.write(text + '\n'));
  const contenderKeys = options.contenders || Object.keys(CONTENDERS);
  const scenarios = new Set(options.scenarios || ['throughput', 'outage', 'restart', 'backlog']);
  // Big enough for the backlog and for a 30 s outage at 10,000 lines/s (~30 MB), whatever the profile.
  profile.maxQueueSizeBytes = Math.max(2 * profile.backlogBytes, 256 * 1024 * 1024);

  const remote = await startRemote();
  const ctx = { remote, profile, log };
  const result = { profile, ceilings: {}, rows: [] };
  try {
    log('ceilings: disk, remote, influxdb-client, Node-RED');
    result.ceilings = await measureCeilings(ctx, scenarios);
    for (const key of contenderKeys) {
      if (!CONTENDERS[key]) throw new Error(`unknown contender ${key}; known: ${Object.keys(CONTENDERS).join(', ')}`);
    }
    if (scenarios.has('throughput')) {
      const twoCores = await throughputRounds(ctx, contenderKeys, { rounds: profile.rounds, oneCore: false });
      result.rows.push(...twoCores.rows);
      Object.assign(result.ceilings.nodeRed, twoCores.ceiling);
      if (os.cpus().length >= 2 && profile.oneCoreRounds > 0) {
        const oneCore = await throughputRounds(ctx, contenderKeys, { rounds: profile.oneCoreRounds, oneCore: true });
        result.oneCoreRows = oneCore.rows;
        result.ceilings.nodeRedOneCore = oneCore.ceiling;
      }
    }
    for (const key of contenderKeys) {
      const contender = { key, ...CONTENDERS[key] };
      if (profile.onlyDefaultGzip) contender.gzips = contender.gzips.slice(0, 1);
      if (scenarios.has('outage')) {
        log(`${key}: outage of ${profile.outageMs / 1000} s at ${profile.outageRate} lines/s`);
        result.rows.push(await guarded(ctx, contender, 'outage', () => outageRun(ctx, contender)));
      }
      if (scenarios.has('restart')) {
        log(`${key}: restart (SIGKILL) during an outage`);
        result.rows.push(await guarded(ctx, contender, 'restart', () => restartRun(ctx, contender)));
      }
      if (scenarios.has('backlog') && key === 'replication') {
        for (const gzip of contender.gzips) {
          log(`${key}: backlog of ${Math.round(profile.backlogBytes / 1048576)} MB, then drain, gzip ${gzip}`);
          result.rows.push(await guarded(ctx, contender, 'backlog', () => backlogRun(ctx, contender, gzip)));
        }
      }
    }
  } finally {
    await remote.stop();
  }
  addRatios(result);
  return result;
}

/** A scenario that fails becomes a row that says so, instead of ending the whole benchmark. */
async function guarded(ctx, contender, scenario, fn) {
  const loadBefore = os.loadavg()[0];
  try {
    const row = await fn();
    // Other work on the machine shows up here: a contender measured under load is not comparable.
    row.loadAvg = Math.max(loadBefore, os.loadavg()[0]);
    return row;
  } catch (err) {
    ctx.log(`  FAILED: ${err.message.split('\n')[0]}`);
    return { contender: contender.key, label: contender.label, scenario, error: err.message.split('\n').slice(0, 3).join(' ') };
  }
}

async function measureCeilings(ctx, scenarios) {
  const { remote, profile } = ctx;
  const c = { remote: {}, influxdbClient: {}, nodeRed: {} };
  c.disk = await ceilings.diskCeiling({ durationMs: profile.ceilingMs });
  for (const gzip of [true, false]) {
    const runs = [];
    for (const concurrency of [1, 4]) {
      runs.push(await ceilings.remoteCeiling(remote.url, { gzip, concurrency, durationMs: profile.ceilingMs, run: nextRun('raw') }));
    }
    const best = runs.reduce((a, b) => (b.linesPerSec > a.linesPerSec ? b : a));
    c.remote[gzip ? 'gzip' : 'plain'] = { linesPerSec: best.linesPerSec, concurrency: best.concurrency, runs };
    c.influxdbClient[gzip ? 'gzip' : 'plain'] = await ceilings.influxdbClientCeiling(remote.url, { gzip, durationMs: profile.ceilingMs, run: nextRun('icl') });
  }
  // Node-RED's own ceiling per message shape (c.nodeRed) is measured in the throughput rounds, next to the
  // contenders.
  c.nodeRedAlone = await measureNodeRedAlone(ctx, scenarios);
  return c;
}

/**
 * Node-RED alone (the counter flow, each in a fresh process, like every contender's run) under the load of the
 * outage, restart and backlog runs. Most of a Node-RED process's RSS growth under load is V8 letting the garbage
 * of handled messages pile up in the old generation until a full collection, whatever node handles them (the
 * counter alone grows about 100 MB in 40 s at 10,000 lines/s); a contender's own footprint is its growth beyond
 * this twin's.
 */
async function measureNodeRedAlone(ctx, scenarios) {
  const { profile } = ctx;
  const alone = {};
  if (scenarios.has('outage')) {
    const ms = profile.outageBeforeMs + profile.outageMs + profile.outageAfterMs;
    alone.outage = await nodeRedAloneRun(ctx, 100, profile.concurrency, (gen) => gen.openLoop(profile.outageRate, ms));
  }
  if (scenarios.has('restart')) {
    const ms = profile.outageBeforeMs + profile.restartOutageBeforeKillMs + 2 * profile.restartAfterMs;
    alone.restart = await nodeRedAloneRun(ctx, 100, profile.concurrency, (gen) => gen.openLoop(profile.outageRate, ms));
  }
  if (scenarios.has('backlog')) {
    alone.backlog = await nodeRedAloneRun(ctx, linesForBytes(500000), 4, (gen) => fillLoop(gen, profile.backlogBytes));
  }
  return alone;
}

async function nodeRedAloneRun(ctx, linesPerMessage, concurrency, drive) {
  const { flows: counter, credentials } = flows.counterFlow();
  const red = await startBenchNodeRed({ flows: counter, credentials });
  try {
    const gen = createGenerator({ url: red.url, path: '/ceiling', measurement: 'bench_alone', run: nextRun('alone'), linesPerMessage, concurrency });
    const memory = watchMemory(red.pid);
    const start = Date.now();
    await drive(gen);
    const seconds = (Date.now() - start) / 1000;
    const s = gen.stats();
    await gen.close();
    const mem = memory.stop();
    if (s.refused || s.noAnswer) throw new Error(`Node-RED alone: ${errorText(gen)}`);
    return { linesPerSec: s.acked / seconds, seconds, peakRssMB: mem.peakMB, rssGrowthMB: mem.growthMB };
  } finally {
    await red.stop();
  }
}

/** Closed loop until `bytes` of messages were acknowledged (the backlog fill). */
async function fillLoop(gen, bytes) {
  while (gen.stats().bytesAcked < bytes) {
    await gen.closedLoop(500);
    if (gen.stats().refused > 0) throw new Error(`filling: ${errorText(gen)}`);
  }
}

function startContender(ctx, contender, { remoteURL, gzip }) {
  const { flows: f, credentials } = contender.flow(remoteURL, { gzip: gzip === 'auto' ? true : gzip, maxQueueSizeBytes: ctx.profile.maxQueueSizeBytes });
  return startBenchNodeRed({ flows: f, credentials, needsReplication: !!contender.needsReplication });
}

function generatorFor(red, contender, run, linesPerMessage, concurrency) {
  return createGenerator({ url: red.url, path: contender.path, headers: contender.headers, format: contender.format, measurement: contender.measurement, run, linesPerMessage, concurrency });
}

/** Node-RED's ceiling as a contender of the rounds: the counter node behind the same frame (POST /ceiling). */
const CEILING = { key: 'ceiling', label: 'ceiling: Node-RED (counter node)', measurement: 'bench_ceiling', format: 'lines', path: '/ceiling', gzips: [undefined], counter: true };
/**
 * The same counter, completing each message only after its fdatasync (POST /durable): what answering once the
 * data is on disk costs Node-RED by itself on this disk, shown as a row like a contender's.
 */
const DURABLE_FLOOR = {
  key: 'durable-floor',
  label: 'durable floor: Node-RED (counter node + fdatasync)',
  measurement: 'bench_durable',
  format: 'lines',
  path: '/durable',
  gzips: [undefined],
  counter: true,
};

/**
 * Throughput in rounds. Each round runs Node-RED's ceiling and every contender (each gzip setting) once per
 * message shape, each in a fresh Node-RED process, in an order rotated every round; a contender's share of
 * the ceiling is taken per round (against the ceiling of the same shape in the same round) and the row shows
 * the median and the spread of those shares. Single runs swung 0.76x-1.71x between contenders on 2 shared
 * cores; a median of per-round ratios does not follow one unlucky run.
 * Every run also reads the Node-RED process's CPU seconds from its first request to the last line arriving
 * at the remote: CPU seconds per million lines, end to end.
 * With `oneCore`, Node-RED is pinned to CPU 0 and the remote and this process (the generator) to the others:
 * a Raspberry-Pi-class gateway, with the rest of the world elsewhere. Only each contender's default gzip.
 * Resolves with { rows, ceiling: { [shape]: Node-RED's ceiling, as measurementCeilings' nodeRed } }.
 */
async function throughputRounds(ctx, contenderKeys, { rounds, oneCore }) {
  const { remote, profile, log } = ctx;
  const entries = [{ ...CEILING, gzip: undefined }, { ...DURABLE_FLOOR, gzip: undefined }];
  for (const key of contenderKeys) {
    const gzips = profile.onlyDefaultGzip || oneCore ? CONTENDERS[key].gzips.slice(0, 1) : CONTENDERS[key].gzips;
    for (const gzip of gzips) entries.push({ key, ...CONTENDERS[key], gzip });
  }
  const placement = oneCore ? { nodeRed: '0', rest: `1-${os.cpus().length - 1}` } : null;
  if (placement) {
    cpu.pin(remote.vmPid, placement.rest);
    cpu.pin(process.pid, placement.rest);
  }
  const runs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = entries.map((_, i) => entries[(i + round) % entries.length]);
      for (const shape of SHAPES) {
        for (const entry of order) {
          log(`throughput${oneCore ? ', Node-RED on 1 core' : ''}, round ${round + 1}/${rounds}, ${shape.label}: ${entry.key}${entry.gzip === undefined ? '' : `, gzip ${entry.gzip}`}`);
          try {
            runs.push({ round, shape: shape.key, entry, ...(await roundRun(ctx, entry, shape, placement)) });
          } catch (err) {
            log(`  FAILED: ${err.message.split('\n')[0]}`);
            runs.push({ round, shape: shape.key, entry, error: err.message.split('\n').slice(0, 3).join(' ') });
          }
        }
      }
    }
  } finally {
    if (placement) {
      cpu.pin(remote.vmPid, cpu.allCpus());
      cpu.pin(process.pid, cpu.allCpus());
    }
  }
  return summariseRounds(runs, entries, oneCore);
}

/** One contender, one shape, one round: a fresh Node-RED process, warm-up, a closed loop, then the drain. */
async function roundRun(ctx, entry, shape, placement) {
  const { remote, profile } = ctx;
  const isCounter = entry.counter === true;
  const red = isCounter ? await startBenchNodeRed(flows.counterFlow()) : await startContender(ctx, entry, { remoteURL: remote.url, gzip: entry.gzip });
  try {
    if (placement) cpu.pin(red.pid, placement.nodeRed);
    const warm = generatorFor(red, entry, nextRun('warm'), shape.lines, profile.concurrency);
    await warm.closedLoop(profile.warmupMs);
    await warm.close();
    const run = nextRun('tp');
    const gen = generatorFor(red, entry, run, shape.lines, profile.concurrency);
    const memory = watchMemory(red.pid);
    const cpuAtStart = cpu.cpuSecondsOf(red.pid);
    const start = Date.now();
    await gen.closedLoop(profile.durationMs);
    const end = Date.now();
    const s = gen.stats();
    await gen.close();
    // The counters deliver nowhere: their last answer is their last line. The others: until the remote has them
    // all (or arrivals stopped), polled every 250 ms, while Node-RED, idle by then, uses next to no CPU.
    const drained = isCounter ? { count: s.acked, doneAt: end, complete: true } : await remote.waitForLines(entry.measurement, run, s.offered, { quietMs: Math.min(profile.quietMs, 10000), timeoutMs: 120000 });
    const cpuSeconds = cpu.cpuSecondsOf(red.pid) - cpuAtStart;
    const mem = memory.stop();
    const seconds = (end - start) / 1000;
    return {
      acceptedLinesPerSec: s.acked / seconds,
      acceptedBytesPerSec: s.bytesAcked / seconds,
      arrivedLinesPerSec: arrivalRate(start, drained),
      cpuSeconds,
      cpuSecondsPerMillion: drained.count ? (cpuSeconds / drained.count) * 1e6 : undefined,
      cpuMsPerMessage: drained.count ? (cpuSeconds * 1000 * shape.lines) / drained.count : undefined,
      sent: s.offered,
      acked: s.acked,
      refused: s.refused,
      arrived: drained.count,
      lost: Math.max(0, s.offered - drained.count),
      peakRssMB: mem.peakMB,
      rssGrowthMB: mem.growthMB,
      rssBaselineMB: mem.baselineMB,
      lastError: errorText(gen),
    };
  } finally {
    await red.stop();
  }
}

function median(values) {
  const sorted = values.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!sorted.length) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values) {
  const v = values.filter((x) => x !== undefined && !Number.isNaN(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : undefined;
}

/**
 * One row per contender, gzip setting and shape: medians over rounds, each round's share of the same round's
 * ceiling, and the per-round figures themselves (perRound) for the goals that compare two contenders round
 * by round.
 */
function summariseRounds(runs, entries, oneCore) {
  const rows = [];
  const ceiling = {};
  const ceilingOf = (round, shape) => runs.find((r) => r.entry.key === CEILING.key && r.round === round && r.shape === shape && !r.error);
  for (const shape of SHAPES) {
    for (const entry of entries) {
      const mine = runs.filter((r) => r.entry === entry && r.shape === shape.key);
      const ok = mine.filter((r) => !r.error);
      const scenario = `throughput ${shape.label}${oneCore ? ', Node-RED on 1 core' : ''}`;
      if (!ok.length) {
        rows.push({ contender: entry.key, label: entry.label, scenario, shape: shape.key, gzip: entry.gzip, cores: oneCore ? 1 : 2, error: mine.length ? mine[0].error : 'not run' });
        continue;
      }
      const perRound = ok.map((r) => {
        const c = ceilingOf(r.round, shape.key);
        return {
          round: r.round,
          arrivedLinesPerSec: r.arrivedLinesPerSec,
          acceptedLinesPerSec: r.acceptedLinesPerSec,
          ofNodeRed: c ? r.arrivedLinesPerSec / c.acceptedLinesPerSec : undefined,
          cpuSecondsPerMillion: r.cpuSecondsPerMillion,
          cpuMsPerMessage: r.cpuMsPerMessage,
        };
      });
      const sum = (k) => ok.reduce((n, r) => n + (r[k] || 0), 0);
      const row = {
        contender: entry.key,
        label: entry.label,
        scenario,
        shape: shape.key,
        gzip: entry.gzip,
        cores: oneCore ? 1 : 2,
        rounds: ok.length,
        failedRounds: mine.length - ok.length,
        acceptedLinesPerSec: median(ok.map((r) => r.acceptedLinesPerSec)),
        acceptedBytesPerSec: median(ok.map((r) => r.acceptedBytesPerSec)),
        arrivedLinesPerSec: median(ok.map((r) => r.arrivedLinesPerSec)),
        arrivedRange: spread(ok.map((r) => r.arrivedLinesPerSec)),
        ofNodeRed: median(perRound.map((r) => r.ofNodeRed)),
        ofNodeRedRange: spread(perRound.map((r) => r.ofNodeRed)),
        cpuSecondsPerMillion: median(perRound.map((r) => r.cpuSecondsPerMillion)),
        cpuRange: spread(perRound.map((r) => r.cpuSecondsPerMillion)),
        cpuMsPerMessage: median(perRound.map((r) => r.cpuMsPerMessage)),
        perRound,
        sent: sum('sent'),
        acked: sum('acked'),
        refused: sum('refused'),
        arrived: sum('arrived'),
        lost: sum('lost'),
        // Memory: the worst round.
        peakRssMB: Math.max(...ok.map((r) => r.peakRssMB)),
        rssGrowthMB: Math.max(...ok.map((r) => r.rssGrowthMB)),
        lastError: ok.map((r) => r.lastError).find(Boolean),
      };
      if (entry.key === CEILING.key) {
        ceiling[shape.key] = {
          linesPerSec: row.acceptedLinesPerSec,
          messagesPerSec: row.acceptedLinesPerSec / shape.lines,
          bytesPerSec: row.acceptedBytesPerSec,
          range: spread(ok.map((r) => r.acceptedLinesPerSec)),
          rounds: row.rounds,
          cpuSecondsPerMillion: row.cpuSecondsPerMillion,
          cpuRange: row.cpuRange,
          peakRssMB: row.peakRssMB,
          rssGrowthMB: row.rssGrowthMB,
        };
      } else {
        rows.push(row);
      }
    }
  }
  return { rows, ceiling };
}

/**
 * End-to-end lines/s: lines that arrived / time from the first message sent to the last line arriving. It counts
 * whatever a contender keeps in flight or in a queue at the end of the run (batching delay, a backlog that
 * still drains), which a window of arrivals during the run would leave out; a contender that loses lines is
 * timed to its last arrival.
 */
function arrivalRate(start, drained) {
  return drained.count / Math.max(0.001, (drained.doneAt - start) / 1000);
}

function errorText(gen) {
  const err = gen.lastError();
  return err ? String(err.message || err).slice(0, 200) : undefined;
}

/** Remote refused for outageMs at a steady 10,000 lines/s (100-line messages), then back. */
async function outageRun(ctx, contender) {
  const { remote, profile } = ctx;
  const gzip = contender.gzips[0];
  await remote.setReachable(true);
  const red = await startContender(ctx, contender, { remoteURL: remote.proxyURL, gzip });
  let sampler;
  try {
    const run = nextRun('out');
    const gen = generatorFor(red, contender, run, 100, profile.concurrency);
    const memory = watchMemory(red.pid);
    const total = profile.outageBeforeMs + profile.outageMs + profile.outageAfterMs;
    sampler = sampleProgress(remote, contender, run, gen);
    const loop = gen.openLoop(profile.outageRate, total);
    await sleep(profile.outageBeforeMs);
    sampler.mark('down');
    await remote.setReachable(false);
    await sleep(profile.outageMs);
    const restoredAt = Date.now();
    sampler.mark('up');
    await remote.setReachable(true);
    await loop;
    const emptyAt = contender.needsReplication ? await waitForQueueEmpty(red, 180000) : undefined;
    return await lossRow(ctx, contender, 'outage', { gzip, gen, run, restoredAt, memory, sampler, emptyAt });
  } finally {
    if (sampler) await sampler.stop();
    await remote.setReachable(true);
    await red.stop();
  }
}

/**
 * The row of an outage or restart run: once the generator has stopped, wait until everything was delivered,
 * then count what arrived (distinct lines) against what was sent. For our contenders `emptyAt` is when the
 * stream's remainingLinesToBeSynced reached 0: every line the remote will get is there, so the count is taken
 * at once. A wait for arrivals to go quiet would end early while the stream sits in a backoff after the
 * outage (a quick run once counted 70,000 lines as lost that way). The other contenders keep nothing to
 * ask, so for them the wait ends when arrivals have stopped for quietMs.
 */
async function lossRow(ctx, contender, scenario, { gzip, gen, run, restoredAt, memory, sampler, emptyAt }) {
  const { remote, profile } = ctx;
  const s = gen.stats();
  await gen.close();
  const drained =
    emptyAt !== undefined
      ? await deliveredCount(remote, contender.measurement, run, s.offered, emptyAt)
      : await remote.waitForLines(contender.measurement, run, s.offered, { quietMs: profile.quietMs, timeoutMs: 180000 });
  const probes = sampler ? await sampler.stop() : undefined;
  const counted = await remote.countUniqueLines(contender.measurement, run, { withTimestamps: !!probes });
  const mem = memory.stop();
  const timeline = probes && {
    outage: { fromSec: sampler.marks.down, toSec: sampler.marks.up },
    samples: outageTimeline(probes, [...counted.timestamps].map((ts) => ts - BASE_MS)),
  };
  return {
    contender: contender.key,
    label: contender.label,
    scenario,
    gzip,
    sent: s.offered,
    acked: s.acked,
    refused: s.refused,
    arrived: counted.unique,
    duplicates: counted.samples - counted.unique,
    lost: Math.max(0, s.offered - counted.unique),
    recoverySec: drained.complete ? (drained.doneAt - restoredAt) / 1000 : null,
    peakRssMB: mem.peakMB,
    rssGrowthMB: mem.growthMB,
    rssBaselineMB: mem.baselineMB,
    lastError: errorText(gen),
    ...(timeline && { timeline }),
  };
}

/**
 * Every second until stop(): lines handed to Node-RED so far (the generator's next sequence number) and the
 * remote's count of the run's lines, for the outage plot. stop() resolves with [{ t, sentSeq, arrived }];
 * mark(name) notes the time of an event in `marks` (seconds, like t).
 */
function sampleProgress(remote, contender, run, gen) {
  const startedAt = Date.now();
  const seconds = () => Math.round((Date.now() - startedAt) / 100) / 10;
  const probes = [];
  const marks = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentSeq = gen.stats().nextSeq;
      const t = seconds();
      try {
        probes.push({ t, sentSeq, arrived: await remote.countLines(contender.measurement, run) });
      } catch {
        // A count that failed (the remote busy) is a gap in the plot, not a failed run.
      }
      await sleep(1000);
    }
  })();
  return {
    marks,
    mark(name) {
      marks[name] = seconds();
    },
    async stop() {
      running = false;
      await loop;
      return probes;
    },
  };
}

/**
 * Node-RED SIGKILLed during an outage and started again (same user dir, so a durable queue survives), then
 * the remote comes back. The generator is paused around the kill so that every line it counts as sent was
 * answered by Node-RED: nothing is "in doubt".
 */
async function restartRun(ctx, contender) {
  const { remote, profile } = ctx;
  const gzip = contender.gzips[0];
  await remote.setReachable(true);
  const red = await startContender(ctx, contender, { remoteURL: remote.proxyURL, gzip });
  try {
    const run = nextRun('rst');
    const gen = generatorFor(red, contender, run, 100, profile.concurrency);
    const memory = watchMemory(red.pid);
    await gen.openLoop(profile.outageRate, profile.outageBeforeMs);
    await remote.setReachable(false);
    await gen.openLoop(profile.outageRate, profile.restartOutageBeforeKillMs);
    await red.kill('SIGKILL');
    await red.restart();
    memory.track(red.pid);
    await gen.reset();
    await gen.openLoop(profile.outageRate, profile.restartAfterMs);
    const restoredAt = Date.now();
    await remote.setReachable(true);
    await gen.openLoop(profile.outageRate, profile.restartAfterMs);
    const emptyAt = contender.needsReplication ? await waitForQueueEmpty(red, 180000) : undefined;
    return await lossRow(ctx, contender, 'restart', { gzip, gen, run, restoredAt, memory, emptyAt });
  } finally {
    await remote.setReachable(true);
    await red.stop();
  }
}

/** Replication only: fill the queue with 500 kB messages while the stream is paused, then resume and time the drain. */
async function backlogRun(ctx, contender, gzip) {
  const { remote, profile } = ctx;
  const red = await startContender(ctx, contender, { remoteURL: remote.url, gzip });
  try {
    await control(red, 'pause');
    const run = nextRun('blg');
    const gen = generatorFor(red, contender, run, linesForBytes(500000), 4);
    const memory = watchMemory(red.pid);
    const fillStart = Date.now();
    await fillLoop(gen, profile.backlogBytes);
    const fillSeconds = (Date.now() - fillStart) / 1000;
    const s = gen.stats();
    await gen.close();
    const queueBytes = folderBytes(path.join(red.userDir, 'influxdb-replication'));
    const fillMem = memory.stop();
    const drainMemory = watchMemory(red.pid);
    const drain = await segmentedDrain(ctx, red, gzip, s.acked);
    const drainMem = drainMemory.stop();
    const drained = await remote.waitForLines(contender.measurement, run, s.acked, { quietMs: profile.quietMs, timeoutMs: 300000 });
    return {
      contender: contender.key,
      label: contender.label,
      scenario: `backlog ${Math.round(profile.backlogBytes / 1048576)} MB`,
      gzip,
      acceptedLinesPerSec: s.acked / fillSeconds,
      acceptedBytesPerSec: s.bytesAcked / fillSeconds,
      arrivedLinesPerSec: drain.linesPerSec,
      drainComplete: drained.complete,
      rawLoopLinesPerSec: drain.rawLinesPerSec,
      drainSegments: drain.segments,
      drainRatioMedian: drain.medianRatio,
      queueBytesOnDisk: queueBytes,
      sent: s.offered,
      acked: s.acked,
      refused: s.refused,
      arrived: drained.count,
      lost: Math.max(0, s.acked - drained.count),
      // Growth is measured from the RSS before the fill, for both phases.
      peakRssMB: Math.max(fillMem.peakMB, drainMem.peakMB),
      rssGrowthMB: Math.max(fillMem.peakMB, drainMem.peakMB) - fillMem.baselineMB,
      fillPeakRssMB: fillMem.peakMB,
      drainPeakRssMB: drainMem.peakMB,
      // The drain alone, from the RSS the fill left behind: what reading and sending the backlog costs.
      drainRssGrowthMB: drainMem.growthMB,
      rssBaselineMB: fillMem.baselineMB,
    };
  } finally {
    await red.stop();
  }
}

/**
 * Drains the backlog in `profile.drainSegments` parts (resume, wait for a share of the lines to be sent, pause),
 * with the raw undici loop at the same concurrency before, between and after them. Each part is read against
 * the mean of the raw loops on either side of it; the median of those ratios is the figure, because one
 * VictoriaMetrics stall (a merge, a flush: 100-200 ms, seen in every run) weighs on a single part only.
 * Parts are timed by the stream's own count of lines the remote answered 2xx to (as the raw loop counts 204s),
 * polled through the admin API: polling VictoriaMetrics' count instead would cost it CPU while it ingests,
 * slowing the very drain being timed. The arrivals are counted in the remote afterwards.
 */
async function segmentedDrain(ctx, red, gzip, totalLines) {
  const parts = ctx.profile.drainSegments;
  const raws = [await rawLoopNow(ctx, gzip)];
  const segments = [];
  const base = (await replicationRow(red)).linesSent;
  for (let k = 1; k <= parts; k++) {
    const start = await replicationRow(red);
    const startedAt = Date.now();
    await control(red, 'resume');
    const done = await waitForLinesSent(red, base + Math.ceil((totalLines * k) / parts), 900000);
    if (k < parts) await control(red, 'pause');
    const seconds = (done.at - startedAt) / 1000;
    raws.push(await rawLoopNow(ctx, gzip));
    const linesPerSec = (done.linesSent - start.linesSent) / Math.max(0.001, seconds);
    const raw = (raws[k - 1] + raws[k]) / 2;
    segments.push({ lines: done.linesSent - start.linesSent, seconds, linesPerSec, rawLinesPerSec: raw, ratio: linesPerSec / raw });
  }
  const ratios = segments.map((x) => x.ratio).sort((a, b) => a - b);
  const middle = ratios.length >> 1;
  return {
    linesPerSec: segments.reduce((n, x) => n + x.lines, 0) / segments.reduce((t, x) => t + x.seconds, 0),
    rawLinesPerSec: raws.reduce((a, b) => a + b, 0) / raws.length,
    medianRatio: ratios.length % 2 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2,
    segments,
  };
}

/** Lines/s of the raw undici loop, one request at a time (as the stream sends by default), measured now. */
async function rawLoopNow({ remote, profile }, gzip) {
  const r = await ceilings.remoteCeiling(remote.url, { gzip, concurrency: 1, durationMs: profile.drainRawMs, run: nextRun('raw') });
  if (r.errors) throw new Error(`raw loop: ${r.errors} requests failed`);
  return r.linesPerSec;
}

/** Our stream's row in the admin API's replication list (the bench flow has exactly one). */
async function replicationRow(red) {
  const res = await request(`${red.url}/influxdb-replication/replications`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`replication list answered ${res.statusCode}: ${text}`);
  const rows = JSON.parse(text);
  if (rows.length !== 1) throw new Error(`expected one replication stream, found ${rows.length}`);
  return rows[0];
}

/** Polls our stream's row every `intervalMs` until `done(row)`; resolves with that row and the time it was read. */
async function waitForRow(red, done, { timeoutMs, intervalMs, describe }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await replicationRow(red);
    if (done(row)) return { row, at: Date.now() };
    if (Date.now() > deadline) throw new Error(`${describe(row)} after ${timeoutMs / 1000} s: ${row.latestErrorMessage}`);
    await sleep(intervalMs);
  }
}

/** Resolves with the time at which the stream had sent `lines` lines (polled every 50 ms), and its count then. */
async function waitForLinesSent(red, lines, timeoutMs) {
  const { row, at } = await waitForRow(red, (r) => r.linesSent >= lines, { timeoutMs, intervalMs: 50, describe: (r) => `stream sent ${r.linesSent} of ${lines} lines` });
  return { at, linesSent: row.linesSent };
}

/**
 * Waits until the stream has nothing left to send (a backoff after an outage may take a while); resolves with
 * the time it saw that.
 */
async function waitForQueueEmpty(red, timeoutMs) {
  const { at } = await waitForRow(red, (r) => r.remainingLinesToBeSynced === 0, { timeoutMs, intervalMs: 250, describe: (r) => `stream still has ${r.remainingLinesToBeSynced} lines queued` });
  return at;
}

/**
 * The remote's count once our stream has nothing left to send: what the remote acknowledged is stored, so
 * one count (after VictoriaMetrics' force_flush) is the final one. In the shape of remote.waitForLines' answer.
 */
async function deliveredCount(remote, measurement, run, expected, emptyAt) {
  const count = await remote.countLines(measurement, run);
  return { count, doneAt: emptyAt, complete: count >= expected };
}

async function control(red, what) {
  const res = await request(`${red.url}/control`, {
    method: 'POST',
    body: JSON.stringify({ control: what }),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  if (res.statusCode !== 204) throw new Error(`control ${what} answered ${res.statusCode}: ${text}`);
}

function folderBytes(dir) {
  let total = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** Each row's figures as shares of the ceilings measured in this run. */
function addRatios(result) {
  const c = result.ceilings;
  for (const row of result.rows) {
    if (row.error) continue;
    const alone = c.nodeRedAlone && c.nodeRedAlone[row.scenario.startsWith('backlog') ? 'backlog' : row.scenario];
    if (alone && row.rssGrowthMB !== undefined) {
      row.nodeRedAloneGrowthMB = alone.rssGrowthMB;
      row.ownGrowthMB = row.rssGrowthMB - alone.rssGrowthMB;
    }
    if (row.ofNodeRed === undefined && row.nodeRedCeilingLinesPerSec) row.ofNodeRed = row.arrivedLinesPerSec / row.nodeRedCeilingLinesPerSec;
    const key = row.gzip === false ? 'plain' : 'gzip';
    // A backlog drain is read against the raw loop at its own concurrency, measured around it; the throughput
    // rows against the remote's best at the start of the run.
    const remote = row.rawLoopLinesPerSec ? { linesPerSec: row.rawLoopLinesPerSec } : c.remote[key];
    if (row.drainRatioMedian !== undefined) row.ofRemote = row.drainRatioMedian;
    else if (remote && row.arrivedLinesPerSec !== undefined) row.ofRemote = row.arrivedLinesPerSec / remote.linesPerSec;
    if (row.shape === '500k' || row.scenario.startsWith('backlog')) {
      if (row.acceptedBytesPerSec !== undefined && c.disk) row.ofDisk = row.acceptedBytesPerSec / c.disk.bytesPerSec;
    }
  }
}

module.exports = { runE2EBench, median, CONTENDERS, SHAPES, PROFILES, TYPICAL_LINE_BYTES };

'use strict';
// `npm run bench:fleet` (issue #17): a fleet of gateways (replication streams, each with its own queue folder and
// remote client, spread over several processes) writes to one real VictoriaMetrics behind a quota proxy that
// answers 429 + Retry-After beyond a byte budget per fixed window, as InfluxDB Cloud does. Steady writes, then the
// remote is down long enough for every gateway to queue a backlog, then it comes back (writes stop then, so the
// ideal drain time is the total backlog over the quota). Run twice: with each gateway's rate limit set to its
// share of the quota (plus recovery jitter), and with 429s only. Prints one table and the goals.
//
//   npm run bench:fleet -- [--gateways=100] [--processes=4] [--window-s=5] [--budget-kb=250] [--steady-s=10]
//                          [--outage-s=40] [--lines-per-s=4] [--modes=limited,unlimited] [--node-red=3]
// `--name=NAME` names the result files (bench/results/NAME.md and .json; default fleet).
// `--node-red=N` of the gateways are real Node-RED processes running the package's nodes (one gateway each).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { startVictoriaMetrics, sleep } = require('../test/harness/servers');
const { startQuotaProxy } = require('../test/harness/quota-proxy');
const { startNodeRedGateway } = require('./lib/fleet-node-red');

function options(argv) {
  const o = { name: 'fleet', nodeRed: 3, gateways: 100, processes: 4, windowS: 5, budgetKb: 250, steadyS: 10, outageS: 40, linesPerS: 4, modes: ['limited', 'unlimited'] };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    const camel = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (camel === 'modes') o.modes = value.split(',');
    else if (camel === 'name') o.name = value;
    else if (camel in o) o[camel] = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function runMode(mode, o, vm) {
  const windowMs = o.windowS * 1000;
  const budgetBytes = o.budgetKb * 1000;
  const proxy = await startQuotaProxy({ target: vm.url, windowMs, budgetBytes });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `bench-fleet-${mode}-`));
  const run = `${mode}${Date.now()}`;
  const limited = mode === 'limited';
  const tickMs = 250;
  const workers = [];
  const reds = [];
  const latest = new Map(); // gateway id -> last status
  const history = []; // { at, id, remainingLines }
  const share = Math.floor(budgetBytes / o.gateways);
  const baseMs = Date.now() - 3_600_000;
  const writer = { initialBackoffMs: 500, maxBackoffMs: 4000, requestTimeoutMs: 10000 };
  const linesPerTick = Math.max(1, Math.round((o.linesPerS * tickMs) / 1000));
  // Two batches fill a share: with batches that do not divide it, part of every window goes unused.
  const maxBatchBytes = Math.max(1000, Math.floor(share / 2));
  const onStatus = (g) => {
    latest.set(g.id, g);
    history.push({ at: g.at, id: g.id, remainingLines: g.remainingLines });
  };
  try {
    for (let r = 0; r < o.nodeRed; r++) {
      reds.push(
        await startNodeRedGateway({
          id: `red${r}`,
          proxyURL: proxy.url,
          rateLimit: limited ? { bytes: share, periodMs: windowMs } : null,
          jitterS: limited ? 2 : 0,
          linesPerTick,
          tickMs,
          maxBatchBytes,
          run,
          baseMs,
          writer,
          onStatus,
        }),
      );
    }
    const plain = o.gateways - o.nodeRed;
    for (let p = 0; p < o.processes; p++) {
      const ids = [];
      for (let g = p; g < plain; g += o.processes) ids.push(`gw${String(g).padStart(3, '0')}`);
      const child = fork(path.join(__dirname, 'lib', 'fleet-gateway.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const worker = { child, waiters: [] };
      child.on('message', (m) => {
        if (m.type === 'status') {
          for (const g of m.gateways) onStatus({ ...g, at: m.at });
        } else if (m.type === 'error') console.error(`worker ${p}: ${m.message}`);
        for (const w of worker.waiters.splice(0)) w(m);
      });
      worker.next = (type) => new Promise((resolve) => {
        const wait = (m) => (m.type === type ? resolve(m) : worker.waiters.push(wait));
        worker.waiters.push(wait);
      });
      worker.ids = ids;
      workers.push(worker);
      child.send({
        type: 'start',
        run,
        baseMs,
        remoteURL: proxy.url,
        gateways: ids.map((id) => ({ id, queueDir: path.join(root, id) })),
        rateLimit: limited ? { bytes: share, periodMs: windowMs } : null,
        jitterMs: limited ? 2000 : 0,
        maxBatchBytes,
        linesPerTick,
        tickMs,
        writer,
      });
    }
    await Promise.all(workers.map((w) => w.next('ready')));
    const sendAll = async (message, reply) =>
      Promise.all([
        ...workers.map((w) => (w.child.send(message), w.next(reply))),
        ...(message.type === 'write' ? reds.map((red) => red.write(message.on)) : []),
      ]);

    await sendAll({ type: 'write', on: true }, 'writing');
    await sleep(o.steadyS * 1000);
    proxy.down();
    const downAt = Date.now();
    await sleep(o.outageS * 1000);
    await sendAll({ type: 'write', on: false }, 'writing');
    await sleep(300); // the last appends and a status report
    const backlogBytes = [...latest.values()].reduce((s, g) => s + g.remainingBytes, 0);
    const backlogLines = [...latest.values()].reduce((s, g) => s + g.remainingLines, 0);
    const recoveredAt = Date.now();
    proxy.up();

    const idealS = backlogBytes / (budgetBytes / o.windowS);
    const deadline = recoveredAt + Math.max(120_000, idealS * 10_000);
    while ([...latest.values()].some((g) => g.remainingLines > 0 || g.at < recoveredAt) && Date.now() < deadline) await sleep(200);
    const finishes = [];
    for (const id of latest.keys()) {
      const done = history.find((h) => h.id === id && h.at >= recoveredAt && h.remainingLines === 0);
      finishes.push(done ? (done.at - recoveredAt) / 1000 : Infinity);
    }
    await sendAll({ type: 'close' }, 'closed');
    for (const red of reds.splice(0)) await red.close();

    const expected = [...latest.values()].reduce((s, g) => s + g.enqueued - g.refused, 0);
    let stored = { distinct: 0, samples: 0 };
    for (let attempt = 0; attempt < 60; attempt++) {
      const series = await vm.exportSamples(`fleet_v{run="${run}"}`);
      stored = { distinct: 0, samples: 0 };
      for (const s of series) {
        stored.samples += s.timestamps.length;
        stored.distinct += new Set(s.timestamps).size;
      }
      if (stored.distinct >= expected) break;
      await sleep(500);
    }

    // Windows from the one the remote came back in to the last write.
    const posts = proxy.log.filter((e) => e.at >= recoveredAt);
    const first = proxy.windowOf(recoveredAt);
    const last = posts.length ? proxy.windowOf(posts[posts.length - 1].at) : first;
    const windows = [];
    for (let w = first; w <= last; w++) {
      const inW = posts.filter((e) => proxy.windowOf(e.at) === w);
      windows.push({
        window: w - first,
        offeredBytes: inW.reduce((s, e) => s + e.bytes, 0),
        acceptedBytes: inW.filter((e) => e.status >= 200 && e.status < 300).reduce((s, e) => s + e.bytes, 0),
        requests: inW.length,
        tooMany: inW.filter((e) => e.status === 429).length,
      });
    }
    const firstSeconds = posts.filter((e) => e.at < recoveredAt + 5000);
    const drainS = Math.max(...finishes);
    const med = median(finishes);
    return {
      mode,
      gateways: o.gateways,
      nodeRed: o.nodeRed,
      processes: o.processes,
      outageS: (recoveredAt - downAt) / 1000,
      backlogBytes,
      backlogLines,
      idealS,
      drainS,
      medianFinishS: med,
      slowestOverMedian: drainS / med,
      windows,
      maxOfferedPct: Math.max(0, ...windows.map((w) => (100 * w.offeredBytes) / budgetBytes)),
      maxAcceptedPct: Math.max(0, ...windows.map((w) => (100 * w.acceptedBytes) / budgetBytes)),
      tooMany: posts.filter((e) => e.status === 429).length,
      requestsFirst5s: firstSeconds.length,
      tooManyFirst5s: firstSeconds.filter((e) => e.status === 429).length,
      expected,
      lost: Math.max(0, expected - stored.distinct),
      duplicates: stored.samples - stored.distinct,
      cutRequests: proxy.log.filter((e) => e.cut).length,
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    for (const red of reds) await red.close().catch(() => {});
    await proxy.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function table(results, o) {
  const kb = (b) => (b / 1000).toFixed(0);
  const out = [];
  out.push(`Fleet: ${o.gateways} gateways (${o.gateways - o.nodeRed} streams in ${o.processes} processes, ${o.nodeRed} Node-RED processes), quota ${o.budgetKb} kB per ${o.windowS} s window (uncompressed), ${o.linesPerS} lines/s per gateway, outage ${o.outageS} s`);
  out.push('');
  out.push('| run | backlog | ideal drain | drain all | x ideal | median finish | slowest / median | max offered / quota per window | max accepted / quota | 429s | requests (429s) in first 5 s | lines lost | duplicates (requests stored but cut off by the outage) |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    out.push(
      `| ${r.mode === 'limited' ? 'rate limit = quota share + 2 s jitter' : '429s only'} | ${kb(r.backlogBytes)} kB (${r.backlogLines} lines) | ${r.idealS.toFixed(1)} s | ${r.drainS.toFixed(1)} s | ${(r.drainS / r.idealS).toFixed(2)} | ${r.medianFinishS.toFixed(1)} s | ${r.slowestOverMedian.toFixed(2)} | ${r.maxOfferedPct.toFixed(0)}% | ${r.maxAcceptedPct.toFixed(0)}% | ${r.tooMany} | ${r.requestsFirst5s} (${r.tooManyFirst5s}) | ${r.lost} of ${r.expected} | ${r.duplicates} (${r.cutRequests}) |`,
    );
  }
  for (const r of results) {
    out.push('');
    out.push(`Windows after recovery (${r.mode}): window, kB offered, kB accepted, requests, 429s`);
    out.push(r.windows.map((w) => `${w.window}: ${kb(w.offeredBytes)}/${kb(w.acceptedBytes)} kB, ${w.requests} req, ${w.tooMany}x429`).join('; '));
  }
  const limited = results.find((r) => r.mode === 'limited');
  if (limited) {
    out.push('');
    const goals = [
      ['0 lines lost', limited.lost === 0 && results.every((r) => r.lost === 0)],
      ['offered <= 110% of the quota in every window after recovery', limited.maxOfferedPct <= 110],
      ['every backlog drained within 1.25x the ideal time', limited.drainS <= 1.25 * limited.idealS],
      ['no gateway later than 2x the median', limited.slowestOverMedian <= 2],
    ];
    for (const [goal, met] of goals) out.push(`- ${goal}: ${met ? 'met' : 'NOT met'}`);
  }
  return out.join('\n');
}

async function main() {
  const o = options(process.argv.slice(2));
  const vm = await startVictoriaMetrics();
  const results = [];
  try {
    for (const mode of o.modes) {
      console.error(`fleet bench: ${mode} run...`);
      results.push(await runMode(mode, o, vm));
    }
  } finally {
    await vm.stop();
  }
  const text = table(results, o);
  console.log(text);
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${o.name}.md`), text + '\n');
  fs.writeFileSync(path.join(out, `${o.name}.json`), JSON.stringify({ options: o, results }, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

'use strict';
// The crash-safety scenario, shared by the CI test (20 kills, short) and scripts/soak.js (long):
//   load generator -> Node-RED gateway flow -> fault proxy -> recording relay -> VictoriaMetrics
// Node-RED is killed with SIGKILL at random moments, again and again, while the remote is up, down (proxy
// refuses) and flapping (proxy switches between pass, reset, blackhole and refuse). After the last restart
// and drain the result says what was sent, acknowledged, arrived, duplicated and lost.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { startVictoriaMetrics, waitFor, sleep } = require('../../harness/servers');
const { startFaultProxy } = require('../../harness/fault-proxy');
const { startNodeRed } = require('../../harness/node-red');
const { startTinyproxy } = require('../../harness/tinyproxy');
const { LoadGenerator } = require('./load-generator');
const { startRecordingRelay } = require('./recording-relay');
const { startRssSampler } = require('../../harness/rss');
const { createRandom } = require('./random');
const { gatewayFlow, fastWriterSettings, replicationRows } = require('./gateway-flow');

// The writer's spacing of acks decides how much can be delivered but unacknowledged at a kill.
const { DEFAULT_ACK_INTERVAL_MS } = require('../../../nodes/lib/writer');

const STREAM = 'crash';
const WRITE_IN_TOKEN = 'crash-write-in-token';
const MEASUREMENT = 'crash';
const FLAP_MODES = ['pass', 'pass', 'reset', 'blackhole', 'refuse', 'close'];

/**
 * options:
 *   seed, kills (default 20), killAfterMs [min, max] (default [300, 1000]), durationMs (soak: kill until then)
 *   linesPerRequest (20), concurrency (1: the order check needs one request in flight), maxBatchBytes (4000)
 *   flapEveryMs [min, max] (default [100, 400]), drainTimeoutMs (120000), pauseBetweenMs (0),
 *   ackIntervalMs (the writer's default; for the duplicate bound), log (function)
 *   throughTinyproxy (false): a real tinyproxy with Basic auth between Node-RED and the fault proxy, set on the
 *     remote as a Node-RED http proxy node; the result then counts the requests tinyproxy's log shows
 *   endpoint: 'http-in' (default: core http in, as in the reliability flows) or 'write-in' (the
 *     influxdb-write-in node's /api/v2/write with a token and gzip bodies, as InfluxDB clients write)
 * Resolves with the figures; the caller asserts. Everything it started is stopped, even on failure.
 */
async function runCrashScenario(options = {}) {
  const {
    seed = 1,
    kills = 20,
    killAfterMs = [300, 1000],
    durationMs = 0,
    linesPerRequest = 20,
    concurrency = 1,
    maxBatchBytes = 4000,
    flapEveryMs = [100, 400],
    drainTimeoutMs = 120000,
    pauseBetweenMs = 0,
    ackIntervalMs = DEFAULT_ACK_INTERVAL_MS,
    log = () => {},
    throughTinyproxy = false,
    endpoint = 'http-in',
  } = options;
  if (!['http-in', 'write-in'].includes(endpoint)) throw new Error(`endpoint must be 'http-in' or 'write-in', got ${JSON.stringify(endpoint)}`);
  const random = createRandom(seed);
  const queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'crash-queue-'));
  let vm;
  let relay;
  let proxy;
  let red;
  let load;
  let rss;
  let flapping = false;
  let flapper = Promise.resolve();
  let modeChanges = 0;
  let forwardProxy;
  try {
    vm = await startVictoriaMetrics();
    relay = await startRecordingRelay(vm.url, { windowMs: ackIntervalMs });
    proxy = await startFaultProxy(relay.port);
    const { flows, credentials } = gatewayFlow({
      remotes: [{ id: 'vm', url: proxy.url, token: 'crash-token' }],
      streams: [{ id: STREAM, remote: 'vm', maxBatchBytes, gzip: true }],
    });
    if (throughTinyproxy) {
      forwardProxy = await startTinyproxy({ auth: { username: 'crash', password: 'crash-proxy-pass' } });
      flows.push({ id: 'fwd', type: 'http proxy', name: 'tinyproxy', url: forwardProxy.url, noproxy: [] });
      credentials.fwd = { username: 'crash', password: 'crash-proxy-pass' };
      flows.find((n) => n.id === 'vm').proxy = 'fwd';
    }
    let target = { url: () => `${red.url}/ingest/${STREAM}`, headers: {}, gzip: false };
    if (endpoint === 'write-in') {
      // The endpoint node in front of the same stream; Complete and Catch of the gateway flow answer for it.
      flows.push({ id: 'crash-write-in', z: flows.find((n) => n.type === 'tab').id, type: 'influxdb-write-in', prefix: `/gw/${STREAM}`, maxBodyBytes: 25000000, noAuth: false, wires: [[STREAM]] });
      credentials['crash-write-in'] = { tokens: WRITE_IN_TOKEN };
      target = { url: () => `${red.url}/gw/${STREAM}/api/v2/write?bucket=bucket&precision=ns`, headers: { authorization: `Token ${WRITE_IN_TOKEN}` }, gzip: true };
    }
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot), requirePackage: true });
    rss = startRssSampler(() => red.pid);
    load = new LoadGenerator({ url: target.url, headers: target.headers, gzip: target.gzip, measurement: MEASUREMENT, linesPerRequest, concurrency, pauseBetweenMs }).start();

    const setMode = async (mode) => {
      if (proxy.mode() === mode) return;
      modeChanges++;
      await proxy.setMode(mode);
    };
    const startFlapping = () => {
      flapping = true;
      flapper = (async () => {
        while (flapping) {
          await setMode(random.pick(FLAP_MODES));
          await sleep(random.int(flapEveryMs[0], flapEveryMs[1]));
        }
      })();
    };
    const stopFlapping = async () => {
      flapping = false;
      await flapper;
    };

    const phases = ['up', 'down', 'flapping'];
    const killsByPhase = { up: 0, down: 0, flapping: 0 };
    const started = Date.now();
    let killed = 0;
    for (;;) {
      if (durationMs > 0 ? Date.now() - started >= durationMs : killed >= kills) break;
      // Phases in thirds of the run: the same number of kills (or time) with the remote up, down, flapping.
      const progress = durationMs > 0 ? (Date.now() - started) / durationMs : killed / kills;
      const phase = phases[Math.min(2, Math.floor(progress * 3))];
      if (phase === 'flapping' && !flapping) startFlapping();
      if (phase !== 'flapping') await setMode(phase === 'up' ? 'pass' : 'refuse');
      await sleep(random.int(killAfterMs[0], killAfterMs[1]));
      await red.kill('SIGKILL');
      killed++;
      killsByPhase[phase]++;
      log(`kill ${killed} (${phase}): ${load.counts.linesAcknowledged} lines acknowledged so far`);
      await red.restart();
    }
    await stopFlapping();
    await setMode('pass');
    // A little more load on the last process, then drain.
    await sleep(500);
    const sent = await load.stop();
    let rows;
    await waitFor(
      async () => {
        rows = await replicationRows(red);
        const row = rows[STREAM];
        return row && row.remainingLinesToBeSynced === 0 && row.state === 'ok';
      },
      { timeoutMs: drainTimeoutMs, intervalMs: 200, message: 'the queue to drain after the last restart' },
    );
    const row = rows[STREAM];
    rss.stop();

    // What arrived in the real server, by distinct timestamp.
    const acknowledgedLines = load.acknowledgedRanges.reduce((n, [, count]) => n + count, 0);
    const { timestamps: stored, samples: storedSamples } = await vm.exportDistinct(`${MEASUREMENT}_v`, { atLeast: acknowledgedLines });
    // The first 20 acknowledged lines that did not arrive, and how many did not.
    const missing = [];
    let missingCount = 0;
    for (const ms of load.acknowledgedTimestamps()) {
      if (stored.has(ms)) continue;
      missingCount++;
      if (missing.length < 20) missing.push(ms);
    }
    const relayStats = relay.stats();
    // What can be delivered twice. A cut connection: the batch in flight (maxBatchBytes of lines, or one record
    // when a single record is bigger; one line of this load is at least 40 bytes). A kill: that batch plus what
    // was delivered since the last ack, which the writer spaces by ackIntervalMs while batches go back to back:
    // at most the most lines the remote accepted in any such interval.
    const lineBytesMin = 40;
    const batchLinesMax = Math.ceil(maxBatchBytes / lineBytesMin) + linesPerRequest;
    const duplicateBound = killed * (batchLinesMax + relay.maxLinesPerWindow()) + (modeChanges + 1) * batchLinesMax;
    return {
      seed,
      kills: killed,
      killsByPhase,
      modeChanges,
      sent,
      acknowledgedLines,
      arrivedDistinct: stored.size,
      storedSamples,
      missingCount,
      missingExamples: missing,
      duplicates: relayStats.duplicates,
      duplicateBound,
      outOfOrder: relayStats.outOfOrder,
      firstOutOfOrder: relayStats.firstOutOfOrder,
      relay: relayStats,
      row,
      proxiedRequests: forwardProxy ? forwardProxy.requests(proxy.url).length : null,
      peakRssBytes: rss.peak(),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (red) err.message += `\nNode-RED log tail:\n${red.logs().split('\n').slice(-30).join('\n')}`;
    throw err;
  } finally {
    flapping = false;
    await flapper.catch(() => {});
    if (rss) rss.stop();
    if (load) await load.close();
    if (red) await red.stop();
    if (proxy) await proxy.stop();
    if (forwardProxy) await forwardProxy.stop();
    if (relay) await relay.stop();
    if (vm) await vm.stop();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  }
}

module.exports = { runCrashScenario };

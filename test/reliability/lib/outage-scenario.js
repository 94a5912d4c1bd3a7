'use strict';
// The long-outage scenario, shared by the CI test and scripts/soak.js:
//   up        data flows, the queue stays near empty
//   down      the remote is unreachable (fault proxy refuses) while data keeps coming: the queue grows to
//             maxQueueSizeBytes, then the overflow policy applies ('reject': the gateway answers 400 "queue
//             full"; 'drop-oldest': the oldest lines are dropped and reported on output 2) for `fullForMs`
//   back      the remote returns: the backlog drains to zero
//   after     new data is accepted and delivered again
// Node-RED's RSS is sampled throughout; the row of the replication list is recorded at each phase, and the
// node's status texts (through a Status node) over the whole run.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { startVictoriaMetrics, waitFor, sleep } = require('../../harness/servers');
const { startFaultProxy } = require('../../harness/fault-proxy');
const { startNodeRed } = require('../../harness/node-red');
const { LoadGenerator } = require('./load-generator');
const { startRssSampler } = require('../../harness/rss');
const { gatewayFlow, fastWriterSettings, replicationRows, observed } = require('./gateway-flow');

const STREAM = 'outage';

/**
 * options: policy ('reject' | 'drop-oldest'), maxQueueSizeBytes (33554430, the smallest the node accepts),
 *   fullForMs (how long data keeps coming once the queue is full; default 3000), linesPerRequest (500),
 *   padBytes (400: lines of about 460 bytes), concurrency (2), drainTimeoutMs, log
 */
async function runOutageScenario(options = {}) {
  const {
    policy = 'reject',
    maxQueueSizeBytes = 33554430,
    fullForMs = 3000,
    linesPerRequest = 500,
    padBytes = 400,
    concurrency = 2,
    drainTimeoutMs = 180000,
    fillTimeoutMs = 180000,
    heapLimitMB = 0,
    log = () => {},
  } = options;
  const measurement = `outage_${policy.replace('-', '_')}`;
  const queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-queue-'));
  let vm;
  let proxy;
  let red;
  let load;
  const loads = [];
  let rss;
  const phases = {};
  const statesSeen = new Set();
  let maxQueueBytesSeen = 0;
  try {
    vm = await startVictoriaMetrics();
    proxy = await startFaultProxy(vm.port);
    const { flows, credentials } = gatewayFlow({
      remotes: [{ id: 'vm', url: proxy.url, token: 'outage-token' }],
      streams: [{ id: STREAM, remote: 'vm', maxQueueSizeBytes, onQueueFull: policy, maxAgeSeconds: 0, gzip: true }],
    });
    // A heap limit well under the queue's bound proves the queue is not held in memory: Node-RED would die
    // with "heap out of memory" (and the pid would change) if it were.
    const env = heapLimitMB > 0 ? { NODE_OPTIONS: `--max-old-space-size=${heapLimitMB}` } : {};
    red = await startNodeRed({ flows, credentials, env, settings: fastWriterSettings(queueRoot) });
    const pid = red.pid;
    // Flows are running (not only the HTTP server) once the flow's own endpoint answers.
    await waitFor(() => observed(red).then(() => true), { timeoutMs: 20000, message: 'the flows to start' });
    rss = startRssSampler(() => red.pid, { intervalMs: 100 });
    const row = async () => {
      const r = (await replicationRows(red))[STREAM];
      statesSeen.add(r.state);
      maxQueueBytesSeen = Math.max(maxQueueBytesSeen, r.currentQueueSizeBytes);
      return r;
    };
    const drained = (timeoutMs) =>
      waitFor(
        async () => {
          const r = await row();
          return r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
        },
        { timeoutMs, intervalMs: 200, message: 'the queue to drain' },
      );
    const newLoad = (extra = {}) => {
      const next = new LoadGenerator({
        url: () => `${red.url}/ingest/${STREAM}`,
        measurement,
        linesPerRequest,
        padBytes,
        concurrency,
        startMs: load ? load.nextMs : Date.now() - 24 * 3600_000,
        ...extra,
      });
      loads.push(next);
      return next;
    };

    // up
    load = newLoad({ maxRequests: 10 }).start();
    const upSent = await load.finished();
    phases.up = { sent: upSent, row: await drained(60000), rss: rss.mark('up') };
    log(`up: ${upSent.linesAcknowledged} lines acknowledged and drained`);

    // down, until full, then full for a while
    await proxy.setMode('refuse');
    load = newLoad().start();
    const fullAt = await waitFor(
      async () => {
        const r = await row();
        const full = policy === 'reject' ? r.state === 'full' : r.linesDropped['queue-full'] > 0;
        return full ? r : null;
      },
      { timeoutMs: fillTimeoutMs, intervalMs: 100, message: `the queue to fill up (${policy})` },
    );
    phases.full = { row: fullAt, rss: rss.mark('full'), acknowledgedSoFar: load.counts.linesAcknowledged };
    log(`full after ${load.counts.linesAcknowledged} lines: ${fullAt.currentQueueSizeBytes} bytes on disk`);
    // While full: data keeps coming; every row read now should say so.
    const statesWhileFull = [];
    const fullUntil = Date.now() + fullForMs;
    while (Date.now() < fullUntil) {
      statesWhileFull.push((await row()).state);
      await sleep(100);
    }
    phases.full.statesWhileFull = statesWhileFull;
    const downSent = await load.stop();
    phases.down = { sent: downSent, row: await row(), rss: rss.mark('down') };
    log(`down: ${JSON.stringify(downSent)}`);

    // back
    await proxy.setMode('pass');
    phases.back = { row: await drained(drainTimeoutMs), rss: rss.mark('back') };
    log('back: drained');

    // after
    load = newLoad({ maxRequests: 10 }).start();
    const afterSent = await load.finished();
    phases.after = { sent: afterSent, row: await drained(60000), rss: rss.mark('after') };
    rss.stop();

    // What arrived, by distinct timestamp (exported until every line that should be there is, or 15 s have
    // passed: VictoriaMetrics can take a moment to show what it answered 204 for). Also what it says it took in,
    // so that a shortfall shows whether the writer never sent the lines, sent lines it could not parse, or it
    // lost them.
    const acknowledged = [];
    for (const l of loads) for (const ms of l.acknowledgedTimestamps()) acknowledged.push(ms);
    const dropped = phases.after.row.linesDropped['queue-full'];
    const expectedArrivals = policy === 'drop-oldest' ? acknowledged.length - dropped : acknowledged.length;
    const { timestamps: stored, samples: storedSamples } = await vm.exportDistinct(`${measurement}_v`, { atLeast: expectedArrivals });
    const remoteIngest = await vm.influxIngestCounters();
    const missing = acknowledged.filter((ms) => !stored.has(ms));
    // Which acknowledged requests lost lines, by request number in the run (for drop-oldest: a prefix of the outage).
    const requestsWithMissing = [];
    let requestNumber = 0;
    for (const l of loads) {
      for (const [first, n] of l.acknowledgedRanges) {
        let lost = 0;
        for (let i = 0; i < n; i++) if (!stored.has(first + i)) lost++;
        if (lost > 0) requestsWithMissing.push([requestNumber, lost]);
        requestNumber++;
      }
    }
    const obs = await observed(red);
    const statusTexts = obs.status.filter((s) => s.stream === STREAM).map((s) => `${s.fill}/${s.shape} ${s.text}`);
    const droppedMessages = obs.output2.filter((m) => m.stream === STREAM);
    // Output 2 carries the dropped lines themselves (when the queue read them): count them.
    const droppedPayloadLines = droppedMessages.reduce((n, m) => n + m.payloadLines, 0);
    return {
      policy,
      heapLimitMB,
      sameProcess: red.pid === pid && !/heap out of memory/i.test(red.logs()),
      maxQueueSizeBytes,
      phases,
      statesSeen: [...statesSeen],
      maxQueueBytesSeen,
      linesSent: loads.reduce((n, l) => n + l.counts.linesSent, 0),
      linesAcknowledged: acknowledged.length,
      linesRefused: loads.reduce((n, l) => n + l.counts.linesRefused, 0),
      refusals: Object.assign({}, ...loads.map((l) => Object.fromEntries(l.refusals))),
      arrivedDistinct: stored.size,
      remoteIngest,
      writerLinesSent: phases.after.row.linesSent,
      storedSamples,
      missing,
      droppedMessages: droppedMessages.map(({ reason, lineCount }) => ({ reason, lineCount })),
      droppedPayloadLines,
      requestsWithMissing,
      statusTexts,
      peakRssBytes: rss.peak(),
      rssMarks: rss.marks(),
    };
  } catch (err) {
    if (red) err.message += `\nNode-RED log tail:\n${red.logs().split('\n').slice(-30).join('\n')}`;
    throw err;
  } finally {
    if (rss) rss.stop();
    for (const l of loads) await l.close();
    if (red) await red.stop();
    if (proxy) await proxy.stop();
    if (vm) await vm.stop();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  }
}

module.exports = { runOutageScenario };

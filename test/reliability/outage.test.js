'use strict';
// Issue #8, outages: the remote is unreachable for a long spell while data keeps coming. The queue grows to its
// bound (32 MiB, the smallest the node accepts), the overflow policy applies and is reported, then the remote
// returns and the backlog drains. Memory: Node-RED runs the reject variant with a 96 MB heap limit, so holding
// the queue in memory would kill it; peak RSS is reported. The status (through a Status node) and the replication
// list are read in every phase. Long variant: scripts/soak.js.
const assert = require('assert');
const { runOutageScenario } = require('./lib/outage-scenario');
const { formatMiB } = require('../harness/rss');

/** Status texts with repeats collapsed, e.g. ['green/dot - · 0 B', 'yellow/ring net err · 683 kB', ...]. */
function collapse(texts) {
  return texts.filter((t, i) => i === 0 || texts[i - 1] !== t);
}

/** Both ends' counts: lines the writer had accepted by the remote, rows VictoriaMetrics parsed and could not. */
function delivery(r) {
  return `writer sent ${r.writerLinesSent}, remote inserted ${r.remoteIngest.inserted} and found ${r.remoteIngest.invalid} invalid`;
}

function report(r) {
  console.log(
    `      outage (${r.policy}): sent ${r.linesSent}, acknowledged ${r.linesAcknowledged}, refused ${r.linesRefused}, arrived ${r.arrivedDistinct}, ` +
      `dropped ${JSON.stringify(r.phases.after.row.linesDropped)}, ${delivery(r)}, max queue ${r.maxQueueBytesSeen} B of ${r.maxQueueSizeBytes}, ` +
      `peak RSS ${formatMiB(r.peakRssBytes)} (marks: ${Object.entries(r.rssMarks).map(([k, v]) => `${k} ${formatMiB(v)}`).join(', ')})`,
  );
}

describe('reliability: long outage with the reject policy (real Node-RED, VictoriaMetrics)', function () {
  this.timeout(300000);
  let r;
  before(async () => {
    r = await runOutageScenario({ policy: 'reject', heapLimitMB: 96, fullForMs: 3000 });
    report(r);
  });

  it('fills the queue to its bound, then refuses with a clear "queue full" error through Catch', () => {
    assert.ok(r.maxQueueBytesSeen <= r.maxQueueSizeBytes, `queue ${r.maxQueueBytesSeen} > bound ${r.maxQueueSizeBytes}`);
    // Full means less room than one more request (about 230 kB) left.
    assert.ok(r.phases.full.row.currentQueueSizeBytes > r.maxQueueSizeBytes - 1_000_000, JSON.stringify(r.phases.full.row));
    assert.strictEqual(r.phases.full.row.state, 'full');
    assert.ok(r.linesRefused > 0, 'data kept coming after the queue was full');
    for (const text of Object.keys(r.refusals)) assert.match(text, /queue full: \d+ bytes queued, appending \d+ more would exceed maxQueueSizeBytes 33554430/);
    // Refused lines are counted as dropped 'queue-full' (they never entered the queue; the flow got the error);
    // nothing already queued is touched (see the next test: every acknowledged line arrives).
    assert.strictEqual(r.phases.after.row.linesDropped['queue-full'], r.linesRefused);
  });

  it('drains the backlog when the remote returns: every acknowledged line arrives, once', () => {
    assert.strictEqual(r.missing.length, 0, `${r.missing.length} acknowledged lines missing, e.g. ${r.missing.slice(0, 5)}`);
    assert.strictEqual(r.arrivedDistinct, r.linesAcknowledged);
    assert.strictEqual(r.storedSamples, r.arrivedDistinct, 'no duplicates: nothing was in flight when the remote went away');
    assert.strictEqual(r.phases.back.row.remainingLinesToBeSynced, 0);
    assert.strictEqual(r.phases.after.sent.acknowledged, 10, 'new data is accepted again after the drain');
  });

  it('keeps memory flat: Node-RED ran the whole outage with a heap limit of 96 MB in one process', () => {
    assert.ok(r.sameProcess, 'Node-RED was not restarted and did not run out of memory');
    assert.ok(r.peakRssBytes > 0);
  });

  it('shows each phase in the replication list and the node status', () => {
    assert.strictEqual(r.phases.up.row.state, 'ok');
    assert.deepStrictEqual(['ok', 'retrying', 'full'].filter((s) => r.statesSeen.includes(s)), ['ok', 'retrying', 'full']);
    assert.strictEqual(r.phases.back.row.state, 'ok');
    assert.strictEqual(r.phases.back.row.latestResponseCode, 204);
    const texts = collapse(r.statusTexts);
    const firstRetry = texts.findIndex((t) => t.startsWith('yellow/ring net err'));
    const firstFull = texts.findIndex((t) => t.startsWith('red/ring full'));
    const lastGreen = texts.length - 1;
    assert.ok(firstRetry > 0 && firstFull > firstRetry, texts.join(' | '));
    assert.match(texts[lastGreen], /^green\/dot 204 · 0 B$/, texts.join(' | '));
  });

  it('keeps showing "full" while the queue is full and appends are refused', () => {
    // Every read of the list while full, and every status between the first "full" and the return of the remote.
    const notFull = r.phases.full.statesWhileFull.filter((s) => s !== 'full');
    const texts = collapse(r.statusTexts);
    const firstFull = texts.findIndex((t) => t.startsWith('red/ring full'));
    const firstBack = texts.findIndex((t, i) => i > firstFull && t.startsWith('green/'));
    const flips = texts.slice(firstFull, firstBack).filter((t) => !t.startsWith('red/ring full'));
    assert.deepStrictEqual(
      { notFull: notFull.length, flips: flips.length },
      { notFull: 0, flips: 0 },
      `state while full: ${JSON.stringify(r.phases.full.statesWhileFull)}; statuses: ${texts.slice(firstFull, firstBack).join(' | ')}`,
    );
  });
});

describe('reliability: long outage with the drop-oldest policy (real Node-RED, VictoriaMetrics)', function () {
  this.timeout(300000);
  let r;
  before(async () => {
    r = await runOutageScenario({ policy: 'drop-oldest', heapLimitMB: 96, fullForMs: 3000 });
    report(r);
  });

  it('keeps accepting: the oldest lines are dropped, counted and reported on output 2 (heap limit 96 MB)', () => {
    assert.ok(r.sameProcess, 'Node-RED was not restarted and did not run out of memory');
    assert.strictEqual(r.linesRefused, 0, JSON.stringify(r.refusals));
    assert.ok(r.maxQueueBytesSeen <= r.maxQueueSizeBytes, `queue ${r.maxQueueBytesSeen} > bound ${r.maxQueueSizeBytes}`);
    const dropped = r.phases.after.row.linesDropped['queue-full'];
    assert.ok(dropped > 0, 'lines were dropped');
    const reported = r.droppedMessages.filter((m) => m.reason === 'queue-full').reduce((n, m) => n + m.lineCount, 0);
    assert.strictEqual(reported, dropped, 'output 2 reports every dropped line');
    assert.ok(!r.statesSeen.includes('full'), `drop-oldest never refuses, so never "full": ${r.statesSeen}`);
  });

  it('loses only the oldest acknowledged lines, and every other one arrives', () => {
    const lost = r.requestsWithMissing.map(([n]) => n);
    assert.ok(lost.length > 0);
    // The lost requests are one contiguous run from the outage (request numbers 10+), not scattered.
    for (let i = 1; i < lost.length; i++) assert.strictEqual(lost[i], lost[i - 1] + 1, `lost requests ${JSON.stringify(lost)}`);
    assert.ok(lost[0] >= 10, 'nothing from before the outage was dropped');
    assert.ok(r.requestsWithMissing.every(([, n]) => n === 500), 'whole records are dropped');
    assert.strictEqual(r.phases.after.row.remainingLinesToBeSynced, 0);
  });

  it('accounts exactly: acknowledged = arrived + reported dropped', () => {
    const dropped = r.phases.after.row.linesDropped['queue-full'];
    const unaccounted = r.linesAcknowledged - r.arrivedDistinct - dropped;
    assert.strictEqual(
      r.arrivedDistinct + dropped,
      r.linesAcknowledged,
      `arrived ${r.arrivedDistinct} + dropped ${dropped} != acknowledged ${r.linesAcknowledged}: ` +
        (unaccounted > 0 ? `${unaccounted} acknowledged lines neither arrived nor were reported dropped` : `${-unaccounted} lines reported dropped arrived anyway`) +
        ` (${delivery(r)})`,
    );
  });
});

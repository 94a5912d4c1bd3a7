'use strict';
// Issue #8, crash safety: a load generator posts lines with unique timestamps to a gateway flow
// (http in -> influxdb-replication -> Complete -> http response) while Node-RED is killed with SIGKILL at random
// moments, 20 times in a row: with the remote up, down (refused) and flapping (pass/reset/blackhole/refuse/close
// through the fault proxy). After the last restart and drain:
//   - every line whose request got a 2xx is in VictoriaMetrics (counted by distinct timestamp);
//   - duplicates stay within what can be in flight (one batch per kill or cut connection);
//   - with one request in flight, lines arrive in the order they were posted (first deliveries).
// It runs twice: through core `http in` and through the influxdb-write-in endpoint (gzip bodies with a token to
// /api/v2/write), so the endpoint node is shown not to answer 204 before the replication node has queued.
// The long variant is scripts/soak.js (npm run test:soak).
const assert = require('assert');
const { runCrashScenario } = require('./lib/crash-scenario');
const { seedFromEnv } = require('./lib/random');
const { formatMiB } = require('../harness/rss');

for (const endpoint of ['http-in', 'write-in']) describe(`reliability: SIGKILL at random moments through ${endpoint === 'http-in' ? 'core http in' : 'the influxdb-write-in endpoint'} (real Node-RED, fault proxy, VictoriaMetrics)`, function () {
  this.timeout(240000);
  const seed = seedFromEnv();
  let result;

  before(async () => {
    result = await runCrashScenario({ endpoint, seed, kills: 20, killAfterMs: [300, 1000], linesPerRequest: 20, concurrency: 1, maxBatchBytes: 4000 });
    // Figures for whoever reads the CI log (and the README's Reliability section).
    console.log(
      `      crash run through ${endpoint} (seed ${seed}): ${result.kills} kills (${JSON.stringify(result.killsByPhase)}), ${result.modeChanges} proxy mode changes; ` +
        `lines sent ${result.sent.linesSent}, acknowledged ${result.acknowledgedLines}, arrived ${result.arrivedDistinct}, ` +
        `duplicates ${result.duplicates} (bound ${result.duplicateBound}), out of order ${result.outOfOrder}, peak RSS ${formatMiB(result.peakRssBytes)}`,
    );
  });

  it('survives 20 kills spread over remote up, down and flapping', () => {
    assert.strictEqual(result.kills, 20, `seed ${seed}`);
    for (const phase of ['up', 'down', 'flapping']) assert.ok(result.killsByPhase[phase] >= 6, `kills while ${phase}: ${JSON.stringify(result.killsByPhase)}`);
    assert.ok(result.modeChanges > 3, 'the remote did flap');
    // The test is not vacuous: requests were acknowledged across the run and some were lost with the process.
    assert.ok(result.acknowledgedLines >= 1000, `only ${result.acknowledgedLines} lines acknowledged (seed ${seed})`);
    assert.ok(result.sent.failed > 0, 'some requests were cut by the kills');
  });

  it('delivers every acknowledged line (by distinct timestamp in VictoriaMetrics)', () => {
    assert.strictEqual(
      result.missingCount,
      0,
      `${result.missingCount} acknowledged lines missing, e.g. timestamps ${result.missingExamples.join(', ')} (seed ${seed})`,
    );
    assert.ok(result.arrivedDistinct >= result.acknowledgedLines, 'arrived covers acknowledged');
    // Lines that arrived without a 2xx are those whose request was queued but cut before its answer: they were
    // sent, never invented.
    assert.ok(result.arrivedDistinct <= result.sent.linesSent, `arrived ${result.arrivedDistinct} > sent ${result.sent.linesSent}`);
  });

  it('bounds duplicates by what was in flight, and the queue ends empty with nothing dropped', () => {
    assert.ok(result.duplicates <= result.duplicateBound, `duplicates ${result.duplicates} > bound ${result.duplicateBound} (seed ${seed})`);
    // The relay's count and the server's agree: duplicates are real re-deliveries, not a counting artefact.
    assert.strictEqual(result.storedSamples - result.arrivedDistinct, result.duplicates);
    assert.strictEqual(result.row.remainingLinesToBeSynced, 0);
    assert.deepStrictEqual(Object.values(result.row.linesDropped), [0, 0, 0, 0, 0], JSON.stringify(result.row.linesDropped));
  });

  it('keeps the order of lines within the stream (one request in flight)', () => {
    assert.strictEqual(result.outOfOrder, 0, `first out-of-order line: ${JSON.stringify(result.firstOutOfOrder)} (seed ${seed})`);
  });
});

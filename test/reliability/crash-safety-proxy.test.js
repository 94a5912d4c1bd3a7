'use strict';
// Issue #16: crash safety with a forward proxy in the path. The crash scenario of crash-safety.test.js, once,
//   load generator -> Node-RED -> tinyproxy (Basic auth, an http proxy node) -> fault proxy -> relay -> VictoriaMetrics
// with SIGKILLs while the remote is up, down and flapping: every acknowledged line arrives, duplicates stay
// within the in-flight bound, order holds, nothing is dropped, and tinyproxy's log shows the writes went through it.
const assert = require('assert');
const { runCrashScenario } = require('./lib/crash-scenario');
const { seedFromEnv } = require('./lib/random');

describe('reliability: SIGKILL at random moments with tinyproxy in the path (real Node-RED, tinyproxy, VictoriaMetrics)', function () {
  this.timeout(240000);
  const seed = seedFromEnv();
  let result;

  before(async () => {
    result = await runCrashScenario({ seed, kills: 9, killAfterMs: [300, 1000], linesPerRequest: 20, concurrency: 1, maxBatchBytes: 4000, throughTinyproxy: true });
    console.log(
      `      crash run through tinyproxy (seed ${seed}): ${result.kills} kills (${JSON.stringify(result.killsByPhase)}), ` +
        `${result.proxiedRequests} requests in tinyproxy's log; lines acknowledged ${result.acknowledgedLines}, arrived ${result.arrivedDistinct}, ` +
        `duplicates ${result.duplicates} (bound ${result.duplicateBound}), out of order ${result.outOfOrder}`,
    );
  });

  it('went through tinyproxy, with kills while the remote was up, down and flapping', () => {
    assert.strictEqual(result.kills, 9);
    for (const phase of ['up', 'down', 'flapping']) assert.ok(result.killsByPhase[phase] >= 2, JSON.stringify(result.killsByPhase));
    assert.ok(result.proxiedRequests > 0, 'tinyproxy logged no request to the remote');
    assert.ok(result.acknowledgedLines >= 300, `only ${result.acknowledgedLines} lines acknowledged (seed ${seed})`);
  });

  it('delivers every acknowledged line, bounds duplicates, keeps order and drops nothing', () => {
    assert.strictEqual(result.missingCount, 0, `${result.missingCount} acknowledged lines missing, e.g. ${result.missingExamples.join(', ')} (seed ${seed})`);
    assert.ok(result.duplicates <= result.duplicateBound, `duplicates ${result.duplicates} > bound ${result.duplicateBound} (seed ${seed})`);
    assert.strictEqual(result.outOfOrder, 0, JSON.stringify(result.firstOutOfOrder));
    assert.strictEqual(result.row.remainingLinesToBeSynced, 0);
    assert.deepStrictEqual(Object.values(result.row.linesDropped), [0, 0, 0, 0, 0]);
  });
});

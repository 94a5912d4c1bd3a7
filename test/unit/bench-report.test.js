'use strict';
// The benchmark's goal checks (bench/lib/report.js) read each figure against the right ceiling: a backlog drain
// against the raw loop at the stream's own concurrency measured around it, memory beyond Node-RED alone.
const assert = require('assert');
const { evaluateGoals, rawLoop } = require('../../bench/lib/report');

function result({ drain = 900, rawAround = 1000, client = 500, ownOutage = 10, aloneOutage = 100 } = {}) {
  const remote = (one, four) => ({ linesPerSec: four, concurrency: 4, runs: [{ linesPerSec: one, concurrency: 1 }, { linesPerSec: four, concurrency: 4 }] });
  return {
    ceilings: {
      remote: { gzip: remote(800, 2000), plain: remote(800, 2000) },
      influxdbClient: { gzip: { linesPerSec: client }, plain: { linesPerSec: client } },
      nodeRed: {},
      nodeRedAlone: { outage: { rssGrowthMB: aloneOutage } },
    },
    rows: [
      { contender: 'replication', scenario: 'backlog 256 MB', gzip: true, arrivedLinesPerSec: drain, rawLoopLinesPerSec: rawAround, rssGrowthMB: 30, ownGrowthMB: 30 },
      { contender: 'replication', scenario: 'outage', gzip: true, lost: 0, sent: 10, rssGrowthMB: aloneOutage + ownOutage, nodeRedAloneGrowthMB: aloneOutage, ownGrowthMB: ownOutage },
    ],
  };
}

const goal = (goals, start) => goals.find((g) => g.goal.startsWith(start));

describe('benchmark goal checks', () => {
  it('reads a drain against the raw loop measured around it, not against the best run with 4 in flight', () => {
    assert.strictEqual(goal(evaluateGoals(result({ drain: 900, rawAround: 1000 })), 'Backlog drain').pass, true);
    assert.strictEqual(goal(evaluateGoals(result({ drain: 899, rawAround: 1000 })), 'Backlog drain').pass, false);
  });

  it('takes the median of the drain parts when the drain was measured in parts', () => {
    const r = result({ drain: 500, rawAround: 1000 });
    r.rows[0].drainSegments = [0.95, 0.2, 0.92].map((ratio) => ({ ratio }));
    r.rows[0].drainRatioMedian = 0.92;
    const g = goal(evaluateGoals(r), 'Backlog drain');
    assert.strictEqual(g.pass, true);
    assert.match(g.measured, /median 92% .*parts: 95%, 20%, 92%/);
    r.rows[0].drainRatioMedian = 0.89;
    assert.strictEqual(goal(evaluateGoals(r), 'Backlog drain').pass, false);
  });

  it('also wants the drain at least as fast as influxdb-client', () => {
    assert.strictEqual(goal(evaluateGoals(result({ drain: 950, rawAround: 1000, client: 960 })), 'Backlog drain').pass, false);
  });

  it('falls back to the raw loop with one request in flight from the start of the run', () => {
    const r = result();
    delete r.rows[0].rawLoopLinesPerSec;
    assert.strictEqual(rawLoop(r.ceilings, 'gzip', 1).linesPerSec, 800);
    assert.match(goal(evaluateGoals(r), 'Backlog drain').measured, /\(800\)/);
  });

  it('judges memory by the growth beyond Node-RED alone under the same load, and shows both', () => {
    const met = goal(evaluateGoals(result({ ownOutage: 63, aloneOutage: 100 })), 'Memory: peak RSS');
    assert.strictEqual(met.pass, true);
    assert.match(met.measured, /outage: 163 MB, Node-RED alone 100 MB, beyond it 63 MB/);
    assert.strictEqual(goal(evaluateGoals(result({ ownOutage: 64 })), 'Memory: peak RSS').pass, false);
  });
});

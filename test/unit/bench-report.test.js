'use strict';
// The benchmark's goal checks (bench/lib/report.js) read each figure against the right ceiling: a backlog drain
// against the raw loop at the stream's own concurrency measured around it, memory beyond Node-RED alone,
// throughput and CPU round by round (issues 18 and 19).
const assert = require('assert');
const { evaluateGoals, rawLoop, cpuTable } = require('../../bench/lib/report');
const { cpuSecondsOf } = require('../../bench/lib/cpu');

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
    assert.strictEqual(goal(evaluateGoals(result({ drain: 850, rawAround: 1000 })), 'Backlog drain').pass, true);
    assert.strictEqual(goal(evaluateGoals(result({ drain: 849, rawAround: 1000 })), 'Backlog drain').pass, false);
  });

  it('takes the median of the drain parts when the drain was measured in parts', () => {
    const r = result({ drain: 500, rawAround: 1000 });
    r.rows[0].drainSegments = [0.95, 0.2, 0.92].map((ratio) => ({ ratio }));
    r.rows[0].drainRatioMedian = 0.92;
    const g = goal(evaluateGoals(r), 'Backlog drain');
    assert.strictEqual(g.pass, true);
    assert.match(g.measured, /median 92% .*parts: 95%, 20%, 92%/);
    r.rows[0].drainRatioMedian = 0.84;
    assert.strictEqual(goal(evaluateGoals(r), 'Backlog drain').pass, false);
  });

  it('shows the drain beside influxdb-client', () => {
    assert.match(goal(evaluateGoals(result({ drain: 950, rawAround: 1000, client: 500 })), 'Backlog drain').measured, /1\.90x influxdb-client \(500\)/);
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

  describe('throughput and CPU in rounds (issues 18 and 19)', () => {
    /** A throughput row measured in rounds: `perRound` holds one { round, ...figures } per round. */
    function tpRow(contender, shape, perRound, extra = {}) {
      const med = (k) => perRound.map((r) => r[k]).sort((a, b) => a - b)[perRound.length >> 1];
      return {
        contender,
        label: contender,
        scenario: `throughput ${shape}`,
        shape,
        gzip: true,
        cores: 2,
        perRound: perRound.map((r, round) => ({ round, ...r })),
        ofNodeRed: med('ofNodeRed'),
        ofNodeRedRange: [0, 1],
        arrivedLinesPerSec: med('arrivedLinesPerSec'),
        cpuSecondsPerMillion: med('cpuSecondsPerMillion'),
        cpuMsPerMessage: med('cpuMsPerMessage'),
        ...extra,
      };
    }
    const base = (rows, oneCoreRows) => ({ ceilings: { remote: {}, influxdbClient: {}, nodeRed: {} }, rows, oneCoreRows });

    it('holds each shape to its share of Node-RED\'s ceiling: 80% for 1 line, 60% for 100 lines and 500 kB', () => {
      const rows = [
        tpRow('replication', '1', [{ ofNodeRed: 0.8 }]),
        tpRow('replication', '100', [{ ofNodeRed: 0.61 }]),
        tpRow('replication', '500k', [{ ofNodeRed: 0.59 }]),
        tpRow('client-writeapi', '500k', [{ ofNodeRed: 0.7 }]),
      ];
      const goals = evaluateGoals(base(rows));
      assert.strictEqual(goal(goals, '1-line messages through Node-RED').pass, true);
      assert.strictEqual(goal(goals, '100-line messages through Node-RED').pass, true);
      const big = goal(goals, '500 kB messages through Node-RED');
      assert.strictEqual(big.pass, false);
      assert.match(big.measured, /best memory-only: client-writeapi gzip on 70%/);
    });

    it('shows the durable floor beside each shape, and our throughput as a share of it round by round', () => {
      const rows = [
        tpRow('replication', '1', [{ ofNodeRed: 0.5, arrivedLinesPerSec: 500 }, { ofNodeRed: 0.6, arrivedLinesPerSec: 900 }]),
        tpRow('durable-floor', '1', [{ ofNodeRed: 0.7, arrivedLinesPerSec: 1000 }, { ofNodeRed: 0.72, arrivedLinesPerSec: 1000 }], { ofNodeRedRange: [0.7, 0.72] }),
      ];
      const g = goal(evaluateGoals(base(rows)), '1-line messages through Node-RED');
      assert.strictEqual(g.pass, false);
      assert.match(g.measured, /0\.70x \(0\.50-0\.90, 2 rounds\) of the durable floor/);
      assert.match(g.measured, /durable floor \(counter node \+ fdatasync\): 72% \(rounds 70%-72%\)/);
    });

    it('compares CPU per million lines with the WriteApi node round by round, on each core count', () => {
      // Round 0 the machine was slow for both: the ratio per round is what counts, not the medians' ratio.
      const ours = [{ cpuSecondsPerMillion: 20 }, { cpuSecondsPerMillion: 9 }, { cpuSecondsPerMillion: 10 }];
      const client = [{ cpuSecondsPerMillion: 21 }, { cpuSecondsPerMillion: 10 }, { cpuSecondsPerMillion: 9 }];
      // Outage rows (no message shape) of both contenders sit in the same list.
      const outage = (contender) => ({ contender, label: contender, scenario: 'outage', gzip: true, lost: 0, sent: 10 });
      const rows = [outage('replication'), outage('client-writeapi'), tpRow('replication', '100', ours), tpRow('client-writeapi', '100', client)];
      const oneCore = [tpRow('replication', '100', [{ cpuSecondsPerMillion: 11 }]), tpRow('client-writeapi', '100', [{ cpuSecondsPerMillion: 10 }])];
      const goals = evaluateGoals(base(rows, oneCore));
      const two = goal(goals, 'CPU seconds per million lines end to end, both cores');
      assert.strictEqual(two.pass, true);
      assert.match(two.measured, /0\.95x \(0\.90-1\.11, 3 rounds\)/);
      const one = goal(goals, 'CPU seconds per million lines end to end, Node-RED on 1 core');
      assert.strictEqual(one.pass, false);
      assert.match(one.measured, /1\.10x/);
    });

    it('gives no verdict on what a run did not measure', () => {
      const goals = evaluateGoals(base([tpRow('replication', '1', [{ ofNodeRed: 0.9 }])]));
      assert.strictEqual(goal(goals, 'CPU seconds per million lines end to end, both cores').pass, null);
      assert.strictEqual(goal(goals, 'influxdb-write-in + replication').pass, null);
      assert.strictEqual(goal(goals, 'Drain, remote on a CPU of its own').pass, null);
    });

    it('lets the write-in endpoint cost at most 10% more per message than the http-in example', () => {
      const within = evaluateGoals(base([
        tpRow('replication', '1', [{ cpuMsPerMessage: 1, arrivedLinesPerSec: 1000 }]),
        tpRow('write-in', '1', [{ cpuMsPerMessage: 1.1, arrivedLinesPerSec: 910 }]),
      ]));
      assert.strictEqual(goal(within, 'influxdb-write-in + replication').pass, true);
      const costly = evaluateGoals(base([
        tpRow('replication', '100', [{ cpuMsPerMessage: 1, arrivedLinesPerSec: 1000 }]),
        tpRow('write-in', '100', [{ cpuMsPerMessage: 1.12, arrivedLinesPerSec: 1000 }]),
      ]));
      assert.strictEqual(goal(costly, 'influxdb-write-in + replication').pass, false);
      const slow = evaluateGoals(base([
        tpRow('replication', '100', [{ cpuMsPerMessage: 1, arrivedLinesPerSec: 1000 }]),
        tpRow('write-in', '100', [{ cpuMsPerMessage: 1, arrivedLinesPerSec: 800 }]),
      ]));
      assert.strictEqual(goal(slow, 'influxdb-write-in + replication').pass, false);
    });

    it('judges the drain with the remote on its own CPU on 9 or more rounds, with the raw loop against itself beside it', () => {
      const writer = (rounds, on, off) => [
        { method: 'StreamWriter (DurableQueue -> VM)', gzip: true, rounds, medianRatioToRaw: on, roundRatios: [on], placement: 'remote on CPU 1' },
        { method: 'StreamWriter (DurableQueue -> VM)', gzip: false, rounds, medianRatioToRaw: off, roundRatios: [off], placement: 'remote on CPU 1' },
        { method: 'raw undici loop again (noise check)', gzip: true, rounds, medianRatioToRaw: 1.02, roundRatios: [0.97, 1.05], placement: 'remote on CPU 1' },
      ];
      const drain = (rows) => goal(evaluateGoals(base([]), { 'writer, remote on its own CPU': { result: rows } }), 'Drain, remote on a CPU of its own');
      assert.strictEqual(drain(writer(9, 0.9, 0.95)).pass, true);
      assert.strictEqual(drain(writer(9, 0.9, 0.94)).pass, false);
      assert.strictEqual(drain(writer(9, 0.89, 0.96)).pass, false);
      assert.strictEqual(drain(writer(3, 0.95, 0.99)).pass, null);
      assert.match(drain(writer(9, 0.9, 0.95)).measured, /raw loop \/ itself 102% \(97%-105%\)/);
    });

    it('prints CPU per million lines for each contender and core count, with the spread over rounds', () => {
      const r = base([tpRow('replication', '100', [{ cpuSecondsPerMillion: 12 }, { cpuSecondsPerMillion: 14 }], { cpuRange: [12, 14] })], [tpRow('replication', '100', [{ cpuSecondsPerMillion: 15 }])]);
      r.ceilings.nodeRed = { 100: { cpuSecondsPerMillion: 7.5, cpuRange: [7, 8] } };
      const text = cpuTable(r, true);
      assert.match(text, /\| Node-RED alone \(counter node\) \| - \| - \| 7\.50 \(7\.00-8\.00\) \|/);
      assert.match(text, /\| replication \| on \| - \| 14\.0 \(12\.0-14\.0\) \| - \| - \| 15\.0 \| - \|/);
    });
  });

  it('reads the CPU seconds of a process from /proc, as the process itself counts them', () => {
    const before = cpuSecondsOf(process.pid);
    const own = process.cpuUsage();
    let x = 0;
    for (let i = 0; i < 5e7; i++) x += i % 7;
    assert.ok(x > 0);
    const spentProc = cpuSecondsOf(process.pid) - before;
    const used = process.cpuUsage(own);
    const spentOwn = (used.user + used.system) / 1e6;
    // /proc counts in clock ticks (10 ms): the two agree to a few ticks.
    assert.ok(spentProc > 0, `no CPU counted: ${spentProc}`);
    assert.ok(Math.abs(spentProc - spentOwn) < 0.05, `/proc ${spentProc} s, process.cpuUsage ${spentOwn} s`);
  });
});

'use strict';
// The outage picture of `npm run bench` (bench/lib/outage-timeline.js, bench/lib/outage-plot.js): the series are
// derived from the run's probes as documented, and the SVG names every contender, every panel and the axes.
const assert = require('assert');
const { outageTimeline, countBelow } = require('../../bench/lib/outage-timeline');
const { outagePlotSVG, PANELS } = require('../../bench/lib/outage-plot');

/** A synthetic run: 10 lines/s, remote down from 3 s to 6 s; `keeps` says whether the lines sent then arrive later. */
function syntheticRun(keeps) {
  const probes = [];
  const arrivedSeqs = [];
  for (let t = 0; t <= 12; t++) {
    const sentSeq = Math.min(t, 9) * 10;
    const down = t >= 3 && t < 6;
    let arrived;
    if (t < 3) arrived = sentSeq;
    else if (down) arrived = 30;
    else arrived = keeps ? sentSeq : sentSeq - 30;
    probes.push({ t, sentSeq, arrived });
  }
  for (let seq = 0; seq < 90; seq++) if (keeps || seq < 30 || seq >= 60) arrivedSeqs.push(seq);
  return { probes, arrivedSeqs };
}

describe('outage plot', () => {
  it('counts sorted values below n', () => {
    const sorted = [1, 3, 3, 7];
    assert.deepStrictEqual([0, 1, 2, 3, 4, 8].map((n) => countBelow(sorted, n)), [0, 0, 1, 1, 3, 4]);
  });

  it('derives queued, arrived and lost: a queue that delivers later loses nothing', () => {
    const { probes, arrivedSeqs } = syntheticRun(true);
    const samples = outageTimeline(probes, arrivedSeqs.concat(arrivedSeqs.slice(0, 5))); // duplicates count once
    assert.ok(samples.every((s) => s.lost === 0));
    assert.deepStrictEqual(samples.map((s) => s.queued).slice(2, 8), [0, 0, 10, 20, 0, 0]);
    assert.strictEqual(samples[12].arrived, 90);
  });

  it('derives queued, arrived and lost: lines sent during the outage that never arrive are lost from when they were sent', () => {
    const { probes, arrivedSeqs } = syntheticRun(false);
    const samples = outageTimeline(probes, arrivedSeqs);
    assert.deepStrictEqual(samples.map((s) => s.lost).slice(2, 8), [0, 0, 10, 20, 30, 30]);
    assert.ok(samples.every((s) => s.queued === 0), JSON.stringify(samples));
    assert.strictEqual(samples[12].lost, 30);
  });

  it('renders an SVG with every contender, every panel and the time axis', () => {
    const runs = [true, false].map((keeps, i) => ({
      label: i === 0 ? 'influxdb-replication' : 'influxdb-client WriteApi node',
      outage: { fromSec: 3, toSec: 6 },
      samples: outageTimeline(syntheticRun(keeps).probes, syntheticRun(keeps).arrivedSeqs),
    }));
    const svg = outagePlotSVG(runs, { title: 'Remote down for 3 s', subtitle: 'synthetic' });
    assert.match(svg, /^<svg[^>]*width="900"[^>]*height="760"/);
    for (const text of ['influxdb-replication', 'influxdb-client WriteApi node', 'Remote down for 3 s', 'remote down', 'seconds since the load started', ...PANELS.map((p) => p.title)]) {
      assert.ok(svg.includes(text), `SVG lacks "${text}"`);
    }
    // One polyline per contender and panel.
    assert.ok((svg.match(/<path d="M/g) || []).length >= runs.length * PANELS.length);
  });

  it('refuses to plot nothing, with a sentence that says so', () => {
    assert.throws(() => outagePlotSVG([]), /no outage runs to plot/);
    assert.throws(() => outagePlotSVG([{ label: 'x', samples: [] }]), /run "x" has no samples/);
  });
});

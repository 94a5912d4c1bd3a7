'use strict';
// The outage scenario as a picture: for each contender, lines waiting to be delivered, lines that reached the
// remote and lines lost, over the run's time, with the outage shaded. Rendered by ECharts' server-side SVG
// renderer (no DOM needed), from the samples bench/e2e.js takes during the run.
const echarts = require('echarts');

const PANELS = [
  { key: 'queued', title: 'queued: sent, not yet at the remote, arrives later (lines)' },
  { key: 'arrived', title: 'arrived at the remote (lines)' },
  { key: 'lost', title: 'lost: sent, never arrived (lines)' },
];
// One colour per contender, the same in every panel (ECharts' default palette, this package first).
const COLOURS = ['#5470c6', '#ee6666', '#fac858', '#91cc75', '#73c0de'];

/**
 * runs: [{ label, outage: { fromSec, toSec }, samples: [{ t, queued, arrived, lost }] }] (t in seconds since the
 * load started). Returns the SVG text.
 */
function outagePlotSVG(runs, { title = 'Outage', subtitle = '', width = 900, height = 760 } = {}) {
  if (!Array.isArray(runs) || runs.length === 0) throw new Error('outagePlotSVG: no outage runs to plot');
  for (const run of runs) {
    if (!run.label || !Array.isArray(run.samples) || run.samples.length === 0) {
      throw new Error(`outagePlotSVG: run ${JSON.stringify(run.label)} has no samples`);
    }
  }
  const top = 110;
  const bottom = 50;
  const gap = 45;
  const panelHeight = (height - top - bottom - gap * (PANELS.length - 1)) / PANELS.length;
  const maxT = Math.max(...runs.flatMap((r) => r.samples.map((s) => s.t)));
  const outage = runs[0].outage;

  const grid = PANELS.map((_, i) => ({ left: 80, right: 30, top: top + i * (panelHeight + gap), height: panelHeight }));
  const xAxis = PANELS.map((_, i) => ({
    type: 'value',
    gridIndex: i,
    min: 0,
    max: Math.ceil(maxT),
    name: i === PANELS.length - 1 ? 'seconds since the load started' : '',
    nameLocation: 'middle',
    nameGap: 28,
  }));
  const yAxis = PANELS.map((p, i) => ({
    type: 'value',
    gridIndex: i,
    name: p.title,
    nameLocation: 'end',
    nameTextStyle: { align: 'left', padding: [0, 0, 0, -70] },
    axisLabel: { formatter: (v) => compact(v) },
  }));
  const series = [];
  runs.forEach((run, r) => {
    PANELS.forEach((p, i) => {
      series.push({
        type: 'line',
        name: run.label,
        xAxisIndex: i,
        yAxisIndex: i,
        showSymbol: false,
        lineStyle: { width: 2 },
        color: COLOURS[r % COLOURS.length],
        data: run.samples.map((s) => [round(s.t), s[p.key]]),
        // The outage, shaded once per panel (on the first contender's series).
        markArea:
          r === 0 && outage
            ? { silent: true, itemStyle: { color: 'rgba(180,180,180,0.25)' }, label: { show: i === 0, position: 'insideTop', color: '#666' }, data: [[{ name: 'remote down', xAxis: outage.fromSec }, { xAxis: outage.toSec }]] }
            : undefined,
      });
    });
  });

  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: { text: title, subtext: subtitle, left: 'center', top: 6, itemGap: 6, textStyle: { fontSize: 15 }, subtextStyle: { fontSize: 11 } },
      legend: { top: 56, itemGap: 28, data: runs.map((r) => r.label) },
      grid,
      xAxis,
      yAxis,
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The outage rows of a results document (bench/results/*.json) as one plot; null without such rows. */
function outagePlotOfResults(doc) {
  const runs = doc.e2e.rows
    .filter((row) => row.scenario === 'outage' && row.timeline && row.timeline.samples.length)
    .map((row) => ({ label: row.label, outage: row.timeline.outage, samples: row.timeline.samples }));
  if (!runs.length) return null;
  const p = doc.e2e.profile;
  return outagePlotSVG(runs, {
    title: `Remote down for ${p.outageMs / 1000} s at ${p.outageRate.toLocaleString('en-US')} lines/s (100-line messages)`,
    subtitle:
      `npm run bench, ${doc.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${doc.machine.cores} cores, commit ${doc.machine.commit}, ` +
      `load average ${doc.load.min.toFixed(1)} to ${doc.load.max.toFixed(1)}`,
  });
}

function round(t) {
  return Math.round(t * 10) / 10;
}

/** 400000 -> 400k, 1500000 -> 1.5M: axis labels stay short. */
function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(v);
}

module.exports = { outagePlotSVG, outagePlotOfResults, PANELS };

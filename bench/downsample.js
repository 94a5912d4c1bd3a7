'use strict';
// Downsampling throughput: points/s aggregated for 1,000 series x 5 fields, by aggregate function,
// for the engine alone (pre-parsed points) and for the node's path (parse line protocol, then aggregate).
// Run: npx tsc -p tsconfig.json && node bench/downsample.js
const { Downsampler, DEFAULT_OPTIONS } = require('../nodes/lib/downsample');
const { parseLine } = require('../nodes/lib/line-protocol');

const S = 1000000000n;
const SERIES = 1000;
const FIELDS = 5;
const ROUNDS = 200; // one point per series per second of data: 200,000 points, 20 windows of 10 s
const EVERY = 10n * S;
const T0 = 1700000000n * S;

function makeLines() {
  const lines = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ts = (T0 + BigInt(round) * S).toString();
    for (let s = 0; s < SERIES; s++) {
      const fields = [];
      for (let f = 0; f < FIELDS; f++) fields.push(f === 4 ? `f${f}=${(round * 7 + s) % 1000}i` : `f${f}=${((round * 31 + s * 17 + f) % 1000) / 10}`);
      lines.push(`sensor,site=site${s % 10},device=dev${s} ${fields.join(',')} ${ts}`);
    }
  }
  return lines;
}

/** Feeds all lines (parsing them first when `parse`), emitting windows as the data's clock passes their end. */
function runOnce(numericFn, lines, points, parse) {
  const ds = new Downsampler({ ...DEFAULT_OPTIONS, everyNs: EVERY, numericFn, maxSeries: SERIES });
  let emittedLines = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const point = parse ? parseLine(lines[i]).point : points[i];
    ds.add(point);
    if ((i + 1) % (SERIES * 10) === 0) {
      for (const batch of ds.emitDue(point.timestamp + 1n)) emittedLines += batch.lines.length;
    }
  }
  for (const batch of ds.flush()) emittedLines += batch.lines.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (emittedLines !== (ROUNDS / 10) * SERIES) throw new Error(`expected ${(ROUNDS / 10) * SERIES} aggregated lines, got ${emittedLines}`);
  return seconds;
}

function runDownsampleBench({ fns = ['mean', 'median', 'last', 'count'], repeats = 2 } = {}) {
  const lines = makeLines();
  // Parsed points are only held for the engine-alone cases: 200,000 of them in memory slow the GC of the rest.
  let points = lines.map((line) => parseLine(line).point);
  const rows = [];
  for (const parse of [false, true]) {
    if (parse) points = null;
    for (const fn of fns) {
      runOnce(fn, lines, points, parse); // warm-up
      let best = Infinity;
      for (let r = 0; r < repeats; r++) best = Math.min(best, runOnce(fn, lines, points, parse));
      rows.push({
        case: parse ? 'parse + aggregate' : 'aggregate (pre-parsed)',
        fn,
        series: SERIES,
        fields: FIELDS,
        points: lines.length,
        seconds: Number(best.toFixed(3)),
        pointsPerSec: Math.round(lines.length / best),
        fieldValuesPerSec: Math.round((lines.length * FIELDS) / best),
      });
    }
  }
  return rows;
}

module.exports = { runDownsampleBench };

if (require.main === module) {
  const rows = runDownsampleBench();
  console.table(rows);
}

'use strict';
// Micro benchmark for the line-protocol module: lines per second for the hot paths.
// Run: npx tsc -p tsconfig.json && node bench/line-protocol.js
// A/B: node bench/line-protocol.js --ab /path/to/other/nodes  compares another build's module (A, e.g. main
// built into a temp folder) with this one (B) in the same process: rounds alternate A and B, and each side's
// figure is the median CPU time (process.cpuUsage) of its rounds, steadier than wall time on a shared machine.
const path = require('path');

const abAt = process.argv.indexOf('--ab');
const otherDir = abAt === -1 ? null : path.resolve(process.argv[abAt + 1]);
const lp = require('../nodes/lib/line-protocol');
const lpA = otherDir ? require(path.join(otherDir, 'lib/line-protocol')) : null;

const COUNT = 200000;
function payload(make, count = COUNT) {
  const lines = new Array(count);
  for (let i = 0; i < count; i++) lines[i] = make(i);
  return lines.join('\n');
}

/** The text `http in` hands over for a big body: the decoder's 64 kB pieces joined with +=. */
function inPieces(text) {
  let out = '';
  for (let i = 0; i < text.length; i += 65536) out += text.slice(i, i + 65536);
  return out;
}

const base = 1700000000000000000n;
const benchLine = (i) => `bench_xxxx,run=sc-0000,host=edge-gateway-01,site=plant-north,sensor=s${i % 100} v=${i % 1000}.25 ${1700000000000 + i}`;
const BIG_LINES = 4500; // about 500 kB of the end-to-end bench's lines
const big = payload(benchLine, BIG_LINES);

// [name, make the input (called per round, so pieced strings are fresh), precision, lines per input]
const cases = [
  ['prepareLines simple, ns timestamp', () => simpleNs, 'ns', COUNT],
  ['prepareLines simple, no timestamp', () => simpleNoTs, 'ns', COUNT],
  ['prepareLines simple, ms -> ns', () => simpleMs, 'ms', COUNT],
  ['prepareLines wide (4 tags, 5 fields)', () => wide, 'ns', COUNT],
  ['prepareLines 500 kB bench lines, ms', () => big, 'ms', BIG_LINES],
  ['prepareLines 500 kB, in 64 kB pieces', () => inPieces(big), 'ms', BIG_LINES],
];
const simpleNs = payload((i) => `cpu,host=h${i % 10} value=${i}.5 ${base + BigInt(i)}`);
const simpleNoTs = payload((i) => `cpu,host=h${i % 10} value=${i}.5`);
const simpleMs = payload((i) => `cpu,host=h${i % 10} value=${i}.5 ${1700000000000 + i}`);
const wide = payload(
  (i) => `weather,site=north,room=r${i % 50},sensor=s1,unit=c temp=${i}.25,hum=${i % 100}i,ok=true,note="all \\"good\\"",n=${i}u ${base + BigInt(i)}`,
);

function measure(fn, rounds) {
  fn(); // warm up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - start) / 1e9 / rounds;
}

/** CPU seconds of one call of `fn(input)`, input made outside the timing. */
function cpuSeconds(fn, makeInput, repeat) {
  const inputs = Array.from({ length: repeat }, makeInput);
  const start = process.cpuUsage();
  for (const input of inputs) fn(input);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6 / repeat;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const simpleLines = payload((i) => `cpu,host=h${i % 10} value=${i}.5,n=${i}i ${base + BigInt(i)}`).split('\n');
const points = simpleLines.slice(0, 50000).map((_, i) => ({ measurement: 'cpu', tags: { host: `h${i % 10}` }, fields: { value: i + 0.5, n: BigInt(i) }, timestamp: 1700000000000 + i }));

/** [name, (module) => run once on `input`, make input, lines per run] for every case. */
function runners() {
  const list = cases.map(([name, make, precision, count]) => [
    name,
    (mod, text) => {
      const out = mod.prepareLines(text, { precision, nowNs: base });
      if (out.lines.length !== count) throw new Error(`${name}: ${out.errors[0] && out.errors[0].reason}`);
    },
    make,
    count,
  ]);
  list.push([
    'parseLine (2 fields)',
    (mod) => {
      for (const line of simpleLines) if (!mod.parseLine(line).ok) throw new Error('parse failed');
    },
    () => null,
    simpleLines.length,
  ]);
  list.push(['pointsToLines (2 fields)', (mod) => mod.pointsToLines(points, 'ms'), () => null, points.length]);
  list.push(['preparePayload (point objects)', (mod) => mod.preparePayload(points, { precision: 'ms', nowNs: base }), () => null, points.length]);
  return list;
}

const rows = [];
if (!lpA) {
  for (const [name, run, make, count] of runners()) {
    const input = make();
    const seconds = measure(() => run(lp, input), count >= COUNT ? 5 : 50);
    rows.push([name, Math.round(count / seconds)]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'case'.padEnd(width)}  lines/s`);
  for (const [name, rate] of rows) console.log(`${name.padEnd(width)}  ${rate.toLocaleString('en-US').padStart(10)}`);
} else {
  const ROUNDS = 9;
  for (const [name, run, make, count] of runners()) {
    const repeat = count >= COUNT ? 1 : count >= 50000 ? 2 : 40;
    const a = [];
    const b = [];
    run(lpA, make());
    run(lp, make());
    // Each side goes first in every other round, so neither always inherits the other's garbage.
    for (let r = 0; r < ROUNDS; r++) {
      const sides = r % 2 === 0 ? [[lpA, a], [lp, b]] : [[lp, b], [lpA, a]];
      for (const [mod, figures] of sides) figures.push(cpuSeconds((input) => run(mod, input), make, repeat));
    }
    rows.push([name, Math.round(count / median(a)), Math.round(count / median(b))]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`A = ${otherDir}, B = this build; lines per CPU second, median of ${ROUNDS} alternating rounds`);
  console.log(`${'case'.padEnd(width)}  ${'A lines/s'.padStart(10)}  ${'B lines/s'.padStart(10)}  B/A`);
  for (const [name, ra, rb] of rows) {
    console.log(`${name.padEnd(width)}  ${ra.toLocaleString('en-US').padStart(10)}  ${rb.toLocaleString('en-US').padStart(10)}  ${(rb / ra).toFixed(2)}x`);
  }
}

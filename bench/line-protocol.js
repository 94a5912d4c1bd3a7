'use strict';
// Micro benchmark for the line-protocol module: lines per second for the hot paths.
// Run: npx tsc -p tsconfig.json && node bench/line-protocol.js
const lp = require('../nodes/lib/line-protocol');

const COUNT = 200000;
function payload(make) {
  const lines = new Array(COUNT);
  for (let i = 0; i < COUNT; i++) lines[i] = make(i);
  return lines.join('\n');
}

const base = 1700000000000000000n;
const cases = [
  ['prepareLines simple, ns timestamp', payload((i) => `cpu,host=h${i % 10} value=${i}.5 ${base + BigInt(i)}`), 'ns'],
  ['prepareLines simple, no timestamp', payload((i) => `cpu,host=h${i % 10} value=${i}.5`), 'ns'],
  ['prepareLines simple, ms -> ns', payload((i) => `cpu,host=h${i % 10} value=${i}.5 ${1700000000000 + i}`), 'ms'],
  [
    'prepareLines wide (4 tags, 5 fields)',
    payload((i) => `weather,site=north,room=r${i % 50},sensor=s1,unit=c temp=${i}.25,hum=${i % 100}i,ok=true,note="all \\"good\\"",n=${i}u ${base + BigInt(i)}`),
    'ns',
  ],
];

function measure(fn, rounds) {
  fn(); // warm up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) fn();
  return Number(process.hrtime.bigint() - start) / 1e9 / rounds;
}

const rows = [];
for (const [name, text, precision] of cases) {
  const seconds = measure(() => {
    const out = lp.prepareLines(text, { precision, nowNs: base });
    if (out.lines.length !== COUNT) throw new Error(`${name}: ${out.errors[0] && out.errors[0].reason}`);
  }, 5);
  rows.push([name, Math.round(COUNT / seconds)]);
}

const simpleLines = payload((i) => `cpu,host=h${i % 10} value=${i}.5,n=${i}i ${base + BigInt(i)}`).split('\n');
let seconds = measure(() => {
  for (const line of simpleLines) if (!lp.parseLine(line).ok) throw new Error('parse failed');
}, 3);
rows.push(['parseLine (2 fields)', Math.round(COUNT / seconds)]);

const points = simpleLines.slice(0, 50000).map((_, i) => ({ measurement: 'cpu', tags: { host: `h${i % 10}` }, fields: { value: i + 0.5, n: BigInt(i) }, timestamp: 1700000000000 + i }));
seconds = measure(() => lp.pointsToLines(points, 'ms'), 3);
rows.push(['pointsToLines (2 fields)', Math.round(points.length / seconds)]);
seconds = measure(() => lp.preparePayload(points, { precision: 'ms', nowNs: base }), 3);
rows.push(['preparePayload (point objects)', Math.round(points.length / seconds)]);

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`${'case'.padEnd(width)}  lines/s`);
for (const [name, rate] of rows) console.log(`${name.padEnd(width)}  ${rate.toLocaleString('en-US').padStart(10)}`);

'use strict';
// The lines every contender and ceiling receives: same shape, ~100 bytes each, one field `v`, and a unique
// millisecond timestamp per line within a run (seq = 0, 1, 2, ...), so VictoriaMetrics' count of a run's
// series is exactly the number of distinct lines that arrived.
//
// Timestamps start BASE_OFFSET_MS before the process started: far enough back for the biggest backlog
// (1 GB is ~11 million lines = ~3 hours of milliseconds) to stay in the past, near enough for the count
// query's 2-day window.
const BASE_OFFSET_MS = 4 * 3600 * 1000;
const BASE_MS = Date.now() - BASE_OFFSET_MS;
const SENSORS = 100;

/** Bytes of one line with a 7-digit seq (the common case); used to turn "500 kB" into a line count. */
const TYPICAL_LINE_BYTES = Buffer.byteLength(line('bench_xxxx', 'sc-0000', 1234567)) + 1;

function line(measurement, run, seq) {
  return `${measurement},run=${run},host=edge-gateway-01,site=plant-north,sensor=s${seq % SENSORS} v=${seq % 1000}.25 ${BASE_MS + seq}`;
}

/** Line protocol for seq .. seq+count-1, newline-separated (precision ms). */
function lineProtocol(measurement, run, seq, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = line(measurement, run, seq + i);
  return out.join('\n');
}

/** The same lines as the point objects node-red-contrib-influxdb's `influxdb batch` node takes (JSON body). */
function pointsJSON(measurement, run, seq, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = seq + i;
    out[i] = {
      measurement,
      tags: { run, host: 'edge-gateway-01', site: 'plant-north', sensor: `s${n % SENSORS}` },
      fields: { v: (n % 1000) + 0.25 },
      timestamp: BASE_MS + n,
    };
  }
  return JSON.stringify(out);
}

/** Lines per message for a message of about `bytes` bytes. */
function linesForBytes(bytes) {
  return Math.max(1, Math.floor(bytes / TYPICAL_LINE_BYTES));
}

module.exports = { lineProtocol, pointsJSON, linesForBytes, TYPICAL_LINE_BYTES, BASE_MS };

'use strict';
// The remote for the end-to-end benchmark: a real VictoriaMetrics (it speaks /api/v2/write) and, in front of
// it, the fault proxy that simulates outages. Counting goes through VictoriaMetrics' query API rather than the
// harness' export-based countSamples(): a backlog of millions of lines would make an export very slow.
const { Agent, request } = require('undici');
const { startVictoriaMetrics, sleep } = require('../../test/harness/servers');
const { startFaultProxy } = require('../../test/harness/fault-proxy');

/** VictoriaMetrics stores a field `v` of measurement `m` as the metric `m_v`. */
const FIELD = 'v';

async function startRemote() {
  const vm = await startVictoriaMetrics();
  const proxy = await startFaultProxy(vm.port);
  const agent = new Agent({ keepAliveTimeout: 2000, connections: 4 });

  async function get(pathAndQuery) {
    const res = await request(vm.url + pathAndQuery, { dispatcher: agent, headersTimeout: 60000, bodyTimeout: 60000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${pathAndQuery} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return text;
  }

  /**
   * Lines of `measurement` tagged `run=<run>` that VictoriaMetrics has stored. Ingestion is asynchronous:
   * force_flush first so that what was acknowledged is also visible.
   */
  async function countLines(measurement, run) {
    await get('/internal/force_flush');
    // Timestamps of a run lie within the last few hours (see bench/lib/lines.js); 2 days covers them all.
    const query = `sum(count_over_time(${measurement}_${FIELD}{run="${run}"}[2d]))`;
    const params = new URLSearchParams({ query, time: String(Date.now() / 1000), nocache: '1' });
    const body = JSON.parse(await get(`/api/v1/query?${params}`));
    const result = body.data && body.data.result;
    if (!result || result.length === 0) return 0;
    return Number(result[0].value[1]);
  }

  /**
   * Polls until `expected` lines have arrived, or the count has not moved for `quietMs`, or `timeoutMs` passed.
   * Returns the count and the time (ms since epoch, interpolated between polls) at which the last line arrived.
   */
  async function waitForLines(measurement, run, expected, { quietMs = 5000, timeoutMs = 60000, intervalMs = 250 } = {}) {
    const start = Date.now();
    let previous = { t: start, n: await countLines(measurement, run) };
    let lastChange = previous;
    for (;;) {
      if (previous.n >= expected) return { count: previous.n, doneAt: previous.t, complete: true };
      const now = Date.now();
      if (now - lastChange.t >= quietMs || now - start >= timeoutMs) return { count: previous.n, doneAt: lastChange.t, complete: false };
      await sleep(intervalMs);
      const current = { t: Date.now(), n: await countLines(measurement, run) };
      if (current.n !== previous.n) {
        if (current.n >= expected && current.n > previous.n) {
          // The last line arrived somewhere between the two polls: interpolate instead of rounding up.
          const share = (expected - previous.n) / (current.n - previous.n);
          return { count: current.n, doneAt: previous.t + share * (current.t - previous.t), complete: true };
        }
        lastChange = current;
      }
      previous = current;
    }
  }

  /**
   * Distinct lines of a run (each line has its own timestamp) and all stored samples. A retry after an
   * answer lost in an outage can store a batch twice; VictoriaMetrics keeps both copies, so "arrived" must
   * count timestamps, not samples. Reads every sample: use it for runs of up to a few million lines.
   * With `withTimestamps`, `timestamps` is the set of distinct timestamps (ms): which lines arrived.
   */
  async function countUniqueLines(measurement, run, { withTimestamps = false } = {}) {
    await get('/internal/force_flush');
    const params = new URLSearchParams({ 'match[]': `${measurement}_${FIELD}{run="${run}"}` });
    const text = await get(`/api/v1/export?${params}`);
    const seen = new Set();
    let samples = 0;
    for (const row of text.split('\n')) {
      if (!row.trim()) continue;
      const { timestamps } = JSON.parse(row);
      samples += timestamps.length;
      for (const t of timestamps) seen.add(t);
    }
    return withTimestamps ? { unique: seen.size, samples, timestamps: seen } : { unique: seen.size, samples };
  }

  async function stop() {
    await agent.close().catch(() => {});
    await proxy.stop();
    await vm.stop();
  }

  return {
    /** Direct URL of VictoriaMetrics (throughput runs: no proxy in the way). */
    url: vm.url,
    /** URL through the fault proxy (outage and restart runs). */
    proxyURL: proxy.url,
    vmPid: vm.pid,
    /** 'pass' or 'refuse' (connection refused, as a stopped server). */
    setReachable: (reachable) => proxy.setMode(reachable ? 'pass' : 'refuse'),
    countLines,
    countUniqueLines,
    waitForLines,
    stop,
  };
}

module.exports = { startRemote, FIELD };

'use strict';
// An HTTP relay between the gateway and a real server (VictoriaMetrics): it forwards each write as received and
// answers with the server's answer, and for every write the server accepted it records the timestamps of the
// lines in arrival order. That gives what the server alone cannot: how often each line was delivered
// (duplicates) and whether lines arrived in order. Memory: one small counter per distinct timestamp.

const http = require('http');
const zlib = require('zlib');
const { listenOnLoopback, closeNow } = require('../../harness/local-http');
const { Agent, request } = require('undici');

/**
 * startRecordingRelay(targetURL) -> { url, port, stop, stats(), deliveries(ts), distinct() }
 * Lines are expected to end with a nanosecond timestamp that is a whole number of ms (the load generator's).
 */
async function startRecordingRelay(targetURL, { windowMs = 100 } = {}) {
  const agent = new Agent({ keepAliveTimeout: 2000 });
  const counts = new Map(); // ms -> deliveries accepted by the target
  // Lines accepted per `windowMs` slot of wall time: how much can be delivered yet unacknowledged while the
  // writer spaces its acks by that interval.
  const perSlot = new Map();
  const stats = { requests: 0, accepted: 0, failed: 0, lines: 0, duplicates: 0, outOfOrder: 0, firstOutOfOrder: null };
  let lastFirstSeen = -Infinity;

  function record(text) {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const space = text.lastIndexOf(' ', end);
      if (space > start) {
        const ns = text.slice(space + 1, end);
        const ms = Number(ns.slice(0, -6));
        stats.lines++;
        const seen = counts.get(ms) || 0;
        counts.set(ms, seen + 1);
        if (seen > 0) {
          stats.duplicates++;
        } else {
          if (ms < lastFirstSeen) {
            stats.outOfOrder++;
            if (!stats.firstOutOfOrder) stats.firstOutOfOrder = { ms, after: lastFirstSeen };
          }
          lastFirstSeen = Math.max(lastFirstSeen, ms);
        }
      }
      start = end + 1;
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', async () => {
      stats.requests++;
      const raw = Buffer.concat(chunks);
      const headers = {};
      for (const name of ['content-type', 'content-encoding', 'authorization']) if (req.headers[name]) headers[name] = req.headers[name];
      try {
        const answer = await request(targetURL + req.url, { method: req.method, body: raw, headers, dispatcher: agent });
        const body = Buffer.from(await answer.body.arrayBuffer());
        if (answer.statusCode >= 200 && answer.statusCode < 300) {
          stats.accepted++;
          const text = /gzip/i.test(req.headers['content-encoding'] || '') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
          const before = stats.lines;
          record(text);
          const slot = Math.floor(Date.now() / windowMs);
          perSlot.set(slot, (perSlot.get(slot) || 0) + stats.lines - before);
        }
        if (res.destroyed) return;
        res.writeHead(answer.statusCode, answer.headers['content-type'] ? { 'content-type': answer.headers['content-type'] } : {});
        res.end(answer.statusCode === 204 ? undefined : body);
      } catch (err) {
        stats.failed++;
        if (!res.destroyed) {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end(`relay: ${err.message}`);
        }
      }
    });
  });
  server.on('clientError', (err, socket) => socket.destroy());
  const port = await listenOnLoopback(server);

  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: () => ({ ...stats, distinct: counts.size }),
    /** The most lines accepted within any window of `windowMs` (two adjacent slots cover every such window). */
    maxLinesPerWindow: () => {
      let max = 0;
      for (const [slot, n] of perSlot) max = Math.max(max, n + (perSlot.get(slot + 1) || 0));
      return max;
    },
    /** How many times the target accepted the line with this timestamp. */
    deliveries: (ms) => counts.get(ms) || 0,
    distinct: () => counts.size,
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeNow(server);
      await agent.close().catch(() => {});
    },
  };
}

module.exports = { startRecordingRelay };

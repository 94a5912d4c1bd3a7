'use strict';
// The load generator: POSTs messages of N lines to a Node-RED `http in` endpoint. The same generator feeds every
// contender and the Node-RED ceiling; only the body format follows what the receiving node takes (line protocol
// as text, or point objects as JSON for node-red-contrib-influxdb's `influxdb batch`).
//
// Each request's outcome is counted in lines:
//   acked       answered 2xx (the node called done() without an error)
//   refused     answered with an error status (the node called done(err)): handed over, but reported failed
//   noAnswer    the body went out but no answer came (timeout, reset): handed over, fate unknown
//   unreachable the connection was refused (Node-RED down): never handed over
// "offered" = acked + refused + noAnswer: the lines Node-RED received, which is what "lost" is counted against.
const { Pool } = require('undici');
const { lineProtocol, pointsJSON } = require('./lines');
const { sleep } = require('../../test/harness/servers');

const REQUEST_TIMEOUT_MS = 60000;

function createGenerator({ url, path = '/ingest', headers = {}, format = 'lines', measurement, run, linesPerMessage, concurrency = 8 }) {
  let pool = newPool();
  let seq = 0;
  const stats = { messages: 0, acked: 0, refused: 0, noAnswer: 0, unreachable: 0, bytesAcked: 0 };
  const contentType = format === 'points' ? 'application/json' : 'text/plain';
  const build = format === 'points' ? pointsJSON : lineProtocol;
  let lastError = null;

  function newPool() {
    return new Pool(url, { connections: Math.max(concurrency, 8), pipelining: 1, keepAliveTimeout: 4000 });
  }

  async function sendOne() {
    const first = seq;
    seq += linesPerMessage;
    const body = build(measurement, run, first, linesPerMessage);
    const lines = linesPerMessage;
    stats.messages++;
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        body,
        headers: { 'content-type': contentType, ...headers },
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump();
        stats.acked += lines;
        stats.bytesAcked += Buffer.byteLength(body);
      } else {
        stats.refused += lines;
        lastError = new Error(`${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
      }
    } catch (err) {
      lastError = err;
      if (err.code === 'ECONNREFUSED') stats.unreachable += lines;
      else stats.noAnswer += lines;
    }
  }

  /** As fast as `concurrency` requests in flight allow, for `durationMs`; resolves when all have settled. */
  async function closedLoop(durationMs) {
    const end = Date.now() + durationMs;
    const worker = async () => {
      while (Date.now() < end) await sendOne();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /**
   * At `linesPerSecond` (whole messages) for `durationMs`, whatever the answers' latency, with at most
   * `maxInFlight` requests open: a slow receiver lowers the achieved rate (shown by the counts) rather than
   * piling up sockets without bound.
   */
  async function openLoop(linesPerSecond, durationMs, { maxInFlight = 256 } = {}) {
    const start = Date.now();
    const end = start + durationMs;
    const messagesPerMs = linesPerSecond / linesPerMessage / 1000;
    let sent = 0;
    let inFlight = 0;
    const pending = new Set();
    while (Date.now() < end) {
      const due = Math.floor((Date.now() - start) * messagesPerMs);
      while (sent < due && inFlight < maxInFlight) {
        sent++;
        inFlight++;
        const p = sendOne().finally(() => {
          inFlight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      await sleep(5);
    }
    await Promise.all([...pending]);
  }

  return {
    closedLoop,
    openLoop,
    /** A copy of the counters (lines), plus `offered`. */
    stats: () => ({ ...stats, offered: stats.acked + stats.refused + stats.noAnswer, nextSeq: seq }),
    lastError: () => lastError,
    /** Drops pooled sockets (after Node-RED was killed, old keep-alive sockets are dead). */
    async reset() {
      const old = pool;
      pool = newPool();
      await old.destroy().catch(() => {});
    },
    close: () => pool.close().catch(() => {}),
  };
}

module.exports = { createGenerator };

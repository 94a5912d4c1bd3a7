'use strict';
// An HTTP server with scripted answers, for status codes a real server will not give on demand
// (429 and 503 with Retry-After, 500, 413, slow answers) and for checking what a client sent.

const http = require('http');
const zlib = require('zlib');
const { listenOnLoopback, closeNow } = require('./local-http');

/**
 * Starts a server on a free loopback port. `responder(request, index)` returns (or resolves to)
 * `{ status = 204, headers = {}, body = '', delayMs = 0, destroy = false }`:
 *   body     string, Buffer, or any other value (sent as JSON)
 *   delayMs  wait this long before answering (a slow server)
 *   destroy  drop the connection instead of answering
 * `request` is the record also pushed onto `requests`: `{ method, url, headers, body, rawBody }`, with `body`
 * the UTF-8 text of the (gunzipped, when Content-Encoding is gzip) request body and `rawBody` the bytes as sent.
 * A responder that throws answers 500 with the error's message, so a test bug shows up in the client's error.
 */
async function startCannedServer(responder = () => ({ status: 204 })) {
  const requests = [];
  const timers = new Set();

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('error', () => {});
    req.on('end', async () => {
      const rawBody = Buffer.concat(chunks);
      const record = {
        at: Date.now(),
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: decodeBody(rawBody, req.headers['content-encoding']),
        rawBody,
      };
      const index = requests.length;
      requests.push(record);
      let answer;
      try {
        answer = (await responder(record, index)) || {};
      } catch (err) {
        answer = { status: 500, body: `canned server responder threw: ${err && err.message}` };
      }
      if (answer.delayMs) {
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, answer.delayMs);
          timers.add(timer);
        });
      }
      if (res.destroyed) return;
      if (answer.destroy) {
        req.socket.destroy();
        return;
      }
      const body = encodeAnswer(answer.body);
      const headers = { ...(answer.headers || {}) };
      if (body.length && !hasHeader(headers, 'content-type')) {
        headers['content-type'] = typeof answer.body === 'string' || Buffer.isBuffer(answer.body) ? 'text/plain; charset=utf-8' : 'application/json';
      }
      res.writeHead(answer.status || 204, headers);
      res.end(answer.status === 204 || answer.status === 304 ? undefined : body);
    });
  });
  server.on('clientError', (err, socket) => socket.destroy());

  const port = await listenOnLoopback(server);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await closeNow(server);
  }

  return { url: `http://127.0.0.1:${port}`, port, requests, stop };
}

function decodeBody(raw, encoding) {
  if (encoding && /gzip/i.test(encoding)) {
    try {
      return zlib.gunzipSync(raw).toString('utf8');
    } catch (err) {
      // A broken gzip body is worth seeing in the test, not a crash of the server.
      return `<<invalid gzip body: ${err.message}>>`;
    }
  }
  return raw.toString('utf8');
}

function encodeAnswer(body) {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** startCannedServer for one describe(): each server is stopped by pushing its stop onto `cleanups`. */
function cannedServers(cleanups) {
  return async (responder) => {
    const server = await startCannedServer(responder);
    cleanups.push(() => server.stop());
    return server;
  };
}

module.exports = { startCannedServer, cannedServers };

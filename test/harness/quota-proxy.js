'use strict';
// A write-quota proxy in front of a remote, as InfluxDB Cloud counts writes: fixed windows of `windowMs`, a byte
// budget of uncompressed line protocol per window for everyone together; a write that would go over it is answered
// 429 with Retry-After (the seconds until the window resets) and not forwarded. `down()` makes it drop every
// connection (an outage); `up()` ends that. Every request is logged: { at, bytes, status, bucket, cut }, `cut` when
// the remote took the write but the outage dropped the connection before the answer.

const http = require('http');
const zlib = require('zlib');
const { request, Agent } = require('undici');

async function startQuotaProxy({ target, windowMs, budgetBytes }) {
  const agent = new Agent({ keepAliveTimeout: 2000, connections: 32 });
  const started = Date.now();
  const log = [];
  let isDown = false;
  const used = new Map(); // window index -> accepted bytes
  const windowOf = (at) => Math.floor((at - started) / windowMs);

  const server = http.createServer((req, res) => {
    if (isDown) return req.socket.destroy();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', async () => {
      if (isDown) return req.socket.destroy();
      const raw = Buffer.concat(chunks);
      let bytes = raw.length;
      try {
        if (/gzip/i.test(req.headers['content-encoding'] || '')) bytes = zlib.gunzipSync(raw).length;
      } catch {
        // not gzip after all: counted as it came
      }
      const at = Date.now();
      const bucket = new URL(req.url, 'http://x').searchParams.get('bucket') || '';
      const w = windowOf(at);
      const entry = { at, bytes, status: 0, bucket };
      log.push(entry);
      if (req.method === 'POST' && (used.get(w) || 0) + bytes > budgetBytes) {
        const retryAfter = Math.max(1, Math.ceil((started + (w + 1) * windowMs - at) / 1000));
        entry.status = 429;
        res.writeHead(429, { 'retry-after': String(retryAfter), 'content-type': 'application/json' });
        return res.end(JSON.stringify({ code: 'too many requests', message: 'org exceeded the write quota' }));
      }
      if (req.method === 'POST') used.set(w, (used.get(w) || 0) + bytes);
      try {
        const headers = { ...req.headers };
        delete headers.host;
        delete headers.connection;
        const answer = await request(target + req.url, { method: req.method, headers, body: req.method === 'POST' ? raw : undefined, dispatcher: agent });
        const body = await answer.body.arrayBuffer();
        entry.status = answer.statusCode;
        // Forwarded (and stored) but the outage cut the client off before the answer: it will send those lines again.
        if (res.destroyed || req.socket.destroyed) entry.cut = true;
        res.writeHead(answer.statusCode, answer.headers['content-type'] ? { 'content-type': answer.headers['content-type'] } : {});
        res.end(Buffer.from(body));
      } catch (err) {
        entry.status = 502;
        res.writeHead(502);
        res.end(String(err.message));
      }
    });
  });
  server.keepAliveTimeout = 5000;
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    started,
    windowMs,
    budgetBytes,
    log,
    windowOf,
    down() {
      isDown = true;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
      await agent.close();
    },
  };
}

module.exports = { startQuotaProxy };

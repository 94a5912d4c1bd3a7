'use strict';
// A write endpoint that misbehaves on script, over HTTP or HTTPS: for each request `script(request, index)`
// returns { status = 204, headers, body } or { cut: true } (start the answer, then close the connection in the
// middle of the status line's headers: "closes mid-response"). Every request is recorded with its
// Authorization header and its lines (gunzipped), and `accepted()` gives the lines of the 2xx answers.

const http = require('http');
const https = require('https');
const zlib = require('zlib');
const { listenOnLoopback, closeNow } = require('../../harness/local-http');

async function startScriptedRemote(script = () => ({ status: 204 }), { tls } = {}) {
  const requests = [];
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      let text;
      try {
        text = /gzip/i.test(req.headers['content-encoding'] || '') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      } catch (err) {
        text = `<<bad gzip: ${err.message}>>`;
      }
      const record = { at: Date.now(), method: req.method, url: req.url, authorization: req.headers.authorization || '', lines: text ? text.split('\n') : [] };
      const index = requests.length;
      requests.push(record);
      let answer;
      try {
        answer = (await script(record, index)) || {};
      } catch (err) {
        answer = { status: 500, body: `script threw: ${err.message}` };
      }
      record.status = answer.cut ? 'cut' : answer.status || 204;
      if (answer.cut) {
        // Headers half written, then the connection ends: the client has an answer it cannot finish reading.
        req.socket.write('HTTP/1.1 204 No Content\r\nX-Partial: tru');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(record.status, { ...(body ? { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json' } : {}), ...(answer.headers || {}) });
      res.end(record.status === 204 ? undefined : body);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  server.on('clientError', (err, socket) => socket.destroy());
  server.on('tlsClientError', () => {});
  const port = await listenOnLoopback(server);
  let stopped = false;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    /** Lines of the requests answered 2xx, in arrival order (duplicates kept). */
    accepted: () => requests.filter((r) => typeof r.status === 'number' && r.status < 300).flatMap((r) => r.lines),
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeNow(server);
    },
  };
}

module.exports = { startScriptedRemote };

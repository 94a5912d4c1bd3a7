'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const https = require('https');
const { execFileSync } = require('child_process');
const zlib = require('zlib');
const { MockAgent } = require('undici');
const { RemoteClient, USER_AGENT, encodeBody, GZIP_CHUNK_BYTES, createDispatcher } = require('../../nodes/lib/writer');
const { cannedServers } = require('../harness/canned-server');
const { cleanupsAfterEach } = require('../harness/cleanups');

const TOKEN = 'secret-token-4711';
const PASSWORD = 'pa55word-0815';

function v2(url, extra = {}) {
  return new RemoteClient({ remoteURL: url, remoteOrgID: 'my-org', writeAPI: 'v2', allowInsecureTLS: false, ...extra }, { remoteAPIToken: TOKEN });
}
function v1(url, extra = {}) {
  return new RemoteClient({ remoteURL: url, remoteOrgID: '', writeAPI: 'v1', allowInsecureTLS: false, ...extra }, { username: 'writer', password: PASSWORD });
}

describe('writer RemoteClient', function () {
  const cleanups = cleanupsAfterEach();
  const canned = cannedServers(cleanups);
  function track(client) {
    cleanups.push(() => client.close());
    return client;
  }

  it('v2: POSTs gzipped line protocol to /api/v2/write under the path prefix with token, type and user agent', async function () {
    const server = await canned(() => ({ status: 204 }));
    const client = track(v2(`${server.url}/proxy/influx/`));
    const body = 'cpu,host=a v=1 1\ncpu,host=b v=2 2';
    const result = await client.write('my bucket', body, { gzip: true, timeoutMs: 5000 });
    assert.strictEqual(result.statusCode, 204);
    assert.strictEqual(result.errorMessage, '');
    const req = server.requests[0];
    assert.strictEqual(req.method, 'POST');
    const url = new URL(req.url, server.url);
    assert.strictEqual(url.pathname, '/proxy/influx/api/v2/write');
    assert.strictEqual(url.searchParams.get('org'), 'my-org');
    assert.strictEqual(url.searchParams.get('bucket'), 'my bucket');
    assert.strictEqual(url.searchParams.get('precision'), 'ns');
    assert.strictEqual(req.headers.authorization, `Token ${TOKEN}`);
    assert.strictEqual(req.headers['content-encoding'], 'gzip');
    assert.strictEqual(req.headers['content-type'], 'text/plain; charset=utf-8');
    assert.strictEqual(req.headers['user-agent'], USER_AGENT);
    assert.strictEqual(req.body, body);
    assert.strictEqual(result.bytesSent, req.rawBody.length);
    assert.ok(result.bytesSent !== Buffer.byteLength(body));
  });

  it('v1: POSTs plain line protocol to /write with db, rp and Basic auth when gzip is off', async function () {
    const server = await canned(() => ({ status: 204 }));
    const client = track(v1(server.url));
    const result = await client.write('telegraf/autogen', 'm v=1 1', { gzip: false, timeoutMs: 5000 });
    assert.strictEqual(result.statusCode, 204);
    const req = server.requests[0];
    const url = new URL(req.url, server.url);
    assert.strictEqual(url.pathname, '/write');
    assert.strictEqual(url.searchParams.get('db'), 'telegraf');
    assert.strictEqual(url.searchParams.get('rp'), 'autogen');
    assert.strictEqual(req.headers.authorization, `Basic ${Buffer.from(`writer:${PASSWORD}`).toString('base64')}`);
    assert.strictEqual(req.headers['content-encoding'], undefined);
    assert.strictEqual(req.rawBody.toString(), 'm v=1 1');
    assert.strictEqual(result.bytesSent, 7);
  });

  it("reports the remote's error text, truncated and without credentials", async function () {
    const server = await canned((req) => ({
      status: 400,
      body: { error: `partial write: you sent ${req.headers.authorization} ${'x'.repeat(3000)}` },
    }));
    const client = track(v2(server.url));
    const result = await client.write('b', 'm v=1 1', { gzip: false, timeoutMs: 5000 });
    assert.strictEqual(result.statusCode, 400);
    assert.match(result.errorMessage, /^partial write: you sent Token \*\*\*/);
    assert.ok(!result.errorMessage.includes(TOKEN));
    assert.ok(!result.body.includes(TOKEN));
    assert.ok(result.errorMessage.length <= 1001);

    const basic = await canned((req) => ({ status: 401, body: `bad ${req.headers.authorization} / ${PASSWORD}` }));
    const c1 = track(v1(basic.url));
    const r1 = await c1.write('db', 'm v=1 1', { gzip: false, timeoutMs: 5000 });
    assert.strictEqual(r1.statusCode, 401);
    assert.ok(!r1.errorMessage.includes(PASSWORD));
    assert.ok(!r1.errorMessage.includes(Buffer.from(`writer:${PASSWORD}`).toString('base64')));
  });

  it('reads Retry-After (seconds or HTTP date) on 429 and 503 only', async function () {
    const date = new Date(Date.now() + 5000).toUTCString();
    const answers = [
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 503, headers: { 'retry-after': date } },
      { status: 500, headers: { 'retry-after': '2' } },
      { status: 503 },
    ];
    const server = await canned((req, i) => answers[i]);
    const client = track(v2(server.url));
    const results = [];
    for (let i = 0; i < answers.length; i++) results.push(await client.write('b', 'm v=1 1', { gzip: false, timeoutMs: 5000 }));
    assert.strictEqual(results[0].retryAfterMs, 2000);
    assert.ok(results[1].retryAfterMs > 2000 && results[1].retryAfterMs <= 5000, String(results[1].retryAfterMs));
    assert.strictEqual(results[2].retryAfterMs, null);
    assert.strictEqual(results[3].retryAfterMs, null);
    assert.strictEqual(results[3].errorMessage, 'HTTP 503');
  });

  it('turns network errors and timeouts into status 0 with a message', async function () {
    const port = await new Promise((resolve) => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const refused = track(v2(`http://127.0.0.1:${port}`));
    const r1 = await refused.write('b', 'm v=1 1', { gzip: true, timeoutMs: 5000 });
    assert.strictEqual(r1.statusCode, 0);
    assert.match(r1.errorMessage, /ECONNREFUSED/);

    const slow = await canned(() => ({ status: 204, delayMs: 3000 }));
    const client = track(v2(slow.url));
    const r2 = await client.write('b', 'm v=1 1', { gzip: true, timeoutMs: 200 });
    assert.strictEqual(r2.statusCode, 0);
    assert.match(r2.errorMessage, /timed out after 200 ms/);

    const controller = new AbortController();
    const pending = client.write('b', 'm v=1 1', { gzip: false, timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const r3 = await pending;
    assert.strictEqual(r3.statusCode, 0);
    assert.match(r3.errorMessage, /aborted/);
  });

  it('reuses one keep-alive connection for consecutive requests', async function () {
    let connections = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(204);
        res.end();
      });
    });
    server.on('connection', () => connections++);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
    const client = track(v2(`http://127.0.0.1:${server.address().port}`));
    for (let i = 0; i < 5; i++) assert.strictEqual((await client.write('b', `m v=${i} ${i}`, { gzip: true, timeoutMs: 5000 })).statusCode, 204);
    assert.strictEqual(connections, 1);
  });

  describe('validate()', function () {
    it('v2: OK on 204 to an empty write, plain words for 401 and 404', async function () {
      const answers = [{ status: 204 }, { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } }, { status: 404, body: { code: 'not found', message: 'bucket "nope" not found' } }];
      const server = await canned((req, i) => answers[i]);
      const client = track(v2(server.url));
      const ok = await client.validate('b');
      assert.deepStrictEqual([ok.ok, ok.statusCode], [true, 204]);
      assert.match(ok.message, /^OK/);
      assert.strictEqual(server.requests[0].body, '');
      const auth = await client.validate('b');
      assert.strictEqual(auth.ok, false);
      assert.match(auth.message, /authentication failed .*API token.*unauthorized access/);
      const missing = await client.validate('nope');
      assert.strictEqual(missing.ok, false);
      assert.match(missing.message, /bucket or org missing .*bucket "nope" not found/);
    });

    it('v1: pings, then probes the write permission with an empty write', async function () {
      const server = await canned((req) => {
        if (req.url === '/ping') return { status: 204 };
        const db = new URL(req.url, 'http://x').searchParams.get('db');
        if (db === 'nodb') return { status: 404, body: { error: 'database not found: "nodb"' } };
        if (db === 'locked') return { status: 403, body: { error: '"writer" user is not authorized to write to database "locked"' } };
        return { status: 204 };
      });
      const client = track(v1(server.url));
      assert.strictEqual((await client.validate('db1/rp1')).ok, true);
      assert.deepStrictEqual(server.requests.map((r) => r.method + ' ' + r.url.split('?')[0]), ['GET /ping', 'POST /write']);
      const missing = await client.validate('nodb');
      assert.match(missing.message, /database missing .*nodb/);
      const locked = await client.validate('locked');
      assert.match(locked.message, /permission denied .*not authorized/);
    });

    it('says when the remote is unreachable', async function () {
      const port = await new Promise((resolve) => {
        const s = http.createServer();
        s.listen(0, '127.0.0.1', () => {
          const p = s.address().port;
          s.close(() => resolve(p));
        });
      });
      for (const client of [track(v2(`http://127.0.0.1:${port}`)), track(v1(`http://127.0.0.1:${port}`))]) {
        const result = await client.validate('b');
        assert.strictEqual(result.ok, false);
        assert.strictEqual(result.statusCode, 0);
        assert.match(result.message, /unreachable.*ECONNREFUSED/);
      }
    });

    it('verifies TLS unless allowInsecureTLS, and trusts a private CA file', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-tls-'));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(204);
          res.end();
        });
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
      const url = `https://127.0.0.1:${server.address().port}`;

      const strict = await track(v2(url)).validate('b');
      assert.strictEqual(strict.ok, false);
      assert.match(strict.message, /TLS problem/);
      const insecure = await track(v2(url, { allowInsecureTLS: true })).validate('b');
      assert.strictEqual(insecure.ok, true, insecure.message);
      const withCA = await track(v2(url, { caFile: cert })).validate('b');
      assert.strictEqual(withCA.ok, true, withCA.message);
    });
  });

  describe('connection seam', function () {
    it('sends through the dispatcher its factory makes from the remote settings (a mock transport here)', async function () {
      const agent = new MockAgent();
      agent.disableNetConnect();
      cleanups.push(() => agent.close());
      const origin = 'http://remote.invalid:8086';
      agent
        .get(origin)
        .intercept({ method: 'POST', path: (p) => p.startsWith('/api/v2/write?') })
        .reply(204, '');
      const asked = [];
      const client = new RemoteClient(
        { remoteURL: `${origin}/`, remoteOrgID: 'my-org', writeAPI: 'v2', allowInsecureTLS: false },
        { remoteAPIToken: TOKEN },
        {
          connections: 2,
          createDispatcher: (settings, options) => {
            asked.push({ url: settings.remoteURL, connections: options.connections });
            return agent.get(new URL(settings.remoteURL).origin);
          },
        },
      );
      const result = await client.write('bucket', 'm v=1 1', { gzip: false, timeoutMs: 2000 });
      assert.strictEqual(result.statusCode, 204);
      assert.deepStrictEqual(asked, [{ url: `${origin}/`, connections: 2 }]);
      agent.assertNoPendingInterceptors();
    });

    it('the default factory is a pool that refuses an unreadable CA file with a clear error', function () {
      assert.throws(
        () => createDispatcher({ remoteURL: 'https://x.invalid', remoteOrgID: 'o', writeAPI: 'v2', allowInsecureTLS: false, caFile: '/nonexistent/ca.pem' }, {}),
        /cannot read CA certificate file "\/nonexistent\/ca.pem"/,
      );
    });
  });

  describe('encodeBody', function () {
    it('gzips bodies whose compressed size is below and above one zlib output piece, and passes a Buffer through uncompressed', async function () {
      // Line protocol compresses about 8x; pseudo-random fields compress poorly, so the output spans several pieces.
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
      const compressible = Array.from({ length: 6000 }, (_, i) => `cpu,host=h${i % 20} v=${i}i ${1000 + i}`).join('\n');
      const noisy = Array.from({ length: 20000 }, (_, i) => `cpu,id=${random().toString(36)} v="${random().toString(36)}${random().toString(36)}" ${i}`).join('\n');
      for (const text of [compressible, noisy, 'm,loc=Zürich v=1i 1']) {
        const gz = await encodeBody(Buffer.from(text, 'utf8'), true);
        assert.strictEqual(zlib.gunzipSync(gz).toString('utf8'), text);
        const fromString = await encodeBody(text, true);
        assert.strictEqual(zlib.gunzipSync(fromString).toString('utf8'), text);
      }
      assert.ok((await encodeBody(noisy, true)).length > GZIP_CHUNK_BYTES, 'the noisy body should need more than one output piece');
      const plain = Buffer.from(compressible, 'utf8');
      assert.strictEqual(await encodeBody(plain, false), plain);
    });
  });
});

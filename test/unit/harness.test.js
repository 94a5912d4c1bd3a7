'use strict';
// Self-checks of the test harness: the fault proxy's modes and the canned server's recording, against a
// tiny local HTTP server. (The real-server helpers are exercised by test/e2e/remote-request.test.js.)

const assert = require('assert');
const http = require('http');
const zlib = require('zlib');
const fs = require('fs');
const path = require('path');
const { Agent, request } = require('undici');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startCannedServer } = require('../harness/canned-server');
const { waitFor, freePort, startInfluxDB, startVictoriaMetrics } = require('../harness/servers');
const { startNodeRed, PACKAGE_NAME } = require('../harness/node-red');

function startEchoServer() {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => res.end(`echo:${Buffer.concat(chunks).toString()}`));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('test harness', function () {
  describe('fault proxy', function () {
    let target;
    let proxy;
    let agent;

    before(async function () {
      target = await startEchoServer();
      proxy = await startFaultProxy(target.address().port);
    });
    beforeEach(function () {
      agent = new Agent({ keepAliveTimeout: 10000 });
    });
    afterEach(async function () {
      await agent.close();
      await proxy.setMode('pass');
    });
    after(async function () {
      if (proxy) await proxy.stop();
      if (target) {
        target.closeAllConnections();
        await new Promise((resolve) => target.close(resolve));
      }
    });

    async function post(text, options = {}) {
      const res = await request(proxy.url + '/x', { method: 'POST', body: text, dispatcher: agent, ...options });
      return { status: res.statusCode, text: await res.body.text() };
    }

    async function errorCodeOf(promise) {
      try {
        await promise;
      } catch (err) {
        return err.code;
      }
      return 'no error';
    }

    it('passes requests through', async function () {
      const res = await post('hello');
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.text, 'echo:hello');
      assert.ok(proxy.acceptedConnections() >= 1);
    });

    it('delays each chunk and still answers', async function () {
      await proxy.setMode('delay', { delayMs: 50 });
      const res = await post('slow');
      assert.strictEqual(res.text, 'echo:slow');
    });

    it('blackhole accepts but never answers', async function () {
      await proxy.setMode('blackhole');
      const code = await errorCodeOf(post('lost', { headersTimeout: 300 }));
      assert.strictEqual(code, 'UND_ERR_HEADERS_TIMEOUT');
    });

    it('reset makes the client see ECONNRESET', async function () {
      await proxy.setMode('reset');
      const code = await errorCodeOf(post('x'));
      assert.ok(['ECONNRESET', 'UND_ERR_SOCKET'].includes(code), `got ${code}`);
    });

    it('close makes the client see the socket end without an answer', async function () {
      await proxy.setMode('close');
      const code = await errorCodeOf(post('x'));
      assert.ok(['UND_ERR_SOCKET', 'ECONNRESET'].includes(code), `got ${code}`);
    });

    it('refuse gives ECONNREFUSED, and the same port works again after', async function () {
      await proxy.setMode('refuse');
      const code = await errorCodeOf(post('x'));
      assert.strictEqual(code, 'ECONNREFUSED');
      await proxy.setMode('pass');
      const res = await post('back');
      assert.strictEqual(res.text, 'echo:back');
    });

    it('a mode change cuts kept-alive connections', async function () {
      await post('open a socket');
      await waitFor(() => proxy.connections() === 1, { timeoutMs: 2000, message: 'one open connection' });
      await proxy.setMode('reset');
      await waitFor(() => proxy.connections() === 0, { timeoutMs: 2000, message: 'connections destroyed' });
      const code = await errorCodeOf(post('x'));
      assert.notStrictEqual(code, 'no error');
    });

    it('rejects an unknown mode', async function () {
      await assert.rejects(proxy.setMode('sideways'), /mode must be one of/);
    });
  });

  describe('canned server', function () {
    let server;
    afterEach(async function () {
      if (server) await server.stop();
      server = undefined;
    });

    it('answers from the responder and records requests, gunzipping bodies', async function () {
      server = await startCannedServer((req, index) =>
        index === 0 ? { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' } : { status: 204 },
      );
      const first = await request(server.url + '/api/v2/write?bucket=b', { method: 'POST', body: 'm f=1' });
      assert.strictEqual(first.statusCode, 429);
      assert.strictEqual(first.headers['retry-after'], '3');
      assert.strictEqual(await first.body.text(), 'slow down');
      const second = await request(server.url + '/write', {
        method: 'POST',
        body: zlib.gzipSync('m f=2'),
        headers: { 'content-encoding': 'gzip' },
      });
      assert.strictEqual(second.statusCode, 204);
      await second.body.text();
      assert.strictEqual(server.requests.length, 2);
      assert.deepStrictEqual(
        server.requests.map((r) => [r.method, r.url, r.body]),
        [
          ['POST', '/api/v2/write?bucket=b', 'm f=1'],
          ['POST', '/write', 'm f=2'],
        ],
      );
    });

    it('sends objects as JSON and answers 500 when the responder throws', async function () {
      let calls = 0;
      server = await startCannedServer(async () => {
        calls++;
        if (calls === 2) throw new Error('scripted failure');
        return { status: 413, body: { error: 'Request Entity Too Large' } };
      });
      const a = await request(server.url + '/', { method: 'POST', body: 'x' });
      assert.strictEqual(a.statusCode, 413);
      assert.deepStrictEqual(await a.body.json(), { error: 'Request Entity Too Large' });
      const b = await request(server.url + '/', { method: 'POST', body: 'x' });
      assert.strictEqual(b.statusCode, 500);
      assert.match(await b.body.text(), /scripted failure/);
    });
  });

  describe('Node-RED launcher', function () {
    this.timeout(30000);
    let nodeRed;
    const adminPassword = 'launcher-admin-pass';
    const flows = [
      { id: 'tab1', type: 'tab', label: 'harness' },
      { id: 'req1', type: 'http request', z: 'tab1', name: 'with credentials', method: 'GET', ret: 'txt', url: 'http://127.0.0.1:1/', authType: 'basic', wires: [[]] },
    ];

    before(async function () {
      const bcrypt = require('bcryptjs');
      nodeRed = await startNodeRed({
        flows,
        credentials: { req1: { user: 'cred-user', password: 'cred-pass' } },
        settings: { adminAuth: { type: 'credentials', users: [{ username: 'admin', password: bcrypt.hashSync(adminPassword, 4), permissions: '*' }] } },
        adminLogin: { username: 'admin', password: adminPassword },
        // This self-check is about the launcher; whether the package's nodes load is the e2e tests' business.
        requirePackage: false,
      });
    });
    after(async function () {
      if (nodeRed) await nodeRed.stop();
    });

    it('starts with the flows and decrypts the credentials it was given', async function () {
      const ids = (await nodeRed.getFlows()).map((n) => n.id);
      assert.deepStrictEqual(ids, ['tab1', 'req1']);
      const res = await nodeRed.request('GET', '/credentials/http-request/req1');
      assert.strictEqual(res.status, 200, res.text);
      assert.deepStrictEqual(JSON.parse(res.text), { user: 'cred-user', has_password: true });
      const credFile = fs.readFileSync(path.join(nodeRed.userDir, 'flows_cred.json'), 'utf8');
      assert.ok(!credFile.includes('cred-pass'), 'credentials file must be encrypted');
    });

    it('finds this package through the userDir symlink', async function () {
      const res = await nodeRed.request('GET', '/nodes', { headers: { accept: 'application/json' } });
      const modules = JSON.parse(res.text).map((set) => set.module);
      assert.ok(modules.includes(PACKAGE_NAME), modules.join(', '));
      assert.match(nodeRed.logs(), new RegExp(`Module: ${PACKAGE_NAME} `));
    });

    it('merges settings: adminAuth is on, and the launcher logs in for its own calls', async function () {
      const anonymous = await request(nodeRed.url + '/flows');
      await anonymous.body.text();
      assert.strictEqual(anonymous.statusCode, 401);
    });

    it('deploys, survives SIGKILL and restarts on the same URL with the deployed flows', async function () {
      await nodeRed.deploy([{ id: 'tab2', type: 'tab', label: 'deployed' }]);
      const { url, pid } = nodeRed;
      await nodeRed.kill('SIGKILL');
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
      await nodeRed.restart();
      assert.strictEqual(nodeRed.url, url);
      assert.notStrictEqual(nodeRed.pid, pid);
      assert.deepStrictEqual((await nodeRed.getFlows()).map((n) => n.id), ['tab2']);
    });

    it('removes the user folder it created on stop', async function () {
      const dir = nodeRed.userDir;
      await nodeRed.stop();
      assert.strictEqual(fs.existsSync(dir), false);
    });
  });

  describe('missing server binaries', function () {
    const saved = {};
    before(function () {
      for (const key of ['INFLUXD_BIN', 'VICTORIA_METRICS_BIN']) {
        saved[key] = process.env[key];
        process.env[key] = '/nonexistent/bin/' + key.toLowerCase();
      }
    });
    after(function () {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('reject with the Debian package to install (tests fail, never skip)', async function () {
      await assert.rejects(startInfluxDB(), /install the Debian package "influxdb"/);
      await assert.rejects(startVictoriaMetrics(), /install the Debian package "victoria-metrics"/);
    });
  });

  describe('VictoriaMetrics helpers', function () {
    this.timeout(30000);
    let vm;
    before(async function () {
      vm = await startVictoriaMetrics({ cpus: '0' });
    });
    after(async function () {
      if (vm) await vm.stop();
    });

    it('keeps the server on the CPUs it was given (for benchmarks)', function () {
      const status = fs.readFileSync(`/proc/${vm.pid}/status`, 'utf8');
      assert.match(status, /^Name:\s+victoria-metric/m, 'the pid is the server itself, not a taskset wrapper');
      assert.match(status, /^Cpus_allowed_list:\s+0$/m);
    });

    it('counts rows inserted and found invalid, and exports distinct timestamps once they show', async function () {
      const body = ['harness_check,src=a v=1i 1700000000000000000', 'not line protocol', 'harness_check,src=a v=2i 1700000000001000000', 'harness_check,src=b v=3i 1700000000001000000'].join('\n');
      const res = await request(`${vm.url}/api/v2/write?org=o&bucket=b`, { method: 'POST', body });
      await res.body.dump();
      assert.strictEqual(res.statusCode, 204, 'VictoriaMetrics answers 204 even with a line it cannot parse');
      assert.deepStrictEqual(await vm.influxIngestCounters(), { inserted: 3, invalid: 1 });
      const { timestamps, samples } = await vm.exportDistinct('harness_check_v', { atLeast: 2 });
      assert.deepStrictEqual([...timestamps].sort(), [1700000000000, 1700000000001]);
      assert.strictEqual(samples, 3, 'two series share a timestamp: counted once in timestamps, twice in samples');
    });
  });

  describe('waitFor', function () {
    it('returns the first truthy value, and times out with the reason and the last error', async function () {
      let calls = 0;
      assert.strictEqual(await waitFor(() => ++calls >= 3 && calls, { timeoutMs: 2000, intervalMs: 5 }), 3);
      await assert.rejects(
        waitFor(() => {
          throw new Error('still down');
        }, { timeoutMs: 50, intervalMs: 5, message: 'server up' }),
        /server up within 50 ms \(last error: still down\)/,
      );
    });
  });

  describe('free ports', function () {
    it('gives a port that can be listened on', async function () {
      const port = await freePort();
      const server = http.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      assert.strictEqual(server.address().port, port);
      await new Promise((resolve) => server.close(resolve));
    });
  });
});

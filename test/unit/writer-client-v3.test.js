'use strict';
// The InfluxDB 3 write API (issue #16, point 3): `POST /api/v3/write_lp` with the database, the long precision
// names, accept_partial and no_sync, the token as Bearer; Test connection pings a 3.x server first and names the
// cause of each failure. The answers are InfluxDB 3's as ../shared/notes/remote-targets.md documents them.
const assert = require('assert');
const { RemoteClient } = require('../../nodes/lib/writer');
const { buildWriteRequest, validateRemote, remoteSettingsFromConfig } = require('../../nodes/lib/remote');
const { startCannedServer } = require('../harness/canned-server');

const TOKEN = 'apiv3_secret-token-0042';

function v3Settings(url, extra = {}) {
  return { remoteURL: url, remoteOrgID: '', writeAPI: 'v3', allowInsecureTLS: false, noSync: false, ...extra };
}

describe('InfluxDB 3 write API (v3)', function () {
  const cleanups = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()();
  });
  async function canned(responder) {
    const server = await startCannedServer(responder);
    cleanups.push(() => server.stop());
    return server;
  }
  function client(url, extra, credentials = { remoteAPIToken: TOKEN }) {
    const c = new RemoteClient(v3Settings(url, extra), credentials);
    cleanups.push(() => c.close());
    return c;
  }

  it('builds /api/v3/write_lp with db, the long precision name, accept_partial=true, no_sync and a Bearer token', function () {
    for (const [short, long] of [['ns', 'nanosecond'], ['us', 'microsecond'], ['ms', 'millisecond'], ['s', 'second']]) {
      const request = buildWriteRequest(v3Settings('https://core.example:8181/prefix/'), { remoteAPIToken: TOKEN }, 'plant db', short);
      const url = new URL(request.url);
      assert.strictEqual(url.pathname, '/prefix/api/v3/write_lp');
      assert.strictEqual(url.searchParams.get('db'), 'plant db');
      assert.strictEqual(url.searchParams.get('precision'), long);
      assert.strictEqual(url.searchParams.get('accept_partial'), 'true');
      assert.strictEqual(url.searchParams.get('no_sync'), 'false');
      assert.strictEqual(request.headers.authorization, `Bearer ${TOKEN}`);
    }
    const noSync = new URL(buildWriteRequest(v3Settings('http://h:8181', { noSync: true }), {}, 'db', 'ns').url);
    assert.strictEqual(noSync.searchParams.get('no_sync'), 'true');
    assert.strictEqual(buildWriteRequest(v3Settings('http://h:8181'), {}, 'db', 'ns').headers.authorization, undefined);
  });

  it('takes noSync from the node (booleans or strings from older flows), off by default', function () {
    assert.strictEqual(remoteSettingsFromConfig({ remoteURL: 'http://h', writeAPI: 'v3' }).noSync, false);
    assert.strictEqual(remoteSettingsFromConfig({ remoteURL: 'http://h', writeAPI: 'v3', noSync: true }).noSync, true);
    assert.strictEqual(remoteSettingsFromConfig({ remoteURL: 'http://h', writeAPI: 'v3', noSync: 'true' }).noSync, true);
  });

  it('needs neither an org nor a token (a 3.x server may run without authentication), nor a v1 user pair', function () {
    assert.deepStrictEqual(validateRemote(v3Settings('http://h:8181'), {}), []);
    assert.deepStrictEqual(validateRemote(v3Settings('http://h:8181'), { username: 'only-user' }), []);
    assert.match(validateRemote({ ...v3Settings('http://h'), writeAPI: 'v4' }, {}).join(), /"v2", "v1" or "v3"/);
  });

  it('writes gzipped line protocol that the remote receives as sent', async function () {
    const server = await canned(() => ({ status: 204 }));
    const result = await client(server.url).write('sensors', 'm,t=a v=1 1\nm,t=b v=2 2', { gzip: true, timeoutMs: 5000 });
    assert.strictEqual(result.statusCode, 204);
    const [req] = server.requests;
    assert.strictEqual(req.url.split('?')[0], '/api/v3/write_lp');
    assert.strictEqual(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.strictEqual(req.headers['content-encoding'], 'gzip');
    assert.strictEqual(req.body, 'm,t=a v=1 1\nm,t=b v=2 2');
  });

  describe('Test connection (validate)', function () {
    function influxdb3(writeAnswer, pingAnswer = { status: 200, headers: { 'x-influxdb-version': '3.2.1', 'x-influxdb-build': 'Core' }, body: { version: '3.2.1' } }) {
      return canned((req) => (req.url === '/ping' ? pingAnswer : writeAnswer(req)));
    }

    it('OK when /ping says 3.x and the empty write to the database answers 204; pings with the token', async function () {
      const server = await influxdb3(() => ({ status: 204 }));
      const result = await client(server.url).validate('sensors');
      assert.deepStrictEqual([result.ok, result.statusCode], [true, 204]);
      assert.match(result.message, /^OK: the remote accepts writes to database "sensors"/);
      assert.deepStrictEqual(server.requests.map((r) => r.method + ' ' + r.url.split('?')[0]), ['GET /ping', 'POST /api/v3/write_lp']);
      assert.strictEqual(server.requests[0].headers.authorization, `Bearer ${TOKEN}`);
    });

    it('names a refused token on /ping, and says when none is set', async function () {
      const server = await influxdb3(() => ({ status: 204 }), { status: 401, body: { error: 'the request was not authorized' } });
      const withToken = await client(server.url).validate('sensors');
      assert.strictEqual(withToken.ok, false);
      assert.match(withToken.message, /authentication failed \(HTTP 401 on \/ping\): check the token$/);
      assert.ok(!withToken.message.includes(TOKEN));
      const without = await client(server.url, {}, {}).validate('sensors');
      assert.match(without.message, /check the token \(none is set\)/);
    });

    it('says when the server is InfluxDB 1.x or 2.x, naming the write API to choose', async function () {
      for (const [version, api] of [['1.8.10', 'v1'], ['v2.7.11', 'v2']]) {
        const server = await influxdb3(() => ({ status: 204 }), { status: 204, headers: { 'x-influxdb-version': version } });
        const result = await client(server.url).validate('sensors');
        assert.strictEqual(result.ok, false);
        assert.ok(result.message.includes(`InfluxDB ${version}, not 3.x: choose the ${api} write API`), result.message);
        assert.strictEqual(server.requests.length, 1, 'no write after a wrong server');
      }
    });

    it('says when there is no /ping (not InfluxDB 3, or a missing path prefix)', async function () {
      const server = await canned(() => ({ status: 404, body: 'not found' }));
      const result = await client(server.url).validate('sensors');
      assert.strictEqual(result.ok, false);
      assert.match(result.message, /no \/ping \(HTTP 404\).*InfluxDB 3 server.*proxy path/);
    });

    it('names a missing database (404) and a token without write permission (403) from the empty write', async function () {
      const server = await influxdb3((req) => {
        const db = new URL(req.url, 'http://x').searchParams.get('db');
        if (db === 'nodb') return { status: 404, body: { error: 'database not found: nodb' } };
        return { status: 403, body: { error: 'access denied' } };
      });
      const missing = await client(server.url).validate('nodb');
      assert.strictEqual(missing.ok, false);
      assert.match(missing.message, /database missing \(HTTP 404\): "nodb" does not exist on the remote: database not found/);
      const denied = await client(server.url).validate('locked');
      assert.match(denied.message, /permission denied \(HTTP 403\): the credentials may not write to database "locked": access denied/);
    });

    it('says when the remote is unreachable', async function () {
      const server = await canned(() => ({ status: 204 }));
      const url = server.url;
      await server.stop();
      cleanups.pop();
      const result = await client(url).validate('sensors');
      assert.deepStrictEqual([result.ok, result.statusCode], [false, 0]);
      assert.match(result.message, /is unreachable/);
    });
  });
});

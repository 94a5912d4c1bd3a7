'use strict';
// Issue #8, admin routes under adminAuth: a real Node-RED with two users, "reader" (permissions 'read') and
// "admin" ('*'). Without a token every route answers 401; the reader may use the GET routes
// (influxdb-replication.read) but gets 403 on the POST routes (influxdb-replication.write); the admin may use all.
const assert = require('assert');
const path = require('path');
const fs = require('fs');
const os = require('os');
const { request } = require('undici');
const { startNodeRed, PROJECT_ROOT } = require('../harness/node-red');
const { waitFor } = require('../harness/servers');
const { startScriptedRemote } = require('./lib/scripted-remote');
const { gatewayFlow, fastWriterSettings } = require('./lib/gateway-flow');

// bcryptjs ships with Node-RED (its adminAuth hashes); no dependency of our own.
const bcrypt = require(require.resolve('bcryptjs', { paths: [path.join(PROJECT_ROOT, 'node_modules', 'node-red')] }));

const USERS = { reader: 'reader-pass-31', admin: 'admin-pass-92' };

const ROUTES = [
  { method: 'GET', path: '/influxdb-replication/replications', needs: 'read' },
  { method: 'GET', path: '/influxdb-replication/remotes', needs: 'read' },
  { method: 'GET', path: '/influxdb-replication/api/v2/replications', needs: 'read' },
  { method: 'GET', path: '/influxdb-replication/api/v2/remotes', needs: 'read' },
  { method: 'POST', path: '/influxdb-replication/replications/s1/pause', needs: 'write' },
  { method: 'POST', path: '/influxdb-replication/replications/s1/resume', needs: 'write' },
  { method: 'POST', path: '/influxdb-replication/replications/s1/flush', needs: 'write' },
  { method: 'POST', path: '/influxdb-replication/remotes/validate', needs: 'write', body: { remoteURL: 'http://127.0.0.1:9', remoteOrgID: 'o', writeAPI: 'v2', remoteAPIToken: 'x-token' } },
];

describe('reliability: admin routes refuse users without the permission (adminAuth)', function () {
  this.timeout(60000);
  let red;
  let remote;
  let queueRoot;
  const tokens = {};

  async function call(route, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await request(red.url + route.path, { method: route.method, headers, body: route.method === 'POST' ? JSON.stringify(route.body || {}) : undefined });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }

  async function login(username) {
    const res = await request(`${red.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: username === 'admin' ? '*' : 'read', username, password: USERS[username] }),
    });
    const body = await res.body.json();
    assert.strictEqual(res.statusCode, 200, `login ${username}: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-auth-queue-'));
    remote = await startScriptedRemote();
    const { flows, credentials } = gatewayFlow({ remotes: [{ id: 'r', url: remote.url, token: 'auth-token' }], streams: [{ id: 's1', remote: 'r' }] });
    red = await startNodeRed({
      flows,
      credentials,
      adminLogin: { username: 'admin', password: USERS.admin },
      settings: {
        ...fastWriterSettings(queueRoot),
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password: bcrypt.hashSync(USERS.reader, 8), permissions: 'read' },
            { username: 'admin', password: bcrypt.hashSync(USERS.admin, 8), permissions: '*' },
          ],
        },
      },
    });
    tokens.reader = await login('reader');
    tokens.admin = await login('admin');
    // The stream is deployed, so a 404 cannot hide a permission answer.
    await waitFor(async () => {
      const res = await call(ROUTES[0], tokens.admin);
      return res.status === 200 && JSON.parse(res.text).length === 1;
    }, { timeoutMs: 20000, message: 'the stream to be listed' });
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}: 401 without a token, ${route.needs === 'read' ? '200' : 'refused (401/403)'} for a read-only user, 200 for an admin`, async () => {
      const anonymous = await call(route);
      assert.strictEqual(anonymous.status, 401, anonymous.text);
      const reader = await call(route, tokens.reader);
      if (route.needs === 'read') {
        assert.strictEqual(reader.status, 200, reader.text);
      } else {
        // Node-RED answers a missing permission with 401 (403 is accepted too); its audit log names the refusal, so
        // this is the permission check and not a bad token (the same token was just good for the GET routes).
        assert.ok(reader.status === 401 || reader.status === 403, `${reader.status} ${reader.text}`);
        await red.waitForLog(new RegExp(`"event":"permission.fail","permissions":"influxdb-replication.write"[^\n]*"username":"reader"[^\n]*"path":"${route.path.replace(/\//g, '\\/')}"|"event":"permission.fail"[^\n]*"path":"${route.path.replace(/\//g, '\\/')}"`));
      }
      if (route.path.endsWith('/pause')) {
        const [row] = JSON.parse((await call(ROUTES[0], tokens.reader)).text);
        assert.notStrictEqual(row.state, 'paused', 'the refused pause did nothing');
      }
      const admin = await call(route, tokens.admin);
      assert.strictEqual(admin.status, 200, admin.text);
    });
  }
});

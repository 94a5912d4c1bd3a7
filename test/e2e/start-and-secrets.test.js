'use strict';
// Issue #2's end-to-end checks with a real Node-RED process: `npm start`'s launcher brings up Node-RED on
// 127.0.0.1 with our nodes in the palette, and a deployed remote's token never shows up in the flow file, the
// credentials file, GET /flows, the admin routes or the log (at trace level) while its stream hits errors.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { request } = require('undici');
const { startNodeRed } = require('../harness/node-red');
const { startCannedServer } = require('../harness/canned-server');
const { freePort, waitFor } = require('../harness/servers');

const ROOT = path.resolve(__dirname, '..', '..');
const TOKEN = 'e2e-secret-token-3f9a1c77';
const PASSWORD = 'e2e-secret-password-b81d';

describe('npm start', function () {
  this.timeout(60000);
  let child;
  let userDir;
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('starts Node-RED on 127.0.0.1 with influxdb-remote and influxdb-replication in the palette', async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), NODE_RED_USER_DIR: userDir, INFLUXDB_REMOTE_URL: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const nodes = await waitFor(
      async () => {
        try {
          const res = await request(`http://127.0.0.1:${port}/nodes`, { headers: { accept: 'application/json' } });
          return res.statusCode === 200 ? await res.body.json() : (await res.body.dump(), null);
        } catch {
          return null;
        }
      },
      { timeoutMs: 40000, message: `Node-RED from scripts/start.js; output:\n${output}` },
    );
    const types = nodes.flatMap((set) => set.types || []);
    for (const type of ['influxdb-remote', 'influxdb-replication']) assert.ok(types.includes(type), `${type} not in ${types.join(', ')}`);
    assert.match(output, /127\.0\.0\.1/);
    // Listening on loopback only: Node-RED prints the address it serves.
    assert.match(output, new RegExp(`http://127\\.0\\.0\\.1:${port}/`));
  });
});

describe('secrets after a deploy', function () {
  this.timeout(60000);
  let red;
  let remote;
  let queueRoot;
  before(async () => {
    remote = await startCannedServer((req) =>
      req.url.startsWith('/write') ? { status: 403, body: { error: 'forbidden' } } : { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } },
    );
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-queue-'));
    red = await startNodeRed({ settings: { influxdbReplication: { queueDir: queueRoot, writer: { initialBackoffMs: 50, maxBackoffMs: 100 } } } });
  });
  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('keeps the token and password out of the flow file, GET /flows, the admin routes and the log', async () => {
    const flows = [
      { id: 't1', type: 'tab', label: 'secrets' },
      { id: 'r2', type: 'influxdb-remote', name: 'v2', remoteURL: remote.url, remoteOrgID: 'o', writeAPI: 'v2', credentials: { remoteAPIToken: TOKEN } },
      { id: 'r1', type: 'influxdb-remote', name: 'v1', remoteURL: remote.url, writeAPI: 'v1', credentials: { username: 'writer', password: PASSWORD } },
      { id: 's2', z: 't1', type: 'influxdb-replication', name: 's2', remote: 'r2', remoteBucketName: 'b', wires: [['d'], ['d']] },
      { id: 's1', z: 't1', type: 'influxdb-replication', name: 's1', remote: 'r1', remoteBucketName: 'db/rp', wires: [['d'], ['d']] },
      { id: 'd', z: 't1', type: 'debug', active: true, tosidebar: true, console: true, complete: 'true' },
      { id: 'i', z: 't1', type: 'inject', payload: 'cpu v=1', payloadType: 'str', repeat: '', once: true, onceDelay: 0.1, wires: [['s1', 's2']] },
    ];
    await red.deploy(flows);
    // Both streams have tried and failed (401/403): the error paths ran.
    await waitFor(async () => remote.requests.length >= 4, { timeoutMs: 15000, message: `failed write attempts; log:\n${red.logs().slice(-3000)}` });
    const rows = await red.request('GET', '/influxdb-replication/replications');
    assert.strictEqual(rows.status, 200);
    const parsed = JSON.parse(rows.text);
    assert.strictEqual(parsed.length, 2);
    assert.ok(parsed.every((r) => r.state === 'blocked'), rows.text);
    const remotes = await red.request('GET', '/influxdb-replication/remotes');
    const got = await red.getFlows();

    const places = {
      'flows.json': fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8'),
      'flows_cred.json': fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8'),
      'GET /flows': JSON.stringify(got),
      'GET /influxdb-replication/replications': rows.text,
      'GET /influxdb-replication/remotes': remotes.text,
      log: red.logs(),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const secret of [TOKEN, PASSWORD, Buffer.from(`writer:${PASSWORD}`).toString('base64')]) {
        assert.ok(!text.includes(secret), `${place} contains a secret`);
      }
    }
    // The remote did receive them: the check above is not vacuous.
    assert.ok(remote.requests.some((r) => r.headers.authorization === `Token ${TOKEN}`));
    assert.ok(remote.requests.some((r) => r.headers.authorization === `Basic ${Buffer.from(`writer:${PASSWORD}`).toString('base64')}`));
    // And the log does show the errors (at trace level everything is logged).
    assert.match(places.log, /influxdb-replication|401|unauthorized/i);
  });
});

'use strict';
// Issue #2's end-to-end checks with a real Node-RED process: `npm start`'s launcher brings up Node-RED on
// 127.0.0.1 with our nodes in the palette, and a deployed remote's token never shows up in the flow file, the
// credentials file, GET /flows, the admin routes or the log (at trace level) while its stream hits errors.
// Issue #20: with `influxd` installed and nothing on the remote's port, `npm start` runs a local InfluxDB that
// example 1 drains into, and stops it when it stops; without `influxd` it says in one line how to get it.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { request } = require('undici');
const { startNodeRed } = require('../harness/node-red');
const { startCannedServer } = require('../harness/canned-server');
const { freePort, waitFor, findBinary } = require('../harness/servers');

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
      // As on a machine without InfluxDB: no influxd where the launcher looks.
      env: { ...process.env, PORT: String(port), NODE_RED_USER_DIR: userDir, INFLUXDB_REMOTE_URL: `http://127.0.0.1:${await freePort()}`, INFLUXD_BIN: path.join(userDir, 'no-influxd') },
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
    // Without influxd: one line that says how to get it, and no server started.
    assert.strictEqual(output.split('\n').filter((l) => l.includes('sudo apt-get install influxdb')).length, 1, output);
    assert.doesNotMatch(output, /local InfluxDB/);
  });
});

/** Pids of the processes whose command line mentions `text` (from /proc). */
function processesMentioning(text) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code !== 'ESRCH';
  }
}

describe('npm start with influxd installed', function () {
  this.timeout(90000);
  let child;
  let userDir;
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (userDir) {
      for (const pid of processesMentioning(userDir)) process.kill(pid, 'SIGKILL');
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it("starts a local InfluxDB that example 1's lines reach, and stops it when it stops", async () => {
    // A test that needs a server fails when the server is missing: the hint names the Debian package.
    if (!findBinary('influxd', 'INFLUXD_BIN')) throw new Error('influxd not found: install the Debian package "influxdb" (sudo apt-get install -y influxdb)');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-influxd-'));
    const [port, influxPort] = [await freePort(), await freePort()];
    const remote = `http://127.0.0.1:${influxPort}`;
    let output = '';
    child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), NODE_RED_USER_DIR: userDir, INFLUXDB_REMOTE_URL: remote },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const started = await waitFor(() => /local InfluxDB 1\.x \(pid (\d+)\) on (\S+), database sensors/.exec(output), {
      timeoutMs: 40000,
      message: `the local InfluxDB from scripts/start.js; output:\n${output}`,
    });
    const influxdPid = Number(started[1]);
    assert.strictEqual(started[2], remote);
    assert.ok(processesMentioning(userDir).includes(influxdPid), 'influxd runs with its config under the user dir');
    assert.ok(fs.existsSync(path.join(userDir, 'influxdb', 'data')), 'its data is under the user dir');

    // Example 1 injects a reading 1 s after the start, then every 5 s: the first ones arrive in the local InfluxDB.
    const count = async () => {
      const res = await request(`${remote}/query?${new URLSearchParams({ db: 'sensors', q: 'SELECT count(temperature) FROM environment' })}`);
      const body = await res.body.json();
      const series = body.results && body.results[0].series;
      return series ? series[0].values[0][1] : 0;
    };
    await waitFor(async () => (await count()) >= 1, { timeoutMs: 30000, intervalMs: 250, message: `example 1's lines in the local InfluxDB; output:\n${output}` });
    // What the Replication sidebar shows: the stream's latest answer from the remote.
    const row = await waitFor(
      async () => {
        const res = await request(`http://127.0.0.1:${port}/influxdb-replication/replications`);
        const rows = await res.body.json();
        return rows.find((r) => r.latestResponseCode === 204);
      },
      { timeoutMs: 15000, message: 'a stream whose latest answer is 204' },
    );
    assert.strictEqual(row.remoteBucketName, 'sensors');

    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    child.kill('SIGTERM');
    await exited;
    assert.ok(!isRunning(influxdPid), `influxd (pid ${influxdPid}) still runs after npm start stopped`);
    assert.deepStrictEqual(processesMentioning(userDir), [], 'a process of npm start is left running');
  });

  it('stops the local InfluxDB when Node-RED itself exits', async () => {
    assert.ok(userDir, 'runs after the test above, in its user dir (flows and InfluxDB data kept)');
    const [port, influxPort] = [await freePort(), await freePort()];
    let output = '';
    child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), NODE_RED_USER_DIR: userDir, INFLUXDB_REMOTE_URL: `http://127.0.0.1:${influxPort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const influxdPid = Number((await waitFor(() => /local InfluxDB 1\.x \(pid (\d+)\)/.exec(output), { timeoutMs: 40000, message: `the local InfluxDB; output:\n${output}` }))[1]);
    // Node-RED runs with `-u <userDir>`: the process mentioning the user dir that is not influxd.
    const redPid = await waitFor(() => processesMentioning(userDir).find((pid) => pid !== influxdPid), { timeoutMs: 20000, message: 'the Node-RED process' });
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    process.kill(redPid, 'SIGKILL');
    await exited;
    assert.ok(!isRunning(influxdPid), `influxd (pid ${influxdPid}) still runs after Node-RED exited`);
    assert.deepStrictEqual(processesMentioning(userDir), [], 'a process of npm start is left running');
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

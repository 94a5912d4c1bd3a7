'use strict';
// Real InfluxDB 1.6.7 and VictoriaMetrics processes for tests: each on free loopback ports, in its own temp
// folder, with helpers to make fixtures and count what arrived. Facts behind the choices below are in
// /work/shared/notes/test-environment.md.
//
// A missing binary makes start*() reject (never skip): a test that silently skips on a CI machine without
// the server would hide that nothing was tested.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { influxdbConfig } = require('../../scripts/influxdb-config');
const net = require('net');
const { spawn } = require('child_process');
const { Agent, request } = require('undici');
const { waitFor, sleep } = require('./wait');

const START_TIMEOUT_MS = 20000;
const STOP_GRACE_MS = 5000;
// Two servers racing for the same "free" port is possible (we close the probe before the server binds);
// a start that dies with "address in use" is retried with new ports.
const START_ATTEMPTS = 3;

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Absolute path of an executable, or null. Looks in PATH and in the sbin folders Debian may use. */
function findBinary(name, envOverride) {
  if (envOverride && process.env[envOverride]) {
    const override = process.env[envOverride];
    try {
      fs.accessSync(override, fs.constants.X_OK);
      return override;
    } catch {
      return null;
    }
  }
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function requireBinary(name, debianPackage, envOverride) {
  const binary = findBinary(name, envOverride);
  if (!binary) {
    const where = envOverride && process.env[envOverride] ? `at ${envOverride}=${process.env[envOverride]}` : 'on PATH';
    throw new Error(
      `${name} not found ${where}: install the Debian package "${debianPackage}" ` +
        `(sudo apt-get update && sudo apt-get install -y ${debianPackage})` +
        (envOverride ? ` or set ${envOverride} to the binary` : ''),
    );
  }
  return binary;
}

// Safety net: servers a test forgot to stop (or could not, because it crashed) must not outlive the test
// run as orphans holding ports and temp folders. mocha --exit ends with process.exit, which runs this.
const liveChildren = new Map(); // child process -> temp folder
process.on('exit', () => {
  for (const [child, dir] of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Spawns a server with its stdout+stderr in `logPath`, and tracks its exit so stop() and the readiness
 * poll can notice a crash instead of waiting for a timeout. `cpus` (a taskset list such as "1" or "2-3")
 * keeps it on those CPUs, for benchmarks; taskset execs the server, so the pid is the server's.
 */
function spawnServer(binary, args, logPath, dir, { cpus } = {}) {
  const logFd = fs.openSync(logPath, 'a');
  const [command, commandArgs] = cpus ? ['taskset', ['-c', cpus, binary, ...args]] : [binary, args];
  const child = spawn(command, commandArgs, { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  return trackChild(child, { dir });
}

/**
 * Registers a child for the exit safety net (killed, and its `dir` removed, if still running when the test run
 * ends) and returns its state: `exited`, `exitCode`, `exitSignal`, `spawnError`, and `exitPromise`.
 */
function trackChild(child, { dir, onError } = {}) {
  liveChildren.set(child, dir);
  const state = { child, exited: false, exitCode: null, exitSignal: null, spawnError: null };
  state.exitPromise = new Promise((resolve) => {
    child.on('error', (err) => {
      liveChildren.delete(child);
      state.spawnError = err;
      state.exited = true;
      if (onError) onError(err);
      resolve();
    });
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      state.exited = true;
      state.exitCode = code;
      state.exitSignal = signal;
      resolve();
    });
  });
  return state;
}

/** Sends `signal` to a spawned child and waits for it to exit, killing it if it takes longer than `graceMs`. */
async function stopProcess(state, { signal = 'SIGTERM', graceMs = STOP_GRACE_MS } = {}) {
  if (!state || state.exited) return;
  state.child.kill(signal);
  const timer = setTimeout(() => {
    if (!state.exited) state.child.kill('SIGKILL');
  }, graceMs);
  await state.exitPromise;
  clearTimeout(timer);
}

/**
 * The stop() of a server started in its own temp folder: ends the process (if `getState()` has one yet) and removes
 * the folder, once; also what a launcher calls when the start fails half-way.
 */
function stopAndRemove(getState, dir) {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess(getState());
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

function readLog(logPath) {
  try {
    return fs.readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
}

function tail(text, lines = 30) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Waits for `isReady()`; fails fast (with the log's tail) if the process exits first. */
async function waitUntilReady(state, isReady, logPath, what) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (state.exited) {
      const how = state.spawnError ? state.spawnError.message : `exit code ${state.exitCode}, signal ${state.exitSignal}`;
      const err = new Error(`${what} exited during start (${how}); log tail:\n${tail(readLog(logPath))}`);
      err.addressInUse = /address already in use/i.test(readLog(logPath));
      throw err;
    }
    try {
      if (await isReady()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} not ready after ${START_TIMEOUT_MS} ms; log tail:\n${tail(readLog(logPath))}`);
    }
    await sleep(30);
  }
}

/** A small HTTP client bound to one server (its own pool, closed on stop so no socket outlives the test). */
function httpClient(baseURL, authHeader) {
  const agent = new Agent({ keepAliveTimeout: 1000, connect: { timeout: 5000 } });
  async function call(method, pathAndQuery, { body, headers = {}, auth = true } = {}) {
    const allHeaders = { ...headers };
    if (auth && authHeader) allHeaders.authorization = authHeader;
    const res = await request(baseURL + pathAndQuery, {
      method,
      body,
      headers: allHeaders,
      dispatcher: agent,
      headersTimeout: 10000,
      bodyTimeout: 10000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }
  return { call, close: () => agent.close().catch(() => {}) };
}

function basicAuth(user, password) {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

/** InfluxQL identifier in double quotes. */
function quoteIdent(name) {
  return '"' + String(name).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** InfluxQL string literal in single quotes. */
function quoteString(value) {
  return "'" + String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function makeTempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The shape of every server start here: a temp folder with the server's log in it; `setUp(server)` spawns
 * the process (recording it as server.state, and its HTTP client as server.client), waits until it is ready
 * and returns the server's own helpers. The result adds dir, pid, logPath, log() and stop(). A failed start
 * stops what it started and removes the folder; one that lost a port race (err.addressInUse) is tried again
 * with new ports.
 */
async function launchServer(prefix, logName, setUp) {
  let lastError;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = makeTempDir(prefix);
    const server = { dir, logPath: path.join(dir, logName), state: null, client: null };
    const release = async () => {
      if (server.client) await server.client.close();
      if (server.state) await stopProcess(server.state);
      removeDir(dir);
    };
    try {
      const helpers = await setUp(server);
      let stopped = false;
      return {
        ...helpers,
        dir,
        pid: server.state.child.pid,
        logPath: server.logPath,
        log: () => readLog(server.logPath),
        async stop() {
          if (stopped) return;
          stopped = true;
          await release();
        },
      };
    } catch (err) {
      await release();
      lastError = err;
      if (!err.addressInUse) throw err;
    }
  }
  throw lastError;
}

/**
 * Starts InfluxDB 1.6.7 with everything in a temp folder. With `auth`, HTTP auth is on and an admin user
 * is created at start (the first admin needs no credentials).
 */
async function startInfluxDB({ auth = false, maxBodySize } = {}) {
  const binary = requireBinary('influxd', 'influxdb', 'INFLUXD_BIN');
  return launchServer('influxdb-test-', 'influxd.log', (server) => setUpInfluxDB(server, binary, { auth, maxBodySize }));
}

async function setUpInfluxDB(server, binary, { auth, maxBodySize }) {
  const { dir, logPath } = server;
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const configPath = path.join(dir, 'influxdb.conf');
  const config = influxdbConfig({ dir, httpPort, rpcPort, auth, httpLog: true, maxBodySize });
  fs.writeFileSync(configPath, config);

  const url = `http://127.0.0.1:${httpPort}`;
  const state = (server.state = spawnServer(binary, ['run', '-config', configPath], logPath, dir));
  const anonymous = httpClient(url);
  try {
    await waitUntilReady(state, async () => (await anonymous.call('GET', '/ping')).status === 204, logPath, 'influxd');
  } finally {
    await anonymous.close();
  }

  const adminUser = auth ? 'admin' : undefined;
  const adminPassword = auth ? `admin-${Math.random().toString(36).slice(2)}` : undefined;
  if (auth) {
    const bootstrap = httpClient(url);
    try {
      const q = `CREATE USER ${quoteIdent(adminUser)} WITH PASSWORD ${quoteString(adminPassword)} WITH ALL PRIVILEGES`;
      const res = await bootstrap.call('POST', '/query', {
        body: new URLSearchParams({ q }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      if (res.status !== 200) throw new Error(`creating the admin user failed: ${res.status} ${res.text}`);
    } finally {
      await bootstrap.close();
    }
  }
  const client = (server.client = httpClient(url, auth ? basicAuth(adminUser, adminPassword) : undefined));

  async function query(q, { db } = {}) {
    const params = { q };
    if (db) params.db = db;
    const res = await client.call('POST', '/query', {
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    let parsed;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new Error(`InfluxDB query ${JSON.stringify(q)} answered ${res.status} with non-JSON: ${res.text}`);
    }
    if (res.status !== 200) throw new Error(`InfluxDB query ${JSON.stringify(q)} answered ${res.status}: ${res.text}`);
    // Statement errors come back with 200 and an `error` per result.
    for (const result of parsed.results || []) {
      if (result.error) throw new Error(`InfluxDB query ${JSON.stringify(q)} failed: ${result.error}`);
    }
    return parsed;
  }

  async function createDatabase(db, { rp, duration = '1h' } = {}) {
    await query(`CREATE DATABASE ${quoteIdent(db)}`);
    if (rp) {
      await query(`CREATE RETENTION POLICY ${quoteIdent(rp)} ON ${quoteIdent(db)} DURATION ${duration} REPLICATION 1`);
    }
  }

  async function createUser(name, password, { grantWriteOn, admin } = {}) {
    const privileges = admin ? ' WITH ALL PRIVILEGES' : '';
    await query(`CREATE USER ${quoteIdent(name)} WITH PASSWORD ${quoteString(password)}${privileges}`);
    for (const db of [].concat(grantWriteOn || [])) {
      await query(`GRANT WRITE ON ${quoteIdent(db)} TO ${quoteIdent(name)}`);
    }
  }

  /**
   * Number of distinct points (same series + timestamp overwrite each other in InfluxDB). Without `field`,
   * the largest per-field count (a point has at least one field); with `field`, that field's count.
   */
  async function countPoints(db, rp, measurement, { field } = {}) {
    const from = rp
      ? `${quoteIdent(db)}.${quoteIdent(rp)}.${quoteIdent(measurement)}`
      : `${quoteIdent(db)}..${quoteIdent(measurement)}`;
    const what = field ? `count(${quoteIdent(field)})` : 'count(*)';
    const parsed = await query(`SELECT ${what} FROM ${from}`, { db });
    const series = (parsed.results && parsed.results[0] && parsed.results[0].series) || [];
    let max = 0;
    for (const s of series) {
      for (const row of s.values || []) {
        // column 0 is time; the rest are counts per field
        for (let i = 1; i < row.length; i++) {
          if (typeof row[i] === 'number' && row[i] > max) max = row[i];
        }
      }
    }
    return max;
  }

  return {
    url,
    port: httpPort,
    adminUser,
    adminPassword,
    query,
    createDatabase,
    createUser,
    countPoints,
  };
}

/**
 * Starts VictoriaMetrics with its data in a temp folder. `username`/`password` turn on its Basic auth
 * (the only kind it has); `cpus` (a taskset CPU list) keeps it on those CPUs. Its ingestion is asynchronous:
 * count with countSamples()/waitForSamples(), which force a flush first.
 */
async function startVictoriaMetrics({ username, password, cpus } = {}) {
  const binary = requireBinary('victoria-metrics', 'victoria-metrics', 'VICTORIA_METRICS_BIN');
  return launchServer('victoria-metrics-test-', 'victoria-metrics.log', (server) => setUpVictoriaMetrics(server, binary, { username, password, cpus }));
}

async function setUpVictoriaMetrics(server, binary, { username, password, cpus }) {
  const { dir, logPath } = server;
  const port = await freePort();
  const args = [
    `-storageDataPath=${path.join(dir, 'data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y',
    '-search.latencyOffset=0s',
  ];
  if (username !== undefined || password !== undefined) {
    args.push(`-httpAuth.username=${username || ''}`, `-httpAuth.password=${password || ''}`);
  }
  const url = `http://127.0.0.1:${port}`;
  const state = (server.state = spawnServer(binary, args, logPath, dir, { cpus }));
  const client = (server.client = httpClient(url, username !== undefined || password !== undefined ? basicAuth(username || '', password || '') : undefined));
  await waitUntilReady(state, async () => (await client.call('GET', '/health')).status === 200, logPath, 'victoria-metrics');

  async function forceFlush() {
    const res = await client.call('GET', '/internal/force_flush');
    if (res.status !== 200) throw new Error(`force_flush answered ${res.status}: ${res.text}`);
  }

  async function exportSamples(metricName) {
    await forceFlush();
    const res = await client.call('GET', `/api/v1/export?${new URLSearchParams({ 'match[]': metricName })}`);
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${res.text}`);
    return res.text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => {
        const row = JSON.parse(line);
        return { labels: row.metric, values: row.values, timestamps: row.timestamps };
      });
  }

  /**
   * What its line-protocol endpoint took in, from its own /metrics: rows parsed and stored ("inserted") and
   * rows it could not parse ("invalid", which it still answers 204). Tells a lost write from a lost sample.
   */
  async function influxIngestCounters() {
    const res = await client.call('GET', '/metrics');
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
    const counter = (name) => {
      const match = res.text.match(new RegExp(`^${name}\\{type="influx"\\} (\\d+)$`, 'm'));
      return match ? Number(match[1]) : 0;
    };
    return { inserted: counter('vm_rows_inserted_total'), invalid: counter('vm_rows_invalid_total') };
  }

  /** All samples of the metric, duplicates included (VictoriaMetrics keeps both). */
  async function countSamples(metricName) {
    const series = await exportSamples(metricName);
    return series.reduce((sum, s) => sum + s.values.length, 0);
  }

  async function waitForSamples(metricName, expected, { timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let count = 0;
    for (;;) {
      count = await countSamples(metricName);
      if (count >= expected || Date.now() >= deadline) return count;
      await sleep(100);
    }
  }

  /**
   * The metric's samples by distinct timestamp (`timestamps`, a Set) and in all (`samples`, duplicates
   * counted). What VictoriaMetrics answered 204 for can take a moment to show, so this exports again until
   * `atLeast` distinct timestamps are there or `timeoutMs` has passed, and returns what it saw last.
   */
  async function exportDistinct(metricName, { atLeast, timeoutMs = 15000 }) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const series = await exportSamples(metricName);
      const timestamps = new Set();
      let samples = 0;
      for (const s of series) {
        samples += s.timestamps.length;
        for (const ts of s.timestamps) timestamps.add(ts);
      }
      if (timestamps.size >= atLeast || Date.now() >= deadline) return { timestamps, samples };
      await sleep(250);
    }
  }

  return {
    url,
    port,
    forceFlush,
    countSamples,
    waitForSamples,
    exportSamples,
    exportDistinct,
    influxIngestCounters,
  };
}

/** True once something accepts TCP connections on the port (a bare connect: a server that forks per connection,
 *  such as socat, sees no request). */
function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

module.exports = {
  trackChild,
  canConnect,
  stopProcess,
  startInfluxDB,
  startVictoriaMetrics,
  waitFor,
  freePort,
  sleep,
  findBinary,
  basicAuth,
  // For launchers of other servers (tinyproxy.js, tls-terminator.js).
  requireBinary,
  spawnServer,
  waitUntilReady,
  readLog,
  stopAndRemove,
};

#!/usr/bin/env node
// `npm start`: a local Node-RED on 127.0.0.1 with this package and its example flows loaded.
// Its user directory is `.node-red/` inside the project (git-ignored; NODE_RED_USER_DIR overrides it), so nothing
// outside the project changes. PORT sets the editor's port, INFLUXDB_REMOTE_URL the example's remote.
//
// When the remote is on this machine (127.0.0.1 or localhost), nothing answers on its port and InfluxDB 1.x's
// `influxd` is installed (INFLUXD_BIN overrides where), a local InfluxDB is started on that port with its data in
// <userDir>/influxdb/, example 1's database is created, and the server is stopped again when Node-RED exits: the
// example drains at once. Without `influxd` one line says how to get it and Node-RED runs alone.
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { influxdbConfig } = require('./influxdb-config');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR || path.join(root, '.node-red'));
const port = Number(process.env.PORT || 1880);
const EXAMPLE_REMOTE = 'http://127.0.0.1:8086';
const remoteURL = process.env.INFLUXDB_REMOTE_URL || EXAMPLE_REMOTE;
const INFLUXD_STOP_GRACE_MS = 5000;

function writeSettings() {
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(
    settingsFile,
    `// Written by scripts/start.js on every start.
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || 'local-development-only',
  telemetry: { enabled: false },
  editorTheme: { tours: false },
  externalModules: { palette: { allowInstall: false } },
  logging: { console: { level: 'info' } },
};
`,
  );
  return settingsFile;
}

function firstExample() {
  const examples = path.join(root, 'examples');
  const first = fs.existsSync(examples) ? fs.readdirSync(examples).filter((f) => f.endsWith('.json')).sort()[0] : undefined;
  return first && { file: first, text: fs.readFileSync(path.join(examples, first), 'utf8') };
}

/** First start: load example 1 so a newcomer sees queueing (no remote yet) and draining (once one is up). */
function loadExampleOnce(example) {
  const flowFile = path.join(userDir, 'flows.json');
  if (fs.existsSync(flowFile) || !example) return;
  fs.writeFileSync(flowFile, example.text.split(EXAMPLE_REMOTE).join(remoteURL));
  console.log(`loaded example ${example.file} with remote ${remoteURL}`);
}

/** The databases example 1 writes to: its replication nodes' buckets (`db` or `db/rp`). */
function exampleDatabases(example) {
  if (!example) return [];
  const nodes = JSON.parse(example.text);
  return [...new Set(nodes.filter((n) => n.type === 'influxdb-replication' && n.remoteBucketName).map((n) => n.remoteBucketName.split('/')[0]))];
}

function findInfluxd() {
  if (process.env.INFLUXD_BIN) return isExecutable(process.env.INFLUXD_BIN) ? process.env.INFLUXD_BIN : null;
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  return dirs.map((dir) => dir && path.join(dir, 'influxd')).find((file) => file && isExecutable(file)) || null;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether something accepts TCP connections on host:port (a refused or timed-out connect means no). */
function answers(host, portNumber) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: portNumber });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `influxd run -config FILE` on 127.0.0.1:httpPort with everything under <userDir>/influxdb/, waits for
 * GET /ping, creates `databases`. Resolves with the child process, or null (with one line printed) if it fails.
 */
async function startLocalInfluxDB(binary, httpPort, databases) {
  const dir = path.join(userDir, 'influxdb');
  fs.mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, 'influxdb.conf');
  const logPath = path.join(dir, 'influxd.log');
  fs.writeFileSync(
    configPath,
    influxdbConfig({
      dir,
      httpPort,
      rpcPort: await freePort(),
      comment: 'Written by scripts/start.js on every start: a local InfluxDB for the example flows, on loopback only.',
    }),
  );
  const log = fs.openSync(logPath, 'a');
  // A process group of its own: Ctrl-C in the terminal reaches Node-RED only, and the server is stopped after
  // Node-RED has exited, so the stream can deliver until the end.
  const child = spawn(binary, ['run', '-config', configPath], { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) {
      console.log(`local InfluxDB did not start (see ${path.relative(process.cwd(), logPath)}); running Node-RED without it`);
      return null;
    }
    try {
      if ((await fetch(`${base}/ping`)).status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopProcess(child);
      console.log(`local InfluxDB did not answer within 30 s (see ${path.relative(process.cwd(), logPath)}); running Node-RED without it`);
      return null;
    }
    await sleep(100);
  }
  for (const db of databases) {
    const res = await fetch(`${base}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db.replace(/"/g, '\\"')}"` }) });
    if (res.status !== 200) console.log(`creating database ${db} answered ${res.status}: ${await res.text()}`);
  }
  console.log(`local InfluxDB 1.x (pid ${child.pid}) on ${base}, database ${databases.join(', ') || '(none)'}, data in ${path.relative(process.cwd(), dir) || dir}`);
  return child;
}

/** SIGTERM, then SIGKILL if the process has not exited after a grace period. Resolves once it has exited. */
function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), INFLUXD_STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A local InfluxDB when the remote is on loopback, nothing answers there and influxd is installed; else null. */
async function maybeLocalInfluxDB(example) {
  let url;
  try {
    url = new URL(remoteURL);
  } catch {
    return null;
  }
  if (!['127.0.0.1', 'localhost'].includes(url.hostname) || url.protocol !== 'http:') return null;
  const remotePort = Number(url.port || 80);
  if (await answers('127.0.0.1', remotePort)) {
    console.log(`something answers on ${url.origin}: using it as the example's remote`);
    return null;
  }
  const binary = findInfluxd();
  if (!binary) {
    console.log(`no InfluxDB on ${url.origin}: install one (sudo apt-get install influxdb) and npm start runs it for the example; starting Node-RED alone`);
    return null;
  }
  return startLocalInfluxDB(binary, remotePort, exampleDatabases(example));
}

async function main() {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  // Node-RED finds packages with a `node-red` section in <userDir>/node_modules: link this project there.
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-influxdb-replication');
  if (!fs.existsSync(link)) fs.symlinkSync(root, link, 'dir');
  const settingsFile = writeSettings();
  const example = firstExample();
  loadExampleOnce(example);

  let stopping = false;
  let red;
  // A signal during the InfluxDB start must still stop it: remember it and act once both are known.
  const onSignal = (signal) => {
    stopping = signal;
    if (red) red.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, onSignal);

  const influxd = await maybeLocalInfluxDB(example);
  // Last resort if this process ends some other way (an exception): never leave the server behind.
  process.on('exit', () => {
    if (influxd && influxd.exitCode === null && influxd.signalCode === null) influxd.kill('SIGKILL');
  });
  if (influxd) {
    influxd.once('exit', (code, signal) => {
      if (!stopping) console.log(`local InfluxDB exited (${signal || `code ${code}`}); Node-RED keeps queueing`);
    });
  }
  if (stopping) {
    await stopProcess(influxd);
    process.exit(0);
  }

  red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', settingsFile, '-u', userDir], { stdio: 'inherit' });
  red.on('exit', async (code) => {
    stopping = stopping || 'exit';
    await stopProcess(influxd);
    process.exit(code ?? 0);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

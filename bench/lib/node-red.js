'use strict';
// A real Node-RED process for the benchmark: the test harness' launcher, with a user dir in which every
// contender is installed the way a user would have it (symlinks in USERDIR/node_modules): this package,
// node-red-contrib-influxdb, and the two bench-only nodes (bench/nodes/*).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { request } = require('undici');
const { startNodeRed, PROJECT_ROOT, PACKAGE_NAME } = require('../../test/harness/node-red');
const { sleep } = require('../../test/harness/servers');

const LINKED_PACKAGES = {
  'node-red-contrib-influxdb': path.join(PROJECT_ROOT, 'node_modules', 'node-red-contrib-influxdb'),
  'node-red-bench-influxdb-client-writer': path.join(PROJECT_ROOT, 'bench', 'nodes', 'influxdb-client-writer'),
  'node-red-bench-counter': path.join(PROJECT_ROOT, 'bench', 'nodes', 'bench-counter'),
};

// Trace logging (the harness default, for secret-scanning tests) would cost the contenders CPU per message.
const BENCH_SETTINGS = {
  logging: { console: { level: 'warn', metrics: false, audit: false } },
};

function prepareUserDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-bench-'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const dependencies = { [PACKAGE_NAME]: `file:${PROJECT_ROOT}` };
  for (const [name, target] of Object.entries(LINKED_PACKAGES)) {
    fs.symlinkSync(target, path.join(modules, name), 'dir');
    dependencies[name] = `file:${target}`;
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-bench', private: true, dependencies }, null, 2));
  return dir;
}

/**
 * Starts Node-RED with `flows` in a fresh user dir (removed by stop()). `needsReplication` makes the start
 * fail if this package's nodes did not load (the other contenders can run without them).
 */
async function startBenchNodeRed({ flows, credentials, needsReplication = false, settings = {} }) {
  const userDir = prepareUserDir();
  let red;
  try {
    red = await startNodeRed({
      userDir,
      flows,
      credentials,
      settings: { ...BENCH_SETTINGS, ...settings },
      requirePackage: needsReplication,
    });
  } catch (err) {
    fs.rmSync(userDir, { recursive: true, force: true });
    throw err;
  }
  const stop = red.stop;
  red.stop = async () => {
    await stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const restart = red.restart;
  red.restart = async () => {
    await restart();
    await waitForFlows(red);
  };
  try {
    await waitForFlows(red);
  } catch (err) {
    await red.stop();
    throw err;
  }
  return red;
}

/**
 * Node-RED answers GET /settings before the flows have started: until then a POST to an `http in` URL gets
 * a 404, which the generator would count as a refused (and so lost) message. Every bench flow has POST
 * /ceiling (bench/lib/flows.js); once it answers 204, the flows are running.
 */
async function waitForFlows(red, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await request(`${red.url}/ceiling`, { method: 'POST', body: 'ready', headers: { 'content-type': 'text/plain' } });
      last = `${res.statusCode} ${(await res.body.text()).slice(0, 200)}`;
      if (res.statusCode === 204) return;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() >= deadline) throw new Error(`the benchmark flows did not start within ${timeoutMs} ms (POST /ceiling: ${last})`);
    await sleep(50);
  }
}

module.exports = { startBenchNodeRed };

'use strict';
// A real Node-RED 4 process for end-to-end tests, loading THIS package the way a user's install would:
// USERDIR/node_modules/node-red-contrib-influxdb-replication is a symlink to the project root, and Node-RED
// scans USERDIR/node_modules for packages with a `node-red` section. (`nodesDir` would load the files but not
// as the package, so module-level things such as the package's name, examples and locales would differ.)
//
// Node-RED is started as `node red.js` directly so that the PID we hold is Node-RED itself: killing an
// `npx` wrapper would leave Node-RED running, and crash tests need SIGKILL to hit the real process.

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const { Agent, request } = require('undici');
const { freePort, sleep, trackChild, stopProcess: stopChild } = require('./servers');

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(PROJECT_ROOT, 'package.json')).name;
// The Node-RED lines the package claims to run on: the newest (the `node-red` devDependency) and the oldest
// (`node-red-3`, an npm alias of node-red@~3.1). `startNodeRed({ nodeRed: '3' })` picks the old one.
const NODE_RED_INSTALLS = {
  '4': path.join(PROJECT_ROOT, 'node_modules', 'node-red'),
  '3': path.join(PROJECT_ROOT, 'node_modules', 'node-red-3'),
};
const DEFAULT_NODE_RED = '4';
const CREDENTIAL_SECRET = 'test-secret-not-for-production';
const START_TIMEOUT_MS = 30000;
const STOP_GRACE_MS = 10000;
const START_ATTEMPTS = 3;

/**
 * Starts Node-RED in `userDir` (a new temp folder when not given; removed by stop()).
 *   flows        written to flows.json before start
 *   credentials  { [nodeId]: {...} }, written to flows_cred.json encrypted the way Node-RED does it
 *   settings     merged (deeply, for plain objects) over the test defaults, e.g. { adminAuth: {...} }
 *   env          extra environment variables for the process
 *   adminLogin   { username, password }: when adminAuth is on, the launcher logs in for deploy()/getFlows()
 *   requirePackage (default true) reject if this package's nodes did not load
 *   nodeRed      which Node-RED to run: '4' (default, node-red 4.1) or '3' (node-red-3, the oldest claimed)
 */
async function startNodeRed({ userDir, flows, credentials, settings = {}, env = {}, adminLogin, requirePackage = true, nodeRed = DEFAULT_NODE_RED } = {}) {
  const redJsFile = redJs(nodeRed);
  const createdUserDir = !userDir;
  const dir = userDir ? path.resolve(userDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-test-'));
  fs.mkdirSync(dir, { recursive: true });

  let port;
  let proc;
  let logText = '';
  let token;
  const agent = new Agent({ keepAliveTimeout: 1000 });
  const effectiveSettings = deepMerge(defaultSettings(), settings);
  const settingsPath = path.join(dir, 'test-settings.js');

  try {
    linkThisPackage(dir);
    writeUserPackageJson(dir);
    if (flows) fs.writeFileSync(path.join(dir, effectiveSettings.flowFile), JSON.stringify(withPositions(flows), null, 2));
    if (credentials) writeCredentials(dir, effectiveSettings, credentials);
    await launch({ freshPort: true });
  } catch (err) {
    await agent.close().catch(() => {});
    if (createdUserDir) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  /** Spawns red.js and waits for GET /settings; retries with another port when the port was taken. */
  async function launch({ freshPort }) {
    let lastError;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      if (freshPort || attempt > 1 || !port) port = await freePort();
      fs.writeFileSync(settingsPath, settingsModule({ ...effectiveSettings, uiPort: port }));
      proc = spawnNodeRed(redJsFile, dir, settingsPath, port, env, (text) => {
        logText += text;
      });
      try {
        const logBefore = logText.length;
        await waitUntilReady();
        // GET /settings answers before the flows have started; http in routes would still answer 404.
        await waitForFlowsStarted(logBefore);
        token = undefined;
        if (adminLogin) token = await login(adminLogin);
        if (requirePackage) await checkPackageLoaded();
        return;
      } catch (err) {
        lastError = err;
        await stopProcess(proc, 'SIGKILL');
        if (!/port in use|EADDRINUSE/i.test(logText.slice(-2000))) break;
      }
    }
    throw lastError;
  }

  function baseURL() {
    return `http://127.0.0.1:${port}`;
  }

  async function call(method, urlPath, { body, headers = {} } = {}) {
    const allHeaders = { ...headers };
    if (token) allHeaders.authorization = `Bearer ${token}`;
    if (body !== undefined && typeof body !== 'string') {
      body = JSON.stringify(body);
      allHeaders['content-type'] = 'application/json';
    }
    const res = await request(baseURL() + urlPath, { method, body, headers: allHeaders, dispatcher: agent, headersTimeout: 20000, bodyTimeout: 20000 });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  async function waitUntilReady() {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (proc.exited) {
        throw new Error(`Node-RED exited during start (code ${proc.exitCode}, signal ${proc.exitSignal}); log tail:\n${tail(logText)}`);
      }
      try {
        const res = await call('GET', '/settings');
        // With adminAuth on, 401 also means the HTTP server (and so the runtime) is up.
        if (res.status === 200 || (res.status === 401 && effectiveSettings.adminAuth)) return;
      } catch {
        // not listening yet
      }
      if (Date.now() >= deadline) throw new Error(`Node-RED not ready after ${START_TIMEOUT_MS} ms; log tail:\n${tail(logText)}`);
      await sleep(50);
    }
  }

  async function waitForFlowsStarted(from) {
    // Only visible when the log level shows info messages (the default here is trace; a caller may lower it).
    const level = effectiveSettings.logging?.console?.level ?? 'info';
    if (!['info', 'debug', 'trace'].includes(level)) return;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!/\[info\] Started flows/.test(logText.slice(from))) {
      if (proc.exited) throw new Error(`Node-RED exited while starting its flows; log tail:\n${tail(logText)}`);
      if (Date.now() >= deadline) throw new Error(`Node-RED did not start its flows within ${START_TIMEOUT_MS} ms; log tail:\n${tail(logText)}`);
      await sleep(20);
    }
  }

  async function login({ username, password }) {
    const res = await call('POST', '/auth/token', {
      body: { client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password },
    });
    if (res.status !== 200) throw new Error(`Node-RED login as ${username} failed: ${res.status} ${res.text}`);
    return JSON.parse(res.text).access_token;
  }

  /** Node-RED starts even when a package fails to load; a test should not run against a missing node. */
  async function checkPackageLoaded() {
    const res = await call('GET', '/nodes', { headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`GET /nodes answered ${res.status}: ${res.text}`);
    const sets = JSON.parse(res.text).filter((set) => set.module === PACKAGE_NAME);
    if (sets.length === 0) {
      throw new Error(`Node-RED did not load ${PACKAGE_NAME} from ${path.join(dir, 'node_modules')}; log tail:\n${tail(logText)}`);
    }
    const broken = sets.filter((set) => set.err || set.enabled === false);
    if (broken.length) {
      // The API's error object often lacks the message; the log line for the node set has it.
      const fromLog = (set) => {
        const line = logText.split('\n').find((l) => l.includes(`[${PACKAGE_NAME}/${set.name}]`));
        return line ? line.slice(line.indexOf(`[${PACKAGE_NAME}/${set.name}]`)) : '';
      };
      const why = broken.map((set) => fromLog(set) || `${set.name}: ${describeError(set.err) || 'disabled'}`).join('; ');
      throw new Error(`Node-RED could not load ${PACKAGE_NAME} (${why}); build first (npx tsc -p tsconfig.json). Log tail:\n${tail(logText)}`);
    }
  }

  async function deploy(newFlows) {
    const res = await call('POST', '/flows', {
      body: withPositions(newFlows),
      headers: { 'node-red-deployment-type': 'full', 'node-red-api-version': 'v1' },
    });
    if (res.status !== 200 && res.status !== 204) throw new Error(`deploy answered ${res.status}: ${res.text}`);
    return res.text ? JSON.parse(res.text) : undefined;
  }

  async function getFlows() {
    const res = await call('GET', '/flows', { headers: { 'node-red-api-version': 'v1' } });
    if (res.status !== 200) throw new Error(`GET /flows answered ${res.status}: ${res.text}`);
    return JSON.parse(res.text);
  }

  async function kill(signal = 'SIGKILL') {
    await stopProcess(proc, signal);
  }

  async function restart() {
    if (!proc.exited) await stopProcess(proc, 'SIGTERM');
    // Same port, so a test's saved URL stays valid; launch() moves to another port only if it is taken.
    await launch({ freshPort: false });
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (proc) await stopProcess(proc, 'SIGTERM');
    await agent.close().catch(() => {});
    if (createdUserDir) fs.rmSync(dir, { recursive: true, force: true });
  }

  const handle = {
    get url() {
      return baseURL();
    },
    get port() {
      return port;
    },
    get pid() {
      return proc.child.pid;
    },
    userDir: dir,
    settingsPath,
    logs: () => logText,
    /** Resolves with the log so far once `pattern` (RegExp or string) appears in it. */
    waitForLog: async (pattern, { timeoutMs = 10000 } = {}) => {
      const deadline = Date.now() + timeoutMs;
      const matches = () => (pattern instanceof RegExp ? pattern.test(logText) : logText.includes(pattern));
      while (!matches()) {
        if (Date.now() >= deadline) throw new Error(`log did not show ${pattern} within ${timeoutMs} ms; log tail:\n${tail(logText)}`);
        await sleep(50);
      }
      return logText;
    },
    request: call,
    deploy,
    getFlows,
    kill,
    restart,
    stop,
  };
  return handle;
}

/**
 * Gives every flow node (one with a `z`) an x/y position, as the editor does. Node-RED treats a node without
 * a position as a config node, which breaks flows written by hand in tests.
 */
function withPositions(flows) {
  return flows.map((n, i) => (n.z && (n.x === undefined || n.y === undefined) ? { x: 120 + 10 * i, y: 40 + 40 * i, ...n } : n));
}

function defaultSettings() {
  return {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: CREDENTIAL_SECRET,
    telemetry: { enabled: false },
    editorTheme: { tours: false },
    externalModules: { palette: { allowInstall: false } },
    // trace (and audit): a test can search every level of the log for secrets.
    logging: { console: { level: 'trace', metrics: false, audit: true } },
  };
}

function linkThisPackage(dir) {
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, PACKAGE_NAME);
  try {
    const current = fs.readlinkSync(link);
    if (path.resolve(modules, current) === PROJECT_ROOT) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch (err) {
    if (err.code === 'EINVAL') fs.rmSync(link, { recursive: true, force: true });
    // ENOENT: nothing there yet
  }
  fs.symlinkSync(PROJECT_ROOT, link, 'dir');
}

// Without a package.json in userDir Node-RED logs an error at every start; a real install has one.
function writeUserPackageJson(dir) {
  const file = path.join(dir, 'package.json');
  if (fs.existsSync(file)) return;
  const pkg = { name: 'node-red-project', private: true, dependencies: { [PACKAGE_NAME]: `file:${PROJECT_ROOT}` } };
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
}

/** flows_cred.json as Node-RED writes it: aes-256-ctr with sha256(credentialSecret), IV hex + base64. */
function writeCredentials(dir, settings, credentials) {
  const ext = path.extname(settings.flowFile);
  const credFile = path.join(dir, `${path.basename(settings.flowFile, ext)}_cred${ext}`);
  let content = credentials;
  if (typeof settings.credentialSecret === 'string') {
    const key = crypto.createHash('sha256').update(settings.credentialSecret).digest();
    const iv = crypto.randomBytes(16);
    const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
    content = { $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64') };
  }
  fs.writeFileSync(credFile, JSON.stringify(content, null, 2));
}

/** red.js of the chosen Node-RED install; a clear error when the alias is not installed. */
function redJs(nodeRed) {
  const install = NODE_RED_INSTALLS[String(nodeRed)];
  if (!install) throw new Error(`unknown nodeRed ${JSON.stringify(nodeRed)}; known: ${Object.keys(NODE_RED_INSTALLS).join(', ')}`);
  const file = path.join(install, 'red.js');
  if (!fs.existsSync(file)) throw new Error(`Node-RED not found at ${file}: run npm install in ${PROJECT_ROOT}`);
  return file;
}

/** The version of the chosen Node-RED install, e.g. '3.1.15'. */
function nodeRedVersion(nodeRed = DEFAULT_NODE_RED) {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(redJs(nodeRed)), 'package.json'), 'utf8')).version;
}

function spawnNodeRed(redJsFile, dir, settingsPath, port, env, onOutput) {
  // HARNESS_NODE_ARGS: extra node flags for Node-RED, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a
  // benchmark run (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.HARNESS_NODE_ARGS || '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, redJsFile, '-s', settingsPath, '-u', dir, '-p', String(port)], {
    cwd: dir,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = trackChild(child, { onError: (err) => onOutput(`[harness] spawn error: ${err.message}\n`) });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  return state;
}

function childEnv(extra) {
  const env = { ...process.env, ...extra };
  // A developer's NODE_RED_HOME would point Node-RED at another install's files.
  delete env.NODE_RED_HOME;
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

/** Stops a Node-RED child: it gets longer than a server to shut down its flows. */
function stopProcess(state, signal) {
  return stopChild(state, { signal, graceMs: STOP_GRACE_MS });
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function deepMerge(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra || {})) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}

/** A settings.js that can hold functions too (adminAuth.authenticate, httpNodeMiddleware...). */
function settingsModule(settings) {
  return `// Written by test/harness/node-red.js\nmodule.exports = ${toSource(settings)};\n`;
}

function toSource(value) {
  if (typeof value === 'function') return value.toString();
  if (Array.isArray(value)) return `[${value.map(toSource).join(', ')}]`;
  if (value instanceof RegExp) return value.toString();
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${toSource(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

function describeError(err) {
  if (!err) return '';
  if (typeof err === 'string') return err;
  const where = err.requireStack && err.requireStack[0] ? `(required from ${err.requireStack[0]})` : "";
  return [err.code, err.message, where].filter(Boolean).join(" ") || JSON.stringify(err);
}

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

module.exports = { withPositions, startNodeRed, nodeRedVersion, NODE_RED_LINES: Object.keys(NODE_RED_INSTALLS), CREDENTIAL_SECRET, PACKAGE_NAME, PROJECT_ROOT };

'use strict';
// Issue #8, secrets (extends test/e2e/start-and-secrets.test.js, which covers a deploy with 401/403 errors):
// a run that exercises every error path, against remotes that ECHO the credentials they received in their error
// bodies (the worst case), then a search for the token, the password and the Basic header in: the flow file, the
// credentials file, GET /flows, GET /credentials, the admin routes and their answers (including Test connection),
// the log at trace level, status texts, output messages, error messages and the queue files.
// Also: queue files are 0600 in 0700 folders, and a node id cannot steer the queue path outside the queue root.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { waitFor } = require('../harness/servers');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startNodeRed } = require('../harness/node-red');
const { startScriptedRemote } = require('./lib/scripted-remote');
const { makeCertificates } = require('./lib/tls-cert');
const { gatewayFlow, fastWriterSettings, replicationRows, observed, post } = require('./lib/gateway-flow');

const TOKEN = 'rel-secret-token-7c1e94d2';
const USER = 'rel-writer';
const PASSWORD = 'rel-secret-pass-55aa';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const SECRETS = [TOKEN, PASSWORD, BASIC, encodeURIComponent(TOKEN), Buffer.from(TOKEN).toString('base64')];

/** A remote that answers `status` and puts the Authorization header it got into its error body. */
function echoing(status, extra = {}) {
  return (req) => ({
    status,
    headers: extra.headers || {},
    body: { code: 'echo', message: `${extra.text || 'refused'}; you sent "${req.authorization}" (token ${req.authorization.replace(/^(Token|Basic) /, '')})` },
  });
}

function findSecrets(place, text) {
  return SECRETS.filter((s) => text.includes(s)).map((s) => `${place} contains ${s === TOKEN ? 'the token' : s === PASSWORD ? 'the password' : s === BASIC ? 'the Basic credentials' : 'an encoded secret'}`);
}

describe('reliability: secrets never leak, whatever goes wrong (real Node-RED)', function () {
  this.timeout(120000);
  const remotes = {};
  let hang;
  let certs;
  let red;
  let queueRoot;
  const ERROR_STREAMS = ['e401', 'e403', 'e404', 'e400', 'e500', 'e429', 'hang', 'tls', 'v1'];

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-queue-'));
    certs = makeCertificates();
    remotes.e401 = await startScriptedRemote(echoing(401, { text: 'unauthorized' }));
    remotes.e403 = await startScriptedRemote(echoing(403, { text: 'forbidden' }));
    remotes.e404 = await startScriptedRemote(echoing(404, { text: 'bucket not found' }));
    remotes.e400 = await startScriptedRemote(echoing(400, { text: 'partial write: unable to parse' }));
    remotes.e500 = await startScriptedRemote(echoing(500, { text: 'internal error' }));
    remotes.e429 = await startScriptedRemote(echoing(429, { text: 'too many requests', headers: { 'retry-after': '1' } }));
    remotes.hangTarget = await startScriptedRemote();
    hang = await startFaultProxy(remotes.hangTarget.port, { mode: 'blackhole' });
    remotes.tls = await startScriptedRemote(echoing(204), { tls: certs });
    remotes.v1 = await startScriptedRemote(echoing(401, { text: 'authorization failed' }));
    const v2 = (id, url, more = {}) => ({ id: `r${id}`, url, token: TOKEN, ...more });
    const spec = {
      remotes: [
        v2('e401', remotes.e401.url),
        v2('e403', remotes.e403.url),
        v2('e404', remotes.e404.url),
        v2('e400', remotes.e400.url),
        v2('e500', remotes.e500.url),
        v2('e429', remotes.e429.url),
        v2('hang', hang.url),
        v2('tls', remotes.tls.url),
        { id: 'rv1', url: remotes.v1.url, writeAPI: 'v1', username: USER, password: PASSWORD },
        // Invalid settings next to a real token: the config error must not quote it.
        v2('bad', 'ftp://127.0.0.1:1/'),
      ],
      streams: [
        ...ERROR_STREAMS.map((id) => ({ id, remote: `r${id}`, bucket: id === 'v1' ? 'db/rp' : 'bucket', dropNonRetryableData: id === 'e400' })),
        { id: 'bad', remote: 'rbad' },
      ],
    };
    const { flows, credentials } = gatewayFlow(spec);
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot, { requestTimeoutMs: 1000 }) });
    await waitFor(async () => Object.keys(await replicationRows(red)).length === ERROR_STREAMS.length, { timeoutMs: 20000, message: 'the streams to open' });
  });

  after(async () => {
    if (red) await red.stop();
    if (hang) await hang.stop();
    for (const r of Object.values(remotes)) await r.stop();
    if (certs) certs.remove();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('keeps every secret out of every place a user, a log or a flow can see, after every error path ran', async () => {
    const answers = [];
    for (const id of [...ERROR_STREAMS, 'bad']) {
      // A good line and a bad one: the Catch path runs too.
      const res = await post(red, id, `secret_test,stream=${id} v=1i ${Date.now()}000000\nnot line protocol`);
      answers.push(`POST /ingest/${id}: ${res.status} ${res.text}`);
    }
    // Control messages and admin actions: status, pause, resume, flush.
    for (const action of ['pause', 'resume', 'flush']) {
      const res = await red.request('POST', `/influxdb-replication/replications/e401/${action}`);
      answers.push(`POST .../${action}: ${res.status} ${res.text}`);
    }
    // Test connection against echoing remotes, with the secret typed in the dialog and with the stored one.
    for (const body of [
      { id: 're401', remoteURL: remotes.e401.url, remoteOrgID: 'org', writeAPI: 'v2', remoteAPIToken: TOKEN, bucket: 'b' },
      { id: 're403', remoteURL: remotes.e403.url, remoteOrgID: 'org', writeAPI: 'v2', remoteAPIToken: '__PWRD__', bucket: 'b' },
      { id: 'rv1', remoteURL: remotes.v1.url, writeAPI: 'v1', username: USER, password: PASSWORD, bucket: 'db/rp' },
      { id: 'rtls', remoteURL: remotes.tls.url, remoteOrgID: 'org', writeAPI: 'v2', remoteAPIToken: TOKEN, bucket: 'b' },
      { remoteURL: 'ftp://x', remoteOrgID: 'org', writeAPI: 'v2', remoteAPIToken: TOKEN },
    ]) {
      const res = await red.request('POST', '/influxdb-replication/remotes/validate', { body });
      assert.strictEqual(res.status, 200, res.text);
      answers.push(`validate ${body.id}: ${res.text}`);
    }

    // Every error path has run: each stream reports its failure.
    const rows = await waitFor(
      async () => {
        const all = await replicationRows(red);
        const ready = ERROR_STREAMS.every((id) => all[id] && all[id].latestResponseCode !== null && (id !== 'e400' || all[id].linesDropped['non-retryable'] > 0));
        return ready ? all : null;
      },
      { timeoutMs: 30000, message: 'every stream to hit its error' },
    );
    const codes = Object.fromEntries(ERROR_STREAMS.map((id) => [id, rows[id].latestResponseCode]));
    assert.deepStrictEqual(codes, { e401: 401, e403: 403, e404: 404, e400: 400, e500: 500, e429: 429, hang: 0, tls: 0, v1: 401 });
    // The echoing remotes did receive the secrets: the search below is not vacuous.
    assert.ok(remotes.e401.requests.some((r) => r.authorization === `Token ${TOKEN}`));
    assert.ok(remotes.v1.requests.some((r) => r.authorization === `Basic ${BASIC}`));

    const seen = await observed(red);
    assert.ok(seen.output2.some((m) => m.reason === 'non-retryable'), 'a dropped-lines message with the remote error went out');
    assert.ok(seen.errors.length >= ERROR_STREAMS.length, 'errors reached Catch');
    const credentialsAnswers = [];
    for (const id of ['re401', 'rv1']) credentialsAnswers.push((await red.request('GET', `/credentials/influxdb-remote/${id}`)).text);
    const queueFiles = [];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else queueFiles.push(`${p}\n${fs.readFileSync(p, 'latin1')}`);
      }
    };
    walk(queueRoot);

    const places = {
      'flows.json': fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8'),
      'flows_cred.json': fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8'),
      'GET /flows': JSON.stringify(await red.getFlows()),
      'GET /flow/rel (export of the tab)': (await red.request('GET', '/flow/rel')).text,
      'GET /credentials': credentialsAnswers.join('\n'),
      'GET /influxdb-replication/replications': JSON.stringify(rows),
      'GET /influxdb-replication/remotes': (await red.request('GET', '/influxdb-replication/remotes')).text,
      'GET /influxdb-replication/api/v2/replications': (await red.request('GET', '/influxdb-replication/api/v2/replications')).text,
      'GET /influxdb-replication/api/v2/remotes': (await red.request('GET', '/influxdb-replication/api/v2/remotes')).text,
      'answers (ingest, actions, Test connection)': answers.join('\n'),
      'log (trace level)': red.logs(),
      'status texts': JSON.stringify(seen.status),
      'output 1 messages': JSON.stringify(seen.output1),
      'output 2 messages': JSON.stringify(seen.output2),
      'error messages (Catch)': JSON.stringify(seen.errors),
      'queue files': queueFiles.join('\n'),
    };
    for (const [place, text] of Object.entries(places)) assert.ok(text.length > 0, `${place} is empty: nothing was checked`);
    const leaks = Object.entries(places).flatMap(([place, text]) => findSecrets(place, text));
    assert.deepStrictEqual(leaks, []);
    // The errors are still useful: the echoed text arrives, with the secret masked.
    assert.match(rows.e401.latestErrorMessage, /unauthorized/);
    assert.match(rows.e401.latestErrorMessage, /\*\*\*/, 'the echoed token is masked, not cut off');
    assert.match(rows.tls.latestErrorMessage, /certificate|self[- ]signed|verify/i);
  });

  it('writes queue files 0600 in 0700 folders', () => {
    let checked = 0;
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        const mode = fs.statSync(p).mode & 0o777;
        if (e.isDirectory()) {
          assert.strictEqual(mode.toString(8), '700', `${p} is ${mode.toString(8)}`);
          walk(p);
        } else {
          assert.strictEqual(mode.toString(8), '600', `${p} is ${mode.toString(8)}`);
          checked++;
        }
      }
    };
    for (const id of ERROR_STREAMS) {
      const dir = path.join(queueRoot, id);
      assert.strictEqual((fs.statSync(dir).mode & 0o777).toString(8), '700', dir);
      walk(dir);
    }
    assert.ok(checked >= ERROR_STREAMS.length, `only ${checked} queue files`);
  });
});

describe('reliability: a node id cannot steer the queue path (real Node-RED)', function () {
  this.timeout(60000);
  let parent;
  let queueRoot;
  let red;
  let remote;

  before(async () => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'escape-test-'));
    queueRoot = path.join(parent, 'queues', 'root');
    fs.mkdirSync(queueRoot, { recursive: true });
    remote = await startScriptedRemote();
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (parent) fs.rmSync(parent, { recursive: true, force: true });
  });

  it('refuses ids such as "..", "../x", "a/../../x" and absolute paths, creating nothing outside the queue root', async () => {
    const hostile = ['..', '../escaped', '../../escaped2', 'a/../../escaped3', `${parent}/escaped4`, '.', 'x\\..\\..\\y', 'ok-id'];
    const { flows, credentials } = gatewayFlow({
      remotes: [{ id: 'r', url: remote.url, token: 'escape-token' }],
      streams: hostile.map((id, i) => ({ id, remote: 'r', name: `hostile ${i}` })),
    });
    // http in paths must stay valid URLs: route the hostile streams through fixed endpoints.
    for (const node of flows) if (node.type === 'http in') node.url = `/ingest/h${hostile.indexOf(node.wires[0][0])}`;
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot) });
    const rows = await waitFor(async () => {
      const all = await replicationRows(red);
      return all['ok-id'] ? all : null;
    }, { timeoutMs: 20000, message: 'the valid stream to open' });
    for (let i = 0; i < hostile.length - 1; i++) {
      const res = await red.request('POST', `/ingest/h${i}`, { body: 'm v=1', headers: { 'content-type': 'text/plain' } });
      assert.strictEqual(res.status, 400, `id ${JSON.stringify(hostile[i])}: ${res.text}`);
      assert.match(res.text, /queue folder|cannot name|escapes/i, `id ${JSON.stringify(hostile[i])}: ${res.text}`);
      assert.ok(!rows[hostile[i]], `a stream with id ${JSON.stringify(hostile[i])} is running`);
    }
    // Only the valid stream's folder exists, inside the root; nothing appeared next to or above it.
    assert.deepStrictEqual(fs.readdirSync(queueRoot), ['ok-id']);
    assert.deepStrictEqual(fs.readdirSync(path.join(parent, 'queues')), ['root']);
    assert.deepStrictEqual(fs.readdirSync(parent), ['queues']);
  });
});

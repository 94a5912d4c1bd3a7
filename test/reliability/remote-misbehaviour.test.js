'use strict';
// Issue #8, remote misbehaviour, one real Node-RED with a stream per fault:
//   429 and 503 storms with Retry-After, a run of 500s, a remote that accepts connections and never answers,
//   one that closes mid-response, TLS with a self-signed CA (refused unless allowInsecureTLS, accepted with the CA
//   file), and a 401 after a token rotation (blocked, nothing dropped, resumes after the fixed token is deployed).
// Every stream must end with every posted line delivered and nothing dropped.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { waitFor } = require('../harness/servers');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startNodeRed } = require('../harness/node-red');
const { startScriptedRemote } = require('./lib/scripted-remote');
const { makeCertificates } = require('./lib/tls-cert');
const { gatewayFlow, fastWriterSettings, replicationRows, post } = require('./lib/gateway-flow');

const STORM = 4;
const BASE_MS = Date.now() - 3600_000;

/** Lines with distinct timestamps for stream `tag`; `offset` keeps batches of one stream apart. */
function lines(tag, count, offset = 0) {
  return Array.from({ length: count }, (_, i) => `mis,stream=${tag} v=${offset + i}i ${(BASE_MS + offset + i) * 1e6}`);
}

function storm(status, { retryAfter, body = '' } = {}) {
  return (req, index) => (index < STORM ? { status, headers: retryAfter ? { 'retry-after': String(retryAfter) } : {}, body } : { status: 204 });
}

describe('reliability: remote misbehaviour (real Node-RED)', function () {
  this.timeout(120000);
  const remotes = {};
  let hangProxy;
  let certs;
  let red;
  let queueRoot;
  let rotated = false;
  let flowSpec;
  const posted = {};

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'misbehaviour-queue-'));
    certs = makeCertificates();
    remotes.r429 = await startScriptedRemote(storm(429, { retryAfter: 1, body: { code: 'too many requests', message: 'slow down' } }));
    remotes.r503 = await startScriptedRemote(storm(503, { retryAfter: 1, body: 'service unavailable' }));
    remotes.r500 = await startScriptedRemote(storm(500, { body: { code: 'internal error', message: 'boom' } }));
    remotes.hang = await startScriptedRemote();
    hangProxy = await startFaultProxy(remotes.hang.port, { mode: 'blackhole' });
    remotes.cut = await startScriptedRemote((req, index) => (index < STORM ? { cut: true } : { status: 204 }));
    remotes.tls = await startScriptedRemote(undefined, { tls: certs });
    remotes.rot = await startScriptedRemote((req) =>
      req.authorization === `Token ${rotated ? 'rot-B' : 'rot-A'}` ? { status: 204 } : { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } },
    );
    flowSpec = (rotToken) => ({
      remotes: [
        { id: 'r429', url: remotes.r429.url, token: 't429' },
        { id: 'r503', url: remotes.r503.url, token: 't503' },
        { id: 'r500', url: remotes.r500.url, token: 't500' },
        { id: 'rhang', url: hangProxy.url, token: 'thang' },
        { id: 'rcut', url: remotes.cut.url, token: 'tcut' },
        { id: 'rstrict', url: remotes.tls.url, token: 'tls-strict' },
        { id: 'rinsecure', url: remotes.tls.url, token: 'tls-insecure', allowInsecureTLS: true },
        { id: 'rca', url: remotes.tls.url, token: 'tls-ca', caFile: certs.caFile },
        { id: 'rrot', url: remotes.rot.url, token: rotToken },
      ],
      streams: ['429', '503', '500', 'hang', 'cut', 'strict', 'insecure', 'ca', 'rot'].map((s) => ({ id: `s${s}`, remote: `r${s}`, gzip: s !== '500' })),
    });
    const { flows, credentials } = gatewayFlow(flowSpec('rot-A'));
    // Requests time out after 1.5 s, so the silent remote costs little.
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot, { requestTimeoutMs: 1500 }) });
    await waitFor(async () => Object.keys(await replicationRows(red)).length === 9, { timeoutMs: 20000, message: 'nine streams running' });
    for (const s of ['429', '503', '500', 'hang', 'cut', 'strict', 'insecure', 'ca', 'rot']) {
      posted[s] = lines(s, 50);
      const res = await post(red, `s${s}`, posted[s].join('\n'));
      assert.strictEqual(res.status, 204, `stream s${s}: ${res.text}`);
    }
  });

  after(async () => {
    if (red) await red.stop();
    if (hangProxy) await hangProxy.stop();
    for (const r of Object.values(remotes)) await r.stop();
    if (certs) certs.remove();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  /** Waits until every line posted to stream `s` was accepted by `remote`, and the stream is idle and clean. */
  async function delivered(s, remote, expected = posted[s]) {
    const row = await waitFor(
      async () => {
        const r = (await replicationRows(red))[`s${s}`];
        return r && r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
      },
      { timeoutMs: 30000, message: `stream s${s} to deliver everything` },
    );
    const got = new Set(remote.accepted());
    const missing = expected.filter((l) => !got.has(l));
    assert.deepStrictEqual(missing, [], `stream s${s}: lines not delivered`);
    assert.deepStrictEqual(Object.values(row.linesDropped), [0, 0, 0, 0, 0], `stream s${s} dropped: ${JSON.stringify(row.linesDropped)}`);
    return row;
  }

  for (const [s, status] of [['429', 429], ['503', 503]]) {
    it(`rides out a ${status} storm, waiting as long as Retry-After says`, async () => {
      await delivered(s, remotes[`r${s}`]);
      const reqs = remotes[`r${s}`].requests;
      assert.deepStrictEqual(reqs.slice(0, STORM).map((r) => r.status), Array(STORM).fill(status));
      // Retry-After: 1 (second) overrides the 50 ms test backoff: each retry came at least ~1 s after the refusal.
      for (let i = 1; i <= STORM; i++) {
        const gap = reqs[i].at - reqs[i - 1].at;
        assert.ok(gap >= 900, `retry ${i} came ${gap} ms after a ${status} with Retry-After: 1`);
      }
    });
  }

  it('retries through a run of 500s', async () => {
    await delivered('500', remotes.r500);
    assert.deepStrictEqual(remotes.r500.requests.slice(0, STORM).map((r) => r.status), Array(STORM).fill(500));
  });

  it('times out on a remote that accepts connections and never answers, and delivers once it answers', async () => {
    const row = await waitFor(
      async () => {
        const r = (await replicationRows(red)).shang;
        return r.state === 'retrying' && r.latestResponseCode === 0 && r.latestErrorMessage ? r : null;
      },
      { timeoutMs: 20000, message: 'the hung remote to be reported' },
    );
    assert.match(row.latestErrorMessage, /time|abort/i, row.latestErrorMessage);
    assert.strictEqual(row.remainingLinesToBeSynced, posted.hang.length, 'nothing is lost while it hangs');
    assert.ok(hangProxy.acceptedConnections() >= 1);
    await hangProxy.setMode('pass');
    await delivered('hang', remotes.hang);
  });

  it('retries when the remote closes the connection in the middle of its answer', async () => {
    await delivered('cut', remotes.cut);
    assert.deepStrictEqual(remotes.cut.requests.slice(0, STORM).map((r) => r.status), Array(STORM).fill('cut'));
  });

  it('refuses a self-signed certificate unless allowInsecureTLS, and accepts it with the CA file', async () => {
    await delivered('insecure', remotes.tls);
    await delivered('ca', remotes.tls);
    const strict = await waitFor(
      async () => {
        const r = (await replicationRows(red)).sstrict;
        return r.latestResponseCode === 0 && r.latestErrorMessage ? r : null;
      },
      { timeoutMs: 20000, message: 'the strict TLS stream to report its error' },
    );
    assert.match(strict.latestErrorMessage, /certificate|self[- ]signed|verify/i, strict.latestErrorMessage);
    assert.strictEqual(strict.remainingLinesToBeSynced, posted.strict.length, 'kept, not dropped');
    assert.deepStrictEqual(Object.values(strict.linesDropped), [0, 0, 0, 0, 0]);
    // The TLS server never received a request with the strict remote's token: the handshake failed first.
    assert.ok(!remotes.tls.requests.some((r) => r.authorization === 'Token tls-strict'));
    assert.ok(remotes.tls.requests.some((r) => r.authorization === 'Token tls-insecure'));
    assert.ok(remotes.tls.requests.some((r) => r.authorization === 'Token tls-ca'));
  });

  it('blocks on 401 after a token rotation without dropping anything, and resumes after the new token is deployed', async () => {
    await delivered('rot', remotes.rot);
    rotated = true;
    const more = lines('rot', 50, 1000);
    const res = await post(red, 'srot', more.join('\n'));
    assert.strictEqual(res.status, 204, 'the gateway still queues while the remote refuses the token');
    const blocked = await waitFor(
      async () => {
        const r = (await replicationRows(red)).srot;
        return r.state === 'blocked' && r.latestResponseCode === 401 ? r : null;
      },
      { timeoutMs: 20000, message: 'the stream to block on 401' },
    );
    assert.strictEqual(blocked.remainingLinesToBeSynced, more.length);
    assert.deepStrictEqual(Object.values(blocked.linesDropped), [0, 0, 0, 0, 0]);
    assert.ok(!blocked.latestErrorMessage.includes('rot-A'), 'the old token is not in the error');

    const { flows } = gatewayFlow({ ...flowSpec('rot-B'), inlineCredentials: true });
    await red.deploy(flows);
    await delivered('rot', remotes.rot, [...posted.rot, ...more]);
    assert.ok(remotes.rot.requests.some((r) => r.authorization === 'Token rot-B' && r.status === 204));
  });
});

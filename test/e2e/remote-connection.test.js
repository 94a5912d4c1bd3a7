'use strict';
// Issue #16 points 1 and 2 with real parts: a real Node-RED process whose remotes use Node-RED's own
// `tls-config` and `http proxy` config nodes (or the proxy environment variables), a real tinyproxy, a real
// socat TLS terminator that requires a client certificate, and a real VictoriaMetrics behind both. What went
// through the proxy is read from tinyproxy's own log; what arrived is counted at VictoriaMetrics.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startVictoriaMetrics, waitFor } = require('../harness/servers');
const { startTinyproxy } = require('../harness/tinyproxy');
const { makeClientCertPKI, startTlsTerminator } = require('../harness/tls-terminator');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startNodeRed } = require('../harness/node-red');
const { gatewayFlow, fastWriterSettings, replicationRows, post } = require('../reliability/lib/gateway-flow');

const PROXY_USER = 'gateway';
const PROXY_PASSWORD = 'proxy-secret-9c41e7';
const KEY_PASSPHRASE = 'key-passphrase-5b02';
const LINES = 200;
const BASE_MS = Date.now() - 600_000;

/** LINES lines of measurement `m_<stream>`, one millisecond apart (VictoriaMetrics keeps milliseconds). */
function lines(stream, count = LINES, offset = 0) {
  return Array.from({ length: count }, (_, i) => `m_${stream},s=e2e f=${offset + i} ${(BASE_MS + offset + i) * 1e6}`);
}

/** Adds tls-config and http proxy nodes to a gatewayFlow and points its remotes at them. */
function withConnectionNodes({ flows, credentials }, { tlsNodes = [], proxyNodes = [], links = {} }) {
  for (const t of tlsNodes) {
    const { id, passphrase, ...files } = t;
    flows.push({ id, type: 'tls-config', name: `tls ${id}`, cert: '', key: '', ca: '', certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, ...files });
    if (passphrase) credentials[id] = { passphrase };
  }
  for (const p of proxyNodes) {
    flows.push({ id: p.id, type: 'http proxy', name: `proxy ${p.id}`, url: p.url, noproxy: p.noproxy || [] });
    if (p.username !== undefined) credentials[p.id] = { username: p.username, password: p.password };
  }
  for (const node of flows) {
    if (node.type === 'influxdb-remote' && links[node.id]) Object.assign(node, links[node.id]);
  }
  return { flows, credentials };
}

async function rowOf(red, id) {
  return (await replicationRows(red))[id];
}

/** Waits until the stream has sent everything and VictoriaMetrics holds `count` samples of its metric. */
async function delivered(red, vm, id, count = LINES) {
  await waitFor(async () => (await rowOf(red, id))?.remainingLinesToBeSynced === 0, { timeoutMs: 30000, message: `stream ${id} to drain` });
  const samples = await vm.waitForSamples(`m_${id}_f`, count, { timeoutMs: 15000 });
  assert.strictEqual(samples, count, `${id}: VictoriaMetrics holds ${samples} of ${count} samples`);
}

/** Waits until the stream reports an error matching `pattern`, and checks that it kept every line. */
async function keptWithError(red, vm, id, pattern, posted = LINES) {
  const row = await waitFor(
    async () => {
      const r = await rowOf(red, id);
      return r && pattern.test(r.latestErrorMessage || '') ? r : null;
    },
    { timeoutMs: 30000, message: `stream ${id} to report ${pattern}` },
  );
  // No answer from the remote (status 0): the writer holds the lines and retries with backoff.
  assert.ok(['retrying', 'blocked'].includes(row.state), `${id} is ${row.state}`);
  assert.strictEqual(row.latestResponseCode, 0);
  assert.strictEqual(row.remainingLinesToBeSynced, posted, `${id} keeps its lines`);
  assert.deepStrictEqual(Object.values(row.linesDropped), [0, 0, 0, 0, 0], `${id} drops nothing`);
  assert.strictEqual(await vm.countSamples(`m_${id}_f`), 0, `${id}: nothing reached VictoriaMetrics`);
  return row;
}

describe('remote connections through tls-config and http proxy nodes (real tinyproxy, socat, VictoriaMetrics)', function () {
  this.timeout(120000);
  let vm;
  let pki;
  let terminator;
  let authProxy;
  let bypassProxy;
  let red;
  let queueRoot;

  before(async () => {
    vm = await startVictoriaMetrics();
    pki = makeClientCertPKI({ passphrase: KEY_PASSPHRASE });
    terminator = await startTlsTerminator({ targetPort: vm.port, pki });
    authProxy = await startTinyproxy({ auth: { username: PROXY_USER, password: PROXY_PASSWORD } });
    bypassProxy = await startTinyproxy();
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-queue-'));
    const spec = gatewayFlow({
      remotes: [
        { id: 'r-http-proxy', url: vm.url, token: 'vm-token' },
        { id: 'r-tls-proxy', url: terminator.url, token: 'vm-token' },
        { id: 'r-bypass', url: vm.url, token: 'vm-token' },
        { id: 'r-bad-proxy-pw', url: vm.url, token: 'vm-token' },
        { id: 'r-bad-proxy-pw-tls', url: terminator.url, token: 'vm-token' },
        // Existing-flow CA file plus a tls-config holding only the client certificate: both apply.
        { id: 'r-tls-cert', url: terminator.url, token: 'vm-token', caFile: pki.ca.file },
        { id: 'r-tls-no-cert', url: terminator.url, token: 'vm-token' },
        { id: 'r-tls-other-ca', url: terminator.url, token: 'vm-token' },
      ],
      streams: [
        { id: 'httpproxy', remote: 'r-http-proxy' },
        { id: 'tlsproxy', remote: 'r-tls-proxy' },
        { id: 'bypass', remote: 'r-bypass' },
        { id: 'badproxypw', remote: 'r-bad-proxy-pw' },
        { id: 'badproxypwtls', remote: 'r-bad-proxy-pw-tls' },
        { id: 'tlscert', remote: 'r-tls-cert' },
        { id: 'tlsnocert', remote: 'r-tls-no-cert' },
        { id: 'tlsotherca', remote: 'r-tls-other-ca' },
      ],
    });
    const { flows, credentials } = withConnectionNodes(spec, {
      tlsNodes: [
        { id: 'tls-full', ca: pki.ca.file, cert: pki.clientCert.file, key: pki.clientKey.file },
        { id: 'tls-cert-only', cert: pki.clientCert.file, key: pki.clientKeyEncrypted.file, passphrase: KEY_PASSPHRASE },
        { id: 'tls-ca-only', ca: pki.ca.file },
        { id: 'tls-stranger', ca: pki.ca.file, cert: pki.strangerCert.file, key: pki.strangerKey.file },
      ],
      proxyNodes: [
        { id: 'p-auth', url: authProxy.url, username: PROXY_USER, password: PROXY_PASSWORD },
        { id: 'p-wrong', url: authProxy.url, username: PROXY_USER, password: 'not-the-password' },
        { id: 'p-bypass', url: bypassProxy.url, noproxy: ['example.invalid', '127.0.0.1'] },
      ],
      links: {
        'r-http-proxy': { proxy: 'p-auth' },
        'r-tls-proxy': { proxy: 'p-auth', tls: 'tls-full' },
        'r-bypass': { proxy: 'p-bypass' },
        'r-bad-proxy-pw': { proxy: 'p-wrong' },
        'r-bad-proxy-pw-tls': { proxy: 'p-wrong', tls: 'tls-full' },
        'r-tls-cert': { tls: 'tls-cert-only' },
        'r-tls-no-cert': { tls: 'tls-ca-only' },
        'r-tls-other-ca': { tls: 'tls-stranger' },
      },
    });
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot) });
    await waitFor(async () => Object.keys(await replicationRows(red)).length === 8, { timeoutMs: 20000, message: 'eight streams running' });
    for (const id of ['httpproxy', 'tlsproxy', 'bypass', 'badproxypw', 'badproxypwtls', 'tlscert', 'tlsnocert', 'tlsotherca']) {
      const res = await post(red, id, lines(id).join('\n'));
      assert.strictEqual(res.status, 204, `${id}: ${res.text}`);
    }
  });

  after(async () => {
    if (red) await red.stop();
    for (const server of [authProxy, bypassProxy, terminator, vm]) if (server) await server.stop();
    if (pki) pki.remove();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('sends plain HTTP through the proxy node with its credentials (tinyproxy logs each POST)', async () => {
    await delivered(red, vm, 'httpproxy');
    const forwarded = authProxy.requests(vm.url).filter((line) => line.includes('bucket=bucket'));
    assert.ok(forwarded.length > 0, `tinyproxy log has no POST to ${vm.url}:\n${authProxy.log()}`);
    assert.ok(forwarded.every((line) => / POST /.test(line)));
  });

  it('tunnels an HTTPS remote through the proxy with CONNECT, with the client certificate of the tls-config', async () => {
    await delivered(red, vm, 'tlsproxy');
    assert.ok(authProxy.connects(`127.0.0.1:${terminator.port}`).length > 0, `no CONNECT in tinyproxy's log:\n${authProxy.log()}`);
  });

  it('bypasses the proxy for a host in its no-proxy list', async () => {
    await delivered(red, vm, 'bypass');
    assert.deepStrictEqual(bypassProxy.requests(vm.url), [], 'the no-proxy host went through the proxy');
    assert.deepStrictEqual(bypassProxy.connects(`127.0.0.1:${vm.port}`), []);
  });

  it('a wrong proxy password gives an error naming the proxy, keeps every line, and never shows the password', async () => {
    for (const id of ['badproxypw', 'badproxypwtls']) {
      const row = await keptWithError(red, vm, id, /proxy http:\/\/127\.0\.0\.1:\d+ \(proxy node\) refused the user name and password/);
      assert.ok(!row.latestErrorMessage.includes('not-the-password'));
    }
    // tinyproxy saw the attempts (and answered 401): they reached the proxy, not the remote.
    assert.ok(authProxy.requests(vm.url).length > 0);
    const everything = JSON.stringify(await replicationRows(red)) + red.logs() + fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
    for (const secret of [PROXY_PASSWORD, 'not-the-password', KEY_PASSPHRASE]) assert.ok(!everything.includes(secret), 'a secret leaked');
  });

  it('with the right client certificate (CA file + tls-config with an encrypted key) every line arrives', async () => {
    await delivered(red, vm, 'tlscert');
  });

  it('without a client certificate the stream names "certificate required" and keeps its lines', async () => {
    const row = await keptWithError(red, vm, 'tlsnocert', /certificate required/);
    assert.match(row.latestErrorMessage, /client certificate/);
  });

  it('with a certificate from another CA the stream names "unknown ca" and keeps its lines', async () => {
    await keptWithError(red, vm, 'tlsotherca', /unknown ca/);
  });

  it('Test connection uses the picked tls-config and proxy nodes, and says when one is not deployed', async () => {
    const validate = async (body) => {
      const res = await red.request('POST', '/influxdb-replication/remotes/validate', {
        body: { remoteURL: terminator.url, remoteOrgID: 'org', writeAPI: 'v2', remoteAPIToken: 'vm-token', bucket: 'bucket', ...body },
      });
      assert.strictEqual(res.status, 200, res.text);
      return JSON.parse(res.text);
    };
    const before = authProxy.connects(`127.0.0.1:${terminator.port}`).length;
    const ok = await validate({ tls: 'tls-full', proxy: 'p-auth' });
    assert.strictEqual(ok.ok, true, ok.message);
    assert.ok(authProxy.connects(`127.0.0.1:${terminator.port}`).length > before, 'Test connection did not go through the proxy');
    const noCert = await validate({ tls: 'tls-ca-only' });
    assert.strictEqual(noCert.ok, false);
    assert.match(noCert.message, /certificate required/);
    const wrongPassword = await validate({ tls: 'tls-full', proxy: 'p-wrong' });
    assert.strictEqual(wrongPassword.ok, false);
    assert.match(wrongPassword.message, /refused the user name and password/);
    const missing = await validate({ tls: 'tls-full', proxy: 'no-such-node' });
    assert.strictEqual(missing.ok, false);
    assert.match(missing.message, /proxy configuration node "no-such-node" is not deployed/);
    for (const answer of [ok, noCert, wrongPassword, missing]) assert.ok(!JSON.stringify(answer).includes(PROXY_PASSWORD));
  });
});

describe('remote connections through the proxy environment variables (real tinyproxy)', function () {
  this.timeout(120000);
  let vm;
  let pki;
  let terminator;
  let direct;
  let envProxy;
  let red;
  let queueRoot;

  before(async () => {
    vm = await startVictoriaMetrics();
    pki = makeClientCertPKI();
    terminator = await startTlsTerminator({ targetPort: vm.port, pki });
    // A second port in front of the same VictoriaMetrics, for the no_proxy host.
    direct = await startFaultProxy(vm.port);
    envProxy = await startTinyproxy({ auth: { username: PROXY_USER, password: PROXY_PASSWORD } });
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-env-queue-'));
    const spec = gatewayFlow({
      remotes: [
        { id: 'r-env-http', url: vm.url, token: 'vm-token' },
        { id: 'r-env-https', url: terminator.url, token: 'vm-token' },
        { id: 'r-env-noproxy', url: direct.url, token: 'vm-token' },
      ],
      streams: [
        { id: 'envhttp', remote: 'r-env-http' },
        { id: 'envhttps', remote: 'r-env-https' },
        { id: 'envnoproxy', remote: 'r-env-noproxy' },
      ],
    });
    const { flows, credentials } = withConnectionNodes(spec, {
      tlsNodes: [{ id: 'tls-full', ca: pki.ca.file, cert: pki.clientCert.file, key: pki.clientKey.file }],
      links: { 'r-env-https': { tls: 'tls-full' } },
    });
    const withCredentials = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${envProxy.port}`;
    red = await startNodeRed({
      flows,
      credentials,
      settings: fastWriterSettings(queueRoot),
      // Upper case for one, lower case for the other, as deployments mix them; credentials in the URL.
      env: { HTTP_PROXY: withCredentials, https_proxy: withCredentials, NO_PROXY: `127.0.0.1:${direct.port}` },
    });
    await waitFor(async () => Object.keys(await replicationRows(red)).length === 3, { timeoutMs: 20000, message: 'three streams running' });
    for (const id of ['envhttp', 'envhttps', 'envnoproxy']) {
      const res = await post(red, id, lines(id).join('\n'));
      assert.strictEqual(res.status, 204, `${id}: ${res.text}`);
    }
  });

  after(async () => {
    if (red) await red.stop();
    for (const server of [envProxy, direct, terminator, vm]) if (server) await server.stop();
    if (pki) pki.remove();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('HTTP_PROXY carries plain HTTP and https_proxy tunnels HTTPS, with the credentials from the URL', async () => {
    await delivered(red, vm, 'envhttp');
    await delivered(red, vm, 'envhttps');
    assert.ok(envProxy.requests(vm.url).some((line) => / POST /.test(line)), `no POST in tinyproxy's log:\n${envProxy.log()}`);
    assert.ok(envProxy.connects(`127.0.0.1:${terminator.port}`).length > 0, `no CONNECT in tinyproxy's log:\n${envProxy.log()}`);
  });

  it('NO_PROXY host:port goes direct', async () => {
    await delivered(red, vm, 'envnoproxy');
    assert.deepStrictEqual(envProxy.requests(direct.url), []);
  });

  it('the password from the proxy URL shows nowhere', async () => {
    const everything = JSON.stringify(await replicationRows(red)) + red.logs() + JSON.stringify(await red.getFlows());
    assert.ok(!everything.includes(PROXY_PASSWORD));
  });
});

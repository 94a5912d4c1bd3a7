'use strict';
// The influxdb-remote node with Node-RED's core tls-config and http proxy config nodes: it resolves them,
// reports a missing or broken one as a problem, and counts their secrets among its own.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');

helper.init(require.resolve('node-red'));
const remoteNode = require('../../nodes/influxdb-remote.js');
const tlsNode = require('@node-red/nodes/core/network/05-tls.js');
const proxyNode = require('@node-red/nodes/core/network/06-httpproxy.js');

const TOKEN = 'conn-node-token-41aa';
const PROXY_PASSWORD = 'conn-node-proxy-pass-93';
const PASSPHRASE = 'conn-node-passphrase-7e';

describe('influxdb-remote node with tls-config and http proxy nodes', function () {
  let dir;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-conn-node-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'not a real CA, only read');
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const remote = (more) => ({ id: 'remote', type: 'influxdb-remote', name: 'r', remoteURL: 'https://127.0.0.1:9', remoteOrgID: 'org', writeAPI: 'v2', ...more });
  const tls = (more = {}) => ({ id: 'tls1', type: 'tls-config', name: 't', cert: '', key: '', ca: path.join(dir, 'ca.pem'), verifyservercert: true, ...more });
  const proxy = { id: 'proxy1', type: 'http proxy', name: 'p', url: 'http://127.0.0.1:3128', noproxy: ['db.plant'] };

  it('resolves both nodes and counts the proxy password and key passphrase as secrets', async () => {
    await helper.load([tlsNode, proxyNode, remoteNode], [tls(), proxy, remote({ tls: 'tls1', proxy: 'proxy1' })], {
      remote: { remoteAPIToken: TOKEN },
      tls1: { passphrase: PASSPHRASE },
      proxy1: { username: 'u', password: PROXY_PASSWORD },
    });
    const node = helper.getNode('remote');
    assert.deepStrictEqual(node.problems, []);
    assert.ok(node.getClient());
    const secrets = node.secrets();
    for (const s of [TOKEN, PROXY_PASSWORD, PASSPHRASE]) assert.ok(secrets.includes(s), `secrets() lacks ${s.slice(0, 9)}…`);
  });

  it('names a tls or proxy node that is not there, without any secret', async () => {
    await helper.load([tlsNode, proxyNode, remoteNode], [remote({ tls: 'gone-tls', proxy: 'gone-proxy' })], { remote: { remoteAPIToken: TOKEN } });
    const node = helper.getNode('remote');
    assert.strictEqual(node.problems.length, 2, node.problems.join('; '));
    assert.match(node.problems[0], /TLS configuration node "gone-tls" is not deployed/);
    assert.match(node.problems[1], /proxy configuration node "gone-proxy" is not deployed/);
    assert.throws(() => node.getClient(), /not deployed/);
  });

  it('reports a tls-config that could not load its files as a problem of the remote', async () => {
    await helper.load([tlsNode, proxyNode, remoteNode], [tls({ ca: path.join(dir, 'missing.pem') }), remote({ tls: 'tls1' })], { remote: { remoteAPIToken: TOKEN } });
    assert.match(helper.getNode('remote').problems.join('; '), /TLS configuration node could not load its certificate files/);
  });

  it('keeps working without either (existing flows)', async () => {
    await helper.load([tlsNode, proxyNode, remoteNode], [remote({ allowInsecureTLS: true })], { remote: { remoteAPIToken: TOKEN } });
    const node = helper.getNode('remote');
    assert.deepStrictEqual(node.problems, []);
    assert.ok(node.getClient());
  });
});

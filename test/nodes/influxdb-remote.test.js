'use strict';
// The influxdb-remote config node: validation at start-up, clear errors, a red status on the streams that use a
// broken remote, and no secret in any of it.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { nextMessage } = require('./helpers');

helper.init(require.resolve('node-red'));
const remoteNode = require('../../nodes/influxdb-remote.js');
const replicationNode = require('../../nodes/influxdb-replication.js');

const TOKEN = 'remote-node-token-5d2a9b';
const PASSWORD = 'remote-node-password-77c1';

describe('influxdb-remote node', function () {
  let queueRoot;
  beforeEach(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-node-'));
    helper.settings({ influxdbReplication: { queueDir: queueRoot } });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  function flow(remote) {
    return [
      { id: 'tab', type: 'tab' },
      { id: 'remote', type: 'influxdb-remote', name: 'r', ...remote },
      { id: 'repl', z: 'tab', type: 'influxdb-replication', remote: 'remote', remoteBucketName: 'b', wires: [[], []] },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['repl'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
  }

  /** Every log line written by the runtime during the test, as text. */
  function logText() {
    return helper
      .log()
      .args.map((args) => JSON.stringify(args[0]))
      .join('\n');
  }

  it('accepts a valid v2 remote and keeps the token only in credentials', async () => {
    await helper.load([remoteNode, replicationNode], flow({ remoteURL: 'http://127.0.0.1:9/prefix', remoteOrgID: 'org', writeAPI: 'v2' }), {
      remote: { remoteAPIToken: TOKEN },
    });
    const remote = helper.getNode('remote');
    assert.deepStrictEqual(remote.problems, []);
    assert.strictEqual(remote.remoteSettings.remoteURL, 'http://127.0.0.1:9/prefix');
    assert.strictEqual(remote.remoteSettings.allowInsecureTLS, false);
    assert.ok(remote.getClient());
    assert.ok(!JSON.stringify(remote.remoteSettings).includes(TOKEN));
  });

  for (const [what, remote, creds, pattern] of [
    ['a URL that does not parse', { remoteURL: 'not a url', remoteOrgID: 'o', writeAPI: 'v2' }, { remoteAPIToken: TOKEN }, /not a valid URL/],
    ['a non-http URL', { remoteURL: 'ftp://example.org', remoteOrgID: 'o', writeAPI: 'v2' }, { remoteAPIToken: TOKEN }, /http:\/\/ or https:\/\//],
    ['v2 without an org', { remoteURL: 'http://127.0.0.1:9', remoteOrgID: '', writeAPI: 'v2' }, { remoteAPIToken: TOKEN }, /org ID/],
    ['v2 without a token', { remoteURL: 'http://127.0.0.1:9', remoteOrgID: 'o', writeAPI: 'v2' }, {}, /API token is required/],
    ['v1 with a user but no password', { remoteURL: 'http://127.0.0.1:9', writeAPI: 'v1' }, { username: 'u' }, /username and a password/],
    ['an unknown write API', { remoteURL: 'http://127.0.0.1:9', writeAPI: 'v9' }, { password: PASSWORD }, /write API must be/],
  ]) {
    it(`logs a clear error for ${what}, turns its streams red and crashes nothing`, async () => {
      await helper.load([remoteNode, replicationNode], flow(remote), { remote: creds });
      const node = helper.getNode('remote');
      assert.ok(node.problems.some((p) => pattern.test(p)), node.problems.join('; '));
      assert.match(logText(), pattern);
      const repl = helper.getNode('repl');
      const caught = nextMessage(helper.getNode('caught'));
      repl.receive({ payload: 'm v=1 1' });
      const msg = await caught;
      assert.match(msg.error.message, /remote "r"/);
      assert.match(msg.error.message, pattern);
      const all = logText() + JSON.stringify(msg);
      assert.ok(!all.includes(TOKEN) && !all.includes(PASSWORD), 'a secret reached the log or the error');
    });
  }
});

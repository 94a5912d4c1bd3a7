'use strict';
// The InfluxDB-shaped lists (issue #17, point 5): the shell commands of docs/influxdb-api.md, run exactly as they
// stand with bash and curl against a real Node-RED under adminAuth, create a remote and a stream with one
// POST /flow; the two lists then answer in InfluxDB OSS's shapes, field by field as
// ../shared/notes/remote-targets.md lists them, and never carry the token.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { startNodeRed, PROJECT_ROOT } = require('../harness/node-red');
const { startVictoriaMetrics, waitFor, findBinary } = require('../harness/servers');

const bcrypt = require(require.resolve('bcryptjs', { paths: [path.join(PROJECT_ROOT, 'node_modules', 'node-red')] }));

const DOC = path.join(PROJECT_ROOT, 'docs', 'influxdb-api.md');
const ADMIN = { username: 'admin', password: 'admin-pass-47' };
const REMOTE_TOKEN = 'shell-remote-token-5f1c';

/** InfluxDB OSS's replication fields (the note's list); a gateway adds `RemoteBucketName`, as InfluxDB writes it. */
const REPLICATION_FIELDS = [
  'id', 'orgID', 'name', 'remoteID', 'localBucketID', 'remoteBucketID', 'RemoteBucketName', 'remoteBucketName',
  'maxQueueSizeBytes', 'currentQueueSizeBytes', 'remainingBytesToBeSynced', 'dropNonRetryableData', 'maxAgeSeconds',
];
const REMOTE_FIELDS = ['id', 'orgID', 'name', 'remoteURL', 'remoteOrgID', 'allowInsecureTLS'];

/** The doc's ```sh blocks: the commands a reader copies (log in, create, list). */
function shellBlocks(markdown) {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  assert.strictEqual(blocks.length, 3, 'docs/influxdb-api.md has three sh blocks: log in, create, list');
  return blocks;
}

function runBash(script, env) {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, ...env }, timeout: 30000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the doc's commands failed: ${err.message}\n${stderr}`));
      resolve(stdout);
    });
  });
}

describe('InfluxDB-shaped replication and remote lists, set up from a shell (real Node-RED, curl)', function () {
  this.timeout(60000);
  let red;
  let remote;
  let queueRoot;

  before(async () => {
    if (!findBinary('curl')) throw new Error('curl is not installed (Debian package curl)');
    remote = await startVictoriaMetrics();
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'influxdb-api-shell-'));
    red = await startNodeRed({
      flows: [],
      adminLogin: ADMIN,
      settings: {
        influxdbReplication: { queueDir: queueRoot },
        adminAuth: { type: 'credentials', users: [{ username: ADMIN.username, password: bcrypt.hashSync(ADMIN.password, 8), permissions: '*' }] },
      },
    });
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('creates a remote and a stream with POST /flow and lists them as InfluxDB does, without the token', async () => {
    const env = {
      NODE_RED: red.url,
      NODE_RED_USER: ADMIN.username,
      NODE_RED_PASSWORD: ADMIN.password,
      REMOTE_URL: remote.url,
      REMOTE_ORG_ID: 'plant-7',
      REMOTE_TOKEN,
      REMOTE_BUCKET: 'sensors',
    };
    const [login, create, list] = shellBlocks(fs.readFileSync(DOC, 'utf8'));
    const created = await runBash(login + create, env);
    // As the doc says, the stream is listed once it has opened its queue.
    await waitFor(async () => JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text).length === 1, {
      message: 'the new stream to be deployed',
    });
    // Each bash is a new shell, so the login block runs again before the list block.
    const listed = await runBash(login + list, env);
    const stdout = created + listed;
    assert.ok(!stdout.includes(REMOTE_TOKEN), 'no answer carries the remote token');
    const [added, replicationList, remoteList] = stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.match(added.id, /^[0-9a-f]{16}$/, 'POST /flow answers the new tab id');

    assert.deepStrictEqual(Object.keys(replicationList), ['replications']);
    assert.strictEqual(replicationList.replications.length, 1);
    const [replication] = replicationList.replications;
    assert.deepStrictEqual(Object.keys(replication).sort(), [...REPLICATION_FIELDS].sort(), 'no answer yet: no latestResponseCode');
    assert.strictEqual(replication.id, 'a1b2c3d4e5f60002');
    assert.strictEqual(replication.name, 'sensors to cloud');
    assert.strictEqual(replication.orgID, 'plant-7');
    assert.strictEqual(replication.remoteID, 'a1b2c3d4e5f60001');
    assert.strictEqual(replication.localBucketID, 'a1b2c3d4e5f60002');
    assert.strictEqual(replication.remoteBucketID, null);
    assert.strictEqual(replication.RemoteBucketName, 'sensors');
    assert.strictEqual(replication.remoteBucketName, 'sensors');
    assert.strictEqual(replication.maxQueueSizeBytes, 67108860, "InfluxDB's default max queue size");
    assert.strictEqual(typeof replication.currentQueueSizeBytes, 'number');
    assert.strictEqual(replication.remainingBytesToBeSynced, 0);
    assert.strictEqual(replication.dropNonRetryableData, false);
    assert.strictEqual(typeof replication.maxAgeSeconds, 'number');

    assert.deepStrictEqual(remoteList, {
      remotes: [{ id: 'a1b2c3d4e5f60001', orgID: 'plant-7', name: 'cloud', remoteURL: remote.url, remoteOrgID: 'plant-7', allowInsecureTLS: false }],
    });
    assert.deepStrictEqual(Object.keys(remoteList.remotes[0]).sort(), [...REMOTE_FIELDS].sort());

    // The token went into Node-RED's credentials: the remote is usable (a v2 remote without one lists a problem),
    // and the exported flows do not carry it.
    const ours = JSON.parse((await red.request('GET', '/influxdb-replication/remotes')).text);
    assert.deepStrictEqual(ours.map((r) => r.problems), [[]]);
    const exported = await red.request('GET', '/flows');
    assert.strictEqual(exported.status, 200);
    assert.ok(!exported.text.includes(REMOTE_TOKEN), 'GET /flows does not carry the token');
  });

  it('filters by name and answers an empty wrapped list for no match; refuses without a login', async () => {
    await waitFor(async () => JSON.parse((await red.request('GET', '/influxdb-replication/api/v2/replications')).text).replications.length === 1);
    const none = await red.request('GET', '/influxdb-replication/api/v2/replications?name=nothing');
    assert.deepStrictEqual(JSON.parse(none.text), { replications: [] });
    const byRemote = await red.request('GET', '/influxdb-replication/api/v2/replications?remoteID=a1b2c3d4e5f60001');
    assert.strictEqual(JSON.parse(byRemote.text).replications.length, 1);
    const remotesNone = await red.request('GET', '/influxdb-replication/api/v2/remotes?name=other');
    assert.deepStrictEqual(JSON.parse(remotesNone.text), { remotes: [] });
    const { request } = require('undici');
    for (const route of ['/influxdb-replication/api/v2/replications', '/influxdb-replication/api/v2/remotes']) {
      const anonymous = await request(red.url + route);
      await anonymous.body.text();
      assert.strictEqual(anonymous.statusCode, 401, route);
    }
  });
});

'use strict';
// Example 6 (issue #17, point 6) deployed as it ships into a real Node-RED whose environment names the remote, org,
// token and gateway id: it deploys without an error, the remote gets the token from the environment and every
// line tagged with the gateway's id, and the stream shows on the HTTP node port's /metrics.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { request } = require('undici');
const { startNodeRed, PROJECT_ROOT } = require('../harness/node-red');
const { waitFor } = require('../harness/servers');
const { startCannedServer } = require('../harness/canned-server');

const EXAMPLE = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'examples', '06-fleet-gateway.json'), 'utf8'));
const TOKEN = 'fleet-example-token-77';

describe('example 6, the fleet gateway flow (real Node-RED, environment variables)', function () {
  this.timeout(60000);
  let remote;
  let red;
  let queueRoot;

  before(async () => {
    remote = await startCannedServer(() => ({ status: 204 }));
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-example-'));
    red = await startNodeRed({
      flows: [],
      settings: { influxdbReplication: { queueDir: queueRoot, metrics: { httpNode: true } } },
      env: { FLEET_REMOTE_URL: remote.url, FLEET_REMOTE_ORG: 'plant-org', FLEET_REMOTE_TOKEN: TOKEN, GATEWAY_ID: 'gw 42' },
    });
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('deploys without errors and sends tagged lines with the token from the environment', async () => {
    const logBefore = red.logs().length;
    await red.deploy(EXAMPLE);
    await waitFor(() => remote.requests.some((r) => r.method === 'POST' && r.body.trim()), { timeoutMs: 20000, message: 'a write at the remote' });
    const errors = red.logs().slice(logBefore).split('\n').filter((line) => /\[error\]/.test(line));
    assert.deepStrictEqual(errors, []);
    const write = remote.requests.find((r) => r.method === 'POST' && r.body.trim());
    assert.strictEqual(write.headers.authorization, `Token ${TOKEN}`);
    const url = new URL(write.url, remote.url);
    assert.strictEqual(url.pathname, '/api/v2/write');
    assert.strictEqual(url.searchParams.get('org'), 'plant-org');
    assert.strictEqual(url.searchParams.get('bucket'), 'fleet');
    for (const line of write.body.trim().split('\n')) assert.match(line, /^machine,_instance_id=gw\\ 42,line=1 temperature=/);
    // The token is in the credentials, not in the flows as Node-RED hands them out.
    const flows = await red.request('GET', '/flows');
    assert.ok(!flows.text.includes(TOKEN));
  });

  it('serves the stream on /metrics of the HTTP node port', async () => {
    const stream = EXAMPLE.find((n) => n.type === 'influxdb-replication');
    const res = await request(`${red.url}/metrics`);
    const text = await res.body.text();
    assert.strictEqual(res.statusCode, 200);
    const sent = text.split('\n').find((line) => line.startsWith(`influxdb_replication_lines_sent_total{replicationID="${stream.id}"`));
    assert.ok(sent, 'the example stream is in the metrics');
    assert.match(sent, /name="to the fleet bucket",remoteBucket="fleet"/);
    assert.ok(Number(sent.split(' ').pop()) >= 1);
  });
});

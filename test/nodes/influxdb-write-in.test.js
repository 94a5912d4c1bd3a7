'use strict';
// The influxdb-write-in node in node-red-node-test-helper (no Node-RED process, no server): the message it
// sends for each write API, its refusals, ${VAR} in its tokens, and its routes going away when it stops.
const assert = require('assert');
const zlib = require('zlib');
const helper = require('node-red-node-test-helper');
// supertest comes with node-red-node-test-helper; http() serves the admin app, and the node's routes
// are on the node app (RED.httpNode), which this captures when the node module is loaded.
const supertest = require('supertest');
const { nextMessage } = require('./helpers');

helper.init(require.resolve('node-red'));
const nodeModule = require('../../nodes/influxdb-write-in.js');
let nodeApp;
function writeInNode(RED) {
  nodeApp = RED.httpNode;
  return nodeModule(RED);
}
const http = () => supertest(nodeApp);

const TOKEN = 'write-in-node-token-31f0';

describe('influxdb-write-in node', function () {
  beforeEach(async () => {
    process.env.WRITE_IN_NODE_TOKEN = TOKEN;
    await helper.startServer();
  });
  afterEach(async () => {
    delete process.env.WRITE_IN_NODE_TOKEN;
    await helper.unload();
    await helper.stopServer();
  });

  async function load(props = {}, tokens = '${WRITE_IN_NODE_TOKEN}') {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'in', z: 'tab', type: 'influxdb-write-in', prefix: '/p', noAuth: false, ...props, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ];
    await helper.load(writeInNode, flow, { in: { tokens } });
    return { node: helper.getNode('in'), out: helper.getNode('out') };
  }

  it('sends one message per v2 write: text payload, precision, bucket and org, req and res', async function () {
    const { out } = await load();
    const got = nextMessage(out);
    const pending = http()
      .post('/p/api/v2/write?org=o&bucket=b&precision=ms')
      .set('authorization', `Token ${TOKEN}`)
      .set('content-encoding', 'gzip')
      .set('content-type', 'text/plain')
      .send(zlib.gzipSync('m v=1 1700000000000\nm v=2 1700000000001'));
    const msg = await Promise.race([got, pending.then((res) => assert.fail(`answered ${res.status} before the flow did`))]);
    assert.strictEqual(msg.payload, 'm v=1 1700000000000\nm v=2 1700000000001');
    assert.strictEqual(msg.precision, 'ms');
    assert.strictEqual(msg.bucket, 'b');
    assert.strictEqual(msg.org, 'o');
    assert.ok(msg.req && msg.req.headers, 'msg.req');
    assert.ok(msg.res && msg.res._res, 'msg.res._res, as core http in gives it');
    msg.res._res.status(204).end();
    assert.strictEqual((await pending).status, 204);
  });

  it('v1 /write with u/p: db, rp and the precision h converted to seconds', async function () {
    const { out } = await load();
    const got = nextMessage(out);
    // supertest sends when awaited or then()ed.
    const pending = http().post(`/p/write?db=d&rp=r&precision=h&u=x&p=${TOKEN}`).set('content-type', 'text/plain').send('m v=1 2').then((res) => res);
    const msg = await got;
    assert.deepStrictEqual([msg.payload, msg.precision, msg.db, msg.rp], ['m v=1 7200', 's', 'd', 'r']);
    msg.res._res.status(204).end();
    assert.strictEqual((await pending).status, 204);
  });

  it('refuses a wrong token with 401 and sends nothing; the token is not in the answer', async function () {
    const { out } = await load();
    let sent = 0;
    out.on('input', () => sent++);
    const res = await http().post('/p/api/v3/write_lp?db=d').set('authorization', 'Bearer nope').send('m v=1');
    assert.strictEqual(res.status, 401);
    assert.deepStrictEqual(res.body, { code: 'unauthorized', message: 'unauthorized access' });
    assert.ok(!JSON.stringify(res.headers).includes(TOKEN));
    assert.strictEqual(sent, 0);
  });

  it('without a token refuses every write, with a red status that does not name a token', async function () {
    const { node } = await load({}, '');
    const res = await http().post('/p/api/v2/write?bucket=b').set('authorization', 'Token anything').send('m v=1');
    assert.strictEqual(res.status, 401);
    assert.ok(node.status.calledWithMatch({ fill: 'red', text: 'no token: 401' }), JSON.stringify(node.status.args));
  });

  it('an invalid prefix stops the node with an error naming it, and serves nothing', async function () {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'in', z: 'tab', type: 'influxdb-write-in', prefix: '/:db', noAuth: true, wires: [[]] },
    ];
    await helper.load(writeInNode, flow);
    const node = helper.getNode('in');
    assert.ok(node.error.calledWithMatch(/path prefix "\/:db"/), 'error names the prefix');
    const res = await http().get('/:db/ping');
    assert.strictEqual(res.status, 404);
  });

  it('removes its routes when it stops', async function () {
    await load({ noAuth: true });
    assert.strictEqual((await http().get('/p/ping')).status, 204);
    await helper.unload();
    assert.strictEqual((await http().get('/p/ping')).status, 404);
  });
});

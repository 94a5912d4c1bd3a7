'use strict';
// Issue #19 and issue #14 points 1 and 2: example 2 (the InfluxDB write gateway, built on influxdb-write-in)
// on the oldest and the newest Node-RED the package claims, real processes, real clients, a real InfluxDB 1.6.7
// behind the replication node. Every point written by a client must arrive exactly once with exact values;
// writes without an accepted token must be refused with 401 and queue nothing; the token must not leak.
//
// Before the node existed, example 2 answered every gzip body on Node-RED 3.1 with 400 "incorrect header check":
// `skipBodyParsing` on `http in` exists only from 4.1, so 3.1's raw body parser decoded the gzip bytes as UTF-8
// text (replacing invalid sequences) and the decode function gunzipped a mangled string.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFile } = require('child_process');
const { promisify } = require('util');
const { request } = require('undici');
const { InfluxDB, Point } = require('@influxdata/influxdb-client');
const { startInfluxDB, waitFor, findBinary } = require('../harness/servers');
const { startNodeRed, nodeRedVersion, PROJECT_ROOT } = require('../harness/node-red');

const run = promisify(execFile);
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'examples', '02-influxdb-write-gateway.json'), 'utf8'));
const ENDPOINT_ID = EXAMPLE.find((n) => n.type === 'influxdb-write-in').id;
const REPLICATION_ID = EXAMPLE.find((n) => n.type === 'influxdb-replication').id;
const DB = EXAMPLE.find((n) => n.type === 'influxdb-replication').remoteBucketName;
const TOKEN = 'gw-token-7f3c9e1a5b';
const SECOND_TOKEN = 'gw-second-token-20d4';
const WRONG_TOKEN = 'gw-wrong-token-c8e2a6';
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
// Timestamps in whole seconds an hour ago, one per point, so that no two points of a test overwrite each other.
const BASE_S = Math.floor(Date.now() / 1000) - 3600;

/** Example 2 as a user deploys it: its remote pointed at `remoteURL`, plus `extra` nodes on its tab. */
function exampleFlow(remoteURL, { extra = [], replication = {} } = {}) {
  const tab = EXAMPLE.find((n) => n.type === 'tab').id;
  const flows = EXAMPLE.map((n) => {
    if (n.type === 'influxdb-remote') return { ...n, remoteURL };
    if (n.type === 'influxdb-replication') return { ...n, ...replication };
    return n;
  });
  return [...flows, ...extra.map((n) => ({ z: tab, ...n }))];
}

/** A second endpoint with a small size limit under /small, wired to the same replication node. */
const SMALL_ENDPOINT = { id: 'small-in', type: 'influxdb-write-in', name: 'small', prefix: '/small', maxBodyBytes: 1000, noAuth: false, wires: [[REPLICATION_ID]] };

/** Rows of `SELECT * FROM measurement` (epoch ns) as objects, sorted by time. */
async function rows(influx, measurement) {
  const url = `${influx.url}/query?db=${DB}&epoch=ns&q=${encodeURIComponent(`SELECT * FROM "${measurement}"`)}`;
  const res = await request(url);
  const parsed = JSON.parse(await res.body.text());
  const series = (parsed.results[0] && parsed.results[0].series) || [];
  const out = [];
  for (const s of series) for (const v of s.values) out.push(Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
  return out.sort((a, b) => a.time - b.time);
}

async function waitForRows(influx, measurement, count) {
  let got = [];
  await waitFor(
    async () => {
      got = await rows(influx, measurement);
      // InfluxDB 1.6 can answer a query while a point's fields are still being stored one by one (a field read
      // as null): such a point is not there yet.
      return got.length >= count && got.every((row) => Object.values(row).every((value) => value !== null));
    },
    { timeoutMs: 20000, intervalMs: 200, message: `${count} points of ${measurement} in InfluxDB` },
  );
  return got;
}

/** Points of the form `${m},src=S v=I.5,n=Ii,s="text I",b=true T`: the values tell each point apart. */
function lines(measurement, count, { offset = 0, src = 'x' } = {}) {
  const out = [];
  for (let i = offset; i < offset + count; i++) out.push(`${measurement},src=${src} v=${i}.5,n=${i}i,s="text ${i}",b=${i % 2 === 0} ${BASE_S + i}`);
  return out;
}

function expectExact(got, measurement, count, { offset = 0, src = 'x' } = {}) {
  assert.strictEqual(got.length, count, `${measurement}: ${got.length} points, expected ${count}`);
  got.forEach((row, k) => {
    const i = offset + k;
    assert.deepStrictEqual(row, { time: (BASE_S + i) * 1e9, src, v: i + 0.5, n: i, s: `text ${i}`, b: i % 2 === 0 }, `${measurement} point ${i}`);
  });
}

async function post(red, urlPath, body, headers = {}) {
  const res = await request(`${red.url}${urlPath}`, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** Deploys and waits until the new flows have started (POST /flows answers before that). */
async function deploy(red, flows) {
  const from = red.logs().length;
  await red.deploy(flows);
  await waitFor(() => /\[info\] Started flows/.test(red.logs().slice(from)), { timeoutMs: 20000, message: 'the flows to start after a deploy' });
}

/** Lines the replication node has queued so far (its row appears once its queue is open). */
async function queuedLines(red) {
  let row;
  await waitFor(
    async () => {
      const res = await red.request('GET', '/influxdb-replication/replications');
      row = JSON.parse(res.text).find((r) => r.id === REPLICATION_ID);
      return row !== undefined;
    },
    { timeoutMs: 20000, message: 'the replication node to list its stream' },
  );
  return row.linesQueued;
}

for (const line of ['3', '4']) {
  describe(`example 2 on influxdb-write-in, Node-RED ${nodeRedVersion(line)} (real clients, real InfluxDB 1.6.7)`, function () {
    this.timeout(120000);
    let influx;
    let red;
    // Each Node-RED line writes its own measurements, so the two runs cannot mask each other.
    const m = (name) => `wi${line}_${name}`;

    before(async () => {
      influx = await startInfluxDB();
      await influx.createDatabase(DB);
      red = await startNodeRed({
        nodeRed: line,
        flows: exampleFlow(influx.url, { extra: [SMALL_ENDPOINT] }),
        // ${VAR} in the credential: the node resolves it (Node-RED substitutes env vars in properties only).
        credentials: { [ENDPOINT_ID]: { tokens: `\${GW_TOKEN}, ${SECOND_TOKEN}` }, [SMALL_ENDPOINT.id]: { tokens: TOKEN } },
        env: { GW_TOKEN: TOKEN },
        settings: { influxdbReplication: { writer: { initialBackoffMs: 100, maxBackoffMs: 500, requestTimeoutMs: 5000 } } },
      });
    });
    after(async () => {
      if (red) await red.stop();
      if (influx) await influx.stop();
    });

    it('@influxdata/influxdb-client WriteApi (gzip, token): every point once, exact values', async () => {
      const queuedBefore = await queuedLines(red);
      const api = new InfluxDB({ url: red.url, token: TOKEN }).getWriteApi('any-org', DB, 's', { gzipThreshold: 0, maxRetries: 0, batchSize: 20 });
      for (let i = 0; i < 50; i++) {
        api.writePoint(new Point(m('jsclient')).tag('src', 'x').floatField('v', i + 0.5).intField('n', i).stringField('s', `text ${i}`).booleanField('b', i % 2 === 0).timestamp(BASE_S + i));
      }
      await api.close();
      expectExact(await waitForRows(influx, m('jsclient'), 50), m('jsclient'), 50);
      // Once: the replication node queued exactly the points sent (InfluxDB would hide a duplicate by overwriting).
      assert.strictEqual((await queuedLines(red)) - queuedBefore, 50);
    });

    it('curl: gzip and plain bodies to /api/v2/write, /write and /api/v3/write_lp', async () => {
      const curl = findBinary('curl');
      assert.ok(curl, 'curl is needed');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-in-curl-'));
      const queuedBefore = await queuedLines(red);
      try {
        const cases = [
          // curl --data-binary sends Content-Type application/x-www-form-urlencoded, which Node-RED's admin app
          // (on the same root) would parse away before any node route: the endpoint must still get the lines.
          { name: 'v2plain', url: `/api/v2/write?org=o&bucket=${DB}&precision=s`, args: ['-H', `Authorization: Token ${TOKEN}`] },
          { name: 'v2gzip', url: `/api/v2/write?org=o&bucket=${DB}&precision=s`, args: ['-H', `Authorization: Bearer ${SECOND_TOKEN}`], gzip: true },
          { name: 'v1plain', url: `/write?db=${DB}&precision=s&u=any&p=${TOKEN}`, args: [] },
          { name: 'v1gzip', url: `/write?db=${DB}&precision=s`, args: ['-u', `any:${TOKEN}`], gzip: true },
          { name: 'v3plain', url: `/api/v3/write_lp?db=${DB}&precision=second`, args: ['-H', `Authorization: Bearer ${TOKEN}`] },
          // precision=auto (v3's default): seconds are recognised by their magnitude.
          { name: 'v3gzip', url: `/api/v3/write_lp?db=${DB}`, args: ['-H', `Authorization: Token ${TOKEN}`], gzip: true },
        ];
        for (const c of cases) {
          const file = path.join(dir, c.name);
          const body = lines(m(c.name), 20).join('\n') + '\n';
          fs.writeFileSync(file, c.gzip ? zlib.gzipSync(body) : body);
          const headers = c.gzip ? ['-H', 'Content-Encoding: gzip'] : [];
          const { stdout } = await run(curl, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...c.args, ...headers, '--data-binary', `@${file}`, `${red.url}${c.url}`]);
          assert.strictEqual(stdout, '204', `${c.name}: curl got ${stdout}`);
        }
        for (const c of cases) expectExact(await waitForRows(influx, m(c.name), 20), m(c.name), 20);
        assert.strictEqual((await queuedLines(red)) - queuedBefore, 20 * cases.length);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    // The 1.6.7 CLI asks GET /ping (twice) and then POSTs /write?db=..&rp=&precision=.. with Basic auth.
    it('the influx 1.x CLI: -import with -username/-password', async () => {
      const influxCli = findBinary('influx');
      assert.ok(influxCli, 'the influx CLI (Debian influxdb-client) is needed');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-in-cli-'));
      const queuedBefore = await queuedLines(red);
      try {
        const file = path.join(dir, 'import.txt');
        fs.writeFileSync(file, ['# DML', `# CONTEXT-DATABASE: ${DB}`, ...lines(m('cli'), 30), ''].join('\n'));
        const { stdout, stderr } = await run(influxCli, ['-import', '-path', file, '-precision', 's', '-username', 'any', '-password', TOKEN, '-host', '127.0.0.1', '-port', String(red.port)]);
        assert.match(stdout + stderr, /Processed 30 inserts/);
        assert.match(stdout + stderr, /Failed 0 inserts/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      expectExact(await waitForRows(influx, m('cli'), 30), m('cli'), 30);
      assert.strictEqual((await queuedLines(red)) - queuedBefore, 30);
    });

    it("Python's influxdb client (python3-influxdb): ping, then write_points", async () => {
      const script = [
        'import sys',
        'from influxdb import InfluxDBClient',
        `c = InfluxDBClient(host='127.0.0.1', port=${red.port}, username='any', password=sys.argv[1], database='${DB}')`,
        'print("version", c.ping())',
        `points = [{"measurement": "${m('python')}", "tags": {"src": "x"}, "time": ${BASE_S} + i,`,
        '           "fields": {"v": i + 0.5, "n": i, "s": "text %d" % i, "b": i % 2 == 0}} for i in range(25)]',
        "print('written', c.write_points(points, time_precision='s'))",
      ].join('\n');
      const queuedBefore = await queuedLines(red);
      const { stdout } = await run(PYTHON, ['-c', script, TOKEN]);
      assert.match(stdout, /^version 2\.7\.0-node-red$/m);
      assert.match(stdout, /^written True$/m);
      expectExact(await waitForRows(influx, m('python'), 25), m('python'), 25);
      assert.strictEqual((await queuedLines(red)) - queuedBefore, 25);
    });

    it('a wrong or missing token: 401 with InfluxDB\'s body, nothing queued, the tokens nowhere', async () => {
      const before = await queuedLines(red);
      const body = lines(m('refused'), 3).join('\n');
      const attempts = [
        post(red, `/api/v2/write?bucket=${DB}`, body),
        post(red, `/api/v2/write?bucket=${DB}`, body, { authorization: `Token ${WRONG_TOKEN}` }),
        post(red, `/api/v3/write_lp?db=${DB}`, body, { authorization: `Bearer ${WRONG_TOKEN}` }),
        post(red, `/write?db=${DB}&u=any&p=${WRONG_TOKEN}`, body),
        post(red, `/write?db=${DB}`, body, { authorization: `Basic ${Buffer.from(`any:${WRONG_TOKEN}`).toString('base64')}` }),
        // A token of another node does not open this one: the small endpoint's token is TOKEN only.
        post(red, `/small/api/v2/write?bucket=${DB}`, body, { authorization: `Token ${SECOND_TOKEN}` }),
      ];
      for (const res of await Promise.all(attempts)) {
        assert.strictEqual(res.status, 401, res.text);
        assert.deepStrictEqual(JSON.parse(res.text), { code: 'unauthorized', message: 'unauthorized access' });
      }
      assert.deepStrictEqual(await queuedLines(red), before, 'a refused write queued something');
      assert.deepStrictEqual(await rows(influx, m('refused')), []);
      const flows = await red.getFlows();
      const exported = JSON.stringify(flows);
      const onDisk = fs.readdirSync(red.userDir).filter((f) => f.endsWith('.json')).map((f) => fs.readFileSync(path.join(red.userDir, f), 'utf8')).join('\n');
      for (const secret of [TOKEN, SECOND_TOKEN, WRONG_TOKEN]) {
        assert.ok(!red.logs().includes(secret), 'a token is in the log');
        assert.ok(!exported.includes(secret), 'a token is in GET /flows');
        assert.ok(!onDisk.includes(secret), 'a token is in a flow file in clear');
      }
    });

    it('GET /ping (204, version headers) and GET /health (200 JSON), without a token', async () => {
      const ping = await request(`${red.url}/ping`);
      await ping.body.dump();
      assert.strictEqual(ping.statusCode, 204);
      assert.strictEqual(ping.headers['x-influxdb-version'], '2.7.0-node-red');
      assert.ok(ping.headers['x-influxdb-build']);
      const health = await request(`${red.url}/health`);
      assert.strictEqual(health.statusCode, 200);
      const json = JSON.parse(await health.body.text());
      assert.strictEqual(json.status, 'pass');
      assert.strictEqual(json.name, 'influxdb');
    });

    it('415 for another encoding, 400 for a body that is not gzip, 413 over the size limit, 400 for a missing bucket', async () => {
      const auth = { authorization: `Token ${TOKEN}` };
      const body = lines(m('bad'), 2).join('\n');
      const br = await post(red, `/api/v2/write?bucket=${DB}`, body, { ...auth, 'content-encoding': 'br' });
      assert.strictEqual(br.status, 415, br.text);
      assert.strictEqual(JSON.parse(br.text).code, 'unsupported media type');
      const notGzip = await post(red, `/api/v2/write?bucket=${DB}`, body, { ...auth, 'content-encoding': 'gzip' });
      assert.strictEqual(notGzip.status, 400, notGzip.text);
      assert.match(JSON.parse(notGzip.text).message, /not valid gzip/);
      const big = lines(m('big'), 40).join('\n');
      const tooLarge = await post(red, `/small/api/v2/write?bucket=${DB}`, big, auth);
      assert.strictEqual(tooLarge.status, 413, tooLarge.text);
      // The limit holds for the inflated text too: a small gzip body of a large text is refused.
      const bomb = await post(red, `/small/api/v2/write?bucket=${DB}`, zlib.gzipSync(big), { ...auth, 'content-encoding': 'gzip' });
      assert.strictEqual(bomb.status, 413, bomb.text);
      const noBucket = await post(red, '/api/v2/write', body, auth);
      assert.strictEqual(noBucket.status, 400);
      assert.match(JSON.parse(noBucket.text).message, /bucket is required/);
      assert.deepStrictEqual(await rows(influx, m('bad')), []);
      assert.deepStrictEqual(await rows(influx, m('big')), []);
    });

    it('malformed lines: 400 with InfluxDB\'s JSON error body from the Catch node, the good lines still queued', async () => {
      const res = await post(red, `/api/v2/write?bucket=${DB}&precision=s`, `${lines(m('mixed'), 1)[0]}\nthis is not line protocol`, { authorization: `Token ${TOKEN}` });
      assert.strictEqual(res.status, 400, res.text);
      const json = JSON.parse(res.text);
      assert.strictEqual(json.code, 'invalid');
      assert.match(json.message, /line 2/);
      expectExact(await waitForRows(influx, m('mixed'), 1), m('mixed'), 1);
    });

    it('redeploying does not stack routes; a full queue is answered 503 with Retry-After', async () => {
      // Deploy twice: a closed node's route left behind would take the request and never answer it.
      await deploy(red, exampleFlow(influx.url, { extra: [SMALL_ENDPOINT] }).map((n) => (n.id === ENDPOINT_ID ? { ...n, credentials: { tokens: TOKEN } } : n)));
      await deploy(red, exampleFlow(influx.url, { extra: [SMALL_ENDPOINT], replication: { maxQueueSizeBytes: 33554430, onQueueFull: 'reject' } }));
      const after = await post(red, `/api/v2/write?bucket=${DB}&precision=s`, lines(m('redeploy'), 5).join('\n'), { authorization: `Token ${TOKEN}` });
      assert.strictEqual(after.status, 204, after.text);
      expectExact(await waitForRows(influx, m('redeploy'), 5), m('redeploy'), 5);
      const smallPing = await request(`${red.url}/small/ping`);
      await smallPing.body.dump();
      assert.strictEqual(smallPing.statusCode, 204);
      // One request bigger than the whole queue: refused as queue full. The endpoint's limit (25 MB) counts the
      // gzip body as sent, and the inflated text here is 34 MB, so raise it for this one node.
      await deploy(red, 
        exampleFlow(influx.url, { replication: { maxQueueSizeBytes: 33554430, onQueueFull: 'reject' } }).map((n) => (n.id === ENDPOINT_ID ? { ...n, maxBodyBytes: 64000000 } : n)),
      );
      // That deploy left out the small endpoint: its routes went with it.
      const gone = await request(`${red.url}/small/ping`);
      await gone.body.dump();
      assert.strictEqual(gone.statusCode, 404);
      const line = `${m('full')},src=x v=1 `;
      const huge = Array.from({ length: 1_100_000 }, (_, i) => `${line}${BASE_S + i}`).join('\n');
      const full = await post(red, `/api/v2/write?bucket=${DB}&precision=s`, zlib.gzipSync(huge), { authorization: `Token ${TOKEN}`, 'content-encoding': 'gzip' });
      assert.strictEqual(full.status, 503, full.text.slice(0, 300));
      assert.ok(Number(full.headers['retry-after']) > 0, 'Retry-After is set');
      assert.strictEqual(JSON.parse(full.text).code, 'unavailable');
    });
  });
}

describe('influxdb-write-in without a token (Node-RED 4.1)', function () {
  this.timeout(60000);
  let red;
  after(async () => {
    if (red) await red.stop();
  });

  it('refuses every write with 401 and says so in its status until a token is set or "no authentication" is ticked', async () => {
    const flows = [
      { id: 't', type: 'tab', label: 'no token' },
      // The status node and its recorder come first: nodes start in flow order, and the endpoints set their
      // status as they start.
      { id: 'st', z: 't', type: 'status', scope: ['closed', 'open'], wires: [['rec']] },
      { id: 'rec', z: 't', type: 'function', func: "const l = global.get('st') || []; l.push(msg.status.source.id + ':' + msg.status.text); global.set('st', l); return null;", outputs: 1, wires: [[]] },
      { id: 'closed', z: 't', type: 'influxdb-write-in', name: 'closed', prefix: '/closed', noAuth: false, wires: [['ok']] },
      { id: 'open', z: 't', type: 'influxdb-write-in', name: 'open', prefix: '/open', noAuth: true, wires: [['ok']] },
      { id: 'ok', z: 't', type: 'http response', statusCode: '204', headers: {}, wires: [] },
      { id: 'q', z: 't', type: 'http in', url: '/statuses', method: 'get', upload: false, swaggerDoc: '', wires: [['qf']] },
      { id: 'qf', z: 't', type: 'function', func: "msg.payload = global.get('st') || []; return msg;", outputs: 1, wires: [['qr']] },
      { id: 'qr', z: 't', type: 'http response', statusCode: '200', headers: {}, wires: [] },
    ];
    red = await startNodeRed({ flows });
    const closed = await post(red, '/closed/api/v2/write?bucket=b', 'm v=1');
    assert.strictEqual(closed.status, 401);
    const closedHealth = await request(`${red.url}/closed/health`);
    assert.strictEqual(closedHealth.statusCode, 503);
    assert.strictEqual(JSON.parse(await closedHealth.body.text()).status, 'fail');
    const open = await post(red, '/open/api/v2/write?bucket=b', 'm v=1');
    assert.strictEqual(open.status, 204);
    const statuses = JSON.parse((await red.request('GET', '/statuses')).text);
    assert.ok(statuses.includes('closed:no token: 401'), JSON.stringify(statuses));
    assert.ok(statuses.includes('open:no auth'), JSON.stringify(statuses));
  });
});

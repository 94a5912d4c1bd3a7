'use strict';
// Issue #2 end to end: the write requests that lib/remote builds are accepted by real servers, the data
// arrives exactly once per point, and wrong credentials get a 401 the writer can explain.
//   InfluxDB 1.6.7  — the v1 write API (`/write?db=&rp=`), without auth and with Basic auth.
//   VictoriaMetrics — the v2 write API (`/api/v2/write`) without auth; with auth it only knows Basic, and
//                     buildWriteRequest sends only `Authorization: Token` for v2, so a VictoriaMetrics
//                     behind auth is reached through the v1 API with a user name and password.

const assert = require('assert');
const { Agent, request } = require('undici');
const { buildWriteRequest } = require('../../nodes/lib/remote');
const { startInfluxDB, startVictoriaMetrics } = require('../harness/servers');

const POINTS = 300;

/** `count` lines of one measurement with two fields, spread over 3 series, every timestamp distinct. */
function makeLines(measurement, count, precision = 'ms') {
  // Recent enough for a 1h retention policy, old enough to be before "now" whatever the clock does.
  const baseMs = Date.now() - 30 * 60 * 1000;
  const scale = { ms: 1n, us: 1000n, ns: 1000000n, s: null }[precision];
  const lines = [];
  for (let k = 0; k < count; k++) {
    const ms = BigInt(baseMs + k * 1000);
    const ts = scale === null ? (BigInt(baseMs) / 1000n + BigInt(k)).toString() : (ms * scale).toString();
    lines.push(`${measurement},host=edge-${k % 3},site=plant\\ 1 usage=${k}.25,ticks=${k}i ${ts}`);
  }
  return lines.join('\n') + '\n';
}

function v1Settings(url) {
  return { remoteURL: url, remoteOrgID: '', writeAPI: 'v1', allowInsecureTLS: false };
}

function v2Settings(url) {
  return { remoteURL: url, remoteOrgID: 'edge-org', writeAPI: 'v2', allowInsecureTLS: false };
}

describe('remote write requests against real servers (issue #2)', function () {
  this.timeout(20000);
  let agent;

  before(function () {
    agent = new Agent({ keepAliveTimeout: 1000 });
  });
  after(async function () {
    if (agent) await agent.close();
  });

  /** Sends line protocol the way the writer will: URL and headers from buildWriteRequest, body as is. */
  async function write(settings, credentials, bucket, precision, body) {
    const req = buildWriteRequest(settings, credentials, bucket, precision);
    const res = await request(req.url, {
      method: 'POST',
      headers: { ...req.headers, 'content-type': 'text/plain; charset=utf-8' },
      body,
      dispatcher: agent,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  describe('InfluxDB 1.6.7 without auth (v1 write API)', function () {
    let influx;
    before(async function () {
      influx = await startInfluxDB();
      await influx.createDatabase('telemetry', { rp: 'edge' });
    });
    after(async function () {
      if (influx) await influx.stop();
    });

    it('writes every point to db/rp', async function () {
      const res = await write(v1Settings(influx.url), {}, 'telemetry/edge', 'ms', makeLines('cpu', POINTS));
      assert.strictEqual(res.status, 204, res.text);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'cpu'), POINTS);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'cpu', { field: 'ticks' }), POINTS);
    });

    it('writes to the default retention policy when the bucket names only the database', async function () {
      const res = await write(v1Settings(influx.url), {}, 'telemetry', 'ns', makeLines('mem', POINTS, 'ns'));
      assert.strictEqual(res.status, 204, res.text);
      assert.strictEqual(await influx.countPoints('telemetry', 'autogen', 'mem'), POINTS);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'mem'), 0);
    });

    it('answers 404 with a message naming the database when it does not exist', async function () {
      const res = await write(v1Settings(influx.url), {}, 'nosuchdb', 'ms', makeLines('cpu', 3));
      assert.strictEqual(res.status, 404);
      assert.match(JSON.parse(res.text).error, /database not found: "nosuchdb"/);
    });
  });

  describe('InfluxDB 1.6.7 with auth (v1 write API, Basic credentials)', function () {
    let influx;
    before(async function () {
      influx = await startInfluxDB({ auth: true });
      await influx.createDatabase('telemetry', { rp: 'edge' });
      await influx.createUser('writer', 'writer-pass', { grantWriteOn: 'telemetry' });
      await influx.createUser('reader', 'reader-pass');
    });
    after(async function () {
      if (influx) await influx.stop();
    });

    it('writes every point with the right user and password', async function () {
      const res = await write(v1Settings(influx.url), { username: 'writer', password: 'writer-pass' }, 'telemetry/edge', 's', makeLines('cpu', POINTS, 's'));
      assert.strictEqual(res.status, 204, res.text);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'cpu'), POINTS);
    });

    it('gets 401 "authorization failed" for a wrong password, and stores nothing', async function () {
      const res = await write(v1Settings(influx.url), { username: 'writer', password: 'wrong' }, 'telemetry/edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 401);
      assert.match(res.headers['content-type'], /application\/json/);
      assert.deepStrictEqual(JSON.parse(res.text), { error: 'authorization failed' });
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'denied'), 0);
    });

    it('gets 401 without credentials', async function () {
      const res = await write(v1Settings(influx.url), {}, 'telemetry/edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 401);
      assert.match(JSON.parse(res.text).error, /authentication credentials/);
    });

    it('gets 404 "page not found" for the v2 write API, which InfluxDB 1.6 does not have', async function () {
      const res = await write(v2Settings(influx.url), { remoteAPIToken: 'writer:writer-pass' }, 'telemetry/edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 404);
      assert.match(res.text, /404 page not found/);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'denied'), 0);
    });

    it('gets 403 naming the user and database when the user has no write grant', async function () {
      const res = await write(v1Settings(influx.url), { username: 'reader', password: 'reader-pass' }, 'telemetry/edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 403);
      assert.strictEqual(JSON.parse(res.text).error, '"reader" user is not authorized to write to database "telemetry"');
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'denied'), 0);
    });
  });

  describe('InfluxDB 1.6.7 with a small max-body-size', function () {
    let influx;
    before(async function () {
      influx = await startInfluxDB({ maxBodySize: 4096 });
      await influx.createDatabase('telemetry', { rp: 'edge' });
    });
    after(async function () {
      if (influx) await influx.stop();
    });

    it('answers 413 "Request Entity Too Large" for a batch over the limit and accepts one under it', async function () {
      const big = makeLines('cpu', POINTS);
      assert.ok(Buffer.byteLength(big) > 4096);
      const tooBig = await write(v1Settings(influx.url), {}, 'telemetry/edge', 'ms', big);
      assert.strictEqual(tooBig.status, 413);
      assert.deepStrictEqual(JSON.parse(tooBig.text), { error: 'Request Entity Too Large' });
      const small = makeLines('cpu', 20);
      assert.ok(Buffer.byteLength(small) < 4096);
      const ok = await write(v1Settings(influx.url), {}, 'telemetry/edge', 'ms', small);
      assert.strictEqual(ok.status, 204, ok.text);
      assert.strictEqual(await influx.countPoints('telemetry', 'edge', 'cpu'), 20);
    });
  });

  describe('VictoriaMetrics without auth (v2 write API)', function () {
    let vm;
    before(async function () {
      vm = await startVictoriaMetrics();
    });
    after(async function () {
      if (vm) await vm.stop();
    });

    it('writes every point through /api/v2/write', async function () {
      const req = buildWriteRequest(v2Settings(vm.url), { remoteAPIToken: 'ignored-by-vm' }, 'edge-bucket', 'ms');
      assert.strictEqual(new URL(req.url).pathname, '/api/v2/write');
      const res = await write(v2Settings(vm.url), { remoteAPIToken: 'ignored-by-vm' }, 'edge-bucket', 'ms', makeLines('cpu', POINTS));
      assert.strictEqual(res.status, 204, res.text);
      // Each field is its own metric in VictoriaMetrics: both must hold every point.
      assert.strictEqual(await vm.waitForSamples('cpu_usage', POINTS), POINTS);
      assert.strictEqual(await vm.waitForSamples('cpu_ticks', POINTS), POINTS);
      const series = await vm.exportSamples('cpu_usage');
      assert.deepStrictEqual(series.map((s) => s.labels.host).sort(), ['edge-0', 'edge-1', 'edge-2']);
      assert.ok(series.every((s) => s.labels.site === 'plant 1'), JSON.stringify(series.map((s) => s.labels)));
      const timestamps = new Set(series.flatMap((s) => s.timestamps));
      assert.strictEqual(timestamps.size, POINTS);
    });
  });

  describe('VictoriaMetrics with Basic auth (v1 write API)', function () {
    let vm;
    before(async function () {
      vm = await startVictoriaMetrics({ username: 'vm-writer', password: 'vm-pass' });
    });
    after(async function () {
      if (vm) await vm.stop();
    });

    it('writes every point through /write with the user and password', async function () {
      const res = await write(v1Settings(vm.url), { username: 'vm-writer', password: 'vm-pass' }, 'edge', 'ms', makeLines('cpu', POINTS));
      assert.strictEqual(res.status, 204, res.text);
      assert.strictEqual(await vm.waitForSamples('cpu_usage', POINTS), POINTS);
    });

    it('gets 401 with a Basic challenge (and no body text) for a wrong password, and stores nothing', async function () {
      const res = await write(v1Settings(vm.url), { username: 'vm-writer', password: 'wrong' }, 'edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 401);
      // VictoriaMetrics explains nothing in the body: the writer must word the 401 itself.
      assert.strictEqual(res.text.trim(), '');
      assert.strictEqual(res.headers['www-authenticate'], 'Basic realm="VictoriaMetrics"');
      assert.strictEqual(await vm.countSamples('denied_usage'), 0);
    });

    it('gets 401 for the v2 Token header, since its auth is Basic only', async function () {
      const req = buildWriteRequest(v2Settings(vm.url), { remoteAPIToken: 'vm-pass', username: 'vm-writer', password: 'vm-pass' }, 'edge', 'ms');
      assert.match(req.headers.authorization, /^Token /);
      const res = await write(v2Settings(vm.url), { remoteAPIToken: 'vm-pass', username: 'vm-writer', password: 'vm-pass' }, 'edge', 'ms', makeLines('denied', 10));
      assert.strictEqual(res.status, 401);
    });
  });
});

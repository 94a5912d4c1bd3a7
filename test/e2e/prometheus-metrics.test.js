'use strict';
// Prometheus metrics (issue #17, point 1): a real Prometheus (Debian package) scrapes a real Node-RED on the admin
// API with the admin's token as bearer token, and on the HTTP node port behind httpNodeAuth with Basic auth; the
// scraped series match the replication list stream by stream. Without credentials both routes refuse.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { request } = require('undici');
const { startNodeRed, PROJECT_ROOT } = require('../harness/node-red');
const { startVictoriaMetrics, waitFor } = require('../harness/servers');
const { startPrometheus } = require('../harness/prometheus');

const bcrypt = require(require.resolve('bcryptjs', { paths: [path.join(PROJECT_ROOT, 'node_modules', 'node-red')] }));

const ADMIN = { username: 'admin', password: 'admin-pass-83' };
const SCRAPER = { user: 'scraper', pass: 'scrape-pass-19' };
const STREAMS = [
  { id: 'prom0000000000a1', name: 'to vm "a"', bucket: 'bucket-a', lines: 40 },
  { id: 'prom0000000000b2', name: 'paused b', bucket: 'bucket-b', lines: 25 },
];

function flows(remoteURL) {
  const nodes = [
    { id: 'promtab000000001', type: 'tab', label: 'metrics' },
    { id: 'promremote000001', type: 'influxdb-remote', name: 'vm', remoteURL, remoteOrgID: 'org', writeAPI: 'v2' },
  ];
  STREAMS.forEach((s, i) => {
    const payload = Array.from({ length: s.lines }, (_, n) => `prom_test,stream=${i} v=${n} ${1700000000000000000 + n}`).join('\n');
    nodes.push(
      { id: `promin${i}000000000`, z: 'promtab000000001', type: 'inject', name: `lines ${i}`, props: [{ p: 'payload' }], payload, payloadType: 'str', repeat: '', once: false, wires: [[s.id]] },
      { id: s.id, z: 'promtab000000001', type: 'influxdb-replication', name: s.name, remote: 'promremote000001', remoteBucketName: s.bucket, wires: [[], []] },
    );
  });
  return nodes;
}

describe('Prometheus scrapes the metrics (real prometheus, real Node-RED)', function () {
  this.timeout(90000);
  let vm;
  let red;
  let prometheus;
  let queueRoot;
  let adminToken;

  before(async function () {
    vm = await startVictoriaMetrics();
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-metrics-'));
    red = await startNodeRed({
      flows: flows(vm.url),
      credentials: { promremote000001: { remoteAPIToken: 'unused-by-vm' } },
      adminLogin: ADMIN,
      settings: {
        influxdbReplication: { queueDir: queueRoot, metrics: { httpNode: true, path: '/gateway-metrics' } },
        adminAuth: { type: 'credentials', users: [{ username: ADMIN.username, password: bcrypt.hashSync(ADMIN.password, 8), permissions: '*' }] },
        httpNodeAuth: { user: SCRAPER.user, pass: bcrypt.hashSync(SCRAPER.pass, 8) },
      },
    });
    const login = await red.request('POST', '/auth/token', {
      body: { client_id: 'node-red-admin', grant_type: 'password', scope: 'read', username: ADMIN.username, password: ADMIN.password },
    });
    adminToken = JSON.parse(login.text).access_token;
    assert.ok(adminToken);

    // Stream b is paused first, so it keeps its lines queued: its remaining figures are not zero.
    assert.strictEqual((await red.request('POST', `/influxdb-replication/replications/${STREAMS[1].id}/pause`)).status, 200);
    for (let i = 0; i < STREAMS.length; i++) assert.strictEqual((await red.request('POST', `/inject/promin${i}000000000`)).status, 200);
    await waitFor(
      async () => {
        const rows = JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text);
        const [a, b] = STREAMS.map((s) => rows.find((r) => r.id === s.id));
        return a.linesSent === STREAMS[0].lines && a.remainingLinesToBeSynced === 0 && b.remainingLinesToBeSynced === STREAMS[1].lines;
      },
      { timeoutMs: 20000, message: 'stream a delivered, stream b queued' },
    );

    const target = `127.0.0.1:${red.port}`;
    prometheus = await startPrometheus({
      jobs: [
        { job_name: 'admin', targets: [target], metrics_path: '/influxdb-replication/metrics', authorization: { type: 'Bearer', credentials: adminToken } },
        { job_name: 'node', targets: [target], metrics_path: '/gateway-metrics', basic_auth: { username: SCRAPER.user, password: SCRAPER.pass } },
        { job_name: 'admin-anonymous', targets: [target], metrics_path: '/influxdb-replication/metrics' },
        { job_name: 'node-anonymous', targets: [target], metrics_path: '/gateway-metrics' },
      ],
    });
  });

  after(async function () {
    if (prometheus) await prometheus.stop();
    if (red) await red.stop();
    if (vm) await vm.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('scrapes both routes with their auth, and neither without it', async function () {
    const health = await waitFor(
      async () => {
        const targets = await prometheus.targets();
        return targets.length === 4 && targets.every((t) => t.health !== 'unknown') ? targets : null;
      },
      { timeoutMs: 20000, message: 'every target scraped once' },
    );
    const byJob = Object.fromEntries(health.map((t) => [t.job, t]));
    assert.strictEqual(byJob.admin.health, 'up', byJob.admin.lastError);
    assert.strictEqual(byJob.node.health, 'up', byJob.node.lastError);
    assert.strictEqual(byJob['admin-anonymous'].health, 'down');
    assert.match(byJob['admin-anonymous'].lastError, /401/);
    assert.strictEqual(byJob['node-anonymous'].health, 'down');
    assert.match(byJob['node-anonymous'].lastError, /401/);
  });

  for (const job of ['admin', 'node']) {
    it(`the series scraped on the ${job} route match the replication list`, async function () {
      const fromPrometheus = async (metric, extra = '') => {
        const result = await prometheus.query(`${metric}{job="${job}"${extra}}`);
        return Object.fromEntries(result.map((r) => [r.metric.replicationID, r]));
      };
      // Figures move until the queue files settle; compare until a scrape and the list agree.
      let mismatch = '';
      await waitFor(
        async () => {
          const rows = JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text);
          const checks = [
            ['replications_queue_total_points_queued', (r) => r.linesQueued],
            ['replications_queue_current_bytes_queued', (r) => r.currentQueueSizeBytes],
            ['influxdb_replication_remaining_bytes', (r) => r.remainingBytesToBeSynced],
            ['influxdb_replication_remaining_lines', (r) => r.remainingLinesToBeSynced],
            ['influxdb_replication_lines_sent_total', (r) => r.linesSent],
            ['influxdb_replication_max_queue_size_bytes', (r) => r.maxQueueSizeBytes],
          ];
          for (const [metric, pick] of checks) {
            const series = await fromPrometheus(metric);
            for (const row of rows) {
              const s = series[row.id];
              if (!s) return !(mismatch = `${metric}: no series for ${row.id}`);
              if (s.value !== pick(row)) return !(mismatch = `${metric} ${row.id}: scraped ${s.value}, list ${pick(row)}`);
              if (s.metric.name !== row.name || s.metric.remoteBucket !== row.remoteBucketName || s.metric.id !== row.id) {
                return !(mismatch = `${metric} ${row.id}: labels ${JSON.stringify(s.metric)}`);
              }
            }
          }
          const states = await fromPrometheus('influxdb_replication_state', ',state!=""');
          const current = await prometheus.query(`influxdb_replication_state{job="${job}"} == 1`);
          for (const row of rows) {
            const on = current.filter((r) => r.metric.replicationID === row.id);
            if (on.length !== 1 || on[0].metric.state !== row.state) return !(mismatch = `state of ${row.id}: ${JSON.stringify(on)} vs ${row.state}`);
          }
          return Object.keys(states).length === rows.length;
        },
        { timeoutMs: 20000, intervalMs: 500, message: `scraped series to match the list (${job})` },
      ).catch((err) => {
        throw new Error(`${err.message}: ${mismatch}`);
      });
      const sentBytes = await fromPrometheus('replications_queue_remote_write_bytes_sent');
      assert.ok(sentBytes[STREAMS[0].id].value > 0, 'stream a sent bytes');
      assert.strictEqual(sentBytes[STREAMS[1].id].value, 0, 'stream b (paused) sent nothing');
      const paused = await prometheus.query(`influxdb_replication_state{job="${job}",state="paused"}`);
      assert.deepStrictEqual(paused.filter((r) => r.value === 1).map((r) => r.metric.replicationID), [STREAMS[1].id]);
    });
  }

  it('answers the text format with the content type Prometheus expects', async function () {
    const res = await request(`${red.url}/gateway-metrics`, { headers: { authorization: `Basic ${Buffer.from(`${SCRAPER.user}:${SCRAPER.pass}`).toString('base64')}` } });
    const text = await res.body.text();
    assert.strictEqual(res.statusCode, 200);
    assert.match(res.headers['content-type'], /^text\/plain;/);
    assert.match(res.headers['content-type'], /version=0\.0\.4/);
    assert.match(text, /^# HELP replications_queue_total_points_queued /m);
    assert.match(text, /name="to vm \\"a\\""/);
  });
});

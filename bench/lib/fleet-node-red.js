'use strict';
// A gateway of the fleet simulation that is a real Node-RED process running the package's nodes: an influxdb-remote
// with the fleet options (rate limit, recovery jitter) and a replication stream fed by an inject + function pair
// that writes while the bench says so (POST /fleet/write). Its figures come from the admin API's list.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startNodeRed } = require('../../test/harness/node-red');

function flows({ id, proxyURL, rateLimit, jitterS, linesPerTick, tickMs, maxBatchBytes }) {
  const tab = 'fleetredtab00001';
  const fn = `if (!flow.get('on')) return null;
let seq = flow.get('seq') || 0;
const lines = [];
for (let i = 0; i < ${linesPerTick}; i++, seq++) lines.push('fleet,gw=' + env.get('FLEET_GW') + ',run=' + env.get('FLEET_RUN') + ' v=' + seq + 'i ' + (Number(env.get('FLEET_BASE_MS')) + seq) + '000000');
flow.set('seq', seq);
msg.payload = lines;
return msg;`;
  return [
    { id: tab, type: 'tab', label: 'fleet gateway' },
    { id: 'fleetredhttp0001', z: tab, type: 'http in', url: '/fleet/write', method: 'post', wires: [['fleetredswitch01']] },
    { id: 'fleetredswitch01', z: tab, type: 'function', name: 'on/off', func: "flow.set('on', msg.payload.on === true); msg.payload = { seq: flow.get('seq') || 0 }; return msg;", outputs: 1, wires: [['fleetredanswer01']] },
    { id: 'fleetredanswer01', z: tab, type: 'http response', statusCode: '200', wires: [] },
    { id: 'fleetredtick0001', z: tab, type: 'inject', name: 'tick', props: [{ p: 'payload' }], repeat: String(tickMs / 1000), once: true, onceDelay: '0.1', payload: '', payloadType: 'date', wires: [['fleetredlines001']] },
    { id: 'fleetredlines001', z: tab, type: 'function', name: 'lines', func: fn, outputs: 1, wires: [['fleetredstream01']] },
    { id: 'fleetredstream01', z: tab, type: 'influxdb-replication', name: `stream ${id}`, remote: 'fleetredremote01', remoteBucketName: id, maxBatchBytes, gzip: true, wires: [[], []] },
    {
      id: 'fleetredremote01',
      type: 'influxdb-remote',
      name: `remote of ${id}`,
      remoteURL: proxyURL,
      remoteOrgID: 'fleet',
      writeAPI: 'v2',
      rateLimitBytes: rateLimit ? String(rateLimit.bytes) : '0',
      rateLimitPeriodSeconds: rateLimit ? String(rateLimit.periodMs / 1000) : '300',
      recoveryJitterSeconds: String(jitterS),
    },
  ];
}

async function startNodeRedGateway(options) {
  const queueDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-red-'));
  const red = await startNodeRed({
    flows: flows(options),
    credentials: { fleetredremote01: { remoteAPIToken: 'fleet-bench' } },
    env: { FLEET_GW: options.id, FLEET_RUN: options.run, FLEET_BASE_MS: String(options.baseMs) },
    settings: {
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      influxdbReplication: { queueDir, writer: options.writer },
    },
  });
  let polling = true;
  const poll = (async () => {
    while (polling) {
      try {
        const rows = JSON.parse((await red.request('GET', '/influxdb-replication/replications')).text);
        const row = rows[0];
        if (row) {
          options.onStatus({ id: options.id, at: Date.now(), enqueued: row.linesQueued, refused: 0, remainingLines: row.remainingLinesToBeSynced, remainingBytes: row.remainingBytesToBeSynced });
        }
      } catch {
        // Node-RED busy or stopping: the next poll tells
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    id: options.id,
    async write(on) {
      const res = await red.request('POST', '/fleet/write', { body: { on } });
      if (res.status !== 200) throw new Error(`Node-RED gateway ${options.id}: /fleet/write answered ${res.status}`);
    },
    async close() {
      polling = false;
      await poll;
      await red.stop();
      fs.rmSync(queueDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startNodeRedGateway };

'use strict';
// The flows the benchmark deploys. Every contender sits in the same frame:
//
//   http in (POST /ingest) -> [contender] ...complete(contender) -> clear payload -> http response 204
//                                         ...catch(contender)    -> error text    -> http response 500
//
// so the generator's answer is the contender's own done()/done(err). Every flow also holds the same frame
// around bench-counter at POST /ceiling (Node-RED's own ceiling), which pays for exactly the same nodes.
const TAB = 'bench-tab';
const TOKEN = 'bench-token';
const ORG = 'bench';
const BUCKET = 'bench';

function node(id, type, props, wires = []) {
  return { id, type, z: TAB, x: 100, y: 100, wires, ...props };
}

function frame(targetId, targetNodes, extraNodes = [], { url = '/ingest', prefix = '' } = {}) {
  // The answer carries no payload back (a 500 kB echo would cost both sides), only the error's text.
  const clear = (id, next, to, tot) => node(id, 'change', { rules: [{ t: 'set', p: 'payload', pt: 'msg', to, tot }], action: '', property: '' }, [[next]]);
  const id = (name) => prefix + name;
  return [
    node(id('in-ingest'), 'http in', { url, method: 'post', upload: false, swaggerDoc: '' }, [[targetId]]),
    ...targetNodes,
    ...extraNodes,
    node(id('on-complete'), 'complete', { scope: [targetId], uncaught: false }, [[id('clear-ok')]]),
    node(id('on-error'), 'catch', { scope: [targetId], uncaught: false }, [[id('clear-err')]]),
    clear(id('clear-ok'), id('resp-ok'), '', 'str'),
    clear(id('clear-err'), id('resp-err'), 'error.message', 'msg'),
    node(id('resp-ok'), 'http response', { statusCode: '204', headers: {} }),
    node(id('resp-err'), 'http response', { statusCode: '500', headers: {} }),
  ];
}

/**
 * Every flow also holds Node-RED's ceiling at POST /ceiling: the same frame around bench-counter, a node that
 * only counts lines. Measured in the same process right before each contender run, the ratio stays fair on a
 * machine whose load changes during the run.
 */
function withCeiling(nodes) {
  const counter = node('ceil-target', 'bench-counter', { name: 'ceiling' });
  return [{ id: TAB, type: 'tab', label: 'bench' }, ...nodes, ...frame('ceil-target', [counter], [], { url: '/ceiling', prefix: 'ceil-' })];
}

/**
 * Only the ceilings: Node-RED's at POST /ceiling, and the durable counter at POST /durable, which completes each
 * message only after its payload's fdatasync (bench/nodes/bench-counter): what any node pays for answering once
 * the data is on disk, with nothing else of this package's work.
 */
function counterFlow() {
  const durable = node('durable-target', 'bench-counter', { name: 'durable', durable: true });
  return { flows: [...withCeiling([]), ...frame('durable-target', [durable], [], { url: '/durable', prefix: 'durable-' })], credentials: {} };
}

/**
 * This package. A second endpoint, POST /control with {"control": "pause"|"resume"|...}, moves the JSON
 * body's `control` into msg.control (a change node, no function) so the runner can pause the writer.
 */
function replicationFlow(remoteURL, { gzip, maxQueueSizeBytes }) {
  const target = node('target', 'influxdb-replication', {
    name: 'bench',
    remote: 'remote1',
    remoteBucketName: BUCKET,
    remoteBucketID: '',
    precision: 'ms',
    gzip,
    maxQueueSizeBytes: String(maxQueueSizeBytes),
    maxAgeSeconds: '0',
    dropNonRetryableData: false,
    onQueueFull: 'reject',
    maxBatchBytes: '500000',
  }, [[], []]);
  const remote = { id: 'remote1', type: 'influxdb-remote', name: 'vm', remoteURL, remoteOrgID: ORG, writeAPI: 'v2', allowInsecureTLS: false };
  const control = [
    node('in-control', 'http in', { url: '/control', method: 'post', upload: false, swaggerDoc: '' }, [['to-control']]),
    node('to-control', 'change', { rules: [{ t: 'move', p: 'payload.control', pt: 'msg', to: 'control', tot: 'msg' }], action: '', property: '' }, [['target']]),
  ];
  return { flows: [...withCeiling(frame('target', [target], control)), remote], credentials: { remote1: { remoteAPIToken: TOKEN } } };
}

/**
 * This package's endpoint node in front of the same replication node: the replication flow with
 * influxdb-write-in (POST /api/v2/write, token checked, body read by the node) instead of `http in` POST /ingest.
 * Everything else (Complete -> 204, Catch -> error, the control endpoint, the ceiling) is the same nodes.
 */
function writeInFlow(remoteURL, options) {
  const { flows, credentials } = replicationFlow(remoteURL, options);
  const swapped = flows.map((n) =>
    n.id === 'in-ingest' ? node('in-ingest', 'influxdb-write-in', { name: 'bench', prefix: '', maxBodyBytes: 25000000, noAuth: false }, n.wires) : n,
  );
  return { flows: swapped, credentials: { ...credentials, 'in-ingest': { tokens: TOKEN } } };
}

/** Where the generator posts for writeInFlow, and the header it sends. */
const WRITE_IN_PATH = `/api/v2/write?org=${ORG}&bucket=${BUCKET}&precision=ms`;
const WRITE_IN_HEADERS = { authorization: `Token ${TOKEN}` };

/** node-red-contrib-influxdb 0.7 `influxdb batch` on its InfluxDB 2.0 config (influxdb-client WriteApi, flush per message). */
function contribBatchFlow(remoteURL) {
  const config = { id: 'influx1', type: 'influxdb', name: 'vm', influxdbVersion: '2.0', url: remoteURL, timeout: '10', rejectUnauthorized: false };
  const target = node('target', 'influxdb batch', { name: 'bench', influxdb: 'influx1', precisionV18FluxV20: 'ms', org: ORG, bucket: BUCKET });
  return { flows: [...withCeiling(frame('target', [target])), config], credentials: { influx1: { token: TOKEN } } };
}

/** A custom node around influxdb-client's WriteApi (bench/nodes/influxdb-client-writer). */
function clientWriterFlow(remoteURL, { gzip }) {
  const target = node('target', 'influxdb-client-writer', {
    name: 'bench',
    url: remoteURL,
    org: ORG,
    bucket: BUCKET,
    precision: 'ms',
    gzip,
    batchSize: 1000,
    flushInterval: 1000,
  });
  return { flows: withCeiling(frame('target', [target])), credentials: { target: { token: TOKEN } } };
}

module.exports = { counterFlow, replicationFlow, writeInFlow, WRITE_IN_PATH, WRITE_IN_HEADERS, contribBatchFlow, clientWriterFlow, TOKEN, ORG, BUCKET };

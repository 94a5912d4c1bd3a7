'use strict';
// Flows for the reliability suite. Each stream is a gateway:
//   http in POST /ingest/<id> -> influxdb-replication -> Complete -> http response 204
//                                                     -> Catch    -> http response 400 (the error's message)
// and everything a flow can see of the node (status texts, output messages, caught errors) is recorded in
// global context and served by GET /observed, so a test can check what a user's flow would have received.

const OBSERVED_LIMIT = 2000;
// A message as text with a long payload cut (dropped lines can be megabytes): the fields around it are what a
// secrets check needs, and keeping megabytes per message in context would measure the recorder, not the node.
const BOUNDED_TEXT =
  "JSON.stringify(Object.assign({}, msg, typeof msg.payload === 'string' && msg.payload.length > 4096 ? { payload: msg.payload.slice(0, 4096) + '...(' + msg.payload.length + ' chars)' } : {}))";

/** Function-node code that appends `expr` to the global list `name` (bounded). */
function recorder(name, expr) {
  return [
    `const list = global.get(${JSON.stringify(name)}) || [];`,
    `list.push(${expr});`,
    `if (list.length > ${OBSERVED_LIMIT}) list.splice(0, list.length - ${OBSERVED_LIMIT});`,
    `global.set(${JSON.stringify(name)}, list);`,
  ].join('\n');
}

/**
 * remotes: [{ id, url, writeAPI = 'v2', org = 'org', allowInsecureTLS, caFile, token, username, password, name }]
 * streams: [{ id, remote, bucket = 'bucket', ...node properties (maxBatchBytes, onQueueFull, ...) }]
 * Returns { flows, credentials }: credentials keyed by node id, for startNodeRed({ credentials });
 * with `inlineCredentials` they are also put on the nodes, as a deploy through the admin API wants them.
 */
function gatewayFlow({ remotes, streams, inlineCredentials = false, tab = 'rel' }) {
  const flows = [{ id: tab, type: 'tab', label: 'reliability' }];
  const credentials = {};
  for (const r of remotes) {
    const creds = {};
    if (r.token !== undefined) creds.remoteAPIToken = r.token;
    if (r.username !== undefined) creds.username = r.username;
    if (r.password !== undefined) creds.password = r.password;
    const node = {
      id: r.id,
      type: 'influxdb-remote',
      // Not the id itself: Node-RED takes any property equal to a config node's id for a reference (a cycle here).
      name: r.name || `remote ${r.id}`,
      remoteURL: r.url,
      remoteOrgID: r.writeAPI === 'v1' ? '' : r.org || 'org',
      writeAPI: r.writeAPI || 'v2',
      allowInsecureTLS: r.allowInsecureTLS === true,
      caFile: r.caFile || '',
    };
    if (inlineCredentials) node.credentials = creds;
    credentials[r.id] = creds;
    flows.push(node);
  }
  for (const s of streams) {
    const { id, remote, bucket = 'bucket', ...props } = s;
    flows.push(
      { id: `${id}-in`, z: tab, type: 'http in', url: `/ingest/${id}`, method: 'post', upload: false, swaggerDoc: '', wires: [[id]] },
      { id, z: tab, type: 'influxdb-replication', name: id, remote, remoteBucketName: bucket, ...props, wires: [[`${id}-out1`], [`${id}-out2`]] },
      { id: `${id}-complete`, z: tab, type: 'complete', scope: [id], uncaught: false, wires: [[`${id}-ok`]] },
      { id: `${id}-ok`, z: tab, type: 'http response', statusCode: '204', headers: {}, wires: [] },
      { id: `${id}-catch`, z: tab, type: 'catch', scope: [id], uncaught: false, wires: [[`${id}-why`]] },
      {
        id: `${id}-why`,
        z: tab,
        type: 'function',
        name: 'record error, answer 400',
        func: `${recorder('errors', `{ stream: ${JSON.stringify(id)}, message: String(msg.error && msg.error.message) }`)}\nif (!msg.res) return null;\nmsg.payload = String(msg.error && msg.error.message);\nreturn msg;`,
        outputs: 1,
        wires: [[`${id}-bad`]],
      },
      { id: `${id}-bad`, z: tab, type: 'http response', statusCode: '400', headers: {}, wires: [] },
      { id: `${id}-status`, z: tab, type: 'status', scope: [id], wires: [[`${id}-status-rec`]] },
      {
        id: `${id}-status-rec`,
        z: tab,
        type: 'function',
        name: 'record status',
        func: `${recorder('status', `{ stream: ${JSON.stringify(id)}, at: Date.now(), fill: msg.status.fill, shape: msg.status.shape, text: msg.status.text }`)}\nreturn null;`,
        outputs: 1,
        wires: [[]],
      },
      {
        id: `${id}-out1`,
        z: tab,
        type: 'function',
        name: 'record output 1',
        func: `${recorder('output1', `{ stream: ${JSON.stringify(id)}, text: ${BOUNDED_TEXT} }`)}\nreturn null;`,
        outputs: 1,
        wires: [[]],
      },
      {
        id: `${id}-out2`,
        z: tab,
        type: 'function',
        name: 'record output 2 (dropped)',
        func: `${recorder('output2', `{ stream: ${JSON.stringify(id)}, reason: msg.reason, lineCount: msg.lineCount, payloadLines: typeof msg.payload === 'string' && msg.payload ? msg.payload.split('\\n').length : 0, text: ${BOUNDED_TEXT} }`)}\nreturn null;`,
        outputs: 1,
        wires: [[]],
      },
    );
  }
  flows.push(
    { id: 'observed-in', z: tab, type: 'http in', url: '/observed', method: 'get', upload: false, swaggerDoc: '', wires: [['observed-read']] },
    {
      id: 'observed-read',
      z: tab,
      type: 'function',
      name: 'observed',
      func: "msg.payload = { status: global.get('status') || [], errors: global.get('errors') || [], output1: global.get('output1') || [], output2: global.get('output2') || [] };\nreturn msg;",
      outputs: 1,
      wires: [['observed-out']],
    },
    { id: 'observed-out', z: tab, type: 'http response', statusCode: '200', headers: {}, wires: [] },
  );
  return { flows, credentials };
}

/** Test-speed writer settings: short backoffs and timeouts, so outages and faults resolve in seconds. */
function fastWriterSettings(queueDir, writer = {}) {
  return { influxdbReplication: { queueDir, writer: { initialBackoffMs: 50, maxBackoffMs: 500, requestTimeoutMs: 2000, ...writer } } };
}

/** GET /influxdb-replication/replications as an object keyed by stream id. */
async function replicationRows(red) {
  const res = await red.request('GET', '/influxdb-replication/replications');
  if (res.status !== 200) throw new Error(`GET /influxdb-replication/replications answered ${res.status}: ${res.text}`);
  const rows = JSON.parse(res.text);
  return Object.fromEntries(rows.map((row) => [row.id, row]));
}

/** What the flow recorded (see gatewayFlow). */
async function observed(red) {
  const res = await red.request('GET', '/observed');
  if (res.status !== 200) throw new Error(`GET /observed answered ${res.status}: ${res.text}`);
  return JSON.parse(res.text);
}

/** POSTs a body to a stream's endpoint; resolves { status, text } (status 0 on a connection error). */
async function post(red, streamId, body, { contentType = 'text/plain' } = {}) {
  try {
    const res = await red.request('POST', `/ingest/${streamId}`, { body, headers: { 'content-type': contentType } });
    return res;
  } catch (err) {
    return { status: 0, text: err.code || err.message };
  }
}

module.exports = { gatewayFlow, fastWriterSettings, replicationRows, observed, post };

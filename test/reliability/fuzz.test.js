'use strict';
// Issue #8, bad input: at least 100,000 generated payloads (random bytes, almost-valid lines, huge lines, deep
// unicode, wrong types, null, nested objects) through the node's input stage in-process, then a sample through a
// real Node-RED gateway flow to a real HTTP remote. No crash, no hang, every refusal a clear error, every valid
// line accepted (and, through Node-RED, delivered).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { preparePayload } = require('../../nodes/lib/line-protocol');
const { waitFor } = require('../harness/servers');
const { startNodeRed } = require('../harness/node-red');
const { FuzzPayloads, unclearReason } = require('./lib/fuzz-payloads');
const { checkCase } = require('./lib/fuzz-check');
const { createRandom, seedFromEnv } = require('./lib/random');
const { startScriptedRemote } = require('./lib/scripted-remote');
const { gatewayFlow, fastWriterSettings, replicationRows, post } = require('./lib/gateway-flow');

const IN_PROCESS_CASES = 100_000;
const NODE_RED_CASES = 1_000;

describe('reliability: fuzzing the input stage with 100,000 generated payloads (in-process)', function () {
  this.timeout(180000);
  const seed = seedFromEnv();

  it('never throws, refuses with clear errors, and accepts every valid line', () => {
    const fuzz = new FuzzPayloads(createRandom(seed));
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const problems = [];
    const kinds = {};
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < IN_PROCESS_CASES; i++) {
      const c = fuzz.next();
      kinds[c.kind] = (kinds[c.kind] || 0) + 1;
      let out;
      try {
        out = preparePayload(c.payload, { precision: 'ns', nowNs });
      } catch (err) {
        problems.push(`case ${i} (${c.kind}) threw ${err && err.stack}`);
        continue;
      }
      accepted += out.lines.length;
      refused += out.errors.length;
      for (const p of checkCase(c, out)) problems.push(`case ${i}: ${p}`);
      if (problems.length > 20) break;
    }
    console.log(`      fuzz (seed ${seed}): ${IN_PROCESS_CASES} payloads ${JSON.stringify(kinds)}; ${accepted} lines accepted, ${refused} refused`);
    assert.deepStrictEqual(problems, [], `seed ${seed}`);
    assert.ok(accepted > 100_000 && refused > 50_000, 'the fuzz exercised both paths');
  });
});

describe('reliability: fuzzing a real Node-RED gateway flow', function () {
  this.timeout(180000);
  const seed = seedFromEnv();
  let remote;
  let red;
  let queueRoot;

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-queue-'));
    remote = await startScriptedRemote();
    const { flows, credentials } = gatewayFlow({ remotes: [{ id: 'r', url: remote.url, token: 'fuzz-token' }], streams: [{ id: 'fuzz', remote: 'r' }] });
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot) });
    await waitFor(async () => (await replicationRows(red)).fuzz, { timeoutMs: 20000, message: 'the stream to open' });
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it(`answers ${NODE_RED_CASES} generated payloads with 204 or a clear 400, never crashing, and delivers every valid line`, async () => {
    const fuzz = new FuzzPayloads(createRandom(seed + 1), { allowHuge: true });
    const pid = red.pid;
    const expectedMs = new Set();
    const problems = [];
    const answers = {};
    for (let i = 0; i < NODE_RED_CASES && problems.length < 10; i++) {
      const c = fuzz.next();
      // Over HTTP a payload is text (text/plain), or JSON (application/json: objects, arrays, null, numbers...).
      let body;
      let contentType;
      if (Buffer.isBuffer(c.payload)) {
        body = c.payload.toString('latin1');
        contentType = 'text/plain';
      } else if (typeof c.payload === 'string') {
        body = c.payload;
        contentType = 'text/plain';
      } else {
        // Node-RED's JSON body parser is strict: a bare null, number or boolean never reaches a flow over HTTP
        // (those are covered in-process above).
        if (c.payload === null || typeof c.payload !== 'object') continue;
        const json = JSON.stringify(c.payload, (k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
        if (json === undefined) continue;
        body = json;
        contentType = 'application/json';
      }
      // Only the lines that are valid by construction are promised; JSON turns Buffers into strings (still valid).
      const res = await post(red, 'fuzz', body, { contentType });
      answers[res.status] = (answers[res.status] || 0) + 1;
      if (res.status === 204) {
        // fine
      } else if (res.status === 400) {
        const why = unclearReason(res.text.replace(/^Error: /, ''));
        if (why) problems.push(`case ${i} (${c.kind}): unclear answer: ${why}`);
      } else {
        problems.push(`case ${i} (${c.kind}): answered ${res.status} ${res.text.slice(0, 200)}`);
      }
      if (contentType === 'text/plain' && typeof c.payload === 'string') for (const ms of c.validMs) expectedMs.add(ms);
      else if (contentType === 'application/json') for (const ms of c.validMs) expectedMs.add(ms);
    }
    assert.deepStrictEqual(problems, [], `seed ${seed + 1}`);
    assert.strictEqual(red.pid, pid, 'Node-RED did not restart');
    assert.ok(answers[204] > 0 && answers[400] > 0, JSON.stringify(answers));

    const row = await waitFor(
      async () => {
        const r = (await replicationRows(red)).fuzz;
        return r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
      },
      { timeoutMs: 60000, message: 'every accepted line to be delivered' },
    );
    const arrived = new Set();
    for (const line of remote.accepted()) if (line.startsWith('fuzzok')) arrived.add(Number(line.slice(line.lastIndexOf(' ') + 1, -6)));
    const missing = [...expectedMs].filter((ms) => !arrived.has(ms));
    console.log(`      fuzz through Node-RED (seed ${seed + 1}): answers ${JSON.stringify(answers)}, ${expectedMs.size} valid lines, ${arrived.size} arrived`);
    assert.deepStrictEqual(missing.slice(0, 10), [], `${missing.length} valid lines did not arrive`);
    assert.deepStrictEqual(Object.values(row.linesDropped), [0, 0, 0, 0, 0]);
  });
});

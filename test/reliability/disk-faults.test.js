'use strict';
// Issue #8, disk faults, with a real Node-RED:
//   - the queue folder on a 2 MiB tmpfs fills up while the remote is down: the flow gets a clear error through
//     Catch, the node keeps running, nothing already queued is corrupted or lost, and once the backlog has drained
//     the gateway accepts data again;
//   - between two runs a segment file is damaged (a flipped byte inside one record) and truncated (a torn last
//     record): on restart the damaged record is skipped and reported, the torn tail is cut, and every other record
//     is delivered in order.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { waitFor } = require('../harness/servers');
const { startFaultProxy } = require('../harness/fault-proxy');
const { startNodeRed } = require('../harness/node-red');
const { startScriptedRemote } = require('./lib/scripted-remote');
const { mountSmallFilesystem } = require('./lib/tmpfs');
const { gatewayFlow, fastWriterSettings, replicationRows, observed, post } = require('./lib/gateway-flow');

const BASE_MS = Date.now() - 3600_000;

function requestLines(tag, request, count) {
  return Array.from({ length: count }, (_, i) => `disk,stream=${tag},req=r${request} v=${request * 1000 + i}i ${(BASE_MS + request * 1000 + i) * 1e6}`);
}

describe('reliability: queue folder on a full 2 MiB filesystem (real Node-RED)', function () {
  this.timeout(120000);
  let fsMount;
  let remote;
  let proxy;
  let red;
  const acknowledged = [];
  let refusal;
  let pid;

  before(async () => {
    fsMount = mountSmallFilesystem(2 * 1024 * 1024);
    remote = await startScriptedRemote();
    proxy = await startFaultProxy(remote.port, { mode: 'refuse' });
    const { flows, credentials } = gatewayFlow({ remotes: [{ id: 'r', url: proxy.url, token: 'disk-token' }], streams: [{ id: 'full', remote: 'r' }] });
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(fsMount.dir) });
    pid = red.pid;
    await waitFor(async () => (await replicationRows(red)).full, { timeoutMs: 20000, message: 'the stream to open' });
  });

  after(async () => {
    if (red) await red.stop();
    if (proxy) await proxy.stop();
    if (remote) await remote.stop();
    if (fsMount) fsMount.unmount();
  });

  it('answers the append that does not fit with a clear "no space" error through Catch, and keeps running', async () => {
    // About 5.5 kB per request: 2 MiB is full after a few hundred.
    for (let request = 0; request < 1000 && !refusal; request++) {
      const lines = requestLines('full', request, 60);
      const res = await post(red, 'full', lines.join('\n'));
      if (res.status === 204) acknowledged.push(...lines);
      else refusal = res;
    }
    assert.ok(refusal, 'the filesystem filled up');
    assert.strictEqual(refusal.status, 400, refusal.text);
    assert.match(refusal.text, /ENOSPC|no space left/i);
    assert.ok(acknowledged.length > 1000, `only ${acknowledged.length} lines fit`);
    // The same error reached the Catch node; the node and the process are still alive and answering.
    const { errors } = await observed(red);
    assert.ok(errors.some((e) => /ENOSPC|no space left/i.test(e.message)), JSON.stringify(errors.slice(-3)));
    const again = await post(red, 'full', requestLines('full', 5000, 60).join('\n'));
    assert.strictEqual(again.status, 400, 'still refused while the disk is full, not hung or crashed');
    assert.strictEqual(red.pid, pid);
    const row = (await replicationRows(red)).full;
    assert.strictEqual(row.remainingLinesToBeSynced, acknowledged.length, 'everything acknowledged is still queued');
  });

  it('delivers everything queued before the disk filled up, uncorrupted, once the remote returns', async () => {
    await proxy.setMode('pass');
    const row = await waitFor(
      async () => {
        const r = (await replicationRows(red)).full;
        return r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
      },
      { timeoutMs: 30000, message: 'the backlog to drain from the full disk' },
    );
    const got = new Set(remote.accepted());
    const missing = acknowledged.filter((l) => !got.has(l));
    const missingRequests = [...new Set(missing.map((l) => /req=(r\d+)/.exec(l)[1]))];
    assert.strictEqual(
      missing.length,
      0,
      `${missing.length} of ${acknowledged.length} acknowledged lines missing, from ${missingRequests.length} requests ` +
        `(${missingRequests[0]} .. ${missingRequests[missingRequests.length - 1]}); ` +
        `row ${JSON.stringify(row)}; remote answered ${remote.requests.length} requests`,
    );
    assert.strictEqual(row.linesDropped.corrupt, 0);
  });

  it('accepts data again once the drained queue has freed the disk', async () => {
    const lines = requestLines('full', 6000, 60);
    const res = await waitFor(
      async () => {
        const r = await post(red, 'full', lines.join('\n'));
        return r.status === 204 ? r : null;
      },
      { timeoutMs: 20000, intervalMs: 250, message: 'an append to succeed after the drain (the disk should have room again)' },
    );
    assert.strictEqual(res.status, 204);
    await waitFor(async () => new Set(remote.accepted()).has(lines[lines.length - 1]), { timeoutMs: 20000, message: 'the new lines to arrive' });
  });
});

describe('reliability: a segment damaged and truncated between two runs (real Node-RED)', function () {
  this.timeout(120000);
  const REQUESTS = 20;
  const DAMAGED = 7;
  let queueRoot;
  let remote;
  let proxy;
  let red;
  const posted = [];

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'damaged-queue-'));
    remote = await startScriptedRemote();
    proxy = await startFaultProxy(remote.port, { mode: 'refuse' });
    const { flows, credentials } = gatewayFlow({ remotes: [{ id: 'r', url: proxy.url, token: 'disk-token' }], streams: [{ id: 'damaged', remote: 'r' }] });
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot) });
    await waitFor(async () => (await replicationRows(red)).damaged, { timeoutMs: 20000, message: 'the stream to open' });
  });

  after(async () => {
    if (red) await red.stop();
    if (proxy) await proxy.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('skips and reports the damaged record, cuts the torn tail, and delivers every other record in order', async () => {
    // One request at a time: one request is one record.
    for (let request = 0; request < REQUESTS; request++) {
      const lines = requestLines('damaged', request, 50);
      const res = await post(red, 'damaged', lines.join('\n'));
      assert.strictEqual(res.status, 204, res.text);
      posted.push(lines);
    }
    await red.stop().catch(() => {});
    red = null;

    const dir = path.join(queueRoot, 'damaged');
    const segments = fs.readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
    assert.ok(segments.length >= 1, `segments in ${dir}: ${fs.readdirSync(dir)}`);
    // Flip one byte inside a line of the damaged request (its text is unique in the file).
    const marker = Buffer.from(`req=r${DAMAGED} v=${DAMAGED * 1000 + 10}i`);
    let flipped = false;
    for (const name of segments) {
      const file = path.join(dir, name);
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf(marker);
      if (at >= 0) {
        bytes[at + marker.length - 2] ^= 0x01;
        fs.writeFileSync(file, bytes);
        flipped = true;
      }
    }
    assert.ok(flipped, 'found the damaged request in a segment');
    // Cut the last 10 bytes of the last segment: its last record (the last request) is torn.
    const last = path.join(dir, segments[segments.length - 1]);
    fs.truncateSync(last, fs.statSync(last).size - 10);

    const { flows, credentials } = gatewayFlow({ remotes: [{ id: 'r', url: proxy.url, token: 'disk-token' }], streams: [{ id: 'damaged', remote: 'r' }] });
    red = await startNodeRed({ flows, credentials, settings: fastWriterSettings(queueRoot) });
    await proxy.setMode('pass');
    const row = await waitFor(
      async () => {
        const r = (await replicationRows(red)).damaged;
        return r && r.remainingLinesToBeSynced === 0 && r.state === 'ok' ? r : null;
      },
      { timeoutMs: 30000, message: 'the recovered queue to drain' },
    );

    const accepted = remote.accepted();
    const got = new Set(accepted);
    const expected = posted.filter((_, i) => i !== DAMAGED && i !== REQUESTS - 1).flat();
    assert.deepStrictEqual(expected.filter((l) => !got.has(l)), [], 'undamaged records missing');
    assert.deepStrictEqual(accepted, expected, 'delivered once each, in order');
    assert.ok(!posted[DAMAGED].some((l) => got.has(l)), 'the damaged record is not delivered');
    assert.ok(!posted[REQUESTS - 1].some((l) => got.has(l)), 'the torn record is not delivered');

    // The loss is visible: output 2 tells the flow a corrupt record was dropped, and the list counts it.
    const { output2 } = await observed(red);
    assert.ok(output2.some((m) => m.reason === 'corrupt'), `output 2: ${JSON.stringify(output2.map((m) => m.reason))}`);
    assert.ok(row.linesDropped.corrupt >= posted[DAMAGED].length, `linesDropped.corrupt is ${row.linesDropped.corrupt}, but ${posted[DAMAGED].length} lines were lost`);
  });
});

describe('reliability: the queue itself on a full filesystem (in-process)', function () {
  this.timeout(30000);
  const { DurableQueue } = require('../../nodes/lib/queue');
  let fsMount;
  let queue;

  before(async () => {
    fsMount = mountSmallFilesystem(1024 * 1024);
    queue = await DurableQueue.open({ dir: path.join(fsMount.dir, 'q'), maxQueueSizeBytes: 64 * 1024 * 1024 });
    for (let n = 0; n < 10000; n++) {
      try {
        await queue.append([`${'x'.repeat(4000)} ${n}`]);
      } catch (err) {
        assert.match(err.message, /ENOSPC|no space left/i);
        return;
      }
    }
    throw new Error('the 1 MiB filesystem never filled up');
  });

  after(async () => {
    if (queue) await queue.close().catch(() => {});
    if (fsMount) fsMount.unmount();
  });

  it('can still acknowledge on a full disk (otherwise a drained remote can never free the space)', async () => {
    const records = await queue.readNext(100_000);
    assert.ok(records.length > 0);
    const before = queue.stats();
    let failure = null;
    try {
      await queue.ack(records[records.length - 1].end);
    } catch (err) {
      failure = err;
    }
    const after = queue.stats();
    // Whatever happens, the figures must match what is on disk: an ack that failed must not count as done.
    if (failure) {
      assert.strictEqual(after.unsentLines, before.unsentLines, `ack failed (${failure.message}) but unsentLines went ${before.unsentLines} -> ${after.unsentLines}`);
    }
    assert.strictEqual(failure, null, `ack on a full disk failed: ${failure && failure.message}`);
    assert.strictEqual(after.unsentLines, before.unsentLines - records.length);
  });
});

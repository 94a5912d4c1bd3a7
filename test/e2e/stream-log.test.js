'use strict';
// A headless gateway's log (issue #17, point 2): a real Node-RED whose remote fails with 500 a few hundred
// times before it recovers writes the state changes and the recovery through the locale files, a few lines in
// all, and the dropped lines of a bad batch as one line with their reason.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startNodeRed } = require('../harness/node-red');
const { waitFor } = require('../harness/servers');
const { startScriptedRemote } = require('../reliability/lib/scripted-remote');
const { gatewayFlow, fastWriterSettings, post, replicationRows } = require('../reliability/lib/gateway-flow');

describe('stream log lines in a real Node-RED', function () {
  this.timeout(60000);
  let red;
  let remote;
  let queueRoot;
  const answer = { status: 503, failures: 0 };

  before(async () => {
    queueRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-log-'));
    remote = await startScriptedRemote((req) => {
      if (answer.status !== 204) {
        answer.failures++;
        return { status: answer.status, body: { code: 'unavailable', message: 'the remote is restarting' } };
      }
      const bad = req.lines.filter((l) => l.includes('BAD'));
      return bad.length ? { status: 400, body: { code: 'invalid', message: 'unable to parse a line' } } : { status: 204 };
    });
    const { flows, credentials } = gatewayFlow({
      remotes: [{ id: 'r', url: remote.url, token: 'log-token-31' }],
      streams: [{ id: 'logged', remote: 'r', dropNonRetryableData: true }],
    });
    const settings = fastWriterSettings(queueRoot, { initialBackoffMs: 5, maxBackoffMs: 20 });
    // A log line of a kind at most every 2 s here (a minute by default), so the summary comes within the test.
    settings.influxdbReplication.logIntervalMs = 2000;
    red = await startNodeRed({ flows, credentials, settings });
  });

  after(async () => {
    if (red) await red.stop();
    if (remote) await remote.stop();
    if (queueRoot) fs.rmSync(queueRoot, { recursive: true, force: true });
  });

  it('an outage of a few hundred failed requests writes the change to retrying and the recovery, a few lines in all', async function () {
    const res = await post(red, 'logged', 'm,t=a v=1 1700000000000000000\nm,t=a v=2 1700000000000000001');
    assert.strictEqual(res.status, 204);
    await waitFor(() => answer.failures >= 200, { timeoutMs: 30000, message: '200 failed requests' });
    answer.status = 204;
    await waitFor(async () => (await replicationRows(red)).logged.remainingLinesToBeSynced === 0, { timeoutMs: 30000, message: 'the queue to drain' });
    await red.waitForLog(/logged: retrying -> ok after \d+ s \(latest answer 204/, { timeoutMs: 10000 });
    const log = red.logs();
    assert.match(log, /\[warn\] \[influxdb-replication:logged\] logged: ok -> retrying after \d+ s \(latest answer 503: the remote is restarting; 2 lines to send\)/);
    const streamLines = log.split('\n').filter((l) => /\[influxdb-replication:logged\] logged: /.test(l));
    assert.ok(streamLines.length <= 3, `${answer.failures} failed requests wrote ${streamLines.length} log lines:\n${streamLines.join('\n')}`);
    assert.ok(!log.includes('log-token-31'));
  });

  it('dropped lines are logged once with their reason', async function () {
    const res = await post(red, 'logged', 'm,t=a v=3 1700000000000000002\nm,t=BAD v=4 1700000000000000003');
    assert.strictEqual(res.status, 204);
    await red.waitForLog(/logged: dropped 1 lines \(non-retryable\); they went to output 2/, { timeoutMs: 10000 });
  });
});

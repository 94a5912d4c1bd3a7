'use strict';
// The replication node's settings as the runtime checks them, the queue folder a node id may name, the node
// status derived from a list row, and the status throttle.
const assert = require('assert');
const path = require('path');
const { parseReplicationSettings, queueDirFor } = require('../../nodes/lib/stream-config');
const { formatBytes, MAX_STATUS_TEXT } = require('../../nodes/lib/node-status');
const { englishStatusOf: statusOf } = require('../harness/english-status');
const { throttle } = require('../../nodes/lib/stream-registry');

describe('parseReplicationSettings', function () {
  it('applies the documented defaults', function () {
    const { settings, problems } = parseReplicationSettings({ remote: 'r1', remoteBucketName: 'b' });
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, {
      name: '',
      remoteID: 'r1',
      remoteBucketName: 'b',
      remoteBucketID: '',
      maxQueueSizeBytes: 67108860,
      maxAgeSeconds: 604800,
      dropNonRetryableData: false,
      precision: 'ns',
      maxBatchBytes: 500000,
      onQueueFull: 'reject',
      gzip: true,
    });
  });

  it('reads numbers and booleans saved as strings', function () {
    const { settings, problems } = parseReplicationSettings({
      remote: 'r1', remoteBucketID: '0123456789abcdef', maxQueueSizeBytes: '33554430', maxAgeSeconds: '0',
      dropNonRetryableData: 'true', precision: 'ms', maxBatchBytes: '1000', onQueueFull: 'drop-oldest', gzip: 'false',
    });
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.maxQueueSizeBytes, 33554430);
    assert.strictEqual(settings.maxAgeSeconds, 0);
    assert.strictEqual(settings.dropNonRetryableData, true);
    assert.strictEqual(settings.gzip, false);
    assert.strictEqual(settings.onQueueFull, 'drop-oldest');
    assert.strictEqual(settings.remoteBucketID, '0123456789abcdef');
  });

  const bad = [
    [{ remoteBucketName: 'b' }, /no remote/],
    [{ remote: 'r' }, /bucket name or a remote bucket ID/],
    [{ remote: 'r', remoteBucketName: 'b', remoteBucketID: 'i' }, /not both/],
    [{ remote: 'r', remoteBucketName: 'b', maxQueueSizeBytes: 33554429 }, /maxQueueSizeBytes must be a whole number of at least 33554430, got 33554429/],
    [{ remote: 'r', remoteBucketName: 'b', maxQueueSizeBytes: '64MB' }, /maxQueueSizeBytes .* got "64MB"/],
    [{ remote: 'r', remoteBucketName: 'b', maxAgeSeconds: -1 }, /maxAgeSeconds must be a whole number of at least 0/],
    [{ remote: 'r', remoteBucketName: 'b', maxAgeSeconds: 1.5 }, /maxAgeSeconds/],
    [{ remote: 'r', remoteBucketName: 'b', maxBatchBytes: 10 }, /maxBatchBytes must be a whole number of at least 1000/],
    [{ remote: 'r', remoteBucketName: 'b', precision: 'm' }, /precision must be one of ns, us, ms, s; got "m"/],
    [{ remote: 'r', remoteBucketName: 'b', onQueueFull: 'block' }, /onQueueFull must be "reject" or "drop-oldest", got "block"/],
  ];
  for (const [props, pattern] of bad) {
    it(`names the problem with ${JSON.stringify(props)}`, function () {
      const { problems } = parseReplicationSettings(props);
      assert.ok(problems.some((p) => pattern.test(p)), problems.join(' | '));
    });
  }
});

describe('queueDirFor', function () {
  const root = path.resolve('/var/lib/queues');
  it('puts a plain node id under the root', function () {
    assert.strictEqual(queueDirFor(root, 'a1b2c3d4e5f60718'), path.join(root, 'a1b2c3d4e5f60718'));
    assert.strictEqual(queueDirFor(root, 'node.with-dash_1'), path.join(root, 'node.with-dash_1'));
  });
  for (const id of ['..', '.', '../etc', 'a/b', '/abs', 'a\\b', '', 'x'.repeat(129), 'a b', 'a\u0000b']) {
    it(`refuses ${JSON.stringify(id)}, which could steer the path outside the root`, function () {
      assert.throws(() => queueDirFor(root, id), /cannot name a queue folder/);
    });
  }
});

describe('node status', function () {
  const row = (over) => ({ state: 'ok', latestResponseCode: 204, remainingBytesToBeSynced: 0, ...over });
  it('formats bytes compactly', function () {
    assert.strictEqual(formatBytes(0), '0 B');
    assert.strictEqual(formatBytes(999), '999 B');
    assert.strictEqual(formatBytes(1500), '1.5 kB');
    assert.strictEqual(formatBytes(67108860), '67.1 MB');
    assert.strictEqual(formatBytes(250e9), '250 GB');
  });
  it('green dot when drained, green ring while data waits', function () {
    assert.deepStrictEqual(statusOf(row()), { fill: 'green', shape: 'dot', text: '204 · 0 B' });
    assert.deepStrictEqual(statusOf(row({ remainingBytesToBeSynced: 2048 })), { fill: 'green', shape: 'ring', text: '204 · 2.0 kB' });
    assert.strictEqual(statusOf(row({ latestResponseCode: null })).text, '- · 0 B');
  });
  it('yellow ring while retrying, red ring when blocked or full, grey when paused', function () {
    assert.deepStrictEqual(statusOf(row({ state: 'retrying', latestResponseCode: 0, remainingBytesToBeSynced: 5e6 })), {
      fill: 'yellow', shape: 'ring', text: 'net err · 5.0 MB',
    });
    assert.deepStrictEqual(statusOf(row({ state: 'blocked', latestResponseCode: 401 })), { fill: 'red', shape: 'ring', text: '401 · 0 B' });
    assert.deepStrictEqual(statusOf(row({ state: 'full', remainingBytesToBeSynced: 67e6 })), { fill: 'red', shape: 'ring', text: 'full · 67.0 MB' });
    assert.deepStrictEqual(statusOf(row({ state: 'paused' })), { fill: 'grey', shape: 'dot', text: 'paused · 0 B' });
  });
  it('keeps every text under 20 characters', function () {
    for (const state of ['ok', 'retrying', 'blocked', 'paused', 'full']) {
      for (const code of [null, 0, 204, 503]) {
        for (const bytes of [0, 999, 123456, 999999999, 1e15]) {
          const { text } = statusOf(row({ state, latestResponseCode: code, remainingBytesToBeSynced: bytes }));
          assert.ok(text.length <= MAX_STATUS_TEXT && text.length < 20, `${JSON.stringify(text)} is too long`);
        }
      }
    }
  });
});

describe('throttle', function () {
  it('runs the first call at once and merges a burst into one trailing call', async function () {
    let calls = 0;
    const t = throttle(() => calls++, 50);
    t();
    assert.strictEqual(calls, 1);
    for (let i = 0; i < 100; i++) t();
    assert.strictEqual(calls, 1);
    await new Promise((r) => setTimeout(r, 120));
    assert.strictEqual(calls, 2);
    t.cancel();
  });
  it('cancel drops a pending trailing call', async function () {
    let calls = 0;
    const t = throttle(() => calls++, 30);
    t();
    t();
    t.cancel();
    await new Promise((r) => setTimeout(r, 80));
    assert.strictEqual(calls, 1);
  });
});

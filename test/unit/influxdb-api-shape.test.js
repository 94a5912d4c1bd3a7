'use strict';
// The replication and remote lists in InfluxDB OSS's shapes (src/lib/influxdb-api-shape.ts).
const assert = require('assert');
const {
  influxReplication,
  influxRemote,
  filterReplications,
  listFilterFromQuery,
} = require('../../nodes/lib/influxdb-api-shape');

function row(overrides = {}) {
  return {
    id: 'aaaa000000000001',
    name: 'to cloud',
    remoteID: 'bbbb000000000001',
    remoteBucketName: 'sensors',
    remoteBucketID: '',
    maxQueueSizeBytes: 67108860,
    maxAgeSeconds: 604800,
    dropNonRetryableData: true,
    currentQueueSizeBytes: 4096,
    remainingBytesToBeSynced: 1200,
    remainingLinesToBeSynced: 12,
    latestResponseCode: null,
    latestErrorMessage: '',
    state: 'ok',
    oldestUnsentAgeSeconds: 3,
    linesQueued: 20,
    linesSent: 8,
    linesDropped: { 'non-retryable': 0, age: 0, 'queue-full': 0, purge: 0, corrupt: 0 },
    lastSuccessAt: null,
    nextAttemptAt: null,
    ...overrides,
  };
}

describe('InfluxDB-shaped lists', () => {
  it('maps a row to InfluxDB\'s replication fields, leaving out the latest answer until there is one', () => {
    assert.deepStrictEqual(influxReplication(row(), 'org-1'), {
      id: 'aaaa000000000001',
      orgID: 'org-1',
      name: 'to cloud',
      remoteID: 'bbbb000000000001',
      localBucketID: 'aaaa000000000001',
      remoteBucketID: null,
      RemoteBucketName: 'sensors',
      remoteBucketName: 'sensors',
      maxQueueSizeBytes: 67108860,
      currentQueueSizeBytes: 4096,
      remainingBytesToBeSynced: 1200,
      dropNonRetryableData: true,
      maxAgeSeconds: 604800,
    });
  });

  it('carries the latest answer once the remote has answered, and a bucket ID when the stream names one', () => {
    const listed = influxReplication(row({ latestResponseCode: 400, latestErrorMessage: 'partial write', remoteBucketID: '0123456789abcdef', remoteBucketName: '' }), 'o');
    assert.strictEqual(listed.latestResponseCode, 400);
    assert.strictEqual(listed.latestErrorMessage, 'partial write');
    assert.strictEqual(listed.remoteBucketID, '0123456789abcdef');
  });

  it('lists a remote without secrets, and its description only when set', () => {
    const base = { id: 'r1', name: 'cloud', remoteURL: 'https://x', remoteOrgID: 'o', allowInsecureTLS: false, description: '' };
    assert.deepStrictEqual(Object.keys(influxRemote(base)), ['id', 'orgID', 'name', 'remoteURL', 'remoteOrgID', 'allowInsecureTLS']);
    assert.strictEqual(influxRemote({ ...base, description: 'plant 7' }).description, 'plant 7');
  });

  it('filters by the string query parameters InfluxDB takes, ignoring arrays and unknown keys', () => {
    const list = [influxReplication(row(), ''), influxReplication(row({ id: 'x2', name: 'other', remoteID: 'r2' }), '')];
    assert.deepStrictEqual(filterReplications(list, listFilterFromQuery({ name: 'other' })).map((r) => r.id), ['x2']);
    assert.deepStrictEqual(filterReplications(list, listFilterFromQuery({ remoteID: 'bbbb000000000001' })).map((r) => r.id), ['aaaa000000000001']);
    assert.strictEqual(filterReplications(list, listFilterFromQuery({ name: ['a', 'b'], orgID: 'x' })).length, 2);
  });
});

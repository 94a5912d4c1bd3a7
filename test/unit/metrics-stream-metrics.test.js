'use strict';
// The stream's one metrics object (issue 15): facts in (appends, refusals, queue drops, the writer's answers,
// deliveries and non-retryable drops), figures out, each counted once; "full" decided in one place.
const assert = require('assert');
const { EventEmitter } = require('events');
const { StreamMetrics } = require('../../nodes/lib/metrics/stream-metrics');
const { lineBytes } = require('../../nodes/lib/writer/types');
const { QueueFullTracker } = require('../../nodes/lib/metrics/queue-full');

function gaugesOf(values = {}) {
  const gauges = { bytesOnDisk: 0, unsentBytes: 0, unsentLines: 0, oldestUnsentEnqueuedAt: null, ...values };
  return { gauges, read: () => gauges };
}

describe('StreamMetrics', function () {
  it("counts lines and bytes queued, each line with its newline (the queue's record has one less)", function () {
    const m = new StreamMetrics(gaugesOf().read, 'reject');
    const record = (lines) => Buffer.byteLength(lines.join('\n'));
    m.appended(m.appendStarted(), 2, record(['a v=1', 'bé v=2']));
    m.appended(m.appendStarted(), 1, record(['c v=3']));
    const s = m.snapshot();
    assert.deepStrictEqual(s.queued, { lines: 3, bytes: 6 + 8 + 6 });
    assert.strictEqual(lineBytes(['a v=1', 'bé v=2', 'c v=3']), s.queued.bytes, 'counted as the writer counts them');
  });

  it("counts a 'queue-full' report as refused under reject and as dropped under drop-oldest", function () {
    const report = { reason: 'queue-full', records: 2, lines: 5, bytes: 40 };
    const reject = new StreamMetrics(gaugesOf().read, 'reject');
    reject.queueDropped(report);
    assert.deepStrictEqual(reject.snapshot().refused, { lines: 5, bytes: 42 });
    assert.deepStrictEqual(reject.snapshot().dropped['queue-full'], { lines: 0, bytes: 0 });
    const dropOldest = new StreamMetrics(gaugesOf().read, 'drop-oldest');
    dropOldest.queueDropped(report);
    assert.deepStrictEqual(dropOldest.snapshot().refused, { lines: 0, bytes: 0 });
    assert.deepStrictEqual(dropOldest.snapshot().dropped['queue-full'], { lines: 5, bytes: 42 });
  });

  it('counts the other queue drops under their reason', function () {
    const m = new StreamMetrics(gaugesOf().read, 'reject');
    m.queueDropped({ reason: 'age', records: 1, lines: 2, bytes: 9 });
    m.queueDropped({ reason: 'purge', records: 1, lines: 1, bytes: 4 });
    m.queueDropped({ reason: 'age', records: 1, lines: 1, bytes: 4 });
    const s = m.snapshot();
    assert.deepStrictEqual(s.dropped.age, { lines: 3, bytes: 15 });
    assert.deepStrictEqual(s.dropped.purge, { lines: 1, bytes: 5 });
    assert.deepStrictEqual(s.dropped.corrupt, { lines: 0, bytes: 0 });
  });

  it("counts a writer's answers, retries, wire bytes, deliveries and non-retryable drops from its events", function () {
    const m = new StreamMetrics(gaugesOf().read, 'reject');
    const writer = new EventEmitter();
    m.watchWriter(writer);
    writer.emit('answer', { statusCode: 503, wireBytes: 100, retry: false });
    writer.emit('answer', { statusCode: 0, wireBytes: 100, retry: true });
    writer.emit('answer', { statusCode: 400, wireBytes: 100, retry: true });
    writer.emit('discarded', { lines: 1, bytes: 12 });
    writer.emit('answer', { statusCode: 204, wireBytes: 60, retry: false });
    writer.emit('delivered', { lines: 4, bytes: 50, at: 1234 });
    const s = m.snapshot();
    assert.strictEqual(s.requests, 4);
    assert.strictEqual(s.retries, 2);
    assert.deepStrictEqual(s.responsesByCode, { 0: 1, 204: 1, 400: 1, 503: 1 });
    // A request without an answer sent no body the remote read.
    assert.strictEqual(s.wireBytes, 260);
    assert.deepStrictEqual(s.sent, { lines: 4, bytes: 50 });
    assert.deepStrictEqual(s.dropped['non-retryable'], { lines: 1, bytes: 12 });
    assert.strictEqual(s.lastSuccessAt, 1234);
  });

  it("reads bytes on disk, unsent and oldest unsent from the queue's stats when asked", function () {
    const { gauges, read } = gaugesOf({ bytesOnDisk: 100, unsentBytes: 50, unsentLines: 3, oldestUnsentEnqueuedAt: 7 });
    const m = new StreamMetrics(read, 'reject');
    assert.deepStrictEqual(m.snapshot().queue, { bytesOnDisk: 100, unsentBytes: 50, unsentLines: 3, oldestUnsentEnqueuedAt: 7 });
    gauges.unsentBytes = 0;
    assert.strictEqual(m.snapshot().queue.unsentBytes, 0);
  });

  it('a snapshot is a copy: later facts do not change it', function () {
    const m = new StreamMetrics(gaugesOf().read, 'reject');
    const before = m.snapshot();
    m.appended(m.appendStarted(), 1, 5);
    m.answered({ statusCode: 204, wireBytes: 5, retry: false });
    assert.deepStrictEqual(before.queued, { lines: 0, bytes: 0 });
    assert.deepStrictEqual(before.responsesByCode, {});
  });

  describe('full', function () {
    it('is full from a refusal until the unsent bytes fall below what they were then', function () {
      const { gauges, read } = gaugesOf({ unsentBytes: 1000 });
      const m = new StreamMetrics(read, 'reject');
      assert.strictEqual(m.snapshot().full, false);
      m.appendRefused(m.appendStarted());
      assert.strictEqual(m.snapshot().full, true);
      gauges.unsentBytes = 1000;
      assert.strictEqual(m.snapshot().full, true);
      gauges.unsentBytes = 999;
      assert.strictEqual(m.snapshot().full, false);
      gauges.unsentBytes = 1000;
      assert.strictEqual(m.snapshot().full, false, 'room made once stays made until the next refusal');
    });

    it('an append started before the refusal and accepted after it does not end it; one started after does', function () {
      const m = new StreamMetrics(gaugesOf({ unsentBytes: 10 }).read, 'reject');
      const early = m.appendStarted();
      m.appendRefused(m.appendStarted());
      m.appended(early, 1, 5);
      assert.strictEqual(m.snapshot().full, true);
      m.appended(m.appendStarted(), 1, 5);
      assert.strictEqual(m.snapshot().full, false);
    });

    it('a purge ends it', function () {
      const tracker = new QueueFullTracker();
      tracker.refused(tracker.appendStarted(), 10);
      assert.strictEqual(tracker.isFull(10), true);
      tracker.emptied();
      assert.strictEqual(tracker.isFull(10), false);
    });
  });
});

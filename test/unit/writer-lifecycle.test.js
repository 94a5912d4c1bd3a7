'use strict';
// The writer's life as named states whose transitions throw when they should not happen, and the ordering rule
// of at-least-once delivery enforced by code: the queue is rewound for a new generation only once every
// delivery, read and ack of the previous one has settled.
const assert = require('assert');
const { StreamWriter } = require('../../nodes/lib/writer');
const { WriterLifecycle, Generation, Generations, IllegalTransition } = require('../../nodes/lib/writer/lifecycle');
const { MemoryQueue } = require('../harness/memory-queue');
const { waitFor } = require('../harness/wait');

/** A promise with its resolve and reject. */
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback and I/O turn run a few times over. */
async function settleTurns(n = 20) {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

const ok = (bytesSent = 10) => ({ statusCode: 204, body: '', retryAfterMs: null, errorMessage: '', bytesSent });

/**
 * A remote client whose writes stay in flight until the test answers them; like a request already on the wire,
 * an aborted one is not cut short. Every write and answer goes to `log`.
 */
function heldClient(log, name) {
  const writes = [];
  return {
    writes,
    async write(bucket, body) {
      const answer = deferred();
      const index = writes.length;
      writes.push({ bucket, body, answer });
      log.push(`${name}:write${index}`);
      const result = await answer.promise;
      log.push(`${name}:answered${index}`);
      return result;
    },
  };
}

/** The in-memory queue, with rewind() and ack() recorded in `log`, and acks that may be made to fail. */
class RecordingQueue extends MemoryQueue {
  constructor(log) {
    super();
    this.log = log;
    this.rewinds = 0;
    this.failAcks = 0;
  }
  rewind() {
    this.rewinds++;
    this.log.push(`rewind${this.rewinds}`);
    super.rewind();
  }
  async ack(pos) {
    if (this.failAcks > 0) {
      this.failAcks--;
      this.log.push(`ack-failed:${pos.offset}`);
      throw new Error('disk full');
    }
    this.log.push(`ack:${pos.offset}`);
    return super.ack(pos);
  }
}

describe('writer lifecycle: states and transitions', function () {
  it('names the state from the lifecycle, in order: stopped, paused, blocked, retrying, sending, idle', function () {
    const life = new WriterLifecycle();
    assert.strictEqual(life.name(), 'idle');
    life.start();
    life.requestStarted();
    assert.strictEqual(life.name(), 'sending');
    life.failed('retryable');
    assert.strictEqual(life.name(), 'retrying');
    life.hold(2);
    assert.strictEqual(life.name(), 'blocked');
    assert.strictEqual(life.blockedBy(), 'data');
    life.failed('config');
    assert.strictEqual(life.blockedBy(), 'config');
    life.pause();
    assert.strictEqual(life.name(), 'paused');
    life.stop();
    assert.strictEqual(life.name(), 'stopped');
    // What was in flight may still end after the stop; the state stays stopped.
    life.resume();
    life.release(2);
    life.recovered();
    life.requestEnded();
    assert.strictEqual(life.name(), 'stopped');
    assert.strictEqual(life.blockedBy(), null);
  });

  it('throws on a transition that should not happen', function () {
    const life = new WriterLifecycle();
    assert.throws(() => life.requestStarted(), IllegalTransition, 'a request before start');
    assert.throws(() => life.resume(), /resume is not allowed when not paused/);
    assert.throws(() => life.requestEnded(), /none is in flight/);
    assert.throws(() => life.release(1), /releasing 1 lines is not allowed when 0 are held/);
    life.start();
    assert.throws(() => life.start(), /start is not allowed when running/);
    life.pause();
    assert.throws(() => life.pause(), /pause is not allowed when paused/);
    life.hold(1);
    assert.throws(() => life.release(2), IllegalTransition);
    life.stop();
    assert.throws(() => life.stop(), /stop is not allowed when stopped/);
    assert.throws(() => life.start(), /start is not allowed when stopped/);
    assert.strictEqual(life.canStart, false);
  });

  it('a retarget begins a new generation and forgets the failures of the old target', function () {
    const life = new WriterLifecycle();
    life.start();
    const first = life.generation;
    life.failed('config');
    assert.strictEqual(life.isCurrent(first), true);
    const second = life.retarget();
    assert.strictEqual(second, first + 1);
    assert.strictEqual(life.isCurrent(first), false);
    assert.strictEqual(life.isCurrent(second), true);
    assert.strictEqual(life.failureKind, null);
    life.stop();
    assert.strictEqual(life.isCurrent(second), false);
  });

  it('the writer reports the lifecycle state through getState() and its change events', async function () {
    const log = [];
    const queue = new RecordingQueue(log);
    const client = heldClient(log, 'a');
    const writer = new StreamWriter(queue, client, 'b');
    const seen = [];
    writer.on('change', (state) => seen.push(state.state));
    assert.strictEqual(writer.getState().state, 'idle');
    writer.pause();
    writer.pause(); // the public API stays forgiving: a second pause is no change
    assert.deepStrictEqual(seen, ['paused']);
    writer.resume();
    queue.append(['m v=1 1']);
    writer.start();
    await waitFor(() => client.writes.length === 1);
    assert.strictEqual(writer.getState().state, 'sending');
    client.writes[0].answer.resolve(ok());
    await waitFor(() => queue.allAcked);
    assert.strictEqual(writer.getState().state, 'idle');
    await writer.stop();
    await writer.stop();
    assert.strictEqual(writer.getState().state, 'stopped');
    writer.start(); // no restart after a stop
    assert.strictEqual(writer.getState().state, 'stopped');
  });
});

describe('writer lifecycle: generations and the rewind', function () {
  it('begin() rewinds only once every delivery, read and ack of the previous generation has settled', async function () {
    const log = [];
    const generations = new Generations({ rewind: () => log.push('rewind') });
    const first = await generations.begin(0, new AbortController().signal);
    assert.deepStrictEqual(log, ['rewind']);
    const delivery = deferred();
    const read = deferred();
    first.track(delivery.promise.then(() => log.push('delivery settled')));
    first.track(read.promise.catch(() => log.push('read failed')));
    const next = generations.begin(1, new AbortController().signal);
    await settleTurns();
    assert.deepStrictEqual(log, ['rewind'], 'no rewind while the first generation has work in flight');
    delivery.resolve();
    await settleTurns();
    assert.deepStrictEqual(log, ['rewind', 'delivery settled'], 'nor while a read of it is pending');
    read.reject(new Error('disk gone'));
    const second = await next;
    assert.deepStrictEqual(log, ['rewind', 'delivery settled', 'read failed', 'rewind']);
    assert.strictEqual(second.id, 1);
    assert.strictEqual(first.isEnded, true);
  });

  it('a generation that ended takes no more work; one ending still takes its last acks', async function () {
    const gen = new Generation(3, new AbortController().signal);
    const work = deferred();
    gen.track(work.promise);
    const ending = gen.end();
    let lastAck = false;
    gen.track(Promise.resolve().then(() => (lastAck = true)));
    work.resolve();
    await ending;
    assert.strictEqual(lastAck, true);
    assert.strictEqual(gen.pending, 0);
    assert.throws(() => gen.track(Promise.resolve()), /new work is not allowed when generation 3 has ended/);
  });

  it('keeps the first failure of a generation', function () {
    const gen = new Generation(0, new AbortController().signal);
    gen.fail(new Error('ack failed'));
    gen.fail(new Error('later'));
    assert.strictEqual(gen.failure.message, 'ack failed');
  });

  it('retarget() while a delivery is in flight: the queue is rewound only after it settled, and acked', async function () {
    const log = [];
    const queue = new RecordingQueue(log);
    const oldRemote = heldClient(log, 'old');
    const newRemote = heldClient(log, 'new');
    const writer = new StreamWriter(queue, oldRemote, 'b1', { ackIntervalMs: 0, gzip: false });
    queue.append(['m v=1 1', 'm v=2 2']);
    writer.start();
    await waitFor(() => oldRemote.writes.length === 1);
    writer.retarget(newRemote, 'b2');
    await settleTurns();
    assert.strictEqual(queue.rewinds, 1, 'the new generation waits for the request in flight');
    assert.strictEqual(newRemote.writes.length, 0);
    // The old remote answers after all: its lines were stored, so they are acknowledged, not sent again.
    oldRemote.writes[0].answer.resolve(ok());
    await waitFor(() => queue.rewinds === 2);
    assert.deepStrictEqual(log, ['rewind1', 'old:write0', 'old:answered0', 'ack:1', 'rewind2']);
    queue.append(['m v=3 3']);
    await waitFor(() => newRemote.writes.length === 1);
    assert.strictEqual(newRemote.writes[0].bucket, 'b2');
    assert.strictEqual(newRemote.writes[0].body.toString(), 'm v=3 3');
    newRemote.writes[0].answer.resolve(ok());
    await waitFor(() => queue.allAcked);
    await writer.stop();
  });

  it('a queue error while a delivery is in flight: the queue is rewound only after that delivery settled', async function () {
    const log = [];
    const queue = new RecordingQueue(log);
    const client = heldClient(log, 'r');
    // Two requests at a time, one record per batch: the first ack fails while the second request is in flight.
    const writer = new StreamWriter(queue, client, 'b', { ackIntervalMs: 0, maxConcurrentRequests: 2, maxBatchBytes: 8, initialBackoffMs: 1, maxBackoffMs: 1 });
    const changes = [];
    writer.on('change', (state) => changes.push(state.latestErrorMessage));
    queue.append(['m v=1 1']);
    queue.append(['m v=2 2']);
    queue.failAcks = 1;
    writer.start();
    await waitFor(() => client.writes.length === 2);
    client.writes[0].answer.resolve(ok());
    await waitFor(() => log.includes('ack-failed:1'));
    await settleTurns();
    assert.strictEqual(queue.rewinds, 1, 'no rewind while the second request is in flight');
    client.writes[1].answer.resolve(ok());
    await waitFor(() => queue.rewinds === 2);
    assert.ok(changes.includes('queue error: disk full'), 'the failed ack is reported');
    const rewind2 = log.indexOf('rewind2');
    assert.ok(log.indexOf('r:answered1') < rewind2, `the delivery settled before the rewind: ${log.join(' ')}`);
    assert.ok(log.indexOf('ack:2') < rewind2, `and its ack was issued before it: ${log.join(' ')}`);
    // Nothing was lost: what the failed ack did not cover is either acked or sent again.
    for (let i = 2; i < 6; i++) {
      await waitFor(() => client.writes.length > i || queue.allAcked);
      if (queue.allAcked) break;
      client.writes[i].answer.resolve(ok());
    }
    await waitFor(() => queue.allAcked);
    await writer.stop();
  });
});

'use strict';
// The queue's size policy and typed errors, as the rest of the package sees them through the queue's index.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  DurableQueue,
  OVERFLOW_REJECT,
  OVERFLOW_DROP_OLDEST,
  OVERFLOW_POLICIES,
  isOverflowPolicy,
  QueueClosedError,
  QueueDiskError,
  QueueFullError,
} = require('../../nodes/lib/queue');
const { SizePolicy } = require('../../nodes/lib/queue/size-policy');

const MiB = 1024 * 1024;

describe('queue size policy and errors', function () {
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-policy-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the two overflow policies once, and knows them from anything else', function () {
    assert.deepStrictEqual(OVERFLOW_POLICIES, [OVERFLOW_REJECT, OVERFLOW_DROP_OLDEST]);
    assert.deepStrictEqual([OVERFLOW_REJECT, OVERFLOW_DROP_OLDEST], ['reject', 'drop-oldest']);
    assert.ok(isOverflowPolicy('reject') && isOverflowPolicy('drop-oldest'));
    for (const other of ['block', '', undefined, null, 'Reject']) assert.ok(!isOverflowPolicy(other), String(other));
  });

  it('computes free room one way for admission and for making room', function () {
    const reject = new SizePolicy({ maxQueueSizeBytes: 2 * MiB, onQueueFull: OVERFLOW_REJECT });
    assert.strictEqual(reject.freeRoom(MiB), MiB);
    assert.strictEqual(reject.refuses(MiB, MiB), false, 'exactly the room left fits');
    assert.strictEqual(reject.refuses(MiB, MiB + 1), true);
    assert.strictEqual(reject.batchLimit(), Infinity);
    assert.strictEqual(reject.mustLeaveActive(2 * MiB, 1), false, 'reject never drops');

    const drop = new SizePolicy({ maxQueueSizeBytes: 2 * MiB, onQueueFull: OVERFLOW_DROP_OLDEST });
    assert.strictEqual(drop.refuses(2 * MiB, 1), false, 'drop-oldest admits and makes room later');
    assert.strictEqual(drop.batchLimit(), 2 * MiB);
    assert.strictEqual(drop.mustLeaveActive(MiB, MiB), false);
    assert.strictEqual(drop.mustLeaveActive(MiB, MiB + 1), true);
    assert.strictEqual(drop.neverFits(2 * MiB + 1), true);
    const store = { diskBytes: 3 * MiB, segments: [{ size: MiB }, { size: MiB }, { size: MiB }] };
    assert.strictEqual(drop.segmentsToDrop(store, MiB), 2, 'the oldest two go so that 1 MiB more fits in 2 MiB');
    assert.strictEqual(drop.segmentsToDrop({ diskBytes: MiB, segments: store.segments.slice(0, 1) }, MiB), 0);
  });

  it('turns off max age at 0 and computes the cutoff from the clock only when on', function () {
    let calls = 0;
    const clock = () => (calls++, 10_000);
    assert.strictEqual(new SizePolicy({ maxAgeSeconds: 0 }).expiryCutoff(clock), null);
    assert.strictEqual(calls, 0);
    assert.strictEqual(new SizePolicy({ maxAgeSeconds: 3 }).expiryCutoff(clock), 7_000);
  });

  it('refuses bad bounds with errors that name them', function () {
    assert.throws(() => new SizePolicy({ onQueueFull: 'block' }), /unknown onQueueFull policy block/);
    assert.throws(() => new SizePolicy({ maxQueueSizeBytes: 10 }), /maxQueueSizeBytes must be at least 1048576, got 10/);
    assert.throws(() => new SizePolicy({ maxAgeSeconds: -1 }), /maxAgeSeconds must be 0 or more, got -1/);
    assert.throws(() => new SizePolicy({ segmentMaxBytes: 10 }), /segmentMaxBytes must be at least 1024, got 10/);
  });

  it('rejects with typed errors a caller can tell apart by code', async function () {
    const queue = await DurableQueue.open({ dir, maxQueueSizeBytes: MiB, maxAgeSeconds: 0 });
    const full = await queue.append(['x'.repeat(MiB)]).catch((err) => err);
    assert.ok(full instanceof QueueFullError);
    assert.strictEqual(full.code, 'QUEUE_FULL');

    await queue.append(['m v=1i 1']);
    const [record] = await queue.readNext(1e6);
    const slots = queue.ackSlots;
    const realWrite = slots.write;
    slots.write = async () => {
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    const disk = await queue.ack(record.end).catch((err) => err);
    slots.write = realWrite;
    assert.ok(disk instanceof QueueDiskError);
    assert.strictEqual(disk.code, 'EIO');
    assert.strictEqual(disk.message, 'queue acknowledge failed: EIO: i/o error, write');
    assert.strictEqual(String(disk), 'Error: queue acknowledge failed: EIO: i/o error, write', 'shown as before the types');

    await queue.close();
    const closed = await queue.append(['m v=2i 2']).catch((err) => err);
    assert.ok(closed instanceof QueueClosedError);
    assert.strictEqual(closed.code, 'QUEUE_CLOSED');
    assert.strictEqual(String(closed), 'Error: queue is closed');
    await assert.rejects(queue.readNext(1), (err) => err.code === 'QUEUE_CLOSED');
  });
});

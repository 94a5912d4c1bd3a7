'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fileHandlePrototype } = require('./fixtures/file-handle');
const {
  DurableQueue,
  QueueFullError,
  DEFAULT_MAX_QUEUE_SIZE_BYTES,
  MIN_MAX_QUEUE_SIZE_BYTES,
  DEFAULT_MAX_AGE_SECONDS,
} = require('../../nodes/lib/queue');
const { FRAME_HEADER_BYTES } = require('../../nodes/lib/queue/record-format');

const MiB = 1024 * 1024;

function segmentFiles(dir) {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
}

async function readAll(queue, maxBytes = 1e9) {
  const all = [];
  for (;;) {
    const batch = await queue.readNext(maxBytes);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

describe('DurableQueue', function () {
  let dir;
  let queue;
  const opened = [];

  async function open(options = {}) {
    const q = await DurableQueue.open({ dir, maxAgeSeconds: 0, ...options });
    opened.push(q);
    return q;
  }

  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'queue-test-')), 'stream');
  });

  afterEach(async function () {
    for (const q of opened.splice(0)) await q.close().catch(() => undefined);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('exports the InfluxDB defaults', function () {
    assert.strictEqual(DEFAULT_MAX_QUEUE_SIZE_BYTES, 67108860);
    assert.strictEqual(MIN_MAX_QUEUE_SIZE_BYTES, 33554430);
    assert.strictEqual(DEFAULT_MAX_AGE_SECONDS, 604800);
  });

  it('creates its folder 0700 and segment and ack files 0600', async function () {
    queue = await open();
    await queue.append(['m v=1i']);
    const [first] = await queue.readNext(1000);
    await queue.ack(first.end);
    assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
    const files = fs.readdirSync(dir);
    assert.ok(files.includes('ack-0.slot') && files.includes('ack-1.slot'), String(files));
    for (const name of files) assert.strictEqual(fs.statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
  });

  it('hands out records in order with their lines, time and end position', async function () {
    let clock = 1000;
    queue = await open({ now: () => clock });
    await queue.append(['a v=1i', 'a v=2i']);
    clock = 2000;
    await queue.append(['b v=1i']);
    const records = await queue.readNext(1e6);
    assert.deepStrictEqual(
      records.map((r) => [r.data, r.lines, r.enqueuedAt]),
      [
        ['a v=1i\na v=2i', 2, 1000],
        ['b v=1i', 1, 2000],
      ],
    );
    assert.ok(records[0].end.offset < records[1].end.offset);
    assert.strictEqual(records[0].end.segment, records[1].end.segment);
    assert.deepStrictEqual(await queue.readNext(1e6), [], 'nothing left unread');
  });

  it('limits a read to maxBytes but always returns the first record', async function () {
    queue = await open();
    for (let i = 0; i < 10; i++) await queue.append([`m v=${i}i`.padEnd(100, ' ')]);
    const first = await queue.readNext(250);
    assert.strictEqual(first.length, 2, 'two 100-byte records fit in 250 bytes');
    const tiny = await queue.readNext(1);
    assert.strictEqual(tiny.length, 1, 'a record larger than maxBytes still comes alone');
    assert.ok(tiny[0].data.startsWith('m v=2i'));
  });

  it('groups concurrent appends into one write and one fdatasync', async function () {
    queue = await open();
    const proto = await fileHandlePrototype(path.dirname(dir));
    const original = proto.datasync;
    let syncs = 0;
    proto.datasync = function (...args) {
      syncs++;
      return original.apply(this, args);
    };
    let batches = 0;
    queue.on('appended', () => batches++);
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => queue.append([`m v=${i}i`])));
    } finally {
      proto.datasync = original;
    }
    assert.ok(batches < 50 && batches >= 1, `${batches} batches for 50 appends`);
    assert.ok(syncs < 50, `${syncs} fdatasyncs for 50 appends`);
    const records = await readAll(queue);
    assert.deepStrictEqual(
      records.map((r) => r.data),
      Array.from({ length: 50 }, (_, i) => `m v=${i}i`),
    );
  });

  it('persists the ack: after a restart no acknowledged record is handed out again', async function () {
    queue = await open();
    for (let i = 0; i < 20; i++) await queue.append([`m v=${i}i`]);
    const records = await queue.readNext(1e6);
    await queue.ack(records[6].end); // records 0..6 delivered
    await queue.close();
    queue = await open();
    assert.strictEqual(queue.stats().unsentRecords, 13);
    const again = await readAll(queue);
    assert.deepStrictEqual(
      again.map((r) => r.data),
      Array.from({ length: 13 }, (_, i) => `m v=${i + 7}i`),
    );
  });

  it('ignores an ack older than the current one', async function () {
    queue = await open();
    for (let i = 0; i < 5; i++) await queue.append([`m v=${i}i`]);
    const records = await queue.readNext(1e6);
    await queue.ack(records[3].end);
    await queue.ack(records[1].end);
    assert.strictEqual(queue.stats().unsentRecords, 1);
    assert.strictEqual(queue.stats().acknowledged.records, 4);
  });

  it('rewind sends the unacknowledged records again', async function () {
    queue = await open();
    for (let i = 0; i < 4; i++) await queue.append([`m v=${i}i`]);
    const records = await queue.readNext(1e6);
    await queue.ack(records[1].end);
    queue.rewind();
    const again = await queue.readNext(1e6);
    assert.deepStrictEqual(
      again.map((r) => r.data),
      ['m v=2i', 'm v=3i'],
    );
  });

  it('rolls over to new segments and deletes fully acknowledged ones', async function () {
    queue = await open({ segmentMaxBytes: 1024 });
    for (let i = 0; i < 100; i++) await queue.append([`m,host=h${i} v=${i}i`]);
    const before = segmentFiles(dir);
    assert.ok(before.length >= 3, `expected several segments, got ${before.length}`);
    const records = await queue.readNext(1e6);
    assert.strictEqual(records.length, 100);
    await queue.ack(records[60].end);
    const after = segmentFiles(dir);
    assert.ok(after.length < before.length, 'acknowledged segments are deleted');
    assert.ok(!after.includes(before[0]));
    assert.strictEqual(queue.stats().unsentRecords, 39);
    const sizes = after.reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
    assert.strictEqual(queue.stats().bytesOnDisk, sizes);
    await queue.close();
    queue = await open({ segmentMaxBytes: 1024 });
    assert.deepStrictEqual((await readAll(queue)).map((r) => r.data)[0], 'm,host=h61 v=61i');
  });

  it('acknowledges records that were never read, counting them from disk', async function () {
    queue = await open({ segmentMaxBytes: 1024 });
    for (let i = 0; i < 40; i++) await queue.append([`m v=${i}i`]);
    const records = await readAll(queue);
    queue.rewind();
    await queue.ack(records[29].end);
    const stats = queue.stats();
    assert.strictEqual(stats.acknowledged.records, 30);
    assert.strictEqual(stats.unsentRecords, 10);
    assert.strictEqual((await queue.readNext(1e6))[0].data, 'm v=30i');
  });

  it('reports figures: bytes on disk, unsent bytes/lines/records, oldest unsent time, totals', async function () {
    let clock = 5000;
    queue = await open({ now: () => clock });
    assert.strictEqual(await queue.append(['a v=1i', 'a v=2i']), 'a v=1i\na v=2i'.length, 'append resolves with the bytes of its record');
    clock = 6000;
    assert.strictEqual(await queue.append(['b é=1i']), Buffer.byteLength('b é=1i'));
    let stats = queue.stats();
    assert.strictEqual(stats.unsentRecords, 2);
    assert.strictEqual(stats.unsentLines, 3);
    assert.strictEqual(stats.unsentBytes, 'a v=1i\na v=2i'.length + Buffer.byteLength('b é=1i'));
    assert.strictEqual(stats.bytesOnDisk, stats.unsentBytes + 2 * FRAME_HEADER_BYTES);
    assert.strictEqual(stats.oldestUnsentEnqueuedAt, 5000);
    assert.deepStrictEqual(stats.appended, { records: 2, lines: 3, bytes: stats.unsentBytes });
    const [first] = await queue.readNext(1);
    await queue.ack(first.end);
    stats = queue.stats();
    assert.strictEqual(stats.oldestUnsentEnqueuedAt, 6000);
    assert.deepStrictEqual(stats.acknowledged, { records: 1, lines: 2, bytes: 13 });
    assert.strictEqual(stats.unsentLines, 1);
  });

  describe('recovery', function () {
    async function fillAndClose(count, options = {}) {
      const q = await open(options);
      for (let i = 0; i < count; i++) await q.append([`rec v=${i}i`]);
      await q.close();
    }

    it('truncates a torn record at the end of the last segment', async function () {
      await fillAndClose(10);
      const [file] = segmentFiles(dir);
      const full = path.join(dir, file);
      const sizeBefore = fs.statSync(full).size;
      // Half a frame: the header of a record whose payload never reached the disk.
      const { encodeFrame } = require('../../nodes/lib/queue/record-format');
      fs.appendFileSync(full, encodeFrame('torn v=1i', 1, Date.now()).subarray(0, 20));
      const drops = [];
      queue = await open({ onDrop: (d) => drops.push(d) });
      assert.strictEqual(fs.statSync(full).size, sizeBefore);
      assert.strictEqual(queue.stats().dropped.corrupt.records, 0, 'a torn write is not damage');
      await queue.append(['after v=1i']);
      const data = (await readAll(queue)).map((r) => r.data);
      assert.strictEqual(data.length, 11);
      assert.strictEqual(data[10], 'after v=1i');
    });

    it('truncates zero-filled space left by a crash at the end', async function () {
      await fillAndClose(3);
      const full = path.join(dir, segmentFiles(dir)[0]);
      const sizeBefore = fs.statSync(full).size;
      fs.appendFileSync(full, Buffer.alloc(4096));
      queue = await open();
      assert.strictEqual(fs.statSync(full).size, sizeBefore);
      assert.strictEqual((await readAll(queue)).length, 3);
    });

    it('skips a record with a flipped byte mid-segment, counts it, and keeps everything after it', async function () {
      await fillAndClose(10);
      const full = path.join(dir, segmentFiles(dir)[0]);
      const buf = fs.readFileSync(full);
      const frameBytes = buf.length / 10;
      buf[4 * frameBytes + FRAME_HEADER_BYTES + 2] ^= 0x01; // payload of record 4
      fs.writeFileSync(full, buf);
      const drops = [];
      queue = await open({ onDrop: (d) => drops.push(d) });
      const data = (await readAll(queue)).map((r) => r.data);
      assert.deepStrictEqual(
        data,
        [0, 1, 2, 3, 5, 6, 7, 8, 9].map((i) => `rec v=${i}i`),
      );
      const stats = queue.stats();
      assert.strictEqual(stats.dropped.corrupt.records, 1);
      assert.strictEqual(stats.dropped.corrupt.bytes, frameBytes);
      assert.strictEqual(stats.unsentRecords, 9);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepStrictEqual(drops, [{ reason: 'corrupt', records: 1, lines: 1, bytes: frameBytes }]);
    });

    it('recovers from a damaged length field by finding the next frame', async function () {
      await fillAndClose(6);
      const full = path.join(dir, segmentFiles(dir)[0]);
      const buf = fs.readFileSync(full);
      const frameBytes = buf.length / 6;
      buf.writeUInt32LE(0x7fffff, 2 * frameBytes + 4); // record 2 now claims a huge payload
      fs.writeFileSync(full, buf);
      queue = await open();
      assert.deepStrictEqual(
        (await readAll(queue)).map((r) => r.data),
        [0, 1, 3, 4, 5].map((i) => `rec v=${i}i`),
      );
      assert.strictEqual(queue.stats().dropped.corrupt.records, 1);
      assert.strictEqual(fs.statSync(full).size, buf.length, 'valid records after the damage are kept');
    });

    it('counts a whole damaged frame at the very end as corrupt and cuts it off', async function () {
      await fillAndClose(4);
      const full = path.join(dir, segmentFiles(dir)[0]);
      const buf = fs.readFileSync(full);
      buf[buf.length - 1] ^= 0xff;
      fs.writeFileSync(full, buf);
      queue = await open();
      assert.strictEqual((await readAll(queue)).length, 3);
      assert.strictEqual(queue.stats().dropped.corrupt.records, 1);
    });

    it('skips damage at the end of an older segment without cutting it off', async function () {
      await fillAndClose(60, { segmentMaxBytes: 1024 });
      const files = segmentFiles(dir);
      assert.ok(files.length >= 2);
      const first = path.join(dir, files[0]);
      const buf = fs.readFileSync(first);
      buf[buf.length - 1] ^= 0xff; // last record of a segment that is not the last one
      fs.writeFileSync(first, buf);
      queue = await open({ segmentMaxBytes: 1024 });
      const data = (await readAll(queue)).map((r) => r.data);
      assert.strictEqual(data.length, 59);
      assert.strictEqual(data[data.length - 1], 'rec v=59i', 'later segments are intact');
      assert.strictEqual(fs.statSync(first).size, buf.length);
      assert.strictEqual(queue.stats().dropped.corrupt.records, 1);
    });

    it('counts damage that appears while the queue is open once, however often it is read', async function () {
      const drops = [];
      queue = await open({ onDrop: (d) => drops.push(d) });
      for (let i = 0; i < 5; i++) await queue.append([`rec v=${i}i`]);
      const full = path.join(dir, segmentFiles(dir)[0]);
      const frameBytes = fs.statSync(full).size / 5;
      const fd = fs.openSync(full, 'r+');
      fs.writeSync(fd, Buffer.from('#'), 0, 1, frameBytes + FRAME_HEADER_BYTES); // payload of record 1
      fs.closeSync(fd);
      const first = (await readAll(queue)).map((r) => r.data);
      queue.rewind();
      const second = (await readAll(queue)).map((r) => r.data);
      assert.deepStrictEqual(first, ['rec v=0i', 'rec v=2i', 'rec v=3i', 'rec v=4i']);
      assert.deepStrictEqual(second, first);
      assert.strictEqual(queue.stats().dropped.corrupt.records, 1);
      assert.deepStrictEqual(drops, [{ reason: 'corrupt', records: 1, lines: 1, bytes: frameBytes }]);
      await queue.readNext(1e6);
      await queue.ack({ segment: Number(segmentFiles(dir)[0].slice(0, 10)), offset: 5 * frameBytes });
      assert.strictEqual(queue.stats().unsentRecords, 0, 'the damaged record is not left counted as unsent');
    });

    it('streams recovery and reads through a small window (memory bounded by maxBytes + a fixed buffer)', async function () {
      this.timeout(20000);
      const record = 'x'.repeat(1000);
      let q = await open({ segmentMaxBytes: 8 * MiB });
      const appends = [];
      for (let i = 0; i < 3000; i++) appends.push(q.append([`${i} ${record}`]));
      await Promise.all(appends);
      await q.close();
      assert.ok(fs.statSync(path.join(dir, segmentFiles(dir)[0])).size > 2 * MiB);

      const proto = await fileHandlePrototype(path.dirname(dir));
      const original = proto.read;
      let largestRead = 0;
      let bytesRequested = 0;
      proto.read = function (buffer, offset, length, position) {
        const len = typeof length === 'number' ? length : buffer.length;
        largestRead = Math.max(largestRead, len);
        bytesRequested += len;
        return original.call(this, buffer, offset, length, position);
      };
      try {
        q = await open({ segmentMaxBytes: 8 * MiB });
        assert.ok(largestRead <= 64 * 1024, `recovery read ${largestRead} bytes at once`);
        const maxBytes = 16 * 1024;
        let count = 0;
        for (let i = 0; i < 20; i++) {
          bytesRequested = 0;
          const batch = await q.readNext(maxBytes);
          count += batch.length;
          assert.ok(bytesRequested <= maxBytes + 2 * 64 * 1024, `readNext read ${bytesRequested} bytes`);
        }
        assert.ok(count > 0 && count < 3000);
      } finally {
        proto.read = original;
      }
    });
  });

  describe('size bound', function () {
    const record = 'q'.repeat(10 * 1024 - FRAME_HEADER_BYTES); // 10 KiB frames

    it("'reject' refuses the append with QueueFullError and leaves queued data alone", async function () {
      const drops = [];
      queue = await open({ maxQueueSizeBytes: MiB, segmentMaxBytes: 64 * 1024, onDrop: (d) => drops.push(d) });
      let accepted = 0;
      let error;
      for (let i = 0; i < 200; i++) {
        try {
          await queue.append([record]);
          accepted++;
        } catch (err) {
          error = err;
          break;
        }
      }
      assert.ok(error instanceof QueueFullError);
      assert.strictEqual(error.code, 'QUEUE_FULL');
      assert.match(error.message, /^queue full: .*1048576/);
      assert.strictEqual(accepted, Math.floor(MiB / (10 * 1024)));
      const stats = queue.stats();
      assert.ok(stats.bytesOnDisk <= MiB);
      assert.strictEqual(stats.unsentRecords, accepted);
      assert.deepStrictEqual(stats.dropped['queue-full'], { records: 1, lines: 1, bytes: record.length });
      assert.strictEqual(drops.length, 1);
      assert.strictEqual(drops[0].reason, 'queue-full');
      assert.deepStrictEqual(drops[0].data, [record]);
      // Once the remote has acknowledged some, there is room again.
      const some = await queue.readNext(200 * 1024);
      await queue.ack(some[some.length - 1].end);
      await queue.append([record]);
    });

    it('always rejects a record bigger than maxQueueSizeBytes', async function () {
      queue = await open({ maxQueueSizeBytes: MiB, onQueueFull: 'drop-oldest' });
      await queue.append(['small v=1i']);
      await assert.rejects(queue.append(['z'.repeat(MiB)]), (err) => err.code === 'QUEUE_FULL');
      assert.strictEqual(queue.stats().unsentRecords, 1);
    });

    it("'drop-oldest' discards the oldest unsent records to make room, counting each one", async function () {
      const drops = [];
      queue = await open({ maxQueueSizeBytes: MiB, segmentMaxBytes: 64 * 1024, onQueueFull: 'drop-oldest', onDrop: (d) => drops.push(d) });
      const total = 300;
      for (let i = 0; i < total; i++) await queue.append([`${String(i).padStart(5, '0')} ${record.slice(6)}`]);
      const stats = queue.stats();
      assert.ok(stats.bytesOnDisk <= MiB, `${stats.bytesOnDisk} bytes on disk`);
      const kept = await readAll(queue);
      const droppedCount = stats.dropped['queue-full'].records;
      assert.ok(droppedCount > 0);
      assert.strictEqual(kept.length + droppedCount, total, 'every record is either kept or counted as dropped');
      assert.strictEqual(stats.dropped['queue-full'].lines, droppedCount);
      assert.strictEqual(
        drops.reduce((n, d) => n + d.records, 0),
        droppedCount,
      );
      // The dropped text goes with the report (a segment's worth is small enough to read), oldest first.
      const droppedText = drops.flatMap((d) => d.data);
      assert.strictEqual(droppedText.length, droppedCount);
      assert.deepStrictEqual(
        droppedText.map((t) => Number(t.slice(0, 5))),
        Array.from({ length: droppedCount }, (_, i) => i),
      );
      // What is kept is the newest, in order.
      assert.deepStrictEqual(
        kept.map((r) => Number(r.data.slice(0, 5))),
        Array.from({ length: kept.length }, (_, i) => total - kept.length + i),
      );
    });
  });

  describe("'drop-oldest' deleting records a writer is still sending", function () {
    const record = 'r'.repeat(10 * 1024);

    /** 50 records, the first few handed out (not acked), then 100 more so their segment is dropped. */
    async function overflowWhileSending(drops) {
      queue = await open({ maxQueueSizeBytes: MiB, segmentMaxBytes: 64 * 1024, onQueueFull: 'drop-oldest', onDrop: (d) => drops.push(d) });
      for (let i = 0; i < 50; i++) await queue.append([`${i} ${record}`]);
      const inFlight = await queue.readNext(30 * 1024); // a writer is sending these...
      assert.ok(inFlight.length >= 2);
      for (let i = 50; i < 150; i++) await queue.append([`${i} ${record}`]); // ...while the queue overflows
      return inFlight;
    }

    it('does not count them as dropped when the late ack says they arrived', async function () {
      const drops = [];
      const inFlight = await overflowWhileSending(drops);
      const before = queue.stats();
      const dropped = before.dropped['queue-full'].records;
      assert.ok(dropped > 0);
      const reported = drops.flatMap((d) => d.data).map((t) => Number(t.split(' ')[0]));
      assert.strictEqual(reported.length, dropped);
      assert.ok(reported.every((n) => n >= inFlight.length), `records out with the writer were reported dropped: ${reported.slice(0, 5)}`);
      assert.strictEqual(before.unsentRecords + dropped, 150, 'the records out are still unsent, once');

      await queue.ack(inFlight[inFlight.length - 1].end); // the send succeeds late
      const after = queue.stats();
      assert.strictEqual(after.acknowledged.records, inFlight.length, 'the delivered records count as acknowledged');
      assert.strictEqual(after.dropped['queue-full'].records, dropped, 'and not as dropped');
      assert.strictEqual(after.unsentRecords, 150 - dropped - inFlight.length);

      const rest = await readAll(queue);
      assert.strictEqual(rest.length + dropped + inFlight.length, 150);
      assert.strictEqual(rest[0].data.split(' ')[0], String(inFlight.length + dropped));
      await queue.ack(rest[rest.length - 1].end);
      const drained = queue.stats();
      assert.strictEqual(drained.unsentRecords, 0);
      assert.strictEqual(drained.unsentLines, 0);
      assert.strictEqual(drained.unsentBytes, 0);
      assert.strictEqual(drained.acknowledged.records + drained.dropped['queue-full'].records, 150);
      queue.rewind();
      assert.strictEqual(queue.stats().dropped['queue-full'].records, dropped, 'a rewind after the ack counts nothing more');
    });

    it('counts them as dropped once, with their text, when the writer rewinds instead', async function () {
      const drops = [];
      const inFlight = await overflowWhileSending(drops);
      const dropped = queue.stats().dropped['queue-full'].records;
      const reportsBefore = drops.length;

      queue.rewind(); // the send failed
      let stats = queue.stats();
      assert.strictEqual(stats.dropped['queue-full'].records, dropped + inFlight.length);
      assert.strictEqual(stats.dropped['queue-full'].lines, dropped + inFlight.length);
      const late = drops.slice(reportsBefore);
      assert.deepStrictEqual(
        late.map((d) => [d.reason, d.records, d.lines]),
        [['queue-full', inFlight.length, inFlight.length]],
      );
      assert.deepStrictEqual(late[0].data, inFlight.map((r) => r.data));
      assert.strictEqual(stats.unsentRecords + stats.dropped['queue-full'].records, 150, 'not counted twice');

      queue.rewind();
      await queue.ack(inFlight[inFlight.length - 1].end); // a stale ack changes nothing either
      stats = queue.stats();
      assert.strictEqual(stats.dropped['queue-full'].records, dropped + inFlight.length, 'counted once');
      assert.strictEqual(stats.acknowledged.records, 0);

      // The read cursor moved to the first record that still exists.
      const rest = await readAll(queue);
      assert.strictEqual(rest[0].data.split(' ')[0], String(dropped + inFlight.length));
      assert.strictEqual(rest.length + dropped + inFlight.length, 150);
      await queue.ack(rest[rest.length - 1].end);
      assert.strictEqual(queue.stats().unsentRecords, 0);
    });

    it('counts an ack that covers only some of them, and drops the rest on rewind', async function () {
      const drops = [];
      const inFlight = await overflowWhileSending(drops);
      const dropped = queue.stats().dropped['queue-full'].records;
      await queue.ack(inFlight[0].end);
      assert.strictEqual(queue.stats().acknowledged.records, 1);
      queue.rewind();
      const stats = queue.stats();
      assert.strictEqual(stats.dropped['queue-full'].records, dropped + inFlight.length - 1);
      assert.strictEqual(stats.acknowledged.records + stats.dropped['queue-full'].records + stats.unsentRecords, 150);
    });
  });

  describe('max age', function () {
    it('drops records by their enqueue time when reading, and they never come back', async function () {
      let clock = 1_000_000;
      const drops = [];
      const options = { maxAgeSeconds: 60, now: () => clock, onDrop: (d) => drops.push(d) };
      queue = await open(options);
      await queue.append(['old v=1i']);
      await queue.append(['old v=2i', 'old v=3i']);
      clock += 50_000;
      await queue.append(['new v=1i']);
      // The file's modification time is now; only the records' own times say they are old.
      clock += 20_000;
      const records = await queue.readNext(1e6);
      assert.deepStrictEqual(
        records.map((r) => r.data),
        ['new v=1i'],
      );
      assert.deepStrictEqual(queue.stats().dropped.age, { records: 2, lines: 3, bytes: 8 + 17 });
      assert.deepStrictEqual(drops, [{ reason: 'age', records: 2, lines: 3, bytes: 25, data: ['old v=1i', 'old v=2i\nold v=3i'] }]);
      await queue.close();
      queue = await open(options);
      assert.deepStrictEqual(
        (await readAll(queue)).map((r) => r.data),
        ['new v=1i'],
      );
    });

    it('expire() applies max age without a reader, whole segments included', async function () {
      let clock = 0;
      const drops = [];
      queue = await open({ maxAgeSeconds: 10, now: () => clock, segmentMaxBytes: 1024, onDrop: (d) => drops.push(d) });
      for (let i = 0; i < 100; i++) {
        clock = i * 1000;
        await queue.append([`m v=${i}i`]);
      }
      assert.ok(segmentFiles(dir).length > 2);
      clock = 100_000; // records enqueued before 90 000 are too old
      await queue.expire();
      const stats = queue.stats();
      assert.strictEqual(stats.dropped.age.records, 90);
      assert.strictEqual(drops.length, 1);
      assert.deepStrictEqual(drops[0].data, Array.from({ length: 90 }, (_, i) => `m v=${i}i`));
      assert.strictEqual(stats.unsentRecords, 10);
      assert.strictEqual(stats.oldestUnsentEnqueuedAt, 90_000);
      assert.strictEqual((await queue.readNext(1e6))[0].data, 'm v=90i');
    });

    it('keeps everything when maxAgeSeconds is 0', async function () {
      let clock = 0;
      queue = await open({ maxAgeSeconds: 0, now: () => clock });
      await queue.append(['m v=1i']);
      clock = 1e12;
      await queue.expire();
      assert.strictEqual((await queue.readNext(1e6)).length, 1);
    });
  });

  it('purge drops every unacknowledged record without reading it', async function () {
    const drops = [];
    queue = await open({ segmentMaxBytes: 1024, onDrop: (d) => drops.push(d) });
    for (let i = 0; i < 50; i++) await queue.append([`m v=${i}i`, `m w=${i}i`]);
    const first = await queue.readNext(1);
    await queue.ack(first[0].end);
    const dropped = await queue.purge();
    assert.deepStrictEqual(dropped, { reason: 'purge', records: 49, lines: 98, bytes: queue.stats().dropped.purge.bytes });
    assert.deepStrictEqual(drops, [dropped]);
    assert.strictEqual(queue.stats().unsentRecords, 0);
    assert.strictEqual(queue.stats().bytesOnDisk, 0);
    assert.deepStrictEqual(await queue.readNext(1e6), []);
    await queue.append(['after v=1i']);
    assert.strictEqual((await queue.readNext(1e6))[0].data, 'after v=1i');
  });

  it('rejects an append with a clear error on a disk failure and stays usable', async function () {
    queue = await open();
    await queue.append(['before v=1i']);
    const proto = await fileHandlePrototype(path.dirname(dir));
    const original = proto.writev;
    proto.writev = async function () {
      const err = new Error('ENOSPC: no space left on device, write');
      err.code = 'ENOSPC';
      throw err;
    };
    try {
      await assert.rejects(queue.append(['lost v=1i']), (err) => err.code === 'ENOSPC' && /queue write failed: ENOSPC/.test(err.message));
    } finally {
      proto.writev = original;
    }
    await queue.append(['after v=1i']);
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      ['before v=1i', 'after v=1i'],
    );
    assert.strictEqual(queue.stats().appended.records, 2);
  });

  it('close waits for pending appends; destroy removes the folder', async function () {
    queue = await open();
    const pending = Array.from({ length: 10 }, (_, i) => queue.append([`m v=${i}i`]));
    await queue.close();
    await Promise.all(pending);
    await assert.rejects(queue.append(['late v=1i']), /closed/);
    queue = await open();
    assert.strictEqual((await readAll(queue)).length, 10);
    await queue.destroy();
    assert.strictEqual(fs.existsSync(dir), false);
  });
});

'use strict';
// The acknowledged position: two preallocated slot files written in place (so an ack needs no free space),
// the previous format's ack.json migrated, and figures that change only once an ack is durable.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DurableQueue } = require('../../nodes/lib/queue');
const { decodeAckSlot, encodeAckSlot, SLOT_BYTES } = require('../../nodes/lib/queue/ack-file');

const SLOTS = ['ack-0.slot', 'ack-1.slot'];

async function readAll(queue) {
  const all = [];
  for (;;) {
    const batch = await queue.readNext(1e9);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

describe('DurableQueue acknowledged position', function () {
  let root;
  let dir;
  const opened = [];

  async function open(options = {}) {
    const q = await DurableQueue.open({ dir, maxAgeSeconds: 0, ...options });
    opened.push(q);
    return q;
  }

  async function queueOf(count) {
    const q = await open();
    for (let i = 0; i < count; i++) await q.append([`rec v=${i}i`]);
    return q;
  }

  function slotContents() {
    return SLOTS.map((name) => decodeAckSlot(fs.readFileSync(path.join(dir, name))));
  }

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-ack-test-'));
    dir = path.join(root, 'stream');
  });

  afterEach(async function () {
    for (const q of opened.splice(0)) await q.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('preallocates both slots when the folder is created, and writes no other file to ack', async function () {
    const queue = await queueOf(5);
    for (const name of SLOTS) {
      const st = fs.statSync(path.join(dir, name));
      assert.strictEqual(st.size, SLOT_BYTES, name);
      assert.strictEqual(st.mode & 0o777, 0o600, name);
    }
    const inodes = SLOTS.map((name) => fs.statSync(path.join(dir, name)).ino);
    const namesBefore = fs.readdirSync(dir).sort();
    const records = await queue.readNext(1e6);
    for (const r of records) await queue.ack(r.end);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), namesBefore, 'no ack.json, no temporary file');
    assert.deepStrictEqual(
      SLOTS.map((name) => fs.statSync(path.join(dir, name)).ino),
      inodes,
      'the slots are overwritten in place, not replaced',
    );
    for (const name of SLOTS) assert.strictEqual(fs.statSync(path.join(dir, name)).size, SLOT_BYTES);
    // Writes alternate: one slot holds the last position, the other the one before.
    const contents = slotContents();
    const sequences = contents.map((c) => c.sequence).sort((a, b) => a - b);
    assert.strictEqual(sequences[1] - sequences[0], 1);
    const newest = contents.find((c) => c.sequence === sequences[1]);
    assert.deepStrictEqual(newest.position, records[4].end);
  });

  it('reopens at the newest acknowledged position', async function () {
    let queue = await queueOf(6);
    const records = await queue.readNext(1e6);
    await queue.ack(records[1].end);
    await queue.ack(records[3].end);
    await queue.close();
    queue = await open();
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      ['rec v=4i', 'rec v=5i'],
    );
    assert.strictEqual(queue.stats().unsentRecords, 2);
  });

  it('falls back to the other slot when the newest one is torn or cut short', async function () {
    for (const damage of ['torn', 'short']) {
      let queue = await queueOf(6);
      const records = await queue.readNext(1e6);
      await queue.ack(records[1].end);
      await queue.ack(records[3].end);
      await queue.close();
      const contents = slotContents();
      const newest = contents[0].sequence > contents[1].sequence ? 0 : 1;
      const file = path.join(dir, SLOTS[newest]);
      if (damage === 'torn') {
        const buf = fs.readFileSync(file);
        buf[20] ^= 0x40; // a crash halfway through rewriting the slot
        fs.writeFileSync(file, buf);
      } else {
        fs.truncateSync(file, 10);
      }
      queue = await open();
      assert.deepStrictEqual(
        (await readAll(queue)).map((r) => r.data),
        ['rec v=2i', 'rec v=3i', 'rec v=4i', 'rec v=5i'],
        `${damage} slot: the previous position, so records are sent again rather than lost`,
      );
      assert.strictEqual(fs.statSync(file).size, SLOT_BYTES, `${damage} slot is given its full size again`);
      // The next ack goes to the damaged slot, never over the valid one.
      const valid = slotContents()[1 - newest];
      await queue.ack(records[4].end);
      await queue.close();
      assert.deepStrictEqual(slotContents()[newest].position, records[4].end, damage);
      assert.deepStrictEqual(slotContents()[1 - newest], valid, damage);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates the previous format's ack.json and removes it", async function () {
    let queue = await queueOf(5);
    const records = await queue.readNext(1e6);
    await queue.close();
    for (const name of SLOTS) fs.unlinkSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, 'ack.json'), JSON.stringify(records[2].end), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'ack.json.tmp'), '{"segm', { mode: 0o600 });

    queue = await open();
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      ['rec v=3i', 'rec v=4i'],
    );
    const names = fs.readdirSync(dir);
    assert.ok(!names.includes('ack.json') && !names.includes('ack.json.tmp'), String(names));
    assert.ok(SLOTS.every((name) => names.includes(name)), String(names));
    await queue.close();
    queue = await open();
    assert.strictEqual((await readAll(queue)).length, 2, 'the migrated position survives the next open');
  });

  it('removes an unreadable ack.json and re-sends from the oldest record rather than lose any', async function () {
    let queue = await queueOf(3);
    await queue.close();
    for (const name of SLOTS) fs.unlinkSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, 'ack.json'), '{"segment": "x"');
    queue = await open();
    assert.strictEqual((await readAll(queue)).length, 3);
    assert.ok(!fs.readdirSync(dir).includes('ack.json'));
  });

  it('takes the later of ack.json and the slots when a crash left both', async function () {
    let queue = await queueOf(5);
    const records = await queue.readNext(1e6);
    await queue.ack(records[3].end);
    await queue.close();
    fs.writeFileSync(path.join(dir, 'ack.json'), JSON.stringify(records[1].end));
    queue = await open();
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      ['rec v=4i'],
    );
    assert.ok(!fs.readdirSync(dir).includes('ack.json'));
  });

  it('ignores a slot whose checksum matches but whose fields are not positions', async function () {
    let queue = await queueOf(3);
    await queue.close();
    const bogus = encodeAckSlot(99, { segment: 1.5, offset: -1 });
    assert.strictEqual(decodeAckSlot(bogus), null);
    fs.writeFileSync(path.join(dir, SLOTS[1]), bogus);
    queue = await open();
    assert.strictEqual((await readAll(queue)).length, 3);
  });

  it('frees a drained active segment when the disk is full, so appends work again', async function () {
    const queue = await queueOf(5);
    const records = await queue.readNext(1e6);
    await queue.ack(records[4].end); // drained, but the data stays in the active segment
    const drainedSegment = fs.readdirSync(dir).find((n) => n.endsWith('.seg'));
    // The disk is full: the next segment write fails once (white box: appends go through writev).
    const fh = await fs.promises.open(path.join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(fh);
    await fh.close();
    const original = proto.writev;
    let failures = 0;
    proto.writev = function (...args) {
      if (failures === 0) {
        failures++;
        return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      }
      return original.apply(this, args);
    };
    try {
      await queue.append(['after v=1i']);
    } finally {
      proto.writev = original;
    }
    assert.strictEqual(failures, 1);
    const segments = fs.readdirSync(dir).filter((n) => n.endsWith('.seg'));
    assert.ok(!segments.includes(drainedSegment), `the drained segment ${drainedSegment} is deleted: ${segments}`);
    assert.deepStrictEqual((await readAll(queue)).map((r) => r.data), ['after v=1i']);
    assert.strictEqual(queue.stats().unsentRecords, 1);
  });

  it('still refuses an append on a full disk when nothing can be freed', async function () {
    const queue = await queueOf(2);
    const fh = await fs.promises.open(path.join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(fh);
    await fh.close();
    const original = proto.writev;
    proto.writev = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    try {
      await assert.rejects(queue.append(['late v=1i']), /write failed: ENOSPC/);
    } finally {
      proto.writev = original;
    }
    assert.strictEqual(queue.stats().unsentRecords, 2);
    assert.strictEqual((await readAll(queue)).length, 2);
  });

  it('rejects a failed ack with a clear error and leaves every figure as it was', async function () {
    const queue = await queueOf(6);
    const records = await queue.readNext(1e6);
    await queue.ack(records[0].end);
    const before = queue.stats();
    // The disk refuses the write (white box: the slot writer is the only thing an ack writes through).
    const slots = queue.ackSlots;
    const realWrite = slots.write;
    slots.write = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await assert.rejects(queue.ack(records[3].end), (err) => {
      assert.match(err.message, /acknowledge failed: ENOSPC: no space left on device/);
      assert.strictEqual(err.code, 'ENOSPC');
      return true;
    });
    assert.deepStrictEqual(queue.stats(), before, 'a failed ack counts nothing');

    slots.write = realWrite;
    await queue.ack(records[3].end);
    const after = queue.stats();
    assert.strictEqual(after.acknowledged.records, 4);
    assert.strictEqual(after.unsentRecords, 2);
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      [],
      'nothing handed out twice: the records after the ack were read already',
    );
    queue.rewind();
    assert.deepStrictEqual(
      (await readAll(queue)).map((r) => r.data),
      ['rec v=4i', 'rec v=5i'],
    );
  });

  it('keeps every line counted while an ack or a purge is on its way to disk', async function () {
    // Small segments, so that acks cover whole segments, records handed out and a stretch nobody read.
    const queue = await open({ segmentMaxBytes: 1024 });
    for (let i = 0; i < 60; i++) await queue.append([`rec,pad=${'x'.repeat(40)} v=${i}i`, `rec v=${i}i`]);
    assert.ok(queue.stats().bytesOnDisk > 3 * 1024, 'several segments');
    const slots = queue.ackSlots;
    const realWrite = slots.write.bind(slots);
    // The slot write takes a while, as on a slow disk, so that stats() can be read while it is pending.
    slots.write = async (position) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      return realWrite(position);
    };
    const samples = [];
    const accounted = () => {
      const s = queue.stats();
      const dropped = Object.values(s.dropped).reduce((sum, c) => sum + c.lines, 0);
      samples.push(s.unsentLines + s.acknowledged.lines + dropped);
      return s.appended.lines;
    };
    async function sampled(operation) {
      let pending = true;
      const done = operation.finally(() => {
        pending = false;
      });
      while (pending) {
        accounted();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
    }
    const handedOut = await queue.readNext(600);
    await sampled(queue.ack(handedOut[handedOut.length - 1].end));
    const rest = await queue.readNext(1e9);
    // Past what was handed out: the first records of `rest` counted from memory, then whole segments.
    await sampled(queue.ack(rest[Math.floor(rest.length / 2)].end));
    queue.rewind();
    await sampled(queue.purge());
    const appended = accounted();
    assert.strictEqual(appended, 120);
    assert.ok(samples.length > 10, `${samples.length} samples`);
    assert.deepStrictEqual([...new Set(samples)], [appended], 'unsent + acknowledged + dropped = appended, at every moment');
    const s = queue.stats();
    assert.strictEqual(s.unsentLines, 0);
    assert.ok(s.acknowledged.lines > 0 && s.dropped.purge.lines > 0, JSON.stringify(s));
  });
});

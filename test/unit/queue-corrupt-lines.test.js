'use strict';
// A record lost to damage is reported with the lines it held, not as 0 lines.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DurableQueue } = require('../../nodes/lib/queue');
const { FRAME_HEADER_BYTES } = require('../../nodes/lib/queue/record-format');

const LINES = ['m,host=a v=1i 1', 'm,host=a v=2i 2', 'm,host=a v=3i 3', 'm,host=a v=4i 4', 'm,host=a v=5i 5'];

describe('DurableQueue: lines of damaged records', function () {
  let root;
  let dir;
  let queue;

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-corrupt-test-'));
    dir = path.join(root, 'stream');
  });

  afterEach(async function () {
    if (queue) await queue.close().catch(() => undefined);
    queue = null;
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Three records of five lines each; `damage(buf, frameBytes)` edits the segment file before reopening. */
  async function reopenDamaged(damage) {
    const q = await DurableQueue.open({ dir, maxAgeSeconds: 0, now: () => 1_700_000_000_000 });
    for (let i = 0; i < 3; i++) await q.append(LINES.map((l) => `${l}${i}`));
    await q.close();
    const file = path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith('.seg')));
    const buf = fs.readFileSync(file);
    const frameBytes = buf.length / 3;
    damage(buf, frameBytes);
    fs.writeFileSync(file, buf);
    const drops = [];
    queue = await DurableQueue.open({ dir, maxAgeSeconds: 0, onDrop: (d) => drops.push(d) });
    const data = [];
    for (let batch; (batch = await queue.readNext(1e6)).length > 0; ) data.push(...batch.map((r) => r.data.split('\n')[0]));
    await new Promise((resolve) => setImmediate(resolve));
    return { drops, data, stats: queue.stats(), frameBytes };
  }

  it("counts a record with a damaged payload by its header's line count", async function () {
    const { drops, data, stats } = await reopenDamaged((buf, frameBytes) => {
      buf[frameBytes + FRAME_HEADER_BYTES + 3] ^= 0x01; // payload of the middle record
    });
    assert.deepStrictEqual(data, [`${LINES[0]}0`, `${LINES[0]}2`]);
    assert.strictEqual(stats.dropped.corrupt.records, 1);
    assert.strictEqual(stats.dropped.corrupt.lines, 5);
    assert.deepStrictEqual(
      drops.map((d) => [d.reason, d.records, d.lines]),
      [['corrupt', 1, 5]],
    );
  });

  for (const [what, value] of [
    ['too many lines for its payload', 1_000_000],
    ['zero lines', 0],
  ]) {
    it(`counts the line ends when the header's line count is implausible (${what})`, async function () {
      const { drops, stats } = await reopenDamaged((buf, frameBytes) => {
        buf.writeUInt32LE(value, frameBytes + 8); // line count of the middle record
      });
      assert.strictEqual(stats.dropped.corrupt.lines, 5, '4 line ends in the payload, so 5 lines');
      assert.deepStrictEqual(
        drops.map((d) => [d.reason, d.lines]),
        [['corrupt', 5]],
      );
    });
  }

  it('counts the line ends of damaged bytes that no longer look like a frame', async function () {
    const { stats, data } = await reopenDamaged((buf, frameBytes) => {
      buf[frameBytes] = 0x00; // the middle record's magic byte
    });
    assert.strictEqual(data.length, 2);
    assert.strictEqual(stats.dropped.corrupt.records, 1);
    // The header's binary fields might hold a 0x0a byte too: at least the payload's five lines.
    assert.ok(stats.dropped.corrupt.lines >= 5, `${stats.dropped.corrupt.lines} lines`);
    assert.ok(stats.dropped.corrupt.lines <= 5 + FRAME_HEADER_BYTES, `${stats.dropped.corrupt.lines} lines`);
  });

  it('counts a whole damaged last record by its lines too', async function () {
    const { stats, data } = await reopenDamaged((buf) => {
      buf[buf.length - 1] ^= 0xff;
    });
    assert.strictEqual(data.length, 2);
    assert.strictEqual(stats.dropped.corrupt.records, 1);
    assert.strictEqual(stats.dropped.corrupt.lines, 5);
  });

  it('counts damage found while the queue is open with its lines', async function () {
    const drops = [];
    queue = await DurableQueue.open({ dir, maxAgeSeconds: 0, onDrop: (d) => drops.push(d) });
    for (let i = 0; i < 3; i++) await queue.append(LINES);
    const file = path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith('.seg')));
    const frameBytes = fs.statSync(file).size / 3;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('#'), 0, 1, frameBytes + FRAME_HEADER_BYTES + 1);
    fs.closeSync(fd);
    const records = await queue.readNext(1e6);
    assert.strictEqual(records.length, 2);
    assert.strictEqual(queue.stats().dropped.corrupt.lines, 5);
    assert.deepStrictEqual(
      drops.map((d) => [d.reason, d.records, d.lines]),
      [['corrupt', 1, 5]],
    );
  });
});

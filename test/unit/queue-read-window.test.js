'use strict';
// readNext reads a batch's worth of the segment file in one go (not in 64 kB steps) and hands out each record
// as its stored UTF-8 bytes, with their size.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fileHandlePrototype } = require('./fixtures/file-handle');
const { DurableQueue } = require('../../nodes/lib/queue');

describe('DurableQueue readNext window', function () {
  let root;
  let queue;

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-read-window-'));
  });

  afterEach(async function () {
    if (queue) await queue.close().catch(() => undefined);
    queue = null;
    fs.rmSync(root, { recursive: true, force: true });
  });

  function lineOf(i) {
    // Multi-byte characters: bytes and characters differ.
    return `m,host=h${i % 7},loc=Zürich v=${i}i,s="€${'x'.repeat(i % 50)}" ${1000 + i}`;
  }

  it('reports the UTF-8 bytes of every record and reads a 500 kB batch in at most two file reads', async function () {
    queue = await DurableQueue.open({ dir: path.join(root, 'q'), maxAgeSeconds: 0 });
    const records = [];
    for (let r = 0; r < 900; r++) records.push(Array.from({ length: 20 }, (_, k) => lineOf(r * 20 + k)));
    for (const lines of records) await queue.append(lines);

    const proto = await fileHandlePrototype(root);
    const original = proto.read;
    let reads = 0;
    proto.read = function (...args) {
      reads++;
      return original.apply(this, args);
    };
    const got = [];
    const readsPerCall = [];
    try {
      for (;;) {
        reads = 0;
        const batch = await queue.readNext(500_000);
        if (batch.length === 0) break;
        readsPerCall.push(reads);
        got.push(...batch);
      }
    } finally {
      proto.read = original;
    }
    assert.deepStrictEqual(
      got.map((r) => r.data),
      records.map((lines) => lines.join('\n')),
    );
    for (const r of got) assert.strictEqual(r.bytes, Buffer.byteLength(r.data, 'utf8'));
    const total = got.reduce((s, r) => s + r.bytes, 0);
    assert.ok(total > 1_000_000, `only ${total} bytes queued`);
    assert.ok(readsPerCall.length >= 2, `${readsPerCall.length} calls`);
    for (const n of readsPerCall) assert.ok(n <= 2, `a readNext made ${n} file reads: ${readsPerCall.join(',')}`);
  });

  it('still hands out a record bigger than the window whole, after small ones', async function () {
    queue = await DurableQueue.open({ dir: path.join(root, 'q'), maxAgeSeconds: 0 });
    const big = Array.from({ length: 60_000 }, (_, i) => lineOf(i)); // about 4.5 MB
    await queue.append(['small v=1i']);
    await queue.append(big);
    await queue.append(['small v=2i']);
    const first = await queue.readNext(100);
    assert.deepStrictEqual(
      first.map((r) => r.data),
      ['small v=1i'],
    );
    const second = await queue.readNext(100);
    assert.strictEqual(second.length, 1);
    assert.strictEqual(second[0].data, big.join('\n'));
    assert.strictEqual(second[0].bytes, Buffer.byteLength(big.join('\n')));
    const third = await queue.readNext(100);
    assert.deepStrictEqual(
      third.map((r) => r.data),
      ['small v=2i'],
    );
  });
  it('hands out each record as its stored bytes, which stay intact while the same read and later reads go on', async function () {
    queue = await DurableQueue.open({ dir: path.join(root, 'q'), maxAgeSeconds: 0 });
    // Tiny records (a 24-byte header for a few bytes of line): 40 kB of lines span far more of the file than
    // the read window of about 66 kB, so the scanner loads more of the file in the middle of one read. The
    // records handed out before are views of the old window: it must not be read into again.
    const appended = Array.from({ length: 8000 }, (_, i) => `m,l=ü v=${i}i`);
    for (let i = 0; i < appended.length; i += 500) await Promise.all(appended.slice(i, i + 500).map((l) => queue.append([l])));
    const got = [];
    for (let batch = await queue.readNext(40_000); batch.length > 0; batch = await queue.readNext(40_000)) got.push(...batch);
    assert.strictEqual(got.length, appended.length);
    got.forEach((record, i) => {
      assert.ok(Buffer.isBuffer(record.payload));
      assert.ok(record.payload.equals(Buffer.from(appended[i], 'utf8')), `record ${i}: ${record.payload.toString()}`);
      assert.strictEqual(record.bytes, record.payload.length);
      assert.strictEqual(record.data, appended[i]);
      assert.strictEqual(record.lines, 1);
    });
  });
  it('with reuseReadBuffer reads into the same buffer again; reads without it never touch that buffer', async function () {
    queue = await DurableQueue.open({ dir: path.join(root, 'q'), maxAgeSeconds: 0 });
    const appended = [];
    for (let r = 0; r < 12; r++) {
      const lines = Array.from({ length: 40 }, (_, k) => lineOf(r * 40 + k));
      appended.push(lines.join('\n'));
      await queue.append(lines);
    }
    const first = await queue.readNext(10_000, { reuseReadBuffer: true });
    const plain = await queue.readNext(10_000);
    const second = await queue.readNext(10_000, { reuseReadBuffer: true });
    assert.ok(first.length > 0 && plain.length > 0 && second.length > 0);
    assert.strictEqual(second[0].payload.buffer, first[0].payload.buffer, 'the same buffer, read into again');
    assert.notStrictEqual(plain[0].payload.buffer, first[0].payload.buffer);
    // The plain read's records are intact after the reusing read; the reusing read's are its own.
    const at = first.length;
    plain.forEach((r, i) => assert.strictEqual(r.data, appended[at + i]));
    second.forEach((r, i) => assert.strictEqual(r.data, appended[at + plain.length + i]));
    // Nothing left: the reusable buffer is let go (an idle stream does not keep it), and reading works on.
    for (let batch = await queue.readNext(10_000, { reuseReadBuffer: true }); batch.length > 0; batch = await queue.readNext(10_000, { reuseReadBuffer: true }));
    await queue.append(['late v=1i']);
    const late = await queue.readNext(10_000, { reuseReadBuffer: true });
    assert.deepStrictEqual(late.map((r) => r.data), ['late v=1i']);
  });
  it('reads a record or two into a buffer of about their size, not a whole batch window', async function () {
    queue = await DurableQueue.open({ dir: path.join(root, 'q'), maxAgeSeconds: 0 });
    // A stream that keeps up: each batch finds one small record, and the reusable buffer is let go when idle.
    for (let r = 0; r < 3; r++) {
      await queue.append([`m v=${r}i`]);
      const got = await queue.readNext(500_000, { reuseReadBuffer: true });
      assert.deepStrictEqual(got.map((x) => x.data), [`m v=${r}i`]);
      const held = got[0].payload.buffer.byteLength;
      assert.ok(held < 64 * 1024, `a ${got[0].bytes}-byte record was read into a ${held}-byte buffer`);
      assert.deepStrictEqual(await queue.readNext(500_000, { reuseReadBuffer: true }), []);
    }
  });
});

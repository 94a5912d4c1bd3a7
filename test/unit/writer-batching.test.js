'use strict';
const assert = require('assert');
const { buildBatches, Batcher, splitOnLines } = require('../../nodes/lib/writer');

let offset = 0;
function record(lines) {
  offset += 1;
  return { data: lines.join('\n'), lines: lines.length, end: { segment: 0, offset } };
}
function line(i, pad = 0) {
  return `m,host=h${i} v=${i}${pad ? `,s="${'x'.repeat(pad)}"` : ''} ${1000 + i}`;
}
function allLines(batches) {
  return batches.flatMap((b) => b.body.split('\n'));
}

describe('writer batching', function () {
  it('merges small records into one request, acknowledging the last record', function () {
    const records = [record([line(1)]), record([line(2), line(3)]), record([line(4)])];
    const batches = buildBatches(records, 500000);
    assert.strictEqual(batches.length, 1);
    assert.strictEqual(batches[0].body, [1, 2, 3, 4].map((i) => line(i)).join('\n'));
    assert.strictEqual(batches[0].lines, 4);
    assert.strictEqual(batches[0].bytes, Buffer.byteLength(batches[0].body));
    assert.deepStrictEqual(batches[0].ackTo, records[2].end);
  });

  it('never exceeds maxBatchBytes (separators included) and keeps every line in order', function () {
    const records = [];
    for (let r = 0; r < 200; r++) records.push(record([line(r * 3, r % 7), line(r * 3 + 1), line(r * 3 + 2, 13)]));
    const max = 1000;
    const batches = buildBatches(records, max);
    assert.ok(batches.length > 10);
    for (const b of batches) {
      assert.ok(b.bytes <= max, `batch of ${b.bytes} bytes`);
      assert.strictEqual(b.bytes, Buffer.byteLength(b.body));
      assert.strictEqual(b.lines, b.body.split('\n').length);
    }
    assert.deepStrictEqual(allLines(batches), records.flatMap((r) => r.data.split('\n')));
    // Records are not split when they fit, so every batch ends a record.
    for (const b of batches) assert.ok(b.ackTo);
    assert.deepStrictEqual(batches[batches.length - 1].ackTo, records[records.length - 1].end);
  });

  it('splits a record bigger than the limit on line boundaries, acking it only with its last piece', function () {
    const lines = [];
    for (let i = 0; i < 50; i++) lines.push(line(i, 20));
    const small = record([line(100)]);
    const big = record(lines);
    const after = record([line(200)]);
    const batches = buildBatches([small, big, after], 300);
    for (const b of batches) assert.ok(b.bytes <= 300);
    assert.deepStrictEqual(allLines(batches), [line(100), ...lines, line(200)]);
    const acks = batches.map((b) => b.ackTo && b.ackTo.offset);
    // The small record is acked by the first batch, the big one only once its last line went.
    assert.strictEqual(acks[0], small.end.offset);
    const bigLast = batches.findIndex((b) => b.body.split('\n').includes(lines[lines.length - 1]));
    for (let i = 1; i < bigLast; i++) assert.strictEqual(acks[i], null);
    assert.ok(acks[bigLast] === big.end.offset || acks[bigLast] === after.end.offset);
    assert.strictEqual(acks[acks.length - 1], after.end.offset);
  });

  it('sends a single line larger than the limit alone', function () {
    const huge = `m s="${'y'.repeat(2000)}" 1`;
    const records = [record([line(1)]), record([line(2), huge, line(3)]), record([line(4)])];
    const batches = buildBatches(records, 500);
    const alone = batches.filter((b) => b.body.includes(huge));
    assert.strictEqual(alone.length, 1);
    assert.strictEqual(alone[0].body, huge);
    assert.strictEqual(alone[0].lines, 1);
    for (const b of batches) if (b !== alone[0]) assert.ok(b.bytes <= 500);
    assert.deepStrictEqual(allLines(batches), [line(1), line(2), huge, line(3), line(4)]);
  });

  it('counts UTF-8 bytes, not characters', function () {
    const wide = 'm,tag=größe v=1 1';
    const lines = Array.from({ length: 10 }, () => wide);
    const max = Buffer.byteLength(wide) * 3 + 2; // exactly three lines
    const batches = buildBatches([record(lines)], max);
    assert.deepStrictEqual(batches.map((b) => b.lines), [3, 3, 3, 1]);
    for (const b of batches) assert.ok(b.bytes <= max);
  });

  it('Batcher waits for more data until a batch is full, unless told nothing more is coming', function () {
    const batcher = new Batcher(100);
    batcher.add([record(['a'.repeat(40)])]);
    assert.strictEqual(batcher.hasFullBatch(), false);
    assert.strictEqual(batcher.take(false), null);
    batcher.add([record(['b'.repeat(40)]), record(['c'.repeat(40)])]);
    assert.strictEqual(batcher.hasFullBatch(), true);
    const first = batcher.take(false);
    assert.strictEqual(first.body, `${'a'.repeat(40)}\n${'b'.repeat(40)}`);
    assert.strictEqual(batcher.take(false), null);
    const rest = batcher.take(true);
    assert.strictEqual(rest.body, 'c'.repeat(40));
    assert.ok(batcher.isEmpty);
    assert.strictEqual(batcher.take(true), null);
  });

  it('splitOnLines keeps whole lines and their count', function () {
    const text = ['aaaa', 'bb', 'cccccccccc', 'd', 'ee'].join('\n');
    const chunks = splitOnLines(text, 6);
    assert.deepStrictEqual(chunks.map((c) => c.data), ['aaaa', 'bb', 'cccccccccc', 'd\nee']);
    assert.deepStrictEqual(chunks.map((c) => c.lines), [1, 1, 1, 2]);
    assert.deepStrictEqual(chunks.map((c) => c.bytes), [4, 2, 10, 4]);
  });

  it('toBuffer() is the UTF-8 of body, with multi-byte text, empty records and records split over batches', function () {
    const records = [
      record(['m,loc=Zürich v=1i 1', 'm,loc=東京 v=2i 2']),
      { data: '', lines: 0, end: { segment: 0, offset: ++offset } },
      record([line(3, 30), 'm s="€€€" 4']),
      record(Array.from({ length: 30 }, (_, i) => `m,loc=Zürich v=${i}i ${100 + i}`)),
      record(['only']),
    ];
    const batches = buildBatches(records, 200);
    assert.ok(batches.length > 3, `${batches.length} batches`);
    for (const b of batches) {
      const bytes = b.toBuffer();
      assert.ok(Buffer.isBuffer(bytes));
      assert.strictEqual(bytes.length, b.bytes);
      assert.ok(bytes.equals(Buffer.from(b.body, 'utf8')), `batch ${JSON.stringify(b.body)}`);
    }
    assert.deepStrictEqual(allLines(batches).filter((l) => l !== ''), records.flatMap((r) => (r.data ? r.data.split('\n') : [])));
  });

  it('uses the byte size a record brings instead of measuring it again', function () {
    const data = 'm,loc=Zürich v=1i 1';
    const batcher = new Batcher(1000);
    batcher.add([{ data, lines: 1, end: { segment: 0, offset: 1 }, bytes: Buffer.byteLength(data) }]);
    assert.strictEqual(batcher.bufferedBytes, Buffer.byteLength(data));
    const batch = batcher.take(true);
    assert.strictEqual(batch.bytes, Buffer.byteLength(data));
    assert.ok(batch.toBuffer().equals(Buffer.from(data)));
  });

  it('refuses a non-positive limit', function () {
    assert.throws(() => new Batcher(0), RangeError);
  });
});

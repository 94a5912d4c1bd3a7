'use strict';
const assert = require('assert');
const { buildBatches, Batcher } = require('../../nodes/lib/writer');

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

/**
 * The batching rules written plainly on text: records go into the current batch in queue order; one that
 * fits a batch but not the room left starts the next batch whole; one over the limit is cut between lines, its
 * first lines filling the room left (a line longer than the limit goes alone). A batch acks the last record
 * whose last line (or, for an empty record, whose place) it holds. The byte batcher must give exactly these.
 */
function referenceBatches(records, max) {
  const batches = [];
  let current = { lines: [], bytes: 0, ackTo: null };
  const flush = () => {
    batches.push({ body: current.lines.join('\n'), lines: current.lines.length, bytes: current.bytes, ackTo: current.ackTo });
    current = { lines: [], bytes: 0, ackTo: null };
  };
  for (const r of records) {
    const bytes = Buffer.byteLength(r.data);
    if (bytes > 0 && bytes <= max && current.lines.length > 0 && current.bytes + 1 + bytes > max) flush();
    for (const l of r.lines === 0 ? [] : r.data.split('\n')) {
      const lb = Buffer.byteLength(l);
      if (current.lines.length > 0 && current.bytes + 1 + lb > max) flush();
      current.bytes += (current.lines.length > 0 ? 1 : 0) + lb;
      current.lines.push(l);
    }
    current.ackTo = r.end;
  }
  if (current.lines.length > 0 || current.ackTo) flush();
  return batches;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/**
 * Batches as the writer takes them: a full batch when there is one, otherwise `ownPayloads()` (the hook) and a read
 * of what fits; each body copied out at once, as the writer does, before the next read.
 */
function batchesOf(batcher, max, readNext, ownPayloads) {
  const bodies = [];
  for (;;) {
    let batch = null;
    for (;;) {
      if (batcher.hasFullBatch()) {
        batch = batcher.take(false);
        break;
      }
      ownPayloads();
      const read = readNext(Math.max(1, max - batcher.bufferedBytes - 1));
      if (read.length === 0) {
        batch = batcher.take(true);
        break;
      }
      batcher.add(read);
    }
    if (!batch) return bodies;
    bodies.push({ text: batch.copyInto(Buffer.alloc(max)).toString(), lines: batch.lines, ackTo: batch.ackTo });
  }
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

  it('fills each batch with the first lines of a record just over the limit, not one request per sliver', function () {
    // A 500 kB message of millisecond lines is about 530 kB once its timestamps are in nanoseconds.
    const records = [];
    for (let r = 0; r < 10; r++) records.push(record(Array.from({ length: 53 }, (_, i) => line(r * 100 + i, 80 - String(r * 100 + i).length))));
    const max = 5200;
    const recordBytes = Buffer.byteLength(records[0].data);
    assert.ok(recordBytes > max && recordBytes < 1.1 * max, `${recordBytes} bytes a record`);
    const longest = Math.max(...records.flatMap((r) => r.data.split('\n')).map((l) => l.length));
    const batches = buildBatches(records, max);
    // Every batch but the last is too full to take one more line; cutting each record in two would make 20.
    for (const b of batches.slice(0, -1)) assert.ok(b.bytes > max - 1 - longest && b.bytes <= max, `${b.bytes} bytes`);
    assert.strictEqual(batches.length, 11);
    assert.deepStrictEqual(allLines(batches), records.flatMap((r) => r.data.split('\n')));
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

  it('cuts a record over the limit into whole lines, with their count and bytes', function () {
    const text = ['aaaa', 'bb', 'cccccccccc', 'd', 'ee'].join('\n');
    const batches = buildBatches([{ data: text, lines: 5, end: { segment: 0, offset: ++offset } }], 6);
    assert.deepStrictEqual(batches.map((b) => b.body), ['aaaa', 'bb', 'cccccccccc', 'd\nee']);
    assert.deepStrictEqual(batches.map((b) => b.lines), [1, 1, 1, 2]);
    assert.deepStrictEqual(batches.map((b) => b.bytes), [4, 2, 10, 4]);
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

  it('measures a text record by its UTF-8 bytes when it is added', function () {
    const data = 'm,loc=Zürich v=1i 1';
    const batcher = new Batcher(1000);
    batcher.add([{ data, lines: 1, end: { segment: 0, offset: 1 } }]);
    assert.strictEqual(batcher.bufferedBytes, Buffer.byteLength(data));
    const batch = batcher.take(true);
    assert.strictEqual(batch.bytes, Buffer.byteLength(data));
    assert.ok(batch.toBuffer().equals(Buffer.from(data)));
  });

  it('batches made from payload bytes are exactly the batches of the text rules (multi-byte, empty, oversized records)', function () {
    const random = prng(4);
    const words = ['cpu', 'Zürich', '東京', 'größe', '€', 'x'.repeat(90), '😀', 'v'];
    const records = [];
    for (let r = 0; r < 300; r++) {
      const n = random() < 0.1 ? 40 + Math.floor(random() * 40) : 1 + Math.floor(random() * 4);
      const lines = [];
      for (let k = 0; k < n; k++) lines.push(`m,t=${words[Math.floor(random() * words.length)]} v=${r}i,s="${words[Math.floor(random() * words.length)]}" ${r * 100 + k}`);
      records.push(random() < 0.03 ? { data: '', lines: 0, end: { segment: 1, offset: r + 1 } } : { data: lines.join('\n'), lines: n, end: { segment: 1, offset: r + 1 } });
    }
    for (const max of [120, 700, 5000, 500000]) {
      const expected = referenceBatches(records, max);
      // As the queue hands them over: views of one shared buffer, as a read window would be.
      const window = Buffer.concat(records.map((r) => Buffer.from(`HEADER${r.data}`)));
      let at = 0;
      const fromBytes = records.map((r) => {
        const bytes = Buffer.byteLength(r.data);
        const payload = window.subarray(at + 6, at + 6 + bytes);
        at += 6 + bytes;
        return { payload, lines: r.lines, end: r.end };
      });
      for (const source of [records, fromBytes]) {
        const batches = buildBatches(source, max);
        assert.strictEqual(batches.length, expected.length, `max ${max}`);
        batches.forEach((b, i) => {
          const e = expected[i];
          assert.ok(b.toBuffer().equals(Buffer.from(e.body)), `max ${max}, batch ${i}`);
          assert.strictEqual(b.body, e.body);
          assert.strictEqual(b.lines, e.lines);
          assert.strictEqual(b.bytes, e.bytes);
          assert.deepStrictEqual(b.ackTo, e.ackTo);
        });
      }
    }
  });

  it('splits an oversized record of multi-byte lines between lines, never inside a character', function () {
    const lines = Array.from({ length: 30 }, (_, i) => `m,loc=東京,emoji=😀 s="größe €${String(i).padStart(2, '0')}" ${String(i).padStart(2, '0')}`);
    const payload = Buffer.from(lines.join('\n'));
    const lineBytes = Buffer.byteLength(lines[0]);
    const max = lineBytes * 4 + 3 + 2; // four lines (and their separators) fit, with a little room to spare
    const batches = buildBatches([{ payload, lines: lines.length, end: { segment: 1, offset: 9 } }], max);
    assert.deepStrictEqual(batches.map((b) => b.lines), [4, 4, 4, 4, 4, 4, 4, 2]);
    for (const b of batches) {
      const bytes = b.toBuffer();
      assert.strictEqual(b.bytes, bytes.length);
      assert.ok(b.bytes <= max);
      assert.strictEqual(Buffer.from(bytes.toString('utf8')).length, b.bytes, 'no character cut in half');
    }
    assert.deepStrictEqual(allLines(batches), lines);
    assert.deepStrictEqual(batches.map((b) => b.ackTo && b.ackTo.offset), [null, null, null, null, null, null, null, 9]);
  });

  it('a batch of several payloads is copied out of them: later changes to the read buffer do not reach it', function () {
    const source = Buffer.from('a v=1i 1XXXXb v=2i 2');
    const records = [
      { payload: source.subarray(0, 8), lines: 1, end: { segment: 1, offset: 1 } },
      { payload: source.subarray(12), lines: 1, end: { segment: 1, offset: 2 } },
    ];
    const [batch] = buildBatches(records, 1000);
    const body = batch.toBuffer();
    source.fill(0x21);
    assert.strictEqual(body.toString(), 'a v=1i 1\nb v=2i 2');
    assert.strictEqual(batch.body, 'a v=1i 1\nb v=2i 2');
    assert.strictEqual(batch.toBuffer(), body, 'the body is made once');
  });

  it('read like the writer does (one read buffer, overwritten each read), batches match the text rules and held payloads live in two buffers', function () {
    const random = prng(11);
    const records = [];
    for (let r = 0; r < 400; r++) {
      // Mostly records a little over the limit (500 kB messages grown to nanoseconds), some small, some huge.
      const kind = random();
      const n = kind < 0.6 ? 55 + Math.floor(random() * 10) : kind < 0.9 ? 1 + Math.floor(random() * 5) : 150 + Math.floor(random() * 100);
      const lines = Array.from({ length: n }, (_, k) => line(r * 1000 + k, Math.floor(random() * 8)));
      records.push({ data: lines.join('\n'), lines: n, end: { segment: 1, offset: r + 1 } });
    }
    const max = 1500;
    const expected = referenceBatches(records, max);
    const readBuffer = Buffer.alloc(64 * 1024);
    let next = 0;
    /** Like DurableQueue.readNext with reuseReadBuffer: the first record even if too big, views of one buffer. */
    const readNext = (room) => {
      readBuffer.fill(0x3f);
      const out = [];
      let at = 0;
      while (next < records.length) {
        const bytes = Buffer.byteLength(records[next].data);
        if (out.length > 0 && at + bytes > room) break;
        readBuffer.write(records[next].data, at);
        out.push({ payload: readBuffer.subarray(at, at + bytes), lines: records[next].lines, end: records[next].end });
        at += bytes;
        next++;
      }
      return out;
    };
    const batcher = new Batcher(max);
    const heldIn = new Set();
    const bodies = batchesOf(batcher, max, readNext, () => {
      batcher.ownPayloads();
      for (const piece of batcher.pieces) heldIn.add(piece.payload.buffer);
    });
    assert.deepStrictEqual(bodies.map((b) => b.text), expected.map((e) => e.body));
    assert.deepStrictEqual(bodies.map((b) => b.lines), expected.map((e) => e.lines));
    assert.deepStrictEqual(bodies.map((b) => b.ackTo), expected.map((e) => e.ackTo));
    // Not a new buffer for every copy (which made V8 collect often while 500 kB messages drain).
    assert.ok(heldIn.size <= 2, `held payloads were copied into ${heldIn.size} different buffers`);
  });

  it('read a record at a time (a stream that keeps up), copies each held payload about once, not on every read', function () {
    const records = [];
    for (let r = 0; r < 600; r++) {
      const lines = [line(r, r % 8)];
      records.push({ data: lines.join('\n'), lines: 1, end: { segment: 1, offset: r + 1 } });
    }
    const max = 3000;
    const expected = referenceBatches(records, max);
    const readBuffer = Buffer.alloc(4096);
    let next = 0;
    // One record per read, into the one read buffer, overwritten each time (as a queue that is only just written).
    const readNext = () => {
      readBuffer.fill(0x3f);
      if (next >= records.length) return [];
      const bytes = readBuffer.write(records[next].data, 0);
      const record = records[next++];
      return [{ payload: readBuffer.subarray(0, bytes), lines: record.lines, end: record.end }];
    };
    const batcher = new Batcher(max);
    let copied = 0;
    const originalCopy = Buffer.prototype.copy;
    const bodies = batchesOf(batcher, max, readNext, () => {
      Buffer.prototype.copy = function (...args) {
        copied++;
        return originalCopy.apply(this, args);
      };
      try {
        batcher.ownPayloads();
      } finally {
        Buffer.prototype.copy = originalCopy;
      }
    });
    assert.deepStrictEqual(bodies.map((b) => b.text), expected.map((e) => e.body));
    // Copying everything held on every read would be about (records per batch) / 2 copies per record.
    assert.ok(copied <= 2 * records.length, `${copied} payload copies for ${records.length} records`);
  });

  it('refuses a non-positive limit', function () {
    assert.throws(() => new Batcher(0), RangeError);
  });
});

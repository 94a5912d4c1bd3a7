'use strict';
const assert = require('assert');
const { crc32, crc32Portable } = require('../../nodes/lib/queue/crc32');
const { encodeFrame, encodeLinesFrame, decodeFrameHeader, frameChecksumMatches, FRAME_HEADER_BYTES } = require('../../nodes/lib/queue/record-format');
const { comparePositions } = require('../../nodes/lib/queue');

describe('queue framing', function () {
  it('computes the standard CRC-32 check value, natively and with the table', function () {
    const check = Buffer.from('123456789');
    assert.strictEqual(crc32(check), 0xcbf43926);
    assert.strictEqual(crc32Portable(check), 0xcbf43926);
    // Continuing over pieces gives the same checksum as one pass.
    assert.strictEqual(crc32Portable(check.subarray(4), crc32Portable(check.subarray(0, 4))), 0xcbf43926);
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    assert.strictEqual(crc32(random), crc32Portable(random));
  });

  it('round-trips a frame: length, lines, time and UTF-8 payload', function () {
    const data = 'm,tag=é v=1i 1\nm v=2i 2';
    const frame = encodeFrame(data, 2, 1700000000123.5);
    const header = decodeFrameHeader(frame, 0);
    assert.ok(header);
    assert.strictEqual(header.payloadBytes, Buffer.byteLength(data));
    assert.strictEqual(header.lines, 2);
    assert.strictEqual(header.enqueuedAt, 1700000000123.5);
    assert.strictEqual(frame.length, FRAME_HEADER_BYTES + header.payloadBytes);
    assert.ok(frameChecksumMatches(frame, 0, header));
    assert.strictEqual(frame.toString('utf8', FRAME_HEADER_BYTES), data);
  });

  it('encodes big appends piecewise into exactly the bytes of one join, ASCII or not', function () {
    for (const count of [1, 255, 256, 257, 1000, 4425]) {
      const ascii = Array.from({ length: count }, (_, i) => `m,host=h${i % 7} v=${i}i ${1700000000000 + i}`);
      const mixed = ascii.map((line, i) => (i % 97 === 3 ? `${line.slice(0, 8)}é€😀${line.slice(8)}` : line));
      for (const lines of [ascii, mixed]) {
        const piecewise = encodeLinesFrame(lines, 42);
        assert.ok(piecewise.equals(encodeFrame(lines.join('\n'), lines.length, 42)), `${count} lines differ`);
        const header = decodeFrameHeader(piecewise, 0);
        assert.strictEqual(piecewise.toString('utf8', FRAME_HEADER_BYTES), lines.join('\n'));
        assert.ok(frameChecksumMatches(piecewise, 0, header));
      }
    }
  });

  it('detects a flipped bit anywhere in the frame, header included', function () {
    const frame = encodeFrame('cpu usage=0.5 1', 1, 1000);
    for (const at of [5, 9, 13, FRAME_HEADER_BYTES + 3]) {
      const copy = Buffer.from(frame);
      copy[at] ^= 0x10;
      const header = decodeFrameHeader(copy, 0);
      assert.ok(header === null || !frameChecksumMatches(copy, 0, header), `flip at ${at} went unnoticed`);
    }
    const badMagic = Buffer.from(frame);
    badMagic[0] = 0;
    assert.strictEqual(decodeFrameHeader(badMagic, 0), null);
  });

  it('orders positions by segment, then offset', function () {
    assert.ok(comparePositions({ segment: 1, offset: 900 }, { segment: 2, offset: 0 }) < 0);
    assert.ok(comparePositions({ segment: 2, offset: 10 }, { segment: 2, offset: 5 }) > 0);
    assert.strictEqual(comparePositions({ segment: 3, offset: 7 }, { segment: 3, offset: 7 }), 0);
  });
});

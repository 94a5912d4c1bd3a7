'use strict';
// The writer's gzip with one zlib engine kept from batch to batch: every body is a whole gzip file of its own,
// whatever came before it through the same engine.
const assert = require('assert');
const zlib = require('zlib');
const { GzipEncoder, encodeBody, decodeBody } = require('../../nodes/lib/writer');

function body(n, seed) {
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(`m,host=h${(i * seed) % 17},loc=Zürich v=${i * seed}i,s="€${'x'.repeat((i + seed) % 40)}" ${1000 + i}`);
  return Buffer.from(lines.join('\n'));
}

describe('writer GzipEncoder', function () {
  it('makes one complete gzip file per body, body after body through the same engine', async function () {
    const encoder = new GzipEncoder();
    // Sizes around zlib's output piece (128 kB) and far above it, an empty body, and the same body twice.
    const bodies = [body(10, 1), body(6000, 2), Buffer.alloc(0), body(2000, 3), body(2000, 3), body(1, 4)];
    for (const input of bodies) {
      const out = await encoder.encode(input);
      assert.ok(zlib.gunzipSync(out).equals(input), `${input.length} bytes`);
      assert.strictEqual(out[0], 0x1f, 'starts with the gzip magic');
      assert.strictEqual(out[1], 0x8b);
      assert.strictEqual(decodeBody(out, true), input.toString('utf8'));
    }
    encoder.release();
  });

  it('the same bytes as encodeBody (a fresh engine) would send', async function () {
    const encoder = new GzipEncoder();
    for (const input of [body(500, 5), body(3000, 6)]) {
      const reused = await encoder.encode(input);
      const fresh = await encodeBody(input, true);
      assert.ok(reused.equals(fresh));
    }
    encoder.release();
  });

  it('runs bodies asked for at once one after the other, and works again after release()', async function () {
    const encoder = new GzipEncoder();
    const inputs = Array.from({ length: 8 }, (_, i) => body(300 + i * 200, i + 1));
    const outs = await Promise.all(inputs.map((input) => encoder.encode(input)));
    outs.forEach((out, i) => assert.ok(zlib.gunzipSync(out).equals(inputs[i]), `body ${i}`));
    encoder.release();
    const again = await encoder.encode(inputs[3]);
    assert.ok(zlib.gunzipSync(again).equals(inputs[3]));
    encoder.release();
  });

  it('decodeBody reads a plain body as UTF-8', function () {
    assert.strictEqual(decodeBody(Buffer.from('m,loc=東京 v=1i 1'), false), 'm,loc=東京 v=1i 1');
  });
});

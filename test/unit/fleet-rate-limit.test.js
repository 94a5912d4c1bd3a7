'use strict';
// The remote's write rate limit (issue #17, point 4) on its own: any interval of one period carries at most the
// limit (a request bigger than the limit goes alone), a request's bytes leave the window one period after it ENDED,
// callers are served in order, an abort ends a wait.
const assert = require('assert');
const zlib = require('zlib');
const { WriteRateLimit, lineProtocolBytes } = require('../../nodes/lib/fleet/rate-limit');

/** The most bytes granted within any interval of `periodMs`, from the grant log. */
function busiestWindow(grants, periodMs) {
  let most = 0;
  for (const start of grants) {
    const sum = grants.filter((g) => g.at >= start.at && g.at < start.at + periodMs).reduce((s, g) => s + g.bytes, 0);
    most = Math.max(most, sum);
  }
  return most;
}

describe('write rate limit', function () {
  it('never grants more than the limit within any period, to callers sharing it', async function () {
    const limit = new WriteRateLimit({ limitBytes: 1000, periodMs: 150 });
    const grants = [];
    const caller = async (bytes, n) => {
      for (let i = 0; i < n; i++) {
        const ended = await limit.acquire(bytes);
        grants.push({ at: Date.now(), bytes });
        ended();
      }
    };
    await Promise.all([caller(300, 6), caller(250, 6), caller(100, 6)]);
    assert.strictEqual(grants.length, 18);
    // Logged after the grant, and each request "ends" right after its log entry: the next grant comes a period
    // after that end, so the log holds the exact bound.
    assert.ok(busiestWindow(grants, 150) <= 1000, `busiest window ${busiestWindow(grants, 150)}`);
    assert.ok(limit.waitedMs > 0, 'callers had to wait');
  });

  it('lets a request bigger than the limit go alone, once the window is empty', async function () {
    const limit = new WriteRateLimit({ limitBytes: 100, periodMs: 100 });
    const order = [];
    const run = (name, bytes) => limit.acquire(bytes).then((ended) => (order.push([name, Date.now()]), ended()));
    await Promise.all([run('small', 60), run('big', 500), run('after', 10)]);
    assert.deepStrictEqual(order.map(([name]) => name), ['small', 'big', 'after']);
    // The big one waited for the small one to leave the window, and the next one for the big one.
    assert.ok(order[1][1] - order[0][1] >= 95, `big went ${order[1][1] - order[0][1]} ms after small`);
    assert.ok(order[2][1] - order[1][1] >= 95, `after went ${order[2][1] - order[1][1]} ms after big`);
  });

  it('stops waiting when the request is aborted, and the next caller still gets its turn', async function () {
    const limit = new WriteRateLimit({ limitBytes: 100, periodMs: 60_000 });
    await limit.acquire(100);
    const controller = new AbortController();
    const waiting = limit.acquire(50, controller.signal);
    controller.abort();
    await assert.rejects(waiting, /aborted/);
    const other = new WriteRateLimit({ limitBytes: 100, periodMs: 60_000 });
    (await other.acquire(40))();
    (await other.acquire(60))(); // fits exactly
  });

  it('keeps a request in the window for a period after it ended, however long it ran', async function () {
    const limit = new WriteRateLimit({ limitBytes: 100, periodMs: 100 });
    const ended = await limit.acquire(100);
    const waiting = limit.acquire(50).then((end) => (end(), Date.now()));
    await new Promise((r) => setTimeout(r, 250)); // longer than the period: still running, still counted
    const endedAt = Date.now();
    ended();
    const grantedAt = await waiting;
    assert.ok(grantedAt - endedAt >= 100, `granted ${grantedAt - endedAt} ms after the first request ended`);
  });

  it('gives back the bytes of a request the remote did not count (a 429, no answer)', async function () {
    const limit = new WriteRateLimit({ limitBytes: 100, periodMs: 60_000 });
    const refused = await limit.acquire(100);
    refused(false);
    const next = await limit.acquire(100); // at once: the first one no longer counts
    next(true);
    const controller = new AbortController();
    const blocked = limit.acquire(1, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(blocked, /aborted/, 'a counted request keeps its bytes in the window');
  });

  it('counts the uncompressed bytes of a gzip body', function () {
    const text = Buffer.from('m,host=a v=1 1\n'.repeat(1000));
    assert.strictEqual(lineProtocolBytes(zlib.gzipSync(text), true), text.length);
    assert.strictEqual(lineProtocolBytes(text, false), text.length);
  });

  it('refuses a limit or period that is not positive', function () {
    assert.throws(() => new WriteRateLimit({ limitBytes: 0, periodMs: 1000 }), /positive/);
    assert.throws(() => new WriteRateLimit({ limitBytes: 10, periodMs: 0 }), /positive/);
  });
});

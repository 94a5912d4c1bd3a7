'use strict';
const assert = require('assert');
const { parseDurationNs, parseDurationMs, isDuration, formatDurationNs, DurationError } = require('../../nodes/lib/downsample');

describe('downsample durations', function () {
  it('parses single units to milliseconds', function () {
    assert.strictEqual(parseDurationMs('10m'), 600000);
    assert.strictEqual(parseDurationMs('30s'), 30000);
    assert.strictEqual(parseDurationMs('1h'), 3600000);
    assert.strictEqual(parseDurationMs('500ms'), 500);
    assert.strictEqual(parseDurationMs('1d'), 86400000);
    assert.strictEqual(parseDurationMs('1w'), 604800000);
  });

  it('parses combined units and surrounding blanks', function () {
    assert.strictEqual(parseDurationMs('1h30m'), 5400000);
    assert.strictEqual(parseDurationMs(' 1m30s500ms '), 90500);
    assert.strictEqual(parseDurationNs('2s'), 2000000000n);
  });

  it('refuses empty, unitless, unknown units, negative, fractional and non-text values with clear errors', function () {
    for (const bad of ['', '10', '10x', '-5m', '1.5h', '1mo', '1y', 'm', '10 m', null, undefined, 600]) {
      assert.throws(() => parseDurationNs(bad), DurationError, `accepted ${String(bad)}`);
    }
    assert.throws(() => parseDurationNs('1h3x'), /invalid duration "1h3x" at "3x".*ms, s, m, h, d, w/);
    assert.throws(() => parseDurationNs(''), /empty/);
  });

  it('refuses zero as a window size but accepts it as a lateness when allowed', function () {
    assert.throws(() => parseDurationNs('0s'), /longer than zero/);
    assert.throws(() => parseDurationNs('0'), DurationError);
    assert.strictEqual(parseDurationNs('0', { allowZero: true }), 0n);
    assert.strictEqual(parseDurationNs('0s', { allowZero: true }), 0n);
    assert.strictEqual(isDuration('0', { allowZero: true }), true);
    assert.strictEqual(isDuration('0'), false);
    assert.strictEqual(isDuration('15m'), true);
  });

  it('formats nanoseconds back as the shortest duration text', function () {
    assert.strictEqual(formatDurationNs(parseDurationNs('90m')), '1h30m');
    assert.strictEqual(formatDurationNs(parseDurationNs('1500ms')), '1s500ms');
    assert.strictEqual(formatDurationNs(0n), '0s');
  });
});

'use strict';
const assert = require('assert');
const { createAccumulator, restoreAccumulator, NUMERIC_FNS } = require('../../nodes/lib/downsample');

const float = (value) => ({ type: 'float', value });
const int = (value) => ({ type: 'integer', value: BigInt(value) });
const uint = (value) => ({ type: 'unsigned', value: BigInt(value) });
const str = (value) => ({ type: 'string', value });
const bool = (value) => ({ type: 'boolean', value });

/** Adds [value, timestamp] pairs and returns the result. */
function run(fn, type, entries) {
  const accumulator = createAccumulator(fn, type);
  entries.forEach(([value, at]) => accumulator.add(value, BigInt(at)));
  return accumulator.result();
}

describe('downsample aggregates (values computed by hand)', function () {
  // Out of time order on purpose: first/last go by timestamp, not by arrival.
  const floats = [
    [float(4), 30],
    [float(1.5), 10],
    [float(-2), 20],
    [float(7.5), 40],
  ];

  it('mean of floats: (4 + 1.5 - 2 + 7.5) / 4 = 2.75', function () {
    assert.deepStrictEqual(run('mean', 'float', floats), float(2.75));
  });

  it('mean of integers is a float: (1 + 2) / 2 = 1.5 and (2 + 4) / 2 = 3', function () {
    assert.deepStrictEqual(run('mean', 'integer', [[int(1), 1], [int(2), 2]]), float(1.5));
    assert.deepStrictEqual(run('mean', 'integer', [[int(2), 1], [int(4), 2]]), float(3));
    assert.deepStrictEqual(run('mean', 'unsigned', [[uint(3), 1], [uint(4), 2], [uint(8), 3]]), float(5));
  });

  it('mean of integers sums exactly beyond 2^53 before dividing', function () {
    const big = 2n ** 60n;
    const result = run('mean', 'integer', [[int(big), 1], [int(big), 2]]);
    assert.deepStrictEqual(result, float(Number(big)));
  });

  it('min and max keep the input type', function () {
    assert.deepStrictEqual(run('min', 'float', floats), float(-2));
    assert.deepStrictEqual(run('max', 'float', floats), float(7.5));
    assert.deepStrictEqual(run('min', 'integer', [[int(5), 1], [int(-3), 2], [int(9), 3]]), int(-3));
    assert.deepStrictEqual(run('max', 'unsigned', [[uint(5), 1], [uint(18446744073709551615n), 2]]), uint(18446744073709551615n));
  });

  it('sum: floats 11, integers stay integers, unsigned stays unsigned', function () {
    assert.deepStrictEqual(run('sum', 'float', floats), float(11));
    assert.deepStrictEqual(run('sum', 'integer', [[int(5), 1], [int(-3), 2], [int(9), 3]]), int(11));
    assert.deepStrictEqual(run('sum', 'unsigned', [[uint(5), 1], [uint(7), 2]]), uint(12));
  });

  it('count is an integer, for any type', function () {
    assert.deepStrictEqual(run('count', 'float', floats), int(4));
    assert.deepStrictEqual(run('count', 'string', [[str('a'), 1], [str('b'), 2]]), int(2));
  });

  it('first and last go by timestamp, whatever the arrival order', function () {
    assert.deepStrictEqual(run('first', 'float', floats), float(1.5));
    assert.deepStrictEqual(run('last', 'float', floats), float(7.5));
    assert.deepStrictEqual(run('first', 'integer', [[int(8), 5], [int(6), 3]]), int(6));
    assert.deepStrictEqual(run('last', 'string', [[str('late'), 9], [str('early'), 2]]), str('late'));
    assert.deepStrictEqual(run('first', 'boolean', [[bool(true), 9], [bool(false), 2]]), bool(false));
  });

  it('last takes the later arrival on a tied timestamp (as InfluxDB keeps the last write), first the earlier', function () {
    assert.deepStrictEqual(run('last', 'string', [[str('a'), 5], [str('b'), 5]]), str('b'));
    assert.deepStrictEqual(run('first', 'string', [[str('a'), 5], [str('b'), 5]]), str('a'));
  });

  it('median: middle value for an odd count, mean of the two middle values for an even one, always a float', function () {
    assert.deepStrictEqual(run('median', 'float', [[float(9), 1], [float(1), 2], [float(5), 3]]), float(5));
    assert.deepStrictEqual(run('median', 'float', floats), float(2.75)); // sorted -2, 1.5, 4, 7.5 -> (1.5 + 4) / 2
    assert.deepStrictEqual(run('median', 'integer', [[int(1), 1], [int(10), 2], [int(2), 3], [int(3), 4]]), float(2.5));
    assert.deepStrictEqual(run('median', 'integer', [[int(7), 1]]), float(7));
  });

  it('median keeps at most MEDIAN_EXACT_LIMIT values however many points arrive, and stays close', function () {
    const { MEDIAN_EXACT_LIMIT } = require('../../nodes/lib/downsample/aggregates');
    const acc = createAccumulator('median', 'float');
    const n = MEDIAN_EXACT_LIMIT * 25;
    // A shuffled 0..n-1: the true median is (n - 1) / 2.
    const values = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [values[i], values[j]] = [values[j], values[i]];
    }
    values.forEach((v, i) => acc.add(float(v), BigInt(i)));
    const saved = acc.save();
    assert.strictEqual(saved.values.length, MEDIAN_EXACT_LIMIT);
    assert.strictEqual(saved.n, n);
    const median = acc.result().value;
    // A uniform sample of 4096 values puts the median within a few percent of the range.
    assert.ok(Math.abs(median - (n - 1) / 2) < n * 0.05, `median ${median} far from ${(n - 1) / 2}`);
  });

  it('no values: no result (except count 0)', function () {
    for (const fn of NUMERIC_FNS) {
      const result = createAccumulator(fn, 'float').result();
      if (fn === 'count') assert.deepStrictEqual(result, int(0));
      else assert.strictEqual(result, null, fn);
    }
  });

  it('a float sum that overflows has no result (line protocol cannot carry Infinity)', function () {
    assert.strictEqual(run('sum', 'float', [[float(Number.MAX_VALUE), 1], [float(Number.MAX_VALUE), 2]]), null);
  });

  it('refuses to average strings or booleans', function () {
    assert.throws(() => createAccumulator('mean', 'string'), /mean cannot aggregate string/);
    assert.throws(() => createAccumulator('median', 'boolean'), /median cannot aggregate boolean/);
    assert.throws(() => createAccumulator('nope', 'float'), /unknown aggregate function/);
  });

  it('every function survives a JSON round trip of its state and keeps accumulating', function () {
    const cases = [
      ['mean', 'integer', [int(1), int(2)], int(6), float(3)],
      ['sum', 'unsigned', [uint(1), uint(2)], uint(6), uint(9)],
      ['min', 'float', [float(3), float(2)], float(1), float(1)],
      ['max', 'integer', [int(3), int(2)], int(9), int(9)],
      ['count', 'boolean', [bool(true), bool(false)], bool(true), int(3)],
      ['first', 'string', [str('b'), str('c')], str('a'), str('b')],
      ['last', 'float', [float(1), float(2)], float(3), float(3)],
      ['median', 'float', [float(1), float(2)], float(10), float(2)],
    ];
    for (const [fn, type, before, after, expected] of cases) {
      const accumulator = createAccumulator(fn, type);
      before.forEach((value, i) => accumulator.add(value, BigInt(10 + i)));
      const restored = restoreAccumulator(JSON.parse(JSON.stringify(accumulator.save())));
      // 'first' gets the added value later in time, so it must not replace the saved one.
      restored.add(after, 100n);
      assert.deepStrictEqual(restored.result(), expected, fn);
      assert.strictEqual(restored.count, 3, fn);
    }
  });

  it('refuses a damaged state', function () {
    assert.throws(() => restoreAccumulator({ fn: 'sum', type: 'integer', n: -1 }), /not valid/);
    assert.throws(() => restoreAccumulator({ fn: 'sum', type: 'integer', n: 1, value: { type: 'integer', value: 'x' } }), SyntaxError);
    assert.throws(() => restoreAccumulator({ fn: 'median', type: 'float', n: 1 }), /no list of values/);
  });
});

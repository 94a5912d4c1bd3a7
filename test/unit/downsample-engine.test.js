'use strict';
const assert = require('assert');
const { Downsampler, DEFAULT_OPTIONS, parseDownsampleProperties } = require('../../nodes/lib/downsample');
const { parseLine } = require('../../nodes/lib/line-protocol');

const S = 1000000000n; // one second in ns
const EVERY = 10n * S;

function engine(overrides = {}) {
  return new Downsampler({ ...DEFAULT_OPTIONS, everyNs: EVERY, ...overrides });
}

function point(line) {
  const parsed = parseLine(line);
  if (!parsed.ok) throw new Error(`test line does not parse: ${parsed.reason}`);
  return parsed.point;
}

function addAll(ds, lines) {
  return lines.map((line) => ds.add(point(line)));
}

/** Batches as plain [start, stop, lines] with seconds for start/stop, easy to compare with hand-written values. */
function plain(batches) {
  return batches.map((b) => [Number(b.startNs / S), Number(b.stopNs / S), b.lines]);
}

describe('downsample engine', function () {
  it('aggregates mixed field types in one line: numbers with mean, strings and booleans with last', function () {
    const ds = engine();
    addAll(ds, ['cpu,host=a f=1.5,i=2i,u=3u,s="x",b=true 1000000000', 'cpu,host=a f=2.5,i=4i,u=5u,s="y",b=false 5000000000']);
    // f: (1.5 + 2.5) / 2 = 2; i: (2 + 4) / 2 = 3 as a float; u: (3 + 5) / 2 = 4 as a float; s, b: last by time.
    assert.deepStrictEqual(plain(ds.emitDue(EVERY)), [[0, 10, ['cpu,host=a f=2,i=3,u=4,s="y",b=false 10000000000']]]);
  });

  it('averages integers into a float (1i, 2i -> 1.5) and writes counts as integers', function () {
    const mean = engine();
    addAll(mean, ['m v=1i 1', 'm v=2i 2']);
    assert.deepStrictEqual(mean.emitDue(EVERY)[0].lines, ['m v=1.5 10000000000']);
    const count = engine({ numericFn: 'count' });
    addAll(count, ['m v=1.5,s="a" 1', 'm v=2.5,s="b" 2']);
    assert.deepStrictEqual(count.emitDue(EVERY)[0].lines, ['m v=2i,s="b" 10000000000']);
  });

  it('keeps integer and unsigned types for sum, min, max, first and last', function () {
    for (const [fn, expected] of [
      ['sum', 'm i=7i,u=11u'],
      ['min', 'm i=3i,u=5u'],
      ['max', 'm i=4i,u=6u'],
      ['first', 'm i=4i,u=6u'],
      ['last', 'm i=3i,u=5u'],
      ['median', 'm i=3.5,u=5.5'],
    ]) {
      const ds = engine({ numericFn: fn });
      addAll(ds, ['m i=4i,u=6u 1', 'm i=3i,u=5u 2']);
      assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, [`${expected} 10000000000`], fn);
    }
  });

  it('first as the non-numeric function takes the earliest string and boolean', function () {
    const ds = engine({ nonNumericFn: 'first' });
    addAll(ds, ['m s="b",b=false 7', 'm s="a",b=true 3']);
    assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, ['m s="a",b=true 10000000000']);
  });

  it('treats tags in another order as the same series and keeps other series apart', function () {
    const ds = engine();
    addAll(ds, ['m,b=2,a=1 v=1 1000000000', 'm,a=1,b=2 v=3 2000000000', 'm,a=1,b=3 v=10 3000000000', 'n,a=1,b=2 v=7 4000000000']);
    assert.strictEqual(ds.stats().openSeries, 3);
    assert.deepStrictEqual(plain(ds.emitDue(EVERY)), [
      [0, 10, ['m,a=1,b=2 v=2 10000000000', 'm,a=1,b=3 v=10 10000000000', 'n,a=1,b=2 v=7 10000000000']],
    ]);
    assert.strictEqual(ds.stats().openSeries, 0);
  });

  it('puts a point exactly on a window edge in the next window: windows are [start, stop)', function () {
    const ds = engine({ numericFn: 'count' });
    addAll(ds, ['m v=1 0', 'm v=1 9999999999', 'm v=1 10000000000']);
    assert.deepStrictEqual(plain(ds.emitDue(EVERY - 1n)), [], 'nothing is due before the end of the first window');
    assert.deepStrictEqual(plain(ds.emitDue(EVERY)), [[0, 10, ['m v=2i 10000000000']]]);
    assert.deepStrictEqual(plain(ds.emitDue(2n * EVERY - 1n)), []);
    assert.deepStrictEqual(plain(ds.emitDue(2n * EVERY)), [[10, 20, ['m v=1i 20000000000']]]);
  });

  it('aligns windows to the epoch, also before 1970', function () {
    const ds = engine({ numericFn: 'count' });
    assert.strictEqual(ds.windowStart(25n * S), 20n * S);
    assert.strictEqual(ds.windowStart(-1n), -EVERY);
    assert.strictEqual(ds.windowStart(-EVERY), -EVERY);
    addAll(ds, ['m v=1 -1']);
    assert.deepStrictEqual(plain(ds.emitDue(0n)), [[-10, 0, ['m v=1i 0']]]);
  });

  it('writes the window start instead of the stop with timeSrc start', function () {
    const ds = engine({ timeSrc: 'start' });
    addAll(ds, ['m v=4 15000000000']);
    assert.deepStrictEqual(ds.emitDue(2n * EVERY)[0].lines, ['m v=4 10000000000']);
  });

  it('emits several due windows as separate batches, oldest first', function () {
    const ds = engine({ numericFn: 'sum' });
    addAll(ds, ['m v=5 25000000000', 'm v=1 1000000000', 'm v=2 2000000000', 'm v=9 95000000000']);
    assert.deepStrictEqual(plain(ds.emitDue(30n * S)), [
      [0, 10, ['m v=3 10000000000']],
      [20, 30, ['m v=5 30000000000']],
    ]);
    assert.strictEqual(ds.stats().windowsEmitted, 2);
    assert.strictEqual(ds.nextDueNs(), 100n * S);
  });

  it('counts a point whose window was already emitted as late and does not aggregate it', function () {
    const ds = engine();
    addAll(ds, ['m v=1 1000000000']);
    ds.emitDue(EVERY);
    const [late, onTime] = addAll(ds, ['m v=100 5000000000', 'm v=2 10000000000']);
    assert.strictEqual(late.outcome, 'late');
    assert.strictEqual(onTime.outcome, 'added');
    assert.strictEqual(ds.stats().latePoints, 1);
    assert.deepStrictEqual(ds.emitDue(2n * EVERY)[0].lines, ['m v=2 20000000000']);
  });

  it('keeps a window open for the allowed lateness after its end', function () {
    const ds = engine({ allowedLatenessNs: 5n * S });
    addAll(ds, ['m v=1 1000000000']);
    assert.deepStrictEqual(ds.emitDue(14n * S), []);
    assert.strictEqual(ds.add(point('m v=3 9000000000')).outcome, 'added');
    assert.deepStrictEqual(plain(ds.emitDue(15n * S)), [[0, 10, ['m v=2 10000000000']]]);
    assert.strictEqual(ds.add(point('m v=3 9000000000')).outcome, 'late');
  });

  it('preserves escaping of measurement, tag keys and values, field keys and string values', function () {
    const ds = engine();
    const line = 'my\\ meas\\,x,tag\\ k\\=y=v\\=1\\,2\\ z f\\ 1="a \\"q\\" \\\\ b",n\\=x=2';
    addAll(ds, [`${line} 1`]);
    assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, [`${line} 10000000000`]);
  });

  it('flush emits all open windows now, and later points for them count as late', function () {
    const ds = engine();
    addAll(ds, ['m v=1 1000000000', 'm v=4 25000000000']);
    assert.deepStrictEqual(plain(ds.flush()), [
      [0, 10, ['m v=1 10000000000']],
      [20, 30, ['m v=4 30000000000']],
    ]);
    assert.strictEqual(ds.stats().openWindows, 0);
    assert.strictEqual(ds.add(point('m v=5 26000000000')).outcome, 'late');
    assert.strictEqual(ds.add(point('m v=5 30000000000')).outcome, 'added');
    assert.deepStrictEqual(ds.flush().length, 1);
    assert.deepStrictEqual(engine().flush(), [], 'flushing nothing emits nothing');
  });

  it('refuses a new series past maxSeries with an error naming the limit, and still aggregates known series', function () {
    const ds = engine({ maxSeries: 2 });
    const results = addAll(ds, ['m,h=a v=1 1', 'm,h=b v=2 2', 'm,h=c v=3 3', 'm,h=a v=3 4']);
    assert.deepStrictEqual(results.map((r) => r.outcome), ['added', 'added', 'refused', 'added']);
    assert.match(results[2].problems[0], /maxSeries = 2/);
    assert.match(results[2].problems[0], /m,h=c/);
    assert.strictEqual(ds.stats().refusedPoints, 1);
    assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, ['m,h=a v=2 10000000000', 'm,h=b v=2 10000000000']);
    assert.strictEqual(ds.add(point('m,h=c v=3 10000000001')).outcome, 'added', 'closed windows free their series');
  });

  it('refuses a value whose type changes inside a window but aggregates the other fields', function () {
    const ds = engine();
    const [, second] = addAll(ds, ['m v=1,w=1 1', 'm v=2i,w=3 2']);
    assert.strictEqual(second.outcome, 'added');
    assert.match(second.problems[0], /field "v" of "m" is float in this window, got integer/);
    assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, ['m v=1,w=2 10000000000']);
    assert.strictEqual(ds.stats().refusedFields, 1);
  });

  it('refuses a point without a timestamp', function () {
    const ds = engine();
    const result = ds.add({ measurement: 'm', tags: [], fields: [['v', { type: 'float', value: 1 }]], timestamp: null });
    assert.strictEqual(result.outcome, 'refused');
  });

  it('accepts hand-built ParsedPoint objects', function () {
    const ds = engine({ numericFn: 'max' });
    ds.add({ measurement: 'm', tags: [['z', '1'], ['a', '2']], fields: [['v', { type: 'integer', value: 7n }]], timestamp: 3n });
    ds.add({ measurement: 'm', tags: [['a', '2'], ['z', '1']], fields: [['v', { type: 'integer', value: 9n }]], timestamp: 4n });
    assert.deepStrictEqual(ds.emitDue(EVERY)[0].lines, ['m,a=2,z=1 v=9i 10000000000']);
  });

  describe('createEmpty', function () {
    it('emits count 0 for the numeric fields of a known series in windows without points', function () {
      const ds = engine({ numericFn: 'count', createEmpty: true });
      addAll(ds, ['m,h=a v=1,s="x" 1000000000', 'm,h=a v=1 35000000000']);
      assert.deepStrictEqual(plain(ds.emitDue(30n * S)), [
        [0, 10, ['m,h=a v=1i,s="x" 10000000000']],
        [10, 20, ['m,h=a v=0i 20000000000']],
        [20, 30, ['m,h=a v=0i 30000000000']],
      ]);
      assert.deepStrictEqual(plain(ds.emitDue(50n * S)), [
        [30, 40, ['m,h=a v=1i 40000000000']],
        [40, 50, ['m,h=a v=0i 50000000000']],
      ]);
      assert.strictEqual(ds.stats().openSeries, 1, 'the series is kept to fill later windows');
    });

    it('emits nothing for empty windows with the other functions (line protocol has no null)', function () {
      const ds = engine({ numericFn: 'mean', createEmpty: true });
      addAll(ds, ['m v=1 1000000000']);
      assert.deepStrictEqual(plain(ds.emitDue(30n * S)), [[0, 10, ['m v=1 10000000000']]]);
    });
  });

  describe('snapshot and restore', function () {
    const lines = ['m,h=a v=1i,s="x" 1000000000', 'm,h=b v=2.5 2000000000', 'm,h=a v=5i,s="y" 12000000000'];
    const later = ['m,h=a v=3i,s="z" 3000000000', 'm,h=b v=4.5 15000000000'];

    for (const numericFn of ['mean', 'median', 'first', 'sum']) {
      it(`round-trips open windows through JSON (${numericFn}) with the same output as without a restart`, function () {
        const reference = engine({ numericFn });
        addAll(reference, [...lines, ...later]);
        const first = engine({ numericFn });
        addAll(first, lines);
        const json = JSON.stringify(first.snapshot());
        const { engine: restored, flushed } = Downsampler.restore(JSON.parse(json), first.options);
        assert.deepStrictEqual(flushed, []);
        addAll(restored, later);
        assert.deepStrictEqual(restored.emitDue(20n * S), reference.emitDue(20n * S));
        assert.deepStrictEqual(restored.stats(), reference.stats());
      });
    }

    it('keeps the watermark (late points stay late) and the counters', function () {
      const ds = engine();
      addAll(ds, ['m v=1 1000000000']);
      ds.emitDue(EVERY);
      ds.add(point('m v=1 2000000000'));
      const { engine: restored } = Downsampler.restore(JSON.parse(JSON.stringify(ds.snapshot())));
      assert.strictEqual(restored.add(point('m v=1 3000000000')).outcome, 'late');
      assert.strictEqual(restored.stats().latePoints, 2);
      assert.strictEqual(restored.stats().windowsEmitted, 1);
    });

    it('restores series retained for empty windows', function () {
      const ds = engine({ numericFn: 'count', createEmpty: true });
      addAll(ds, ['m v=1 1000000000']);
      ds.emitDue(EVERY);
      const { engine: restored } = Downsampler.restore(JSON.parse(JSON.stringify(ds.snapshot())));
      assert.deepStrictEqual(plain(restored.emitDue(20n * S)), [[10, 20, ['m v=0i 20000000000']]]);
    });

    it('flushes the saved windows with their own settings when the window settings changed', function () {
      const ds = engine({ numericFn: 'sum' });
      addAll(ds, ['m v=1 1000000000', 'm v=2 2000000000']);
      const changed = { ...ds.options, numericFn: 'max', everyNs: 60n * S };
      const { engine: restored, flushed } = Downsampler.restore(JSON.parse(JSON.stringify(ds.snapshot())), changed);
      assert.deepStrictEqual(plain(flushed), [[0, 10, ['m v=3 10000000000']]]);
      assert.strictEqual(restored.options.numericFn, 'max');
      assert.strictEqual(restored.add(point('m v=1 5000000000')).outcome, 'late');
    });

    it('takes a new maxSeries or lateness without flushing, and keeps restored series past a lower limit', function () {
      const ds = engine();
      addAll(ds, ['m,h=a v=1 1', 'm,h=b v=1 1']);
      const { engine: restored, flushed } = Downsampler.restore(ds.snapshot(), { ...ds.options, maxSeries: 1 });
      assert.deepStrictEqual(flushed, []);
      assert.strictEqual(restored.stats().openSeries, 2);
      assert.strictEqual(restored.add(point('m,h=c v=1 2')).outcome, 'refused');
    });

    it('refuses something that is not a snapshot', function () {
      assert.throws(() => Downsampler.restore(null), /not a downsample snapshot/);
      assert.throws(() => Downsampler.restore({ version: 9 }), /unknown version/);
      assert.throws(() => Downsampler.restore({ ...engine().snapshot(), windows: 'x' }), /no list of windows/);
    });
  });

  describe('properties', function () {
    it('reads the editor properties with defaults', function () {
      const { options, problems } = parseDownsampleProperties({ every: '1m', allowedLateness: '', maxSeries: '' });
      assert.deepStrictEqual(problems, []);
      assert.strictEqual(options.everyNs, 60n * S);
      assert.strictEqual(options.numericFn, 'mean');
      assert.strictEqual(options.nonNumericFn, 'last');
      assert.strictEqual(options.timeSrc, 'stop');
      assert.strictEqual(options.allowedLatenessNs, 0n);
      assert.strictEqual(options.createEmpty, false);
      assert.strictEqual(options.maxSeries, 10000);
    });

    it('lists every invalid property', function () {
      const { problems } = parseDownsampleProperties({
        every: '10 minutes',
        numericFn: 'avg',
        nonNumericFn: 'mean',
        timeSrc: 'middle',
        allowedLateness: '-1s',
        maxSeries: '0',
      });
      assert.strictEqual(problems.length, 6, problems.join('\n'));
      assert.match(problems.join('\n'), /every: invalid duration "10 minutes"/);
      assert.match(problems.join('\n'), /max series "0"/);
    });
  });
});

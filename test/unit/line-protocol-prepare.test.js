'use strict';
// prepareLines, preparePayload and pointsToLines: splitting, comments, ns normalisation, ingest
// timestamps, point objects and every payload form a flow can send.

const assert = require('assert');
const lp = require('../../nodes/lib/line-protocol');

const { prepareLines, preparePayload, pointsToLines, parseLine } = lp;
const NOW = 1700000000123456789n;

describe('line-protocol: precisions and clock', function () {
  it('lists the four precisions and recognises only them', function () {
    assert.deepStrictEqual([...lp.PRECISIONS], ['ns', 'us', 'ms', 's']);
    for (const p of lp.PRECISIONS) assert.strictEqual(lp.isPrecision(p), true);
    for (const p of ['n', 'u', 'h', 'm', 'NS', '', null, undefined, 1]) assert.strictEqual(lp.isPrecision(p), false, String(p));
  });

  it('gives the ns per unit of each precision', function () {
    assert.deepStrictEqual(
      lp.PRECISIONS.map((p) => lp.precisionMultiplier(p)),
      [1n, 1000n, 1000000n, 1000000000n],
    );
    assert.throws(() => lp.precisionMultiplier('h'), /unknown precision "h"/);
  });

  it('reads the wall clock in ns', function () {
    const before = BigInt(Date.now()) * 1000000n;
    const now = lp.currentTimeNs();
    const after = BigInt(Date.now()) * 1000000n;
    assert.strictEqual(typeof now, 'bigint');
    // Within the surrounding milliseconds, allowing the documented 2 ms of anchoring drift.
    assert.ok(now >= before - 2000000n && now <= after + 3000000n, `${before} <= ${now} <= ${after}`);
  });
});

describe('line-protocol: prepareLines', function () {
  it('splits on \\n and \\r\\n, skips blank and comment lines, and counts them', function () {
    const text = 'cpu v=1 1\r\n\r\n# a comment\n   \n\t\n  # indented comment\ncpu v=2 2\n';
    const out = prepareLines(text, { precision: 'ns', nowNs: NOW });
    assert.deepStrictEqual(out, { lines: ['cpu v=1 1', 'cpu v=2 2'], errors: [], skipped: 5 });
  });

  it('returns nothing for an empty payload', function () {
    assert.deepStrictEqual(prepareLines('', { precision: 'ns', nowNs: NOW }), { lines: [], errors: [], skipped: 0 });
  });

  it('keeps a line without a trailing newline and does not count the empty tail after one', function () {
    const out = prepareLines('a v=1 1\nb v=2 2', { precision: 'ns' });
    assert.deepStrictEqual(out.lines, ['a v=1 1', 'b v=2 2']);
    assert.strictEqual(prepareLines('a v=1 1\n', { precision: 'ns' }).skipped, 0);
  });

  it('appends the ingest timestamp to lines that have none', function () {
    const out = prepareLines('m v=1\nm,t=a s="x y" \nm v=2 5', { precision: 's', nowNs: NOW });
    assert.deepStrictEqual(out.lines, [`m v=1 ${NOW}`, `m,t=a s="x y" ${NOW}`, 'm v=2 5000000000']);
    assert.deepStrictEqual(out.errors, []);
  });

  it('accepts trailing whitespace where InfluxDB 1.6.7 does, and drops it', function () {
    const out = prepareLines('m v=1 7 \nm v=2 \t\nm s="a " 9  \nm v=3\t\nm v=4 7\t', { precision: 'ns', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['m v=1 7', `m v=2 ${NOW}`, 'm s="a " 9']);
    // A tab right after a value or a timestamp is part of that token for InfluxDB.
    assert.deepStrictEqual(out.errors, [
      { lineNumber: 4, reason: 'invalid field value "3\\t" for key "v"' },
      { lineNumber: 5, reason: 'invalid timestamp "7\\t" (must be an integer)' },
    ]);
  });

  it('accepts the whitespace InfluxDB 1.6.7 skips: before the measurement, the field set and the timestamp', function () {
    const out = prepareLines(' m v=1 7\n\tm  v=2 8\n\u0000m,t=a \t v=3 \t 9\nm v=4  \u0000', { precision: 'ns', nowNs: NOW });
    assert.deepStrictEqual(out.errors, []);
    assert.deepStrictEqual(out.lines, ['m v=1 7', 'm  v=2 8', 'm,t=a \t v=3 \t 9', `m v=4 ${NOW}`]);
  });

  it('takes the ingest timestamp from the clock when nowNs is not given, the same for every line', function () {
    const before = lp.currentTimeNs();
    const out = prepareLines('m v=1\nm v=2', { precision: 'ms' });
    const stamps = out.lines.map((line) => BigInt(line.split(' ')[2]));
    assert.strictEqual(stamps[0], stamps[1]);
    assert.ok(stamps[0] >= before - 2000000n && stamps[0] <= lp.currentTimeNs() + 2000000n);
  });

  describe('timestamp conversion to ns, exact for every precision', function () {
    // Values past 2^53 would lose digits as JavaScript numbers.
    const cases = [
      ['ns', '1700000000123456789', '1700000000123456789'],
      ['us', '1700000000123456', '1700000000123456000'],
      ['ms', '1700000000123', '1700000000123000000'],
      ['s', '1700000000', '1700000000000000000'],
      ['us', '9007199254740993', '9007199254740993000'],
      ['ms', '9223372036854', '9223372036854000000'],
      ['s', '9223372036', '9223372036000000000'],
      ['s', '-9223372036', '-9223372036000000000'],
      ['ms', '-1', '-1000000'],
      ['us', '0', '0'],
    ];
    for (const [precision, written, ns] of cases) {
      it(`${written} ${precision} -> ${ns} ns`, function () {
        const out = prepareLines(`cpu,host=a\\ b v="x y",n=1i ${written}`, { precision, nowNs: NOW });
        assert.deepStrictEqual(out.errors, []);
        assert.deepStrictEqual(out.lines, [`cpu,host=a\\ b v="x y",n=1i ${ns}`]);
      });
    }

    it('keeps the rest of the line byte for byte', function () {
      const line = 'wéather\\ 1,site=n\\,1,x\\=y=🍭 s="a \\"b\\" \\\\ c",f=-1.5E-2,i=-3i,u=4u,b=TRUE 1700000000';
      const out = prepareLines(line, { precision: 's', nowNs: NOW });
      assert.deepStrictEqual(out.lines, [line.replace(/1700000000$/, '1700000000000000000')]);
    });

    it('refuses timestamps outside the int64 ns range once converted', function () {
      const out = prepareLines('m v=1 9223372037\nm v=1 -9223372037\nm v=1 9223372036854775\nm v=1 9223372036854775806', {
        precision: 's',
        nowNs: NOW,
      });
      assert.deepStrictEqual(out.lines, []);
      assert.deepStrictEqual(
        out.errors.map((e) => e.lineNumber),
        [1, 2, 3, 4],
      );
      assert.strictEqual(out.errors[0].reason, "timestamp 9223372037 s is out of InfluxDB's range once converted to ns");
      assert.strictEqual(out.errors[3].reason, "timestamp 9223372036854775806 s is out of InfluxDB's range once converted to ns");
    });

    it('converts exactly like BigInt arithmetic at every length, sign, leading zero and range boundary', function () {
      const MAX = 9223372036854775806n;
      const multipliers = { us: 1000n, ms: 1000000n, s: 1000000000n };
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (const [precision, multiplier] of Object.entries(multipliers)) {
        const written = ['0', '-0', '007', '-007', '1', '-1'];
        // Around the limit: its first digits for this precision, and one more or less.
        const limit = MAX / multiplier;
        for (const delta of [-1n, 0n, 1n]) written.push(String(limit + delta), String(-(limit + delta)));
        for (let k = 0; k < 300; k++) {
          const length = 1 + Math.floor(random() * 20);
          let digits = String(1 + Math.floor(random() * 9));
          while (digits.length < length) digits += String(Math.floor(random() * 10));
          written.push(random() < 0.2 ? `-${digits}` : digits);
        }
        for (const t of written) {
          const out = prepareLines(`m,t=a v=1 ${t}`, { precision, nowNs: NOW });
          const ns = BigInt(t) * multiplier;
          if (ns < -MAX || ns > MAX) {
            assert.deepStrictEqual(out.lines, [], `${t} ${precision}`);
            assert.match(out.errors[0].reason, /is out of (InfluxDB's )?range/);
          } else {
            assert.deepStrictEqual(out.errors, [], `${t} ${precision}`);
            assert.deepStrictEqual(out.lines, [`m,t=a v=1 ${ns}`], `${t} ${precision}`);
          }
        }
      }
    });

    it('accepts the extreme ns timestamps InfluxDB allows and refuses the next ones', function () {
      const out = prepareLines(
        ['m v=1 9223372036854775806', 'm v=1 -9223372036854775806', 'm v=1 9223372036854775807', 'm v=1 -9223372036854775807'].join('\n'),
        { precision: 'ns', nowNs: NOW },
      );
      assert.deepStrictEqual(out.lines, ['m v=1 9223372036854775806', 'm v=1 -9223372036854775806']);
      assert.deepStrictEqual(
        out.errors.map((e) => e.lineNumber),
        [3, 4],
      );
    });
  });

  it('reports invalid lines by 1-based line number and still returns the valid ones', function () {
    const text = ['m v=1 1', 'bad', '', 'm v=abc', '# note', 'm v=2 2', 'm,t=1 v=1.5i'].join('\r\n');
    const out = prepareLines(text, { precision: 'ns', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['m v=1 1', 'm v=2 2']);
    assert.deepStrictEqual(out.errors, [
      { lineNumber: 2, reason: 'missing field set' },
      { lineNumber: 4, reason: 'invalid field value "abc" for key "v"' },
      { lineNumber: 7, reason: 'invalid integer value "1.5i" for key "v"' },
    ]);
    assert.strictEqual(out.skipped, 2);
  });

  it('handles unicode lines', function () {
    const out = prepareLines('温度,ort=München v="🚀" 1\nмера v=1', { precision: 'ms', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['温度,ort=München v="🚀" 1000000', `мера v=1 ${NOW}`]);
  });

  it('prepares payloads one after the other alike, whatever their size (the encoding buffer is reused)', function () {
    const line = (i) => `wärme,ort=Zürich v=${i} ${i + 1}`;
    const big = Array.from({ length: 40000 }, (_, i) => line(i)).join('\n'); // over 1 MB: a buffer of its own
    const small = [line(7), line(8)].join('\n');
    const options = { precision: 'ns', nowNs: NOW };
    const smallAlone = prepareLines(small, options).lines;
    const bigOut = prepareLines(big, options).lines;
    assert.strictEqual(bigOut.length, 40000);
    assert.strictEqual(bigOut[39999], line(39999));
    assert.deepStrictEqual(prepareLines(small, options).lines, smallAlone);
    // A payload that fills more of the reused buffer, then a shorter one: nothing of the first is read again.
    assert.strictEqual(prepareLines(big.split('\n', 2000).join('\n'), options).lines.length, 2000);
    assert.deepStrictEqual(prepareLines(small, options).lines, smallAlone);
    assert.deepStrictEqual(smallAlone, [line(7), line(8)]);
    // Parsing between two payloads uses the same buffer: lines already prepared are not affected.
    const kept = prepareLines(small, options).lines;
    assert.ok(parseLine(`m,t=${'x'.repeat(5000)} v=1`).ok);
    assert.deepStrictEqual(kept, [line(7), line(8)]);
  });

  it('converts the timestamp of a unicode line that takes the exact (BigInt) path', function () {
    // A leading zero and an out-of-range value: the timestamp is found from the line's end, in characters.
    const out = prepareLines('温度,ort=München v="🚀" 012\nmüde v=1 9223372036854775', { precision: 'ms', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['温度,ort=München v="🚀" 12000000']);
    assert.deepStrictEqual(out.errors, [{ lineNumber: 2, reason: "timestamp 9223372036854775 ms is out of InfluxDB's range once converted to ns" }]);
  });

  it('splits lines as InfluxDB does: a newline inside a string or after a backslash is refused, not split', function () {
    // InfluxDB stores `m v="first\nsecond"` as one point; cut in two, the second half `b v=1` would be stored on its own.
    const out = prepareLines('m v="first\nsecond" 1\nm,t=a\\\nb v=1 2\nm v=3 3', { precision: 'ns', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['m v=3 3']);
    assert.deepStrictEqual(
      out.errors.map((e) => e.lineNumber),
      [1, 3],
    );
    assert.match(out.errors[0].reason, /newline inside a string value or after a backslash/);
  });

  it('outputs lines that parse, with their timestamp in ns', function () {
    const out = prepareLines('a,t=1 v=1i,w="x" 12\nb f=t', { precision: 'us', nowNs: NOW });
    const timestamps = out.lines.map((line) => parseLine(line).point.timestamp);
    assert.deepStrictEqual(timestamps, [12000n, NOW]);
  });

  it('throws on a programming error in the options', function () {
    assert.throws(() => prepareLines('m v=1', { precision: 'h' }), /unknown precision "h"/);
    assert.throws(() => prepareLines('m v=1'), /options/);
    assert.throws(() => prepareLines('m v=1', { precision: 'ns', nowNs: 5 }), /nowNs must be a bigint/);
  });
});

describe('line-protocol: pointsToLines', function () {
  it('writes measurement, tags, typed fields and a ns timestamp', function () {
    const lines = pointsToLines(
      {
        measurement: 'cpu',
        tags: { host: 'a', core: 2, hot: true },
        fields: {
          f: 1.5,
          whole: 3,
          big: 9007199254740993n,
          s: 'text',
          b: false,
          i: { type: 'integer', value: 7n },
          u: { type: 'unsigned', value: 18446744073709551615n },
          fl: { type: 'float', value: 2 },
          st: { type: 'string', value: '5' },
          bo: { type: 'boolean', value: true },
        },
        timestamp: 1700000000,
      },
      's',
    );
    assert.deepStrictEqual(lines, [
      'cpu,host=a,core=2,hot=true f=1.5,whole=3,big=9007199254740993i,s="text",b=false,i=7i,u=18446744073709551615u,fl=2,st="5",bo=true 1700000000000000000',
    ]);
  });

  it('escapes every element according to the reference', function () {
    const [line] = pointsToLines(
      {
        measurement: 'my Measurement,x=y',
        tags: { 'tag Key,=': 'tag Value,=1', path: 'C:\\tmp' },
        fields: { 'field Key,=': 'a "quoted" \\ string, with = and spaces', n: 1 },
      },
      'ns',
    );
    assert.strictEqual(
      line,
      'my\\ Measurement\\,x\\=y,tag\\ Key\\,\\==tag\\ Value\\,\\=1,path=C:\\tmp field\\ Key\\,\\=="a \\"quoted\\" \\\\ string, with = and spaces",n=1',
    );
    const back = parseLine(line).point;
    assert.strictEqual(back.measurement, 'my Measurement,x=y');
    assert.deepStrictEqual(back.tags, [
      ['tag Key,=', 'tag Value,=1'],
      ['path', 'C:\\tmp'],
    ]);
    assert.deepStrictEqual(back.fields[0], ['field Key,=', { type: 'string', value: 'a "quoted" \\ string, with = and spaces' }]);
  });

  it('keeps a backslash followed by a special character intact', function () {
    const [line] = pointsToLines({ measurement: 'a\\ b\\=c\\"d', tags: { k: 'x\\,y' }, fields: { 'f\\"g': 1 } }, 'ns');
    const back = parseLine(line).point;
    assert.strictEqual(back.measurement, 'a\\ b\\=c\\"d');
    assert.deepStrictEqual(back.tags, [['k', 'x\\,y']]);
    assert.strictEqual(back.fields[0][0], 'f\\"g');
  });

  it('refuses a field key with a backslash before a delimiter, which InfluxDB cannot read back', function () {
    assert.throws(() => pointsToLines({ measurement: 'm', fields: { 'f\\=g': 1 } }, 'ns'), /point 0: field key "f\\\\=g" has a backslash before/);
  });

  it('converts timestamps of every form to exact ns', function () {
    const at = (timestamp, precision) => pointsToLines({ measurement: 'm', fields: { v: 1 }, timestamp }, precision)[0].split(' ')[2];
    assert.strictEqual(at(1700000000123, 'ms'), '1700000000123000000');
    assert.strictEqual(at(1700000000123456789n, 'ns'), '1700000000123456789');
    assert.strictEqual(at(9007199254740993n, 'us'), '9007199254740993000');
    assert.strictEqual(at('1700000000123456789', 'ns'), '1700000000123456789');
    assert.strictEqual(at('-5', 's'), '-5000000000');
    assert.strictEqual(at(new Date(1700000000123), 's'), '1700000000123000000');
    assert.strictEqual(at(new Date(-1), 'ns'), '-1000000');
    assert.strictEqual(at(undefined, 'ms'), undefined);
    assert.strictEqual(at(null, 'ms'), undefined);
  });

  it('leaves out tags and fields whose value is undefined or null', function () {
    const lines = pointsToLines({ measurement: 'm', tags: { a: undefined, b: null, c: 'x' }, fields: { v: null, w: 1, x: undefined } }, 'ns');
    assert.deepStrictEqual(lines, ['m,c=x w=1']);
  });

  it('accepts an array and keeps its order', function () {
    const lines = pointsToLines(
      [
        { measurement: 'a', fields: { v: 1 } },
        { measurement: 'b', fields: { v: 2 } },
      ],
      'ns',
    );
    assert.deepStrictEqual(lines, ['a v=1', 'b v=2']);
  });

  describe('refuses objects it cannot write, naming the index and the problem', function () {
    const good = { measurement: 'm', fields: { v: 1 } };
    const cases = [
      ['not an object', 5, 'point 1: expected an object, got number'],
      ['missing measurement', { fields: { v: 1 } }, 'point 1: missing measurement'],
      ['empty measurement', { measurement: '', fields: { v: 1 } }, 'point 1: missing measurement'],
      ['measurement of the wrong type', { measurement: 3, fields: { v: 1 } }, 'point 1: missing measurement'],
      ['measurement starting with #', { measurement: '#m', fields: { v: 1 } }, 'point 1: measurement "#m" starts with "#", which makes the line a comment'],
      ['no fields object', { measurement: 'm' }, 'point 1: no fields'],
      ['empty fields', { measurement: 'm', fields: {} }, 'point 1: no fields'],
      ['fields not an object', { measurement: 'm', fields: 'v=1' }, 'point 1: fields must be an object, got string'],
      ['NaN', { measurement: 'm', fields: { v: NaN } }, 'point 1: field "v" is not a finite number (NaN)'],
      ['Infinity', { measurement: 'm', fields: { v: -Infinity } }, 'point 1: field "v" is not a finite number (-Infinity)'],
      ['nested object', { measurement: 'm', fields: { v: { a: 1 } } }, 'point 1: field "v" is a nested object (only numbers, bigints, strings, booleans and {type, value})'],
      ['array field', { measurement: 'm', fields: { v: [1] } }, 'point 1: field "v" has an unsupported value of type array'],
      ['bigint out of range', { measurement: 'm', fields: { v: 2n ** 63n } }, 'point 1: integer field "v" is out of the 64-bit signed range'],
      ['negative unsigned', { measurement: 'm', fields: { v: { type: 'unsigned', value: -1n } } }, 'point 1: unsigned field "v" is out of the 64-bit unsigned range'],
      ['fractional integer', { measurement: 'm', fields: { v: { type: 'integer', value: 1.5 } } }, 'point 1: integer field "v" needs an integer, got number "1.5"'],
      ['string with newline', { measurement: 'm', fields: { v: 'a\nb' } }, 'point 1: string field "v" contains a newline'],
      ['reserved field key', { measurement: 'm', fields: { time: 1 } }, 'point 1: field key "time" is reserved by InfluxDB'],
      ['empty field key', { measurement: 'm', fields: { '': 1 } }, 'point 1: empty field key'],
      ['empty tag key', { measurement: 'm', tags: { '': 'x' }, fields: { v: 1 } }, 'point 1: empty tag key'],
      ['empty tag value', { measurement: 'm', tags: { k: '' }, fields: { v: 1 } }, 'point 1: empty value of tag "k"'],
      ['reserved tag key', { measurement: 'm', tags: { _field: 'x' }, fields: { v: 1 } }, 'point 1: tag key "_field" is reserved by InfluxDB'],
      ['object tag value', { measurement: 'm', tags: { k: {} }, fields: { v: 1 } }, 'point 1: tag "k" has an unsupported value of type object'],
      ['tag value ending in a backslash', { measurement: 'm', tags: { k: 'a\\' }, fields: { v: 1 } }, 'point 1: value of tag "k" "a\\\\" ends with a backslash, which line protocol cannot represent'],
      ['fractional timestamp', { measurement: 'm', fields: { v: 1 }, timestamp: 1.5 }, 'point 1: bad timestamp 1.5: not an integer in the chosen precision'],
      ['unsafe number timestamp', { measurement: 'm', fields: { v: 1 }, timestamp: 2 ** 60 }, 'point 1: bad timestamp 1152921504606847000: beyond 2^53 a number loses digits, pass a bigint or a string'],
      ['non-numeric string timestamp', { measurement: 'm', fields: { v: 1 }, timestamp: '2024-01-01' }, 'point 1: bad timestamp "2024-01-01": not an integer'],
      ['invalid Date', { measurement: 'm', fields: { v: 1 }, timestamp: new Date('nope') }, 'point 1: bad timestamp: invalid Date'],
      ['timestamp out of range', { measurement: 'm', fields: { v: 1 }, timestamp: 9223372037n }, "point 1: timestamp 9223372037000000000 ns is out of InfluxDB's range"],
    ];
    for (const [name, point, message] of cases) {
      it(name, function () {
        const precision = name === 'timestamp out of range' ? 's' : 'ns';
        assert.throws(() => pointsToLines([good, point], precision), (error) => {
          assert.ok(error instanceof Error);
          assert.strictEqual(error.message, message);
          assert.strictEqual(error.index, 1);
          return true;
        });
      });
    }
  });
});

describe('line-protocol: preparePayload', function () {
  const options = { precision: 'ms', nowNs: NOW };

  it('a string with several lines', function () {
    assert.deepStrictEqual(preparePayload('a v=1 1\n# c\nb v=2', options), {
      lines: ['a v=1 1000000', `b v=2 ${NOW}`],
      errors: [],
      skipped: 1,
    });
  });

  it('a Buffer, decoded as UTF-8 (a byte order mark is dropped)', function () {
    const out = preparePayload(Buffer.from('\ufeffmünchen v="🚀" 2\r\nbad', 'utf8'), options);
    assert.deepStrictEqual(out.lines, ['münchen v="🚀" 2000000']);
    assert.deepStrictEqual(out.errors, [{ lineNumber: 2, reason: 'missing field set' }]);
  });

  it('a Buffer that went through JSON ({type: "Buffer", data})', function () {
    const out = preparePayload(JSON.parse(JSON.stringify(Buffer.from('m v=1 3'))), options);
    assert.deepStrictEqual(out.lines, ['m v=1 3000000']);
  });

  it('a point object, its numeric timestamp read in the precision', function () {
    const out = preparePayload({ measurement: 'm', tags: { t: 'x' }, fields: { v: 1 }, timestamp: 1700000000123 }, options);
    assert.deepStrictEqual(out, { lines: ['m,t=x v=1 1700000000123000000'], errors: [], skipped: 0 });
  });

  it('a point object without a timestamp gets nowNs', function () {
    assert.deepStrictEqual(preparePayload({ measurement: 'm', fields: { v: true } }, options).lines, [`m v=true ${NOW}`]);
  });

  it('a point object that cannot be converted gives one error naming index 0', function () {
    assert.deepStrictEqual(preparePayload({ measurement: 'm', fields: {} }, options), {
      lines: [],
      errors: [{ lineNumber: 1, reason: 'point 0: no fields' }],
      skipped: 0,
    });
  });

  it('an array of strings, line numbers running across the elements', function () {
    const out = preparePayload(['a v=1 1\nbad1', 'b v=2 2', '\nbad2\n', 'c v=3'], options);
    assert.deepStrictEqual(out.lines, ['a v=1 1000000', 'b v=2 2000000', `c v=3 ${NOW}`]);
    assert.deepStrictEqual(out.errors, [
      { lineNumber: 2, reason: 'missing field set' },
      { lineNumber: 5, reason: 'missing field set' },
    ]);
    assert.strictEqual(out.skipped, 1);
  });

  it('an array mixing strings, Buffers and point objects; a failing object names its index', function () {
    const out = preparePayload(
      ['a v=1 1', { measurement: 'b', fields: { v: 2 }, timestamp: 2 }, Buffer.from('c v=3 3\nd v=4 4'), { measurement: 'e', fields: { v: NaN } }, 'f v=bad'],
      options,
    );
    assert.deepStrictEqual(out.lines, ['a v=1 1000000', 'b v=2 2000000', 'c v=3 3000000', 'd v=4 4000000']);
    assert.deepStrictEqual(out.errors, [
      { lineNumber: 5, reason: 'point 3: field "v" is not a finite number (NaN)' },
      { lineNumber: 6, reason: 'invalid field value "bad" for key "v"' },
    ]);
  });

  it('a point object with a Date timestamp keeps ms exactly even in s precision', function () {
    const out = preparePayload([{ measurement: 'm', fields: { v: 1 }, timestamp: new Date(1700000000123) }], { precision: 's', nowNs: NOW });
    assert.deepStrictEqual(out.lines, ['m v=1 1700000000123000000']);
  });

  it('an empty string or an empty array gives nothing', function () {
    assert.deepStrictEqual(preparePayload('', options), { lines: [], errors: [], skipped: 0 });
    assert.deepStrictEqual(preparePayload([], options), { lines: [], errors: [], skipped: 0 });
  });

  describe('wrong types give one error with line number 0 naming the type', function () {
    const cases = [
      [null, 'payload is null; expected a string, a Buffer, a point object or an array of them'],
      [undefined, 'payload is undefined; expected a string, a Buffer, a point object or an array of them'],
      [42, 'payload is a number; expected a string, a Buffer, a point object or an array of them'],
      [true, 'payload is a boolean; expected a string, a Buffer, a point object or an array of them'],
      [10n, 'payload is a bigint; expected a string, a Buffer, a point object or an array of them'],
      [new Date(0), 'payload is a Date; expected a string, a Buffer, a point object or an array of them'],
      [() => 1, 'payload is a function; expected a string, a Buffer, a point object or an array of them'],
    ];
    for (const [payload, reason] of cases) {
      it(String(payload === null ? 'null' : typeof payload === 'function' ? 'function' : payload instanceof Date ? 'Date' : typeof payload), function () {
        assert.deepStrictEqual(preparePayload(payload, options), { lines: [], errors: [{ lineNumber: 0, reason }], skipped: 0 });
      });
    }

    it('nested junk inside an array: one error per bad element, the rest still prepared', function () {
      const out = preparePayload(['a v=1 1', [['b v=2']], null, 7, 'c v=3 3'], options);
      assert.deepStrictEqual(out.lines, ['a v=1 1000000', 'c v=3 3000000']);
      assert.deepStrictEqual(out.errors, [
        { lineNumber: 0, reason: 'array element 1 is an array; expected a string, a Buffer or a point object' },
        { lineNumber: 0, reason: 'array element 2 is null; expected a string, a Buffer or a point object' },
        { lineNumber: 0, reason: 'array element 3 is a number; expected a string, a Buffer or a point object' },
      ]);
    });
  });
});

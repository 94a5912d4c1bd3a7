'use strict';
// parseLine and formatPoint: the grammar, escaping and field types of the InfluxDB line protocol
// reference, and a catalogue of malformed lines with the reason each one gets.

const assert = require('assert');
const { parseLine, formatPoint } = require('../../nodes/lib/line-protocol');

function parsed(line) {
  const result = parseLine(line);
  assert.ok(result.ok, `expected ${JSON.stringify(line)} to parse, got: ${result.reason}`);
  return result.point;
}

function reasonFor(line) {
  const result = parseLine(line);
  assert.strictEqual(result.ok, false, `expected ${JSON.stringify(line)} to be refused`);
  assert.strictEqual(typeof result.reason, 'string');
  return result.reason;
}

describe('line-protocol: parseLine', function () {
  it('parses measurement, tags in order, fields in order and the timestamp', function () {
    const point = parsed('cpu,host=a,region=eu-1 usage=0.5,count=3i 1556813561098000000');
    assert.deepStrictEqual(point, {
      measurement: 'cpu',
      tags: [
        ['host', 'a'],
        ['region', 'eu-1'],
      ],
      fields: [
        ['usage', { type: 'float', value: 0.5 }],
        ['count', { type: 'integer', value: 3n }],
      ],
      timestamp: 1556813561098000000n,
    });
  });

  it('makes the tag set and the timestamp optional', function () {
    assert.deepStrictEqual(parsed('m v=1'), { measurement: 'm', tags: [], fields: [['v', { type: 'float', value: 1 }]], timestamp: null });
  });

  it('keeps tags in the order written, unsorted', function () {
    assert.deepStrictEqual(
      parsed('m,z=1,a=2 v=1').tags.map(([k]) => k),
      ['z', 'a'],
    );
  });

  it('accepts negative timestamps and keeps them as written (no precision applied)', function () {
    assert.strictEqual(parsed('m v=1 -1').timestamp, -1n);
    assert.strictEqual(parsed('m v=1 1700000000').timestamp, 1700000000n);
  });

  it('keeps timestamps beyond 2^53 exact', function () {
    assert.strictEqual(parsed('m v=1 9223372036854775806').timestamp, 9223372036854775806n);
    assert.strictEqual(parsed('m v=1 -9223372036854775806').timestamp, -9223372036854775806n);
    assert.strictEqual(parsed('m v=1 1700000000123456789').timestamp, 1700000000123456789n);
  });

  describe('field types', function () {
    const cases = [
      ['1', { type: 'float', value: 1 }],
      ['1.0', { type: 'float', value: 1 }],
      ['-1.5', { type: 'float', value: -1.5 }],
      ['.5', { type: 'float', value: 0.5 }],
      ['1.', { type: 'float', value: 1 }],
      ['1e3', { type: 'float', value: 1000 }],
      ['-1.5E-2', { type: 'float', value: -0.015 }],
      ['-1.234456e+78', { type: 'float', value: -1.234456e78 }],
      ['1i', { type: 'integer', value: 1n }],
      ['-12485903i', { type: 'integer', value: -12485903n }],
      ['9223372036854775807i', { type: 'integer', value: 9223372036854775807n }],
      ['-9223372036854775808i', { type: 'integer', value: -9223372036854775808n }],
      ['0u', { type: 'unsigned', value: 0n }],
      ['18446744073709551615u', { type: 'unsigned', value: 18446744073709551615n }],
      ['"text"', { type: 'string', value: 'text' }],
      ['""', { type: 'string', value: '' }],
      ['"a, b=c d"', { type: 'string', value: 'a, b=c d' }],
      ['"say \\"hi\\""', { type: 'string', value: 'say "hi"' }],
      ['"back\\\\slash"', { type: 'string', value: 'back\\slash' }],
      ['"C:\\temp"', { type: 'string', value: 'C:\\temp' }],
    ];
    for (const [text, expected] of cases) {
      it(`reads ${text} as ${expected.type}`, function () {
        assert.deepStrictEqual(parsed(`m v=${text}`).fields, [['v', expected]]);
      });
    }

    it('reads every boolean spelling of the reference', function () {
      for (const t of ['t', 'T', 'true', 'True', 'TRUE']) assert.deepStrictEqual(parsed(`m v=${t}`).fields[0][1], { type: 'boolean', value: true }, t);
      for (const f of ['f', 'F', 'false', 'False', 'FALSE']) assert.deepStrictEqual(parsed(`m v=${f}`).fields[0][1], { type: 'boolean', value: false }, f);
    });

    it('reads a quoted boolean as a string', function () {
      assert.deepStrictEqual(parsed('m v="true"').fields[0][1], { type: 'string', value: 'true' });
    });

    it('reads several fields of different types, and a string before the timestamp', function () {
      const point = parsed('m a=1,b=2i,c=3u,d="x y",e=t 5');
      assert.deepStrictEqual(
        point.fields.map(([k, v]) => [k, v.type]),
        [
          ['a', 'float'],
          ['b', 'integer'],
          ['c', 'unsigned'],
          ['d', 'string'],
          ['e', 'boolean'],
        ],
      );
      assert.strictEqual(point.timestamp, 5n);
    });

    it('keeps duplicate field keys, as InfluxDB accepts them', function () {
      assert.deepStrictEqual(parsed('m v=1,v=2').fields, [
        ['v', { type: 'float', value: 1 }],
        ['v', { type: 'float', value: 2 }],
      ]);
    });

    it('accepts field and measurement names that start with "_" other than the reserved tag keys', function () {
      const point = parsed('_m,_t=1 _v=1');
      assert.strictEqual(point.measurement, '_m');
      assert.deepStrictEqual(point.tags, [['_t', '1']]);
      assert.strictEqual(point.fields[0][0], '_v');
    });
  });

  describe('escaping (reference: special characters)', function () {
    it('measurement: comma and space', function () {
      assert.strictEqual(parsed('my\\ Measurement v=1').measurement, 'my Measurement');
      assert.strictEqual(parsed('a\\,b v=1').measurement, 'a,b');
    });

    it('measurement: an equals sign needs no escape, and "\\=" and "\\"" lose their backslash as in InfluxDB 1.6.7', function () {
      assert.strictEqual(parsed('a=b v=1').measurement, 'a=b');
      assert.strictEqual(parsed('a\\=b v=1').measurement, 'a=b');
      assert.strictEqual(parsed('a\\"b v=1').measurement, 'a"b');
    });

    it('tag keys and values: comma, equals sign and space', function () {
      const point = parsed('m,tag\\ Key1=tag\\ Value1,k\\=x=v\\,1,eq=a\\=b v=1');
      assert.deepStrictEqual(point.tags, [
        ['tag Key1', 'tag Value1'],
        ['k=x', 'v,1'],
        ['eq', 'a=b'],
      ]);
    });

    it('field keys: comma, equals sign and space', function () {
      assert.deepStrictEqual(
        parsed('m f\\ 1=1,f\\,2=2,f\\=3=3').fields.map(([k]) => k),
        ['f 1', 'f,2', 'f=3'],
      );
    });

    it('a backslash before any other character is literal', function () {
      const point = parsed('C:\\dir,path=C:\\tmp v="a\\nb"');
      assert.strictEqual(point.measurement, 'C:\\dir');
      assert.deepStrictEqual(point.tags, [['path', 'C:\\tmp']]);
      assert.strictEqual(point.fields[0][1].value, 'a\\nb');
    });

    it('string values: the backslash table of the reference', function () {
      // written -> stored: \ -> \, \\ -> \, \\\ -> \\, \\\\ -> \\
      const table = [
        ['\\x', '\\x'],
        ['\\\\x', '\\x'],
        ['\\\\\\x', '\\\\x'],
        ['\\\\\\\\x', '\\\\x'],
      ];
      for (const [written, stored] of table) assert.strictEqual(parsed(`m v="${written}"`).fields[0][1].value, stored, written);
    });

    it('quotes are part of names, not delimiters', function () {
      const point = parsed('"m",\'t\'="v" "k"=1');
      assert.strictEqual(point.measurement, '"m"');
      assert.deepStrictEqual(point.tags, [["'t'", '"v"']]);
      assert.strictEqual(point.fields[0][0], '"k"');
    });
  });

  it('reads unicode (emoji, CJK, accents) in every element', function () {
    const point = parsed('温度,ort=München,tagKey=🍭 fieldKey="Launch 🚀",é=1 1556813561098000000');
    assert.strictEqual(point.measurement, '温度');
    assert.deepStrictEqual(point.tags, [
      ['ort', 'München'],
      ['tagKey', '🍭'],
    ]);
    assert.deepStrictEqual(point.fields, [
      ['fieldKey', { type: 'string', value: 'Launch 🚀' }],
      ['é', { type: 'float', value: 1 }],
    ]);
  });
});

describe('line-protocol: formatPoint', function () {
  const canonical = [
    'cpu v=1',
    'cpu,host=a,region=eu usage=0.5,count=3i 1556813561098000000',
    'my\\ Measurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100',
    'a\\,b,k\\=x=v\\,1\\=2 f\\ 1=-1.5,f\\,2=2u,f\\=3=true -42',
    'm s="\\"string\\" within a string",b="back\\\\slash",e="" 0',
    'temp,ort=München,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000',
    'C:\\dir,path=C:\\tmp v=1e+21,w=1e-7,x=false 9223372036854775806',
    'm i=-9223372036854775808i,u=18446744073709551615u -9223372036854775806',
    'm,a\\\\,b=c v=1',
  ];
  for (const line of canonical) {
    it(`round-trips ${line}`, function () {
      assert.strictEqual(formatPoint(parsed(line)), line);
    });
  }

  it('writes points it builds from scratch so that they parse back to the same values', function () {
    const point = {
      measurement: 'a b,c=d',
      tags: [['k, =', 'v, =\\z']],
      fields: [
        ['s', { type: 'string', value: 'quote " backslash \\ end\\' }],
        ['n', { type: 'integer', value: -7n }],
      ],
      timestamp: null,
    };
    const line = formatPoint(point);
    assert.deepStrictEqual(parsed(line), point);
  });

  it('writes the timestamp as given and omits a null one', function () {
    const base = { measurement: 'm', tags: [], fields: [['v', { type: 'boolean', value: true }]] };
    assert.strictEqual(formatPoint({ ...base, timestamp: 1700000000n }), 'm v=true 1700000000');
    assert.strictEqual(formatPoint({ ...base, timestamp: null }), 'm v=true');
  });

  it('refuses points that line protocol cannot carry', function () {
    const field = [['v', { type: 'float', value: 1 }]];
    const bad = [
      [{ measurement: '', tags: [], fields: field, timestamp: null }, /empty measurement/],
      [{ measurement: '#m', tags: [], fields: field, timestamp: null }, /starts with "#"/],
      [{ measurement: 'm', tags: [], fields: [], timestamp: null }, /no fields/],
      [{ measurement: 'm', tags: [['k', '']], fields: field, timestamp: null }, /empty value of tag "k"/],
      [{ measurement: 'm', tags: [['k', 'a\\']], fields: field, timestamp: null }, /ends with a backslash/],
      [{ measurement: 'm', tags: [['k', '1'], ['k', '2']], fields: field, timestamp: null }, /duplicate tag key "k"/],
      [{ measurement: 'm', tags: [], fields: [['v', { type: 'float', value: NaN }]], timestamp: null }, /not a finite number/],
      [{ measurement: 'm', tags: [], fields: [['v', { type: 'integer', value: 2n ** 63n }]], timestamp: null }, /64-bit signed range/],
      [{ measurement: 'm', tags: [], fields: [['v', { type: 'unsigned', value: -1n }]], timestamp: null }, /64-bit unsigned range/],
      [{ measurement: 'm', tags: [], fields: [['v', { type: 'string', value: 'a\nb' }]], timestamp: null }, /newline/],
      [{ measurement: 'm', tags: [], fields: field, timestamp: 2n ** 63n }, /out of InfluxDB's range/],
    ];
    for (const [point, pattern] of bad) assert.throws(() => formatPoint(point), pattern, JSON.stringify(point, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
  });
});

describe('line-protocol: malformed lines', function () {
  // Each case: [line, reason it must get].
  const cases = [
    ['', 'empty line'],
    ['#m v=1', 'measurement cannot start with "#" (the line reads as a comment)'],
    [' \t#m v=1', 'measurement cannot start with "#" (the line reads as a comment)'],
    [',t=1 v=1', 'missing measurement'],
    ['m', 'missing field set'],
    ['m ', 'missing field set'],
    ['m,t=1', 'missing field set'],
    ['m,t=1 ', 'missing field set'],
    ['m,t=1,', 'missing tag key'],
    ['m,=1 v=1', 'missing tag key'],
    ['m, v=1', 'missing tag key'],
    ['m,t v=1', 'missing tag value for key "t"'],
    ['m,t= v=1', 'missing tag value for key "t"'],
    ['m,t=,u=1 v=1', 'missing tag value for key "t"'],
    ['m,t=a=b v=1', 'unescaped "=" in tag value for key "t"'],
    ['m,t=1,t=2 v=1', 'duplicate tag key "t"'],
    ['m,time=1 v=1', 'tag key "time" is reserved by InfluxDB'],
    ['m,_field=1 v=1', 'tag key "_field" is reserved by InfluxDB 2'],
    ['m,_measurement=1 v=1', 'tag key "_measurement" is reserved by InfluxDB 2'],
    ['m =1', 'missing field key'],
    ['m v=1,,w=2', 'invalid field set "v=1,,w=2" (a comma or "=" too many)'],
    ['m v=1,', 'invalid field set "v=1," (a comma or "=" too many)'],
    ['m v', 'missing value for field key "v"'],
    ['m v=', 'missing value for field key "v"'],
    ['m v=,w=1', 'missing value for field key "v"'],
    ['m v= 1', 'missing value for field key "v"'],
    ['m time=1', 'field key "time" is reserved by InfluxDB (it is dropped, and the line has no other field)'],
    ['m v="abc', 'unterminated string value for field key "v"'],
    ['m v="abc\\"', 'unterminated string value for field key "v"'],
    ['m v=abc', 'invalid field value "abc" for key "v"'],
    ['m v=1.5i', 'invalid integer value "1.5i" for key "v"'],
    ['m v=1e3i', 'invalid integer value "1e3i" for key "v"'],
    ['m v=i', 'invalid field value "i" for key "v"'],
    ['m v=-i', 'invalid field value "-i" for key "v"'],
    ['m v=9223372036854775808i', 'integer value "9223372036854775808i" is out of the 64-bit signed range for key "v"'],
    ['m v=-1u', 'invalid unsigned value "-1u" (unsigned cannot be negative) for key "v"'],
    ['m v=1.5u', 'invalid unsigned value "1.5u" for key "v"'],
    ['m v=18446744073709551616u', 'unsigned value "18446744073709551616u" is out of the 64-bit unsigned range for key "v"'],
    ['m v=1.2.3', 'invalid field value "1.2.3" for key "v"'],
    ['m v=1e', 'invalid field value "1e" for key "v"'],
    ['m v=-', 'invalid field value "-" for key "v"'],
    ['m v=.', 'invalid field value "." for key "v"'],
    ['m v=+1', 'invalid field value "+1" for key "v"'],
    ['m v=0x10', 'invalid field value "0x10" for key "v"'],
    ['m v=NaN', 'invalid field value "NaN" for key "v"'],
    ['m v=Infinity', 'invalid field value "Infinity" for key "v"'],
    ['m v=1e400', 'float value "1e400" is out of range for key "v"'],
    ['m v=tRUE', 'invalid boolean value "tRUE" for key "v"'],
    ['m v=yes', 'invalid field value "yes" for key "v"'],
    ['m v=1 123 456', 'unexpected text after the timestamp: "456"'],
    ['m v=1 1.5', 'invalid timestamp "1.5" (must be an integer)'],
    ['m v=1 123abc', 'invalid timestamp "123abc" (must be an integer)'],
    ['m v=1 abc', 'invalid timestamp "abc" (must be an integer)'],
    ['m v=1 -', 'invalid timestamp "-" (must be an integer)'],
    ['m v=1 +5', 'invalid timestamp "+5" (must be an integer)'],
    ['m v=1 w=2', 'invalid timestamp "w=2" (must be an integer)'],
    ['m v=1 9223372036854775807', 'timestamp "9223372036854775807" is out of range'],
    ['m v=1 -9223372036854775807', 'timestamp "-9223372036854775807" is out of range'],
    ['m v=1 99999999999999999999', 'timestamp "99999999999999999999" is out of range'],
    ['m v=1\nm v=2', 'line contains a newline (pass one line at a time)'],
  ];

  for (const [line, reason] of cases) {
    it(`${JSON.stringify(line)} -> ${reason}`, function () {
      assert.strictEqual(reasonFor(line), reason);
    });
  }

  it('a raw newline inside a string reads as two lines, the first one unterminated', function () {
    // (prepareLines splits as InfluxDB does and refuses such a line whole; parseLine takes one line.)
    const [first] = 'm v="two\nlines"'.split('\n');
    assert.strictEqual(reasonFor(first), 'unterminated string value for field key "v"');
  });

  it('shortens very long tokens in reasons', function () {
    const reason = reasonFor(`m v=${'x'.repeat(10000)}`);
    assert.ok(reason.length < 120, reason);
    assert.match(reason, /^invalid field value "x+…" for key "v"$/);
  });

  it('keeps a quoted token short once escaped: binary bytes cannot make a reason of hundreds of characters', function () {
    const controls = [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
    const binary = Array.from({ length: 200 }, (_, i) => String.fromCharCode(controls[i % controls.length])).join('');
    const reason = reasonFor(`m v=${binary}`);
    assert.ok(reason.length < 120, `${reason.length}: ${reason}`);
    assert.match(reason, /^invalid field value "(\\u00[0-9a-f]{2}|\\[a-z])+…" for key "v"$/);
  });

  it('never cuts a character in two when it shortens a token (lines are read as UTF-8 bytes)', function () {
    const reason = reasonFor(`m v=${'é🚀'.repeat(40)}`);
    assert.ok(!reason.includes('\ufffd'), reason);
    assert.match(reason, /^invalid field value "(é🚀)+(é)?…" for key "v"$/);
  });

  it('takes a 20-digit timestamp with a leading zero by its value', function () {
    assert.strictEqual(parsed('m v=1 09223372036854775806').timestamp, 9223372036854775806n);
    assert.strictEqual(reasonFor('m v=1 09223372036854775807'), 'timestamp "09223372036854775807" is out of range');
  });

  it('refuses a series key longer than 65535 bytes', function () {
    assert.strictEqual(reasonFor(`m,t=${'é'.repeat(33000)} v=1`), 'series key is longer than 65535 bytes');
    assert.ok(parseLine(`m,t=${'x'.repeat(60000)} v=1`).ok);
  });

  it('refuses something that is not a string', function () {
    assert.deepStrictEqual(parseLine(42), { ok: false, reason: 'expected a string, got number' });
  });
});

'use strict';
// What InfluxDB 1.6.7 accepts and stores, line by line: each case was written to a real influxd 1.6.7 and
// its answer (and what SELECT returned) is what the package must agree with. The differential test
// (test/e2e/line-protocol-differential.test.js) checks the same against the real server with generated lines.

const assert = require('assert');
const { parseLine, prepareLines } = require('../../nodes/lib/line-protocol');

function stored(line) {
  const result = parseLine(line);
  assert.ok(result.ok, `expected ${JSON.stringify(line)} to be accepted, got: ${result.reason}`);
  const { measurement, tags, fields } = result.point;
  return { measurement, tags: Object.fromEntries(tags), fields: Object.fromEntries(fields.map(([k, v]) => [k, v.value])) };
}

function refused(line) {
  const result = parseLine(line);
  assert.ok(!result.ok, `expected ${JSON.stringify(line)} to be refused`);
  return result.reason;
}

describe('line-protocol: field keys are escaped as InfluxDB 1.6.7 reads them', function () {
  it('refuses a written "\\\\" before a comma or a space in a field key (InfluxDB: invalid field format)', function () {
    // The field scanner pairs a backslash with the next byte: `\\` is one pair and the comma or space is bare.
    assert.match(refused('m a\\\\,b=2i'), /a comma or "=" too many/);
    assert.match(refused('m a\\\\ b=1'), /missing value for field key/);
  });

  it('refuses a field key that ends with a backslash (InfluxDB: invalid value: field-key=...)', function () {
    assert.match(refused('m a\\\\=1'), /cannot be read by InfluxDB/);
    assert.match(refused('m a\\=1'), /missing value for field key/);
  });

  it('stores what InfluxDB stores when its second pass reads a longer key', function () {
    // InfluxDB 1.6.7 answers 204 and stores one field named `a\=1,b` holding 2.
    assert.deepStrictEqual(stored('m a\\\\=1,b=2 1').fields, { 'a\\=1,b': 2 });
  });

  it('unescapes , = space and " in field keys, keeps other backslashes', function () {
    assert.deepStrictEqual(stored('m a\\,b=2i,c\\ d=1,e\\=f=1,g\\"h=1,i\\\\j=1,k\\l=1 1').fields, {
      'a,b': 2n,
      'c d': 1,
      'e=f': 1,
      'g"h': 1,
      'i\\\\j': 1,
      'k\\l': 1,
    });
  });
});

describe('line-protocol: lines InfluxDB 1.6.7 accepts are accepted', function () {
  it('a tag value that starts with "=" (stored as "=a")', function () {
    assert.deepStrictEqual(stored('m,t0==a v=1').tags, { t0: '=a' });
  });

  it('a delimiter escaped by a backslash that is itself after a backslash, in names and tags', function () {
    const point = stored('m\\\\,x,t\\\\=a=b\\\\ c v=1');
    assert.strictEqual(point.measurement, 'm\\,x');
    assert.deepStrictEqual(point.tags, { 't\\=a': 'b\\ c' });
  });

  it('measurement escapes: "\\=" and "\\"" lose their backslash; tag keys keep "\\""', function () {
    const point = stored('m\\=x\\"y,t\\"=a\\"b v=1');
    assert.strictEqual(point.measurement, 'm=x"y');
    assert.deepStrictEqual(point.tags, { 't\\"': 'a\\"b' });
  });

  it('whitespace InfluxDB skips: before the measurement, doubled before fields and timestamp, NUL and tabs', function () {
    for (const line of [' m v=1 1', '\tm v=1 1', '\u0000m v=1 1', 'm  v=1 1', 'm v=1  1', 'm v=1 \t1', 'm v=1 1 ', 'm v=1 ', 'm \tv=1']) {
      assert.deepStrictEqual(stored(line).fields, { v: 1 }, JSON.stringify(line));
    }
  });

  it('a field named time next to other fields (InfluxDB drops it and stores the rest)', function () {
    assert.deepStrictEqual(stored('m v=1,time=2 1').fields, { v: 1 });
    assert.deepStrictEqual(stored('m v=1,time=2i,time="x" 1').fields, { v: 1 });
  });

  it('text after a closing quote: the string is everything between the first and the last byte', function () {
    assert.deepStrictEqual(stored('m s="a"b 1').fields, { s: 'a"' });
  });

  it('quotes in keys, True/False, tiny floats, an empty field key after a tab', function () {
    assert.deepStrictEqual(stored('m,"t"="v" "a"=1,b=True,c=False,d=1e-400 1'), {
      measurement: 'm',
      tags: { '"t"': '"v"' },
      fields: { '"a"': 1, b: true, c: false, d: 0 },
    });
    assert.deepStrictEqual(stored('m \t=1 1').fields, { '': 1 });
  });
});

describe('line-protocol: lines InfluxDB 1.6.7 refuses are refused at ingest', function () {
  it('one field key twice with different types (InfluxDB: field type conflict)', function () {
    assert.strictEqual(refused('m f=1,f=2i'), 'field "f" appears twice with different types (float and integer): InfluxDB refuses the line');
    assert.match(refused('m f="a",f=t 1'), /different types \(string and boolean\)/);
  });

  it('one field key twice with the same type is accepted (InfluxDB stores the last)', function () {
    const result = parseLine('m f=1,f=2 1');
    assert.ok(result.ok);
    assert.deepStrictEqual(result.point.fields.map(([k, v]) => [k, v.value]), [['f', 1], ['f', 2]]);
  });

  it('a field whose stored string would be a lone quote (InfluxDB 1.6.7 panics and exits on it)', function () {
    assert.match(refused('aa -x\\\\=" ="'), /which is not a value/);
  });

  it('a tag key "time", an unescaped "=" later in a tag value, a value of only "-" as timestamp', function () {
    assert.match(refused('m,time=a v=1'), /tag key "time" is reserved/);
    assert.match(refused('m,t=a=b v=1'), /unescaped "=" in tag value/);
    assert.match(refused('m v=1 -'), /invalid timestamp "-"/);
  });

  it('refuses a line without a timestamp that ends with a backslash: the ingest timestamp would join its value', function () {
    // InfluxDB stores `m s="a"\` as the string `a"`; with " <now>" appended it would store `a"\ 170000…`.
    // (Only at the end of a payload: a backslash before a newline joins the next line, as in InfluxDB.)
    const out = prepareLines('m s="a" 5\nm s="a"\\', { precision: 'ns', nowNs: 1700000000000000000n });
    assert.deepStrictEqual(out.errors.map((e) => e.lineNumber), [2]);
    assert.match(out.errors[0].reason, /must not end with a backslash/);
    assert.deepStrictEqual(out.lines, ['m s="a" 5']);
  });

  it('prepareLines queues the accepted ones without the whitespace InfluxDB ignores', function () {
    const out = prepareLines('  m,t0==a v=1  5  \nm f=1,f=2i 6', { precision: 'ns', nowNs: 1n });
    assert.deepStrictEqual(out.lines, ['m,t0==a v=1  5']);
    assert.deepStrictEqual(out.errors.map((e) => e.lineNumber), [2]);
  });
});

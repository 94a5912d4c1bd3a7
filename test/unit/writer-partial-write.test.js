'use strict';
// Partial-write answers (src/lib/writer/partial-write.ts), in the shapes ../shared/notes/remote-targets.md and
// ../shared/notes/test-environment.md document for InfluxDB 3, 2.x and 1.x.
const assert = require('assert');
const { parsePartialWrite } = require('../../nodes/lib/writer/partial-write');

describe('partial-write answers', function () {
  it('InfluxDB 3: every refused line by number, with its message and text, in line order, one entry per line', function () {
    const body = JSON.stringify({
      error: 'partial write of line protocol occurred',
      data: [
        { original_line: 'm f=1i', line_number: 7, error_message: 'invalid column type for column f, expected Float' },
        { original_line: 'm,bad', line_number: 2, error_message: 'No fields were provided' },
        { original_line: 'm,bad', line_number: 2, error_message: 'No fields were provided' },
      ],
    });
    assert.deepStrictEqual(parsePartialWrite(400, body, 10), {
      kind: 'lines',
      message: 'partial write of line protocol occurred',
      refused: [
        { lineNumber: 2, message: 'No fields were provided', originalLine: 'm,bad' },
        { lineNumber: 7, message: 'invalid column type for column f, expected Float', originalLine: 'm f=1i' },
      ],
    });
  });

  it('does not trust a line list that does not fit the request (a number out of range or not a whole number)', function () {
    for (const n of [0, 11, 2.5, '3', null]) {
      const body = JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ line_number: n, error_message: 'x', original_line: 'y' }] });
      assert.strictEqual(parsePartialWrite(400, body, 10), null, JSON.stringify(n));
    }
  });

  it('InfluxDB 2.x: how many lines were written (never more than were sent), 400 or 422', function () {
    const body = JSON.stringify({ code: 'invalid', message: "partial write error (5 written): unable to parse 'm,t=a': missing fields" });
    assert.deepStrictEqual(parsePartialWrite(400, body, 8), { kind: 'count', message: JSON.parse(body).message, written: 5 });
    assert.strictEqual(parsePartialWrite(422, body, 3).written, 3);
  });

  it('InfluxDB 1.x: how many lines were dropped', function () {
    const body = JSON.stringify({ error: 'partial write: field type conflict: input field "v" on measurement "m" is type integer, already exists as type float dropped=1' });
    assert.deepStrictEqual(parsePartialWrite(400, body, 4), { kind: 'dropped', message: JSON.parse(body).error, dropped: 1 });
  });

  it('is null for other answers: success, a plain parse error, a 500, a body that is not JSON', function () {
    assert.strictEqual(parsePartialWrite(204, '', 3), null);
    assert.strictEqual(parsePartialWrite(400, JSON.stringify({ error: 'unable to parse \'m\': missing fields' }), 3), null);
    assert.strictEqual(parsePartialWrite(500, JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ line_number: 1 }] }), 3), null);
    assert.strictEqual(parsePartialWrite(400, '<html>bad request</html>', 3), null);
    assert.strictEqual(parsePartialWrite(400, '{"data": [', 3), null);
  });
});

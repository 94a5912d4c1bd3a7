'use strict';
// The plain parts of influxdb-write-in (nodes/lib/write-endpoint): query parsing per write API, tokens and
// their comparison, body reading (identity, gzip, limits), timestamp conversions, routes and the prefix.
const assert = require('assert');
const zlib = require('zlib');
const { Readable } = require('stream');
const we = require('../../nodes/lib/write-endpoint');

function refusal(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof we.WriteRefusal, `not a WriteRefusal: ${err}`);
    return err;
  }
  assert.fail('did not throw');
}

async function refusalOf(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof we.WriteRefusal, `not a WriteRefusal: ${err}`);
    return err;
  }
  assert.fail('did not reject');
}

describe('write endpoint: query per write API', function () {
  it('v2: bucket required, org or orgID, precision ns|us|ms|s (default ns)', function () {
    assert.deepStrictEqual(we.parseWriteQuery('v2', { bucket: 'b', org: 'o', precision: 'ms' }), { precision: 'ms', rewrite: { kind: 'none' }, bucket: 'b', org: 'o' });
    assert.deepStrictEqual(we.parseWriteQuery('v2', { bucket: 'b', orgID: 'id1' }), { precision: 'ns', rewrite: { kind: 'none' }, bucket: 'b', org: 'id1' });
    const missing = refusal(() => we.parseWriteQuery('v2', { org: 'o' }));
    assert.strictEqual(missing.status, 400);
    assert.match(missing.message, /bucket is required/);
    assert.match(refusal(() => we.parseWriteQuery('v2', { bucket: 'b', precision: 'n' })).message, /precision "n" is not one of ns, us, ms, s/);
  });

  it('v1: db required, rp, precision n|u|ms|s|m|h (m and h become seconds)', function () {
    assert.deepStrictEqual(we.parseWriteQuery('v1', { db: 'd', rp: 'r', precision: 'u' }), { precision: 'us', rewrite: { kind: 'none' }, db: 'd', rp: 'r' });
    assert.deepStrictEqual(we.parseWriteQuery('v1', { db: 'd' }), { precision: 'ns', rewrite: { kind: 'none' }, db: 'd', rp: undefined });
    assert.deepStrictEqual(we.parseWriteQuery('v1', { db: 'd', precision: 'h' }).rewrite, { kind: 'scale', factor: 3600n });
    assert.deepStrictEqual(we.parseWriteQuery('v1', { db: 'd', precision: 'm' }).rewrite, { kind: 'scale', factor: 60n });
    assert.match(refusal(() => we.parseWriteQuery('v1', {})).message, /database is required/);
    assert.match(refusal(() => we.parseWriteQuery('v1', { db: 'd', precision: 'd' })).message, /not one of n, u, ms, s, m, h/);
  });

  it('v3: db required, long precision names, auto (the default) guesses per timestamp', function () {
    assert.deepStrictEqual(we.parseWriteQuery('v3', { db: 'd', precision: 'millisecond' }), { precision: 'ms', rewrite: { kind: 'none' }, db: 'd' });
    assert.deepStrictEqual(we.parseWriteQuery('v3', { db: 'd' }), { precision: 'ns', rewrite: { kind: 'auto' }, db: 'd' });
    assert.match(refusal(() => we.parseWriteQuery('v3', { db: 'd', precision: 'minute' })).message, /not one of auto, nanosecond/);
  });

  it('takes the first of repeated parameters', function () {
    assert.strictEqual(we.parseWriteQuery('v2', { bucket: ['a', 'b'] }).bucket, 'a');
  });
});

describe('write endpoint: tokens', function () {
  it('parses one or more tokens separated by commas, spaces or new lines', function () {
    assert.deepStrictEqual(we.parseTokens(' a1, b2\nc3  '), ['a1', 'b2', 'c3']);
    assert.deepStrictEqual(we.parseTokens(''), []);
    assert.deepStrictEqual(we.parseTokens(undefined), []);
  });

  it('finds the token in Token, Bearer and Basic headers and in p= on /write only', function () {
    assert.strictEqual(we.presentedToken('v2', { authorization: 'Token abc' }, {}), 'abc');
    assert.strictEqual(we.presentedToken('v3', { authorization: 'bearer abc' }, {}), 'abc');
    assert.strictEqual(we.presentedToken('v1', { authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}` }, {}), 'pa:ss');
    assert.strictEqual(we.presentedToken('v1', {}, { u: 'user', p: 'abc' }), 'abc');
    assert.strictEqual(we.presentedToken('v2', {}, { u: 'user', p: 'abc' }), undefined);
    assert.strictEqual(we.presentedToken('v2', {}, {}), undefined);
    assert.strictEqual(we.presentedToken('v2', { authorization: 'Digest abc' }, {}), undefined);
  });

  it('accepts exactly the configured tokens, and none when there are none', function () {
    assert.strictEqual(we.tokenAccepted('b2', ['a1', 'b2']), true);
    assert.strictEqual(we.tokenAccepted('b', ['a1', 'b2']), false);
    assert.strictEqual(we.tokenAccepted('b22', ['a1', 'b2']), false);
    assert.strictEqual(we.tokenAccepted(undefined, ['a1']), false);
    assert.strictEqual(we.tokenAccepted('', []), false);
  });

  it('401 is InfluxDB\'s body, without the token', function () {
    const r = we.unauthorized();
    assert.strictEqual(r.status, 401);
    assert.deepStrictEqual(r.body(), { code: 'unauthorized', message: 'unauthorized access' });
  });
});

describe('write endpoint: bodies', function () {
  it('knows identity and gzip, and refuses other encodings with 415 naming them', function () {
    assert.strictEqual(we.bodyEncoding(undefined), 'identity');
    assert.strictEqual(we.bodyEncoding(' GZIP '), 'gzip');
    const r = refusal(() => we.bodyEncoding('br'));
    assert.strictEqual(r.status, 415);
    assert.match(r.message, /"br"/);
  });

  it('refuses a declared Content-Length over the limit with 413', function () {
    assert.strictEqual(refusal(() => we.checkDeclaredLength('1001', 1000)).status, 413);
    we.checkDeclaredLength('1000', 1000);
    we.checkDeclaredLength(undefined, 1000);
  });

  it('reads a body as sent, and refuses more than the limit with 413', async function () {
    assert.strictEqual((await we.readRaw(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 3)).toString(), 'abc');
    assert.strictEqual((await refusalOf(we.readRaw(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 3))).status, 413);
  });

  it('inflates gzip, 400 for a body that is not gzip, 413 when the inflated text is over the limit', async function () {
    const text = 'm v=1 1\nm v=2 2';
    assert.strictEqual(await we.decodeBody(zlib.gzipSync(text), 'gzip', 100), text);
    assert.strictEqual(await we.decodeBody(Buffer.from(text), 'identity', 100), text);
    const bad = await refusalOf(we.decodeBody(Buffer.from(text), 'gzip', 100));
    assert.strictEqual(bad.status, 400);
    assert.match(bad.message, /not valid gzip/);
    const bomb = await refusalOf(we.decodeBody(zlib.gzipSync('x'.repeat(10000)), 'gzip', 1000));
    assert.strictEqual(bomb.status, 413);
  });
});

describe('write endpoint: timestamps', function () {
  it('finds the timestamp after the fields, past escaped spaces and quoted strings', function () {
    const line = 'm\\ x,t=a\\ b f="x y \\" z",g=1 123';
    assert.strictEqual(we.rewriteTimestamps(line, { kind: 'scale', factor: 60n }), 'm\\ x,t=a\\ b f="x y \\" z",g=1 7380');
    assert.strictEqual(we.rewriteTimestamps('m f="a b"', { kind: 'scale', factor: 60n }), 'm f="a b"');
  });

  it('scales minutes and hours to seconds, leaves comments, blank lines and non-integers', function () {
    const text = '# c 1\n\nm v=1 2\nm v=1 x\nm v=1';
    assert.strictEqual(we.rewriteTimestamps(text, { kind: 'scale', factor: 3600n }), '# c 1\n\nm v=1 7200\nm v=1 x\nm v=1');
    assert.strictEqual(we.rewriteTimestamps(text, { kind: 'none' }), text);
  });

  it('auto: seconds, milliseconds, microseconds and nanoseconds told apart by magnitude, written in ns', function () {
    const text = ['m v=1 1700000000', 'm v=1 1700000000123', 'm v=1 1700000000123456', 'm v=1 1700000000123456789'].join('\n');
    assert.strictEqual(
      we.rewriteTimestamps(text, { kind: 'auto' }),
      ['m v=1 1700000000000000000', 'm v=1 1700000000123000000', 'm v=1 1700000000123456000', 'm v=1 1700000000123456789'].join('\n'),
    );
  });
});

describe('write endpoint: routes and properties', function () {
  it('normalises the prefix and refuses route patterns', function () {
    assert.strictEqual(we.normalisePrefix(''), '');
    assert.strictEqual(we.normalisePrefix('/'), '');
    assert.strictEqual(we.normalisePrefix('influx/'), '/influx');
    assert.strictEqual(we.normalisePrefix('/a/b'), '/a/b');
    assert.throws(() => we.normalisePrefix('/:db'), /path prefix "\/:db"/);
    assert.throws(() => we.normalisePrefix('/a*'), /path prefix/);
  });

  it('serves the three write paths, /ping and /health under the prefix', function () {
    assert.deepStrictEqual(
      we.routesFor('/p').map((r) => `${r.method} ${r.path}`),
      ['post /p/api/v2/write', 'post /p/write', 'post /p/api/v3/write_lp', 'get /p/ping', 'get /p/health'],
    );
  });

  it('max body: default 25,000,000, a whole number of at least 1 otherwise', function () {
    assert.strictEqual(we.parseMaxBodyBytes(''), 25000000);
    assert.strictEqual(we.parseMaxBodyBytes('1000'), 1000);
    assert.throws(() => we.parseMaxBodyBytes('0'), /whole number/);
    assert.throws(() => we.parseMaxBodyBytes('1.5'), /whole number/);
  });

  it('health says pass when writes are taken, fail when every write is refused', function () {
    assert.strictEqual(we.healthBody(true).status, 'pass');
    assert.strictEqual(we.healthBody(false).status, 'fail');
    assert.strictEqual(we.pingHeaders('OSS')['x-influxdb-build'], 'OSS');
  });
});

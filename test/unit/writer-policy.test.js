'use strict';
const assert = require('assert');
const { classifyStatus, backoffDelay, parseRetryAfter, USER_AGENT, errorTextOf, isGatewayAnswer } = require('../../nodes/lib/writer');

describe('writer retry policy', function () {
  it('classifies status codes as InfluxDB replication does, with data errors isolated', function () {
    const expected = {
      200: 'ok', 204: 'ok',
      0: 'retryable', 408: 'retryable', 429: 'retryable', 500: 'retryable', 502: 'retryable', 503: 'retryable',
      504: 'retryable', 507: 'retryable',
      413: 'too-large',
      400: 'data', 422: 'data',
      401: 'config', 403: 'config', 404: 'config', 405: 'config', 301: 'config',
    };
    for (const [status, outcome] of Object.entries(expected)) {
      assert.strictEqual(classifyStatus(Number(status)), outcome, `status ${status}`);
    }
  });

  it('backoff grows exponentially up to the maximum, with full jitter', function () {
    assert.strictEqual(backoffDelay(0, 1000, 300000, () => 1), 1000);
    assert.strictEqual(backoffDelay(3, 1000, 300000, () => 1), 8000);
    assert.strictEqual(backoffDelay(30, 1000, 300000, () => 1), 300000);
    assert.strictEqual(backoffDelay(1000, 1000, 300000, () => 1), 300000);
    assert.strictEqual(backoffDelay(5, 1000, 300000, () => 0), 0);
    assert.strictEqual(backoffDelay(2, 1000, 300000, () => 0.5), 2000);
    // Any random source stays inside [0, ceiling].
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(300000, 1000 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, 1000, 300000, rand);
        assert.ok(d >= 0 && d <= ceiling, `attempt ${attempt}: ${d}`);
      }
    }
  });

  it('parses Retry-After in seconds and as an HTTP date', function () {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.strictEqual(parseRetryAfter('3', now), 3000);
    assert.strictEqual(parseRetryAfter(' 0 ', now), 0);
    assert.strictEqual(parseRetryAfter('1.5', now), 1500);
    assert.strictEqual(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10000);
    assert.strictEqual(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.strictEqual(parseRetryAfter(undefined, now), null);
    assert.strictEqual(parseRetryAfter('', now), null);
    assert.strictEqual(parseRetryAfter('soon', now), null);
    assert.strictEqual(parseRetryAfter('-5', now), null);
  });

  it('names the package and its version in the User-Agent', function () {
    const pkg = require('../../package.json');
    assert.strictEqual(USER_AGENT, `${pkg.name}/${pkg.version}`);
  });

  it('takes the error text out of InfluxDB 1.x and 2.x answers', function () {
    assert.strictEqual(errorTextOf('{"error":"partial write: x dropped=1"}', 400), 'partial write: x dropped=1');
    assert.strictEqual(errorTextOf('{"code":"not found","message":"bucket \\"b\\" not found"}', 404), 'bucket "b" not found');
    assert.strictEqual(errorTextOf('plain text', 500), 'plain text');
    assert.strictEqual(errorTextOf('', 503), 'HTTP 503');
  });

  it("takes the title of a proxy's HTML error page", function () {
    const page = '<?xml version="1.0"?>\n<html><head><title>500 Unable to connect</title></head><body><h1>Unable</h1></body></html>';
    assert.strictEqual(errorTextOf(page, 500), '500 Unable to connect');
  });

  it("tells a proxy's or gateway's error answer from the remote's own", function () {
    assert.strictEqual(isGatewayAnswer(500, 'text/html'), true, 'tinyproxy: 500 Unable to connect, an HTML page');
    assert.strictEqual(isGatewayAnswer(500, 'text/html; charset=utf-8'), true);
    assert.strictEqual(isGatewayAnswer(502, undefined), true);
    assert.strictEqual(isGatewayAnswer(504, 'application/json'), true);
    assert.strictEqual(isGatewayAnswer(500, 'application/json'), false, "InfluxDB's own 500 (a panic on a line)");
    assert.strictEqual(isGatewayAnswer(500, 'text/plain; charset=utf-8'), false);
    assert.strictEqual(isGatewayAnswer(500, undefined), false);
    assert.strictEqual(isGatewayAnswer(400, 'text/html'), false, 'a refusal is about the data, whoever sends it');
  });
});

'use strict';
// A scripted InfluxDB 3 Core/Enterprise (no such server installs here), answering exactly as
// ../shared/notes/remote-targets.md documents: `POST /api/v3/write_lp?db=&precision=&accept_partial=&no_sync=`
// with `Authorization: Bearer` (or `Token`), good lines stored and a 400 listing every refused line by number
// (counted from 1 in the body) under accept_partial=true, the first bad line only and nothing stored under
// accept_partial=false; 401 for a wrong token, 404 for an unknown database, 413 over the request size, and
// 429/503 with Retry-After when told to. `GET /ping` answers with version headers, `GET /health` "OK".
const { startCannedServer } = require('./canned-server');

/**
 * options:
 *   token          the token it takes (none: no authentication)
 *   databases      names that exist (default: any)
 *   refuses(line)  a reason string when the line is refused (a column type conflict, say), else null
 *   maxRequestBytes  413 beyond this many body bytes (default 10 MB)
 * `overload(status, retryAfterSeconds, times)` makes the next writes answer 429 or 503.
 */
async function startInfluxDB3({ token, databases, refuses = () => null, maxRequestBytes = 10_000_000 } = {}) {
  const stored = [];
  const forced = [];
  const server = await startCannedServer((req) => {
    const answer = respond(req);
    req.status = answer.status;
    return answer;
  });
  function respond(req) {
    const url = new URL(req.url, 'http://x');
    const authorized = !token || req.headers.authorization === `Bearer ${token}` || req.headers.authorization === `Token ${token}`;
    if (url.pathname === '/ping' || url.pathname === '/health') {
      if (!authorized) return { status: 401, body: { error: 'the request was not authorized' } };
      if (url.pathname === '/health') return { status: 200, body: 'OK' };
      return { status: 200, headers: { 'x-influxdb-version': '3.3.0', 'x-influxdb-build': 'Core' }, body: { version: '3.3.0', revision: 'test' } };
    }
    if (req.method !== 'POST' || url.pathname !== '/api/v3/write_lp') return { status: 404, body: { error: 'not found' } };
    if (!authorized) return { status: 401, body: { error: 'the request was not authorized' } };
    if (forced.length) {
      const next = forced.shift();
      return { status: next.status, headers: { 'retry-after': String(next.retryAfter) }, body: { error: next.status === 429 ? 'too many requests' : 'service unavailable' } };
    }
    if (req.rawBody.length > maxRequestBytes) return { status: 413, body: { error: `max request size (${maxRequestBytes} bytes) exceeded` } };
    const db = url.searchParams.get('db');
    if (databases && !databases.includes(db)) return { status: 404, body: { error: `database not found: ${db}` } };
    const lines = req.body === '' ? [] : req.body.split('\n');
    const refused = [];
    lines.forEach((line, i) => {
      const reason = refuses(line);
      if (reason) refused.push({ original_line: line, line_number: i + 1, error_message: reason });
    });
    const acceptPartial = url.searchParams.get('accept_partial') !== 'false';
    if (refused.length === 0) {
      stored.push(...lines);
      return { status: 204 };
    }
    if (!acceptPartial) return { status: 400, body: { error: 'parsing failed for write_lp endpoint', data: refused[0] } };
    stored.push(...lines.filter((_, i) => !refused.some((r) => r.line_number === i + 1)));
    return { status: 400, body: { error: 'partial write of line protocol occurred', data: refused } };
  }
  return {
    url: server.url,
    /** Every request, with `status`: what it was answered. */
    requests: server.requests,
    /** Lines stored, in arrival order, duplicates kept. */
    stored,
    overload(status, retryAfter, times = 1) {
      for (let i = 0; i < times; i++) forced.push({ status, retryAfter });
    },
    stop: () => server.stop(),
  };
}

module.exports = { startInfluxDB3 };

'use strict';
// The log lines of a stream (src/lib/stream-log.ts): state changes and drops reach the log of a headless
// gateway, a few lines per outage however often the state flips.
const assert = require('assert');
const { StreamLog } = require('../../nodes/lib/stream-log');
const { sleep } = require('../harness/wait');

const row = (state, over = {}) => ({ name: 'to cloud', state, latestResponseCode: state === 'ok' ? 204 : 503, latestErrorMessage: state === 'ok' ? '' : 'service unavailable', remainingLinesToBeSynced: 40, ...over });

describe('stream log', function () {
  it('writes the first state change at once, with the answer and what is left to send; none for the first row', function () {
    const lines = [];
    const log = new StreamLog((l) => lines.push(l), { intervalMs: 60000 });
    log.row(row('ok'));
    assert.deepStrictEqual(lines, []);
    log.row(row('retrying'));
    assert.strictEqual(lines.length, 1);
    assert.deepStrictEqual([lines[0].level, lines[0].key], ['warn', 'state']);
    assert.deepStrictEqual({ from: lines[0].vars.from, to: lines[0].vars.to, code: lines[0].vars.code, error: lines[0].vars.error, queued: lines[0].vars.queued }, { from: 'ok', to: 'retrying', code: 503, error: 'service unavailable', queued: 40 });
    log.row(row('retrying'));
    assert.strictEqual(lines.length, 1, 'the same state again writes nothing');
    log.close();
  });

  it('an outage that flips the state a thousand times writes one summary line per interval, ending in the latest state', async function () {
    const lines = [];
    const log = new StreamLog((l) => lines.push(l), { intervalMs: 200 });
    log.row(row('ok'));
    for (let i = 0; i < 1000; i++) log.row(row(i % 2 === 0 ? 'retrying' : 'blocked'));
    log.row(row('ok'));
    assert.strictEqual(lines.length, 1, 'only the first change at once');
    await sleep(300);
    assert.strictEqual(lines.length, 2);
    assert.deepStrictEqual([lines[1].level, lines[1].key, lines[1].vars.to, lines[1].vars.changes], ['info', 'stateSummary', 'ok', 1000]);
    log.close();
    assert.strictEqual(lines.length, 2, 'nothing held back any more');
  });

  it('sums drops by reason within an interval, and close() writes what is held back', function () {
    const lines = [];
    const log = new StreamLog((l) => lines.push(l), { intervalMs: 60000 });
    log.row(row('ok'));
    log.dropped('non-retryable', 3);
    log.dropped('non-retryable', 4);
    log.dropped('corrupt', 2);
    log.dropped('age', 0);
    assert.deepStrictEqual(lines.map((l) => [l.key, l.vars.reason, l.vars.lines]), [['dropped', 'non-retryable', 3]]);
    log.close();
    assert.deepStrictEqual(lines.slice(1).map((l) => [l.vars.reason, l.vars.lines]), [['non-retryable', 4], ['corrupt', 2]]);
    assert.ok(lines.every((l) => l.level === 'warn'));
  });
});

'use strict';
// The Prometheus text of the streams' figures (issue #17, point 1): InfluxDB OSS's names and ours, HELP and TYPE
// once per family, labels escaped, errors by status code, states and drop reasons as labelled series.
const assert = require('assert');
const { renderMetrics, escapeLabel, STATES } = require('../../nodes/lib/metrics/prometheus');

function figures(over = {}) {
  return {
    id: 'a1b2',
    name: 'plant "7" \\ line\n2',
    remoteBucket: 'sensors',
    remoteID: 'r1',
    state: 'retrying',
    maxQueueSizeBytes: 67108864,
    queuedLines: 120,
    queuedBytes: 4800,
    currentQueueBytes: 5200,
    remainingBytes: 800,
    remainingLines: 20,
    oldestUnsentAgeSeconds: 42,
    sentBytes: 4000,
    sentLines: 100,
    wireBytes: 900,
    requests: 9,
    retries: 4,
    responsesByCode: { 204: 5, 429: 3, 0: 1 },
    droppedLines: { 'non-retryable': 0, age: 1, 'queue-full': 2, purge: 0, corrupt: 0 },
    nonRetryableDroppedBytes: 0,
    refusedLines: 2,
    refusedBytes: 80,
    ...over,
  };
}

/** { "name{labels}": value } of the sample lines. */
function samples(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}

describe('Prometheus metrics text', function () {
  const LABELS = 'replicationID="a1b2",id="a1b2",name="plant \\"7\\" \\\\ line\\n2",remoteBucket="sensors",remoteID="r1"';

  it("uses InfluxDB OSS's replication metric names with the stream's labels", function () {
    const s = samples(renderMetrics([figures()]));
    assert.strictEqual(s[`replications_queue_total_points_queued{${LABELS}}`], 120);
    assert.strictEqual(s[`replications_queue_total_bytes_queued{${LABELS}}`], 4800);
    assert.strictEqual(s[`replications_queue_current_bytes_queued{${LABELS}}`], 5200);
    assert.strictEqual(s[`replications_queue_remote_write_bytes_sent{${LABELS}}`], 4000);
    assert.strictEqual(s[`replications_queue_remote_write_bytes_dropped{${LABELS}}`], 0);
    assert.strictEqual(s[`replications_queue_points_failed_to_queue{${LABELS}}`], 2);
    assert.strictEqual(s[`replications_queue_bytes_failed_to_queue{${LABELS}}`], 80);
  });

  it('counts write errors by status code, not the successes', function () {
    const s = samples(renderMetrics([figures()]));
    assert.strictEqual(s[`replications_queue_remote_write_errors{${LABELS},code="0"}`], 1);
    assert.strictEqual(s[`replications_queue_remote_write_errors{${LABELS},code="429"}`], 3);
    assert.strictEqual(s[`replications_queue_remote_write_errors{${LABELS},code="204"}`], undefined);
  });

  it('adds our figures: remaining, oldest age, max size, one state set to 1, requests, retries, drops by reason', function () {
    const s = samples(renderMetrics([figures()]));
    assert.strictEqual(s[`influxdb_replication_remaining_bytes{${LABELS}}`], 800);
    assert.strictEqual(s[`influxdb_replication_remaining_lines{${LABELS}}`], 20);
    assert.strictEqual(s[`influxdb_replication_oldest_unsent_age_seconds{${LABELS}}`], 42);
    assert.strictEqual(s[`influxdb_replication_max_queue_size_bytes{${LABELS}}`], 67108864);
    for (const state of STATES) assert.strictEqual(s[`influxdb_replication_state{${LABELS},state="${state}"}`], state === 'retrying' ? 1 : 0);
    assert.strictEqual(s[`influxdb_replication_requests_total{${LABELS}}`], 9);
    assert.strictEqual(s[`influxdb_replication_retries_total{${LABELS}}`], 4);
    assert.strictEqual(s[`influxdb_replication_lines_sent_total{${LABELS}}`], 100);
    assert.strictEqual(s[`influxdb_replication_lines_dropped_total{${LABELS},reason="queue-full"}`], 2);
    assert.strictEqual(s[`influxdb_replication_lines_dropped_total{${LABELS},reason="age"}`], 1);
    assert.strictEqual(s[`influxdb_replication_oldest_unsent_age_seconds{${LABELS.replace(/a1b2/g, 'x')}}`], undefined);
  });

  it('writes HELP and TYPE once per family, before its samples, also with several streams or none', function () {
    const text = renderMetrics([figures(), figures({ id: 'c3', name: 'second', oldestUnsentAgeSeconds: null })]);
    const lines = text.split('\n');
    const types = lines.filter((l) => l.startsWith('# TYPE '));
    assert.strictEqual(new Set(types).size, types.length);
    for (const type of types) {
      const name = type.split(' ')[2];
      const firstSample = lines.findIndex((l) => l.startsWith(`${name}{`));
      assert.ok(firstSample > lines.indexOf(type), `${name}: samples before TYPE`);
      assert.strictEqual(lines[lines.indexOf(type) - 1].startsWith(`# HELP ${name} `), true);
    }
    assert.strictEqual(samples(text)['influxdb_replication_oldest_unsent_age_seconds{replicationID="c3",id="c3",name="second",remoteBucket="sensors",remoteID="r1"}'], 0);
    const empty = renderMetrics([]);
    assert.ok(empty.endsWith('\n'));
    assert.strictEqual(empty.split('\n').filter((l) => l && !l.startsWith('#')).length, 0);
  });

  it('escapes label values as the format asks (backslash, quote, newline)', function () {
    assert.strictEqual(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });
});

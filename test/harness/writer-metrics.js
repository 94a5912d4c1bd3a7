'use strict';
// A writer's counts, read from a metrics object fed by that writer's events (as a stream's is), next to the
// writer's own state: writer tests assert both without a stream around the writer.
const { StreamMetrics } = require('../../nodes/lib/metrics/stream-metrics');

/** @typedef {import('../../src/lib/writer/stream-writer').StreamWriter} StreamWriter */

/** @type {WeakMap<StreamWriter, StreamMetrics>} */
const watched = new WeakMap();
const NO_QUEUE = { bytesOnDisk: 0, unsentBytes: 0, unsentLines: 0, oldestUnsentEnqueuedAt: null };

/**
 * Starts counting a writer's facts (call before it starts); returns the writer.
 * @template {StreamWriter} W
 * @param {W} writer
 * @returns {W}
 */
function watchWriter(writer) {
  const metrics = new StreamMetrics(() => NO_QUEUE, 'reject');
  metrics.watchWriter(writer);
  watched.set(writer, metrics);
  return writer;
}

/**
 * The writer's state with the counts the old getState() had: requests, retries, linesSent, bytesSent (on the
 * wire), linesDropped, lastSuccessAt, responsesByCode.
 * @param {StreamWriter} writer
 */
function writerFigures(writer) {
  const metrics = watched.get(writer);
  if (!metrics) throw new Error('writerFigures: call watchWriter(writer) when making it');
  const m = metrics.snapshot();
  return {
    ...writer.getState(),
    requests: m.requests,
    retries: m.retries,
    linesSent: m.sent.lines,
    bytesSent: m.wireBytes,
    linesDropped: m.dropped['non-retryable'].lines,
    lastSuccessAt: m.lastSuccessAt,
    responsesByCode: m.responsesByCode,
  };
}

module.exports = { watchWriter, writerFigures };

'use strict';
// The outage run's time series, from what the benchmark measures anyway: every second the generator's next
// sequence number (lines handed to Node-RED so far) and the remote's count of the run's lines; at the end,
// which lines arrived at all (each line has its own timestamp, so its sequence number is known).
//
//   lost(t)    lines sent by t that never arrived (known only once the run is over, hence computed afterwards)
//   arrived(t) the remote's count at t
//   queued(t)  lines sent by t, not lost, not yet arrived: what the contender still held for later, wherever
//              it kept it (this package's disk queue, a client's retry buffer, a request in flight)

/** Number of values in the sorted array `sorted` that are < n. */
function countBelow(sorted, n) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * probes: [{ t, sentSeq, arrived }] in time order (t in seconds); arrivedSeqs: the sequence numbers that
 * arrived (any order, duplicates allowed). Returns [{ t, queued, arrived, lost }].
 */
function outageTimeline(probes, arrivedSeqs) {
  const sorted = Float64Array.from(new Set(arrivedSeqs)).sort();
  return probes.map(({ t, sentSeq, arrived }) => {
    const lost = sentSeq - countBelow(sorted, sentSeq);
    return { t, queued: Math.max(0, sentSeq - lost - arrived), arrived, lost };
  });
}

module.exports = { outageTimeline, countBelow };

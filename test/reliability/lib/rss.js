'use strict';
// Resident memory of another process (Node-RED), sampled from /proc, with the peak kept across restarts.

const fs = require('fs');

/** VmRSS of `pid` in bytes, or null when the process is gone. */
function readRss(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Samples `getPid()` every `intervalMs` (the pid may change when the process is restarted).
 * `mark(name)` remembers the latest sample under a name, so a test can compare phases.
 */
function startRssSampler(getPid, { intervalMs = 200 } = {}) {
  let peak = 0;
  let latest = null;
  let samples = 0;
  const marks = {};
  const sample = () => {
    let pid;
    try {
      pid = getPid();
    } catch {
      return;
    }
    const rss = pid ? readRss(pid) : null;
    if (rss === null) return;
    latest = rss;
    samples++;
    if (rss > peak) peak = rss;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peak: () => peak,
    latest: () => latest,
    samples: () => samples,
    mark: (name) => {
      sample();
      marks[name] = latest;
      return latest;
    },
    marks: () => ({ ...marks }),
    stop: () => clearInterval(timer),
  };
}

function formatMiB(bytes) {
  return bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

module.exports = { readRss, startRssSampler, formatMiB };

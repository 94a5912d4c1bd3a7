'use strict';
// Memory of another process (Node-RED), from /proc (Linux): the one reader of /proc/PID/status that tests and
// benchmarks use. Two ways to follow it:
// - startRssSampler: VmRSS sampled every so often, with the peak kept across restarts and named marks, so a
//   test can compare phases;
// - watchMemory: VmHWM, the kernel's own high-water mark, so no short spike between polls is missed; writing
//   "5" to /proc/PID/clear_refs resets it, which lets one Node-RED process be measured per phase. Where the
//   reset is not allowed, the mark covers the process's life and `resettable` says so.

const fs = require('fs');

/**
 * A "Key:   123 kB" field of /proc/PID/status in kB, or null when the process is gone.
 * @param {number} pid
 * @param {string} key
 * @returns {number | null}
 */
function readStatusKB(pid, key) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null; // process gone
  }
}

/**
 * VmRSS of `pid` in bytes, or null when the process is gone.
 * @param {number} pid
 */
function readRss(pid) {
  const kB = readStatusKB(pid, 'VmRSS');
  return kB === null ? null : kB * 1024;
}

/**
 * Samples `getPid()` every `intervalMs` (the pid may change when the process is restarted).
 * `mark(name)` remembers the latest sample under a name, so a test can compare phases.
 * @param {() => number | null | undefined} getPid
 * @param {{ intervalMs?: number }} [options]
 */
function startRssSampler(getPid, { intervalMs = 200 } = {}) {
  let peak = 0;
  /** @type {number | null} */
  let latest = null;
  let samples = 0;
  /** @type {Record<string, number | null>} */
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
    /** @param {string} name */
    mark: (name) => {
      sample();
      marks[name] = latest;
      return latest;
    },
    marks: () => ({ ...marks }),
    stop: () => clearInterval(timer),
  };
}

/**
 * Starts watching `pid`: baseline = RSS now; track() adds a replacement process (after a restart).
 * @param {number} pid
 */
function watchMemory(pid) {
  let resettable = true;
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    resettable = false;
  }
  const baselineKB = readStatusKB(pid, 'VmRSS') || 0;
  const pids = new Set([pid]);
  let peakKB = baselineKB;
  // The high-water mark vanishes with the process: read it often enough to have it when SIGKILL comes.
  const timer = setInterval(sample, 200);
  timer.unref();

  function sample() {
    for (const p of pids) {
      const hwm = readStatusKB(p, 'VmHWM');
      if (hwm !== null && hwm > peakKB) peakKB = hwm;
    }
  }

  return {
    /** @param {number} newPid */
    track(newPid) {
      try {
        fs.writeFileSync(`/proc/${newPid}/clear_refs`, '5');
      } catch {
        resettable = false;
      }
      pids.add(newPid);
    },
    /** Stops watching; figures in MB. */
    stop() {
      sample();
      clearInterval(timer);
      return { baselineMB: baselineKB / 1024, peakMB: peakKB / 1024, growthMB: (peakKB - baselineKB) / 1024, resettable };
    },
  };
}

/** @param {number | null | undefined} bytes */
function formatMiB(bytes) {
  return bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

module.exports = { readRss, startRssSampler, watchMemory, formatMiB };

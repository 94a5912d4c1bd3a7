'use strict';
// Peak resident memory of a process, from /proc (Linux). VmHWM is the kernel's own high-water mark, so no
// short spike between polls is missed; writing "5" to /proc/PID/clear_refs resets it, which lets one
// Node-RED process be measured per phase. Where the reset is not allowed, the mark covers the process's life
// and `resettable` says so.
const fs = require('fs');

function readStatusKB(pid, key) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null; // process gone
  }
}

/** Starts watching `pid`: baseline = RSS now; track() adds a replacement process (after a restart). */
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

module.exports = { watchMemory };

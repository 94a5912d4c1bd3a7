'use strict';
// CPU time of another process and CPU placement, for the end-to-end benchmark's "CPU seconds per million
// lines" (the Node-RED process's CPU from the first request to the last line delivered) and its one-core runs.
// Linux only: /proc and taskset.
const fs = require('fs');
const { execFileSync } = require('child_process');

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * User + system CPU seconds `pid` has used so far, all its threads (libuv's pool, zlib, GC) included, read
 * from /proc/<pid>/stat. Read from outside, so the process measured does nothing for it.
 */
function cpuSecondsOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Moves every thread of `pid` (and so the threads it starts later) onto `cpus`, a taskset list such as "0" or "0-1". */
function pin(pid, cpus) {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Every CPU of this machine, as a taskset list. */
function allCpus() {
  return `0-${require('os').cpus().length - 1}`;
}

module.exports = { cpuSecondsOf, pin, allCpus };

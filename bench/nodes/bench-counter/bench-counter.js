'use strict';
// Benchmark ceiling for Node-RED itself: does the least a writer node must do with a message (look at its
// lines) and completes it, so that "http in -> bench-counter -> http response" measures Node-RED's message
// handling with the same generator and the same flow shape as the contenders.
//
// With `durable` set it is the least a node must do that answers only once a message is on disk: it appends
// the payload to a file and completes the message after that file's fdatasync, in group commit (one write and
// one fdatasync for every message that arrived during the one before). No validation, no queue, no sending:
// what is left between it and the plain counter is what waiting for the disk costs Node-RED.
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The file is cut back to empty past this size: the benchmark measures the syncs, not a growing file. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function groupCommitFile(file) {
  const fd = fs.openSync(file, 'w');
  let size = 0;
  let waiting = [];
  let syncing = false;
  let onIdle = null;

  function settle(batch, err) {
    syncing = false;
    for (const entry of batch) entry.done(err || undefined);
    flush();
    if (!syncing && onIdle) onIdle();
  }

  function flush() {
    if (syncing || waiting.length === 0) return;
    syncing = true;
    const batch = waiting;
    waiting = [];
    if (size > MAX_FILE_BYTES) {
      fs.ftruncateSync(fd, 0);
      size = 0;
    }
    const buffers = batch.map((entry) => entry.data);
    fs.writev(fd, buffers, size, (writeErr, written) => {
      if (writeErr) return settle(batch, writeErr);
      size += written;
      fs.fdatasync(fd, (syncErr) => settle(batch, syncErr));
    });
  }

  return {
    append(data, done) {
      waiting.push({ data, done });
      flush();
    },
    /** Calls `closed` once the write in progress (if any) has settled and the file is gone. */
    close(closed) {
      onIdle = () => {
        onIdle = null;
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
        closed();
      };
      if (!syncing) onIdle();
    },
  };
}

function payloadBytes(p) {
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  if (Buffer.isBuffer(p)) return p;
  return Buffer.from(JSON.stringify(p === undefined ? null : p), 'utf8');
}

module.exports = function (RED) {
  function BenchCounter(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    let lines = 0;
    const file = config.durable ? groupCommitFile(path.join(os.tmpdir(), `bench-counter-${process.pid}-${node.id}.log`)) : null;
    node.on('input', (msg, send, done) => {
      const p = msg.payload;
      if (typeof p === 'string') {
        let n = 1;
        for (let i = p.indexOf('\n'); i >= 0; i = p.indexOf('\n', i + 1)) n++;
        lines += n;
      } else if (Array.isArray(p)) {
        lines += p.length;
      }
      node.context().set('lines', lines);
      if (file) file.append(payloadBytes(p), done);
      else done();
    });
    node.on('close', (removed, closed) => {
      if (file) file.close(closed);
      else closed();
    });
  }
  RED.nodes.registerType('bench-counter', BenchCounter);
};

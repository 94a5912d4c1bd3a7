'use strict';
// The writer's queue in memory, for tests of the writer without disk: positions are record numbers
// (segment 1, offset = how many records up to and including this one). Type-checked against the
// writer's WriterQueue interface in src (tsconfig.test.json), so it cannot drift from what the writer uses.
const { EventEmitter } = require('events');

/** @typedef {import('../../src/lib/writer/stream-writer').WriterQueue} WriterQueue */
/** @typedef {import('../../src/lib/writer/batcher').QueuePosition} QueuePosition */
/** @typedef {import('../../src/lib/writer/batcher').WriterRecord & { data: string, enqueuedAt: number }} MemoryRecord */

/** @implements {WriterQueue} */
class MemoryQueue extends EventEmitter {
  constructor() {
    super();
    /** @type {MemoryRecord[]} */
    this.records = [];
    this.cursor = 0;
    /** How many records are acknowledged (the highest offset acked). */
    this.acked = 0;
    /** @type {number[]} The offset of every ack() call, in order. */
    this.ackCalls = [];
    /** @type {number[]} How many records each readNext() returned. */
    this.reads = [];
  }

  /** @param {string[]} lines */
  append(lines) {
    this.records.push({ data: lines.join('\n'), lines: lines.length, enqueuedAt: Date.now(), end: { segment: 1, offset: this.records.length + 1 } });
    this.emit('appended');
  }

  /**
   * @param {number} maxBytes
   * @returns {Promise<MemoryRecord[]>}
   */
  async readNext(maxBytes) {
    const out = [];
    let total = 0;
    while (this.cursor < this.records.length) {
      const r = this.records[this.cursor];
      const bytes = Buffer.byteLength(r.data);
      if (out.length > 0 && total + bytes > maxBytes) break;
      out.push(r);
      total += bytes;
      this.cursor++;
    }
    this.reads.push(out.length);
    return out;
  }

  /** @param {QueuePosition} pos */
  async ack(pos) {
    this.ackCalls.push(pos.offset);
    if (pos.offset > this.acked) this.acked = pos.offset;
  }

  rewind() {
    this.cursor = this.acked;
  }

  get allAcked() {
    return this.acked === this.records.length;
  }
}

module.exports = { MemoryQueue };

'use strict';
// Benchmark ceiling for Node-RED itself: does the least a writer node must do with a message (look at its
// lines) and completes it, so that "http in -> bench-counter -> http response" measures Node-RED's message
// handling with the same generator and the same flow shape as the contenders.
module.exports = function (RED) {
  function BenchCounter(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    let lines = 0;
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
      done();
    });
  }
  RED.nodes.registerType('bench-counter', BenchCounter);
};

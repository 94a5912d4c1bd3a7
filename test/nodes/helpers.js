'use strict';
// Small helpers for node-red-node-test-helper flows: waiting for messages and polling.

/** Resolves with the next message a `helper` node receives (or rejects after timeoutMs). */
function nextMessage(node, { timeoutMs = 5000, filter = () => true } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no message reached ${node.id} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onInput(msg) {
      if (!filter(msg)) return;
      clearTimeout(timer);
      node.removeListener('input', onInput);
      resolve(msg);
    }
    node.on('input', onInput);
  });
}

/** Collects every message a `helper` node receives into an array. */
function collect(node) {
  const messages = [];
  node.on('input', (msg) => messages.push(msg));
  return messages;
}

const { waitFor: waitLonger, sleep } = require('../harness/wait');

/** Polls `predicate` until it returns a truthy value; shorter defaults, for in-process flows. */
function waitFor(predicate, { timeoutMs = 5000, intervalMs = 20, message = 'condition' } = {}) {
  return waitLonger(predicate, { timeoutMs, intervalMs, message });
}

/** Every line protocol line a canned server received, in arrival order. */
function receivedLines(server) {
  return server.requests.filter((r) => r.method === 'POST').flatMap((r) => r.body.split('\n').filter(Boolean));
}

module.exports = { nextMessage, collect, waitFor, sleep, receivedLines };

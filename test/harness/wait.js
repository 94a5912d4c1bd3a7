'use strict';
// Waiting in tests: the one waitFor and sleep every test and harness file uses.

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or the time is up (rejects).
 * @template T
 * @param {() => T | Promise<T>} predicate
 * @param {{ timeoutMs?: number, intervalMs?: number, message?: string }} [options]
 * @returns {Promise<T>}
 */
async function waitFor(predicate, { timeoutMs = 10000, intervalMs = 50, message } = {}) {
  const deadline = Date.now() + timeoutMs;
  /** @type {any} */
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = message || 'condition not met';
      const detail = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor: ${why} within ${timeoutMs} ms${detail}`);
    }
    await sleep(intervalMs);
  }
}

module.exports = { waitFor, sleep };

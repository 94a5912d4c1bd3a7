'use strict';
// Cleanups registered by a test (servers, clients, writers), run after each test, last first.

/**
 * Call inside a describe(): registers an afterEach that runs every function pushed onto the returned array.
 */
function cleanupsAfterEach() {
  /** @type {Array<() => unknown>} */
  const cleanups = [];
  afterEach(async function () {
    for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) await cleanup();
  });
  return cleanups;
}

module.exports = { cleanupsAfterEach };

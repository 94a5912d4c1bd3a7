'use strict';
// The life of the small HTTP servers tests start themselves (canned answers, relays, scripted remotes).

/**
 * Listens on a free loopback port; resolves with the port.
 * @param {import('net').Server} server
 * @returns {Promise<number>}
 */
async function listenOnLoopback(server) {
  /** @type {Promise<void>} */
  const listening = new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  await listening;
  return /** @type {import('net').AddressInfo} */ (server.address()).port;
}

/**
 * Closes the server now: keep-alive sockets would hold close() open until they time out.
 * @param {import('http').Server} server
 */
async function closeNow(server) {
  /** @type {Promise<void>} */
  const closed = new Promise((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

module.exports = { listenOnLoopback, closeNow };

'use strict';
// A TCP proxy on loopback that can misbehave on demand, for outage tests (toxiproxy and tc netem are not
// available on the test machines). Put it between the code under test and a real server, then switch modes:
//   pass       forward bytes both ways
//   delay      forward, but hold each chunk back for `delayMs` (order is kept)
//   blackhole  accept connections and read from them, never answer (a hung server or a dropped route)
//   reset      accept, then RST (ECONNRESET on the client)
//   close      accept, then close cleanly (the client sees the socket end without an answer)
//   refuse     stop listening (ECONNREFUSED); the SAME port is listened on again when the mode changes back
// HTTP clients such as undici keep sockets alive, so every mode change destroys the open connections:
// otherwise a request after setMode('reset') would still go through an old, healthy connection.

const net = require('net');

const MODES = ['pass', 'delay', 'blackhole', 'reset', 'close', 'refuse'];

/**
 * Starts the proxy on a free loopback port, forwarding to `targetPort` on `targetHost`.
 * `setMode()` returns a Promise: await it when leaving or entering 'refuse', because listening again is async.
 */
async function startFaultProxy(targetPort, { targetHost = '127.0.0.1', mode: initialMode = 'pass', delayMs: initialDelay = 0 } = {}) {
  if (!Number.isInteger(targetPort) || targetPort <= 0) throw new Error(`startFaultProxy: bad target port ${targetPort}`);
  let mode = checkMode(initialMode);
  let delayMs = initialDelay;
  let accepted = 0;
  let stopped = false;
  // Client sockets and their upstream sockets, so a mode change or stop() can tear them all down.
  const openSockets = new Set();
  const openClients = new Set();

  const server = net.createServer({ allowHalfOpen: false }, onConnection);
  server.on('error', () => {
    // Errors after listen (rare on loopback) must not crash the test process.
  });
  await listen(server, 0);
  const port = server.address().port;
  let listening = true;
  if (mode === 'refuse') await stopListening();

  function track(socket) {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => {
      // ECONNRESET and friends are the point of this proxy; a socket error must not be unhandled.
    });
  }

  function onConnection(client) {
    accepted++;
    track(client);
    openClients.add(client);
    client.on('close', () => openClients.delete(client));
    switch (mode) {
      case 'reset':
        client.resetAndDestroy();
        return;
      case 'close':
        // Read whatever the client sends: closing with unread bytes would make Linux send RST, not FIN.
        client.resume();
        client.end();
        setTimeout(() => client.destroy(), 1000).unref();
        return;
      case 'blackhole':
        // Read and drop, so the client's writes do not block; answer nothing.
        client.on('data', () => {});
        return;
      case 'refuse':
        // A connection raced in while the listener was closing: behave as refused as closely as TCP allows.
        client.resetAndDestroy();
        return;
      default:
        forward(client, mode === 'delay' ? delayMs : 0);
    }
  }

  function forward(client, delay) {
    const upstream = net.connect({ host: targetHost, port: targetPort });
    track(upstream);
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    // When one side closes, end the other gracefully (after the delay, so delayed chunks still arrive):
    // destroying it at once could drop an answer still in its write buffer.
    const later = (fn) => (delay > 0 ? setTimeout(fn, delay) : fn());
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    client.on('close', () => later(() => endGracefully(upstream)));
    upstream.on('close', () => later(() => endGracefully(client)));
    if (delay > 0) {
      relayWithDelay(client, upstream, delay);
      relayWithDelay(upstream, client, delay);
    } else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }

  // Timers with the same delay fire in the order they were set, so chunks stay in order.
  function relayWithDelay(from, to, delay) {
    from.on('data', (chunk) => {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, delay);
    });
    from.on('end', () => {
      setTimeout(() => {
        if (!to.destroyed) to.end();
      }, delay);
    });
  }

  function destroyConnections() {
    for (const socket of openSockets) socket.destroy();
    openSockets.clear();
    openClients.clear();
  }

  async function stopListening() {
    if (!listening) return;
    listening = false;
    // close() stops accepting at once; its callback waits for connections, which we destroy ourselves.
    await new Promise((resolve) => server.close(() => resolve()));
  }

  async function setMode(newMode, { delayMs: newDelay } = {}) {
    if (stopped) throw new Error('fault proxy is stopped');
    checkMode(newMode);
    mode = newMode;
    if (newDelay !== undefined) delayMs = newDelay;
    destroyConnections();
    if (mode === 'refuse') {
      await stopListening();
    } else if (!listening) {
      await listen(server, port);
      listening = true;
    }
  }

  async function stop() {
    if (stopped) return;
    stopped = true;
    destroyConnections();
    await stopListening();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setMode,
    mode: () => mode,
    /** Client connections open right now. */
    connections: () => openClients.size,
    /** Client connections accepted since start (whatever happened to them). */
    acceptedConnections: () => accepted,
    stop,
  };
}

function endGracefully(socket) {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), 2000).unref();
}

function checkMode(mode) {
  if (!MODES.includes(mode)) throw new Error(`fault proxy mode must be one of ${MODES.join(', ')}; got ${JSON.stringify(mode)}`);
  return mode;
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

module.exports = { startFaultProxy, FAULT_MODES: MODES };

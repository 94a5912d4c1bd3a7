'use strict';
// A real forward proxy for tests: Debian's tinyproxy in the foreground, on a free loopback port, with its own
// config and log in a temp folder. Its log names every request it forwarded and every CONNECT it tunnelled,
// which is how a test proves that traffic went through it (facts: /work/shared/notes/test-environment.md).

const fs = require('fs');
const os = require('os');
const path = require('path');
const { canConnect, freePort, requireBinary, spawnServer, waitUntilReady, stopAndRemove, readLog } = require('./servers');

/**
 * Starts tinyproxy. `auth` ({ username, password }) turns on Basic proxy authentication (a wrong or missing
 * password is answered 401, a missing one 407). Returns { url, port, logPath, log(), requests(origin), connects(hostPort), stop() }.
 */
async function startTinyproxy({ auth } = {}) {
  const binary = requireBinary('tinyproxy', 'tinyproxy', 'TINYPROXY_BIN');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-test-'));
  const logPath = path.join(dir, 'tinyproxy.log');
  const outPath = path.join(dir, 'tinyproxy.out');
  let state;
  const stop = stopAndRemove(() => state, dir);
  try {
    const port = await freePort();
    const config = [
      'Listen 127.0.0.1',
      `Port ${port}`,
      'Allow 127.0.0.1',
      'Timeout 60',
      'MaxClients 50',
      `LogFile "${logPath}"`,
      'LogLevel Info',
      // tinyproxy refuses CONNECT to ports not listed once any ConnectPort is given; none means all allowed.
      ...(auth ? [`BasicAuth ${auth.username} ${auth.password}`] : []),
      'DisableViaHeader Yes',
      '',
    ].join('\n');
    const configPath = path.join(dir, 'tinyproxy.conf');
    fs.writeFileSync(configPath, config);
    state = spawnServer(binary, ['-d', '-c', configPath], outPath, dir);
    await waitUntilReady(state, () => canConnect(port), outPath, 'tinyproxy');

    const log = () => readLog(logPath);
    // tinyproxy logs `Request (file descriptor N): GET http://host:port/path HTTP/1.1` for forwarded requests
    // and `Request (file descriptor N): CONNECT host:port HTTP/1.1` for tunnels.
    const requestLines = () => log().split('\n').filter((line) => /Request \(file descriptor \d+\): /.test(line));
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      logPath,
      log,
      /** Forwarded plain-HTTP requests whose URL starts with `origin` (e.g. http://127.0.0.1:8428). */
      requests: (origin) => requestLines().filter((line) => line.includes(` ${origin}/`)),
      /** CONNECT tunnels opened to `hostPort` (e.g. 127.0.0.1:8443). */
      connects: (hostPort) => requestLines().filter((line) => line.includes(`CONNECT ${hostPort} `)),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}


module.exports = { startTinyproxy };

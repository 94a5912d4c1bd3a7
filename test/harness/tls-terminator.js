'use strict';
// A TLS terminator that requires a client certificate, in front of a plain HTTP server: socat
// OPENSSL-LISTEN with verify=1 and a test CA, plus the certificates to talk to it (made with openssl).
// Facts behind the choices (test-environment.md "TLS terminators and proxies"): socat sets no TLS session id
// context, so a resumed session fails; OPENSSL_CONF pointing at a file with `NumTickets = 0` stops the
// server from issuing tickets, so clients never try to resume.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { canConnect, freePort, requireBinary, spawnServer, waitUntilReady, stopAndRemove } = require('./servers');

function openssl(args, cwd) {
  try {
    execFileSync(requireBinary('openssl', 'openssl', 'OPENSSL_BIN'), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ? err.stderr.toString() : err.message}`);
  }
}

/** A CA (key + self-signed certificate) named `name` in `dir`. */
function makeCA(dir, name) {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

/** A certificate `name` signed by CA `ca`, for the server (127.0.0.1/localhost) or a client. */
function makeCert(dir, name, ca, usage, { passphrase } = {}) {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  const ext =
    usage === 'server'
      ? 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
      : 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n';
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
  if (passphrase) {
    openssl(['pkey', '-in', `${name}-key.pem`, '-aes256', '-passout', `pass:${passphrase}`, '-out', `${name}-key-enc.pem`], dir);
  }
}

/**
 * Certificates in a new temp folder: `ca` signs the server's and the good client's certificates; `otherCA`
 * signs a client certificate the terminator must refuse. With `passphrase`, the good client's key also comes
 * encrypted (clientKeyEncrypted). Every entry is { file, pem }.
 */
function makeClientCertPKI({ passphrase } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-test-'));
  try {
    makeCA(dir, 'ca');
    makeCA(dir, 'other-ca');
    makeCert(dir, 'server', 'ca', 'server');
    makeCert(dir, 'client', 'ca', 'client', { passphrase });
    makeCert(dir, 'stranger', 'other-ca', 'client');
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const entry = (name) => ({ file: path.join(dir, name), pem: fs.readFileSync(path.join(dir, name), 'utf8') });
  return {
    dir,
    ca: entry('ca.pem'),
    serverCert: entry('server.pem'),
    serverKey: entry('server-key.pem'),
    clientCert: entry('client.pem'),
    clientKey: entry('client-key.pem'),
    clientKeyEncrypted: passphrase ? entry('client-key-enc.pem') : undefined,
    strangerCert: entry('stranger.pem'),
    strangerKey: entry('stranger-key.pem'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Starts socat as a TLS terminator on a free port, forwarding to 127.0.0.1:`targetPort`, requiring a client
 * certificate signed by `pki.ca`. Returns { url, port, logPath, log(), stop() }.
 */
async function startTlsTerminator({ targetPort, pki }) {
  const binary = requireBinary('socat', 'socat', 'SOCAT_BIN');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socat-tls-test-'));
  const logPath = path.join(dir, 'socat.log');
  const opensslConf = path.join(dir, 'openssl.cnf');
  fs.writeFileSync(
    opensslConf,
    ['openssl_conf = conf', '[conf]', 'ssl_conf = ssl', '[ssl]', 'system_default = sys', '[sys]', 'NumTickets = 0', ''].join('\n'),
  );
  let state;
  const stop = stopAndRemove(() => state, dir);
  try {
    const port = await freePort();
    const listen = [
      `OPENSSL-LISTEN:${port}`,
      'bind=127.0.0.1',
      'reuseaddr',
      'fork',
      `cert=${pki.serverCert.file}`,
      `key=${pki.serverKey.file}`,
      `cafile=${pki.ca.file}`,
      'verify=1',
    ].join(',');
    const previous = process.env.OPENSSL_CONF;
    process.env.OPENSSL_CONF = opensslConf;
    try {
      state = spawnServer(binary, ['-d', '-d', listen, `TCP:127.0.0.1:${targetPort}`], logPath, dir);
    } finally {
      if (previous === undefined) delete process.env.OPENSSL_CONF;
      else process.env.OPENSSL_CONF = previous;
    }
    await waitUntilReady(state, () => canConnect(port), logPath, 'socat TLS terminator');
    return {
      url: `https://127.0.0.1:${port}`,
      port,
      logPath,
      log: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : ''),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}


module.exports = { makeClientCertPKI, startTlsTerminator };

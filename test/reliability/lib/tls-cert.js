'use strict';
// A private CA and a server certificate for 127.0.0.1, made with the openssl command line, for TLS tests:
// a remote with this certificate is refused unless allowInsecureTLS is on or the CA file is given.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ? err.stderr.toString() : err.message}`);
  }
}

/**
 * Writes ca.pem, server-key.pem and server-cert.pem into a new temp folder; returns their paths and PEM text
 * plus `remove()`. The server certificate names IP 127.0.0.1 and DNS localhost.
 */
function makeCertificates({ days = 2 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-test-'));
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', String(days), '-subj', '/CN=reliability-test-ca'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
    fs.writeFileSync(
      path.join(dir, 'ext.cnf'),
      'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', String(days), '-extfile', 'ext.cnf'], dir);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const file = (name) => path.join(dir, name);
  return {
    dir,
    caFile: file('ca.pem'),
    keyFile: file('server-key.pem'),
    certFile: file('server-cert.pem'),
    ca: fs.readFileSync(file('ca.pem'), 'utf8'),
    key: fs.readFileSync(file('server-key.pem'), 'utf8'),
    cert: fs.readFileSync(file('server-cert.pem'), 'utf8'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { makeCertificates };

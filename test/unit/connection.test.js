'use strict';
// src/lib/connection: which proxy applies to a remote (Node-RED's rules for the http proxy node and the
// environment variables) and how a tls-config merges with the remote's own TLS settings.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { proxyForURL, shouldProxy, proxySecrets, checkProxyURL } = require('../../nodes/lib/connection/proxy');
const { connectTlsOptions, describeTlsAlert, tlsSecrets } = require('../../nodes/lib/connection/tls');
const { connectionSecrets, createDispatcher } = require('../../nodes/lib/connection/dispatcher');

const remote = (remoteURL, more = {}) => ({ remoteURL, remoteOrgID: 'o', writeAPI: 'v2', allowInsecureTLS: false, ...more });

describe('connection: proxy choice', () => {
  it('uses the proxy node for http and https remotes and ignores the environment then', () => {
    const env = { http_proxy: 'http://env:1', https_proxy: 'http://env:2' };
    const node = { url: 'http://proxy.plant:3128', noProxy: [] };
    assert.strictEqual(proxyForURL('http://influx:8086', node, env).url, 'http://proxy.plant:3128');
    assert.strictEqual(proxyForURL('https://cloud.example', node, env).source, 'proxy node');
  });

  it('reads <scheme>_proxy in lower case first, then upper case, then all_proxy', () => {
    assert.strictEqual(proxyForURL('http://a', null, { HTTP_PROXY: 'http://upper:1' }).url, 'http://upper:1');
    assert.strictEqual(proxyForURL('http://a', null, { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }).url, 'http://lower:2');
    assert.strictEqual(proxyForURL('https://a', null, { http_proxy: 'http://lower:2' }), null, 'http_proxy is not for https');
    assert.strictEqual(proxyForURL('https://a', null, { HTTPS_PROXY: 'http://s:3' }).source, 'environment variable https_proxy');
    assert.strictEqual(proxyForURL('https://a', null, { ALL_PROXY: 'http://all:4' }).url, 'http://all:4');
    assert.strictEqual(proxyForURL('http://a', null, {}), null);
  });

  it('gives a proxy URL without a scheme the remote\'s scheme, as Node-RED does', () => {
    assert.strictEqual(proxyForURL('http://a', null, { http_proxy: 'proxy:3128' }).url, 'http://proxy:3128');
  });

  it('takes credentials out of an environment proxy URL and keeps them as secrets', () => {
    const choice = proxyForURL('https://a', null, { https_proxy: 'http://us%40er:p%3Ass@proxy:3128' });
    assert.deepStrictEqual(choice, { url: 'http://proxy:3128', username: 'us@er', password: 'p:ss', source: 'environment variable https_proxy' });
    const secrets = proxySecrets(choice);
    assert.ok(secrets.includes('p:ss'));
    assert.ok(secrets.includes(Buffer.from('us@er:p:ss').toString('base64')));
  });

  it('prefers the proxy node\'s user and password over ones in its URL', () => {
    const choice = proxyForURL('http://a', { url: 'http://x:y@proxy:1', username: 'u', password: 'pw1' });
    assert.strictEqual(choice.username, 'u');
    assert.strictEqual(choice.password, 'pw1');
    assert.strictEqual(choice.url, 'http://proxy:1');
  });

  it('matches no_proxy like Node-RED: exact host, .domain and *.domain suffixes, host:port, and *', () => {
    assert.strictEqual(shouldProxy('influx.local', 8086, 'influx.local'), false);
    assert.strictEqual(shouldProxy('influx.local', 8086, 'other.local, influx.local'), false);
    assert.strictEqual(shouldProxy('a.plant.example', 443, '.plant.example'), false);
    assert.strictEqual(shouldProxy('a.plant.example', 443, '*.plant.example'), false);
    assert.strictEqual(shouldProxy('plant.example.com', 443, 'plant.example'), true, 'no partial match without a dot');
    assert.strictEqual(shouldProxy('127.0.0.1', 8428, '127.0.0.1:8086'), true, 'other port');
    assert.strictEqual(shouldProxy('127.0.0.1', 8086, '127.0.0.1:8086'), false);
    assert.strictEqual(shouldProxy('anything', 80, '*'), false);
    assert.strictEqual(shouldProxy('anything', 80, ''), true);
    assert.strictEqual(proxyForURL('https://db.plant', null, { https_proxy: 'http://p:1', NO_PROXY: 'db.plant' }), null);
    assert.strictEqual(proxyForURL('https://db.plant', { url: 'http://p:1', noProxy: ['db.plant'] }), null);
    assert.strictEqual(proxyForURL('https://DB.Plant:443', null, { https_proxy: 'http://p:1', no_proxy: 'db.plant:443' }), null);
  });

  it('says what is wrong with a proxy URL without echoing it', () => {
    assert.strictEqual(checkProxyURL('http://proxy:3128'), null);
    assert.match(checkProxyURL(''), /empty/);
    assert.match(checkProxyURL('socks5://u:secret@p:1'), /must start with http/);
    assert.ok(!checkProxyURL('socks5://u:secret@p:1').includes('secret'));
    assert.throws(() => proxyForURL('http://a', null, { http_proxy: 'http://u:sec ret@[bad' }), (err) => /environment variable http_proxy is not a valid URL/.test(err.message) && !err.message.includes('sec ret'));
  });
});

describe('connection: TLS options', () => {
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conn-tls-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'FILE-CA');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps an existing remote (allowInsecureTLS, caFile) as it was without a tls-config', () => {
    assert.deepStrictEqual(connectTlsOptions(remote('https://a')), { rejectUnauthorized: true });
    assert.deepStrictEqual(connectTlsOptions(remote('https://a', { allowInsecureTLS: true })), { rejectUnauthorized: false });
    assert.deepStrictEqual(connectTlsOptions(remote('https://a', { caFile: path.join(dir, 'ca.pem') })), { rejectUnauthorized: true, ca: 'FILE-CA' });
  });

  it('adds the tls-config\'s client certificate, key, passphrase and servername, and trusts both CAs', () => {
    const options = connectTlsOptions(remote('https://a', { caFile: path.join(dir, 'ca.pem') }), {
      ca: 'NODE-CA',
      cert: 'CERT',
      key: 'KEY',
      passphrase: 'pp',
      servername: 'influx.internal',
    });
    assert.deepStrictEqual(options, { rejectUnauthorized: true, ca: ['FILE-CA', 'NODE-CA'], cert: 'CERT', key: 'KEY', passphrase: 'pp', servername: 'influx.internal' });
  });

  it('verifies the server unless either setting turns verification off', () => {
    assert.strictEqual(connectTlsOptions(remote('https://a'), { rejectUnauthorized: false }).rejectUnauthorized, false);
    assert.strictEqual(connectTlsOptions(remote('https://a', { allowInsecureTLS: true }), {}).rejectUnauthorized, false);
    assert.strictEqual(connectTlsOptions(remote('https://a'), {}).rejectUnauthorized, true);
  });

  it('refuses a tls-config that failed to load or has a certificate without its key', () => {
    assert.throws(() => connectTlsOptions(remote('https://a'), { valid: false }), /could not load its certificate files/);
    assert.throws(() => connectTlsOptions(remote('https://a'), { cert: 'CERT' }), /both a client certificate and its private key/);
  });

  it('names the cause of a TLS alert, and counts the passphrase as a secret', () => {
    assert.match(describeTlsAlert({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'tlsv13 alert certificate required' }), /certificate required/);
    assert.match(describeTlsAlert({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: 'tlsv1 alert unknown ca' }), /unknown ca/);
    assert.strictEqual(describeTlsAlert({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }), null);
    assert.deepStrictEqual(tlsSecrets({ passphrase: 'secret-pp' }), ['secret-pp']);
    const all = connectionSecrets(remote('http://a'), { proxyConfig: { url: 'http://p:1', username: 'u', password: 'proxy-pw' }, tlsConfig: { passphrase: 'secret-pp' } });
    for (const s of ['proxy-pw', 'secret-pp', Buffer.from('u:proxy-pw').toString('base64')]) assert.ok(all.includes(s), s);
  });

  it('builds a dispatcher with or without a proxy, and refuses an unreadable CA file clearly', async () => {
    await createDispatcher(remote('https://a'), {}).close();
    await createDispatcher(remote('https://a'), { proxyConfig: { url: 'http://p:1' } }).close();
    assert.throws(() => createDispatcher(remote('https://a', { caFile: path.join(dir, 'missing.pem') })), /cannot read CA certificate file/);
  });
});

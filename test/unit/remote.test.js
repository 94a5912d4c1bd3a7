'use strict';
// Unit tests of src/lib/remote.ts (built to nodes/lib/remote.js): settings validation, write request
// URLs and headers for both write APIs, TLS options, and secret redaction.

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const remote = require('../../nodes/lib/remote');

const {
  validateRemote,
  checkRemoteURL,
  parseDatabaseAndRetentionPolicy,
  joinURL,
  buildWriteRequest,
  tlsOptions,
  secretsOf,
  redact,
  remoteSettingsFromConfig,
} = remote;

function v2(overrides = {}) {
  return { remoteURL: 'http://influx.example:8086', remoteOrgID: 'my-org', writeAPI: 'v2', allowInsecureTLS: false, ...overrides };
}

function v1(overrides = {}) {
  return { remoteURL: 'http://influx.example:8086', remoteOrgID: '', writeAPI: 'v1', allowInsecureTLS: false, ...overrides };
}

function basic(user, password) {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

describe('remote connection settings (lib/remote)', function () {
  describe('checkRemoteURL', function () {
    it('accepts absolute http and https URLs, with or without a path prefix', function () {
      for (const url of ['http://localhost:8086', 'https://eu-central-1-1.aws.cloud2.influxdata.com', 'http://h/proxy/influx/', '  http://127.0.0.1:8086  ']) {
        assert.strictEqual(checkRemoteURL(url), null, url);
      }
    });

    it('says the URL is required when it is empty or blank', function () {
      assert.strictEqual(checkRemoteURL(''), 'remote URL is required');
      assert.strictEqual(checkRemoteURL('   '), 'remote URL is required');
    });

    it('says a malformed URL is not a valid URL, quoting it', function () {
      // A host:port without a scheme parses as an unknown scheme, which is reported as such.
      assert.match(checkRemoteURL('influx.example:8086'), /must start with http/);
      assert.match(checkRemoteURL('http://'), /"http:\/\/" is not a valid URL/);
      const relative = checkRemoteURL('/api/v2/write');
      assert.match(relative, /is not a valid URL/);
      assert.ok(relative.includes('"/api/v2/write"'), relative);
    });

    it('rejects other protocols, naming the one given', function () {
      for (const [url, protocol] of [
        ['ftp://influx.example', 'ftp:'],
        ['udp://influx.example:8089', 'udp:'],
        ['ws://influx.example', 'ws:'],
      ]) {
        const message = checkRemoteURL(url);
        assert.match(message, /must start with http:\/\/ or https:\/\//, url);
        assert.ok(message.includes(JSON.stringify(protocol)), message);
      }
    });

    it('rejects credentials in the URL without echoing them', function () {
      const message = checkRemoteURL('https://admin:hunter22@influx.example');
      assert.match(message, /must not contain a user name or password/);
      assert.ok(!message.includes('hunter22'), message);
      assert.match(checkRemoteURL('https://admin@influx.example'), /must not contain a user name or password/);
    });

    it('rejects a query string or fragment (the write path owns the query)', function () {
      assert.match(checkRemoteURL('http://h:8086/?org=x'), /query string or fragment/);
      assert.match(checkRemoteURL('http://h:8086/#top'), /query string or fragment/);
    });
  });

  describe('validateRemote', function () {
    it('finds nothing wrong with a complete v2 remote', function () {
      assert.deepStrictEqual(validateRemote(v2(), { remoteAPIToken: 'tok' }), []);
    });

    it('requires an org and a token for v2', function () {
      const problems = validateRemote(v2({ remoteOrgID: '  ' }), {});
      assert.deepStrictEqual(problems, ['org ID (or org name) is required for the v2 write API', 'API token is required for the v2 write API']);
    });

    it('does not require a token or org for v1, with or without a user', function () {
      assert.deepStrictEqual(validateRemote(v1(), {}), []);
      assert.deepStrictEqual(validateRemote(v1(), { username: 'u', password: 'p' }), []);
    });

    it('asks for both user and password for v1 when only one is given', function () {
      const expected = ['v1 write API needs both a username and a password, or neither'];
      assert.deepStrictEqual(validateRemote(v1(), { username: 'writer' }), expected);
      assert.deepStrictEqual(validateRemote(v1(), { password: 'secret' }), expected);
    });

    it('rejects an unknown write API, quoting it', function () {
      const problems = validateRemote(v2({ writeAPI: 'v4' }), { remoteAPIToken: 'tok' });
      assert.deepStrictEqual(problems, ['write API must be "v2", "v1" or "v3", got "v4"']);
    });

    it('reports the URL problem together with the others', function () {
      const problems = validateRemote(v2({ remoteURL: 'ftp://x', remoteOrgID: '' }), {});
      assert.strictEqual(problems.length, 3);
      assert.match(problems[0], /must start with http/);
    });

    it('never puts a secret in its messages', function () {
      const credentials = { remoteAPIToken: 'tok-SECRET-123', username: 'writer', password: 'pw-SECRET-456' };
      const text = [
        ...validateRemote(v2({ remoteURL: 'gopher://x', remoteOrgID: '' }), credentials),
        ...validateRemote(v1({ remoteURL: '' }), { username: 'writer' }),
      ].join('\n');
      assert.ok(!/SECRET/.test(text), text);
    });
  });

  describe('parseDatabaseAndRetentionPolicy', function () {
    it('splits db/rp at the first slash', function () {
      assert.deepStrictEqual(parseDatabaseAndRetentionPolicy('telegraf/autogen'), { db: 'telegraf', rp: 'autogen' });
      assert.deepStrictEqual(parseDatabaseAndRetentionPolicy('db/rp/with/slashes'), { db: 'db', rp: 'rp/with/slashes' });
    });

    it('treats a name without a slash, or with an empty rp, as the database alone', function () {
      assert.deepStrictEqual(parseDatabaseAndRetentionPolicy('telegraf'), { db: 'telegraf' });
      assert.deepStrictEqual(parseDatabaseAndRetentionPolicy('telegraf/'), { db: 'telegraf' });
    });
  });

  describe('joinURL', function () {
    it('keeps a reverse-proxy path prefix, with or without a trailing slash', function () {
      assert.strictEqual(joinURL('http://h/proxy/influx', '/api/v2/write').toString(), 'http://h/proxy/influx/api/v2/write');
      assert.strictEqual(joinURL('http://h/proxy/influx//', '/write').toString(), 'http://h/proxy/influx/write');
      assert.strictEqual(joinURL('https://h:8443', '/api/v2/write').toString(), 'https://h:8443/api/v2/write');
    });
  });

  describe('buildWriteRequest', function () {
    it('v1 with db/rp: /write?db=&rp=&precision= and Basic auth', function () {
      const req = buildWriteRequest(v1(), { username: 'writer', password: 'pa:ss word' }, 'db1/rp1', 'ms');
      const url = new URL(req.url);
      assert.strictEqual(url.origin + url.pathname, 'http://influx.example:8086/write');
      assert.deepStrictEqual([...url.searchParams], [
        ['db', 'db1'],
        ['rp', 'rp1'],
        ['precision', 'ms'],
      ]);
      assert.deepStrictEqual(req.headers, { authorization: basic('writer', 'pa:ss word') });
    });

    it('v1 with a database only: no rp parameter, and no auth header without a user', function () {
      const req = buildWriteRequest(v1(), {}, 'telegraf', 'ns');
      const url = new URL(req.url);
      assert.strictEqual(url.searchParams.get('db'), 'telegraf');
      assert.strictEqual(url.searchParams.has('rp'), false);
      assert.strictEqual(url.searchParams.get('precision'), 'ns');
      assert.deepStrictEqual(req.headers, {});
    });

    it('v1 never sends the v2 token, even if one is stored', function () {
      const req = buildWriteRequest(v1(), { remoteAPIToken: 'tok', username: 'u', password: 'p' }, 'db', 's');
      assert.strictEqual(req.headers.authorization, basic('u', 'p'));
    });

    it('v2 with a bucket name: /api/v2/write?org=&bucket=&precision= and a Token header', function () {
      const req = buildWriteRequest(v2(), { remoteAPIToken: 'my-token==' }, 'sensors', 's');
      const url = new URL(req.url);
      assert.strictEqual(url.origin + url.pathname, 'http://influx.example:8086/api/v2/write');
      assert.deepStrictEqual([...url.searchParams], [
        ['org', 'my-org'],
        ['bucket', 'sensors'],
        ['precision', 's'],
      ]);
      assert.deepStrictEqual(req.headers, { authorization: 'Token my-token==' });
    });

    it('v2 with a bucket ID and an org ID passes them unchanged', function () {
      const req = buildWriteRequest(v2({ remoteOrgID: ' 0123456789abcdef ' }), { remoteAPIToken: 't' }, 'fedcba9876543210', 'us');
      const url = new URL(req.url);
      assert.strictEqual(url.searchParams.get('org'), '0123456789abcdef');
      assert.strictEqual(url.searchParams.get('bucket'), 'fedcba9876543210');
      assert.strictEqual(url.searchParams.get('precision'), 'us');
    });

    it('keeps the path prefix of a remote behind a reverse proxy', function () {
      const a = new URL(buildWriteRequest(v2({ remoteURL: 'http://h/proxy/influx' }), { remoteAPIToken: 't' }, 'b', 'ns').url);
      assert.strictEqual(a.pathname, '/proxy/influx/api/v2/write');
      const b = new URL(buildWriteRequest(v1({ remoteURL: 'http://h/proxy/influx/' }), {}, 'db', 'ns').url);
      assert.strictEqual(b.pathname, '/proxy/influx/write');
    });

    it('escapes odd bucket, org and database names so they round-trip and cannot add parameters', function () {
      const bucket = 'my bucket&precision=h#frag?x=1+ü%20';
      const req = buildWriteRequest(v2({ remoteOrgID: 'org & co' }), { remoteAPIToken: 't' }, bucket, 'ns');
      const url = new URL(req.url);
      assert.strictEqual(url.hash, '');
      assert.strictEqual(url.searchParams.get('bucket'), bucket);
      assert.strictEqual(url.searchParams.get('org'), 'org & co');
      assert.deepStrictEqual(url.searchParams.getAll('precision'), ['ns']);

      const v1req = buildWriteRequest(v1(), {}, 'data base&x=1/rp #1', 'ms');
      const v1url = new URL(v1req.url);
      assert.strictEqual(v1url.searchParams.get('db'), 'data base&x=1');
      assert.strictEqual(v1url.searchParams.get('rp'), 'rp #1');
      assert.strictEqual(v1url.searchParams.has('x'), false);
    });

    it('encodes a non-ASCII user and password in Basic auth as UTF-8', function () {
      const req = buildWriteRequest(v1(), { username: 'jürgen', password: 'pässwörd' }, 'db', 's');
      const decoded = Buffer.from(req.headers.authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
      assert.strictEqual(decoded, 'jürgen:pässwörd');
    });

    it('never puts a secret in the URL', function () {
      const credentials = { remoteAPIToken: 'tok-SECRET', username: 'user', password: 'pw-SECRET' };
      for (const settings of [v1(), v2()]) {
        const req = buildWriteRequest(settings, credentials, 'db/rp', 'ns');
        assert.ok(!req.url.includes('SECRET'), req.url);
      }
    });
  });

  describe('tlsOptions', function () {
    let dir;
    before(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-test-'));
    });
    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('verifies certificates unless insecure TLS is allowed', function () {
      assert.deepStrictEqual(tlsOptions(v2()), { rejectUnauthorized: true });
      assert.deepStrictEqual(tlsOptions(v2({ allowInsecureTLS: true })), { rejectUnauthorized: false });
    });

    it('reads the CA file when one is given', function () {
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const options = tlsOptions(v2({ caFile }));
      assert.strictEqual(options.rejectUnauthorized, true);
      assert.strictEqual(options.ca, fs.readFileSync(caFile, 'utf8'));
    });

    it('names the CA file in the error when it cannot be read', function () {
      const caFile = path.join(dir, 'missing.pem');
      assert.throws(() => tlsOptions(v2({ caFile })), (err) => err.message.includes(JSON.stringify(caFile)) && /cannot read CA certificate file/.test(err.message));
    });
  });

  describe('secretsOf and redact', function () {
    const cases = [
      { remoteAPIToken: 'v2-token-AbC123==' },
      { username: 'writer', password: 's3cr3t-pass' },
      { remoteAPIToken: 'shared', username: 'admin', password: 'shared-and-longer' },
      { username: 'jürgen', password: 'pässwörd' },
    ];

    for (const credentials of cases) {
      it(`leaves no secret in text that holds them in every form (${Object.keys(credentials).join(', ')})`, function () {
        const secrets = secretsOf(credentials);
        const headerForms = [];
        for (const settings of [v1(), v2()]) {
          const req = buildWriteRequest(settings, credentials, 'db', 'ns');
          if (req.headers.authorization) headerForms.push(`authorization: ${req.headers.authorization}`);
        }
        const raw = [credentials.remoteAPIToken, credentials.password].filter(Boolean);
        const text = ['request failed', ...raw, ...headerForms, `body: {"token":"${raw[0]}"} end`].join(' | ');
        const clean = redact(text, secrets);
        for (const secret of raw) assert.ok(!clean.includes(secret), `${secret} left in ${clean}`);
        if (credentials.username && credentials.password) {
          const b64 = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
          assert.ok(!clean.includes(b64), `Basic credentials left in ${clean}`);
        }
        assert.match(clean, /\*\*\*/);
        assert.match(clean, /^request failed/);
      });
    }

    it('lists the token, the password and the Basic credentials, and nothing for no credentials', function () {
      assert.deepStrictEqual(secretsOf({}), []);
      const secrets = secretsOf({ remoteAPIToken: 'tok', username: 'u', password: 'pwd' });
      assert.ok(secrets.includes('tok'));
      assert.ok(secrets.includes('pwd'));
      assert.ok(secrets.includes(Buffer.from('u:pwd').toString('base64')));
      // The user name is not a secret: it may show in messages.
      assert.ok(!secrets.includes('u'));
    });

    it('replaces every occurrence and leaves other text as it was', function () {
      assert.strictEqual(redact('a tok b tok c', ['tok']), 'a *** b *** c');
      assert.strictEqual(redact('nothing here', ['tok']), 'nothing here');
      assert.strictEqual(redact('x', ['']), 'x');
    });

    it('removes a secret that contains another secret whole, whatever the order given', function () {
      const text = 'token shared, password shared-and-longer';
      for (const secrets of [['shared', 'shared-and-longer'], ['shared-and-longer', 'shared']]) {
        const clean = redact(text, secrets);
        assert.strictEqual(clean, 'token ***, password ***');
      }
    });
  });

  describe('remoteSettingsFromConfig', function () {
    it('turns editor values into typed settings, defaulting to v2 and secure TLS', function () {
      assert.deepStrictEqual(remoteSettingsFromConfig({ remoteURL: ' http://h:8086 ', remoteOrgID: ' org ' }), {
        remoteURL: 'http://h:8086',
        remoteOrgID: 'org',
        writeAPI: 'v2',
        allowInsecureTLS: false,
        caFile: undefined,
        noSync: false,
      });
    });

    it('accepts booleans saved as strings by older flows, and keeps a CA file path', function () {
      const settings = remoteSettingsFromConfig({ remoteURL: 'https://h', writeAPI: 'v1', allowInsecureTLS: 'true', caFile: ' /etc/ca.pem ' });
      assert.strictEqual(settings.allowInsecureTLS, true);
      assert.strictEqual(settings.writeAPI, 'v1');
      assert.strictEqual(settings.caFile, '/etc/ca.pem');
      assert.strictEqual(remoteSettingsFromConfig({ allowInsecureTLS: 'false' }).allowInsecureTLS, false);
    });
  });
});

'use strict';
// Every text a user sees comes from the locale files (nodes/locales/<lang>/), in English and German alike:
// the keys the code asks for exist in both languages, every node has German texts and help, and the status
// badges speak the catalog's language in under 20 characters.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { catalogTranslator, readCatalog } = require('../../nodes/i18n');
const { statusOf, configErrorStatus, MAX_STATUS_TEXT } = require('../../nodes/lib/node-status');
const { downsampleStatus, downsampleConfigErrorStatus } = require('../../nodes/lib/downsample');

const NODES_DIR = path.resolve(__dirname, '..', '..', 'nodes');
const LANGS = ['en-US', 'de'];
const pkg = require('../../package.json');
const NODE_TYPES = Object.keys(pkg['node-red'].nodes);

/** The badge texts of one node in one language, as the node file looks them up. */
const statusText = (lang, type) => {
  const t = catalogTranslator(readCatalog(lang, type));
  return (key, vars) => t(`${type}.${key}`, vars);
};

function keysOf(catalog, prefix = '') {
  return Object.entries(catalog).flatMap(([key, value]) =>
    value && typeof value === 'object' ? keysOf(value, `${prefix}${key}.`) : [`${prefix}${key}`]);
}

/** Message keys the built code asks for: `t('<catalog>.a.b')` in the node files, `'status.x'` in the badge modules. */
function keysUsedInCode() {
  const used = [];
  for (const file of fs.readdirSync(NODES_DIR).filter((f) => f.endsWith('.js'))) {
    const code = fs.readFileSync(path.join(NODES_DIR, file), 'utf8');
    for (const m of code.matchAll(/\bt\('((influxdb-[a-z-]+)\.[a-zA-Z.]+)'/g)) used.push({ catalog: m[2], key: m[1], file });
  }
  // The editor files: `this._('<catalog>.a.b')` and `node._(...)` in labels and dialogs.
  for (const file of fs.readdirSync(NODES_DIR).filter((f) => f.endsWith('.html'))) {
    const code = fs.readFileSync(path.join(NODES_DIR, file), 'utf8');
    for (const m of code.matchAll(/\b(?:this|node)\._\('((influxdb-[a-z-]+)\.[a-zA-Z.]+)'/g)) used.push({ catalog: m[2], key: m[1], file });
  }
  for (const [file, catalog] of [['lib/node-status.js', 'influxdb-replication'], ['lib/downsample/status.js', 'influxdb-downsample']]) {
    const code = fs.readFileSync(path.join(NODES_DIR, file), 'utf8');
    for (const m of code.matchAll(/'(status\.[a-zA-Z]+)'/g)) used.push({ catalog, key: `${catalog}.${m[1]}`, file });
  }
  return used;
}

describe('locales', function () {
  it('every node has an en-US and a German catalog with the same keys, and German help', function () {
    for (const type of NODE_TYPES) {
      const english = keysOf(readCatalog('en-US', type)).sort();
      assert.deepStrictEqual(keysOf(readCatalog('de', type)).sort(), english, `de/${type}.json`);
      const help = path.join(NODES_DIR, 'locales', 'de', `${type}.html`);
      assert.ok(fs.existsSync(help), `${help} is missing`);
      assert.match(fs.readFileSync(help, 'utf8'), new RegExp(`data-help-name="${type}"[\\s\\S]*<h3>Referenzen</h3>`));
    }
  });

  it('every message key the code uses exists in en-US and de', function () {
    const used = keysUsedInCode();
    assert.ok(used.length > 30, `only ${used.length} keys found: the patterns no longer match the built code`);
    assert.ok(used.some((u) => u.key === 'influxdb-replication.status.paused'));
    assert.ok(used.some((u) => u.key === 'influxdb-downsample.status.lateOnly'));
    assert.ok(used.some((u) => u.key === 'influxdb-replication.label.replicateTo'));
    const missing = [];
    for (const lang of LANGS) {
      for (const { catalog, key, file } of used) {
        if (!keysOf(readCatalog(lang, catalog)).includes(key)) missing.push(`${lang}: ${key} (${file})`);
      }
    }
    assert.deepStrictEqual(missing, []);
  });

  it('no node file writes a status text of its own', function () {
    for (const file of ['influxdb-replication.js', 'influxdb-downsample.js', 'influxdb-remote.js']) {
      const code = fs.readFileSync(path.join(NODES_DIR, file), 'utf8');
      assert.deepStrictEqual(code.match(/text:\s*['"`]/g), null, file);
    }
  });
});

describe('status badges come from the locale files', function () {
  const row = (over) => ({ state: 'ok', latestResponseCode: 204, remainingBytesToBeSynced: 1000, ...over });

  it('the replication badge speaks German with the German catalog', function () {
    const de = statusText('de', 'influxdb-replication');
    assert.strictEqual(statusOf(row({ state: 'paused' }), de).text, 'pausiert · 1.0 kB');
    assert.strictEqual(statusOf(row({ state: 'full' }), de).text, 'voll · 1.0 kB');
    assert.strictEqual(statusOf(row({ state: 'retrying', latestResponseCode: 0 }), de).text, 'kein Netz · 1.0 kB');
    assert.strictEqual(statusOf(row({ state: 'blocked', latestResponseCode: 401 }), de).text, '401 · 1.0 kB');
    assert.strictEqual(configErrorStatus(de).text, 'Konfig-Fehler');
    const en = statusText('en-US', 'influxdb-replication');
    assert.strictEqual(statusOf(row({ state: 'paused' }), en).text, 'paused · 1.0 kB');
    assert.strictEqual(statusOf(row({ state: 'retrying', latestResponseCode: 0 }), en).text, 'net err · 1.0 kB');
  });

  it('the downsample badge speaks German with the German catalog', function () {
    const de = statusText('de', 'influxdb-downsample');
    assert.strictEqual(downsampleStatus({ openSeries: 12, windowsEmitted: 3, latePoints: 0 }, de).text, '12 Serien · 3 Fen.');
    assert.strictEqual(downsampleStatus({ openSeries: 12, windowsEmitted: 3, latePoints: 4 }, de).text, '12 Ser. · spät 4');
    assert.strictEqual(downsampleConfigErrorStatus(de).text, 'Konfig-Fehler');
    const en = statusText('en-US', 'influxdb-downsample');
    assert.strictEqual(downsampleStatus({ openSeries: 12, windowsEmitted: 3, latePoints: 0 }, en).text, '12 series · 3 win');
  });

  for (const lang of LANGS) {
    it(`${lang}: every badge fits in under 20 characters without being cut`, function () {
      const replication = statusText(lang, 'influxdb-replication');
      const texts = [configErrorStatus(replication).text];
      for (const state of ['ok', 'retrying', 'blocked', 'paused', 'full']) {
        for (const code of [null, 0, 204, 503]) {
          // 99.9 MB and 5000 TB are the longest sizes formatBytes writes.
          for (const bytes of [0, 999, 99_900_000, 5e15]) texts.push(statusOf(row({ state, latestResponseCode: code, remainingBytesToBeSynced: bytes }), replication).text);
        }
      }
      const downsample = statusText(lang, 'influxdb-downsample');
      texts.push(downsampleConfigErrorStatus(downsample).text);
      // 999k and 9.9M are the longest counts compactCount writes below a billion.
      for (const n of [0, 7, 999999, 9_900_000]) {
        for (const late of [0, 1, 999999]) {
          const { text } = downsampleStatus({ openSeries: n, windowsEmitted: n, latePoints: late }, downsample);
          // Cut texts lose their end: a fitting one still ends with the late count or the windows.
          if (late > 0) assert.match(text, new RegExp(`${late === 1 ? '1' : '999k'}$`), text);
          texts.push(text);
        }
      }
      const tooLong = texts.filter((text) => text.length > MAX_STATUS_TEXT || text.endsWith('…'));
      assert.deepStrictEqual(tooLong, []);
    });
  }
});

'use strict';
// The checks of Node-RED's flow library scorecard that can run offline (package metadata, node files, examples),
// plus the promises the examples and editor files make to users: every example imports on its own, every
// label the editor shows has an en-US message. Runs on the built package: `npm test` builds first.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const EXAMPLES_DIR = path.join(ROOT, 'examples');
const NODES_DIR = path.join(ROOT, 'nodes');
const MAX_DEPENDENCIES = 6;

// Node types that ship with Node-RED 4 and that examples may use besides this package's.
const CORE_TYPES = new Set([
  'tab', 'group', 'junction', 'comment', 'inject', 'debug', 'function', 'change', 'switch', 'template', 'delay',
  'trigger', 'split', 'join', 'catch', 'complete', 'status', 'link in', 'link out', 'link call', 'http in',
  'http response', 'http request', 'file', 'file in', 'json', 'csv', 'exec', 'range', 'rbe', 'filter', 'sort', 'batch',
]);

function exampleFiles() {
  return fs.existsSync(EXAMPLES_DIR) ? fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort() : [];
}

function readExample(file) {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
}

/** The node types this package registers in its editor files, and whether each is a config node. */
function registeredTypes() {
  const types = new Map();
  for (const file of Object.values(pkg['node-red'].nodes)) {
    const html = path.join(ROOT, file.replace(/\.js$/, '.html'));
    if (!fs.existsSync(html)) continue;
    const source = fs.readFileSync(html, 'utf8');
    const re = /RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]\s*,\s*\{([\s\S]*?)category:\s*['"]([^'"]+)['"]/g;
    for (let m = re.exec(source); m; m = re.exec(source)) types.set(m[1], { config: m[3] === 'config', file });
  }
  return types;
}

/** Keys of a locale catalog, flattened to `a.b.c`. */
function catalogKeys(catalog, prefix = '') {
  const keys = [];
  for (const [key, value] of Object.entries(catalog)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object') keys.push(...catalogKeys(value, full));
    else keys.push(full);
  }
  return keys;
}

describe('package scorecard (offline checks)', function () {
  it('has a license in package.json and a LICENSE file', function () {
    assert.strictEqual(typeof pkg.license, 'string');
    assert.ok(pkg.license.length > 0, 'license is empty');
    assert.ok(fs.existsSync(path.join(ROOT, 'LICENSE')), 'LICENSE file missing');
  });

  it('names a repository', function () {
    const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository && pkg.repository.url;
    assert.ok(url && /github\.com|gitlab\.com|bitbucket\.org|^git\+|^https?:/.test(url), `repository is ${JSON.stringify(pkg.repository)}`);
  });

  it('is named node-red-contrib-*', function () {
    assert.match(pkg.name, /^node-red-contrib-[a-z0-9][a-z0-9-._]*$/);
  });

  it('has the node-red keyword', function () {
    assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), `keywords: ${JSON.stringify(pkg.keywords)}`);
  });

  it('declares the Node-RED version it needs and the Node.js engine', function () {
    assert.ok(pkg['node-red'] && typeof pkg['node-red'].version === 'string', 'node-red.version missing');
    assert.match(pkg['node-red'].version, /\d+\.\d+/);
    assert.ok(pkg.engines && typeof pkg.engines.node === 'string', 'engines.node missing');
    assert.match(pkg.engines.node, /\d+/);
  });

  it(`has at most ${MAX_DEPENDENCIES} dependencies`, function () {
    const count = Object.keys(pkg.dependencies || {}).length;
    assert.ok(count <= MAX_DEPENDENCIES, `${count} dependencies: ${Object.keys(pkg.dependencies || {}).join(', ')}`);
  });

  it('ships every node file of the node-red section, with an editor .html beside it (after the build)', function () {
    const nodes = pkg['node-red'].nodes;
    assert.ok(Object.keys(nodes).length > 0, 'no nodes in the node-red section');
    const missing = [];
    for (const [name, file] of Object.entries(nodes)) {
      assert.match(file, /^nodes\/[^/]+\.js$/, `${name}: ${file} is not under nodes/`);
      if (!fs.existsSync(path.join(ROOT, file))) missing.push(`${file} (run npx tsc -p tsconfig.json)`);
      const html = file.replace(/\.js$/, '.html');
      if (!fs.existsSync(path.join(ROOT, html))) missing.push(html);
    }
    assert.deepStrictEqual(missing, []);
  });

  it('ships the examples folder and the node files in the published package', function () {
    assert.ok(pkg.files.includes('examples/') || pkg.files.includes('examples'), 'examples/ not in files');
    assert.ok(pkg.files.some((f) => f === 'nodes/' || f === 'nodes'), 'nodes/ not in files');
  });

  it('uses every non-config node type of the package in at least one example', function () {
    const types = registeredTypes();
    const nonConfig = [...types].filter(([, info]) => !info.config).map(([type]) => type);
    // Every set in the node-red section registers something: a missing registration would hide a node from this check.
    const registeringFiles = new Set([...types.values()].map((info) => info.file));
    assert.deepStrictEqual(
      Object.values(pkg['node-red'].nodes).filter((file) => !registeringFiles.has(file)),
      [],
      'node files whose .html registers no type',
    );
    const used = new Set();
    for (const file of exampleFiles()) for (const node of readExample(file)) used.add(node.type);
    assert.deepStrictEqual(nonConfig.filter((type) => !used.has(type)), []);
    assert.ok(nonConfig.length >= 2, `expected at least the replication and downsample nodes, found ${nonConfig.join(', ')}`);
  });
});

/** Every file under `dir` whose name ends with `ext`, relative to `dir`. */
function filesUnder(dir, ext) {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(ext)).sort();
}

describe('published package', function () {
  it('runs nothing when a user installs it (npm 11 warns about install scripts); the build runs on pack', function () {
    const scripts = pkg.scripts || {};
    const atInstall = ['preinstall', 'install', 'postinstall', 'prepare'].filter((name) => name in scripts);
    assert.deepStrictEqual(atInstall, [], 'install-time scripts');
    assert.strictEqual(scripts.prepack, 'npm run build');
    for (const name of ['start', 'test']) assert.match(scripts[name], /^npm run build && /, `npm ${name} builds first`);
  });

  it('npm pack ships every node file built from src/, the editor files and the examples', function () {
    this.timeout(60000);
    // --ignore-scripts: npm test has just built; this checks what `files` and the ignore files let through.
    const out = require('child_process').execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const packed = new Set(JSON.parse(out)[0].files.map((f) => f.path));
    const wanted = [
      ...filesUnder(path.join(ROOT, 'src'), '.ts').map((f) => `nodes/${f.replace(/\.ts$/, '.js')}`),
      ...Object.values(pkg['node-red'].nodes).map((f) => f.replace(/\.js$/, '.html')),
      ...filesUnder(path.join(NODES_DIR, 'locales'), '.json').map((f) => `nodes/locales/${f}`),
      ...exampleFiles().map((f) => `examples/${f}`),
    ];
    assert.ok(wanted.length > 30, `only ${wanted.length} files expected`);
    assert.deepStrictEqual(wanted.filter((f) => !packed.has(f)), []);
    assert.deepStrictEqual([...packed].filter((f) => /^(src|test|bench)\//.test(f)), [], 'sources and tests stay out');
  });

  it('requires every runtime dependency from the shipped node files (no unused dependency ships)', function () {
    const code = filesUnder(NODES_DIR, '.js').map((f) => fs.readFileSync(path.join(NODES_DIR, f), 'utf8')).join('\n');
    const required = new Set([...code.matchAll(/require\(["']((?:@[^/"']+\/)?[^/"']+)[^"']*["']\)/g)].map((m) => m[1]));
    assert.ok(required.has('fs'), 'the pattern no longer finds require() calls');
    assert.deepStrictEqual(Object.keys(pkg.dependencies || {}).filter((dep) => !required.has(dep)), []);
  });
});

describe('example flows', function () {
  const files = exampleFiles();
  const types = registeredTypes();

  it('are six, sorted so that the sensor example is first', function () {
    assert.strictEqual(files.length, 6, files.join(', '));
    assert.match(files[0], /^01-sensor/);
    files.forEach((file, i) => assert.match(file, new RegExp(`^0${i + 1}-[a-z0-9-]+\\.json$`)));
  });

  it('example 1 writes to http://127.0.0.1:8086, the URL npm start replaces', function () {
    const flow = readExample(files[0]);
    const remotes = flow.filter((n) => n.type === 'influxdb-remote');
    assert.strictEqual(remotes.length, 1);
    assert.strictEqual(remotes[0].remoteURL, 'http://127.0.0.1:8086');
  });

  it('use only known node types, and ids unique across all examples', function () {
    const seen = new Map();
    for (const file of files) {
      for (const node of readExample(file)) {
        assert.ok(CORE_TYPES.has(node.type) || types.has(node.type), `${file}: unknown node type ${node.type}`);
        assert.ok(typeof node.id === 'string' && node.id.length > 0, `${file}: node without id`);
        // Importing two examples must not raise Node-RED's "nodes already exist" conflict.
        assert.ok(!seen.has(node.id), `${file}: id ${node.id} also in ${seen.get(node.id)}`);
        seen.set(node.id, file);
      }
    }
  });

  for (const file of exampleFiles()) {
    it(`${file} stands alone: one tab, every wire, scope and remote resolves inside it`, function () {
      const flow = readExample(file);
      assert.ok(Array.isArray(flow) && flow.length > 0);
      const byId = new Map(flow.map((n) => [n.id, n]));
      const tabs = flow.filter((n) => n.type === 'tab');
      assert.strictEqual(tabs.length, 1, 'one tab per example');
      for (const node of flow) {
        const isConfig = types.has(node.type) && types.get(node.type).config;
        if (node.type === 'tab') continue;
        if (isConfig) {
          assert.strictEqual(node.z, undefined, `${node.id}: config node belongs to no tab`);
          continue;
        }
        assert.strictEqual(node.z, tabs[0].id, `${node.id} (${node.type}) is not on the example's tab`);
        for (const port of node.wires || []) for (const target of port) assert.ok(byId.has(target), `${node.id} wires to missing ${target}`);
        for (const target of node.scope || []) assert.ok(byId.has(target), `${node.id} scopes missing ${target}`);
        if (node.type === 'influxdb-replication') {
          const remote = byId.get(node.remote);
          assert.ok(remote && remote.type === 'influxdb-remote', `${node.id}: remote ${node.remote} not in the example`);
          // The runtime's rule: a bucket name or an ID, not both.
          assert.ok(Boolean(node.remoteBucketName) !== Boolean(node.remoteBucketID), `${node.id}: bucket name XOR ID`);
        }
      }
    });
  }

  it('example 2 is a write gateway: influxdb-write-in with auth on -> replication, Complete -> 204, Catch -> 400/503', function () {
    const flow = readExample(files[1]);
    // The endpoint node serves /api/v2/write, /write, /api/v3/write_lp, /ping and /health and reads raw bodies
    // itself (no http in whose body parsing differs between Node-RED versions).
    assert.deepStrictEqual(flow.filter((n) => n.type === 'http in'), []);
    const endpoints = flow.filter((n) => n.type === 'influxdb-write-in');
    assert.strictEqual(endpoints.length, 1);
    assert.strictEqual(endpoints[0].noAuth, false, 'the example keeps authentication on');
    assert.strictEqual(endpoints[0].credentials, undefined, 'no token in the example file');
    const repl = flow.find((n) => n.type === 'influxdb-replication');
    const complete = flow.find((n) => n.type === 'complete');
    assert.deepStrictEqual(complete.scope, [repl.id]);
    const byId = new Map(flow.map((n) => [n.id, n]));
    const reaches = (from, predicate, depth = 4) =>
      (from.wires || []).some((port) => port.some((id) => predicate(byId.get(id)) || (depth > 0 && reaches(byId.get(id), predicate, depth - 1))));
    assert.ok(reaches(complete, (n) => n.type === 'http response' && n.statusCode === '204'), 'Complete must lead to a 204 response');
    const catchNode = flow.find((n) => n.type === 'catch');
    assert.ok(catchNode.scope.includes(repl.id));
    assert.ok(reaches(catchNode, (n) => n.type === 'function' && /statusCode\s*=\s*ours \? 503 : 400/.test(n.func)), 'Catch must answer 400');
    assert.deepStrictEqual(endpoints[0].wires, [[repl.id]], 'the endpoint feeds the replication node');
    const errorBody = flow.find((n) => n.type === 'function' && /statusCode\s*=\s*ours \? 503 : 400/.test(n.func));
    assert.match(errorBody.func, /retry-after/, 'a full queue answers with Retry-After');
  });
});

describe('editor files', function () {
  const types = registeredTypes();
  for (const [type] of types) {
    const htmlPath = path.join(NODES_DIR, `${type}.html`);
    const localePath = path.join(NODES_DIR, 'locales', 'en-US', `${type}.json`);
    if (!fs.existsSync(htmlPath) || !fs.existsSync(localePath)) continue;
    it(`${type}: every data-i18n key has an en-US message, and the help follows Node-RED's layout`, function () {
      const html = fs.readFileSync(htmlPath, 'utf8');
      const keys = new Set(catalogKeys(JSON.parse(fs.readFileSync(localePath, 'utf8'))));
      const used = [];
      for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
        for (const part of m[1].split(';')) used.push(part.replace(/^\[[^\]]+\]/, ''));
      }
      assert.ok(used.length > 0);
      assert.deepStrictEqual(used.filter((key) => !keys.has(key)), []);
      const help = html.match(new RegExp(`data-help-name="${type}">([\\s\\S]*?)</script>`));
      assert.ok(help, 'help text missing');
      // The first paragraph is the palette tooltip.
      assert.match(help[1].trim(), /^<p>[^<]{20,}/);
      assert.match(help[1], /<h3>References<\/h3>/);
      if (!types.get(type).config) {
        assert.match(help[1], /<h3>Inputs<\/h3>[\s\S]*<h3>Outputs<\/h3>[\s\S]*<h3>Details<\/h3>/);
      } else {
        assert.match(help[1], /<h3>Details<\/h3>/);
      }
    });
  }

  it('influxdb-replication: every sidebar and validation message the editor asks for exists', function () {
    const html = fs.readFileSync(path.join(NODES_DIR, 'influxdb-replication.html'), 'utf8');
    const catalog = JSON.parse(fs.readFileSync(path.join(NODES_DIR, 'locales', 'en-US', 'influxdb-replication.json'), 'utf8'));
    const keys = new Set(catalogKeys(catalog));
    const wanted = new Set();
    for (const m of html.matchAll(/\bt\('([a-zA-Z.]*[a-zA-Z])'/g)) wanted.add(`influxdb-replication.sidebar.${m[1]}`);
    for (const m of html.matchAll(/NS \+ 'errors\.([a-zA-Z]+)'/g)) wanted.add(`influxdb-replication.errors.${m[1]}`);
    for (const m of html.matchAll(/'errors\.'\s*\+\s*\(byID \? '([a-zA-Z]+)' : '([a-zA-Z]+)'\)/g)) {
      wanted.add(`influxdb-replication.errors.${m[1]}`);
      wanted.add(`influxdb-replication.errors.${m[2]}`);
    }
    for (const m of html.matchAll(/wholeNumberAtLeast\('[a-zA-Z]+', '([a-zA-Z]+)'\)/g)) wanted.add(`influxdb-replication.errors.${m[1]}`);
    for (const state of ['ok', 'retrying', 'blocked', 'paused', 'full']) wanted.add(`influxdb-replication.sidebar.state.${state}`);
    assert.ok(wanted.size > 20, `only ${wanted.size} keys found: the patterns above no longer match the editor file`);
    assert.deepStrictEqual([...wanted].filter((key) => !keys.has(key)), []);
  });

  it('influxdb-remote: every validation and Test connection message the editor asks for exists', function () {
    const html = fs.readFileSync(path.join(NODES_DIR, 'influxdb-remote.html'), 'utf8');
    const catalog = JSON.parse(fs.readFileSync(path.join(NODES_DIR, 'locales', 'en-US', 'influxdb-remote.json'), 'utf8'));
    const keys = new Set(catalogKeys(catalog));
    const wanted = new Set();
    for (const m of html.matchAll(/NS \+ '([a-zA-Z.]+)'/g)) wanted.add(`influxdb-remote.${m[1]}`);
    for (const m of html.matchAll(/'(influxdb-remote\.[a-zA-Z.]+)'/g)) wanted.add(m[1]);
    assert.ok(wanted.size > 10, `only ${wanted.size} keys found`);
    assert.deepStrictEqual([...wanted].filter((key) => !keys.has(key)), []);
  });

  it('every second-locale catalog has exactly the en-US keys', function () {
    const localesDir = path.join(NODES_DIR, 'locales');
    const others = fs.readdirSync(localesDir).filter((lang) => lang !== 'en-US');
    for (const lang of others) {
      for (const file of fs.readdirSync(path.join(localesDir, lang)).filter((f) => f.endsWith('.json'))) {
        const english = path.join(localesDir, 'en-US', file);
        if (!fs.existsSync(english)) continue;
        const theirs = catalogKeys(JSON.parse(fs.readFileSync(path.join(localesDir, lang, file), 'utf8'))).sort();
        const ours = catalogKeys(JSON.parse(fs.readFileSync(english, 'utf8'))).sort();
        assert.deepStrictEqual(theirs, ours, `${lang}/${file}`);
      }
    }
  });
});

/** This package's own node files (the ones whose defaults these tests compare). */
const OWN_NODES = ['influxdb-remote', 'influxdb-replication', 'influxdb-downsample'];

/**
 * Loads the node files with just enough of RED to register, and returns the settings they export to the editor
 * (Node-RED serves registerType's `settings` marked exportable as RED.settings.<name>), as JSON carries them.
 */
function exportedNodeSettings() {
  const exported = {};
  const RED = {
    _: (key) => key,
    settings: {},
    httpAdmin: { get: () => {}, post: () => {} },
    auth: { needsPermission: () => () => {} },
    comms: { publish: () => {} },
    nodes: {
      registerType: (type, constructor, opts) => {
        for (const [name, setting] of Object.entries((opts && opts.settings) || {})) if (setting.exportable) exported[name] = setting.value;
      },
    },
  };
  for (const type of OWN_NODES) require(path.join(ROOT, pkg['node-red'].nodes[type]))(RED);
  return JSON.parse(JSON.stringify(exported));
}

/**
 * Runs an editor file's first script the way the editor would, with just enough of RED and jQuery for the
 * validators (no dialog open: `$()` finds nothing, so the validators read the saved values), and returns the
 * definitions it registers. `settings` is RED.settings (by default what the node files export).
 */
function loadEditorDefinitions(file, settings = exportedNodeSettings()) {
  const vm = require('vm');
  const html = fs.readFileSync(path.join(NODES_DIR, file), 'utf8');
  const code = html.match(/<script type="text\/javascript">([\s\S]*?)<\/script>/)[1];
  const definitions = {};
  const RED = {
    _: (key) => key,
    settings,
    nodes: { registerType: (type, def) => (definitions[type] = def), node: () => null, getType: () => null },
    // Present already: the sidebar part of the script returns before touching anything else.
    sidebar: { containsTab: () => true },
  };
  const $ = () => ({ length: 0, val: () => undefined });
  vm.runInNewContext(code, { RED, $, window: {}, URL, console });
  return definitions;
}

/** A validator's verdict as Node-RED takes it: true is valid, false or a message is not. */
function editorAccepts(def, property, value, node) {
  const spec = def.defaults[property] || def.credentials[property];
  if (spec.required && value === '') return false;
  if (!spec.validate) return true;
  return spec.validate.call(node, value, {}) === true;
}

describe('editor validation matches the runtime', function () {
  const { parseReplicationSettings } = require('../../nodes/lib/stream-config');
  const { checkRemoteURL, validateRemote, remoteSettingsFromConfig } = require('../../nodes/lib/remote');
  const { MIN_MAX_QUEUE_SIZE_BYTES, DEFAULT_MAX_QUEUE_SIZE_BYTES, DEFAULT_MAX_AGE_SECONDS } = require('../../nodes/lib/queue');
  const { DEFAULT_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES } = require('../../nodes/lib/stream-config');
  const replication = loadEditorDefinitions('influxdb-replication.html')['influxdb-replication'];
  const remote = loadEditorDefinitions('influxdb-remote.html')['influxdb-remote'];
  const VALID_STREAM = { remote: 'r1', remoteBucketName: 'b', remoteBucketID: '', precision: 'ns', onQueueFull: 'reject' };

  it('has the runtime defaults as the dialog defaults', function () {
    assert.strictEqual(replication.defaults.maxQueueSizeBytes.value, DEFAULT_MAX_QUEUE_SIZE_BYTES);
    assert.strictEqual(replication.defaults.maxAgeSeconds.value, DEFAULT_MAX_AGE_SECONDS);
    assert.strictEqual(replication.defaults.maxBatchBytes.value, DEFAULT_MAX_BATCH_BYTES);
    const runtime = parseReplicationSettings(VALID_STREAM).settings;
    assert.strictEqual(replication.defaults.precision.value, runtime.precision);
    assert.strictEqual(replication.defaults.onQueueFull.value, runtime.onQueueFull);
    assert.strictEqual(replication.defaults.gzip.value, runtime.gzip);
    assert.strictEqual(replication.defaults.dropNonRetryableData.value, runtime.dropNonRetryableData);
  });

  const numbers = {
    maxQueueSizeBytes: [String(MIN_MAX_QUEUE_SIZE_BYTES), String(MIN_MAX_QUEUE_SIZE_BYTES - 1), '67108860', '1000', '-1', 'abc', '1e9', '3.5e7', '40000000.5', ' 40000000 ', '9007199254740993'],
    maxAgeSeconds: ['0', '1', '604800', '-1', '1.5', 'x', '1e3'],
    maxBatchBytes: [String(MIN_MAX_BATCH_BYTES), String(MIN_MAX_BATCH_BYTES - 1), '500000', '0', 'big'],
  };
  for (const [property, values] of Object.entries(numbers)) {
    it(`${property}: the dialog accepts exactly the values the runtime accepts`, function () {
      for (const value of values) {
        const runtime = parseReplicationSettings({ ...VALID_STREAM, [property]: value }).problems.length === 0;
        assert.strictEqual(editorAccepts(replication, property, value, {}), runtime, `${property} = ${JSON.stringify(value)}`);
      }
    });
  }

  it('precision, onQueueFull and the bucket name XOR ID agree with the runtime', function () {
    for (const precision of ['ns', 'us', 'ms', 's', 'm', 'h', 'NS']) {
      const runtime = parseReplicationSettings({ ...VALID_STREAM, precision }).problems.length === 0;
      assert.strictEqual(editorAccepts(replication, 'precision', precision, {}), runtime, precision);
    }
    for (const onQueueFull of ['reject', 'drop-oldest', 'drop-newest']) {
      const runtime = parseReplicationSettings({ ...VALID_STREAM, onQueueFull }).problems.length === 0;
      assert.strictEqual(editorAccepts(replication, 'onQueueFull', onQueueFull, {}), runtime, onQueueFull);
    }
    for (const [name, id] of [['b', ''], ['', '0123456789abcdef'], ['b', '0123456789abcdef'], ['', ''], ['  ', '']]) {
      const node = { remoteBucketName: name, remoteBucketID: id };
      const runtime = parseReplicationSettings({ ...VALID_STREAM, remoteBucketName: name, remoteBucketID: id }).problems.length === 0;
      const editor = editorAccepts(replication, 'remoteBucketName', name, node) && editorAccepts(replication, 'remoteBucketID', id, node);
      assert.strictEqual(editor, runtime, `name ${JSON.stringify(name)}, ID ${JSON.stringify(id)}`);
    }
  });

  it('remote URL: the dialog accepts exactly the URLs the runtime accepts', function () {
    const urls = ['http://127.0.0.1:8086', 'https://influx.example.com/prefix/', 'ftp://influx.example.com', 'http://user:pw@influx.example.com',
      'http://influx.example.com?org=x', 'http://influx.example.com#x', 'influx.example.com:8086', 'not a url', '', '  http://spaced.example.com  '];
    for (const url of urls) {
      assert.strictEqual(editorAccepts(remote, 'remoteURL', url, {}), checkRemoteURL(url) === null, JSON.stringify(url));
    }
  });

  it('remote org, token and v1 user/password: the dialog refuses what validateRemote refuses', function () {
    const cases = [
      { writeAPI: 'v2', remoteOrgID: 'org', credentials: { remoteAPIToken: 't0ken' } },
      { writeAPI: 'v2', remoteOrgID: '', credentials: { remoteAPIToken: 't0ken' } },
      { writeAPI: 'v2', remoteOrgID: 'org', credentials: { remoteAPIToken: '' } },
      { writeAPI: 'v2', remoteOrgID: 'org', credentials: { has_remoteAPIToken: true } },
      { writeAPI: 'v1', remoteOrgID: '', credentials: {} },
      { writeAPI: 'v1', remoteOrgID: '', credentials: { username: 'u', password: 'p' } },
      { writeAPI: 'v1', remoteOrgID: '', credentials: { username: 'u' } },
      { writeAPI: 'v1', remoteOrgID: '', credentials: { password: 'p' } },
      { writeAPI: 'v3', remoteOrgID: 'org', credentials: {} },
      { writeAPI: 'v3', remoteOrgID: '', credentials: { remoteAPIToken: 't0ken' } },
      { writeAPI: 'v4', remoteOrgID: 'org', credentials: {} },
    ];
    for (const c of cases) {
      const node = { remoteURL: 'http://127.0.0.1:8086', writeAPI: c.writeAPI, remoteOrgID: c.remoteOrgID, credentials: c.credentials };
      // The editor only ever holds `has_remoteAPIToken` for a saved token: the runtime holds the token itself.
      const runtimeCredentials = { ...c.credentials, remoteAPIToken: c.credentials.has_remoteAPIToken ? 'saved' : c.credentials.remoteAPIToken };
      delete runtimeCredentials.has_remoteAPIToken;
      const runtime = validateRemote(remoteSettingsFromConfig(node), runtimeCredentials).length === 0;
      const editor = ['remoteURL', 'writeAPI', 'remoteOrgID'].every((p) => editorAccepts(remote, p, node[p], node));
      assert.strictEqual(editor, runtime, JSON.stringify(c));
    }
  });
});

describe('editor defaults are the runtime defaults (one source: the runtime modules)', function () {
  const { REPLICATION_DEFAULTS, parseReplicationSettings } = require('../../nodes/lib/stream-config');
  const { REMOTE_DEFAULTS, remoteSettingsFromConfig, validateRemote } = require('../../nodes/lib/remote');
  const { DOWNSAMPLE_DEFAULTS, parseDownsampleProperties } = require('../../nodes/lib/downsample');
  const RUNTIME_DEFAULTS = {
    'influxdb-remote': REMOTE_DEFAULTS,
    'influxdb-replication': REPLICATION_DEFAULTS,
    'influxdb-downsample': DOWNSAMPLE_DEFAULTS,
  };
  const settingName = (type) => `${type.replace(/-([a-z])/g, (_, c) => c.toUpperCase())}Defaults`;
  const definition = (type, settings) => loadEditorDefinitions(`${type}.html`, settings)[type];

  for (const type of OWN_NODES) {
    it(`${type}: the node file exports the runtime's defaults, and the dialog defaults are exactly those`, function () {
      const settings = exportedNodeSettings();
      assert.deepStrictEqual(settings[settingName(type)], JSON.parse(JSON.stringify(RUNTIME_DEFAULTS[type])));
      const def = definition(type, settings);
      const editor = Object.fromEntries(Object.entries(def.defaults).map(([property, spec]) => [property, spec.value]));
      // Every property the editor saves has a runtime default, and the same one.
      assert.deepStrictEqual(editor, { ...RUNTIME_DEFAULTS[type] });
    });

    it(`${type}: the dialog takes its defaults from RED.settings, not from values of its own`, function () {
      // Other values in the exported settings must show up as the dialog's defaults: no second copy in the html.
      const settings = exportedNodeSettings();
      const marked = Object.fromEntries(Object.keys(RUNTIME_DEFAULTS[type]).map((property) => [property, `marker-${property}`]));
      settings[settingName(type)] = marked;
      const def = definition(type, settings);
      for (const [property, spec] of Object.entries(def.defaults)) assert.strictEqual(spec.value, marked[property], property);
    });
  }

  /** A validator's verdict on a value the flow does not have (undefined), as Node-RED checks a node on import. */
  const acceptsMissing = (def, node) =>
    Object.keys(def.defaults).filter((property) => node[property] === undefined && editorAccepts(def, property, undefined, node) !== true);

  it('influxdb-replication: a flow with only name, remote and bucket runs with the defaults, and the editor accepts it', function () {
    const minimal = { name: 'minimal', remote: 'r1', remoteBucketName: 'b' };
    const { settings, problems } = parseReplicationSettings(minimal);
    assert.deepStrictEqual(problems, []);
    for (const property of ['maxQueueSizeBytes', 'maxAgeSeconds', 'dropNonRetryableData', 'precision', 'maxBatchBytes', 'onQueueFull', 'gzip']) {
      assert.strictEqual(settings[property], REPLICATION_DEFAULTS[property], property);
    }
    assert.strictEqual(settings.gzip, true);
    assert.deepStrictEqual(acceptsMissing(definition('influxdb-replication'), minimal), []);
  });

  it('influxdb-remote: a flow with only the URL (and token) runs with the defaults, and the editor accepts it', function () {
    const minimal = { remoteURL: 'http://127.0.0.1:8086', remoteOrgID: 'o', credentials: { remoteAPIToken: 't0ken' } };
    const settings = remoteSettingsFromConfig(minimal);
    assert.deepStrictEqual(settings, remoteSettingsFromConfig({ ...REMOTE_DEFAULTS, ...minimal }));
    assert.strictEqual(settings.writeAPI, 'v2');
    assert.deepStrictEqual(validateRemote(settings, minimal.credentials), []);
    assert.deepStrictEqual(acceptsMissing(definition('influxdb-remote'), minimal), []);
  });

  it('influxdb-downsample: a flow with no properties runs with the defaults, and the editor accepts it', function () {
    const { options, problems } = parseDownsampleProperties({});
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(options, parseDownsampleProperties(DOWNSAMPLE_DEFAULTS).options);
    assert.strictEqual(options.everyNs, 600n * 1000000000n);
    assert.deepStrictEqual(acceptsMissing(definition('influxdb-downsample'), {}), []);
  });
});

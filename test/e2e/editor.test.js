'use strict';
// Issue #7's browser test: what a Node-RED user sees. One real Node-RED (this package linked into its user dir),
// one headless Debian chromium driven by playwright-core, real InfluxDB 1.6.7 and VictoriaMetrics for
// "Test connection". The `it`s run in order and share the editor: palette, import and deploy of every example
// through Menu > Import > Examples, each edit dialog's validation, Test connection, and the Replication sidebar.
// Screenshots go to test-artifacts/ (git-ignored).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { request } = require('undici');
const { launchChromium, openEditor } = require('../harness/browser');
const { startInfluxDB, startVictoriaMetrics, waitFor, sleep } = require('../harness/servers');
const { startNodeRed } = require('../harness/node-red');

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const EXAMPLES_DIR = path.join(ROOT, 'examples');
const PACKAGE_NAME = require(path.join(ROOT, 'package.json')).name;
const UI_TIMEOUT_MS = 15000;

const EXAMPLES = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
const exampleNodes = (file) => JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
const first = (file, type) => exampleNodes(file).find((n) => n.type === type);
// The runtime's defaults: what a node runs with when its flow lacks a property.
const { REPLICATION_DEFAULTS } = require('../../nodes/lib/stream-config');
const { REMOTE_DEFAULTS } = require('../../nodes/lib/remote');
const { DOWNSAMPLE_DEFAULTS } = require('../../nodes/lib/downsample');

describe('editor in a real browser (Node-RED + chromium)', function () {
  this.timeout(60000);

  let influx;
  let vm;
  let red;
  let context;
  let page;
  let browserDir;
  let queueDir;
  const pageErrors = [];

  before(async function () {
    this.timeout(90000);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-test-browser-'));
    queueDir = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-test-queues-'));
    [influx, vm] = await Promise.all([
      startInfluxDB({ auth: true }),
      startVictoriaMetrics({ username: 'vm-user', password: 'vm-password' }),
    ]);
    await influx.createDatabase('edge');
    await influx.createDatabase('sensors'); // example 1's bucket
    // Example 6 takes its remote and instance id from the environment (a fleet's gateways each set their own).
    const fleetEnv = { FLEET_REMOTE_URL: vm.url, FLEET_REMOTE_ORG: 'fleet', FLEET_REMOTE_TOKEN: 'editor-test-token', GATEWAY_ID: 'editor-test-gw' };
    red = await startNodeRed({ settings: { influxdbReplication: { queueDir } }, env: fleetEnv });
    // launchChromium sets locale en-US: the assertions read en-US messages.
    context = await launchChromium(browserDir);
    page = await openEditor(context, red.url, {
      beforeLoad: (p) => {
        p.setDefaultTimeout(UI_TIMEOUT_MS);
        p.on('pageerror', (err) => pageErrors.push(err.message));
      },
    });
  });

  after(async function () {
    this.timeout(30000);
    if (context) await context.close().catch(() => {});
    if (red) await red.stop().catch(() => {});
    await Promise.all([influx && influx.stop(), vm && vm.stop()].filter(Boolean)).catch(() => {});
    for (const dir of [browserDir, queueDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed' && page) {
      await shot(`failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => {});
      // A dialog left open by a failed test would block the next one: cancel every open edit tray.
      await page
        .evaluate(async () => {
          for (let i = 0; i < 5 && document.querySelector('.red-ui-editor .red-ui-tray'); i++) {
            RED.tray.close();
            await new Promise((r) => setTimeout(r, 300));
          }
        })
        .catch(() => {});
    }
  });

  async function shot(name) {
    await page.screenshot({ path: path.join(ARTIFACTS, `editor-${name}.png`) });
  }

  /** Shows the node's tab, then double-clicks the node on the canvas: the way a user opens its dialog. */
  async function openNodeDialog(nodeId) {
    await page.evaluate((id) => {
      const node = RED.nodes.node(id);
      RED.workspaces.show(node.z);
      RED.view.reveal(id);
    }, nodeId);
    await page.locator(`g.red-ui-flow-node-group[id="${nodeId}"] rect.red-ui-flow-node`).dblclick();
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
  }

  async function closeDialog(button = '#node-dialog-cancel') {
    await page.locator(button).last().click();
    await page.waitForFunction(() => !document.querySelector('.red-ui-editor .red-ui-tray'), null, { timeout: UI_TIMEOUT_MS });
  }

  /** Replaces an input's value the way typing does (validation runs on change/keyup). */
  async function fill(selector, value) {
    const input = page.locator(selector);
    // On a loaded machine the editor may still be filling the dialog in (values, credentials) when the first
    // fill lands and overwrite it: fill again until the value stays.
    for (let attempt = 1; ; attempt++) {
      await input.fill(value);
      await input.dispatchEvent('change');
      await page.waitForTimeout(150);
      if ((await input.inputValue()) === value || attempt === 5) break;
    }
    assert.strictEqual(await input.inputValue(), value, `${selector} kept another value`);
  }

  it('shows the package in the palette, with help as the tooltip, and registers the remote config node', async function () {
    for (const type of ['influxdb-replication', 'influxdb-downsample', 'influxdb-write-in']) {
      assert.strictEqual(await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count(), 1, `${type} not in the palette`);
    }
    // Config nodes never appear in the palette; the editor knows the type and files it under "config".
    assert.strictEqual(await page.evaluate(() => RED.nodes.getType('influxdb-remote') && RED.nodes.getType('influxdb-remote').category), 'config');
    // The palette tooltip is the help's first paragraph.
    await page.locator('.red-ui-palette-node[data-palette-type="influxdb-replication"]').hover();
    const tooltip = page.locator('.red-ui-popover').filter({ hasText: 'durable queue' });
    await tooltip.waitFor({ state: 'visible' });
    await shot('01-palette');
    await page.mouse.move(800, 500);
  });

  for (const [index, file] of EXAMPLES.entries()) {
    it(`imports example ${file} through Menu > Import > Examples and deploys it without errors`, async function () {
      const label = file.replace(/\.json$/, '');
      const expected = exampleNodes(file);
      const tabId = expected.find((n) => n.type === 'tab').id;

      await page.locator('#red-ui-header-button-sidemenu').click();
      await page.locator('#menu-item-import').click();
      await page.locator('a[href="#red-ui-clipboard-dialog-import-tab-examples"]').click();
      const examples = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      const pkgFolder = examples.locator('.red-ui-treeList-label', { hasText: PACKAGE_NAME }).first();
      await pkgFolder.waitFor({ state: 'visible' });
      const entry = examples.locator('.red-ui-treeList-label', { hasText: label });
      if (!(await entry.isVisible())) await pkgFolder.click();
      await entry.click();
      await page.locator('#red-ui-clipboard-dialog-ok').click();
      await page.waitForFunction((id) => !!RED.nodes.workspace(id), tabId);
      // An imported flow sticks to the mouse until it is dropped.
      await page.mouse.click(900, 500);

      const check = await page.evaluate((ids) => {
        const missing = [];
        const invalid = [];
        for (const id of ids) {
          const n = RED.nodes.node(id) || RED.nodes.workspace(id);
          if (!n) missing.push(id);
          else if (n.valid === false) invalid.push(`${n.type} ${id}: ${(n.validationErrors || []).join(', ')}`);
        }
        const unknown = [];
        RED.nodes.eachNode((n) => {
          if (n.type === 'unknown') unknown.push(n.name || n.id);
        });
        return { missing, invalid, unknown };
      }, expected.map((n) => n.id));
      assert.deepStrictEqual(check, { missing: [], invalid: [], unknown: [] });

      const logBefore = red.logs().length;
      await page.locator('#red-ui-header-button-deploy').click();
      await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: UI_TIMEOUT_MS });
      // No "confirm deploy" dialog (it appears for invalid or unknown nodes).
      assert.strictEqual(await page.locator('.red-ui-deploy-dialog-confirm-list').count(), 0);
      await shot(`02-example-${index + 1}`);
      const deployed = await red.getFlows();
      const deployedIds = new Set((Array.isArray(deployed) ? deployed : deployed.flows).map((n) => n.id));
      assert.deepStrictEqual(expected.filter((n) => !deployedIds.has(n.id)).map((n) => n.id), []);
      // Give the streams a moment to open their queues, then look for errors logged by this deploy.
      await sleep(1000);
      const errors = red.logs().slice(logBefore).split('\n').filter((line) => /\[error\]/.test(line));
      assert.deepStrictEqual(errors, []);
    });
  }

  it('example 2 refuses writes until a token is set in its write node, then answers like InfluxDB: 204 once queued, 400 for a bad line', async function () {
    const endpoint = first(EXAMPLES[1], 'influxdb-write-in');
    const token = 'editor-gateway-token-5e1b';
    const gzipWrite = (headers) =>
      request(`${red.url}/api/v2/write?org=o&bucket=b&precision=s`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip', ...headers },
        body: zlib.gzipSync('gw,src=telegraf v=1 1700000000\ngw,src=telegraf v=2 1700000001\n'),
      });
    const refused = await gzipWrite({ authorization: `Token ${token}` });
    assert.strictEqual(refused.statusCode, 401, 'the imported example has no token: writes are refused');
    assert.deepStrictEqual(JSON.parse(await refused.body.text()), { code: 'unauthorized', message: 'unauthorized access' });

    await openNodeDialog(endpoint.id);
    // Ticking "no authentication" is shown in red.
    const label = page.locator('#influxdb-write-in-noauth-row label[for="node-input-noAuth"]');
    const colourOff = await label.evaluate((el) => getComputedStyle(el).color);
    await page.locator('#node-input-noAuth').check();
    const colourOn = await label.evaluate((el) => getComputedStyle(el).color);
    assert.notStrictEqual(colourOn, colourOff);
    const [r, g, b] = colourOn.match(/\d+/g).map(Number);
    assert.ok(r > 150 && r > g + 50 && r > b + 50, `"no authentication" is not red: ${colourOn}`);
    await shot('02b-write-in-no-auth');
    await page.locator('#node-input-noAuth').uncheck();
    await fill('#node-input-tokens', token);
    await closeDialog('#node-dialog-ok');
    const logBefore = red.logs().length;
    await page.locator('#red-ui-header-button-deploy').click();
    await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: UI_TIMEOUT_MS });
    await waitFor(() => /\[info\] Started flows/.test(red.logs().slice(logBefore)), { timeoutMs: 20000, message: 'the flows to start after the deploy' });
    const exported = JSON.stringify(await red.getFlows());
    assert.ok(!exported.includes(token), 'the token is in GET /flows');

    const v2 = await gzipWrite({ authorization: `Token ${token}` });
    await v2.body.text();
    assert.strictEqual(v2.statusCode, 204);
    const v1 = await request(`${red.url}/write?db=x&precision=n&u=any&p=${token}`, { method: 'POST', body: 'gw,src=v1 v=3 1700000002000000000' });
    await v1.body.text();
    assert.strictEqual(v1.statusCode, 204);
    const bad = await request(`${red.url}/api/v2/write?org=o&bucket=b`, { method: 'POST', body: 'gw,src=bad v=\ngw,src=good v=4', headers: { authorization: `Bearer ${token}` } });
    const answer = JSON.parse(await bad.body.text());
    assert.strictEqual(bad.statusCode, 400);
    assert.strictEqual(answer.code, 'invalid');
    assert.match(answer.message, /line 1/);
    assert.ok(!red.logs().includes(token), 'the token is in the log');
  });

  it('influxdb-replication dialog: a queue size under the minimum and a missing bucket are marked', async function () {
    const repl = first(EXAMPLES[0], 'influxdb-replication');
    await openNodeDialog(repl.id);
    await fill('#node-input-maxQueueSizeBytes', '1000');
    await page.waitForSelector('#node-input-maxQueueSizeBytes.input-error');
    assert.strictEqual((await page.locator('#node-input-maxQueueSizeBytes-hint').textContent()).trim(), '= 1.0 kB');
    await fill('#node-input-remoteBucketName', '');
    await page.waitForSelector('#node-input-remoteBucketName.input-error');
    await fill('#node-input-maxAgeSeconds', '-5');
    await page.waitForSelector('#node-input-maxAgeSeconds.input-error');
    await fill('#node-input-maxQueueSizeBytes', '67108860');
    await page.waitForSelector('#node-input-maxQueueSizeBytes:not(.input-error)');
    await shot('03-replication-dialog-invalid');
    await closeDialog();
  });

  it('influxdb-remote dialog: a non-http URL, a missing org and a missing token are marked', async function () {
    const remote = first(EXAMPLES[3], 'influxdb-remote'); // the Cloud remote (v2)
    await page.evaluate((id) => RED.editor.editConfig('', 'influxdb-remote', id), remote.id);
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    await fill('#node-config-input-remoteURL', 'ftp://influx.example.com');
    await page.waitForSelector('#node-config-input-remoteURL.input-error');
    await fill('#node-config-input-remoteOrgID', '');
    await page.waitForSelector('#node-config-input-remoteOrgID.input-error');
    await fill('#node-config-input-remoteAPIToken', '');
    await page.waitForSelector('#node-config-input-remoteAPIToken.input-error');
    assert.match(await page.locator('#node-config-influxdb-remote-credential-problem').textContent(), /API token is required/);
    // The token is a password field: never shown in clear.
    assert.strictEqual(await page.locator('#node-config-input-remoteAPIToken').getAttribute('type'), 'password');
    await shot('04-remote-dialog-invalid');
    await closeDialog('#node-config-dialog-cancel');
  });

  it('influxdb-downsample dialog: a window that is not a duration is marked', async function () {
    const down = first(EXAMPLES[2], 'influxdb-downsample');
    await openNodeDialog(down.id);
    await fill('#node-input-every', 'ten minutes');
    await page.waitForSelector('#node-input-every.input-error');
    await shot('05-downsample-dialog-invalid');
    await closeDialog();
  });

  it('Test connection reports success, a wrong password and a wrong token against real servers', async function () {
    const remote = first(EXAMPLES[0], 'influxdb-remote');
    await page.evaluate((id) => RED.editor.editConfig('', 'influxdb-remote', id), remote.id);
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    const result = page.locator('#node-config-influxdb-remote-test-result');
    async function test() {
      await page.locator('#node-config-influxdb-remote-test').click();
      await page.waitForFunction(() => {
        const el = document.getElementById('node-config-influxdb-remote-test-result');
        return el && (el.classList.contains('influxdb-remote-ok') || el.classList.contains('influxdb-remote-failed'));
      });
      return { ok: await result.evaluate((el) => el.classList.contains('influxdb-remote-ok')), text: await result.textContent() };
    }

    // InfluxDB 1.6.7 with authentication, v1 write API.
    await fill('#node-config-input-remoteURL', influx.url);
    await page.selectOption('#node-config-input-writeAPI', 'v1');
    await fill('#node-config-input-username', influx.adminUser);
    await fill('#node-config-input-password', influx.adminPassword);
    await fill('#node-config-influxdb-remote-test-bucket', 'edge');
    let outcome = await test();
    assert.ok(outcome.ok, outcome.text);
    assert.match(outcome.text, /OK: .*"edge"/);
    await shot('06-test-connection-ok');

    await fill('#node-config-input-password', 'not-the-password');
    outcome = await test();
    assert.ok(!outcome.ok, outcome.text);
    assert.match(outcome.text, /authentication failed \(HTTP 401\).*user name and password/);
    assert.ok(!outcome.text.includes('not-the-password'));

    // VictoriaMetrics takes only Basic auth: any API token is refused with 401, as a wrong token would be.
    await page.selectOption('#node-config-input-writeAPI', 'v2');
    await fill('#node-config-input-remoteURL', vm.url);
    await fill('#node-config-input-remoteOrgID', 'my-org');
    await fill('#node-config-input-remoteAPIToken', 'wrong-token');
    await fill('#node-config-influxdb-remote-test-bucket', 'edge');
    outcome = await test();
    assert.ok(!outcome.ok, outcome.text);
    assert.match(outcome.text, /authentication failed \(HTTP 401\).*API token/);
    assert.ok(!outcome.text.includes('wrong-token'));
    await shot('07-test-connection-wrong-token');
    await closeDialog('#node-config-dialog-cancel');
  });

  it('the Replication sidebar lists the streams and shows the queue size grow after data is sent', async function () {
    await page.evaluate(() => RED.sidebar.show('influxdb-replication'));
    const repl = first(EXAMPLES[0], 'influxdb-replication');
    const inject = first(EXAMPLES[0], 'inject');
    const card = page.locator(`.influxdb-replication-card[data-stream-id="${repl.id}"]`);
    await card.waitFor({ state: 'visible' });
    // Every replication node of the five examples is listed.
    const streamIds = EXAMPLES.flatMap((f) => exampleNodes(f).filter((n) => n.type === 'influxdb-replication').map((n) => n.id));
    for (const id of streamIds) assert.strictEqual(await page.locator(`.influxdb-replication-card[data-stream-id="${id}"]`).count(), 1, id);
    assert.match(await card.locator('[data-field="remote"] .influxdb-replication-value').textContent(), /local InfluxDB \(example 1\)/);
    assert.strictEqual(await card.locator('[data-field="bucket"] .influxdb-replication-value').textContent(), 'sensors');

    const queueCell = card.locator('[data-field="currentQueueSizeBytes"] .influxdb-replication-value');
    const before = Number(await queueCell.getAttribute('data-value'));
    for (let i = 0; i < 3; i++) {
      const res = await red.request('POST', `/inject/${inject.id}`);
      assert.strictEqual(res.status, 200);
    }
    await waitFor(async () => Number(await queueCell.getAttribute('data-value')) > before, {
      timeoutMs: 15000,
      message: `queue size in the sidebar to grow from ${before}`,
    });
    assert.match(await queueCell.textContent(), / of 67\.1 MB$/);
    assert.ok((await card.locator('polyline').getAttribute('points')).split(' ').length >= 2, 'the chart has a queue size line');
    assert.ok((await card.locator('polygon').getAttribute('points')).split(' ').length >= 4, 'the chart has a still-to-send area');
    assert.match(await card.locator('.influxdb-replication-chart-caption').textContent(), /last 10 minutes; top: \d/);
    await shot('08-sidebar-queue-grew');

    await card.locator('.influxdb-replication-pause').click();
    const state = card.locator('.influxdb-replication-state');
    await waitFor(async () => (await state.getAttribute('class')).includes('influxdb-replication-state-paused'), { timeoutMs: 10000, message: 'paused' });
    assert.strictEqual(await state.textContent(), 'paused');
    assert.match(await card.locator('.influxdb-replication-pause').textContent(), /Resume/);
    await shot('09-sidebar-paused');
    await card.locator('.influxdb-replication-pause').click();
    await waitFor(async () => !(await state.getAttribute('class')).includes('influxdb-replication-state-paused'), { timeoutMs: 10000, message: 'resumed' });
    await card.locator('.influxdb-replication-flush').click();
    await sleep(300);
    assert.strictEqual(await page.locator('.red-ui-notification-error').count(), 0);
  });

  it('drains example 1 into a real InfluxDB once its remote points at one (edited and deployed in the editor)', async function () {
    const remote = first(EXAMPLES[0], 'influxdb-remote');
    const repl = first(EXAMPLES[0], 'influxdb-replication');
    await page.evaluate((id) => RED.editor.editConfig('', 'influxdb-remote', id), remote.id);
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    await fill('#node-config-input-remoteURL', influx.url);
    await fill('#node-config-input-username', influx.adminUser);
    await fill('#node-config-input-password', influx.adminPassword);
    await closeDialog('#node-config-dialog-ok');
    // Count the live updates the stream publishes through Node-RED comms while it drains.
    await page.evaluate((id) => {
      window.__replicationUpdates = 0;
      RED.comms.subscribe(`influxdb-replication/replications/${id}`, () => window.__replicationUpdates++);
    }, repl.id);
    await page.locator('#red-ui-header-button-deploy').click();
    await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: UI_TIMEOUT_MS });

    const card = page.locator(`.influxdb-replication-card[data-stream-id="${repl.id}"]`);
    const remaining = card.locator('[data-field="remainingBytesToBeSynced"] .influxdb-replication-value');
    await waitFor(async () => (await remaining.getAttribute('data-value')) === '0', { timeoutMs: 20000, message: 'the queue to drain in the sidebar' });
    assert.strictEqual(await card.locator('[data-field="latestResponseCode"] .influxdb-replication-value').textContent(), '204');
    assert.ok((await page.evaluate(() => window.__replicationUpdates)) > 0, 'no comms update arrived');
    assert.ok((await influx.countPoints('sensors', null, 'environment')) >= 4, 'the readings queued while the remote was down arrived');
    await shot('10-sidebar-drained');
  });

  it('a read-only user sees the Replication sidebar but cannot pause, resume or flush', async function () {
    // A second Node-RED with users: "viewer" holds only the read permission, which covers influxdb-replication.read.
    const secured = await startNodeRed({
      settings: {
        influxdbReplication: { queueDir: path.join(queueDir, 'secured') },
        adminAuth: {
          type: 'credentials',
          users: function (username) {
            const known = { admin: { username: 'admin', permissions: '*' }, viewer: { username: 'viewer', permissions: 'read' } };
            return Promise.resolve(known[username] || null);
          },
          authenticate: function (username, password) {
            const known = { admin: { username: 'admin', permissions: '*' }, viewer: { username: 'viewer', permissions: 'read' } };
            return Promise.resolve(known[username] && password === `pw-${username}` ? known[username] : null);
          },
        },
      },
      adminLogin: { username: 'admin', password: 'pw-admin' },
    });
    const viewerPage = await context.newPage();
    try {
      const flow = exampleNodes(EXAMPLES[0]);
      await secured.deploy(flow);
      const repl = flow.find((n) => n.type === 'influxdb-replication');
      viewerPage.setDefaultTimeout(UI_TIMEOUT_MS);
      await viewerPage.goto(secured.url);
      await viewerPage.locator('#node-dialog-login-username').fill('viewer');
      await viewerPage.locator('#node-dialog-login-password').fill('pw-viewer');
      await viewerPage.locator('#node-dialog-login-submit').click();
      await viewerPage.waitForSelector('.red-ui-palette-node[data-palette-type="influxdb-replication"]', { timeout: 45000 });
      await viewerPage.evaluate(() => RED.sidebar.show('influxdb-replication'));
      const card = viewerPage.locator(`.influxdb-replication-card[data-stream-id="${repl.id}"]`);
      await card.waitFor({ state: 'visible' });
      assert.ok(await card.locator('.influxdb-replication-pause').isDisabled());
      assert.ok(await card.locator('.influxdb-replication-flush').isDisabled());
      // The runtime refuses too, whatever the page shows.
      const status = await viewerPage.evaluate(
        (id) => new Promise((resolve) => $.ajax({ url: `influxdb-replication/replications/${id}/pause`, type: 'POST' }).always((a, b, c) => resolve((c && c.status) || a.status))),
        repl.id,
      );
      assert.ok(status === 401 || status === 403, `pause by a read-only user answered ${status}`);
      await viewerPage.screenshot({ path: path.join(ARTIFACTS, 'editor-11-sidebar-read-only.png') });
    } finally {
      await viewerPage.close().catch(() => {});
      await secured.stop();
    }
  });

  /** Pastes a flow into Menu > Import (clipboard) and drops it on the canvas; returns once its tab exists. */
  async function importFlow(flow) {
    await page.locator('#red-ui-header-button-sidemenu').click();
    await page.locator('#menu-item-import').click();
    // The dialog reopens on the tab used last (the examples, above).
    await page.locator('a[href="#red-ui-clipboard-dialog-import-tab-clipboard"]').click();
    const text = page.locator('#red-ui-clipboard-dialog-import-text');
    await text.fill(JSON.stringify(flow));
    await text.dispatchEvent('keyup'); // the dialog checks the JSON on keyup
    await page.locator('#red-ui-clipboard-dialog-ok:not([disabled])').click();
    await page.waitForFunction((id) => !!RED.nodes.workspace(id), flow.find((n) => n.type === 'tab').id);
    await page.mouse.click(900, 500);
  }

  /** The node as Menu > Export writes it. */
  const exported = (id) => page.evaluate((nodeId) => RED.nodes.createExportableNodeSet([RED.nodes.node(nodeId)]).find((n) => n.id === nodeId), id);

  /** Which of the dialog's fields for `properties` are marked invalid. */
  const markedFields = (prefix, properties) =>
    page.evaluate(([p, names]) => names.filter((name) => $(`#${p}-${name}`).hasClass('input-error')), [prefix, properties]);

  /** Every default the flow lacked is in the exported node, as the runtime would read it. */
  function assertHasDefaults(node, defaults, lacking) {
    for (const property of lacking) {
      const expected = defaults[property];
      // Text fields save text: the runtime reads '500000' as 500000.
      if (typeof expected === 'number') assert.strictEqual(Number(node[property]), expected, property);
      else assert.strictEqual(node[property], expected, property);
    }
  }

  it('a replication node with only name, remote and bucket opens with the runtime defaults; Done keeps gzip on', async function () {
    const flow = [
      { id: 'min-repl-tab', type: 'tab', label: 'minimal replication' },
      { id: 'min-repl-remote', type: 'influxdb-remote', name: 'minimal remote', remoteURL: 'http://127.0.0.1:8086', writeAPI: 'v1', remoteOrgID: '', allowInsecureTLS: false, caFile: '' },
      // As written by hand or saved by an earlier version of the package.
      { id: 'min-repl', type: 'influxdb-replication', z: 'min-repl-tab', name: 'minimal', remote: 'min-repl-remote', remoteBucketName: 'edge', x: 300, y: 100, wires: [[], []] },
    ];
    await importFlow(flow);
    const lacking = Object.keys(REPLICATION_DEFAULTS).filter((p) => !(p in flow[2]));
    assert.ok(lacking.includes('gzip') && lacking.includes('maxBatchBytes') && lacking.includes('onQueueFull'));
    // The canvas does not flag the node: the runtime runs it as it is.
    assert.deepStrictEqual(await page.evaluate(() => [RED.nodes.node('min-repl').valid, RED.nodes.node('min-repl').validationErrors]), [true, []]);

    await openNodeDialog('min-repl');
    assert.deepStrictEqual(await markedFields('node-input', Object.keys(REPLICATION_DEFAULTS)), []);
    assert.strictEqual(await page.locator('#node-input-gzip').isChecked(), true);
    assert.strictEqual(await page.locator('#node-input-maxBatchBytes').inputValue(), String(REPLICATION_DEFAULTS.maxBatchBytes));
    assert.strictEqual(await page.locator('#node-input-onQueueFull').inputValue(), REPLICATION_DEFAULTS.onQueueFull);
    await shot('12-replication-minimal-flow-dialog');
    await closeDialog('#node-dialog-ok');

    const node = await exported('min-repl');
    assertHasDefaults(node, REPLICATION_DEFAULTS, lacking);
    assert.strictEqual(node.gzip, true);
    assert.strictEqual(node.remoteBucketName, 'edge');
    await page.evaluate(() => RED.workspaces.delete(RED.nodes.workspace('min-repl-tab')));
  });

  it('a remote with only its URL opens with the runtime defaults (v2 write API); Done keeps them', async function () {
    const flow = [
      { id: 'min-remote-tab', type: 'tab', label: 'minimal remote' },
      { id: 'min-remote', type: 'influxdb-remote', remoteURL: 'http://127.0.0.1:8086' },
      { id: 'min-remote-user', type: 'influxdb-replication', z: 'min-remote-tab', remote: 'min-remote', remoteBucketName: 'edge', x: 300, y: 100, wires: [[], []] },
    ];
    await importFlow(flow);
    const lacking = Object.keys(REMOTE_DEFAULTS).filter((p) => !(p in flow[1]));
    assert.ok(lacking.includes('writeAPI'));
    await page.evaluate((id) => RED.editor.editConfig('', 'influxdb-remote', id), 'min-remote');
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    assert.strictEqual(await page.locator('#node-config-input-writeAPI').inputValue(), REMOTE_DEFAULTS.writeAPI);
    // The v2 rows are shown (the org and token of the default write API), not an empty choice.
    assert.ok(await page.locator('#node-config-input-remoteOrgID').isVisible());
    assert.strictEqual(await page.locator('#node-config-input-allowInsecureTLS').isChecked(), REMOTE_DEFAULTS.allowInsecureTLS);
    assert.deepStrictEqual(await markedFields('node-config-input', ['remoteURL', 'writeAPI']), []);
    await closeDialog('#node-config-dialog-ok');

    const node = await exported('min-remote');
    assertHasDefaults(node, REMOTE_DEFAULTS, lacking);
    assert.strictEqual(node.writeAPI, 'v2');
    assert.strictEqual(node.allowInsecureTLS, false);
    await page.evaluate(() => RED.workspaces.delete(RED.nodes.workspace('min-remote-tab')));
  });

  it('a downsample node with no properties opens with the runtime defaults; Done keeps them', async function () {
    const flow = [
      { id: 'min-down-tab', type: 'tab', label: 'minimal downsample' },
      { id: 'min-down', type: 'influxdb-downsample', z: 'min-down-tab', x: 300, y: 100, wires: [[]] },
    ];
    await importFlow(flow);
    const lacking = Object.keys(DOWNSAMPLE_DEFAULTS);
    assert.deepStrictEqual(await page.evaluate(() => [RED.nodes.node('min-down').valid, RED.nodes.node('min-down').validationErrors]), [true, []]);
    await openNodeDialog('min-down');
    assert.deepStrictEqual(await markedFields('node-input', lacking), []);
    assert.strictEqual(await page.locator('#node-input-every').inputValue(), DOWNSAMPLE_DEFAULTS.every);
    assert.strictEqual(await page.locator('#node-input-numericFn').inputValue(), DOWNSAMPLE_DEFAULTS.numericFn);
    assert.strictEqual(await page.locator('#node-input-maxSeries').inputValue(), String(DOWNSAMPLE_DEFAULTS.maxSeries));
    await closeDialog('#node-dialog-ok');

    assertHasDefaults(await exported('min-down'), DOWNSAMPLE_DEFAULTS, lacking);
    await page.evaluate(() => RED.workspaces.delete(RED.nodes.workspace('min-down-tab')));
  });

  it('raised no script error in the page', function () {
    assert.deepStrictEqual(pageErrors, []);
  });
});

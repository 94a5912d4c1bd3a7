'use strict';
// Issue #16 in the browser: the influxdb-remote dialog has config pickers for Node-RED's core tls-config and
// http proxy nodes, and Test connection goes through the picked proxy. One real Node-RED, headless Debian
// chromium (playwright-core, as test/e2e/editor.test.js starts it), real tinyproxy and VictoriaMetrics.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launchChromium, openEditor } = require('../harness/browser');
const { startVictoriaMetrics } = require('../harness/servers');
const { startTinyproxy } = require('../harness/tinyproxy');
const { startNodeRed } = require('../harness/node-red');

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const UI_TIMEOUT_MS = 15000;
const PROXY_USER = 'editor';
const PROXY_PASSWORD = 'editor-proxy-pass-6a1f';

describe('editor: tls-config and http proxy pickers in the remote dialog (Node-RED + chromium + tinyproxy)', function () {
  this.timeout(60000);
  let vm;
  let tinyproxy;
  let red;
  let context;
  let page;
  let browserDir;
  let queueDir;

  before(async function () {
    this.timeout(90000);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-conn-browser-'));
    queueDir = fs.mkdtempSync(path.join(os.tmpdir(), 'editor-conn-queues-'));
    vm = await startVictoriaMetrics();
    tinyproxy = await startTinyproxy({ auth: { username: PROXY_USER, password: PROXY_PASSWORD } });
    const flows = [
      { id: 'tab1', type: 'tab', label: 'connections' },
      { id: 'proxy-good', type: 'http proxy', name: 'plant proxy', url: tinyproxy.url, noproxy: [] },
      { id: 'proxy-wrong', type: 'http proxy', name: 'plant proxy (old password)', url: tinyproxy.url, noproxy: [] },
      { id: 'tls-1', type: 'tls-config', name: 'client certificate', cert: '', key: '', ca: '', verifyservercert: true },
      { id: 'remote-1', type: 'influxdb-remote', name: 'VictoriaMetrics', remoteURL: vm.url, remoteOrgID: 'org', writeAPI: 'v2', allowInsecureTLS: false, caFile: '' },
      { id: 'repl-1', z: 'tab1', type: 'influxdb-replication', name: 'to vm', remote: 'remote-1', remoteBucketName: 'bucket', wires: [[], []] },
    ];
    red = await startNodeRed({
      flows,
      credentials: {
        'remote-1': { remoteAPIToken: 'vm-ignores-tokens' },
        'proxy-good': { username: PROXY_USER, password: PROXY_PASSWORD },
        'proxy-wrong': { username: PROXY_USER, password: 'an-old-password' },
      },
      settings: { influxdbReplication: { queueDir } },
    });
    // launchChromium sets locale en-US: the assertions read en-US messages.
    context = await launchChromium(browserDir);
    page = await openEditor(context, red.url, { beforeLoad: (p) => p.setDefaultTimeout(UI_TIMEOUT_MS) });
  });

  after(async function () {
    this.timeout(30000);
    if (context) await context.close().catch(() => {});
    if (red) await red.stop().catch(() => {});
    for (const server of [tinyproxy, vm]) if (server) await server.stop().catch(() => {});
    for (const dir of [browserDir, queueDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function testConnection() {
    await page.locator('#node-config-influxdb-remote-test').click();
    await page.waitForFunction(() => {
      const el = document.getElementById('node-config-influxdb-remote-test-result');
      return el && (el.classList.contains('influxdb-remote-ok') || el.classList.contains('influxdb-remote-failed'));
    });
    const result = page.locator('#node-config-influxdb-remote-test-result');
    return { ok: await result.evaluate((el) => el.classList.contains('influxdb-remote-ok')), text: await result.textContent() };
  }

  it('shows a TLS and a Proxy picker listing the deployed tls-config and http proxy nodes', async function () {
    await page.evaluate(() => RED.editor.editConfig('', 'influxdb-remote', 'remote-1'));
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    // Node-RED turns a config property's input into a select of the nodes of that type (plus "Add new...").
    for (const [id, label, optionId] of [['tls', 'TLS', 'tls-1'], ['proxy', 'Proxy', 'proxy-good']]) {
      const picker = page.locator(`select#node-config-input-${id}`);
      await picker.waitFor({ state: 'visible' });
      const values = await picker.locator('option').evaluateAll((options) => options.map((o) => o.value));
      assert.ok(values.includes(optionId), `${id} picker offers ${values.join(', ')}`);
      assert.ok(values.includes('_ADD_'), `${id} picker cannot add a new node`);
      assert.strictEqual((await page.locator(`label[for="node-config-input-${id}"]`).textContent()).trim(), label);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-connection-pickers.png') });
  });

  it('Test connection goes through the picked proxy, and names it when its password is wrong', async function () {
    await page.fill('#node-config-influxdb-remote-test-bucket', 'bucket');
    await page.selectOption('select#node-config-input-proxy', 'proxy-good');
    const before = tinyproxy.requests(vm.url).length;
    let outcome = await testConnection();
    assert.ok(outcome.ok, outcome.text);
    assert.ok(tinyproxy.requests(vm.url).length > before, `tinyproxy logged no request to ${vm.url}:\n${tinyproxy.log()}`);

    await page.selectOption('select#node-config-input-proxy', 'proxy-wrong');
    outcome = await testConnection();
    assert.ok(!outcome.ok, outcome.text);
    assert.match(outcome.text, /the proxy http:\/\/127\.0\.0\.1:\d+ \(proxy node\) refused the user name and password/);
    assert.ok(!outcome.text.includes('an-old-password') && !outcome.text.includes(PROXY_PASSWORD));
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-connection-wrong-proxy-password.png') });
    await page.locator('#node-config-dialog-cancel').last().click();
  });
});

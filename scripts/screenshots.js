#!/usr/bin/env node
// `npm run docs:screenshots`: the pictures of the README and docs/, made by the project's own tools so that they
// show what the package really looks like. A real Node-RED (test/harness/node-red.js) runs examples 1 and 3
// against a real local InfluxDB 1.x (test/harness/servers.js), headless chromium opens the editor, and once the
// streams have delivered, PNGs are saved:
//
//   flow.png                the editor: example 1's flow with the Replication sidebar open
//   replication-dialog.png  the influxdb-replication node's edit dialog
//   remote-dialog.png       the influxdb-remote config node's edit dialog
//   sidebar.png             the Replication sidebar alone
//
// Usage: node scripts/screenshots.js [--out=DIR]   (default docs/images; build first: npm run build)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startNodeRed } = require('../test/harness/node-red');
const { startInfluxDB, waitFor } = require('../test/harness/servers');
const { launchChromium, openEditor } = require('../test/harness/browser');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLE_REMOTE = 'http://127.0.0.1:8086';
const EXAMPLES = ['01-', '03-'];
const IMAGES = ['flow.png', 'replication-dialog.png', 'remote-dialog.png', 'sidebar.png'];
const UI_TIMEOUT_MS = 20000;

/** Examples 1 and 3 as one flow list, their remotes pointed at `remoteURL`. */
function exampleFlows(remoteURL) {
  const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort();
  return EXAMPLES.flatMap((prefix) => {
    const file = files.find((f) => f.startsWith(prefix));
    if (!file) throw new Error(`no example starting with ${prefix} in examples/`);
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8').split(EXAMPLE_REMOTE).join(remoteURL));
  });
}

/** Makes the images in `outDir`; resolves with their paths. `log` gets one line per step. */
async function makeScreenshots({ outDir = path.join(ROOT, 'docs', 'images'), log = () => {} } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-screenshots-'));
  let influx;
  let red;
  let context;
  try {
    log('starting InfluxDB and Node-RED');
    influx = await startInfluxDB();
    const flows = exampleFlows(influx.url);
    const streams = flows.filter((n) => n.type === 'influxdb-replication');
    for (const db of new Set(streams.map((n) => n.remoteBucketName.split('/')[0]))) await influx.createDatabase(db);
    red = await startNodeRed({
      flows,
      settings: { influxdbReplication: { queueDir: path.join(temp, 'queues') }, logging: { console: { level: 'info' } } },
    });
    context = await launchChromium(path.join(temp, 'browser'), { viewport: { width: 1400, height: 860 } });
    const page = await openEditor(context, red.url);
    page.setDefaultTimeout(UI_TIMEOUT_MS);

    // Example 1's tab, with its readings delivered: a few more injected so that the chart has a line.
    const tab = flows.find((n) => n.type === 'tab');
    const stream = streams.find((n) => n.z === tab.id);
    const inject = flows.find((n) => n.type === 'inject' && n.z === tab.id && n.repeat);
    for (let i = 0; i < 3; i++) await red.request('POST', `/inject/${inject.id}`);
    // The palette hidden: the picture is about the flow and the sidebar.
    await page.evaluate((id) => {
      RED.workspaces.show(id);
      RED.sidebar.show('influxdb-replication');
      RED.menu.setSelected('menu-item-palette', false);
    }, tab.id);
    const card = page.locator(`.influxdb-replication-card[data-stream-id="${stream.id}"]`);
    await card.waitFor({ state: 'visible' });
    log('waiting for the streams to deliver (latest answer 204, nothing left to send)');
    await waitFor(
      async () => {
        const code = await card.locator('[data-field="latestResponseCode"] .influxdb-replication-value').textContent();
        const left = await card.locator('[data-field="remainingBytesToBeSynced"] .influxdb-replication-value').getAttribute('data-value');
        return code === '204' && left === '0';
      },
      { timeoutMs: 30000, message: 'example 1 to deliver to the local InfluxDB (204 in the sidebar)' },
    );
    // Nothing selected, no tooltip under the mouse.
    await page.mouse.click(700, 840);
    await page.mouse.move(700, 840);

    const shots = [];
    const save = async (name, target) => {
      const file = path.join(outDir, name);
      await target.screenshot({ path: file });
      shots.push(file);
      log(`saved ${path.relative(process.cwd(), file)}`);
    };
    await save('flow.png', page);
    await save('sidebar.png', page.locator('#red-ui-sidebar'));

    // The dialogs, opened as a user does: double-click the node; the remote through the node's pencil button.
    await page.evaluate((id) => RED.view.reveal(id), stream.id);
    await page.locator(`g.red-ui-flow-node-group[id="${stream.id}"] rect.red-ui-flow-node`).dblclick();
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
    await page.waitForTimeout(500);
    await save('replication-dialog.png', page.locator('.red-ui-editor .red-ui-tray').last());
    await page.locator('#node-input-btn-remote-edit').click();
    await page.waitForSelector('#node-config-input-remoteURL', { state: 'visible' });
    await page.waitForTimeout(500);
    // Shown with the URL the example ships with, not the test server's random port (nothing is deployed).
    await page.locator('#node-config-input-remoteURL').fill(EXAMPLE_REMOTE);
    await save('remote-dialog.png', page.locator('.red-ui-editor .red-ui-tray').last());
    return shots;
  } finally {
    if (context) await context.close().catch(() => {});
    if (red) await red.stop().catch(() => {});
    if (influx) await influx.stop().catch(() => {});
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const outArg = process.argv.slice(2).find((a) => a.startsWith('--out='));
  const outDir = outArg ? path.resolve(outArg.slice('--out='.length)) : undefined;
  makeScreenshots({ outDir, log: (text) => console.log(text) })
    .then(() => process.exit(0))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

module.exports = { makeScreenshots, IMAGES };

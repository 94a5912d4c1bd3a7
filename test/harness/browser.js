'use strict';
// Debian's headless chromium driven by playwright-core (no browser download), for the editor test and the
// documentation screenshots. Flags from /work/shared/notes/test-environment.md: no sandbox in containers,
// nothing that calls home.
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/**
 * A persistent browser context in `profileDir`. The editor follows the browser's language: en-US keeps the texts
 * that tests read and screenshots show the same everywhere.
 */
function launchChromium(profileDir, { viewport = { width: 1600, height: 1000 }, deviceScaleFactor = 1 } = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor,
    locale: 'en-US',
  });
}

/**
 * Opens the Node-RED editor at `url` and waits for this package's nodes in the palette (5-7 s after a cold load).
 * `beforeLoad(page)` runs before the page loads (timeouts, listeners for page errors).
 */
async function openEditor(context, url, { timeoutMs = 45000, beforeLoad } = {}) {
  const page = context.pages()[0] || (await context.newPage());
  if (beforeLoad) beforeLoad(page);
  await page.goto(url);
  await page.waitForSelector('.red-ui-palette-node[data-palette-type="influxdb-replication"]', { timeout: timeoutMs });
  return page;
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, launchChromium, openEditor };

#!/usr/bin/env node
// `npm start`: a local Node-RED on 127.0.0.1 with this package and its example flows loaded.
// Its user directory is `.node-red/` inside the project (git-ignored; NODE_RED_USER_DIR overrides it), so nothing
// outside the project changes. PORT sets the editor's port, INFLUXDB_REMOTE_URL the example's remote.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR || path.join(root, '.node-red'));
const port = Number(process.env.PORT || 1880);
const remoteURL = process.env.INFLUXDB_REMOTE_URL || 'http://127.0.0.1:8086';

fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
// Node-RED finds packages with a `node-red` section in <userDir>/node_modules: link this project there.
const link = path.join(userDir, 'node_modules', 'node-red-contrib-influxdb-replication');
if (!fs.existsSync(link)) fs.symlinkSync(root, link, 'dir');

const settingsFile = path.join(userDir, 'settings.js');
fs.writeFileSync(
  settingsFile,
  `// Written by scripts/start.js on every start.
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || 'local-development-only',
  telemetry: { enabled: false },
  editorTheme: { tours: false },
  externalModules: { palette: { allowInstall: false } },
  logging: { console: { level: 'info' } },
};
`,
);

// First start: load example 1 so a newcomer sees queueing (no remote yet) and draining (once one is up).
const flowFile = path.join(userDir, 'flows.json');
if (!fs.existsSync(flowFile)) {
  const examples = path.join(root, 'examples');
  const first = fs.existsSync(examples) ? fs.readdirSync(examples).filter((f) => f.endsWith('.json')).sort()[0] : undefined;
  if (first) {
    const flow = fs.readFileSync(path.join(examples, first), 'utf8').split('http://127.0.0.1:8086').join(remoteURL);
    fs.writeFileSync(flowFile, flow);
    console.log(`loaded example ${first} with remote ${remoteURL}`);
  }
}

const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', settingsFile, '-u', userDir], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => red.kill(signal));
red.on('exit', (code) => process.exit(code ?? 0));

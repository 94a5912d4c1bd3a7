'use strict';
// One formatBytes for the editor and the runtime (issue 15): the badge uses resources/format-bytes.js, and the
// editor loads that same file from Node-RED's resources route instead of defining its own.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const shared = require('../../resources/format-bytes');
const { formatBytes } = require('../../nodes/lib/node-status');

const ROOT = path.join(__dirname, '..', '..');

describe('formatBytes, shared by the editor and the runtime', function () {
  it('is the same function in the node status and in the resources file', function () {
    assert.strictEqual(formatBytes, shared.formatBytes);
    assert.strictEqual(formatBytes(1500), '1.5 kB');
    assert.strictEqual(formatBytes(undefined), '–');
  });

  it('the editor loads the resources file and has no size formatting of its own', function () {
    const html = fs.readFileSync(path.join(ROOT, 'nodes', 'influxdb-replication.html'), 'utf8');
    assert.match(html, /<script [^>]*src="resources\/node-red-contrib-influxdb-replication\/format-bytes\.js"/);
    assert.doesNotMatch(html, /'kB'/);
  });

  it('the package ships the resources folder', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('resources/'), JSON.stringify(pkg.files));
  });
});

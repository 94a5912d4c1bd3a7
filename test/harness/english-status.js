'use strict';
// The replication node's badge as an English-speaking runtime shows it: statusOf() with the en-US catalog.
const { statusOf } = require('../../nodes/lib/node-status');
const { catalogTranslator, readCatalog } = require('../../nodes/i18n');

const english = catalogTranslator(readCatalog('en-US', 'influxdb-replication'));

/** @param {import('../../src/lib/stream').ReplicationRow} row */
function englishStatusOf(row) {
  return statusOf(row, (key, vars) => english(`influxdb-replication.${key}`, vars));
}

module.exports = { englishStatusOf };

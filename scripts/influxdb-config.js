'use strict';
// The influxd (InfluxDB 1.x) config that keeps a server on loopback with everything in one folder: used by
// `npm start`'s local InfluxDB and by the test harness. Always pass it with `-config`: without it influxd uses
// the system-wide config and data folder. Debian's build reads `reporting-enabled` (not `reporting-disabled`).
const path = require('path');

/**
 * dir: the server's folder (meta, data, wal under it); httpPort, rpcPort: loopback ports (the RPC port moves off
 * 8088 so that a second InfluxDB can run); auth, httpLog: booleans; maxBodySize: bytes, or undefined for influxd's own.
 */
function influxdbConfig({ dir, httpPort, rpcPort, auth = false, httpLog = false, maxBodySize, comment }) {
  return [
    ...(comment ? [`# ${comment}`] : []),
    'reporting-enabled = false',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${path.join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${path.join(dir, 'data')}"`,
    `  wal-dir = "${path.join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    `  auth-enabled = ${auth ? 'true' : 'false'}`,
    `  log-enabled = ${httpLog ? 'true' : 'false'}`,
    ...(maxBodySize !== undefined ? [`  max-body-size = ${Number(maxBodySize)}`] : []),
    '',
  ].join('\n');
}

module.exports = { influxdbConfig };

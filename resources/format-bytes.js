// The one formatBytes of this package, for the runtime (src/lib/node-status.ts requires this file) and the
// editor (nodes/influxdb-replication.html loads it from Node-RED's resources route, where it sets
// `influxdbReplicationFormat` on the page). Plain JavaScript that runs unchanged in both.
'use strict';
(function () {
  /** 999 -> "999 B", 1500 -> "1.5 kB", 67108860 -> "67.1 MB"; not a number -> "–". */
  function formatBytes(bytes) {
    if (typeof bytes !== 'number' || !isFinite(bytes)) return '–';
    if (bytes < 1000) return bytes + ' B';
    var units = ['kB', 'MB', 'GB', 'TB'];
    var value = bytes;
    var unit = -1;
    do {
      value /= 1000;
      unit += 1;
    } while (value >= 1000 && unit < units.length - 1);
    return (value >= 100 ? Math.round(value) : value.toFixed(1)) + ' ' + units[unit];
  }

  var api = { formatBytes: formatBytes };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else globalThis.influxdbReplicationFormat = api;
})();

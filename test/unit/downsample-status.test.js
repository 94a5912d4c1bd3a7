'use strict';
const assert = require('assert');
const { downsampleStatus: statusIn } = require('../../nodes/lib/downsample');
const { catalogTranslator, readCatalog } = require('../../nodes/i18n');

const english = catalogTranslator(readCatalog('en-US', 'influxdb-downsample'));
const downsampleStatus = (stats) => statusIn(stats, (key, vars) => english(`influxdb-downsample.${key}`, vars));

describe('downsample status badge', function () {
  it('shows open series and windows emitted in green while no point was late', function () {
    assert.deepStrictEqual(downsampleStatus({ openSeries: 12, windowsEmitted: 3, latePoints: 0 }), { fill: 'green', shape: 'dot', text: '12 series · 3 win' });
    assert.strictEqual(downsampleStatus({ openSeries: 0, windowsEmitted: 0, latePoints: 0 }).shape, 'ring');
  });

  it('turns yellow and names the late points', function () {
    const status = downsampleStatus({ openSeries: 12, windowsEmitted: 3, latePoints: 4 });
    assert.strictEqual(status.fill, 'yellow');
    assert.match(status.text, /late 4/);
  });

  it('stays under 20 characters with large numbers', function () {
    for (const stats of [
      { openSeries: 10000, windowsEmitted: 123456, latePoints: 0 },
      { openSeries: 10000, windowsEmitted: 98765432, latePoints: 1234567 },
      { openSeries: 99999999, windowsEmitted: 99999999, latePoints: 99999999 },
    ]) {
      const { text } = downsampleStatus(stats);
      assert.ok(text.length < 20, text);
    }
    assert.strictEqual(downsampleStatus({ openSeries: 10000, windowsEmitted: 123456, latePoints: 0 }).text, '10k ser · 123k win');
  });
});

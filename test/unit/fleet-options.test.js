'use strict';
// The remote's fleet options (issue #17): parsed from strings, `${VAR}` left unset by Node-RED named as such.
const assert = require('assert');
const { parseFleetOptions, jitterDelay } = require('../../nodes/lib/fleet/options');

describe('fleet options of a remote', function () {
  it('default to off', function () {
    assert.deepStrictEqual(parseFleetOptions({}), {
      options: { instanceId: '', rateLimitBytes: 0, rateLimitPeriodSeconds: 300, recoveryJitterSeconds: 0 },
      problems: [],
    });
  });

  it('read numbers given as strings', function () {
    const { options, problems } = parseFleetOptions({ instanceId: ' gw-3 ', rateLimitBytes: '5000000', rateLimitPeriodSeconds: '300', recoveryJitterSeconds: '30' });
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(options, { instanceId: 'gw-3', rateLimitBytes: 5000000, rateLimitPeriodSeconds: 300, recoveryJitterSeconds: 30 });
  });

  it('name an environment variable that Node-RED left unset, and never use ${VAR} as an id', function () {
    const { options, problems } = parseFleetOptions({ instanceId: '${GATEWAY_ID}', rateLimitBytes: '${QUOTA}' });
    assert.strictEqual(options.instanceId, '');
    assert.deepStrictEqual(problems, ['instance id: environment variable GATEWAY_ID is not set', 'rateLimitBytes: environment variable QUOTA is not set']);
  });

  it('refuse bad values with the property name', function () {
    const { problems } = parseFleetOptions({ instanceId: 'a\\b', rateLimitBytes: '-1', rateLimitPeriodSeconds: 0, recoveryJitterSeconds: 'x' });
    assert.strictEqual(problems.length, 3, problems.join(' | '));
    assert.match(problems[0], /backslash/);
    assert.match(problems[1], /^rateLimitBytes must be/);
    assert.match(problems[2], /^recoveryJitterSeconds must be/);
    assert.deepStrictEqual(parseFleetOptions({ rateLimitBytes: 10, rateLimitPeriodSeconds: 0 }).problems, [
      'rateLimitPeriodSeconds must be more than 0 when rateLimitBytes is set',
    ]);
  });

  it('jitter stays between 0 and the maximum', function () {
    assert.strictEqual(jitterDelay(0, () => 0.5), 0);
    assert.strictEqual(jitterDelay(1000, () => 0), 0);
    assert.strictEqual(jitterDelay(1000, () => 0.999999), 1000);
    assert.strictEqual(jitterDelay(1000, () => 7), 1000);
    assert.strictEqual(jitterDelay(1000, () => 0.25), 250);
  });
});

'use strict';
// The remote dialog's fleet fields (issue #17) accept exactly what the runtime accepts, `${VAR}` included, and the
// URL field lets `${VAR}` through (Node-RED puts the value in at deploy).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { parseFleetOptions } = require('../../nodes/lib/fleet/options');
const { checkRemoteURL, REMOTE_DEFAULTS } = require('../../nodes/lib/remote');

/** The remote editor file's definition, with just enough RED and jQuery for its validators (no dialog open). */
function remoteDefinition() {
  const html = fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', 'influxdb-remote.html'), 'utf8');
  const code = html.match(/<script type="text\/javascript">([\s\S]*?)<\/script>/)[1];
  let definition;
  // The node file hands the runtime's defaults to the editor as this setting.
  const RED = { _: (key) => key, settings: { influxdbRemoteDefaults: REMOTE_DEFAULTS }, nodes: { registerType: (type, def) => (definition = def) } };
  vm.runInNewContext(code, { RED, $: () => ({ length: 0, val: () => undefined }), URL, console });
  return definition;
}

describe('remote dialog: fleet fields', function () {
  const def = remoteDefinition();
  const accepts = (property, value) => def.defaults[property].validate.call({}, value, {}) === true;

  it('has the runtime defaults', function () {
    const { options } = parseFleetOptions({});
    assert.strictEqual(def.defaults.instanceId.value, options.instanceId);
    for (const name of ['rateLimitBytes', 'rateLimitPeriodSeconds', 'recoveryJitterSeconds']) assert.strictEqual(Number(def.defaults[name].value), options[name], name);
  });

  const values = {
    instanceId: ['', 'gw-7', 'plant 7,line=2', '${GATEWAY_ID}', 'a\\b', 'a\nb'],
    rateLimitBytes: ['', '0', '5000000', '${QUOTA}', '-1', 'abc', '1.5'],
    rateLimitPeriodSeconds: ['300', '1', '0.5', 'x', '-3'],
    recoveryJitterSeconds: ['0', '30', '86400', '86401', '${JITTER}', 'no'],
  };
  for (const [property, list] of Object.entries(values)) {
    it(`${property}: the dialog accepts exactly what the runtime accepts (a set \${VAR} counts as its value)`, function () {
      for (const value of list) {
        // The runtime sees ${VAR} replaced by its value; an unset one is refused there with its name.
        const runtimeValue = /^\$\{/.test(value) ? (property === 'instanceId' ? 'from-env' : '10') : value;
        const runtime = parseFleetOptions({ [property]: runtimeValue }).problems.length === 0;
        assert.strictEqual(accepts(property, value), runtime, `${property} ${JSON.stringify(value)}`);
      }
    });
  }

  it('the URL field accepts ${VAR}, and still refuses what the runtime refuses', function () {
    assert.strictEqual(accepts('remoteURL', '${FLEET_REMOTE_URL}'), true);
    for (const url of ['ftp://x', 'not a url', 'http://u:p@host']) assert.strictEqual(accepts('remoteURL', url), checkRemoteURL(url) === null, url);
  });
});

'use strict';
// The scripts people run by hand (the soak) load: a module moved or renamed under them shows here, not in the
// middle of someone's 60-minute soak.
const assert = require('assert');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');

describe('scripts load', function () {
  it('node scripts/soak.js --help prints its usage and exits 0', function () {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'soak.js'), '--help'], { encoding: 'utf8', timeout: 20000 });
    assert.match(out, /usage: node scripts\/soak\.js/);
  });
});

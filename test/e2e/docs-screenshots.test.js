'use strict';
// Issue #20: the documentation's pictures are made by the project's own tools. `npm run docs:screenshots`
// (scripts/screenshots.js: a real Node-RED and InfluxDB, headless chromium) is run into a temp folder, and every
// image it promises must exist and show something: a PNG that decodes, with varied pixels (not one flat colour).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { PNG } = require('pngjs');
const { IMAGES } = require('../../scripts/screenshots');

const ROOT = path.resolve(__dirname, '..', '..');

/** Standard deviation of the luminance and the number of distinct colours (sampled) of a decoded PNG. */
function pixelStats(png) {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  const colours = new Set();
  for (let i = 0; i < png.data.length; i += 4 * 7) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += y;
    sumSq += y * y;
    n++;
    colours.add((r << 16) | (g << 8) | b);
  }
  const mean = sum / n;
  return { stdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), colours: colours.size };
}

describe('documentation screenshots (npm run docs:screenshots)', function () {
  this.timeout(180000);
  let outDir;
  let output = '';
  before(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-screenshots-test-'));
    await new Promise((resolve, reject) => {
      execFile(process.execPath, [path.join(ROOT, 'scripts', 'screenshots.js'), `--out=${outDir}`], { cwd: ROOT, timeout: 170000 }, (err, stdout, stderr) => {
        output = stdout + stderr;
        if (err) reject(new Error(`scripts/screenshots.js failed: ${err.message}\n${output}`));
        else resolve();
      });
    });
  });
  after(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  for (const name of IMAGES) {
    it(`saves ${name}, a PNG that is not blank`, () => {
      const file = path.join(outDir, name);
      assert.ok(fs.existsSync(file), `${name} not written; output:\n${output}`);
      const png = PNG.sync.read(fs.readFileSync(file));
      assert.ok(png.width >= 300 && png.height >= 200, `${name} is only ${png.width}x${png.height}`);
      const { stdDev, colours } = pixelStats(png);
      assert.ok(stdDev > 10, `${name} is nearly one flat colour (luminance standard deviation ${stdDev.toFixed(1)})`);
      assert.ok(colours > 50, `${name} has only ${colours} colours`);
    });
  }

  it('docs/images holds (committed) every image the script makes', () => {
    for (const name of IMAGES) assert.ok(fs.existsSync(path.join(ROOT, 'docs', 'images', name)), `docs/images/${name} missing: run npm run docs:screenshots`);
  });
});

'use strict';
// Issue #20: the README is the package's page on npm and in the flow library. Its pictures and links, and those of
// docs/*.md and CHANGELOG.md, must point at files that are in the repository; it stays short and keeps the two
// commands a newcomer runs.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DOCS = path.join(ROOT, 'docs');
const PAGES = ['README.md', 'CHANGELOG.md', ...fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];

/** Image targets (Markdown `![..](x)` and HTML `<img src="x">`) and link targets (`[..](x)`) of a Markdown text. */
function targets(text) {
  const images = [];
  const links = [];
  for (const m of text.matchAll(/!\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) images.push(m[1]);
  for (const m of text.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)) images.push(m[1]);
  for (const m of text.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s]+)\)/g)) links.push(m[1]);
  return { images, links };
}

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** A relative target of `page` as a path inside the repository, or a sentence saying why it is not one. */
function resolveInRepo(page, target) {
  const file = path.resolve(ROOT, path.dirname(page), decodeURIComponent(target.split('#')[0]));
  if (path.relative(ROOT, file).startsWith('..')) return { problem: `${target} points outside the repository` };
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return { problem: `${target} is not a file in the repository` };
  return { file };
}

describe('README and docs', () => {
  it('finds images and links in Markdown and HTML', () => {
    const t = targets('![a](x.png) <img src="y.png" width="3"> [b](c.md#d) ![e](f.svg "t") [g](https://h)');
    assert.deepStrictEqual(t, { images: ['x.png', 'f.svg', 'y.png'], links: ['c.md#d', 'https://h'] });
  });

  for (const page of PAGES) {
    it(`${page}: every image and relative link resolves to a file in the repository`, () => {
      assert.ok(fs.existsSync(path.join(ROOT, page)), `${page} missing`);
      const { images, links } = targets(fs.readFileSync(path.join(ROOT, page), 'utf8'));
      const problems = [];
      for (const target of images) {
        // An image on npm or in the flow library must come with the repository, not from elsewhere.
        if (isExternal(target)) problems.push(`image ${target} is not in the repository`);
        else if (resolveInRepo(page, target).problem) problems.push(`image ${resolveInRepo(page, target).problem}`);
      }
      for (const target of links) {
        if (isExternal(target) || target.startsWith('#')) continue;
        const { problem } = resolveInRepo(page, target);
        if (problem) problems.push(`link ${problem}`);
      }
      assert.deepStrictEqual(problems, []);
    });
  }

  it('the README shows the editor and the outage, stays short, and keeps the two commands', () => {
    const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const { images } = targets(text);
    assert.ok(images.includes('docs/images/flow.png'), 'the flow with the Replication sidebar');
    assert.ok(images.includes('bench/results/outage.svg'), 'the outage plot');
    const lines = text.split('\n').length;
    assert.ok(lines <= 250, `README.md has ${lines} lines`);
    assert.match(text, /^npm install && npm start\b/m);
    assert.match(text, /^npm test\b/m);
  });
});

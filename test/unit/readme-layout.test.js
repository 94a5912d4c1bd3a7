'use strict';
// Issue #15: the README's Layout section matches the tree. Every folder it names exists, and every folder a
// newcomer meets (the top level, src/lib/*, test/*) has its line, so a new folder cannot land undescribed.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

/** The folders named at the start of each line of the first code block after "## Layout". */
function layoutFolders(readme) {
  const section = readme.split(/^## Layout$/m)[1];
  assert.ok(section, 'README.md has a "## Layout" section');
  const block = section.split('```')[1];
  assert.ok(block, 'the Layout section has a code block');
  return block
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((first) => first && first.endsWith('/'));
}

/** Sub-folders of `dir` (relative to the repository), without hidden ones and what git ignores (dependencies, test output). */
function foldersIn(dir, { keepHidden = [] } = {}) {
  const skip = new Set(['node_modules', 'build', 'coverage', 'test-artifacts']);
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !skip.has(e.name) && (!e.name.startsWith('.') || keepHidden.includes(e.name)))
    .map((e) => (dir ? `${dir}/${e.name}/` : `${e.name}/`));
}

describe('README Layout', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const named = layoutFolders(readme);

  it('reads the folder names out of a layout block', () => {
    const text = 'x\n## Layout\n\nintro\n\n```\nsrc/lib/a/   what\nnot-a-folder.ts  file\n```\n## Next\n```\nz/ no\n```';
    assert.deepStrictEqual(layoutFolders(text), ['src/lib/a/']);
  });

  it('names only folders that exist', () => {
    const missing = named.filter((folder) => !fs.existsSync(path.join(ROOT, folder)) || !fs.statSync(path.join(ROOT, folder)).isDirectory());
    assert.deepStrictEqual(missing, [], `README Layout names folders that are not in the tree: ${missing.join(', ')}`);
  });

  it('has a line for every top-level folder, every folder of src/lib and of test', () => {
    const expected = [...foldersIn('', { keepHidden: ['.ci'] }), ...foldersIn('src/lib'), ...foldersIn('test')];
    // A folder is described by its own line or by the lines of its sub-folders (test/ by test/unit/, ...).
    const undescribed = expected.filter((folder) => !named.some((n) => n.startsWith(folder)));
    assert.deepStrictEqual(undescribed, [], `README Layout has no line for: ${undescribed.join(', ')}`);
  });
});

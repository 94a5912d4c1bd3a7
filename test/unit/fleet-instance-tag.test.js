'use strict';
// The `_instance_id` tag (issue #17, point 3): added once to every line, where a sorted tag set has it, escaped
// as a tag value; lines that already carry it, comments and blank lines are left alone.
const assert = require('assert');
const { addInstanceTag, addInstanceTagToLines, escapeTagValue, instanceIdProblem } = require('../../nodes/lib/fleet/instance-tag');

describe('instance id tag', function () {
  it('goes after the measurement of a line without tags', function () {
    assert.strictEqual(addInstanceTag('cpu value=1 1700000000000000000', 'gw-1'), 'cpu,_instance_id=gw-1 value=1 1700000000000000000');
  });

  it('takes its sorted place among the tags (after upper-case keys, before lower-case ones)', function () {
    assert.strictEqual(addInstanceTag('cpu,Zone=a,host=b v=1', 'g'), 'cpu,Zone=a,_instance_id=g,host=b v=1');
    assert.strictEqual(addInstanceTag('cpu,A=1,B=2 v=1', 'g'), 'cpu,A=1,B=2,_instance_id=g v=1');
    assert.strictEqual(addInstanceTag('cpu,a=1 v=1', 'g'), 'cpu,_instance_id=g,a=1 v=1');
  });

  it('keeps a line that already has the tag, wherever it is', function () {
    for (const line of ['cpu,_instance_id=other v=1', 'cpu,host=a,_instance_id=other v=1 5', 'cpu,A=1,_instance_id=x\\ y,b=2 v="s p"']) {
      assert.strictEqual(addInstanceTag(line, 'gw'), line);
    }
  });

  it('reads escaped commas, spaces and equals signs in measurement and tags as text, not as separators', function () {
    assert.strictEqual(addInstanceTag('my\\ meas\\,x,k\\=1=v\\ 2 f=1', 'g'), 'my\\ meas\\,x,_instance_id=g,k\\=1=v\\ 2 f=1');
    // A field value with a comma and "_instance_id" inside quotes is not a tag.
    assert.strictEqual(addInstanceTag('m f="a,_instance_id=x" 1', 'g'), 'm,_instance_id=g f="a,_instance_id=x" 1');
  });

  it('leaves comments and blank lines alone', function () {
    assert.deepStrictEqual(addInstanceTagToLines(['# comment', '', '   ', 'm v=1'], 'g'), ['# comment', '', '   ', 'm,_instance_id=g v=1']);
  });

  it('escapes the id as a tag value, and refuses ids that cannot be one', function () {
    assert.strictEqual(escapeTagValue('plant 7,line=2'), 'plant\\ 7\\,line\\=2');
    assert.deepStrictEqual(addInstanceTagToLines(['m v=1'], 'plant 7,a=b'), ['m,_instance_id=plant\\ 7\\,a\\=b v=1']);
    assert.strictEqual(instanceIdProblem('gw-7.eu'), null);
    assert.match(instanceIdProblem('a\\'), /backslash/);
    assert.match(instanceIdProblem('a\nb'), /newline/);
  });

  it('adds the tag once: tagging tagged lines changes nothing', function () {
    const once = addInstanceTagToLines(['m,host=a v=1 1', 'n v=2'], 'gw');
    assert.deepStrictEqual(addInstanceTagToLines(once, 'gw'), once);
    assert.deepStrictEqual(addInstanceTagToLines(once, 'another'), once);
  });
});

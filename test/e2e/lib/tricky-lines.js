'use strict';
// A seeded generator of tricky line-protocol lines for the differential test: escapes, quotes, unicode,
// control characters, `=` `,` and spaces in every position, every field type (well and badly written),
// duplicate keys, timestamps at the edges of InfluxDB's range, comments, blank lines and CR/LF.
//
// Every line that carries a timestamp gets its own (the index), so no two lines overwrite each other in
// InfluxDB; lines without one are stamped "now" by each side and compared without their time.

/** mulberry32: a small seeded PRNG, so a failing run can be repeated with its seed. */
function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters a name may be made of, and raw characters that test the delimiters and escapes.
const PLAIN = ['m', 'a', 'b', 'v', 'x', '1', '_', '-', '.', 'é', '日', '😀', 'Ω'];
const SPECIAL = [',', '=', ' ', '"', '\\', '#', '\t', "'", '\u0001', '\u0007', '\u001f', '\u007f', '\u0000', '\r'];
const ESCAPES = ['\\,', '\\ ', '\\=', '\\"', '\\\\', '\\n', '\\t', '\\'];
const BASE_NS = 1600000000000000000n;

function generator(seed) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;

  function name({ maxLength = 4 } = {}) {
    const length = 1 + Math.floor(random() * maxLength);
    let text = '';
    for (let i = 0; i < length; i++) {
      const r = random();
      text += r < 0.8 ? pick(PLAIN) : r < 0.92 ? pick(ESCAPES) : pick(SPECIAL);
    }
    return text;
  }

  function stringValue() {
    let text = '';
    const length = Math.floor(random() * 5);
    for (let i = 0; i < length; i++) {
      const r = random();
      text += r < 0.5 ? pick(PLAIN) : r < 0.75 ? pick(ESCAPES) : pick([...SPECIAL, ',', ' ', '=', '\\"']);
    }
    // A raw newline stays inside the line only inside a string that no bare quote or backslash ends early.
    if (chance(0.05)) text = `${text.replace(/["\\]/g, '')}\n${pick(PLAIN)}`;
    const shape = random();
    if (shape < 0.8) return `"${text}"`;
    if (shape < 0.87) return `"${text}`; // unterminated
    if (shape < 0.94) return `"${text}"${pick(['x', '"', '\\', '"y"'])}`; // text after the closing quote
    return `${text}"`;
  }

  // Values of each type, well written.
  const TYPED = [
    () => pick(['1', '-1', '1.5', '-0', '.5', '5.', '-.5', '1e3', '1E-3', '1.5e+10', '1e-400', '0001', String(random() * 1000)]),
    () => pick(['1i', '-1i', '0i', '9223372036854775807i', '-9223372036854775808i', '00000000000000000000001i']),
    () => pick(['1u', '0u', '18446744073709551615u']),
    () => pick(['t', 'T', 'true', 'True', 'TRUE', 'f', 'F', 'false', 'False', 'FALSE']),
    () => stringValue(),
  ];
  const BAD = ['1.2.3', '1e', '-', '.', '+1', '0x10', 'NaN', 'nan', 'Infinity', '1e400', 'tRUE', 'yes', '1.5i', '1e3i', 'i', '-i', '1i5', '1ii',
    '-1u', '1.5u', '', '1-2', '1e+-5', '1e5.5', '--1', 'n', '"', '1\\,2', '1 ', 'ttrue', '9223372036854775808i'];

  /**
   * A value for `key`. A key keeps one type across lines (derived from its text), so that lines conflict on a
   * field's type only where a line asks for it (`otherType`): type conflicts between lines depend on how the
   * writes are batched, which is InfluxDB's business, not the line protocol's.
   */
  function value(key, { otherType = false } = {}) {
    if (chance(0.12)) return pick(BAD);
    let type = 0;
    for (const ch of key) type = (type * 31 + ch.codePointAt(0)) % 1000003;
    type = [0, 1, 2, 3, 4, 4, 0, 1, 3, 4][type % 10];
    if (otherType) type = (type + 1 + Math.floor(random() * 4)) % 5;
    // InfluxDB 1.x refuses every unsigned line (so they cannot conflict there): keep them a small share.
    if (type === 2 && chance(0.75)) type = 0;
    return TYPED[type]();
  }

  function fieldSet() {
    const count = 1 + Math.floor(random() * 3);
    const fields = [];
    for (let i = 0; i < count; i++) {
      let key = chance(0.5) ? pick(['v', 'w', 'f', 'time', 'x']) : name();
      let otherType = false;
      if (i > 0 && chance(0.15)) {
        key = fields[0][0]; // duplicate key, with the same type or another one
        otherType = chance(0.5);
      }
      fields.push([key, value(key, { otherType })]);
    }
    return fields.map(([key, val]) => `${key}=${val}`).join(chance(0.05) ? ',,' : ',');
  }

  function tagSet() {
    const count = Math.floor(random() * 3);
    let text = '';
    const keys = [];
    for (let i = 0; i < count; i++) {
      let key = chance(0.3) ? pick(['t', 'host', 'time', '_field', 't0']) : name();
      if (i > 0 && chance(0.1)) key = keys[0];
      keys.push(key);
      let val = name();
      if (chance(0.15)) val = '=' + val;
      if (chance(0.03)) val = '';
      text += `,${key}=${val}`;
    }
    return text;
  }

  function timestamp(index) {
    const r = random();
    if (r < 0.1) return '';
    if (r < 0.16) return ' ' + pick(['9223372036854775806', '-9223372036854775806', '9223372036854775807', '-9223372036854775807', '99999999999999999999', '-0', '0']);
    if (r < 0.2) return ' ' + pick(['-', '1.5', 'abc', '+5', '12 34', String(BASE_NS + BigInt(index)) + 'x']);
    return ' ' + String(BASE_NS + BigInt(index));
  }

  function separator() {
    return chance(0.9) ? ' ' : pick(['  ', '\t', ' \t', '\u0000', ' \u0000']);
  }

  /** One line (or a comment/blank line), without its newline. */
  function line(index) {
    const r = random();
    if (r < 0.03) return pick(['#', '# comment', '  # indented comment', '   ', '\t']);
    // A newline right after a backslash in a tag value: InfluxDB keeps it in the value.
    if (r < 0.04) return `m,t=${pick(PLAIN)}\\\n${pick(PLAIN)} v=1 ${BASE_NS + BigInt(index)}`;
    const lead = chance(0.05) ? pick([' ', '\t', '  ', '\u0000']) : '';
    const measurement = chance(0.5) ? pick(['m', 'cpu', 'm\\ x', 'm\\,x']) : name();
    const ts = timestamp(index);
    const head = `${lead}${measurement}${tagSet()}`;
    const tail = chance(0.05) ? pick([' ', '  ', '\t', '\r']) : '';
    return `${head}${separator()}${fieldSet()}${ts === '' ? '' : ts.replace(/^ /, separator())}${tail}`;
  }

  return { line, random };
}

/** `count` generated lines for `seed`. */
function trickyLines(seed, count) {
  const g = generator(seed);
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(g.line(i));
  return lines;
}

module.exports = { trickyLines, prng, BASE_NS };

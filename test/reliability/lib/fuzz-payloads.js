'use strict';
// Generated payloads for the bad-input fuzz test. Each case says what a correct node must do with it:
//   validLines   lines that MUST be accepted (valid by construction), in order
//   invalidLines lines that MUST be refused (broken by construction), each with a line number
//   anything else in the payload (random bytes, lone surrogates) may go either way, but must not crash or hang
// Valid lines carry the measurement `fuzzok`, a field `v` and a unique timestamp (ms * 1e6), so a remote can tell
// which of them arrived.

const UNICODE_SAMPLES = [
  'température', 'Größe', 'датчик', 'センサー', '传感器', '센서', 'מדחום', 'حساس', 'सेंसर',
  '🌡️', '👩‍🔬', '🏳️‍🌈', 'e\u0301\u0301\u0301', 'Z\u0351\u0352\u0353\u0354', '\u200d\u200c', 'ﬃ', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u{10FFFD}',
];

/** Escaping as line protocol wants it (the generator's own, independent of the module under test). */
const esc = {
  measurement: (s) => s.replace(/[, ]/g, '\\$&'),
  key: (s) => s.replace(/[,= ]/g, '\\$&'),
  str: (s) => s.replace(/["\\]/g, '\\$&'),
};

class FuzzPayloads {
  constructor(random, { startMs = Date.now() - 30 * 24 * 3600_000, allowHuge = true } = {}) {
    this.random = random;
    this.nextMs = startMs;
    this.allowHuge = allowHuge;
  }

  word() {
    const r = this.random;
    if (r.chance(0.5)) return r.pick(UNICODE_SAMPLES) + (r.chance(0.5) ? r.pick([' ', ',', '=', '"', '\\x', '']) + r.pick(UNICODE_SAMPLES) : '');
    return 'k' + r.int(0, 1e6);
  }

  /** A valid line with a fresh timestamp: unicode and characters that need escaping in every part. */
  validLine({ huge = false } = {}) {
    const r = this.random;
    const ms = this.nextMs++;
    const tags = [];
    const tagCount = r.int(0, 4);
    for (let i = 0; i < tagCount; i++) tags.push(`,${esc.key(`t${i}${this.word()}`)}=${esc.key(this.word())}`);
    const fields = [`v=${ms % 1000000}i`];
    if (r.chance(0.5)) fields.push(`${esc.key(this.word())}x=${r.pick(['1.5', '-2e10', 'true', 'F', '"' + esc.str(this.word()) + '"', '42u'])}`);
    if (huge) fields.push(`big="${'h'.repeat(r.int(100_000, 600_000))}"`);
    return { ms, line: `fuzzok${tags.join('')} ${fields.join(',')} ${ms}000000` };
  }

  /** A line broken on purpose, in one of many ways; never accidentally valid. */
  invalidLine() {
    const r = this.random;
    const { line } = this.validLine();
    const [head] = line.split(' v=');
    const breakers = [
      () => `${head}`, // no field set
      () => `${head} v=`, // empty field value
      () => `${head} v=1x 1000`, // bad number
      // (An open quote would take the following lines into its string, as InfluxDB does: four quotes stay balanced.)
      () => `${head} v="a"b"c" x`, // a string with text after its quotes, then a bad timestamp
      () => `${head} =1 1000`, // empty field key
      () => `${head} v=1 12a`, // bad timestamp
      () => `${head} v=1 99999999999999999999999`, // timestamp out of range
      () => `${head},=x v=1`, // empty tag key
      () => `${head},t v=1`, // tag without value
      () => `,${head} v=1`, // empty measurement
      () => `${head} v=1,`, // trailing comma in fields
      () => `${head} v=tru`, // not a boolean
      () => `${head} v=1i2`, // garbage after integer
      () => `${head} v=18446744073709551616u`, // unsigned overflow
      () => `${head} v=9223372036854775808i`, // integer overflow
      () => `${head} v=1 1000 extra`, // trailing garbage
    ];
    return r.pick(breakers)();
  }

  randomJunkLine() {
    const r = this.random;
    const n = r.int(1, 200);
    let s = '';
    for (let i = 0; i < n; i++) {
      const kind = r.int(0, 9);
      if (kind < 5) s += String.fromCharCode(r.int(32, 126));
      else if (kind < 7) s += String.fromCharCode(r.int(0, 31)).replace('\n', '');
      else if (kind < 8) s += String.fromCharCode(r.int(0xd800, 0xdfff)); // lone surrogate
      else s += r.pick(UNICODE_SAMPLES);
    }
    // A quote can open a string and a final backslash escapes the newline: either joins the next line to this one,
    // as InfluxDB splits a body (the line-protocol tests cover that); junk lines stay lines of their own here.
    s = s.replace(/"/g, "'");
    return s.endsWith('\\') ? s + 'x' : s;
  }

  validObject() {
    const r = this.random;
    const ms = this.nextMs++;
    const point = { measurement: 'fuzzok', fields: { v: ms % 1000000 }, timestamp: `${ms}000000` };
    if (r.chance(0.5)) point.tags = { [this.word()]: this.word() };
    if (r.chance(0.3)) point.fields.s = this.word();
    return { ms, point };
  }

  wrongValue(depth = 0) {
    const r = this.random;
    const deep = () => {
      let v = {};
      // A deep chain (no shared branches: those would make JSON exponential).
      for (let i = 0, n = r.int(10, 200); i < n; i++) v = i % 2 ? { nested: v } : [v];
      return v;
    };
    const options = [
      () => null, () => undefined, () => r.int(-1e9, 1e9), () => r.next(), () => NaN, () => Infinity, () => true, () => false,
      () => ({}), () => ({ measurement: 5, fields: { v: 1 } }), () => ({ measurement: 'm' }), () => ({ measurement: 'm', fields: {} }),
      () => ({ measurement: 'm', fields: { v: {} } }), () => ({ measurement: 'm', fields: { v: [1, 2] } }), () => ({ measurement: 'm', fields: { v: null } }),
      () => ({ measurement: 'm\nx', fields: { v: 1 } }), () => ({ measurement: 'm', tags: { t: { x: 1 } }, fields: { v: 1 } }),
      () => ({ measurement: 'm', fields: { v: 1 }, timestamp: 'yesterday' }), () => ({ measurement: 'm', fields: { v: 1 }, timestamp: {} }),
      () => ({ measurement: 'm', fields: { v: NaN } }), () => ({ measurement: 'm', fields: { v: Infinity } }),
      () => deep(), () => ({ measurement: 'm', fields: { v: deep() } }),
      () => (depth < 2 ? [this.wrongValue(depth + 1), [this.wrongValue(depth + 1)]] : 7),
    ];
    return r.pick(options)();
  }

  /**
   * One case. Kinds: text (valid, invalid, junk lines, blanks and comments mixed), huge (a valid line of 100 kB - 1 MB),
   * unicode (valid lines dense in unicode), bytes (random Buffer), objects (array of point objects and wrong values),
   * wrong (a payload of a wrong type), mixed-array (strings, Buffers, objects).
   */
  next() {
    const r = this.random;
    const kind = r.pick(['text', 'text', 'text', 'unicode', 'bytes', 'objects', 'wrong', 'mixed-array', this.allowHuge && r.chance(0.02) ? 'huge' : 'text']);
    const validLines = [];
    const validMs = [];
    let invalidCount = 0;
    let uncertain = 0;
    let payload;
    if (kind === 'text' || kind === 'unicode' || kind === 'huge') {
      const parts = [];
      const n = kind === 'huge' ? 1 : r.int(1, 30);
      for (let i = 0; i < n; i++) {
        const pick = kind === 'text' ? r.int(0, 9) : 0;
        if (pick <= 4) {
          const v = this.validLine({ huge: kind === 'huge' });
          parts.push(v.line);
          validLines.push(v.line);
          validMs.push(v.ms);
        } else if (pick <= 6) {
          parts.push(this.invalidLine());
          invalidCount++;
        } else if (pick === 7) {
          parts.push(r.pick(['', '   ', '\t', '# comment ' + this.word()]));
        } else {
          parts.push(this.randomJunkLine());
          uncertain++;
        }
      }
      payload = parts.join(r.chance(0.2) ? '\r\n' : '\n');
    } else if (kind === 'bytes') {
      const b = Buffer.alloc(r.int(0, 2000));
      for (let i = 0; i < b.length; i++) b[i] = r.int(0, 255);
      payload = b;
      uncertain = 1;
    } else if (kind === 'objects') {
      payload = [];
      for (let i = 0; i < r.int(1, 20); i++) {
        if (r.chance(0.5)) {
          const { ms, point } = this.validObject();
          payload.push(point);
          validMs.push(ms);
        } else {
          const wrong = this.wrongValue();
          payload.push(wrong);
          uncertain++;
        }
      }
    } else if (kind === 'wrong') {
      payload = this.wrongValue();
      uncertain = 1;
    } else {
      payload = [];
      for (let i = 0; i < r.int(1, 10); i++) {
        const v = this.validLine();
        const form = r.int(0, 2);
        payload.push(form === 0 ? v.line : form === 1 ? Buffer.from(v.line) : { measurement: 'fuzzok', fields: { v: 1 }, timestamp: `${v.ms}000000` });
        if (form !== 2) validLines.push(v.line);
        validMs.push(v.ms);
      }
    }
    return { kind, payload, validLines, validMs, invalidCount, uncertain };
  }
}

/** What makes an error message "clear": a sentence of sane length that names the problem, no internals leaking. */
function unclearReason(reason) {
  if (typeof reason !== 'string') return `reason is ${typeof reason}`;
  if (reason.length < 8) return `too short: ${JSON.stringify(reason)}`;
  if (reason.length > 600) return `too long (${reason.length} chars)`;
  if (/\[object Object\]|undefined is not|cannot read prop|is not a function|stack|at [\w.]+ \(/i.test(reason)) return `looks like an internal error: ${reason.slice(0, 200)}`;
  return null;
}

module.exports = { FuzzPayloads, unclearReason, UNICODE_SAMPLES };

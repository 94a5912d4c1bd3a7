'use strict';
// Checks one fuzz case against what preparePayload (the node's input stage) returned. Returns a list of
// problems (empty when the case is handled correctly).

const { unclearReason } = require('./fuzz-payloads');

function countTextLines(text) {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function checkCase(c, out) {
  const problems = [];
  if (!out || !Array.isArray(out.lines) || !Array.isArray(out.errors)) return [`bad result shape: ${JSON.stringify(out)}`];
  for (const e of out.errors) {
    const why = unclearReason(e.reason);
    if (why) problems.push(`unclear error (${c.kind}): ${why}`);
    if (!Number.isInteger(e.lineNumber) || e.lineNumber < 0) problems.push(`bad line number ${e.lineNumber}`);
  }
  if (typeof c.payload === 'string') {
    const total = countTextLines(c.payload);
    if (out.lines.length + out.errors.length + out.skipped !== total) {
      problems.push(`${c.kind}: ${out.lines.length} accepted + ${out.errors.length} refused + ${out.skipped} skipped != ${total} lines`);
    }
    for (const e of out.errors) if (e.lineNumber < 1 || e.lineNumber > total) problems.push(`line number ${e.lineNumber} outside 1..${total}`);
  }
  if (out.errors.length < c.invalidCount) problems.push(`${c.kind}: ${c.invalidCount} broken lines but only ${out.errors.length} errors`);
  // Every valid line is accepted, unchanged (its timestamp is already ns), in order.
  let at = 0;
  for (const line of c.validLines) {
    while (at < out.lines.length && out.lines[at] !== line) at++;
    if (at === out.lines.length) {
      problems.push(`${c.kind}: valid line not accepted (or out of order): ${JSON.stringify(line.slice(0, 200))}; errors: ${JSON.stringify(out.errors.slice(0, 3))}`);
      break;
    }
    at++;
  }
  // Point objects: each valid one became a line carrying its timestamp.
  if (c.kind === 'objects' || c.kind === 'mixed-array') {
    const stamps = new Set(out.lines.map((l) => l.slice(l.lastIndexOf(' ') + 1)));
    for (const ms of c.validMs) if (!stamps.has(`${ms}000000`)) problems.push(`${c.kind}: valid point at ${ms} ms not accepted; errors ${JSON.stringify(out.errors.slice(0, 3))}`);
  }
  return problems;
}

module.exports = { checkCase, countTextLines };

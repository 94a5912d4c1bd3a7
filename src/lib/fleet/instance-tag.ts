// The `_instance_id` tag that InfluxDB OSS replication adds to every point it forwards when influxd runs with
// `--instance-id`: two gateways writing the same series at the same timestamp then make two series on the
// remote instead of overwriting each other. Plain text rewriting of line protocol, no parsing of fields.

export const INSTANCE_TAG_KEY = '_instance_id';

/** Why an instance id cannot be a tag value, or null when it can. */
export function instanceIdProblem(id: string): string | null {
  // A backslash would escape the character after it (possibly the tag set's end); control characters and
  // newlines end a line.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(id)) return `instance id ${JSON.stringify(id)} must not contain a backslash, newline or control character`;
  return null;
}

/** The id as a line-protocol tag value: commas, equals signs and spaces escaped. */
export function escapeTagValue(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}

/**
 * Adds `_instance_id=<escaped id>` to the line's tag set, where a sorted tag set would have it (InfluxDB
 * accepts any order, but sorted is what it recommends). A line that already has the tag, a comment, a blank
 * line and a line without a measurement are returned as they are.
 */
export function addInstanceTag(line: string, escapedId: string): string {
  const start = firstNonBlank(line);
  if (start < 0 || line[start] === '#') return line;
  // The series key ends at the first unescaped space: measurement, then `,key=value` pairs (no quoting there).
  let end = start;
  while (end < line.length && line[end] !== ' ') end += line[end] === '\\' ? 2 : 1;
  end = Math.min(end, line.length);
  // Unescaped commas after the measurement start each tag.
  const commas: number[] = [];
  for (let i = start; i < end; i += line[i] === '\\' ? 2 : 1) if (line[i] === ',') commas.push(i);
  let insertAt = end;
  for (const comma of commas) {
    const key = tagKey(line, comma + 1, end);
    if (key === INSTANCE_TAG_KEY) return line;
    if (insertAt === end && key > INSTANCE_TAG_KEY) insertAt = comma;
  }
  return `${line.slice(0, insertAt)},${INSTANCE_TAG_KEY}=${escapedId}${line.slice(insertAt)}`;
}

/** Every line with the tag; the id is escaped once. */
export function addInstanceTagToLines(lines: readonly string[], instanceId: string): string[] {
  const escaped = escapeTagValue(instanceId);
  return lines.map((line) => addInstanceTag(line, escaped));
}

function firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) if (line[i] !== ' ' && line[i] !== '\t' && line[i] !== '\r') return i;
  return -1;
}

/** The tag key from `from` to its unescaped `=` (escapes kept as written, which compares like the key). */
function tagKey(line: string, from: number, end: number): string {
  let i = from;
  while (i < end && line[i] !== '=') i += line[i] === '\\' ? 2 : 1;
  return line.slice(from, Math.min(i, end));
}

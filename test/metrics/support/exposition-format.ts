/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it parses what /metrics renders and throws on
 * anything a Prometheus server would reject or that breaks the format's grouping rules, so tests can assert on
 * values instead of substrings. Stricter than Prometheus where the webhook never needs the leeway: no blank lines,
 * no free comments, no timestamps, and every family opens with HELP then TYPE.
 */

/** One sample: its full name (`_bucket`, `_sum`, `_count` included), labels unescaped, value. */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family: HELP (unescaped), TYPE and its samples in order. */
export interface ParsedFamily {
  readonly help: string;
  readonly type: string;
  readonly samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNumber: number, line: string, problem: string): never {
  throw new Error(`line ${lineNumber}: ${problem}: ${JSON.stringify(line)}`);
}

/** Unescapes a HELP text or label value: only the escapes the format defines. */
function unescape(text: string, quotes: boolean, lineNumber: number, line: string): string {
  return text.replace(/\\(.?)/g, (_match, next: string) => {
    if (next === '\\') return '\\';
    if (next === 'n') return '\n';
    if (next === '"' && quotes) return '"';
    return fail(lineNumber, line, `bad escape \\${next}`);
  });
}

/** Parses `{a="x",b="y"}` starting at `start`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, lineNumber: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let index = start + 1;
  while (line[index] !== '}') {
    const equals = line.indexOf('=', index);
    if (equals < 0) fail(lineNumber, line, 'label without =');
    const name = line.slice(index, equals);
    if (!LABEL_NAME.test(name)) fail(lineNumber, line, `bad label name ${name}`);
    if (name in labels) fail(lineNumber, line, `duplicate label ${name}`);
    if (line[equals + 1] !== '"') fail(lineNumber, line, 'label value not quoted');
    let end = equals + 2;
    while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
    if (end >= line.length) fail(lineNumber, line, 'unterminated label value');
    labels[name] = unescape(line.slice(equals + 2, end), true, lineNumber, line);
    index = end + 1;
    if (line[index] === ',') index++;
    else if (line[index] !== '}') fail(lineNumber, line, 'expected , or }');
  }
  return { labels, end: index + 1 };
}

/** The family a sample name belongs to, given the family being read. */
function belongsTo(sampleName: string, familyName: string, type: string): boolean {
  if (type === 'histogram') return [`${familyName}_bucket`, `${familyName}_sum`, `${familyName}_count`].includes(sampleName);
  return sampleName === familyName;
}

/** Checks a histogram family: per series, `le` buckets ascending and cumulative, `+Inf` equal to `_count`, one `_sum`. */
function checkHistogram(name: string, family: ParsedFamily): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(rest);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${name}: bucket without le`);
      entry.buckets.push([le === '+Inf' ? Infinity : Number(le), sample.value]);
    } else if (le !== undefined) {
      throw new Error(`${name}: le on ${sample.name}`);
    } else if (sample.name.endsWith('_sum')) {
      if (entry.sum !== undefined) throw new Error(`${name}: two _sum for ${key}`);
      entry.sum = sample.value;
    } else {
      if (entry.count !== undefined) throw new Error(`${name}: two _count for ${key}`);
      entry.count = sample.value;
    }
  }
  for (const [key, { buckets, sum, count }] of series) {
    if (sum === undefined || count === undefined) throw new Error(`${name}: ${key} lacks _sum or _count`);
    const last = buckets.at(-1);
    if (last?.[0] !== Infinity) throw new Error(`${name}: ${key} lacks the +Inf bucket`);
    if (last[1] !== count) throw new Error(`${name}: ${key} +Inf ${last[1]} != count ${count}`);
    buckets.forEach(([bound, value], index) => {
      const previous = buckets[index - 1];
      if (previous && (bound <= previous[0] || value < previous[1])) throw new Error(`${name}: ${key} buckets not ascending/cumulative`);
    });
  }
}

/** Parses exposition text into families by name; throws on the first violation. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('text does not end with a line feed');
  const families = new Map<string, ParsedFamily>();
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  let current: { name: string; family: ParsedFamily } | undefined;
  let pendingHelp: { name: string; help: string } | undefined;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.startsWith('# HELP ')) {
      const [, name = '', help = ''] = /^# HELP (\S+) (.*)$/.exec(line) ?? fail(lineNumber, line, 'bad HELP');
      if (!METRIC_NAME.test(name)) fail(lineNumber, line, 'bad metric name');
      if (families.has(name) || pendingHelp) fail(lineNumber, line, 'HELP repeated or not followed by TYPE');
      pendingHelp = { name, help: unescape(help, false, lineNumber, line) };
    } else if (line.startsWith('# TYPE ')) {
      const [, name = '', type = ''] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? fail(lineNumber, line, 'bad TYPE');
      if (pendingHelp?.name !== name) fail(lineNumber, line, 'TYPE not right after its HELP');
      if (!TYPES.has(type)) fail(lineNumber, line, 'unknown type');
      current = { name, family: { help: pendingHelp.help, type, samples: [] } };
      families.set(name, current.family);
      pendingHelp = undefined;
    } else {
      if (line === '' || line.startsWith('#')) fail(lineNumber, line, 'blank line or stray comment');
      if (!current || pendingHelp) fail(lineNumber, line, 'sample before its HELP and TYPE');
      const nameEnd = line.search(/[{ ]/);
      if (nameEnd < 0) fail(lineNumber, line, 'no value');
      const name = line.slice(0, nameEnd);
      if (!METRIC_NAME.test(name)) fail(lineNumber, line, 'bad metric name');
      if (!belongsTo(name, current.name, current.family.type)) fail(lineNumber, line, `sample outside its family ${current.name}`);
      const { labels, end } = line[nameEnd] === '{' ? parseLabels(line, nameEnd, lineNumber) : { labels: {}, end: nameEnd };
      if (line[end] !== ' ') fail(lineNumber, line, 'expected one space before the value');
      const valueText = line.slice(end + 1);
      if (!FLOAT.test(valueText)) fail(lineNumber, line, 'bad value (or a timestamp)');
      const value = valueText.endsWith('Inf') ? (valueText.startsWith('-') ? -Infinity : Infinity) : Number(valueText);
      const key = JSON.stringify([name, Object.entries(labels).sort()]);
      if (current.family.samples.some((sample) => JSON.stringify([sample.name, Object.entries(sample.labels).sort()]) === key)) {
        fail(lineNumber, line, 'duplicate series');
      }
      current.family.samples.push({ name, labels, value });
    }
  });
  if (pendingHelp) throw new Error(`HELP for ${pendingHelp.name} without TYPE`);
  for (const [name, family] of families) if (family.type === 'histogram') checkHistogram(name, family);
  return families;
}

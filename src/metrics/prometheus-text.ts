/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): escaping, number formatting and
 * the lines of one metric family. Only this file knows the syntax; the metric types hold numbers.
 */

/** The content type of the exposition text. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What a family is: counters only go up, gauges are read as they are, histograms are cumulative buckets. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A metric family's name, HELP text and TYPE. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
}

/** One sample of a family computed at scrape time; `labels` in the order they are to be written. */
export interface Sample {
  readonly labels?: readonly (readonly [name: string, value: string])[];
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws unless `name` is a valid metric name: a typo here would make Prometheus reject the whole scrape. */
function checkMetricName(name: string): string {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  return name;
}

/** A family with its name checked (see checkMetricName). */
export function metricFamily(name: string, type: MetricType, help: string): MetricFamily {
  return { name: checkMetricName(name), help, type };
}

/** Throws unless `name` is a valid label name that is not reserved (`__` prefix) and not `le` (histograms own it). */
export function checkLabelName(name: string): string {
  if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'le') throw new Error(`invalid label name ${JSON.stringify(name)}`);
  return name;
}

/** A label value escaped for the text format: backslash, double quote and line feed are the only escapes it has. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (character) => (character === '\n' ? '\\n' : `\\${character}`));
}

/** HELP text escaped: backslash and line feed (a double quote needs no escape there). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (character) => (character === '\n' ? '\\n' : '\\\\'));
}

/** A sample value as Go's ParseFloat reads it: `NaN`, `+Inf`, `-Inf`, otherwise JavaScript's shortest form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `{a="x",b="y"}` for label pairs, or nothing for none; values escaped. */
export function labelText(labels: readonly (readonly [name: string, value: string])[]): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** One sample line: name, labels, value. */
export function sampleLine(name: string, labels: string, value: number): string {
  return `${name}${labels} ${formatValue(value)}\n`;
}

/** The `# HELP` and `# TYPE` lines that open a family (written even when it has no samples yet, as prom-client did). */
export function familyHeader(family: MetricFamily): string {
  return `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
}

/** A whole family of counter or gauge samples computed at scrape time. */
export function familyText(family: MetricFamily, samples: Iterable<Sample>): string {
  let text = familyHeader(family);
  for (const sample of samples) text += sampleLine(family.name, labelText(sample.labels ?? []), sample.value);
  return text;
}

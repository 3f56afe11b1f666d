import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, formatValue, labelText } from '../../src/metrics/prometheus-text.js';
import { parseExposition } from './support/exposition-format.js';

describe('prometheus-text', () => {
  it.each([
    [0, '0'], [42, '42'], [0.00025, '0.00025'], [1.5e-7, '1.5e-7'], [1e21, '1e+21'], [-3, '-3'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ])('formats %d as %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it.each([
    ['plain', 'plain'], ['a"b', 'a\\"b'], ['a\\b', 'a\\\\b'], ['a\nb', 'a\\nb'], ['\\"\n', '\\\\\\"\\n'], ['tab\tstays', 'tab\tstays'],
  ])('escapes the label value %j as %j', (value, escaped) => {
    expect(escapeLabelValue(value)).toBe(escaped);
  });

  it('escapes HELP text: backslash and line feed, not double quotes', () => {
    expect(escapeHelp('a "b" \\ c\nd')).toBe('a "b" \\\\ c\\nd');
  });

  it('writes labels in the order given, or nothing for none', () => {
    expect(labelText([['b', '1'], ['a', '"']])).toBe('{b="1",a="\\""}');
    expect(labelText([])).toBe('');
  });
});

/** The test reader must reject what Prometheus would, or the metrics tests that lean on it prove nothing. */
describe('the exposition-format reader used by the tests', () => {
  const HEADER = '# HELP m_total Things.\n# TYPE m_total counter\n';

  it.each([
    ['an unescaped quote in a label value', `${HEADER}m_total{a="x"y"} 1\n`],
    ['an unknown escape', `${HEADER}m_total{a="x\\ty"} 1\n`],
    ['a sample before HELP and TYPE', 'm_total 1\n# HELP m_total Things.\n# TYPE m_total counter\n'],
    ['a family opened twice', `${HEADER}m_total 1\n${HEADER}`],
    ['TYPE without HELP', '# TYPE m_total counter\nm_total 1\n'],
    ['a sample of another family', `${HEADER}n_total 1\n`],
    ['a duplicate series', `${HEADER}m_total{a="1"} 1\nm_total{a="1"} 2\n`],
    ['a bad value', `${HEADER}m_total 1,5\n`],
    ['a timestamp', `${HEADER}m_total 1 1700000000000\n`],
    ['a missing final line feed', `${HEADER}m_total 1`],
    ['a blank line', `${HEADER}\nm_total 1\n`],
    ['a histogram without +Inf', '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose +Inf is not its count', '# HELP h x\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
    ['non-cumulative buckets', '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseExposition(text)).toThrow();
  });

  it('reads a well-formed text', () => {
    const families = parseExposition(`${HEADER}m_total{a="x\\\\\\"\\n"} 3\n# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 7.5\nh_count 2\n`);
    expect(families.get('m_total')).toEqual({ help: 'Things.', type: 'counter', samples: [{ name: 'm_total', labels: { a: 'x\\"\n' }, value: 3 }] });
    expect(families.get('h')?.samples).toHaveLength(4);
  });
});

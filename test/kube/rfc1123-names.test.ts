import { describe, expect, it } from 'vitest';
import { isDnsLabel, isDnsSubdomain } from '../../src/kube/rfc1123-names.js';

const label63 = `a${'b'.repeat(61)}c`;

describe('isDnsLabel', () => {
  it.each([
    ['workspace-storage-webhook', true],
    ['a', true],
    ['0abc9', true],
    [label63, true],
    [`${label63}d`, false], // 64 characters
    ['', false],
    ['-a', false],
    ['a-', false],
    ['A', false],
    ['a.b', false],
    ['a_b', false],
  ])('%s -> %s', (name, valid) => {
    expect(isDnsLabel(name)).toBe(valid);
  });
});

describe('isDnsSubdomain', () => {
  const long = (length: number) => Array.from({ length: Math.ceil(length / 2) }, () => 'a').join('.').slice(0, length);
  it.each([
    ['longhorn', true],
    ['local-path', true],
    ['workspace-storage.dev', true],
    [long(253), true],
    [`${long(253)}b`, false], // 254 characters
    ['', false],
    ['a..b', false],
    ['.a', false],
    ['a.', false],
    ['Longhorn', false],
    ['a_b', false],
  ])('%s -> %s', (name, valid) => {
    expect(isDnsSubdomain(name)).toBe(valid);
  });
});

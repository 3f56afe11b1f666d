import fc from 'fast-check';

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');

/**
 * A DNS-1123 label (what the API server requires of volume and container names): lower-case alphanumerics and
 * `-`, alphanumeric at both ends, 1..63 characters. Biased towards the 63-character limit, where truncation bugs live.
 */
export const dnsLabel: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...ALNUM),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...ALNUM, '-'), maxLength: 10 }),
      fc.string({ unit: fc.constantFrom(...ALNUM, '-'), minLength: 55, maxLength: 61 }),
    ),
    fc.constantFrom(...ALNUM),
  )
  .map(([head, middle, tail]) => `${head}${middle}${tail}`.slice(0, 63));

/** Text with unicode (astral planes, combining marks, right-to-left override) that must pass through as opaque values. */
export const unicodeText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('ünïcødé', '工作区', '🚀✨', 'שלום', 'e\u0301', '\u202e'),
);

/** Label and annotation keys, including `/` and `~` (JSON Pointer escaping) and the keys the webhook reads. */
export const metadataKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'app.kubernetes.io/instance', 'com.coder.workspace.id', 'example.com/a~b', 'x~1y', 'a/b/c', '~0', '~',
    'volume.beta.kubernetes.io/storage-class', 'workspace-storage.dev/original-storage-class',
  ),
  fc.tuple(fc.constantFrom('', 'example.com/', 'a~b.io/'), dnsLabel).map(([prefix, name]) => `${prefix}${name}`),
);

/** A map of extra labels or annotations with awkward keys and unicode values. */
export const metadataMap: fc.Arbitrary<Record<string, string>> = fc
  .array(fc.tuple(metadataKey, unicodeText), { maxLength: 4 })
  .map((entries) => Object.fromEntries(entries));

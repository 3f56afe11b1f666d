import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Pieces, base64Patch, PIECES_FROM_OPERATIONS } from '../../src/admission/patch-base64.js';
import type { PatchOperation } from '../../src/core/json-patch.js';

const mount = (index: number, name: string): PatchOperation =>
  ({ op: 'add', path: `/spec/containers/${index}/volumeMounts/-`, value: { name, mountPath: `/home/coder/${name}` } });

describe('base64Patch', () => {
  it('an ordinary patch is one base64 string of its JSON', () => {
    const operations = [mount(0, 'node-modules'), mount(0, 'next')];
    expect(base64Patch(operations)).toBe(Buffer.from(JSON.stringify(operations)).toString('base64'));
  });

  it('a very large patch comes in pieces that join into exactly the base64 of its JSON, whatever its characters', () => {
    fc.assert(fc.property(
      fc.integer({ min: PIECES_FROM_OPERATIONS, max: PIECES_FROM_OPERATIONS * 4 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      (count, name) => {
        const operations = Array.from({ length: count }, (_, index) => mount(index, `${name}${index % 7}`));
        const encoded = base64Patch(operations);
        expect(encoded).toBeInstanceOf(Base64Pieces);
        const pieces = encoded as Base64Pieces;
        expect(pieces.pieces.length).toBeGreaterThan(1);
        const expected = Buffer.from(JSON.stringify(operations)).toString('base64');
        expect(pieces.toJSON()).toBe(expected);
        expect(JSON.parse(Buffer.from(pieces.toJSON(), 'base64').toString('utf8'))).toEqual(operations);
      },
    ), { numRuns: 25 });
  });
});

import type { PatchOperation } from '../core/json-patch.js';

/**
 * Operations past which the patch is encoded in pieces: a template pod's patch has about ten, and a pod has to
 * carry thousands of containers to come near this.
 */
export const PIECES_FROM_OPERATIONS = 2048;
/** UTF-8 bytes of patch JSON encoded per piece (a multiple of 3, so pieces join into one base64 text). */
const PIECE_BYTES = 3 * 21_846;

/**
 * A large patch, already base64 (Latin-1 bytes), in pieces: the answer is written piece by piece and never exists
 * as one string. A 50,000-container pod's patch is ~19 MB of base64; as strings (the JSON, its UTF-8 bytes, the
 * base64 text, the answer text, the bytes written) it took ~85 MB at once and the server past its 256Mi limit
 * (test/hostile/memory-ceiling.e2e.test.ts). `toJSON` gives the one string, for tests and JSON.stringify.
 */
export class Base64Pieces {
  constructor(readonly pieces: readonly Buffer[]) {}

  toJSON(): string {
    return Buffer.concat(this.pieces).toString('latin1');
  }
}

/** The JSON patch `operations`, base64: one string for ordinary patches, {@link Base64Pieces} for very large ones. */
export function base64Patch(operations: readonly PatchOperation[]): string | Base64Pieces {
  if (operations.length < PIECES_FROM_OPERATIONS) return Buffer.from(JSON.stringify(operations)).toString('base64');
  const pieces: Buffer[] = [];
  let carry: Buffer | undefined;
  let text = '[';
  const encode = (final: boolean): void => {
    const utf8 = carry === undefined ? Buffer.from(text) : Buffer.concat([carry, Buffer.from(text)]);
    const whole = final ? utf8.length : utf8.length - (utf8.length % 3);
    carry = whole < utf8.length ? Buffer.from(utf8.subarray(whole)) : undefined;
    pieces.push(Buffer.from(utf8.subarray(0, whole).toString('base64'), 'latin1'));
    text = '';
  };
  for (let index = 0; index < operations.length; index++) {
    // The same text as JSON.stringify(operations): each element stringified, comma-separated, in brackets.
    text += (index === 0 ? '' : ',') + JSON.stringify(operations[index]);
    if (text.length >= PIECE_BYTES) encode(false);
  }
  text += ']';
  encode(true);
  return new Base64Pieces(pieces);
}

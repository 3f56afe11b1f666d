/**
 * Escapes one JSON Pointer reference token (RFC 6901 section 3): `~` becomes `~0` first, then `/` becomes `~1`.
 * The order matters: escaping `/` first would turn `~1` into `~01`. Label and annotation keys such as
 * `app.kubernetes.io/name` need this.
 */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

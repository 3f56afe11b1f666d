/**
 * Mount paths compared the way the kubelet sees them: `/home/coder/` and `/home/coder` are the same directory.
 * Paths are absolute and never contain `..` once configuration and annotations have been validated.
 */

/** Removes trailing slashes (keeping `/` itself) so two spellings of one directory compare equal. */
export function normalizeMountPath(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** Whether `ancestor` is a strict ancestor directory of `path` (both normalized). */
export function isAncestorPath(ancestor: string, path: string): boolean {
  if (ancestor === '/') return path !== '/';
  return path.length > ancestor.length && path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47;
}

/** Joins a project path and a relative directory name into a normalized absolute path. */
export function joinPath(base: string, relative: string): string {
  const head = normalizeMountPath(base);
  const tail = relative.replace(/^\/+|\/+$/g, '');
  return head === '/' ? `/${tail}` : `${head}/${tail}`;
}

/**
 * Whether `path` is an absolute, clean path: starts with `/`, no empty, `.` or `..` segments, no NUL, and not
 * absurdly long. Config and annotations are checked with this so the core never builds a path that escapes.
 */
export function isCleanAbsolutePath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path[0] !== '/' || path.includes('\0')) return false;
  if (path === '/') return true;
  const segments = normalizeMountPath(path).slice(1).split('/');
  return segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * Volume names the webhook adds. They must be DNS-1123 labels (lower-case alphanumerics and `-`, at most 63
 * characters, alphanumeric at both ends: pkg/apis/core/validation ValidateVolumes), unique within the pod and
 * the same for the same path on every pass, so a second pass recognises its own volume and adds nothing.
 */

import { boundedMemo } from '../kube/bounded-memo.js';

const MAX_LABEL = 63;

/** The prefixes of the volumes the webhook adds: memory-backed (tmpfs) and disk-backed (container engines). */
export type VolumePrefix = 'tmpfs' | 'containers';

/** FNV-1a 32-bit over UTF-16 code units: tiny, stable across versions, good enough to tell paths apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Lower-cases and replaces every run of characters outside [a-z0-9] with one `-`, trimming `-` at the ends. */
function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function computeVolumeName(prefix: VolumePrefix, path: string): string {
  const hash = fnv1a(path);
  const lastSegment = path.slice(path.lastIndexOf('/') + 1);
  const room = MAX_LABEL - prefix.length - hash.length - 2;
  const middle = slug(lastSegment).slice(0, room).replace(/-+$/, '');
  return middle ? `${prefix}-${middle}-${hash}` : `${prefix}-${hash}`;
}

/**
 * Names per prefix, memoized: the same few target paths come back on every review, and hashing and slugging
 * them was a visible share of the decision's CPU time.
 */
const NAMES: Readonly<Record<VolumePrefix, (path: string) => string>> = {
  tmpfs: boundedMemo((path) => computeVolumeName('tmpfs', path)),
  containers: boundedMemo((path) => computeVolumeName('containers', path)),
};

/**
 * The volume name for `path` with `prefix`: `<prefix>-<slug of the last segment>-<hash of path>`,
 * e.g. `/home/coder/app/node_modules` -> `tmpfs-node-modules-1a2b3c4d`. The hash keeps two projects' `node_modules`
 * apart; the slug keeps the name readable in `kubectl describe`.
 */
export function volumeNameForPath(prefix: VolumePrefix, path: string): string {
  return NAMES[prefix](path);
}

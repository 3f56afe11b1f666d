import type { Container, Volume } from './kube-types.js';
import { normalizeMountPath } from './mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { volumeNameForPath } from './volume-name.js';

/** An emptyDir to mount at `path` in the containers at `containerIndexes`. */
export interface EmptyDirMountRequest {
  /** Normalized absolute mount path. */
  readonly path: string;
  /** Volume name prefix: `tmpfs` or `containers`. */
  readonly prefix: string;
  readonly emptyDir: { readonly medium?: 'Memory'; readonly sizeLimit: string };
  readonly containerIndexes: readonly number[];
}

/** Whether `container` already has a mount at `path` (normalized): such a mount is the user's and stays. */
export function hasMountAt(container: Container, path: string): boolean {
  for (const mount of container.volumeMounts ?? []) {
    if (normalizeMountPath(mount.mountPath) === path) return true;
  }
  return false;
}

/** Whether an existing volume is the one this webhook would have made for `request` (same emptyDir medium). */
function isOurs(volume: Volume, request: EmptyDirMountRequest): boolean {
  const emptyDir = volume.emptyDir;
  return typeof emptyDir === 'object' && emptyDir !== null && (emptyDir.medium ?? '') === (request.emptyDir.medium ?? '');
}

/**
 * Picks the volume name for the request: the stable name for its path, or, when a different volume already uses
 * that name, the first free or matching variant. Deterministic, so a second pass lands on the same name.
 */
function chooseVolumeName(builder: PodPatchBuilder, request: EmptyDirMountRequest): string {
  for (let attempt = 0; ; attempt++) {
    const name = volumeNameForPath(request.prefix, attempt === 0 ? request.path : `${request.path}#${attempt}`);
    const existing = builder.findVolume(name);
    if (!existing || isOurs(existing, request)) return name;
  }
}

/**
 * Adds the emptyDir volume and its mounts to the builder and returns the names of the containers that got the
 * mount. A container that already has a mount at the path, its own or one an earlier plan added (a tmpfs target
 * that is also a container-storage path), is skipped: two mounts at one path make the API server reject the pod.
 */
export function addEmptyDirMount(
  builder: PodPatchBuilder,
  containers: readonly Container[],
  request: EmptyDirMountRequest,
): string[] {
  const targets = request.containerIndexes.filter((index) => {
    const container = containers[index];
    return container !== undefined && !hasMountAt(container, request.path) && !builder.hasPendingMount(index, request.path);
  });
  if (targets.length === 0) return [];
  const name = chooseVolumeName(builder, request);
  builder.addVolume({ name, emptyDir: { ...request.emptyDir } });
  for (const index of targets) builder.addMount(index, { name, mountPath: request.path });
  return targets.map((index) => containers[index]?.name ?? String(index));
}

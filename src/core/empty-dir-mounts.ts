import type { Container, Volume } from '../kube/kube-types.js';
import { normalizeMountPath } from '../kube/mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { volumeNameForPath, type VolumePrefix } from './volume-name.js';

/** An emptyDir to mount at `path` in the containers at `containerIndexes`. */
export interface EmptyDirMountRequest {
  /** Normalized absolute mount path. */
  readonly path: string;
  readonly prefix: VolumePrefix;
  /** Becomes the new volume's `emptyDir` as it is: pass an object of this request's own. */
  readonly emptyDir: { readonly medium?: 'Memory'; readonly sizeLimit: string };
  /**
   * The containers that need the mount: none of them has a mount at `path`, neither its own nor one an earlier
   * plan added (a tmpfs target that is also a container-storage path). Two mounts at one path make the API server
   * reject the pod, so callers check this with {@link hasMountAt} and `builder.hasPendingMount` first.
   */
  readonly containerIndexes: readonly number[];
}

/** Whether `container` already has a mount at `path` (normalized): such a mount is the user's and stays. */
export function hasMountAt(container: Container, path: string): boolean {
  for (const mount of container.volumeMounts ?? []) {
    if (normalizeMountPath(mount.mountPath) === path) return true;
  }
  return false;
}

/**
 * Whether an existing volume is the one this webhook would have made for the request: an emptyDir under the name
 * derived from the path. Whatever its medium: with `tmpfs.medium: auto` a second pass may weigh memory differently
 * (another webhook changed a limit), and must still find the volume it made instead of adding another.
 */
function isOurs(volume: Volume): boolean {
  // Reviews carry JSON: `emptyDir: null` is possible whatever the type says.
  const emptyDir: unknown = volume.emptyDir;
  return typeof emptyDir === 'object' && emptyDir !== null;
}

/**
 * Picks the volume name for the request: the stable name for its path, or, when a different volume already uses
 * that name, the first free or matching variant. Deterministic, so a second pass lands on the same name.
 */
function chooseVolumeName(builder: PodPatchBuilder, request: EmptyDirMountRequest): string {
  for (let attempt = 0; ; attempt++) {
    const name = volumeNameForPath(request.prefix, attempt === 0 ? request.path : `${request.path}#${attempt}`);
    const existing = builder.findVolume(name);
    if (!existing || isOurs(existing)) return name;
  }
}

/**
 * Adds the emptyDir volume and its mounts to the builder and returns the names of the containers that got the
 * mount (empty when `containerIndexes` is).
 */
export function addEmptyDirMount(
  builder: PodPatchBuilder,
  containers: readonly Container[],
  request: EmptyDirMountRequest,
): string[] {
  const names: string[] = [];
  if (request.containerIndexes.length === 0) return names;
  const name = chooseVolumeName(builder, request);
  builder.addVolume({ name, emptyDir: request.emptyDir });
  for (const index of request.containerIndexes) {
    builder.addMount(index, { name, mountPath: request.path });
    names.push(containers[index]?.name ?? String(index));
  }
  return names;
}

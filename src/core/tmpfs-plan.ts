import type { Config } from '../config/config-types.js';
import type { Mutation, PlanResult } from './decision-types.js';
import { addEmptyDirMount } from './empty-dir-mounts.js';
import type { Container } from './kube-types.js';
import { memoryWarnings } from './memory-warnings.js';
import { isAncestorPath, normalizeMountPath } from './mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { tmpfsTargetsFor } from './tmpfs-targets.js';

/** How a container's mounts relate to a target path. */
type Placement = 'mounted' | 'below-volume' | 'elsewhere';

/**
 * `mounted`: the container has a mount at `target` (its own, which stays); `below-volume`: it mounts a volume at
 * a strict ancestor of `target` (so `target` lives on that volume); `elsewhere`: neither. One pass over the mounts.
 */
function placementOf(container: Container, target: string): Placement {
  let belowVolume = false;
  for (const mount of container.volumeMounts ?? []) {
    const path = normalizeMountPath(mount.mountPath);
    if (path === target) return 'mounted';
    if (!belowVolume && isAncestorPath(path, target)) belowVolume = true;
  }
  return belowVolume ? 'below-volume' : 'elsewhere';
}

/**
 * Plans the memory-backed emptyDirs: for each project path P and configured directory D, target T = P/D; every
 * regular container that mounts a volume at an ancestor of T (the PVC holding the project) gets an emptyDir
 * `{medium: Memory, sizeLimit}` at T, unless it already has a mount at T. Init and ephemeral containers are left
 * alone: installs and builds run in the main containers, and an init container's writes would be lost anyway.
 */
export function planTmpfs(
  builder: PodPatchBuilder,
  containers: readonly Container[],
  annotations: Readonly<Record<string, unknown>> | undefined,
  config: Config,
): PlanResult {
  const { targets, problems } = tmpfsTargetsFor(annotations, config.tmpfs);
  const mutations: Mutation[] = [];
  const notes: string[] = [];
  const addedBytes = new Map<number, number>();

  for (const { path, dir } of targets) {
    const candidates: number[] = [];
    let alreadyMounted = 0;
    for (let index = 0; index < containers.length; index++) {
      const container = containers[index];
      if (container === undefined) continue;
      // A mount this builder already adds counts as the container's own: targets are distinct and tmpfs plans
      // first, so this does not happen today, but two mounts at one path would make the API server reject the pod.
      const placement = builder.hasPendingMount(index, path) ? 'mounted' : placementOf(container, path);
      if (placement === 'mounted') alreadyMounted++;
      else if (placement === 'below-volume') candidates.push(index);
    }
    if (candidates.length === 0) {
      notes.push(
        alreadyMounted > 0
          ? `tmpfs ${path}: already mounted`
          : `tmpfs ${path}: skipped, no container mounts a volume above it`,
      );
      continue;
    }
    const names = addEmptyDirMount(builder, containers, {
      path,
      prefix: 'tmpfs',
      emptyDir: { medium: 'Memory', sizeLimit: dir.sizeLimit },
      containerIndexes: candidates,
    });
    for (const index of candidates) addedBytes.set(index, (addedBytes.get(index) ?? 0) + dir.bytes);
    mutations.push({ type: 'tmpfs', detail: `${path}=${dir.sizeLimit} in ${names.join(',')}` });
  }
  const memory = memoryWarnings(containers, addedBytes);
  return { operations: [], mutations, warnings: problems.length === 0 ? memory : [...problems, ...memory], notes };
}

import type { Config } from '../config/config-types.js';
import type { Mutation, PlanResult } from './decision-types.js';
import { addEmptyDirMount, hasMountAt } from './empty-dir-mounts.js';
import type { Container } from './kube-types.js';
import { memoryWarnings } from './memory-warnings.js';
import { isAncestorPath, joinPath, normalizeMountPath } from './mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { projectPathsFor } from './project-paths.js';

/** Whether the container mounts a volume at a strict ancestor of `target` (so `target` lives on that volume). */
function mountsAncestorOf(container: Container, target: string): boolean {
  for (const mount of container.volumeMounts ?? []) {
    if (isAncestorPath(normalizeMountPath(mount.mountPath), target)) return true;
  }
  return false;
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
  const projects = projectPathsFor(annotations, config.tmpfs.projects);
  const mutations: Mutation[] = [];
  const notes: string[] = [];
  const addedBytes = new Map<number, number>();
  const seen = new Set<string>();

  for (const project of projects.paths) {
    for (const dir of config.tmpfs.dirs) {
      const target = joinPath(project, dir.name);
      if (seen.has(target)) continue;
      seen.add(target);
      const candidates: number[] = [];
      let alreadyMounted = 0;
      containers.forEach((container, index) => {
        if (hasMountAt(container, target)) alreadyMounted++;
        else if (mountsAncestorOf(container, target)) candidates.push(index);
      });
      if (candidates.length === 0) {
        notes.push(
          alreadyMounted > 0
            ? `tmpfs ${target}: already mounted`
            : `tmpfs ${target}: skipped, no container mounts a volume above it`,
        );
        continue;
      }
      const names = addEmptyDirMount(builder, containers, {
        path: target,
        prefix: 'tmpfs',
        emptyDir: { medium: 'Memory', sizeLimit: dir.sizeLimit },
        containerIndexes: candidates,
      });
      for (const index of candidates) addedBytes.set(index, (addedBytes.get(index) ?? 0) + dir.bytes);
      mutations.push({ type: 'tmpfs', detail: `${target}=${dir.sizeLimit} in ${names.join(',')}` });
    }
  }
  return {
    operations: [],
    mutations,
    warnings: [...projects.problems, ...memoryWarnings(containers, addedBytes)],
    notes,
  };
}

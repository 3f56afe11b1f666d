import type { Config } from '../config/config-types.js';
import type { Mutation, PlanResult } from './decision-types.js';
import { addEmptyDirMount } from './empty-dir-mounts.js';
import type { Container } from '../kube/kube-types.js';
import { memoryShortfall, memoryWarnings } from './memory-warnings.js';
import { isAncestorPath, normalizeMountPath } from '../kube/mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { planProjectDirs, type MountedProject } from './project-dirs-init.js';
import { PROJECTS_ANNOTATION } from './project-paths.js';
import { tmpfsTargetsFor, type TmpfsTarget } from './tmpfs-targets.js';

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

/** Candidate containers for each target, and how many containers mount something at it already. */
interface TargetPlacement {
  readonly target: TmpfsTarget;
  readonly candidates: readonly number[];
  readonly alreadyMounted: number;
}

function placeTargets(builder: PodPatchBuilder, containers: readonly Container[], targets: readonly TmpfsTarget[]): TargetPlacement[] {
  return targets.map((target) => {
    const candidates: number[] = [];
    let alreadyMounted = 0;
    for (let index = 0; index < containers.length; index++) {
      const container = containers[index];
      if (container === undefined) continue;
      // A mount this builder already adds counts as the container's own: targets are distinct and tmpfs plans
      // first, so this does not happen today, but two mounts at one path would make the API server reject the pod.
      const placement = builder.hasPendingMount(index, target.path) ? 'mounted' : placementOf(container, target.path);
      if (placement === 'mounted') alreadyMounted++;
      else if (placement === 'below-volume') candidates.push(index);
    }
    return { target, candidates, alreadyMounted };
  });
}

const NO_PROJECTS_NOTE =
  `tmpfs: no project paths: set tmpfs.projects in the config or annotation ${PROJECTS_ANNOTATION} on the pod`;

/**
 * Plans the tmpfs emptyDirs: for each project path P and configured directory D, target T = P/D; every regular
 * container that mounts a volume at an ancestor of T (the PVC holding the project) gets an emptyDir at T, unless it
 * already has a mount at T. Init and ephemeral containers are left alone: installs and builds run in the main
 * containers, and an init container's writes would be lost anyway. The medium follows `tmpfs.medium`: memory,
 * the node's disk, or (`auto`) memory only where every container mounting the volume has a memory limit that
 * covers its request plus all the tmpfs it gets (files in a memory emptyDir are charged to the writer's memory).
 */
export function planTmpfs(
  builder: PodPatchBuilder,
  containers: readonly Container[],
  annotations: Readonly<Record<string, unknown>> | undefined,
  config: Config,
): PlanResult {
  const { targets, problems } = tmpfsTargetsFor(annotations, config.tmpfs);
  if (targets.length === 0 && typeof annotations?.[PROJECTS_ANNOTATION] !== 'string') {
    return { operations: [], mutations: [], warnings: problems, notes: [NO_PROJECTS_NOTE] };
  }
  const mutations: Mutation[] = [];
  const notes: string[] = [];
  const placements = placeTargets(builder, containers, targets);
  // What each container would hold if every volume were memory-backed: what `auto` weighs.
  const wantedBytes = new Map<number, number>();
  for (const { target, candidates } of placements) {
    for (const index of candidates) wantedBytes.set(index, (wantedBytes.get(index) ?? 0) + target.dir.bytes);
  }
  const memoryBytes = new Map<number, number>();
  const mountedProjects: MountedProject[] = [];

  for (const { target: { path, project, dir }, candidates, alreadyMounted } of placements) {
    if (candidates.length === 0) {
      notes.push(alreadyMounted > 0 ? `tmpfs ${path}: already mounted` : `tmpfs ${path}: skipped, no container mounts a volume above it`);
      continue;
    }
    let inMemory = config.tmpfs.medium === 'memory';
    if (config.tmpfs.medium === 'auto') {
      const shortfall = candidates.map((index) => memoryShortfall(containers[index]!, wantedBytes.get(index) ?? 0)).find((why) => why !== undefined);
      inMemory = shortfall === undefined;
      notes.push(`tmpfs ${path}: ${inMemory ? 'memory' : 'disk'} (auto${shortfall ? `: ${shortfall}` : ''})`);
    }
    const names = addEmptyDirMount(builder, containers, {
      path,
      prefix: 'tmpfs',
      emptyDir: inMemory ? { medium: 'Memory', sizeLimit: dir.sizeLimit } : { sizeLimit: dir.sizeLimit },
      containerIndexes: candidates,
    });
    if (inMemory) for (const index of candidates) memoryBytes.set(index, (memoryBytes.get(index) ?? 0) + dir.bytes);
    mountedProjects.push({ project, containerIndex: candidates[0]! });
    mutations.push({ type: 'tmpfs', detail: `${path}=${dir.sizeLimit}${inMemory ? '' : ' on node disk'} in ${names.join(',')}` });
  }
  if (config.tmpfs.createProjectDirs && mountedProjects.length > 0) {
    const dirs = planProjectDirs(builder.pod, containers, mountedProjects, config.tmpfs.projectDirsImage);
    if (dirs.container === undefined) notes.push(`project dirs: not created (${dirs.why})`);
    else {
      builder.addInitContainer(dirs.container);
      mutations.push({ type: 'tmpfs', detail: `project dirs ${dirs.projects.join(',')} created as uid ${String(dirs.container.securityContext?.runAsUser)}` });
    }
  }
  const memory = memoryWarnings(containers, memoryBytes);
  return { operations: [], mutations, warnings: problems.length === 0 ? memory : [...problems, ...memory], notes };
}

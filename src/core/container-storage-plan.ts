import type { Config } from '../config/config-types.js';
import type { Mutation, PlanResult } from './decision-types.js';
import { EMPTY_PLAN } from './decision-types.js';
import { addEmptyDirMount, hasMountAt } from './empty-dir-mounts.js';
import type { Container, EnvVar, Pod } from '../kube/kube-types.js';
import { isCleanAbsolutePath, joinPath, normalizeMountPath } from '../kube/mount-path.js';
import type { PodPatchBuilder } from './pod-patch-builder.js';
import { isRecord } from '../kube/json-value.js';
import { formatBytes, parseQuantity } from '../kube/quantity.js';

/** Pod annotation opting a workspace into disk-backed storage for container engines. */
export const CONTAINER_STORAGE_ANNOTATION = 'workspace-storage.dev/container-storage';

/** Docker's data root. */
const DOCKER_ROOT = '/var/lib/docker';
/** Podman's rootful store; the rootless store lives under the user's home. */
const PODMAN_ROOT = '/var/lib/containers';
const PODMAN_ROOTLESS = '.local/share/containers';

/** What the annotation and config ask for: fixed paths, and whether podman's per-home store is wanted. */
interface Request {
  paths: string[];
  podmanHome: boolean;
  docker: boolean;
  problems: string[];
}

function parseRequest(annotations: Readonly<Record<string, unknown>> | undefined, config: Config): Request {
  const request: Request = { paths: [...config.containerStorage.paths], podmanHome: false, docker: false, problems: [] };
  const value = annotations?.[CONTAINER_STORAGE_ANNOTATION];
  if (typeof value !== 'string') return request;
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry === 'docker') {
      request.docker = true;
      request.paths.push(DOCKER_ROOT);
    } else if (entry === 'podman') {
      request.podmanHome = true;
      request.paths.push(PODMAN_ROOT);
    } else if (isCleanAbsolutePath(entry)) {
      request.paths.push(normalizeMountPath(entry));
    } else {
      request.problems.push(`ignored "${entry.slice(0, 40)}" in ${CONTAINER_STORAGE_ANNOTATION}: not docker, podman or an absolute path`);
    }
  }
  return request;
}

/**
 * The container's home directory: a literal `HOME` env value, else a volume mounted at `/home/<user>` or
 * `/root` (the Coder templates mount the home PVC at /home/coder). Undefined when neither says.
 */
export function homeDirectory(container: Container): string | undefined {
  const env: readonly unknown[] = Array.isArray(container.env) ? container.env : [];
  const home = env.find((variable): variable is EnvVar => isRecord(variable) && variable.name === 'HOME')?.value;
  if (typeof home === 'string' && isCleanAbsolutePath(home) && home !== '/') return normalizeMountPath(home);
  for (const mount of container.volumeMounts ?? []) {
    const path = normalizeMountPath(mount.mountPath);
    if (/^\/home\/[^/]+$/.test(path) || path === '/root') return path;
  }
  return undefined;
}

/** Whether the pod can run Docker at all: a privileged container, a rootless engine image, or Sysbox. */
function canRunDocker(pod: Pod, containers: readonly Container[]): boolean {
  if (typeof pod.spec?.runtimeClassName === 'string' && pod.spec.runtimeClassName.includes('sysbox')) return true;
  return containers.some(
    (container) => container.securityContext?.privileged === true || /rootless|sysbox|envbox/.test(container.image ?? ''),
  );
}

/**
 * Plans disk-backed emptyDirs (no medium: the node's own ext4/xfs) for container engine storage. An engine
 * whose storage sits on the container's overlayfs root cannot use the overlay driver (the kernel refuses an
 * overlay upper dir on overlayfs) and falls back to vfs, which copies every layer in full. Unlike tmpfs these
 * paths need no ancestor volume; every regular container gets them unless it already mounts the path.
 */
export function planContainerStorage(
  builder: PodPatchBuilder,
  pod: Pod,
  containers: readonly Container[],
  config: Config,
): PlanResult {
  const annotations = pod.metadata?.annotations;
  // The usual case: no engine storage configured and none asked for; nothing to parse or allocate.
  if (config.containerStorage.paths.length === 0 && typeof annotations?.[CONTAINER_STORAGE_ANNOTATION] !== 'string') {
    return EMPTY_PLAN;
  }
  const request = parseRequest(annotations, config);
  const mutations: Mutation[] = [];
  const notes: string[] = [];
  const warnings = [...request.problems];
  if (request.paths.length === 0 && !request.podmanHome) return { operations: [], mutations, warnings, notes };

  const perPath = new Map<string, number[]>();
  const add = (path: string, index: number): void => {
    // A path named twice (config and annotation, `docker` and /var/lib/docker) is still one mount per container.
    const list = perPath.get(path);
    if (!list) perPath.set(path, [index]);
    else if (!list.includes(index)) list.push(index);
  };
  containers.forEach((container, index) => {
    for (const path of request.paths) add(path, index);
    if (!request.podmanHome) return;
    const home = homeDirectory(container);
    if (home) add(joinPath(home, PODMAN_ROOTLESS), index);
    else notes.push(`container ${container.name}: no home directory known, rootless podman store not mounted`);
  });

  const addedBytes = new Map<number, number>();
  const size = config.containerStorage.sizeLimit;
  for (const [path, indexes] of perPath) {
    const needing = indexes.filter((index) => {
      const container = containers[index];
      return container !== undefined && !hasMountAt(container, path) && !builder.hasPendingMount(index, path);
    });
    if (needing.length === 0) {
      notes.push(`container storage ${path}: already mounted`);
      continue;
    }
    const names = addEmptyDirMount(builder, containers, { path, prefix: 'containers', emptyDir: { sizeLimit: size }, containerIndexes: needing });
    for (const index of needing) addedBytes.set(index, (addedBytes.get(index) ?? 0) + config.containerStorage.sizeLimitBytes);
    mutations.push({ type: 'container-storage', detail: `${path}=${size} in ${names.join(',')}` });
  }

  // A disk-backed emptyDir counts against the container's ephemeral-storage limit: over it, the kubelet evicts.
  for (const [index, bytes] of addedBytes) {
    const container = containers[index];
    const limit = parseQuantity(container?.resources?.limits?.['ephemeral-storage']);
    if (container && limit !== undefined && limit < bytes) {
      warnings.push(`container ${container.name}: ephemeral-storage limit ${formatBytes(limit)} < container storage ${formatBytes(bytes)}; eviction risk`);
    }
  }
  if (request.docker && mutations.length > 0 && !canRunDocker(pod, containers)) {
    warnings.push('docker storage mounted, but no container is privileged or rootless: the volume alone does not make Docker work');
  }
  return { operations: [], mutations, warnings, notes };
}

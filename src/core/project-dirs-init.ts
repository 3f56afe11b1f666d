import type { Container, ContainerSecurityContext, Pod, VolumeMount } from '../kube/kube-types.js';
import { isAncestorPath, normalizeMountPath } from '../kube/mount-path.js';

/** The init container's name: a DNS-1123 label, and how a second pass recognises its own. */
export const PROJECT_DIRS_CONTAINER = 'workspace-storage-project-dirs';

/** A project whose build directories got tmpfs, and the container (index) that mounts the volume holding it. */
export interface MountedProject {
  readonly project: string;
  readonly containerIndex: number;
}

/** What the init container is given: enough to run `mkdir`, small enough never to raise the pod's requests. */
function initResources(): { requests: Record<string, string>; limits: Record<string, string> } {
  return { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
}

/**
 * The user a container runs as: its own runAsUser, else the pod's; undefined when neither says (the image's USER,
 * which the webhook cannot see).
 */
function effectiveUser(pod: Pod, container: Container): number | undefined {
  const own = container.securityContext?.runAsUser;
  if (typeof own === 'number') return own;
  const podUser = pod.spec?.securityContext?.runAsUser;
  return typeof podUser === 'number' ? podUser : undefined;
}

/** The container's mount holding `path`: the deepest mount at or above it; undefined when none does. */
function holdingMount(container: Container, path: string): VolumeMount | undefined {
  let best: VolumeMount | undefined;
  for (const mount of container.volumeMounts ?? []) {
    const at = normalizeMountPath(mount.mountPath);
    if (at !== path && !isAncestorPath(at, path)) continue;
    if (best === undefined || normalizeMountPath(best.mountPath).length < at.length) best = mount;
  }
  return best;
}

/** What the init container needs, or why there is none. */
export type ProjectDirsPlan =
  | { readonly container: Container; readonly projects: readonly string[] }
  | { readonly container: undefined; readonly why: string };

/**
 * An init container that creates the project directories as the workspace user before the workspace starts.
 *
 * Why: on a new workspace the project is usually cloned after the first start, so `<project>` does not exist yet.
 * The container runtime then creates the missing directories on the way to the nested tmpfs mount points
 * (`<project>/node_modules`) as root:root 0755, and the workspace user cannot write into its own project directory
 * (seen on a real kubelet; fsGroup does not change it). Created first, as the user, the directory is the user's,
 * and the runtime only adds the mount points inside it.
 *
 * Only for workspaces that run as a known non-root user (runAsUser on the container or the pod, not 0): root
 * workspaces (envbox) are not affected, and without runAsUser the image's user is unknown. The image is the
 * workspace container's own (it is pulled anyway and has `mkdir`), or `tmpfs.projectDirsImage`. Its mounts are
 * the workspace container's mounts holding each project (same volume, same subPath); read-only ones are skipped.
 */
export function planProjectDirs(pod: Pod, containers: readonly Container[], mounted: readonly MountedProject[], image: string): ProjectDirsPlan {
  if (mounted.length === 0) return { container: undefined, why: 'no project got tmpfs' };
  if ((pod.spec?.initContainers ?? []).some((init) => (init as Container | null)?.name === PROJECT_DIRS_CONTAINER)) {
    return { container: undefined, why: 'already there' };
  }
  const first = containers[mounted[0]!.containerIndex]!;
  const user = effectiveUser(pod, first);
  if (user === undefined) return { container: undefined, why: `container ${first.name} sets no runAsUser (the image's user is unknown)` };
  if (user === 0) return { container: undefined, why: `container ${first.name} runs as root` };
  const runImage = image !== '' ? image : first.image;
  if (typeof runImage !== 'string' || runImage === '') return { container: undefined, why: `container ${first.name} has no image` };

  const mounts = new Map<string, VolumeMount>();
  const projects: string[] = [];
  for (const { project, containerIndex } of mounted) {
    if (projects.includes(project)) continue;
    const mount = holdingMount(containers[containerIndex]!, project);
    if (mount === undefined || mount.readOnly === true) continue;
    projects.push(project);
    const at = normalizeMountPath(mount.mountPath);
    if (!mounts.has(at)) mounts.set(at, { name: mount.name, mountPath: mount.mountPath, ...(mount.subPath ? { subPath: mount.subPath } : {}) });
  }
  if (projects.length === 0) return { container: undefined, why: 'every project is on a read-only mount' };

  const securityContext: ContainerSecurityContext = {
    runAsUser: user,
    ...(typeof first.securityContext?.runAsGroup === 'number' ? { runAsGroup: first.securityContext.runAsGroup }
      : typeof pod.spec?.securityContext?.runAsGroup === 'number' ? { runAsGroup: pod.spec.securityContext.runAsGroup } : {}),
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return {
    container: {
      name: PROJECT_DIRS_CONTAINER,
      image: runImage,
      ...(image === '' && typeof first.imagePullPolicy === 'string' ? { imagePullPolicy: first.imagePullPolicy } : {}),
      command: ['mkdir', '-p', ...projects],
      volumeMounts: [...mounts.values()],
      resources: initResources(),
      securityContext,
    },
    projects,
  };
}

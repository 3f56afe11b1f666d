/**
 * Workspace objects for the suites (fresh copies of fixtures, named per use) and views of stored pods that the
 * assertions read: mounts with their volumes, and the node affinity.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from './cluster.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** A fresh copy of a fixture under test/fixtures. */
export function fixtureObject(relativePath: string): KubeObject {
  return JSON.parse(readFileSync(FIXTURES + relativePath, 'utf8')) as KubeObject;
}

/** A copy of `object` with another name and namespace (and `generateName` dropped when a name is given). */
export function named(object: KubeObject, namespace: string, name?: string): KubeObject {
  const copy = structuredClone(object);
  copy.metadata.namespace = namespace;
  if (name !== undefined) {
    copy.metadata.name = name;
    delete copy.metadata.generateName;
  }
  return copy;
}

/**
 * A bare workspace Pod (older Coder templates): labels app.kubernetes.io/name=coder-workspace and
 * com.coder.resource=true, container `dev` (memory limit 4Gi) with the `home` PVC at /home/coder.
 */
export function workspacePod(namespace: string, name: string, claimName = `${name}-home`): KubeObject {
  const pod = named(fixtureObject('e2e/coder-workspace-pod.json'), namespace, name);
  const volumes = pod.spec?.volumes as { persistentVolumeClaim: { claimName: string } }[];
  volumes[0]!.persistentVolumeClaim.claimName = claimName;
  return pod;
}

/** The Coder `kubernetes` template's Deployment (replicas 1, Recreate), pod template as {@link workspacePod}. */
export function workspaceDeployment(namespace: string, name: string, claimName: string): KubeObject {
  const deployment = named(fixtureObject('e2e/coder-workspace-deployment.json'), namespace, name);
  const template = (deployment.spec as { template: { spec: { volumes: { persistentVolumeClaim: { claimName: string } }[] } } }).template;
  template.spec.volumes[0]!.persistentVolumeClaim.claimName = claimName;
  return deployment;
}

/** The label selector matching the pods of {@link workspaceDeployment}. */
export const WORKSPACE_DEPLOYMENT_SELECTOR = 'app.kubernetes.io/instance=coder-workspace-5b0f6a2e';

/** One volume mount of a stored pod, with the volume it mounts. */
export interface MountView {
  readonly container: string;
  readonly mountPath: string;
  readonly volumeName: string;
  readonly volume: { name: string; emptyDir?: { medium?: string; sizeLimit?: string }; [source: string]: unknown } | undefined;
}

/** One node selector term as stored. */
export interface NodeTermView {
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
  matchFields?: { key: string; operator: string; values?: string[] }[];
}

interface PodSpecView {
  containers?: { name: string; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; emptyDir?: { medium?: string; sizeLimit?: string } }[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms: NodeTermView[];
      };
    };
  };
}

/** Every mount of every regular container of `pod`. */
export function mountsOf(pod: KubeObject): MountView[] {
  const spec = (pod.spec ?? {}) as PodSpecView;
  return (spec.containers ?? []).flatMap((container) =>
    (container.volumeMounts ?? []).map((mount) => ({
      container: container.name,
      mountPath: mount.mountPath,
      volumeName: mount.name,
      volume: spec.volumes?.find((volume) => volume.name === mount.name),
    })),
  );
}

/** The mounts of `pod` at `mountPath`, in any container. */
export function mountsAt(pod: KubeObject, mountPath: string): MountView[] {
  return mountsOf(pod).filter((mount) => mount.mountPath === mountPath);
}

/** The names of `pod`'s volumes, in order (duplicates included: the API server would have rejected them). */
export function volumeNames(pod: KubeObject): string[] {
  return (((pod.spec ?? {}) as PodSpecView).volumes ?? []).map((volume) => volume.name);
}

/** The emptyDir volumes of `pod` (name and emptyDir source). */
export function emptyDirVolumes(pod: KubeObject): { name: string; emptyDir: { medium?: string; sizeLimit?: string } }[] {
  return (((pod.spec ?? {}) as PodSpecView).volumes ?? []).flatMap((volume) =>
    volume.emptyDir === undefined ? [] : [{ name: volume.name, emptyDir: volume.emptyDir }],
  );
}

/** The required node-affinity terms of `pod` (undefined without required affinity). */
export function requiredNodeTerms(pod: KubeObject): NodeTermView[] | undefined {
  const required = ((pod.spec ?? {}) as PodSpecView).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required?.nodeSelectorTerms;
}

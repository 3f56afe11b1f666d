import type { PatchOperation } from './json-patch.js';
import type { Container, Pod, Volume, VolumeMount } from '../kube/kube-types.js';

/**
 * Collects what the plans change in one pod (volumes, mounts, init containers, node affinity), then emits it as
 * RFC 6902 operations: an `add` of the whole list where the pod has none (`add` needs the parent to exist),
 * `add .../-` appends otherwise; affinity's operations last, as node-affinity-patch.ts wrote them.
 */
export class PodPatchBuilder {
  private readonly volumes: Volume[] = [];
  private readonly volumeNames = new Set<string>();
  /** Mounts to add, indexed by container index (holes for containers that get none), so they come out in order. */
  private readonly mounts: (VolumeMount[] | undefined)[] = [];
  private readonly initContainers: Container[] = [];
  private affinity: readonly PatchOperation[] = [];

  constructor(readonly pod: Pod & { spec: NonNullable<Pod['spec']> }) {
    for (const volume of pod.spec.volumes ?? []) this.volumeNames.add(volume.name);
  }

  /** The volume named `name`, in the pod or added by this builder. */
  findVolume(name: string): Volume | undefined {
    // The usual answer is "none": a new name, known from the set without scanning either list.
    if (!this.volumeNames.has(name)) return undefined;
    for (const volume of this.pod.spec.volumes ?? []) if (volume.name === name) return volume;
    for (const volume of this.volumes) if (volume.name === name) return volume;
    return undefined;
  }

  /** Whether a volume named `name` exists in the pod or was added by this builder. */
  hasVolume(name: string): boolean {
    return this.volumeNames.has(name);
  }

  /** Adds `volume` unless a volume of that name already exists. */
  addVolume(volume: Volume): void {
    if (this.volumeNames.has(volume.name)) return;
    this.volumeNames.add(volume.name);
    this.volumes.push(volume);
  }

  /** Adds `mount` to the container at `containerIndex`. */
  addMount(containerIndex: number, mount: VolumeMount): void {
    const list = this.mounts[containerIndex];
    if (list) list.push(mount);
    else this.mounts[containerIndex] = [mount];
  }

  /** Whether this builder already adds a mount at `mountPath` (normalized) to the container at `containerIndex`. */
  hasPendingMount(containerIndex: number, mountPath: string): boolean {
    const list = this.mounts[containerIndex];
    if (list) for (const mount of list) if (mount.mountPath === mountPath) return true;
    return false;
  }

  /** Appends `container` to the pod's init containers. */
  addInitContainer(container: Container): void {
    this.initContainers.push(container);
  }

  /**
   * Sets the node affinity operations (node-affinity-patch.ts): they replace or add whole affinity terms, which
   * depend on the pod's existing terms as a whole rather than on per-item appends.
   */
  setNodeAffinity(operations: readonly PatchOperation[]): void {
    this.affinity = operations;
  }

  /** The operations, volumes first so that no mount ever names a volume that is not there yet. */
  operations(): PatchOperation[] {
    const operations: PatchOperation[] = [];
    if (this.volumes.length > 0) {
      if (Array.isArray(this.pod.spec.volumes)) {
        for (const volume of this.volumes) operations.push({ op: 'add', path: '/spec/volumes/-', value: volume });
      } else {
        operations.push({ op: 'add', path: '/spec/volumes', value: this.volumes });
      }
    }
    const containers = this.pod.spec.containers ?? [];
    for (let index = 0; index < this.mounts.length; index++) {
      const mounts = this.mounts[index];
      if (mounts === undefined) continue;
      if (Array.isArray(containers[index]?.volumeMounts)) {
        for (const mount of mounts) {
          operations.push({ op: 'add', path: `/spec/containers/${index}/volumeMounts/-`, value: mount });
        }
      } else {
        operations.push({ op: 'add', path: `/spec/containers/${index}/volumeMounts`, value: mounts });
      }
    }
    if (this.initContainers.length > 0) {
      if (Array.isArray(this.pod.spec.initContainers)) {
        for (const container of this.initContainers) operations.push({ op: 'add', path: '/spec/initContainers/-', value: container });
      } else {
        operations.push({ op: 'add', path: '/spec/initContainers', value: this.initContainers });
      }
    }
    operations.push(...this.affinity);
    return operations;
  }
}

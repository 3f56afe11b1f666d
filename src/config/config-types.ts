import type { LabelSelector } from '../kube/kube-types.js';

/** One tmpfs directory: the name under each project path and its emptyDir size limit. */
export interface TmpfsDir {
  /** Directory name relative to the project path, e.g. `node_modules`. */
  readonly name: string;
  /** The size limit as written (a Kubernetes quantity), e.g. `16Gi`. */
  readonly sizeLimit: string;
  /** The size limit in bytes. */
  readonly bytes: number;
}

/**
 * What backs the tmpfs emptyDirs: `memory` (medium Memory: fastest, charged to the container's memory), `disk` (no
 * medium: the node's own disk, off the network volume, not charged to memory), `auto` (memory where the container's
 * memory limit covers its request plus the tmpfs it gets, disk otherwise).
 */
export type TmpfsMedium = 'memory' | 'disk' | 'auto';

/** Where co-location pins the pod: a required term, a preferred term, or nothing. */
export type AffinityMode = 'required' | 'preferred' | 'off';

/** The validated, frozen configuration (see parse-config.ts for the file format and defaults). */
export interface Config {
  /** An object is a workspace object if it matches ANY of these. */
  readonly workspaceSelectors: readonly LabelSelector[];
  readonly tmpfs: {
    /** Absolute project paths; overridden per pod by the `workspace-storage.dev/projects` annotation. */
    readonly projects: readonly string[];
    readonly dirs: readonly TmpfsDir[];
    readonly medium: TmpfsMedium;
    /** Create the project directories as the workspace user before it starts (an init container); see project-dirs-init.ts. */
    readonly createProjectDirs: boolean;
    /** Image of that init container; "" means the workspace container's own image. */
    readonly projectDirsImage: string;
  };
  readonly storageClass: {
    /** Effective class -> replacement class. No value is also a key (the rewrite is idempotent). */
    readonly rewrite: Readonly<Record<string, string>>;
    /**
     * Provisioner -> replacement class: a claim whose class (not named in `rewrite`) has one of these provisioners
     * is rewritten too (custom Longhorn classes). Read from the StorageClass cache.
     */
    readonly rewriteProvisioners: Readonly<Record<string, string>>;
  };
  readonly affinity: {
    readonly mode: AffinityMode;
    /** Weight of the preferred term in `preferred` mode (1..100). */
    readonly preferredWeight: number;
    /** Namespace of Longhorn's `replicas.longhorn.io` objects. */
    readonly longhornNamespace: string;
  };
  readonly containerStorage: {
    /** Paths given a disk-backed emptyDir in every pod (the annotation adds to or replaces this per pod). */
    readonly paths: readonly string[];
    readonly sizeLimit: string;
    readonly sizeLimitBytes: number;
  };
  readonly service: { readonly name: string; readonly namespace: string };
}

import type { LabelSelector } from '../core/kube-types.js';

/** One tmpfs directory: the name under each project path and its emptyDir size limit. */
export interface TmpfsDir {
  /** Directory name relative to the project path, e.g. `node_modules`. */
  readonly name: string;
  /** The size limit as written (a Kubernetes quantity), e.g. `16Gi`. */
  readonly sizeLimit: string;
  /** The size limit in bytes. */
  readonly bytes: number;
}

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
  };
  readonly storageClass: {
    /** Effective class -> replacement class. No value is also a key (the rewrite is idempotent). */
    readonly rewrite: Readonly<Record<string, string>>;
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

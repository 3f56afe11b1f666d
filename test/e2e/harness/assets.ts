/**
 * Locating the cluster binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet) in the
 * envtest / KUBEBUILDER_ASSETS layout.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The binaries a control-plane assets directory must hold. */
export const CONTROL_PLANE_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'] as const;

/** Kubernetes version that scripts/provision-control-plane.sh builds. */
export const PROVISIONED_KUBE_VERSION = '1.20.2';

/**
 * The directory scripts/provision-control-plane.sh fills:
 * `${WSW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/workspace-storage-webhook}/kube-1.20.2/bin`.
 * Keep in sync with the script.
 */
export function provisionedAssetsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `kube-${PROVISIONED_KUBE_VERSION}`, 'bin');
}

/**
 * Where the suite keeps what it builds once (cluster binaries, node images):
 * `${WSW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/workspace-storage-webhook}`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return nonEmpty(env.WSW_CACHE_DIR) ??
    join(nonEmpty(env.XDG_CACHE_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.cache'), 'workspace-storage-webhook');
}

/** True when `dir` holds all of {@link CONTROL_PLANE_BINARIES}, executable. */
export function hasControlPlaneBinaries(dir: string): boolean {
  return CONTROL_PLANE_BINARIES.every((bin) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The directory to take control-plane binaries from: `KUBEBUILDER_ASSETS` when it
 * is set and complete, else the provisioning script's cache directory when
 * complete, else undefined.
 */
export function findControlPlaneAssets(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [nonEmpty(env.KUBEBUILDER_ASSETS), provisionedAssetsDir(env)];
  return candidates.find((dir): dir is string => dir !== undefined && hasControlPlaneBinaries(dir));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

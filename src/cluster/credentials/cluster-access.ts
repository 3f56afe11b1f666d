import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { inClusterAccess } from './in-cluster-access.js';
import { kubeconfigAccess } from './kubeconfig-access.js';
import type { ClusterAccessEnvironment, ClusterAccessResult } from './access-types.js';

export type { ClusterAccess, ClusterAccessEnvironment, ClusterAccessResult, RequestOptions } from './access-types.js';

/** Where Kubernetes mounts a pod's service-account credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Finds cluster access the way controller-runtime does: `KUBECONFIG` when set (an explicit choice wins), then the
 * in-cluster service account, then `~/.kube/config`. Never throws: every problem becomes the `reason`, because a
 * webhook without cluster access still serves (tmpfs and storage-class rewrites need no facts).
 */
export async function loadClusterAccess(environment: ClusterAccessEnvironment = {}): Promise<ClusterAccessResult> {
  const env = environment.env ?? process.env;
  const kubeconfigVariable = env.KUBECONFIG ?? '';
  if (kubeconfigVariable !== '') {
    const paths = kubeconfigVariable.split(delimiter).filter((path) => path !== '');
    return kubeconfigAccess(paths, 'KUBECONFIG');
  }
  const serviceAccountDir = environment.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  const tokenFile = join(serviceAccountDir, 'token');
  if (host !== '' && port !== '' && existsSync(tokenFile)) return inClusterAccess(host, port, serviceAccountDir);
  const home = environment.homeDir ?? homedir();
  const defaultKubeconfig = join(home, '.kube', 'config');
  if (existsSync(defaultKubeconfig)) return kubeconfigAccess([defaultKubeconfig], '~/.kube/config');
  const missing = host === '' ? 'no in-cluster service account' : `no service-account token at ${tokenFile}`;
  return { ok: false, reason: `${missing}, no KUBECONFIG, no ~/.kube/config` };
}

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Agent } from 'node:http';
import { inClusterAccess } from './in-cluster-access.js';
import { kubeconfigAccess } from './kubeconfig-access.js';

/** Agent (TLS trust and client certificate) and headers (credentials) for one API request. */
export interface RequestOptions {
  readonly agent: Agent;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * How to reach the API server. Deliberately not client-node's `KubeConfig`: importing
 * `@kubernetes/client-node` (even `dist/config.js`, which pulls in the generated models) costs ~45-80 MB of RSS,
 * more than half of the process's 120 MB budget, so the common cases are handled here with node:https.
 */
export interface ClusterAccess {
  /** Base URL of the API server without a trailing slash, e.g. `https://10.96.0.1:443`. */
  readonly server: string;
  /** Where the access came from, for the start-up log, e.g. `in-cluster service account`. */
  readonly source: string;
  /** Options for one request; called per request so that a rotated service-account token is picked up. */
  requestOptions(): Promise<RequestOptions>;
}

/** Either cluster access, or why there is none (logged as "co-location is off because <reason>"). */
export type ClusterAccessResult =
  | { readonly ok: true; readonly access: ClusterAccess }
  | { readonly ok: false; readonly reason: string };

/** Where to look for credentials; defaults to the real process environment (overridden in tests). */
export interface ClusterAccessEnvironment {
  readonly env?: NodeJS.ProcessEnv;
  /** Directory holding the mounted service-account `token`, `ca.crt`. */
  readonly serviceAccountDir?: string;
  readonly homeDir?: string;
}

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

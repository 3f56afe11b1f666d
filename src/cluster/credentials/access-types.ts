import type { Agent } from 'node:http';

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
  /** The kubeconfig context's namespace, when it names one (the CLI's default namespace, as kubectl's). */
  readonly namespace?: string;
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

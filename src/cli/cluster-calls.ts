import { ApiError } from '../cluster/list-watch/api-transport.js';
import { loadClusterAccess } from '../cluster/credentials/cluster-access.js';
import { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import { messageWithCause } from './message-with-cause.js';

/** What the API calls of one `ca-bundle --apply` run share. */
export interface ClusterCalls {
  readonly transport: HttpsApiTransport;
  /** The kubeconfig context's namespace, when it names one. */
  readonly namespace: string | undefined;
  /** Bounds every call of the run together. */
  readonly deadline: AbortSignal;
  /** Turns a failed call into the message for stderr. */
  readonly apiError: (error: unknown, action: string, hints: { forbidden: string; notFound?: string }) => Error;
}

/**
 * The calls of one run against the cluster found the way the server and every other command find it
 * (loadClusterAccess: KUBECONFIG, the in-cluster service account, ~/.kube/config): all of them bounded together by
 * `timeoutMs`, so an API server that accepts the connection and never answers cannot hold the Job (and its
 * backoffLimit retries) forever, and every failure turned into a message that says what to do (the credentials,
 * the RBAC rule, the deadline). Throws `no cluster access: <why>` when there is none.
 */
export async function clusterCalls(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ClusterCalls> {
  const found = await loadClusterAccess({ env });
  if (!found.ok) throw new Error(`no cluster access: ${found.reason}`);
  const { server, namespace } = found.access;
  const deadline = AbortSignal.timeout(timeoutMs);
  const apiError = (error: unknown, action: string, hints: { forbidden: string; notFound?: string }): Error => {
    if (deadline.aborted) {
      return new Error(
        `cannot ${action}: no answer from the API server at ${server} within ${timeoutMs / 1000} s (--timeout)`,
        { cause: error },
      );
    }
    if (error instanceof ApiError) {
      if (error.status === 404 && hints.notFound !== undefined) return new Error(hints.notFound);
      if (error.status === 401) return new Error(`cannot ${action}: unauthorized (credentials rejected)`);
      if (error.status === 403) return new Error(`cannot ${action}: forbidden (${hints.forbidden})`);
      const said = error.message === `HTTP ${error.status}` ? '' : `: ${error.message}`;
      return new Error(`cannot ${action}: API server answered ${error.status}${said}`);
    }
    return new Error(`cannot reach the API server at ${server}: ${messageWithCause(error)}`, { cause: error });
  };
  return { transport: new HttpsApiTransport(found.access), namespace, deadline, apiError };
}

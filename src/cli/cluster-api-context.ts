import type * as K8s from '@kubernetes/client-node';
import { messageWithCause } from './message-with-cause.js';

/** What the API calls of one `ca-bundle --apply` run share. */
export interface ClusterApiContext {
  readonly k8s: typeof K8s;
  readonly kubeConfig: K8s.KubeConfig;
  /** Per-call options that put the run's deadline on each request. */
  readonly callOptions: K8s.ConfigurationOptions;
  readonly deadline: AbortSignal;
  /** Turns a failed call into the message for stderr. */
  readonly apiError: (error: unknown, action: string, hints: { forbidden: string; notFound?: string }) => Error;
}

/** `: <message>` of a Status body, which says why (e.g. the admission plugin that refused), or nothing. */
function statusMessage(body: unknown): string {
  if (typeof body !== 'string') return '';
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' && message !== '' ? `: ${message}` : '';
  } catch {
    return '';
  }
}

/**
 * The calls of one run against the cluster `kubeConfig` points at: all of them bounded together by `timeoutMs`,
 * and every failure turned into a message that says what to do (the credentials, the RBAC rule, the deadline).
 */
export function clusterApiContext(k8s: typeof K8s, kubeConfig: K8s.KubeConfig, timeoutMs: number): ClusterApiContext {
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  // client-node sets no timeout of its own: an API server that accepts the connection and never answers would
  // hold the Job (and its backoffLimit retries) forever. One signal bounds all calls of this run together.
  const deadline = AbortSignal.timeout(timeoutMs);
  // Per-call middleware must be the Observable kind: client-node 2.0 types it so, and a Promise-returning one
  // fails at run time ("toPromise is not a function") despite the Promise-based API around it.
  const callOptions = {
    middleware: [
      {
        pre: (context: InstanceType<typeof k8s.RequestContext>) => {
          context.setSignal(deadline);
          return new k8s.Observable(Promise.resolve(context));
        },
        post: (context: InstanceType<typeof k8s.ResponseContext>) => new k8s.Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
  const apiError = (error: unknown, action: string, hints: { forbidden: string; notFound?: string }): Error => {
    if (deadline.aborted) {
      return new Error(
        `cannot ${action}: no answer from the API server at ${server} within ${timeoutMs / 1000} s (--timeout)`,
        { cause: error },
      );
    }
    if (error instanceof k8s.ApiException) {
      if (error.code === 404 && hints.notFound !== undefined) return new Error(hints.notFound);
      if (error.code === 401) return new Error(`cannot ${action}: unauthorized (credentials rejected)`);
      if (error.code === 403) return new Error(`cannot ${action}: forbidden (${hints.forbidden})`);
      return new Error(`cannot ${action}: API server answered ${error.code}${statusMessage(error.body)}`);
    }
    return new Error(`cannot reach the API server at ${server}: ${messageWithCause(error)}`, { cause: error });
  };
  return { k8s, kubeConfig, callOptions, deadline, apiError };
}

import { readFile } from 'node:fs/promises';
import { ApiError } from '../cluster/list-watch/api-transport.js';
import { describeRef, ensureTlsSecret, type SecretRef, type SecretStore, type TlsSecretObject } from '../tls/tls-secret.js';
import type { ClusterCalls } from './cluster-calls.js';
import { messageWithCause } from './message-with-cause.js';
import { isDnsLabel } from '../kube/rfc1123-names.js';

/** Where the kubelet puts the pod's namespace, next to the service account token. */
export const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace when neither the flag, the kubeconfig context nor the pod names one. */
export const DEFAULT_NAMESPACE = 'workspace-storage-webhook';

/** `--secret <name> [--namespace <ns>] [--service <name>]`, parsed. */
export interface SecretOption {
  readonly name: string;
  readonly namespace?: string;
  /** The Service a generated serving certificate is issued for. */
  readonly serviceName: string;
}

/** The namespace `--secret` works in: the flag, else the kubeconfig context's, else the pod's own, else the default. */
export function resolveNamespace(sources: {
  readonly flag?: string | undefined;
  readonly context?: string | undefined;
  readonly pod?: string | undefined;
}): string {
  // In a pod the kubeconfig context is absent (or names no namespace): the pod's namespace file is the next source.
  for (const candidate of [sources.flag, sources.context, sources.pod]) {
    const trimmed = candidate?.trim();
    if (trimmed !== undefined && trimmed !== '') return trimmed;
  }
  return DEFAULT_NAMESPACE;
}

/**
 * `--secret`: resolves the namespace, ensures the Secret (see tls-secret.ts), reports what it found or created and
 * returns its ca.crt as a caBundle.
 */
export async function caBundleFromSecret(
  api: ClusterCalls,
  secret: SecretOption,
  podNamespaceFile: string,
  report: (line: string) => void,
): Promise<string> {
  const { transport, deadline, apiError } = api;
  const flag = secret.namespace;
  const context = api.namespace;
  // The file is read only when needed: an unreadable one must not fail a run that names its namespace otherwise.
  const needsPodFile = [flag, context].every((value) => value === undefined || value.trim() === '');
  const pod = needsPodFile ? await readPodNamespace(podNamespaceFile) : undefined;
  const namespace = resolveNamespace({ flag, context, pod });
  if (!isDnsLabel(namespace)) throw new Error(`namespace "${namespace}" is not a DNS label (RFC 1123)`);
  const ref: SecretRef = { name: secret.name, namespace };
  const secrets = `/api/v1/namespaces/${namespace}/secrets`;
  const where = describeRef(ref);
  const forbidden = `the service account needs get on this Secret and create on secrets in namespace ${namespace}`;
  const store: SecretStore = {
    get: async () => {
      try {
        return (await transport.getJson(`${secrets}/${encodeURIComponent(ref.name)}`, deadline)) as TlsSecretObject;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && !deadline.aborted) return undefined;
        throw apiError(error, `get ${where}`, { forbidden });
      }
    },
    create: async (body) => {
      try {
        await transport.send('POST', secrets, body, deadline);
        return 'created';
      } catch (error) {
        if (error instanceof ApiError && error.status === 409 && !deadline.aborted) return 'exists';
        throw apiError(error, `create ${where}`, {
          forbidden,
          notFound: `cannot create ${where}: the namespace does not exist`,
        });
      }
    },
  };
  const ensured = await ensureTlsSecret(store, ref, { serviceName: secret.serviceName });
  if (ensured.outcome === 'created') {
    const { caNotAfter, servingNotAfter } = ensured.generated!;
    report(
      `${where}: created with a new CA (until ${caNotAfter.toISOString()}) and a serving certificate for ` +
        `${secret.serviceName}.${namespace}.svc (until ${servingNotAfter.toISOString()})`,
    );
  } else if (ensured.outcome === 'raced') {
    report(`${where}: created meanwhile by another run; using its ca.crt`);
  } else {
    report(`${where}: exists; using its ca.crt`);
  }
  return ensured.caBundle;
}

/** The pod's namespace, or undefined outside a pod. */
async function readPodNamespace(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new Error(`cannot read the pod's namespace from ${path} (${code ?? messageWithCause(error)})`, { cause: error });
  }
}

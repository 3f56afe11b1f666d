import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CertificateFileError } from '../tls/certificate-file-error.js';
import { parseCertificate } from '../tls/certificate-pair.js';
import { describeRef, ensureTlsSecret, type SecretRef, type SecretStore } from '../tls/tls-secret.js';
import { errorText, loadKubeConfig } from './load-kube-config.js';
import { patchCaBundle } from './patch-ca-bundle.js';

/**
 * `ca-bundle [--apply [--name <configuration>] [--secret <name> ...]]`: prints the base64 `caBundle` of
 * CERT_DIR/ca.crt, or with `--apply` writes a caBundle into every webhook of the MutatingWebhookConfiguration.
 * With `--secret` the CA comes from the serving-certificate Secret instead of CERT_DIR, and the Secret is created
 * (new CA + serving certificate, see tls-secret.ts) when it does not exist: the manifests run
 * `ca-bundle --apply --secret workspace-storage-webhook-tls` as a one-shot Job, and the Deployment mounts that
 * Secret, so every replica serves the same certificate and the caBundle is its CA.
 *
 * RBAC for the Job's service account (manifests/certificate-job-rbac.yaml), nothing more:
 * - `get` and `patch` on `mutatingwebhookconfigurations` (apiGroups `admissionregistration.k8s.io`) restricted by
 *   `resourceNames` to the one configuration. No list (the name is known), no update (a JSON patch touches only
 *   the caBundle fields).
 * - with `--secret`, in the Secret's namespace: `get` on `secrets` restricted by `resourceNames` to the one Secret,
 *   and `create` on `secrets` (create cannot be restricted by name: the authorizer sees no name before the object
 *   exists). No list, update or delete: an existing Secret is only read.
 */

/** Where the command writes; `process.stdout`/`process.stderr` in production. */
export interface CommandIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

/** Seams for tests; production uses the defaults. */
export interface CaBundleCommandOptions {
  /** The pod's namespace file; default {@link POD_NAMESPACE_FILE}. */
  readonly podNamespaceFile?: string;
}

/** Where the kubelet puts the pod's namespace, next to the service account token. */
export const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const DEFAULT_CONFIGURATION_NAME = 'workspace-storage-webhook';
const DEFAULT_SERVICE_NAME = 'workspace-storage-webhook';
const DEFAULT_NAMESPACE = 'workspace-storage-webhook';
const DEFAULT_TIMEOUT_SECONDS = 30;
/** RFC 1123 label: namespaces and Service names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: Secret names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const USAGE = `usage: workspace-storage-webhook ca-bundle [--apply [--name <mutatingwebhookconfiguration>]
         [--secret <name> [--namespace <namespace>] [--service <name>]] [--timeout <seconds>]]

Prints the base64 caBundle of $CERT_DIR/ca.crt (CERT_DIR defaults to ./certs).
  --apply             patch webhooks[*].clientConfig.caBundle of the MutatingWebhookConfiguration instead
                      (cluster access: KUBECONFIG, ~/.kube/config or the in-cluster service account)
  --name <name>       the MutatingWebhookConfiguration to patch (default ${DEFAULT_CONFIGURATION_NAME})
  --secret <name>     take the CA from this kubernetes.io/tls Secret's ca.crt instead of $CERT_DIR; when the
                      Secret does not exist, generate a CA and a serving certificate and create it (tls.crt,
                      tls.key, ca.crt; the CA key is not kept: to re-issue, delete the Secret and run again)
  --namespace <ns>    the Secret's and the Service's namespace (default: the kubeconfig context's namespace,
                      else the pod's own namespace, else ${DEFAULT_NAMESPACE})
  --service <name>    the Service a generated certificate is issued for (default ${DEFAULT_SERVICE_NAME})
  --timeout <seconds> give up when the API calls together take longer (default ${DEFAULT_TIMEOUT_SECONDS})
`;

/** The parsed command line of an `--apply` run. */
interface ApplyOptions {
  readonly name: string;
  readonly timeoutMs: number;
  readonly secret?: { readonly name: string; readonly namespace?: string; readonly serviceName: string };
}

/** Exit codes: 0 done, 1 failed (message on stderr), 2 bad usage. */
export async function runCaBundleCommand(
  args: readonly string[],
  io: CommandIo,
  env: NodeJS.ProcessEnv = process.env,
  options: CaBundleCommandOptions = {},
): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        apply: { type: 'boolean' },
        name: { type: 'string' },
        secret: { type: 'string' },
        namespace: { type: 'string' },
        service: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usageError(io, errorText(error));
  }
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  const misuse = checkCombination(values);
  if (misuse !== undefined) return usageError(io, misuse);

  if (values.apply !== true) {
    try {
      io.stdout.write(`${await readCaBundle(caPathOf(env))}\n`);
      return 0;
    } catch (error) {
      return failure(io, error);
    }
  }
  const timeoutMs = Number(values.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const apply: ApplyOptions = {
    name: values.name ?? DEFAULT_CONFIGURATION_NAME,
    timeoutMs,
    ...(values.secret === undefined
      ? {}
      : {
          secret: {
            name: values.secret,
            ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
            serviceName: values.service ?? DEFAULT_SERVICE_NAME,
          },
        }),
  };
  try {
    // Without --secret the file is read before any cluster access, as before: a missing ca.crt is the likelier
    // mistake and needs no API server to report.
    const caBundle = apply.secret === undefined ? await readCaBundle(caPathOf(env)) : undefined;
    await runApply(apply, caBundle, env, options, (line) => io.stdout.write(`${line}\n`));
    return 0;
  } catch (error) {
    return failure(io, error);
  }
}

/** The namespace `--secret` works in: the flag, else the kubeconfig context's, else the pod's own, else the default. */
export function resolveNamespace(sources: {
  readonly flag?: string | undefined;
  readonly context?: string | undefined;
  readonly pod?: string | undefined;
}): string {
  // In a pod without a kubeconfig, client-node's in-cluster context already carries the namespace file's content;
  // the file is read separately only for a pod that also has a kubeconfig whose context names no namespace.
  for (const candidate of [sources.flag, sources.context, sources.pod]) {
    const trimmed = candidate?.trim();
    if (trimmed !== undefined && trimmed !== '') return trimmed;
  }
  return DEFAULT_NAMESPACE;
}

/** A message for flags that do not go together or values that cannot be right, or undefined when all is well. */
function checkCombination(values: {
  apply?: boolean | undefined;
  name?: string | undefined;
  secret?: string | undefined;
  namespace?: string | undefined;
  service?: string | undefined;
  timeout?: string | undefined;
}): string | undefined {
  for (const flag of ['name', 'secret', 'timeout'] as const) {
    if (values[flag] !== undefined && values.apply !== true) return `--${flag} only makes sense with --apply`;
  }
  for (const flag of ['namespace', 'service'] as const) {
    if (values[flag] !== undefined && values.secret === undefined) return `--${flag} only makes sense with --secret`;
  }
  if (values.secret !== undefined && (values.secret.length > 253 || !DNS_SUBDOMAIN.test(values.secret))) {
    return `--secret "${values.secret}" is not a valid Secret name (RFC 1123 subdomain)`;
  }
  for (const flag of ['namespace', 'service'] as const) {
    const value = values[flag];
    if (value !== undefined && !DNS_LABEL.test(value)) return `--${flag} "${value}" is not a DNS label (RFC 1123)`;
  }
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      return `--timeout "${values.timeout}" is not a number of seconds between 0 and 3600`;
    }
  }
  return undefined;
}

function caPathOf(env: NodeJS.ProcessEnv): string {
  return join(env.CERT_DIR || './certs', 'ca.crt');
}

/** The base64 of `ca.crt` as it is on disk (PEM, possibly several certificates), after checking that it parses. */
async function readCaBundle(caPath: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(caPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CertificateFileError(
        caPath,
        'not found: start the server once to generate it, mount a Secret that has ca.crt, or set CERT_DIR',
      );
    }
    throw new CertificateFileError(caPath, `cannot read (${code ?? String(error)})`, { cause: error });
  }
  parseCertificate(pem, caPath);
  return Buffer.from(pem, 'utf8').toString('base64');
}

/**
 * The `--apply` path: ensures the Secret (with `--secret`), then writes the caBundle into every webhook. Each step
 * reports as it completes, so a failed patch still leaves "created" on stdout. Every API call shares one deadline
 * of `timeoutMs`.
 */
async function runApply(
  options: ApplyOptions,
  fileCaBundle: string | undefined,
  env: NodeJS.ProcessEnv,
  seams: CaBundleCommandOptions,
  report: (line: string) => void,
): Promise<void> {
  // Imported here, not at the top: client-node costs tens of MB of RSS, and the server process (which shares
  // the CLI entry point) must not pay for it.
  const k8s = await import('@kubernetes/client-node');
  const kubeConfig = loadKubeConfig(k8s, env);
  const cluster = kubeConfig.getCurrentCluster();
  // loadFromDefault's last resort is an unauthenticated http://localhost:8080 (the old insecure port): when that
  // is all it found, say that no credentials exist instead of reporting a refused connection.
  if (cluster === null || (cluster.name === 'cluster' && cluster.server === 'http://localhost:8080')) {
    throw new Error('no cluster access: no KUBECONFIG, no ~/.kube/config and no in-cluster service account');
  }

  // client-node sets no timeout of its own: an API server that accepts the connection and never answers would
  // hold the Job (and its backoffLimit retries) forever. One signal bounds all calls of this run together.
  const deadline = AbortSignal.timeout(options.timeoutMs);
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
        `cannot ${action}: no answer from the API server at ${cluster.server} within ` +
          `${options.timeoutMs / 1000} s (--timeout)`,
        { cause: error },
      );
    }
    if (error instanceof k8s.ApiException) {
      if (error.code === 404 && hints.notFound !== undefined) return new Error(hints.notFound);
      if (error.code === 401) return new Error(`cannot ${action}: unauthorized (credentials rejected)`);
      if (error.code === 403) return new Error(`cannot ${action}: forbidden (${hints.forbidden})`);
      return new Error(`cannot ${action}: API server answered ${error.code}${statusMessage(error.body)}`);
    }
    return new Error(`cannot reach the API server at ${cluster.server}: ${errorText(error)}`, { cause: error });
  };

  const api: ApiContext = { k8s, kubeConfig, callOptions, deadline, apiError };
  const caBundle =
    options.secret === undefined ? fileCaBundle! : await caBundleFromSecret(api, options.secret, seams, report);

  const admission = kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  report(
    await patchCaBundle(caBundle, options.name, {
      read: () => admission.readMutatingWebhookConfiguration({ name: options.name }, callOptions),
      patch: (operations) =>
        admission.patchMutatingWebhookConfiguration(
          { name: options.name, body: operations },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch, callOptions),
        ),
      error: (error, verb) =>
        apiError(error, `${verb} mutatingwebhookconfiguration/${options.name}`, {
          forbidden: 'the service account needs get and patch on it',
          notFound: `mutatingwebhookconfiguration/${options.name} not found: apply the manifests that create it first`,
        }),
    }),
  );
}

/** What the API calls of one run share. */
interface ApiContext {
  readonly k8s: typeof import('@kubernetes/client-node');
  readonly kubeConfig: import('@kubernetes/client-node').KubeConfig;
  /** Per-call options that put the run's deadline on each request. */
  readonly callOptions: import('@kubernetes/client-node').ConfigurationOptions;
  readonly deadline: AbortSignal;
  /** Turns a failed call into the message for stderr. */
  apiError(error: unknown, action: string, hints: { forbidden: string; notFound?: string }): Error;
}

/** `--secret`: resolves the namespace, ensures the Secret (see tls-secret.ts) and returns its ca.crt. */
async function caBundleFromSecret(
  api: ApiContext,
  secret: NonNullable<ApplyOptions['secret']>,
  seams: CaBundleCommandOptions,
  report: (line: string) => void,
): Promise<string> {
  const { k8s, kubeConfig, callOptions, deadline, apiError } = api;
  const flag = secret.namespace;
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  // The file is read only when needed: an unreadable one must not fail a run that names its namespace otherwise.
  const needsPodFile = [flag, context].every((value) => value === undefined || value.trim() === '');
  const pod = needsPodFile ? await readPodNamespace(seams.podNamespaceFile ?? POD_NAMESPACE_FILE) : undefined;
  const namespace = resolveNamespace({ flag, context, pod });
  if (!DNS_LABEL.test(namespace)) throw new Error(`namespace "${namespace}" is not a DNS label (RFC 1123)`);
  const ref: SecretRef = { name: secret.name, namespace };
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const where = describeRef(ref);
  const forbidden = `the service account needs get on this Secret and create on secrets in namespace ${namespace}`;
  const store: SecretStore = {
    get: async () => {
      try {
        return await core.readNamespacedSecret({ name: ref.name, namespace }, callOptions);
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 404 && !deadline.aborted) return undefined;
        throw apiError(error, `get ${where}`, { forbidden });
      }
    },
    create: async (body) => {
      try {
        await core.createNamespacedSecret({ namespace, body }, callOptions);
        return 'created';
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 409 && !deadline.aborted) return 'exists';
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
    throw new Error(`cannot read the pod's namespace from ${path} (${code ?? errorText(error)})`, { cause: error });
  }
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

function usageError(io: CommandIo, message: string): number {
  io.stderr.write(`ca-bundle: ${message}\n${USAGE}`);
  return 2;
}

function failure(io: CommandIo, error: unknown): number {
  io.stderr.write(`ca-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

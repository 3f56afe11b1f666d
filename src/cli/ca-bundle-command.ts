import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isDnsLabel, isDnsSubdomain } from '../kube/rfc1123-names.js';
import { CertificateFileError } from '../tls/certificate-file-error.js';
import { parseCertificate } from '../tls/certificate-pair.js';
import { clusterCalls } from './cluster-calls.js';
import { messageWithCause } from './message-with-cause.js';
import { patchCaBundle, type WebhookConfigurationApi } from './patch-ca-bundle.js';
import { caBundleFromSecret, DEFAULT_NAMESPACE, POD_NAMESPACE_FILE, type SecretOption } from './secret-ca-bundle.js';
import { errorText } from '../logging/error-text.js';

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

const DEFAULT_CONFIGURATION_NAME = 'workspace-storage-webhook';
const DEFAULT_SERVICE_NAME = 'workspace-storage-webhook';
const DEFAULT_TIMEOUT_SECONDS = 30;

const USAGE = `usage: workspace-storage-webhook ca-bundle [--apply [--name <mutatingwebhookconfiguration>]
         [--secret <name> [--namespace <namespace>] [--service <name>]] [--timeout <seconds>]]

Prints the base64 caBundle of $CERT_DIR/ca.crt (CERT_DIR defaults to ./certs).
  --apply             patch webhooks[*].clientConfig.caBundle of the MutatingWebhookConfiguration instead
                      (cluster access as the server finds it: KUBECONFIG, the in-cluster service account,
                      else ~/.kube/config)
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
  readonly secret?: SecretOption;
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
    return usageError(io, messageWithCause(error));
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
  if (values.secret !== undefined && !isDnsSubdomain(values.secret)) {
    return `--secret "${values.secret}" is not a valid Secret name (RFC 1123 subdomain)`;
  }
  for (const flag of ['namespace', 'service'] as const) {
    const value = values[flag];
    if (value !== undefined && !isDnsLabel(value)) return `--${flag} "${value}" is not a DNS label (RFC 1123)`;
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
  const api = await clusterCalls(env, options.timeoutMs);
  const { transport, deadline, apiError } = api;
  const podNamespaceFile = seams.podNamespaceFile ?? POD_NAMESPACE_FILE;
  const caBundle =
    options.secret === undefined ? fileCaBundle! : await caBundleFromSecret(api, options.secret, podNamespaceFile, report);

  const configuration = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(options.name)}`;
  report(
    await patchCaBundle(caBundle, options.name, {
      read: async () => (await transport.getJson(configuration, deadline)) as Awaited<ReturnType<WebhookConfigurationApi['read']>>,
      patch: (operations) => transport.send('PATCH', configuration, operations, deadline, 'application/json-patch+json'),
      error: (error, verb) =>
        apiError(error, `${verb} mutatingwebhookconfiguration/${options.name}`, {
          forbidden: 'the service account needs get and patch on it',
          notFound: `mutatingwebhookconfiguration/${options.name} not found: apply the manifests that create it first`,
        }),
    }),
  );
}

function usageError(io: CommandIo, message: string): number {
  io.stderr.write(`ca-bundle: ${message}\n${USAGE}`);
  return 2;
}

function failure(io: CommandIo, error: unknown): number {
  io.stderr.write(`ca-bundle: ${errorText(error)}\n`);
  return 1;
}

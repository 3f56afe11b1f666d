import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CertificateFileError } from '../tls/certificate-file-error.js';
import { parseCertificate } from '../tls/certificate-pair.js';

/**
 * `ca-bundle [--apply [--name <mutatingwebhookconfiguration>]]`: prints the base64 `caBundle` of CERT_DIR/ca.crt,
 * or with `--apply` writes it into every webhook of the MutatingWebhookConfiguration. The manifests run `--apply`
 * as a one-shot Job after the server generated its CA.
 *
 * RBAC for the Job's service account: `get` and `patch` on `mutatingwebhookconfigurations`
 * (apiGroups `admissionregistration.k8s.io`) restricted by `resourceNames` to the one configuration. Nothing else:
 * no list (the name is known), no update (a JSON patch touches only the caBundle fields).
 */

/** Where the command writes; `process.stdout`/`process.stderr` in production. */
export interface CommandIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

const DEFAULT_CONFIGURATION_NAME = 'workspace-storage-webhook';
const USAGE = `usage: workspace-storage-webhook ca-bundle [--apply [--name <mutatingwebhookconfiguration>]]

Prints the base64 caBundle of $CERT_DIR/ca.crt (CERT_DIR defaults to ./certs).
  --apply        patch webhooks[*].clientConfig.caBundle of the MutatingWebhookConfiguration instead
                 (cluster access: KUBECONFIG, ~/.kube/config or the in-cluster service account)
  --name <name>  the MutatingWebhookConfiguration to patch (default ${DEFAULT_CONFIGURATION_NAME})
`;

/** Exit codes: 0 done, 1 failed (message on stderr), 2 bad usage. */
export async function runCaBundleCommand(
  args: readonly string[],
  io: CommandIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: [...args],
      options: { apply: { type: 'boolean' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.stderr.write(`ca-bundle: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (options.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (options.name !== undefined && options.apply !== true) {
    io.stderr.write(`ca-bundle: --name only makes sense with --apply\n${USAGE}`);
    return 2;
  }

  const caPath = join(env.CERT_DIR || './certs', 'ca.crt');
  let caBundle: string;
  try {
    caBundle = await readCaBundle(caPath);
  } catch (error) {
    io.stderr.write(`ca-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (options.apply !== true) {
    io.stdout.write(`${caBundle}\n`);
    return 0;
  }
  const name = options.name ?? DEFAULT_CONFIGURATION_NAME;
  try {
    io.stdout.write(`${await applyCaBundle(caBundle, name, env)}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`ca-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
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

/** Writes `caBundle` into every webhook of the configuration; returns what it did, for stdout. */
async function applyCaBundle(caBundle: string, name: string, env: NodeJS.ProcessEnv): Promise<string> {
  // Imported here, not at the top: client-node costs tens of MB of RSS, and the server process (which shares
  // the CLI entry point) must not pay for it.
  const k8s = await import('@kubernetes/client-node');
  const kubeConfig = new k8s.KubeConfig();
  try {
    const kubeconfigFiles = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
    if (kubeconfigFiles.length > 0) {
      // The same merge as loadFromDefault, but honouring the `env` given rather than process.env.
      const [first, ...rest] = kubeconfigFiles;
      kubeConfig.loadFromFile(first!);
      for (const file of rest) {
        const next = new k8s.KubeConfig();
        next.loadFromFile(file);
        kubeConfig.mergeConfig(next);
      }
    } else {
      kubeConfig.loadFromDefault();
    }
  } catch (error) {
    throw new Error(`no cluster access: cannot load the kubeconfig (${errorText(error)})`, { cause: error });
  }
  const cluster = kubeConfig.getCurrentCluster();
  // loadFromDefault's last resort is an unauthenticated http://localhost:8080 (the old insecure port): when that
  // is all it found, say that no credentials exist instead of reporting a refused connection.
  if (cluster === null || (cluster.name === 'cluster' && cluster.server === 'http://localhost:8080')) {
    throw new Error('no cluster access: no KUBECONFIG, no ~/.kube/config and no in-cluster service account');
  }
  const api = kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  const describe = (error: unknown, verb: string): Error => {
    const where = `mutatingwebhookconfiguration/${name}`;
    if (error instanceof k8s.ApiException) {
      if (error.code === 404) return new Error(`${where} not found: apply the manifests that create it first`);
      if (error.code === 401) return new Error(`cannot ${verb} ${where}: unauthorized (credentials rejected)`);
      if (error.code === 403) {
        return new Error(`cannot ${verb} ${where}: forbidden (the service account needs get and patch on it)`);
      }
      return new Error(`cannot ${verb} ${where}: API server answered ${error.code}`);
    }
    return new Error(`cannot reach the API server at ${cluster.server}: ${errorText(error)}`);
  };

  let configuration;
  try {
    configuration = await api.readMutatingWebhookConfiguration({ name });
  } catch (error) {
    throw describe(error, 'get');
  }
  const webhooks = configuration.webhooks ?? [];
  if (webhooks.length === 0) throw new Error(`mutatingwebhookconfiguration/${name} has no webhooks to patch`);

  const stale = webhooks.flatMap((webhook, index) => (webhook.clientConfig.caBundle === caBundle ? [] : [index]));
  if (stale.length === 0) return `mutatingwebhookconfiguration/${name}: caBundle already up to date`;
  // The `test` on each name makes the patch fail rather than write into the wrong webhook if the list changed
  // between the read and the patch; `add` sets the member whether or not it exists (RFC 6902 4.1).
  const operations = stale.flatMap((index) => [
    { op: 'test', path: `/webhooks/${index}/name`, value: webhooks[index]!.name },
    { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
  ]);
  try {
    await api.patchMutatingWebhookConfiguration(
      { name, body: operations },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
  } catch (error) {
    throw describe(error, 'patch');
  }
  const patched = stale.map((index) => webhooks[index]!.name).join(', ');
  return `mutatingwebhookconfiguration/${name}: caBundle set on ${patched}`;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND, certificate errors) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

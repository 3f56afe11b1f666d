/**
 * `ca-bundle --apply` against a real kube-apiserver 1.20: the caBundle it writes is what the API server's Go TLS
 * client needs to trust the generated serving certificate, and the RBAC stated in ca-bundle-command.ts (get +
 * patch on the one configuration, by resourceNames) is enough. With `--secret`, the certificate Job exactly as
 * manifests/certificate-job.yaml runs it, under exactly manifests/certificate-job-rbac.yaml, creates the TLS
 * Secret once, reuses it afterwards, and can read no other Secret.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCaBundleCommand } from '../../src/cli/ca-bundle-command.js';
import { loadCertificates, type LoadedCertificates } from '../../src/tls/load-certificates.js';
import { describeE2E, startControlPlane, type ControlPlane } from '../e2e/harness/control-plane.js';
import { pollUntil } from '../e2e/harness/poll.js';
import { captureLogs } from './support/log-capture.js';
import { handshake } from './support/tls-probe.js';

const suffix = randomBytes(3).toString('hex');
const WEBHOOKS_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

interface WebhookConfiguration {
  metadata: { name: string; resourceVersion?: string };
  webhooks: Array<{ name: string; clientConfig: { caBundle?: string; url?: string } }>;
}

interface SecretObject {
  metadata: { name: string; uid: string; resourceVersion: string };
  type: string;
  data: Record<string, string>;
}

/** A file under manifests/, the very files `kubectl apply -k manifests` installs. */
const manifestPath = (name: string): string => fileURLToPath(new URL(`../../manifests/${name}`, import.meta.url));
const fromBase64 = (value: string): string => Buffer.from(value, 'base64').toString('utf8');

/** Collects what the command writes. */
function memoryIo() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (chunk: string) => (out.stdout += chunk) },
    stderr: { write: (chunk: string) => (out.stderr += chunk) },
  };
  return { io, out };
}

describeE2E('ca-bundle --apply against kube-apiserver 1.20', () => {
  let cp: ControlPlane;
  let dir: string;
  let certs: LoadedCertificates;
  let caBundle: string;
  let webhookServer: Server;
  let webhookUrl: string;
  const reviewed: string[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    dir = await mkdtemp(join(tmpdir(), 'wsw-ca-bundle-e2e-'));
    certs = await loadCertificates({ dir, logger: captureLogs().logger });
    caBundle = Buffer.from(await readFile(certs.paths.caCert)).toString('base64');
    // A webhook served with the generated pair: the API server reaches it as https://127.0.0.1 (an IP SAN).
    webhookServer = createServer({ key: certs.key, cert: certs.cert, minVersion: 'TLSv1.2' }, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; name?: string } };
        reviewed.push(review.request.name ?? '');
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, allowed: true },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => webhookServer.listen(0, '127.0.0.1', resolve));
    webhookUrl = `https://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/mutate`;
  }, 240_000);

  afterAll(async () => {
    webhookServer?.closeAllConnections();
    await new Promise((resolve) => (webhookServer ? webhookServer.close(resolve) : resolve(undefined)));
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function kubectl(args: string[], input?: string): Promise<string> {
    const res = await cp.kubectl(args, input === undefined ? {} : { input });
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res.stdout;
  }

  async function getConfiguration(name: string): Promise<WebhookConfiguration> {
    const res = await cp.request('GET', `${WEBHOOKS_PATH}/${name}`);
    if (res.status !== 200) throw new Error(`GET ${name}: ${res.status} ${res.body}`);
    return res.json as WebhookConfiguration;
  }

  /** A configuration whose webhooks intercept ConfigMap creation in namespaces labelled for this test only. */
  async function createConfiguration(name: string, webhookNames: string[], caBundles: Record<string, string> = {}) {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name },
        webhooks: webhookNames.map((webhookName) => ({
          name: webhookName,
          clientConfig: {
            url: webhookUrl,
            ...(caBundles[webhookName] === undefined ? {} : { caBundle: caBundles[webhookName] }),
          },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
          namespaceSelector: { matchLabels: { 'wsw-e2e': `${name}` } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        })),
      }),
    );
  }

  const adminEnv = () => ({ CERT_DIR: dir, KUBECONFIG: cp.kubeconfigPath });

  /**
   * A kubeconfig that authenticates as the ServiceAccount with its token (1.20: from the token Secret the token
   * controller creates), and no namespace in the context, like an in-cluster service account without the
   * namespace file. Returns the token too, for raw requests.
   */
  async function serviceAccountKubeconfig(namespace: string, account: string) {
    await cp.waitForServiceAccount(namespace, account);
    const sa = (await cp.request('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${account}`)).json as {
      secrets: Array<{ name: string }>;
    };
    const tokenSecret = sa.secrets[0]!.name;
    const secret = (await cp.request('GET', `/api/v1/namespaces/${namespace}/secrets/${tokenSecret}`)).json as {
      data: { token: string };
    };
    const token = fromBase64(secret.data.token);
    const kubeconfig = join(dir, `${namespace}-${account}.kubeconfig`);
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority': cp.caFile } }],
        users: [{ name: account, user: { token } }],
        contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: account } }],
        'current-context': 'e2e',
      }),
      { mode: 0o600 },
    );
    return { kubeconfig, token, tokenSecret };
  }

  /** The HTTP status of a GET with a bearer token: what the account itself would be told. */
  async function statusOfGetAs(token: string, path: string): Promise<number> {
    const ca = await readFile(cp.caFile, 'utf8');
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${cp.server}${path}`, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function getSecret(namespace: string, name: string): Promise<SecretObject> {
    const res = await cp.request('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
    if (res.status !== 200) throw new Error(`GET secret ${namespace}/${name}: ${res.status} ${res.body}`);
    return res.json as SecretObject;
  }

  /** `kubectl auth can-i` as the ServiceAccount (impersonated by admin): true for yes, false for no. */
  async function canI(namespace: string, account: string, args: string[]): Promise<boolean> {
    const res = await cp.kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${namespace}:${account}`]);
    if (res.stdout.trim() !== 'yes' && res.stdout.trim() !== 'no') {
      throw new Error(`kubectl auth can-i ${args.join(' ')}: ${res.code} ${res.stdout} ${res.stderr}`);
    }
    return res.stdout.trim() === 'yes';
  }

  it('sets the caBundle the API server needs to call the webhook, on every webhook, once', async () => {
    const name = `wsw-apply-${suffix}`;
    await createConfiguration(name, ['a.workspace-storage.dev', 'b.workspace-storage.dev']);
    const ns = `wsw-apply-${suffix}`;
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['label', 'namespace', ns, `wsw-e2e=${name}`]);

    // Without the caBundle the API server does not trust the generated certificate: failurePolicy Fail denies.
    const before = await cp.kubectl(['create', 'configmap', 'before', '-n', ns]);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('x509: certificate signed by unknown authority');

    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', name], io, adminEnv())).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(
      `mutatingwebhookconfiguration/${name}: caBundle set on a.workspace-storage.dev, b.workspace-storage.dev\n`,
    );
    const patched = await getConfiguration(name);
    expect(patched.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual([caBundle, caBundle]);
    expect(patched.webhooks.map((webhook) => webhook.clientConfig.url)).toEqual([webhookUrl, webhookUrl]);

    // Now the API server's TLS client verifies the generated certificate for 127.0.0.1.
    await pollUntil('a ConfigMap admitted through both webhooks', async () => {
      const res = await cp.kubectl(['create', 'configmap', 'after', '-n', ns]);
      return res.code === 0 ? true : undefined;
    });
    expect(reviewed.filter((reviewedName) => reviewedName === 'after')).toHaveLength(2);

    // Idempotent: a second run writes nothing.
    const again = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', name], again.io, adminEnv())).toBe(0);
    expect(again.out.stdout).toBe(`mutatingwebhookconfiguration/${name}: caBundle already up to date\n`);
    expect((await getConfiguration(name)).metadata.resourceVersion).toBe(patched.metadata.resourceVersion);
  });

  it('replaces a stale caBundle and leaves a current one alone', async () => {
    const name = `wsw-stale-${suffix}`;
    const stale = Buffer.from('-----BEGIN CERTIFICATE-----\nstale\n-----END CERTIFICATE-----\n').toString('base64');
    await createConfiguration(name, ['current.workspace-storage.dev', 'stale.workspace-storage.dev'], {
      'current.workspace-storage.dev': caBundle,
      'stale.workspace-storage.dev': stale,
    });
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', name], io, adminEnv())).toBe(0);
    expect(out.stdout).toBe(`mutatingwebhookconfiguration/${name}: caBundle set on stale.workspace-storage.dev\n`);
    const patched = await getConfiguration(name);
    expect(patched.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual([caBundle, caBundle]);
  });

  it('says when the configuration does not exist', async () => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', `absent-${suffix}`], io, adminEnv())).toBe(1);
    expect(out.stderr).toBe(
      `ca-bundle: mutatingwebhookconfiguration/absent-${suffix} not found: apply the manifests that create it first\n`,
    );
  });

  it('works with only get + patch on the one configuration (resourceNames), and says forbidden without', async () => {
    const name = `wsw-rbac-${suffix}`;
    const other = `wsw-rbac-other-${suffix}`;
    await createConfiguration(name, ['a.workspace-storage.dev']);
    await createConfiguration(other, ['a.workspace-storage.dev']);
    const account = `ca-bundle-${suffix}`;
    await kubectl(['create', 'serviceaccount', account, '-n', 'default']);
    const { kubeconfig } = await serviceAccountKubeconfig('default', account);
    const accountEnv = { CERT_DIR: dir, KUBECONFIG: kubeconfig };

    const denied = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', name], denied.io, accountEnv)).toBe(1);
    expect(denied.out.stderr).toBe(
      `ca-bundle: cannot get mutatingwebhookconfiguration/${name}: ` +
        'forbidden (the service account needs get and patch on it)\n',
    );

    // The Role the manifests grant: exactly these verbs, exactly this object.
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: account },
            rules: [
              {
                apiGroups: ['admissionregistration.k8s.io'],
                resources: ['mutatingwebhookconfigurations'],
                resourceNames: [name],
                verbs: ['get', 'patch'],
              },
            ],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: account },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account },
            subjects: [{ kind: 'ServiceAccount', name: account, namespace: 'default' }],
          },
        ],
      }),
    );
    // The RBAC authorizer's informers take a moment to see the binding.
    const result = await pollUntil('the binding to take effect', async () => {
      const { io, out } = memoryIo();
      return (await runCaBundleCommand(['--apply', '--name', name], io, accountEnv)) === 0 ? out.stdout : undefined;
    });
    expect(result).toBe(`mutatingwebhookconfiguration/${name}: caBundle set on a.workspace-storage.dev\n`);
    expect((await getConfiguration(name)).webhooks[0]?.clientConfig.caBundle).toBe(caBundle);

    const elsewhere = memoryIo();
    expect(await runCaBundleCommand(['--apply', '--name', other], elsewhere.io, accountEnv)).toBe(1);
    expect(elsewhere.out.stderr).toContain('forbidden');
  });

  it('--secret: the certificate Job creates the TLS Secret once and sets every caBundle, under its RBAC', async () => {
    const namespace = 'workspace-storage-webhook';
    const account = 'workspace-storage-webhook-certs';
    const secretName = 'workspace-storage-webhook-tls';
    const configurationName = 'workspace-storage-webhook';

    // The Job's command line and environment, read from the manifest rather than restated here.
    const job = parseYaml(await readFile(manifestPath('certificate-job.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: Array<{ args: string[]; env?: Array<{ name: string }> }> } } };
    };
    const container = job.spec.template.spec.containers[0]!;
    const [subcommand, ...jobArgs] = container.args;
    expect(subcommand).toBe('ca-bundle');
    expect(jobArgs).toEqual(['--apply', '--name', configurationName, '--secret', secretName]);
    // With --secret the command neither reads nor writes CERT_DIR, so the Job sets no environment.
    expect(container.env).toBeUndefined();

    // What `kubectl apply -k manifests` puts in place before the Job runs: the namespace, the real webhook
    // configuration (eight webhooks, no caBundle) and the Job's RBAC, applied from the file itself.
    await kubectl(['create', 'namespace', namespace]);
    await kubectl(['apply', '-f', manifestPath('base/mutating-webhook-configuration.yaml')]);
    await kubectl(['apply', '-n', namespace, '-f', manifestPath('certificate-job-rbac.yaml')]);
    const before = await getConfiguration(configurationName);
    expect(before.webhooks.length).toBeGreaterThan(1);
    expect(before.webhooks.every((webhook) => webhook.clientConfig.caBundle === undefined)).toBe(true);

    const { kubeconfig, token, tokenSecret } = await serviceAccountKubeconfig(namespace, account);
    // The RBAC authorizer's informers take a moment to see the bindings: wait for all four grants, so the first
    // run below is the Job's first run, not a half-authorized one.
    await pollUntil('the certificate Job RBAC to take effect', async () => {
      const grants = await Promise.all([
        canI(namespace, account, ['get', `mutatingwebhookconfigurations/${configurationName}`]),
        canI(namespace, account, ['patch', `mutatingwebhookconfigurations/${configurationName}`]),
        canI(namespace, account, ['get', `secrets/${secretName}`, '-n', namespace]),
        canI(namespace, account, ['create', 'secrets', '-n', namespace]),
      ]);
      return grants.every(Boolean) ? true : undefined;
    });

    // In the pod the namespace comes from the service account's namespace file; CERT_DIR is an empty emptyDir.
    const podNamespaceFile = join(dir, 'pod-namespace');
    await writeFile(podNamespaceFile, namespace);
    const certDir = await mkdtemp(join(dir, 'job-cert-dir-'));
    const runJob = async () => {
      const { io, out } = memoryIo();
      const code = await runCaBundleCommand(jobArgs, io, { CERT_DIR: certDir, KUBECONFIG: kubeconfig }, {
        podNamespaceFile,
      });
      return { code, ...out };
    };

    const first = await runJob();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const webhookNames = before.webhooks.map((webhook) => webhook.name).join(', ');
    expect(first.stdout.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^secret/${secretName} in namespace ${namespace}: created with a new CA .* for ` +
          `workspace-storage-webhook\\.workspace-storage-webhook\\.svc `),
      ),
      `mutatingwebhookconfiguration/${configurationName}: caBundle set on ${webhookNames}`,
      '',
    ]);

    // The Secret: kubernetes.io/tls with tls.crt, tls.key, ca.crt and no CA key; the pair belongs together, is
    // signed by ca.crt and names the Service.
    const secret = await getSecret(namespace, secretName);
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const ca = new X509Certificate(fromBase64(secret.data['ca.crt']!));
    const leaf = new X509Certificate(fromBase64(secret.data['tls.crt']!));
    expect(ca.ca).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(fromBase64(secret.data['tls.key']!)))).toBe(true);
    expect(leaf.subjectAltName?.split(', ')).toContain('DNS:workspace-storage-webhook.workspace-storage-webhook.svc');
    expect(await readdir(certDir)).toEqual([]);

    // A TLS client that trusts only ca.crt accepts the pair for the name the API server dials.
    const svcName = 'workspace-storage-webhook.workspace-storage-webhook.svc';
    const server = createServer({
      cert: fromBase64(secret.data['tls.crt']!),
      key: fromBase64(secret.data['tls.key']!),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const seen = await handshake({
        port: (server.address() as AddressInfo).port,
        servername: svcName,
        ca: fromBase64(secret.data['ca.crt']!),
      });
      expect(seen.authorizationError).toBeUndefined();
      expect(seen.authorized).toBe(true);
      expect(checkServerIdentity(svcName, seen.peerCertificate)).toBeUndefined();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }

    // Every webhook's caBundle is the Secret's ca.crt, byte for byte; nothing else in them changed.
    const patched = await getConfiguration(configurationName);
    expect(patched.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual(
      before.webhooks.map(() => secret.data['ca.crt']),
    );
    const withoutCaBundle = (configuration: WebhookConfiguration) =>
      configuration.webhooks.map((webhook) => ({
        ...webhook,
        clientConfig: { ...webhook.clientConfig, caBundle: undefined },
      }));
    expect(withoutCaBundle(patched)).toEqual(withoutCaBundle(before));

    // A second run (the Job re-run, or a retry) reuses the Secret and writes nothing.
    const second = await runJob();
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      `secret/${secretName} in namespace ${namespace}: exists; using its ca.crt\n` +
        `mutatingwebhookconfiguration/${configurationName}: caBundle already up to date\n`,
    );
    const secretAfter = await getSecret(namespace, secretName);
    expect(secretAfter.metadata.uid).toBe(secret.metadata.uid);
    expect(secretAfter.metadata.resourceVersion).toBe(secret.metadata.resourceVersion);
    expect(secretAfter.data).toEqual(secret.data);
    expect((await getConfiguration(configurationName)).metadata.resourceVersion).toBe(patched.metadata.resourceVersion);
    expect(await readdir(certDir)).toEqual([]);

    // The account reads its one Secret and no other: not its own token, not by list, not elsewhere.
    expect(await canI(namespace, account, ['get', 'secrets', '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['list', 'secrets', '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['watch', 'secrets', '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['get', `secrets/${tokenSecret}`, '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['update', `secrets/${secretName}`, '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['delete', `secrets/${secretName}`, '-n', namespace])).toBe(false);
    expect(await canI(namespace, account, ['create', 'secrets', '-n', 'default'])).toBe(false);
    expect(await canI(namespace, account, ['get', 'mutatingwebhookconfigurations/other'])).toBe(false);
    expect(await statusOfGetAs(token, `/api/v1/namespaces/${namespace}/secrets/${secretName}`)).toBe(200);
    expect(await statusOfGetAs(token, `/api/v1/namespaces/${namespace}/secrets/${tokenSecret}`)).toBe(403);
    expect(await statusOfGetAs(token, `/api/v1/namespaces/${namespace}/secrets`)).toBe(403);
    const defaultToken = (await cp.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).json as {
      secrets: Array<{ name: string }>;
    };
    expect(await statusOfGetAs(token, `/api/v1/namespaces/default/secrets/${defaultToken.secrets[0]!.name}`)).toBe(403);
  });

  it('--secret: two runs racing converge on one Secret and its CA', async () => {
    const name = `wsw-race-${suffix}`;
    await createConfiguration(name, ['a.workspace-storage.dev', 'b.workspace-storage.dev']);
    await kubectl(['create', 'namespace', name]);
    const args = ['--apply', '--name', name, '--secret', 'tls', '--namespace', name, '--service', 'hooks'];
    const runs = await Promise.all(
      [0, 1].map(async () => {
        const { io, out } = memoryIo();
        return { code: await runCaBundleCommand(args, io, adminEnv()), ...out };
      }),
    );
    expect(runs.map((run) => run.stderr)).toEqual(['', '']);
    expect(runs.map((run) => run.code)).toEqual([0, 0]);
    const outcomes = runs.map(
      (run) => /^secret\/tls in namespace \S+: (created with|created meanwhile|exists)/.exec(run.stdout)?.[1],
    );
    // Exactly one run created the Secret; the other either lost the create (409) or came after it.
    expect(outcomes.filter((outcome) => outcome === 'created with')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'created meanwhile' || outcome === 'exists')).toHaveLength(1);

    const secret = await getSecret(name, 'tls');
    expect(new X509Certificate(fromBase64(secret.data['tls.crt']!)).subjectAltName).toContain(`DNS:hooks.${name}.svc`);
    const patched = await getConfiguration(name);
    expect(patched.webhooks.map((webhook) => webhook.clientConfig.caBundle)).toEqual([
      secret.data['ca.crt'],
      secret.data['ca.crt'],
    ]);
  });
});

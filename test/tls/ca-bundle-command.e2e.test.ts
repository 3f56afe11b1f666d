/**
 * `ca-bundle --apply` against a real kube-apiserver 1.20: the caBundle it writes is what the API server's Go TLS
 * client needs to trust the generated serving certificate, and the RBAC stated in ca-bundle-command.ts (get +
 * patch on the one configuration, by resourceNames) is enough.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCaBundleCommand } from '../../src/cli/ca-bundle-command.js';
import { loadCertificates, type LoadedCertificates } from '../../src/tls/load-certificates.js';
import { describeE2E, startControlPlane, type ControlPlane } from '../e2e/harness/control-plane.js';
import { pollUntil } from '../e2e/harness/poll.js';
import { captureLogs } from './support/log-capture.js';

const suffix = randomBytes(3).toString('hex');
const WEBHOOKS_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

interface WebhookConfiguration {
  metadata: { name: string; resourceVersion?: string };
  webhooks: Array<{ name: string; clientConfig: { caBundle?: string; url?: string } }>;
}

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
    await cp.waitForServiceAccount('default', account);
    const sa = (await cp.request('GET', `/api/v1/namespaces/default/serviceaccounts/${account}`)).json as {
      secrets: Array<{ name: string }>;
    };
    const secret = (await cp.request('GET', `/api/v1/namespaces/default/secrets/${sa.secrets[0]!.name}`)).json as {
      data: { token: string };
    };
    const kubeconfig = join(dir, `${account}.kubeconfig`);
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority': cp.caFile } }],
        users: [{ name: account, user: { token: Buffer.from(secret.data.token, 'base64').toString('utf8') } }],
        contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: account } }],
        'current-context': 'e2e',
      }),
      { mode: 0o600 },
    );
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
});

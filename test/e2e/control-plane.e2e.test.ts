/**
 * Proves the e2e harness: a real kube-apiserver 1.20 with etcd and
 * kube-controller-manager, admission webhooks that patch, and the audit log.
 *
 * The webhook case is also the regression test for the vendored reflect2 v1.0.1
 * that scripts/kube-1.20-patches/0001-reflect2-go1.18-mapiterinit.patch fixes:
 * unpatched, kube-apiserver built with Go >= 1.18 segfaults on the first
 * webhook patch.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeE2E, startControlPlane, type ControlPlane } from './harness/control-plane.js';
import { createCertificateAuthority, issueServingCertificate } from './harness/pki.js';
import { pollUntil } from './harness/poll.js';

const TEST_TIMEOUT_MS = 120_000;
const suffix = randomBytes(3).toString('hex');

interface ObjectMeta {
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}
interface KubeObject {
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

describeE2E('e2e harness: kube-apiserver 1.20 control plane', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  }, 240_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  /** Runs kubectl and fails the test, with its stderr, on a non-zero exit. */
  async function kubectl(args: string[], input?: string): Promise<string> {
    const res = await cp.kubectl(args, input === undefined ? {} : { input });
    // A crashed API server explains a failed kubectl better than "connection refused".
    if (res.code !== 0) cp.assertRunning();
    if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res.stdout;
  }

  async function getJson<T>(path: string): Promise<T> {
    const res = await cp.request('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
    return res.json as T;
  }

  /** Creates a namespace and waits for its default ServiceAccount token (pods need it in 1.20). */
  async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
    await kubectl(['apply', '-f', '-'], JSON.stringify(namespace));
    await cp.waitForServiceAccount(name);
  }

  it('serves /readyz and /version as admin', async () => {
    expect((await cp.request('GET', '/readyz')).status).toBe(200);
    const version = await getJson<{ gitVersion: string }>('/version');
    expect(version.gitVersion).toMatch(/^v1\.20\./);
    const whoami = await cp.kubectl(['auth', 'can-i', '*', '*']);
    expect(whoami.stdout.trim()).toBe('yes');
  });

  it(
    'runs Deployment -> ReplicaSet -> Pod through kube-controller-manager',
    async () => {
      const ns = `e2e-deploy-${suffix}`;
      await createNamespace(ns);
      await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: ns },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
            },
          },
        }),
      );

      const pod = await pollUntil(
        'a pod created by the ReplicaSet controller',
        async () => {
          const list = await getJson<{ items: KubeObject[] }>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`);
          return list.items[0];
        },
        { timeoutMs: 30_000, guard: () => cp.assertRunning() },
      );
      // No scheduler and no kubelet: the pod exists and stays Pending.
      expect(pod.metadata.generateName).toMatch(/^web-[a-z0-9]+-$/);
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
      expect(pod.status?.phase).toBe('Pending');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'binds a PVC to a matching PV through the PV controller',
    async () => {
      const ns = `e2e-pv-${suffix}`;
      const pvName = `e2e-pv-${suffix}`;
      // No StorageClass object with this name: the PV controller binds immediately.
      const storageClassName = 'e2e-manual';
      await createNamespace(ns);
      await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'v1',
              kind: 'PersistentVolume',
              metadata: { name: pvName },
              spec: {
                capacity: { storage: '1Gi' },
                accessModes: ['ReadWriteOnce'],
                storageClassName,
                hostPath: { path: `/tmp/${pvName}` },
              },
            },
            {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: 'data', namespace: ns },
              spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } },
            },
          ],
        }),
      );

      const pvc = await pollUntil(
        'the PVC to be Bound',
        async () => {
          const claim = await getJson<KubeObject>(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`);
          return claim.status?.phase === 'Bound' ? claim : undefined;
        },
        { timeoutMs: 60_000, guard: () => cp.assertRunning() },
      );
      expect(pvc.spec?.volumeName).toBe(pvName);
      const pv = await getJson<KubeObject>(`/api/v1/persistentvolumes/${pvName}`);
      expect(pv.status?.phase).toBe('Bound');
    },
    TEST_TIMEOUT_MS,
  );

  describe('with a mutating webhook', () => {
    const ns = `e2e-webhook-${suffix}`;
    const webhookName = 'reflect2.e2e.wsw.dev';
    const labelKey = 'e2e.wsw.dev/mutated';
    const reviews: { url: string; kind: string; name: string }[] = [];
    let webhook: Server;
    let webhookCaPem: string;

    beforeAll(async () => {
      const ca = createCertificateAuthority('wsw-e2e-webhook-ca');
      webhookCaPem = ca.certPem;
      const serving = issueServingCertificate(ca, { hosts: ['127.0.0.1'] });
      webhook = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            request: { uid: string; kind: { kind: string }; name?: string; object: KubeObject };
          };
          const object = review.request.object;
          reviews.push({ url: req.url ?? '', kind: review.request.kind.kind, name: object.metadata.name ?? '' });
          // `add` needs the parent: add the whole labels map when there is none.
          const pointerKey = labelKey.replace(/~/g, '~0').replace(/\//g, '~1');
          const patch = object.metadata.labels
            ? [{ op: 'add', path: `/metadata/labels/${pointerKey}`, value: 'true' }]
            : [{ op: 'add', path: '/metadata/labels', value: { [labelKey]: 'true' } }];
          res.setHeader('Content-Type', 'application/json');
          res.end(
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: {
                uid: review.request.uid,
                allowed: true,
                patchType: 'JSONPatch',
                patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
                auditAnnotations: { verdict: 'labelled' },
              },
            }),
          );
        });
      });
      await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
    });

    it(
      'applies a mutating webhook patch, stays alive (reflect2 fix) and audits the mutation',
      async () => {
        const port = (webhook.address() as AddressInfo).port;
        // 1.20 has no automatic kubernetes.io/metadata.name label: select on our own.
        await createNamespace(ns, { 'e2e.wsw.dev/suite': `webhook-${suffix}` });
        await kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'MutatingWebhookConfiguration',
            metadata: { name: `e2e-reflect2-${suffix}` },
            webhooks: [
              {
                name: webhookName,
                clientConfig: {
                  url: `https://127.0.0.1:${port}/mutate`,
                  caBundle: Buffer.from(webhookCaPem).toString('base64'),
                },
                rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
                namespaceSelector: { matchLabels: { 'e2e.wsw.dev/suite': `webhook-${suffix}` } },
                sideEffects: 'None',
                admissionReviewVersions: ['v1'],
                failurePolicy: 'Fail',
                timeoutSeconds: 10,
              },
            ],
          }),
        );

        const podManifest = (name: string): string =>
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: ns, labels: { app: 'reflect2' } },
            spec: { containers: [{ name: 'main', image: 'registry.invalid/main:1' }] },
          });

        // The API server picks webhook configurations up asynchronously: wait with
        // server-side dry runs (allowed because sideEffects is None) until the patch shows.
        await pollUntil(
          'the webhook configuration to take effect',
          async () => {
            const out = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], podManifest('probe'));
            return (JSON.parse(out) as KubeObject).metadata.labels?.[labelKey] === 'true' ? true : undefined;
          },
          { timeoutMs: 30_000, guard: () => cp.assertRunning() },
        );

        await kubectl(['create', '-f', '-'], podManifest('patched'));
        const stored = await getJson<KubeObject>(`/api/v1/namespaces/${ns}/pods/patched`);
        expect(stored.metadata.labels).toEqual({ app: 'reflect2', [labelKey]: 'true' });

        // Unpatched reflect2 kills kube-apiserver right here.
        cp.assertRunning();
        expect((await cp.request('GET', '/readyz')).status).toBe(200);
        await kubectl(['create', '-f', '-'], podManifest('patched-again'));
        expect((await cp.request('GET', '/readyz')).status).toBe(200);

        // The API server appends ?timeout=10s: webhooks must route on the path.
        expect(reviews.find((r) => r.name === 'patched')?.url).toMatch(/^\/mutate\?timeout=10s$/);

        const event = await pollUntil(
          'the audit event of the pod creation',
          async () =>
            (await cp.auditEvents()).find(
              (e) =>
                e.verb === 'create' &&
                e.stage === 'ResponseComplete' &&
                e.objectRef?.resource === 'pods' &&
                e.objectRef.namespace === ns &&
                e.objectRef.name === 'patched',
            ),
          { timeoutMs: 10_000, guard: () => cp.assertRunning() },
        );
        const keys = Object.keys(event.annotations ?? {});
        expect(keys.some((k) => /^(mutation|patch)\.webhook\.admission\.k8s\.io\//.test(k))).toBe(true);
        // auditAnnotations from the webhook response, prefixed with the webhook's name.
        expect(event.annotations?.[`${webhookName}/verdict`]).toBe('labelled');
      },
      TEST_TIMEOUT_MS,
    );
  });

  it(
    'restarts kube-apiserver on the same port and etcd',
    async () => {
      const name = `e2e-restart-${suffix}`;
      await kubectl(['create', 'configmap', name, '-n', 'default', `--from-literal=suffix=${suffix}`]);
      await cp.stopApiServer();
      await expect(cp.request('GET', '/readyz')).rejects.toThrow(/ECONNREFUSED/);
      await cp.startApiServer();
      // Same server URL, same etcd: the object written before the restart is there.
      const cm = await getJson<{ data?: Record<string, string> }>(`/api/v1/namespaces/default/configmaps/${name}`);
      expect(cm.data?.suffix).toBe(suffix);
    },
    TEST_TIMEOUT_MS,
  );
});

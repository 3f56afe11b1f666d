/**
 * Issue "Prove it against a real Kubernetes API server": the shipped manifests against kube-apiserver 1.20
 * (server-side dry run), then the real server (dist/cli/main.js serve, a child process) registered with the
 * shipped MutatingWebhookConfiguration and exercised the way Coder and users reach it: a Deployment whose
 * ReplicaSet creates the pod, kubectl creating pods and PVCs, namespaces opting out or into audit, a second
 * webhook forcing reinvocation, and the webhook going away. Every assertion reads the object back from the API
 * server (or its audit log): what is stored is what the kubelet would run.
 *
 * 1.20 cannot check everything the manifests say (they target 1.27+): each such object or field is logged as
 * `not checkable on 1.20: <object> (<reason>)` and asserted to be the only difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeE2E, startControlPlane, type AuditEvent, type ControlPlane } from './harness/control-plane.js';
import { annotationsWithPrefix, Cluster, type KubeObject } from './support/cluster.js';
import { LABELLER_LABEL, startLabellingWebhook, type LabellingWebhook } from './support/labelling-webhook.js';
import { describeObject, fieldsNotKept, kubectlResourceName, MANIFESTS_DIR, parseManifestStream } from './support/manifests.js';
import { localWebhookConfiguration, shippedWebhookConfiguration, waitForWebhook } from './support/webhook-configuration.js';
import { WebhookServer } from './support/webhook-server.js';
import {
  emptyDirVolumes,
  fixtureObject,
  mountsAt,
  named,
  volumeNames,
  WORKSPACE_DEPLOYMENT_SELECTOR,
  workspaceDeployment,
  workspacePod,
} from './support/workspace-objects.js';

const CRD_FILE = new URL('../fixtures/longhorn/replicas-crd.yaml', import.meta.url).pathname;
const PROJECT = '/home/coder/app';
const NODE_MODULES = `${PROJECT}/node_modules`;
const NEXT = `${PROJECT}/.next`;
const SERVER_CONFIG = `tmpfs:\n  projects: [${PROJECT}]\n`;

/** Namespaces, one per rollout mode (the label workspace-storage.dev/mode), plus one for the reinvocation case. */
const NS = {
  enforce: 'ws-enforce',
  audit: 'ws-audit',
  disabled: 'ws-disabled',
  reinvoke: 'ws-reinvoke',
  all: 'ws-all',
  typo: 'ws-typo',
} as const;

/** Some of the eighteen webhooks' names, from the shipped configuration. */
const WEBHOOK = {
  podsMutate: 'pods.mutate.workspace-storage.dev',
  podsCoderResourceMutate: 'pods-coder-resource.mutate.workspace-storage.dev',
  podsAudit: 'pods.audit.workspace-storage.dev',
  pvcsMutate: 'pvcs.mutate.workspace-storage.dev',
  podsAllMutate: 'pods-all.mutate.workspace-storage.dev',
  pvcsAllMutate: 'pvcs-all.mutate.workspace-storage.dev',
} as const;

/** Logged for what this API server cannot check; the README and DOMAIN.md promise the list. */
function notCheckable(object: string, reason: string): void {
  process.stdout.write(`not checkable on 1.20: ${object} (${reason})\n`);
}

/** Our webhooks' auditAnnotations on an audit event (keys `<webhook name>/<key>`). */
function ourAnnotations(event: AuditEvent): Record<string, string> {
  return Object.fromEntries(Object.entries(event.annotations ?? {}).filter(([key]) => /^[a-z-]+\.(mutate|enforce|audit)\.workspace-storage\.dev\//.test(key)));
}

/** The tmpfs the webhook should have added: one memory emptyDir per target, in container `dev`. */
function expectTmpfs(pod: KubeObject): void {
  for (const [path, size] of [[NODE_MODULES, '16Gi'], [NEXT, '8Gi']] as const) {
    const mounts = mountsAt(pod, path);
    expect(mounts, `mounts at ${path}`).toHaveLength(1);
    expect(mounts[0]).toMatchObject({ container: 'dev', volume: { emptyDir: { medium: 'Memory', sizeLimit: size } } });
  }
  const names = volumeNames(pod);
  expect(new Set(names).size, `volume names ${names.join(',')}`).toBe(names.length);
}

function expectNoTmpfs(pod: KubeObject): void {
  expect(mountsAt(pod, NODE_MODULES)).toEqual([]);
  expect(mountsAt(pod, NEXT)).toEqual([]);
  expect(emptyDirVolumes(pod)).toEqual([]);
}

describeE2E('the webhook against kube-apiserver 1.20 + kube-controller-manager', () => {
  let cp: ControlPlane;
  let cluster: Cluster;

  beforeAll(async () => {
    cp = await startControlPlane();
    cluster = new Cluster(cp);
    // The co-location caches watch Longhorn replicas: with the CRD present they sync (nothing here is on Longhorn).
    await cluster.kubectl(['apply', '-f', CRD_FILE]);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replicas.longhorn.io']);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'longhorn-system' } });
  });

  afterAll(async () => {
    await cp?.stop();
  });

  describe('the shipped manifests', () => {
    it('kubectl kustomize manifests builds and every object passes server-side dry run, except what 1.20 lacks', async () => {
      const built = await cluster.kubectl(['kustomize', MANIFESTS_DIR]);
      const objects = parseManifestStream(built.stdout);
      expect(objects.map((o) => o.kind).sort()).toEqual(
        [
          'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Job',
          'MutatingWebhookConfiguration', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service',
          'ServiceAccount', 'ServiceAccount',
        ].sort(),
      );
      // A dry run does not create the namespace, and the namespaced objects' dry runs need it: create it for real.
      const namespace = objects.find((o) => o.kind === 'Namespace')!;
      await cluster.apply(namespace);

      // 1. The stream as a user would apply it.
      const dryRun = await cluster.kubectlResult(['apply', '--dry-run=server', '-f', '-'], built.stdout);
      const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
      expect(pdb.apiVersion).toBe('policy/v1');
      const others = objects.filter((o) => o !== pdb);
      for (const object of others) {
        expect(dryRun.stdout, describeObject(object)).toMatch(
          new RegExp(`^${kubectlResourceName(object).replace(/\./g, '\\.')} (created|configured|unchanged) \\(server dry run\\)$`, 'm'),
        );
      }
      // The one failure: policy/v1 is not served before 1.21.
      const errors = dryRun.stderr.split('\n').filter((line) => line.startsWith('error') || line.includes('Error'));
      expect(errors).toEqual([
        `error: resource mapping not found for name: "${pdb.metadata.name}" namespace: "${pdb.metadata.namespace}" from "STDIN": no matches for kind "PodDisruptionBudget" in version "policy/v1"`,
      ]);
      expect(dryRun.code).toBe(1);

      // 2. The PDB fails only for its apiVersion: the same object under policy/v1beta1 (same fields) passes.
      const pdbBeta = await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify({ ...pdb, apiVersion: 'policy/v1beta1' }));
      expect(fieldsNotKept({ ...pdb, apiVersion: 'policy/v1beta1' }, JSON.parse(pdbBeta.stdout))).toEqual([]);
      notCheckable(describeObject(pdb), 'policy/v1 is served from 1.21; the same spec passed as policy/v1beta1');

      // 3. What the server kept: every field sent comes back from the dry run, except a feature 1.20 has off.
      const returned = await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: others }));
      const items = (JSON.parse(returned.stdout) as { items: KubeObject[] }).items;
      expect(items).toHaveLength(others.length);
      const dropped = others.flatMap((object, i) => fieldsNotKept(object, items[i]).map((path) => `${describeObject(object)} ${path}`));
      const job = others.find((o) => o.kind === 'Job')!;
      expect(dropped).toEqual([`${describeObject(job)} /spec/ttlSecondsAfterFinished`]);
      notCheckable(`${describeObject(job)} spec.ttlSecondsAfterFinished`, 'feature gate TTLAfterFinished is alpha and off in 1.20 (beta 1.21): the server drops the field');

      // 4. Accepted but without effect on 1.20 (checked by hand further down where possible).
      notCheckable(
        `MutatingWebhookConfiguration/workspace-storage-webhook namespaceSelector kubernetes.io/metadata.name NotIn [kube-system]`,
        'the label is set automatically from 1.21; checked below with the label set by hand',
      );
      expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      notCheckable(`${describeObject(namespace)} label pod-security.kubernetes.io/enforce=restricted`, 'the PodSecurity admission plugin exists from 1.23');
    });

    it('kubectl kustomize manifests/cert-manager builds; its cert-manager objects cannot be dry-run here', async () => {
      const built = await cluster.kubectl(['kustomize', `${MANIFESTS_DIR}/cert-manager`]);
      const objects = parseManifestStream(built.stdout);
      const certManager = objects.filter((o) => o.apiVersion === 'cert-manager.io/v1');
      expect(certManager.map(describeObject).sort()).toEqual([
        'Certificate/workspace-storage-webhook/workspace-storage-webhook',
        'Certificate/workspace-storage-webhook/workspace-storage-webhook-ca',
        'Issuer/workspace-storage-webhook/workspace-storage-webhook-ca',
        'Issuer/workspace-storage-webhook/workspace-storage-webhook-selfsigned',
      ]);
      // No certificate Job in this overlay; the CA injector's annotation on the webhook configuration instead.
      expect(objects.some((o) => o.kind === 'Job')).toBe(false);
      const webhookConfiguration = objects.find((o) => o.kind === 'MutatingWebhookConfiguration')!;
      expect(webhookConfiguration.metadata.annotations).toEqual({
        'cert-manager.io/inject-ca-from': 'workspace-storage-webhook/workspace-storage-webhook',
      });

      const rest = objects.filter((o) => o.apiVersion !== 'cert-manager.io/v1' && o.kind !== 'PodDisruptionBudget');
      const returned = await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }));
      const items = (JSON.parse(returned.stdout) as { items: KubeObject[] }).items;
      expect(rest.flatMap((object, i) => fieldsNotKept(object, items[i]).map((path) => `${describeObject(object)} ${path}`))).toEqual([]);
      for (const object of certManager) notCheckable(describeObject(object), 'cert-manager.io/v1 CRDs are not installed on this API server');
      notCheckable('PodDisruptionBudget/workspace-storage-webhook/workspace-storage-webhook (cert-manager overlay)', 'policy/v1 is served from 1.21');
    });
  });

  describe('registered from manifests/base/mutating-webhook-configuration.yaml', () => {
    let server: WebhookServer;
    let labeller: LabellingWebhook | undefined;

    beforeAll(async () => {
      await cluster.createNamespace(NS.enforce);
      await cluster.createNamespace(NS.audit, { 'workspace-storage.dev/mode': 'audit' });
      await cluster.createNamespace(NS.disabled, { 'workspace-storage.dev/mode': 'disabled' });
      await cluster.createNamespace(NS.all, { 'workspace-storage.dev/workspaces': 'all' });
      await cluster.createNamespace(NS.typo, { 'workspace-storage.dev/mode': 'enfroce' });
      server = await WebhookServer.start({ config: SERVER_CONFIG, kubeconfig: cp.kubeconfigPath });
      const configuration = localWebhookConfiguration(server.port, server.caPem);
      expect(configuration.webhooks).toHaveLength(18);
      await cluster.apply(configuration);
      await waitForWebhook(cluster, NS.enforce, workspacePod(NS.enforce, 'probe'));
      // The caches (KUBECONFIG = the admin kubeconfig here) have synced: co-location is on, nothing degraded.
      await cluster.poll('the server ready with its caches synced', async () => {
        const { status, body } = await server.readyz();
        return status === 200 && body.coLocation.status.state === 'synced' ? true : undefined;
      });
    });

    afterAll(async () => {
      await labeller?.close();
      await server?.dispose();
    });

    it('registers all eighteen webhooks with the shipped policies, only clientConfig changed', async () => {
      const stored = await cluster.get<{ webhooks: { name: string; failurePolicy: string; reinvocationPolicy: string; timeoutSeconds: number; clientConfig: { url?: string } }[] }>(
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/workspace-storage-webhook',
      );
      const shipped = shippedWebhookConfiguration();
      expect(stored.webhooks.map((w) => [w.name, w.failurePolicy, w.reinvocationPolicy, w.timeoutSeconds])).toEqual(
        shipped.webhooks.map((w) => [w.name, w.failurePolicy, w.reinvocationPolicy, 5]),
      );
      for (const webhook of stored.webhooks) expect(webhook.clientConfig.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${server.port}/(mutate|audit)(-all)?$`));
    });

    it('a Coder template Deployment: the ReplicaSet controller creates a pod stored with tmpfs', async () => {
      await cluster.create(workspaceDeployment(NS.enforce, 'coder-5b0f6a2e-workspace', 'coder-5b0f6a2e-home'));
      const pod = await cluster.newPod(NS.enforce, WORKSPACE_DEPLOYMENT_SELECTOR);
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
      expectTmpfs(pod);
      // The PVC at /home/coder is untouched; the tmpfs targets are nested inside it.
      expect(mountsAt(pod, '/home/coder')).toMatchObject([{ container: 'dev', volumeName: 'home', volume: { persistentVolumeClaim: { claimName: 'coder-5b0f6a2e-home' } } }]);
      // The Deployment itself is not an admission target: its template is unchanged, only its pods get tmpfs.
      const deployment = await cluster.get<KubeObject>(`/apis/apps/v1/namespaces/${NS.enforce}/deployments/coder-5b0f6a2e-workspace`);
      expect(emptyDirVolumes({ metadata: {}, spec: (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec })).toEqual([]);
      // The API server's audit log has our auditAnnotations on the controller's request.
      const [event] = await cluster.auditEvents(
        (e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.namespace === NS.enforce &&
          e.user?.username === 'system:serviceaccount:kube-system:replicaset-controller',
      );
      expect(event && ourAnnotations(event)).toMatchObject({
        [`${WEBHOOK.podsMutate}/outcome`]: 'mutated',
        [`${WEBHOOK.podsMutate}/tmpfs`]: expect.stringContaining(NEXT),
      });
      // The server's audit line for it names the ReplicaSet controller, and no secret from the pod spec.
      await cluster.poll('the audit line of the ReplicaSet pod', async () =>
        server.logLines().find((l) => l.msg === 'admission review' && l.user === 'system:serviceaccount:kube-system:replicaset-controller' && l.outcome === 'mutated'),
      10_000);
      expect(server.output()).not.toContain('e2e-agent-token-do-not-log');
      // What was done is written on the pod, for `kubectl describe`: its warnings reached only the controller.
      expect(pod.metadata.annotations?.['workspace-storage.dev/applied']).toMatch(/^tmpfs: \/home\/coder\/app\/node_modules=16Gi in dev; /);
      expect(pod.metadata.annotations?.['workspace-storage.dev/warnings']).toMatch(/memory limit/);
    });

    it('workspaces=all: an unlabelled envbox pod and PVC are mutated there, and not in an ordinary namespace', async () => {
      const pod = (ns: string): KubeObject => named(fixtureObject('pods/coder-envbox.json'), ns, 'coder-alice-envbox');
      const claim = (ns: string): KubeObject => named(fixtureObject('pvcs/coder-envbox-home.json'), ns, 'coder-alice-envbox-home');
      await cluster.create(pod(NS.all));
      await cluster.create(claim(NS.all));
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.all}/pods/coder-alice-envbox`);
      expectTmpfs(stored);
      expect(stored.metadata.annotations?.['workspace-storage.dev/applied']).toContain(NODE_MODULES);
      const storedClaim = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.all}/persistentvolumeclaims/coder-alice-envbox-home`);
      expect(storedClaim.spec?.storageClassName).toBe('local-path');
      expect(Object.keys(ourAnnotations(await cluster.auditEventOfCreate('pods', NS.all, 'coder-alice-envbox'))).map((key) => key.split('/')[0]))
        .toContain(WEBHOOK.podsAllMutate);
      expect(Object.keys(ourAnnotations(await cluster.auditEventOfCreate('persistentvolumeclaims', NS.all, 'coder-alice-envbox-home'))).map((key) => key.split('/')[0]))
        .toContain(WEBHOOK.pvcsAllMutate);

      await cluster.create(pod(NS.enforce));
      await cluster.create(claim(NS.enforce));
      const untouched = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/coder-alice-envbox`);
      expect(mountsAt(untouched, NODE_MODULES)).toEqual([]);
      expect(emptyDirVolumes(untouched).map((volume) => volume.name)).toEqual(['sysbox']);
      expect(untouched.metadata.annotations?.['workspace-storage.dev/applied']).toBeUndefined();
      expect((await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-alice-envbox-home`)).spec?.storageClassName).toBe('longhorn');
      expect(ourAnnotations(await cluster.auditEventOfCreate('pods', NS.enforce, 'coder-alice-envbox'))).toEqual({});
    });

    it('a mode label with a typo never enforces: the webhook is not called there', async () => {
      await cluster.create(workspacePod(NS.typo, 'coder-alice-moltbook'));
      expectNoTmpfs(await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.typo}/pods/coder-alice-moltbook`));
      expect(ourAnnotations(await cluster.auditEventOfCreate('pods', NS.typo, 'coder-alice-moltbook'))).toEqual({});
    });

    it('claims local-path cannot serve are stored on their class, with a warning saying why', async () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['rwx', { accessModes: ['ReadWriteMany'] }, /access mode ReadWriteMany/],
        ['block', { volumeMode: 'Block' }, /volumeMode Block/],
        ['restore', { dataSource: { kind: 'PersistentVolumeClaim', name: 'coder-5b0f6a2e-home' } }, /data source \(PersistentVolumeClaim\)/],
        ['prebound', { volumeName: 'pv-existing' }, /pre-bound volumeName pv-existing/],
        ['selector', { selector: { matchLabels: { tier: 'fast' } } }, /a PV selector/],
      ];
      for (const [name, change, why] of cases) {
        const claim = named(fixtureObject('pvcs/coder-home-longhorn.json'), NS.enforce, `coder-${name}`);
        claim.spec = { ...claim.spec, ...change };
        const created = await cluster.create(claim);
        expect(created.stderr, name).toMatch(/^Warning: workspace-storage: PVC stays on longhorn: local-path cannot serve /m);
        expect(created.stderr, name).toMatch(why);
        const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-${name}`);
        expect(stored.spec?.storageClassName, name).toBe('longhorn');
        expect(stored.metadata.annotations?.['workspace-storage.dev/original-storage-class'], name).toBeUndefined();
      }
    });

    it('kubectl apply of a bare workspace pod: stored with tmpfs, memory warning on stderr, auditAnnotations', async () => {
      const applied = await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(workspacePod(NS.enforce, 'coder-alice-moltbook')));
      expect(applied.stderr).toMatch(/^Warning: workspace-storage: container dev: memory limit 4Gi < tmpfs 24Gi \+ request 1Gi$/m);
      const pod = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/coder-alice-moltbook`);
      expectTmpfs(pod);

      const event = await cluster.auditEventOfCreate('pods', NS.enforce, 'coder-alice-moltbook');
      expect(ourAnnotations(event)).toMatchObject({
        [`${WEBHOOK.podsMutate}/mode`]: 'enforce',
        [`${WEBHOOK.podsMutate}/outcome`]: 'mutated',
        [`${WEBHOOK.podsMutate}/tmpfs`]: expect.stringContaining(NODE_MODULES),
        [`${WEBHOOK.podsMutate}/warnings`]: expect.stringContaining('memory limit 4Gi'),
      });
      // Sent to exactly one of the eight webhooks: the object selectors are disjoint.
      expect(new Set(Object.keys(ourAnnotations(event)).map((key) => key.split('/')[0]))).toEqual(new Set([WEBHOOK.podsMutate]));
    });

    it('a pod labelled only com.coder.resource=true goes to the second, disjoint webhook', async () => {
      const pod = workspacePod(NS.enforce, 'coder-resource-only');
      pod.metadata.labels = { 'com.coder.resource': 'true' };
      await cluster.create(pod);
      expectTmpfs(await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/coder-resource-only`));
      const event = await cluster.auditEventOfCreate('pods', NS.enforce, 'coder-resource-only');
      expect(new Set(Object.keys(ourAnnotations(event)).map((key) => key.split('/')[0]))).toEqual(new Set([WEBHOOK.podsCoderResourceMutate]));
      expect(ourAnnotations(event)[`${WEBHOOK.podsCoderResourceMutate}/outcome`]).toBe('mutated');
    });

    it('container-storage: docker gets a disk-backed emptyDir (no medium, 50Gi) at /var/lib/docker', async () => {
      const pod = workspacePod(NS.enforce, 'coder-docker');
      pod.metadata.annotations = { 'workspace-storage.dev/container-storage': 'docker' };
      await cluster.create(pod);
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/coder-docker`);
      const mounts = mountsAt(stored, '/var/lib/docker');
      expect(mounts).toHaveLength(1);
      expect(mounts[0]).toMatchObject({ container: 'dev', volume: { emptyDir: { sizeLimit: '50Gi' } } });
      expect(mounts[0]!.volume?.emptyDir?.medium).toBeUndefined();
      expectTmpfs(stored);
      const event = await cluster.auditEventOfCreate('pods', NS.enforce, 'coder-docker');
      expect(ourAnnotations(event)[`${WEBHOOK.podsMutate}/container-storage`]).toContain('/var/lib/docker');
    });

    it('workspace PVCs: longhorn is stored as local-path with the original recorded; the legacy annotation too', async () => {
      const pvc = named(fixtureObject('pvcs/coder-home-longhorn.json'), NS.enforce, 'coder-5b0f6a2e-home');
      await cluster.create(pvc);
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-5b0f6a2e-home`);
      expect(stored.spec?.storageClassName).toBe('local-path');
      expect(stored.metadata.annotations?.['workspace-storage.dev/original-storage-class']).toBe('longhorn');

      const legacy = named(fixtureObject('pvcs/hand-made-legacy-annotation.json'), NS.enforce, 'moltbook-home');
      await cluster.create(legacy);
      const storedLegacy = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/moltbook-home`);
      expect(storedLegacy.metadata.annotations).toMatchObject({
        'volume.beta.kubernetes.io/storage-class': 'local-path',
        'workspace-storage.dev/original-storage-class': 'longhorn',
      });
      expect(storedLegacy.spec?.storageClassName).toBe('local-path');

      for (const name of ['coder-5b0f6a2e-home', 'moltbook-home']) {
        const event = await cluster.auditEventOfCreate('persistentvolumeclaims', NS.enforce, name);
        expect(ourAnnotations(event)).toMatchObject({
          [`${WEBHOOK.pvcsMutate}/outcome`]: 'mutated',
          [`${WEBHOOK.pvcsMutate}/storage-class`]: 'longhorn->local-path',
        });
      }
    });

    it('a namespace labelled workspace-storage.dev/mode=disabled gets nothing', async () => {
      const created = await cluster.create(workspacePod(NS.disabled, 'coder-alice-moltbook'));
      expect(created.stderr).not.toContain('workspace-storage');
      expectNoTmpfs(await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.disabled}/pods/coder-alice-moltbook`));
      await cluster.create(named(fixtureObject('pvcs/coder-home-longhorn.json'), NS.disabled, 'coder-home'));
      const pvc = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.disabled}/persistentvolumeclaims/coder-home`);
      expect(pvc.spec?.storageClassName).toBe('longhorn');
      expect(pvc.metadata.annotations?.['workspace-storage.dev/original-storage-class']).toBeUndefined();
      // Not called at all: no webhook annotations, no review line.
      for (const [resource, name] of [['pods', 'coder-alice-moltbook'], ['persistentvolumeclaims', 'coder-home']] as const) {
        expect(ourAnnotations(await cluster.auditEventOfCreate(resource, NS.disabled, name))).toEqual({});
      }
      expect(server.logLines().filter((l) => l.namespace === NS.disabled)).toEqual([]);
    });

    it('a namespace labelled audit gets warnings saying what would change, and no change', async () => {
      const created = await cluster.create(workspacePod(NS.audit, 'coder-alice-moltbook'));
      expect(created.stderr).toMatch(new RegExp(`^Warning: workspace-storage: would mount tmpfs .*${NODE_MODULES.replace(/\./g, '\\.')}`, 'm'));
      expectNoTmpfs(await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.audit}/pods/coder-alice-moltbook`));
      const event = await cluster.auditEventOfCreate('pods', NS.audit, 'coder-alice-moltbook');
      expect(ourAnnotations(event)).toMatchObject({ [`${WEBHOOK.podsAudit}/mode`]: 'audit', [`${WEBHOOK.podsAudit}/outcome`]: 'would-mutate' });

      const pvcCreated = await cluster.create(named(fixtureObject('pvcs/coder-home-longhorn.json'), NS.audit, 'coder-home'));
      expect(pvcCreated.stderr).toMatch(/^Warning: workspace-storage: would rewrite storage class longhorn->local-path$/m);
      const pvc = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.audit}/persistentvolumeclaims/coder-home`);
      expect(pvc.spec?.storageClassName).toBe('longhorn');
    });

    it('a non-workspace pod and PVC are untouched (the object selectors keep them from the webhook)', async () => {
      const created = await cluster.create(named(fixtureObject('pods/not-a-workspace.json'), NS.enforce, 'nginx'));
      expect(created.stderr).toBe('');
      const pod = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/nginx`);
      expect(emptyDirVolumes(pod)).toEqual([]);
      expect(pod.spec?.affinity).toBeUndefined();
      await cluster.create(named(fixtureObject('pvcs/not-a-workspace-longhorn.json'), NS.enforce, 'postgres-data'));
      const pvc = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/postgres-data`);
      expect(pvc.spec?.storageClassName).toBe('longhorn');
      expect(pvc.metadata.annotations).toBeUndefined();
      for (const [resource, name] of [['pods', 'nginx'], ['persistentvolumeclaims', 'postgres-data']] as const) {
        expect(ourAnnotations(await cluster.auditEventOfCreate(resource, NS.enforce, name))).toEqual({});
      }
    });

    it('kube-system is excluded through kubernetes.io/metadata.name (set by hand: 1.20 does not set it)', async () => {
      await cluster.cp.waitForServiceAccount('kube-system');
      const probe = JSON.stringify(workspacePod('kube-system', 'coder-in-kube-system'));
      const dryRun = async (): Promise<KubeObject> =>
        JSON.parse((await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], probe)).stdout) as KubeObject;
      // Without the label (1.20) the selector cannot exclude kube-system: the webhook is called there.
      expect((await cluster.get<KubeObject>('/api/v1/namespaces/kube-system')).metadata.labels?.['kubernetes.io/metadata.name']).toBeUndefined();
      expectTmpfs(await dryRun());
      // With the label, as 1.21+ sets it on every namespace, it is excluded. The API server reads namespace labels
      // from its informer: poll.
      await cluster.kubectl(['label', 'namespace', 'kube-system', 'kubernetes.io/metadata.name=kube-system']);
      const stored = await cluster.poll('kube-system excluded', async () => {
        const object = await dryRun();
        return emptyDirVolumes(object).length === 0 ? object : undefined;
      });
      expectNoTmpfs(stored);
    });

    it('with a second mutating webhook after ours, ours is called again and its mutation is applied once', async () => {
      labeller = await startLabellingWebhook();
      await cluster.createNamespace(NS.reinvoke, { 'e2e.wsw.dev/suite': 'reinvoke' });
      // Configurations run in name order: "zz-..." sorts after "workspace-storage-webhook".
      await cluster.apply({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'zz-e2e-labeller' },
        webhooks: [
          {
            name: 'labeller.e2e.wsw.dev',
            clientConfig: { url: `https://127.0.0.1:${labeller.port}/label`, caBundle: Buffer.from(labeller.caPem).toString('base64') },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            namespaceSelector: { matchLabels: { 'e2e.wsw.dev/suite': 'reinvoke' } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Fail',
            reinvocationPolicy: 'IfNeeded',
            timeoutSeconds: 10,
          },
        ],
      });
      const probe = workspacePod(NS.reinvoke, 'probe');
      await cluster.poll('the labeller to take effect', async () => {
        const result = await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(probe));
        return (JSON.parse(result.stdout) as KubeObject).metadata.labels?.[LABELLER_LABEL] === 'true' ? true : undefined;
      });

      await cluster.create(workspacePod(NS.reinvoke, 'coder-reinvoked'));
      const pod = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.reinvoke}/pods/coder-reinvoked`);
      expect(pod.metadata.labels?.[LABELLER_LABEL]).toBe('true');
      expectTmpfs(pod);
      // node_modules + .next, nothing doubled by the second call (besides home and the service-account token).
      expect(emptyDirVolumes(pod)).toHaveLength(2);

      // The audit log records each webhook call by round: ours in round 0 (mutated) and again in round 1.
      const event = await cluster.auditEventOfCreate('pods', NS.reinvoke, 'coder-reinvoked');
      const calls = Object.entries(annotationsWithPrefix(event, 'mutation.webhook.admission.k8s.io/'))
        .map(([key, value]) => ({ round: key.replace(/^.*round_(\d+)_index_\d+$/, '$1'), ...(JSON.parse(value) as { configuration: string; webhook: string; mutated: boolean }) }))
        .filter((call) => call.configuration === 'workspace-storage-webhook');
      expect(calls).toEqual([
        { round: '0', configuration: 'workspace-storage-webhook', webhook: WEBHOOK.podsMutate, mutated: true },
        { round: '1', configuration: 'workspace-storage-webhook', webhook: WEBHOOK.podsMutate, mutated: false },
      ]);
      // And our own log: two reviews of the pod (each call has its own uid), the second changed nothing.
      const lines = await cluster.poll('two review lines for the reinvoked pod', async () => {
        const found = server.logLines().filter((l) => l.msg === 'admission review' && l.name === 'coder-reinvoked');
        return found.length >= 2 ? found : undefined;
      }, 10_000);
      expect(lines.map((l) => [l.namespace, l.outcome])).toEqual([[NS.reinvoke, 'mutated'], [NS.reinvoke, 'unchanged']]);
      // The labeller's label is applied once. It may be called again without patching: when a webhook changed the
      // object, the API server runs the in-tree mutating plugins again, and ServiceAccount mounts the token into the
      // init container ours added, which counts as a change after the labeller (IfNeeded).
      const labellerCalls = labeller.calls.filter((call) => call.name === 'coder-reinvoked').map((call) => call.patched);
      expect(labellerCalls[0]).toBe(true);
      expect(labellerCalls.slice(1).every((patched) => !patched)).toBe(true);

      await cluster.kubectl(['delete', 'mutatingwebhookconfiguration', 'zz-e2e-labeller']);
    });

    // Last: it stops the server.
    it('with the webhook down: pods are created without mounts (Ignore), workspace PVCs fail (Fail) until it is back', async () => {
      await server.stop('SIGKILL');
      const created = await cluster.create(workspacePod(NS.enforce, 'coder-during-outage'));
      expectNoTmpfs(created.object);
      expectNoTmpfs(await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/pods/coder-during-outage`));
      // The audit event records the failed call as a call that did not mutate (1.20 writes no failure marker).
      const outageEvent = await cluster.auditEventOfCreate('pods', NS.enforce, 'coder-during-outage');
      expect(ourAnnotations(outageEvent)).toEqual({});
      expect(Object.values(annotationsWithPrefix(outageEvent, 'mutation.webhook.admission.k8s.io/')).map((v) => JSON.parse(v) as unknown)).toEqual([
        { configuration: 'workspace-storage-webhook', webhook: WEBHOOK.podsMutate, mutated: false },
      ]);

      const pvc = JSON.stringify(named(fixtureObject('pvcs/coder-home-longhorn.json'), NS.enforce, 'coder-during-outage-home'));
      const failed = await cluster.kubectlResult(['create', '-f', '-'], pvc);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toMatch(new RegExp(`failed calling webhook "${WEBHOOK.pvcsMutate.replace(/\./g, '\\.')}"`));
      expect(failed.stderr).toMatch(/connection refused/);
      expect((await cp.request('GET', `/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-during-outage-home`)).status).toBe(404);

      // Back on the same port and certificate: the retried creation goes through, rewritten.
      await server.restart();
      await cluster.poll('the PVC creation to succeed again', async () => {
        const retried = await cluster.kubectlResult(['create', '-f', '-'], pvc);
        return retried.code === 0 ? true : undefined;
      });
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-during-outage-home`);
      expect(stored.spec?.storageClassName).toBe('local-path');
    });

    it('a claim with no class, longhorn the default class: DefaultStorageClass fills it in, the webhook moves it to local-path', async () => {
      await cluster.apply({
        apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
        metadata: { name: 'longhorn', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'driver.longhorn.io', volumeBindingMode: 'Immediate',
      });
      const claim = named(fixtureObject('pvcs/coder-home-as-created.json'), NS.enforce, 'coder-default-class-home');
      expect(claim.spec?.storageClassName).toBeUndefined();
      await cluster.poll('the PVC to be admitted (the webhook is back)', async () => (await cluster.kubectlResult(['create', '-f', '-'], JSON.stringify(claim))).code === 0 ? true : undefined);
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS.enforce}/persistentvolumeclaims/coder-default-class-home`);
      expect(stored.spec?.storageClassName).toBe('local-path');
      expect(stored.metadata.annotations?.['workspace-storage.dev/original-storage-class']).toBe('longhorn');
    });
  });
});

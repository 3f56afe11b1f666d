/**
 * Issue "Pod and data on the same node", plus the faults of issue "hostile input, faults" that need a cluster:
 * the real server (dist/cli/main.js serve) running with a service-account token bound only to the ClusterRole in
 * manifests/base/rbac.yaml, registered with the shipped webhook configuration, against kube-apiserver 1.20 and
 * kube-controller-manager (Deployment -> ReplicaSet -> Pod, PV/PVC binding, service-account tokens).
 *
 * Longhorn itself is not here: its replicas CRD (test/fixtures/longhorn) and hand-made Replica objects stand in for
 * it, with Nodes whose Ready condition and allocatable resources are written through the status subresource and
 * Longhorn CSI PVs bound by the PV controller. A real kube-scheduler binds the pods to those Nodes (there is no
 * kubelet: the pods never run), so placement is observed in spec.nodeName, not inferred from the affinity.
 * node-b's kubernetes.io/hostname label differs from its name, as with k3s --node-name.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN } from '../support/server-process.js';
import { describeE2E, freePort, startControlPlane, type ControlPlane } from './harness/control-plane.js';
import { Cluster, type KubeObject } from './support/cluster.js';
import { MANIFESTS_DIR, parseManifestStream } from './support/manifests.js';
import { localWebhookConfiguration, waitForWebhook } from './support/webhook-configuration.js';
import { WebhookServer } from './support/webhook-server.js';
import { startPrometheus, type PrometheusServer } from './harness/prometheus-server.js';
import {
  emptyDirVolumes,
  fixtureObject,
  mountsAt,
  type NodeTermView,
  requiredNodeTerms,
  WORKSPACE_DEPLOYMENT_SELECTOR,
  workspaceDeployment,
  workspacePod,
} from './support/workspace-objects.js';

const CRD_FILE = new URL('../fixtures/longhorn/replicas-crd.yaml', import.meta.url).pathname;
const LONGHORN = 'longhorn-system';
const NS = 'coder';
const CLAIM = 'coder-5b0f6a2e-home';
const VOLUME = 'pvc-5b0f6a2e';
const PROJECT = '/home/coder/app';
const SERVER_CONFIG = `tmpfs:\n  projects: [${PROJECT}]\n`;
const SERVICE_ACCOUNT_USER = 'system:serviceaccount:workspace-storage-webhook:workspace-storage-webhook';
const DEGRADED_CRD = 'longhorn replicas unavailable: CRD replicas.longhorn.io not found';
/** Node name -> its kubernetes.io/hostname label: node-b's differs (k3s --node-name, cloud nodes). */
const NODES: Record<string, string> = { 'node-a': 'node-a', 'node-b': 'b.internal.example', 'node-c': 'node-c' };
/** A read-write-many Longhorn claim (share-manager) and one whose PV has zone-level affinity (strictTopology). */
const RWX_CLAIM = 'coder-shared-cache';
/** The expression of the PrometheusRule's alert on workspaces away from their data, as the manifest has it. */
const ALERT_EXPRESSION = ((): string => {
  const [rule] = parseManifestStream(readFileSync(`${MANIFESTS_DIR}/monitoring/prometheus-rule.yaml`, 'utf8')) as unknown as {
    spec: { groups: { rules: { alert?: string; expr: string }[] }[] };
  }[];
  const alert = rule!.spec.groups.flatMap((group) => group.rules).find((r) => r.alert === 'WorkspaceRunningAwayFromItsData');
  if (alert === undefined) throw new Error('no WorkspaceRunningAwayFromItsData rule in manifests/monitoring');
  return alert.expr;
})();
const ZONAL_CLAIM = 'coder-zonal-home';

/** The node affinity the webhook should have written for `node`: one term selecting the Node by name. */
function pinnedTo(node: string): NodeTermView[] {
  return [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }];
}

function expectTmpfs(pod: KubeObject): void {
  for (const [path, size] of [[`${PROJECT}/node_modules`, '16Gi'], [`${PROJECT}/.next`, '8Gi']] as const) {
    expect(mountsAt(pod, path), path).toMatchObject([{ container: 'dev', volume: { emptyDir: { medium: 'Memory', sizeLimit: size } } }]);
  }
}

function replica(name: string, node: string, volume = VOLUME, failedAt = ''): KubeObject {
  return {
    apiVersion: 'longhorn.io/v1beta2',
    kind: 'Replica',
    metadata: { name, namespace: LONGHORN, labels: { longhornvolume: volume, longhornnode: node } },
    spec: { volumeName: volume, nodeID: node, active: true, failedAt },
  };
}

/** A Longhorn CSI PV pre-bound to `claim` in NS, and the claim. */
function longhornVolume(volume: string, claim: string, accessMode: string, nodeAffinity?: unknown): KubeObject[] {
  const pvc = fixtureObject('pvcs/coder-home-longhorn.json');
  pvc.metadata = { ...pvc.metadata, name: claim, namespace: NS };
  pvc.spec = { ...pvc.spec, volumeName: volume, accessModes: [accessMode], resources: { requests: { storage: '1Gi' } } };
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volume },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: [accessMode],
        storageClassName: 'longhorn',
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: NS, name: claim },
        csi: { driver: 'driver.longhorn.io', volumeHandle: volume, fsType: 'ext4' },
        ...(nodeAffinity === undefined ? {} : { nodeAffinity }),
      },
    },
    pvc,
  ];
}

describeE2E('co-location against kube-apiserver 1.20 + kube-controller-manager', () => {
  let cp: ControlPlane;
  let cluster: Cluster;
  let server: WebhookServer;
  let prometheus: PrometheusServer | undefined;

  /** A workspace pod mounting `claim`, dry-run through the webhooks: what the next pod would get. */
  async function dryRunPod(claim = CLAIM): Promise<KubeObject> {
    const result = await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(workspacePod(NS, 'probe', claim)));
    return JSON.parse(result.stdout) as KubeObject;
  }

  /** Waits until the webhook's caches show `terms` for the next pod (they follow the cluster through watches). */
  async function waitForAffinity(terms: unknown, what: string, claim = CLAIM): Promise<void> {
    await cluster.poll(what, async () => {
      const pod = await dryRunPod(claim);
      return JSON.stringify(requiredNodeTerms(pod)) === JSON.stringify(terms) ? true : undefined;
    }, 60_000, 500);
  }

  /** Runs the built `report` CLI against this cluster (the admin kubeconfig). */
  async function report(args: string[] = ['-o', 'json']): Promise<{ code: number; stdout: string; rows: { pvc: string; verdict: string; [field: string]: unknown }[] }> {
    const done = await promisify(execFile)(process.execPath, [MAIN, 'report', ...args], { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, CONFIG_FILE: '' } })
      .then((result) => ({ code: 0, stdout: result.stdout }), (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }));
    return { ...done, rows: args.includes('json') ? (JSON.parse(done.stdout) as { pvc: string; verdict: string }[]) : [] };
  }

  /**
   * Waits until the server's workspace_volumes gauge counts exactly what `report` finds, verdict by verdict (the
   * gauge comes from the server's watch caches, the report from fresh lists: they agree once the watches caught up).
   */
  async function gaugeMatchesReport(rows: readonly { verdict: string }[]): Promise<Record<string, number>> {
    const expected: Record<string, number> = {};
    for (const row of rows) expected[row.verdict] = (expected[row.verdict] ?? 0) + 1;
    return cluster.poll('the workspace_volumes gauge to count what report finds', async () => {
      const text = String((await server.call('GET', '/metrics')).json);
      const gauge: Record<string, number> = {};
      for (const match of text.matchAll(/^workspace_storage_webhook_workspace_volumes\{locality="(\w+)"\} (\d+)$/gm)) {
        if (match[2] !== '0') gauge[match[1]!] = Number(match[2]);
      }
      return JSON.stringify(gauge, Object.keys(gauge).sort()) === JSON.stringify(expected, Object.keys(expected).sort()) ? gauge : undefined;
    }, 30_000, 250);
  }

  /** The webhook as the ServiceMonitor of manifests/monitoring scrapes it: its scheme, path, CA and server name. */
  async function serviceMonitorTarget() {
    const [monitor] = parseManifestStream(readFileSync(`${MANIFESTS_DIR}/monitoring/service-monitor.yaml`, 'utf8')) as unknown as {
      spec: { endpoints: { scheme: 'https'; path: string; tlsConfig: { serverName: string; ca: { secret: { key: string } } } }[] };
    }[];
    const endpoint = monitor!.spec.endpoints[0]!;
    // The Secret's ca.crt is the CA the server generated into CERT_DIR (the certificate Job writes the same files).
    expect(endpoint.tlsConfig.ca.secret.key).toBe('ca.crt');
    return {
      address: `127.0.0.1:${server.port}`, scheme: endpoint.scheme, metricsPath: endpoint.path,
      caPem: server.caPem, serverName: endpoint.tlsConfig.serverName,
    };
  }

  /** Waits until the scheduler has bound `pod` and returns the node's name. */
  async function boundNode(pod: KubeObject): Promise<string> {
    return cluster.poll(`the scheduler to bind ${pod.metadata.name ?? ''}`, async () => {
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name ?? ''}`);
      const node = (stored.spec as { nodeName?: string } | undefined)?.nodeName;
      return node === undefined || node === '' ? undefined : node;
    }, 60_000, 250);
  }

  /** Deletes the Deployment's current pod and returns the one the ReplicaSet controller creates instead. */
  async function replacePod(): Promise<KubeObject> {
    const current = await cluster.pods(NS, WORKSPACE_DEPLOYMENT_SELECTOR);
    const names = current.map((pod) => pod.metadata.name ?? '');
    // No kubelet confirms the deletion: delete at once (grace period 0) so the replacement comes right away.
    for (const name of names) await cluster.kubectl(['delete', 'pod', '-n', NS, name, '--grace-period=0', '--force', '--wait=false']);
    return cluster.newPod(NS, WORKSPACE_DEPLOYMENT_SELECTOR, names, 90_000);
  }

  /**
   * Marks a node Ready as its kubelet would. A controller may update a new node between the read and the write
   * (the TTL controller annotates every node): on 409 Conflict the node is read again and the write retried, as
   * client-go's RetryOnConflict does.
   */
  async function setNodeReady(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const node = await cluster.get<KubeObject>(`/api/v1/nodes/${name}`);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const resources = { cpu: '8', memory: '32Gi', pods: '110' };
      node.status = {
        capacity: resources,
        allocatable: resources,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'e2e', lastHeartbeatTime: now, lastTransitionTime: now }],
      };
      const res = await cp.request('PUT', `/api/v1/nodes/${name}/status`, node);
      if (res.status === 200) break;
      if (res.status !== 409 || attempt === 5) throw new Error(`PUT /api/v1/nodes/${name}/status: ${res.status} ${res.body}`);
    }
    // The TaintNodesByCondition admission plugin tainted the new Node not-ready; its node-lifecycle controller, which
    // would lift the taint, is off here (no kubelet heartbeats): lift it as that controller would.
    await cluster.kubectl(['taint', 'nodes', name, 'node.kubernetes.io/not-ready-']);
  }

  /** A kubeconfig holding the webhook service account's token (issued by the 1.20 token controller). */
  async function serviceAccountKubeconfig(): Promise<string> {
    await cp.waitForServiceAccount('workspace-storage-webhook', 'workspace-storage-webhook');
    const account = await cluster.get<{ secrets: { name: string }[] }>('/api/v1/namespaces/workspace-storage-webhook/serviceaccounts/workspace-storage-webhook');
    const secret = await cluster.get<{ data: { token: string } }>(`/api/v1/namespaces/workspace-storage-webhook/secrets/${account.secrets[0]!.name}`);
    const path = `${cp.dir}/webhook-sa.kubeconfig`;
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority': cp.caFile } }],
        users: [{ name: 'webhook', user: { token: Buffer.from(secret.data.token, 'base64').toString('utf8') } }],
        contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'webhook' } }],
        'current-context': 'e2e',
      }),
      { mode: 0o600 },
    );
    return path;
  }

  beforeAll(async () => {
    // No kubelet heartbeats here: the node lifecycle controller would turn the nodes NotReady after 40 s.
    // (--controllers is a list flag: the harness's `*` and this one are concatenated; `-nodelifecycle` wins.)
    cp = await startControlPlane({ extraControllerManagerArgs: ['--controllers=*,-nodelifecycle'], scheduler: true });
    cluster = new Cluster(cp);
    await cluster.kubectl(['apply', '-f', CRD_FILE]);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replicas.longhorn.io']);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: LONGHORN } });
    await cluster.createNamespace(NS);
    for (const [name, hostname] of Object.entries(NODES)) {
      const labels = { 'kubernetes.io/hostname': hostname, 'topology.kubernetes.io/zone': 'zone-a' };
      await cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
      await setNodeReady(name);
    }

    // The Longhorn volume of an existing workspace: created before the webhook is registered, as in the incident
    // (a workspace PVC created after it is rewritten to local-path and would not bind to this PV).
    const pvc = fixtureObject('pvcs/coder-home-longhorn.json');
    pvc.metadata = { ...pvc.metadata, name: CLAIM, namespace: NS };
    pvc.spec = { ...pvc.spec, volumeName: VOLUME, resources: { requests: { storage: '1Gi' } } };
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: VOLUME },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'longhorn',
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { namespace: NS, name: CLAIM },
          csi: { driver: 'driver.longhorn.io', volumeHandle: VOLUME, fsType: 'ext4' },
        },
      },
      pvc,
    );
    await cluster.poll('the PV controller to bind the Longhorn PVC', async () => {
      const claim = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/${CLAIM}`);
      return claim.status?.phase === 'Bound' ? true : undefined;
    });
    await cluster.apply(replica(`${VOLUME}-r-1`, 'node-a'));
    // Two more Longhorn claims, bound before the webhook is registered (after it, an RWO claim would go to local-path).
    await cluster.apply(
      ...longhornVolume('pvc-shared', RWX_CLAIM, 'ReadWriteMany'),
      ...longhornVolume('pvc-zonal', ZONAL_CLAIM, 'ReadWriteOnce', {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] }] },
      }),
      replica('pvc-shared-r-1', 'node-c', 'pvc-shared'),
      replica('pvc-zonal-r-1', 'node-c', 'pvc-zonal'),
    );
    for (const claim of [RWX_CLAIM, ZONAL_CLAIM]) {
      await cluster.poll(`the PV controller to bind ${claim}`, async () => {
        const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/${claim}`);
        return stored.status?.phase === 'Bound' ? true : undefined;
      });
    }

    // The server's identity: the namespace, ServiceAccount, ClusterRole and ClusterRoleBinding of manifests/base.
    const base = parseManifestStream((await cluster.kubectl(['kustomize', `${MANIFESTS_DIR}/base`])).stdout);
    const identity = base.filter((o) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind ?? ''));
    expect(identity.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'ServiceAccount']);
    await cluster.apply(...identity);

    server = await WebhookServer.start({ config: SERVER_CONFIG, kubeconfig: await serviceAccountKubeconfig() });
    await cluster.apply(localWebhookConfiguration(server.port, server.caPem));
    await waitForWebhook(cluster, NS, workspacePod(NS, 'probe', 'no-such-claim'));
  });

  afterAll(async () => {
    await prometheus?.stop();
    await server?.dispose();
    await cp?.stop();
  });

  describe('with the service account of manifests/base/rbac.yaml', () => {
    it('syncs every cache with no 403 (the ClusterRole is enough)', async () => {
      const ready = await cluster.poll('the caches to sync', async () => {
        const answer = await server.readyz();
        return answer.body.coLocation.status.state === 'synced' ? answer : undefined;
      });
      expect(ready.status).toBe(200);
      expect(ready.body.coLocation.caches?.map((c) => [c.name, c.synced])).toEqual([
        ['persistentvolumeclaims', true],
        ['persistentvolumes', true],
        ['nodes', true],
        ['replicas.longhorn.io', true],
        ['storageclasses', true],
      ]);
      expect(server.output()).toMatch(/co-location on/);
      expect(server.output()).not.toMatch(/403|forbidden/i);
      const denied = await cluster.auditEvents((e) => e.user?.username === SERVICE_ACCOUNT_USER && e.responseStatus?.code === 403);
      expect(denied).toEqual([]);
    });

    it('a Deployment pod is stored with required affinity to the node holding its replica, and the scheduler binds it there', async () => {
      await cluster.create(workspaceDeployment(NS, 'coder-5b0f6a2e-workspace', CLAIM));
      const pod = await cluster.newPod(NS, WORKSPACE_DEPLOYMENT_SELECTOR);
      expect(requiredNodeTerms(pod)).toEqual(pinnedTo('node-a'));
      expectTmpfs(pod);
      expect(await boundNode(pod)).toBe('node-a');
    });

    it('preview, with the cluster\'s kubeconfig, shows the node affinity the webhook would add', async () => {
      const run = promisify(execFile);
      const input = JSON.stringify(workspacePod(NS, 'preview-me', CLAIM));
      const child = run(process.execPath, [MAIN, 'preview', '-f', '-', '--diff'], { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, CONFIG_FILE: '' } });
      child.child.stdin?.end(input);
      // Exit 1: something would change (as diff and kubectl diff).
      const failed = await child.then(() => undefined, (error: { code: number; stdout: string; stderr: string }) => error);
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toMatch(/^\+ +- key: metadata\.name$/m);
      expect(failed?.stdout).toMatch(/^\+ +- node-a$/m);
      expect(failed?.stderr).toContain(`change: Pod/preview-me: affinity: required node-a for ${VOLUME}`);
      expect(failed?.stderr).not.toContain('node affinity not previewed');
    });

    it('report and gauge: local, shared, longhorn (no pod), unbound, other (NFS) and unknown (PV missing)', async () => {
      const labels = { 'app.kubernetes.io/name': 'coder-pvc' };
      const claim = (name: string, spec: Record<string, unknown>) => ({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS, labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
      });
      await cluster.apply(
        { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-nfs-home' }, spec: {
          capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', nfs: { server: '10.0.0.9', path: '/homes/x' },
          claimRef: { namespace: NS, name: 'coder-nfs-home' } } },
        claim('coder-nfs-home', { storageClassName: '', volumeName: 'pv-nfs-home' }),
        claim('coder-unbound-home', { storageClassName: 'no-such-class' }),
        claim('coder-lost-home', { storageClassName: '', volumeName: 'pv-that-was-deleted' }),
      );
      await cluster.poll('the PV controller to bind the NFS claim', async () => {
        const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/coder-nfs-home`);
        return stored.status?.phase === 'Bound' ? true : undefined;
      });
      const { code, rows } = await report();
      expect(code).toBe(0);
      const verdict = (pvc: string) => rows.find((row) => row.pvc === pvc)?.verdict;
      expect([verdict(ZONAL_CLAIM), verdict('coder-nfs-home'), verdict('coder-unbound-home'), verdict('coder-lost-home')])
        .toEqual(['longhorn', 'other', 'unbound', 'unknown']);
      expect(rows.find((row) => row.pvc === CLAIM)).toMatchObject({
        namespace: NS, storageClass: 'longhorn', longhornVolume: VOLUME, replicaNodes: ['node-a'], node: 'node-a', verdict: 'local',
      });
      expect(rows.find((row) => row.pvc === RWX_CLAIM)?.verdict).toBe('shared');
      const gauge = await gaugeMatchesReport(rows);
      expect(gauge.local).toBeGreaterThanOrEqual(1);
      expect(gauge.shared).toBe(1);
      expect(gauge.remote).toBeUndefined();
      expect([gauge.longhorn, gauge.other, gauge.unbound, gauge.unknown]).toEqual([1, 1, 1, 1]);
    });

    it('the replica moves to node-b, whose hostname label is not its name: report says remote (exit 3), the next pod follows it', async () => {
      await cluster.kubectl([
        'patch', 'replicas.longhorn.io', `${VOLUME}-r-1`, '-n', LONGHORN, '--type=merge',
        '-p', JSON.stringify({ metadata: { labels: { longhornnode: 'node-b' } }, spec: { nodeID: 'node-b' } }),
      ]);
      // The running pod is still on node-a, its data now only on node-b: the incident, found.
      const found = await report();
      expect(found.code).toBe(3);
      expect(found.rows.find((row) => row.pvc === CLAIM)).toMatchObject({ replicaNodes: ['node-b'], node: 'node-a', verdict: 'remote' });
      // The server's gauge, which the WorkspaceRunningAwayFromItsData alert watches, says so too...
      expect((await gaugeMatchesReport(found.rows)).remote).toBe(1);
      // ...and a real Prometheus, scraping as the ServiceMonitor says (HTTPS, the CA, the Service's name), sees it and
      // the alert's expression selects it.
      prometheus = await startPrometheus(await serviceMonitorTarget());
      const remote = await cluster.poll('Prometheus to scrape workspace_volumes', async () => {
        const samples = await prometheus!.query(ALERT_EXPRESSION);
        return samples.length > 0 ? samples : undefined;
      }, 30_000, 500);
      expect(remote.map((sample) => sample.value)).toEqual([1]);
      expect(await prometheus.targets()).toEqual([expect.objectContaining({ health: 'up', lastError: '', scrapeUrl: `https://127.0.0.1:${server.port}/metrics` })]);
      expect((await prometheus.query('workspace_storage_webhook_build_info')).map((sample) => sample.metric.version)).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/)]);
      const table = await report(['-o', 'table']);
      expect(table.stdout).toMatch(/^NAMESPACE +PVC +CLASS +PROVISIONER +LONGHORN VOLUME +REPLICAS +POD +NODE +VERDICT$/m);
      expect(table.stdout).toMatch(new RegExp(`^${NS} +${CLAIM} +longhorn +- +${VOLUME} +node-b +\\S+ +node-a +remote$`, 'm'));
      await waitForAffinity(pinnedTo('node-b'), 'the webhook to see the replica on node-b');
      const pod = await replacePod();
      expect(requiredNodeTerms(pod)).toEqual(pinnedTo('node-b'));
      expectTmpfs(pod);
      expect(await boundNode(pod)).toBe('node-b');
      // Beside its data again: the alert's expression selects nothing once Prometheus scraped the new count.
      await cluster.poll('Prometheus to see no remote workspace', async () => ((await prometheus!.query(ALERT_EXPRESSION)).length === 0 ? true : undefined), 30_000, 500);
      await prometheus.stop();
      prometheus = undefined;
    });

    it('a failed replica (spec.failedAt) is no home: the pod is pinned to and bound on the healthy replica\'s node', async () => {
      await cluster.apply(replica(`${VOLUME}-r-failed`, 'node-c', VOLUME, '2026-12-04T08:12:44Z'));
      // Watch events of one resource arrive in order: once a replica applied after the failed one is seen (a second
      // replica of the zonal volume), the failed one has been seen too, and the pin must still be node-b alone.
      await cluster.apply(replica('pvc-zonal-r-marker', 'node-a', 'pvc-zonal'));
      await waitForAffinity([...pinnedTo('node-a'), ...pinnedTo('node-c')], 'the marker replica after the failed one', ZONAL_CLAIM);
      await cluster.kubectl(['delete', 'replicas.longhorn.io', 'pvc-zonal-r-marker', '-n', LONGHORN]);
      await waitForAffinity(pinnedTo('node-c'), 'the marker replica gone', ZONAL_CLAIM);
      expect(requiredNodeTerms(await dryRunPod())).toEqual(pinnedTo('node-b'));
      const pod = await replacePod();
      expect(requiredNodeTerms(pod)).toEqual(pinnedTo('node-b'));
      expect(await boundNode(pod)).toBe('node-b');
      // Healed (failedAt cleared), it is a home again: both nodes are allowed.
      await cluster.apply(replica(`${VOLUME}-r-failed`, 'node-c'));
      await waitForAffinity([...pinnedTo('node-b'), ...pinnedTo('node-c')], 'the healed replica to count again');
      await cluster.kubectl(['delete', 'replicas.longhorn.io', `${VOLUME}-r-failed`, '-n', LONGHORN]);
      await waitForAffinity(pinnedTo('node-b'), 'the deleted replica to be gone');
    });

    it('a read-write-many Longhorn volume pins nothing; a zone-level PV is still pinned by its replicas', async () => {
      const rwx = JSON.parse((await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(workspacePod(NS, 'rwx-probe', RWX_CLAIM)))).stdout) as KubeObject;
      expect(requiredNodeTerms(rwx)).toBeUndefined();
      expectTmpfs(rwx);
      await cluster.create(workspacePod(NS, 'coder-zonal', ZONAL_CLAIM));
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/coder-zonal`);
      expect(requiredNodeTerms(stored)).toEqual(pinnedTo('node-c'));
      expect(await boundNode(stored)).toBe('node-c');
    });

    it('kube-apiserver stopped and restarted: reviews are answered from the last facts, the caches recover by themselves', async () => {
      await cp.stopApiServer();
      const down = await cluster.poll('/readyz to report the caches degraded', async () => {
        const answer = await server.readyz();
        return answer.body.coLocation.status.state === 'degraded' ? answer : undefined;
      });
      // Degraded is not "not ready": the webhook still answers (tmpfs and the storage class need no cluster).
      expect(down.status).toBe(200);
      expect(down.body.coLocation.status.reason).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up|failed/);
      // A review meanwhile (sent directly: the API server is down) is answered from the last known facts.
      const pod = workspacePod(NS, 'during-api-outage', CLAIM);
      const answer = await server.call('POST', '/mutate', admissionReview(pod));
      expect(answer.status).toBe(200);
      const patched = patchedObject(pod, answer.json);
      expectTmpfs(patched);
      expect(requiredNodeTerms(patched)).toEqual(pinnedTo('node-b'));

      await cp.startApiServer();
      const recovered = await cluster.poll('/readyz to report the caches synced again', async () => {
        const again = await server.readyz();
        return again.body.coLocation.status.state === 'synced' ? again : undefined;
      }, 120_000, 500);
      expect(recovered.status).toBe(200);
      // Log lines are written in batches (at most a second late).
      await cluster.poll('the recovery in the server log', async () => (server.output().includes('cluster cache recovered') ? true : undefined), 10_000);
      // Reviews through the API server again: the next pod is pinned and gets tmpfs.
      await cluster.kubectl([
        'patch', 'replicas.longhorn.io', `${VOLUME}-r-1`, '-n', LONGHORN, '--type=merge',
        '-p', JSON.stringify({ metadata: { labels: { longhornnode: 'node-c' } }, spec: { nodeID: 'node-c' } }),
      ]);
      await waitForAffinity(pinnedTo('node-c'), 'the webhook to see, after the restart, the replica moving to node-c');
      const next = await replacePod();
      expect(requiredNodeTerms(next)).toEqual(pinnedTo('node-c'));
      expectTmpfs(next);
    });

    it('the Longhorn CRD deleted mid-run degrades co-location only: pods still created with tmpfs, a warning, /readyz says why', async () => {
      await cluster.kubectl(['delete', 'crd', 'replicas.longhorn.io', '--timeout=90s']);
      const degraded = await cluster.poll('/readyz to report the CRD missing', async () => {
        const answer = await server.readyz();
        return answer.body.coLocation.status.reason === DEGRADED_CRD ? answer : undefined;
      });
      expect(degraded.status).toBe(200);
      expect(degraded.body.coLocation.status.state).toBe('degraded');

      const pod = await replacePod();
      expectTmpfs(pod);
      expect(requiredNodeTerms(pod)).toBeUndefined();

      // A user creating a workspace pod sees why it was not pinned; the audit log has the same.
      const created = await cluster.create(workspacePod(NS, 'coder-alice-moltbook', CLAIM));
      expect(created.stderr).toMatch(new RegExp(`^Warning: workspace-storage: co-location degraded, volume ${VOLUME} not pinned: longhorn replicas unavailable`, 'm'));
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/coder-alice-moltbook`);
      expectTmpfs(stored);
      expect(requiredNodeTerms(stored)).toBeUndefined();
      const event = await cluster.auditEventOfCreate('pods', NS, 'coder-alice-moltbook');
      expect(event.annotations?.['pods.mutate.workspace-storage.dev/warnings']).toContain('co-location degraded');

      // Longhorn comes back: picked up without a restart.
      await cluster.kubectl(['apply', '-f', CRD_FILE]);
      await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replicas.longhorn.io']);
      await cluster.apply(replica(`${VOLUME}-r-2`, 'node-a'));
      await cluster.poll('/readyz synced again', async () => ((await server.readyz()).body.coLocation.status.state === 'synced' ? true : undefined), 90_000, 500);
      await waitForAffinity(pinnedTo('node-a'), 'the webhook to see the new replica on node-a');
    });

    it('the ClusterRole grants exactly the calls the server makes (from the audit log)', async () => {
      const events = await cluster.auditEvents((e) => e.user?.username === SERVICE_ACCOUNT_USER);
      expect(events.length).toBeGreaterThan(0);
      const used = new Set(
        events.map((e) => (e.objectRef?.resource ? `${e.verb} ${e.objectRef.apiGroup ?? ''}/${e.objectRef.resource}` : `${e.verb} ${e.requestURI}`)),
      );
      const rbac = parseManifestStream((await cluster.kubectl(['kustomize', `${MANIFESTS_DIR}/base`])).stdout);
      const role = rbac.find((o) => o.kind === 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
      const granted = new Set(
        role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${group}/${resource}`)))),
      );
      process.stdout.write(`the server's API calls (audit log): ${[...used].sort().join(", ")} in ${events.length} requests\n`);
      // Both directions, so a failure names the difference: used but not granted (would be 403) / granted but unused.
      expect({ usedNotGranted: [...used].filter((c) => !granted.has(c)).sort(), grantedNotUsed: [...granted].filter((c) => !used.has(c)).sort() }).toEqual({
        usedNotGranted: [],
        grantedNotUsed: [],
      });
    });
  });

  it('started while the API server is unreachable: serves, applies tmpfs, and /readyz tells the truth', async () => {
    const closedPort = await freePort();
    const kubeconfig = `${cp.dir}/unreachable.kubeconfig`;
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${closedPort}`, 'certificate-authority': cp.caFile } }],
        users: [{ name: 'admin', user: { token: cp.token } }],
        contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'admin' } }],
        'current-context': 'gone',
      }),
    );
    const offline = await WebhookServer.start({ config: SERVER_CONFIG, kubeconfig });
    try {
      const ready = await cluster.poll('/readyz to report why co-location is not synced', async () => {
        const answer = await offline.readyz();
        return answer.body.coLocation?.status.reason ? answer : undefined;
      });
      expect(['degraded', 'syncing']).toContain(ready.body.coLocation.status.state);
      expect(ready.body.coLocation.status.reason).toMatch(/ECONNREFUSED/);
      // Degraded (a known problem) is ready; syncing within the first minute is not: the status code agrees.
      expect(ready.status).toBe(ready.body.coLocation.status.state === 'degraded' ? 200 : 503);

      const pod = fixtureObject('pods/coder-kubernetes-template.json');
      pod.metadata.annotations = { ...pod.metadata.annotations, 'workspace-storage.dev/projects': PROJECT };
      const answer = await offline.call('POST', '/mutate', admissionReview(pod));
      expect(answer.status).toBe(200);
      const response = (answer.json as { response: { allowed: boolean; warnings?: string[] } }).response;
      expect(response.allowed).toBe(true);
      const patched = patchedObject(pod, answer.json);
      expectTmpfs(patched);
      expect(requiredNodeTerms(patched)).toBeUndefined();
      expect(emptyDirVolumes(patched)).toHaveLength(2);
      // The PVC cannot be looked up: the user is told co-location is not working, and why.
      expect(response.warnings?.join('\n')).toMatch(/not known \(co-location (degraded|syncing)/);
    } finally {
      await offline.dispose();
    }
  });
});

/** An AdmissionReview v1 for creating `object`, as the API server would send it. */
function admissionReview(object: KubeObject): unknown {
  const resource = object.kind === 'Pod' ? 'pods' : 'persistentvolumeclaims';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '3c7a2f4e-0b6d-4e8a-9f1c-2d3e4f5a6b7c',
      kind: { group: '', version: 'v1', kind: object.kind },
      resource: { group: '', version: 'v1', resource },
      requestKind: { group: '', version: 'v1', kind: object.kind },
      requestResource: { group: '', version: 'v1', resource },
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? NS,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

/** `object` with the answer's JSON patch applied (RFC 6902, validated), as the API server would store it. */
function patchedObject(object: KubeObject, answer: unknown): KubeObject {
  const response = (answer as { response: { uid: string; patch?: string; patchType?: string } }).response;
  expect(response.uid).toBe('3c7a2f4e-0b6d-4e8a-9f1c-2d3e4f5a6b7c');
  expect(response.patchType).toBe('JSONPatch');
  const operations = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as fastJsonPatch.Operation[];
  return fastJsonPatch.applyPatch(structuredClone(object), operations, true, false).newDocument;
}

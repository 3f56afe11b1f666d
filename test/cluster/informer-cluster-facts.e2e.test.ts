/**
 * The watch-fed caches against a real kube-apiserver (1.20, see test/e2e/harness): initial sync, a replica moving,
 * a node going NotReady, the Longhorn CRD deleted and re-created, the API server restarted, and the RBAC rules
 * documented in informer-cluster-facts.ts being enough (and the replicas rule being needed).
 * No kube-controller-manager: nothing here needs it, and without it no controller flips the hand-made nodes'
 * status or binds the hand-made PV and PVC behind the test's back.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadClusterAccess, type ClusterAccess } from '../../src/cluster/credentials/cluster-access.js';
import { startInformerClusterFacts, type InformerClusterFacts } from '../../src/cluster/facts/informer-cluster-facts.js';
import { describeE2E, startControlPlane, type ControlPlane } from '../e2e/harness/control-plane.js';
import { pollUntil } from '../e2e/harness/poll.js';
import { memoryLogger } from './test-logger.js';

const CRD_FILE = fileURLToPath(new URL('../fixtures/longhorn/replicas-crd.yaml', import.meta.url));
const LONGHORN = 'longhorn-system';
// The production cap is 30 s; 3 s keeps the "CRD came back" and "API server came back" waits short.
const BACKOFF = { initialMs: 500, maxMs: 3_000 };

let cp: ControlPlane;
const started: InformerClusterFacts[] = [];

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const apply = (...objects: unknown[]): Promise<string> =>
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

function node(name: string, ready: boolean): unknown {
  // Node status can be set on create ("Nodes allow *all* fields, including status, to be set on create").
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'E2E', lastHeartbeatTime: null, lastTransitionTime: null }] },
  };
}

function replica(name: string, volumeName: string, nodeID: string): unknown {
  return {
    apiVersion: 'longhorn.io/v1beta2',
    kind: 'Replica',
    metadata: { name, namespace: LONGHORN, labels: { longhornvolume: volumeName, longhornnode: nodeID } },
    spec: { volumeName, nodeID, active: true },
  };
}

async function installCrd(): Promise<void> {
  await kubectl(['apply', '-f', CRD_FILE]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replicas.longhorn.io']);
}

async function accessFor(kubeconfigPath: string): Promise<ClusterAccess> {
  const result = await loadClusterAccess({ env: { KUBECONFIG: kubeconfigPath }, homeDir: '/nonexistent' });
  if (!result.ok) throw new Error(result.reason);
  return result.access;
}

/** Polls until `check` passes (vitest assertions inside), for eventually-consistent cache state. */
async function eventually(what: string, check: () => void, timeoutMs = 60_000): Promise<void> {
  await pollUntil(
    what,
    async () => {
      check();
      return true;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

describeE2E('InformerClusterFacts against a real kube-apiserver', () => {
  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: false });
    await installCrd();
    await apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LONGHORN } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'coder' } },
      node('node-a', true),
      node('node-b', true),
      node('node-c', true),
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pvc-x' },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'longhorn',
          persistentVolumeReclaimPolicy: 'Delete',
          claimRef: { namespace: 'coder', name: 'coder-ws-home' },
          csi: { driver: 'driver.longhorn.io', volumeHandle: 'pvc-x', fsType: 'ext4' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'coder-ws-home', namespace: 'coder' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'longhorn', volumeName: 'pvc-x', resources: { requests: { storage: '1Gi' } } },
      },
    );
    await apply(replica('pvc-x-r-1', 'pvc-x', 'node-a'), replica('pvc-x-r-2', 'pvc-x', 'node-b'), replica('pvc-x-r-3', 'pvc-x', ''));
  });

  afterAll(async () => {
    await Promise.all(started.splice(0).map((facts) => facts.stop()));
    await cp?.stop();
  });

  it('syncs, follows events, survives the CRD going away and the API server restarting', async () => {
    const log = memoryLogger();
    const facts = startInformerClusterFacts(await accessFor(cp.kubeconfigPath), {
      longhornNamespace: LONGHORN,
      logger: log.logger,
      backoff: BACKOFF,
    });
    started.push(facts);

    // 1. Initial sync.
    expect(await facts.waitForSync(60_000)).toEqual({ state: 'synced' });
    expect(facts.claim('coder', 'coder-ws-home')).toEqual({ volumeName: 'pvc-x' });
    expect(facts.volume('pvc-x')).toEqual({ csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-x', nodeLocal: false, readWriteMany: false });
    expect(facts.replicaNodes('pvc-x')).toEqual(['node-a', 'node-b']);
    expect(facts.node('node-a')).toEqual({ ready: true, unschedulable: false });
    const replicasCache = facts.details().caches.find((cache) => cache.name === 'replicas.longhorn.io');
    expect(replicasCache).toMatchObject({ synced: true, objects: 3, lists: 1 });

    // 2. A replica moves from node-b to node-c; a node goes NotReady; a node is cordoned.
    await kubectl(['patch', 'replicas.longhorn.io', 'pvc-x-r-2', '-n', LONGHORN, '--type=merge', '-p', '{"spec":{"nodeID":"node-c"}}']);
    await eventually('replica moved to node-c', () => expect(facts.replicaNodes('pvc-x')).toEqual(['node-a', 'node-c']));
    await kubectl(['patch', 'node', 'node-a', '--subresource=status', '--type=merge', '-p', JSON.stringify(node('node-a', false))]);
    await kubectl(['cordon', 'node-b']);
    await eventually('node-a NotReady, node-b cordoned', () => {
      expect(facts.node('node-a')).toEqual({ ready: false, unschedulable: false });
      expect(facts.node('node-b')).toEqual({ ready: true, unschedulable: true });
    });
    // The unscheduled replica gets a node.
    await kubectl(['patch', 'replicas.longhorn.io', 'pvc-x-r-3', '-n', LONGHORN, '--type=merge', '-p', '{"spec":{"nodeID":"node-b"}}']);
    await eventually('replica scheduled on node-b', () => expect(facts.replicaNodes('pvc-x')).toEqual(['node-a', 'node-b', 'node-c']));

    // 3. The Longhorn CRD is deleted: replica facts become unavailable (not stale), the status says why.
    await kubectl(['delete', 'crd', 'replicas.longhorn.io', '--timeout=90s']);
    await eventually('replicas unavailable', () => {
      expect(facts.replicaNodes('pvc-x')).toBeUndefined();
      expect(facts.status()).toEqual({ state: 'degraded', reason: 'longhorn replicas unavailable: CRD replicas.longhorn.io not found' });
    });
    // The rest still answers.
    expect(facts.claim('coder', 'coder-ws-home')).toEqual({ volumeName: 'pvc-x' });
    expect(log.text()).toContain('cluster cache degraded');

    // 4. Re-created: picked up by the periodic retry, with its new replicas.
    await installCrd();
    await apply(replica('pvc-x-r-7', 'pvc-x', 'node-c'));
    await eventually('replicas back', () => {
      expect(facts.replicaNodes('pvc-x')).toEqual(['node-c']);
      expect(facts.status()).toEqual({ state: 'synced' });
    });

    // 5. The API server goes away: degraded, last known facts kept; it comes back: watches reconnect.
    const watchesBefore = facts.details().caches.map((cache) => cache.watches);
    await cp.stopApiServer();
    await eventually('degraded while the API server is down', () => expect(facts.status().state).toBe('degraded'));
    expect(facts.replicaNodes('pvc-x')).toEqual(['node-c']);
    expect(facts.node('node-c')).toEqual({ ready: true, unschedulable: false });
    await cp.startApiServer();
    await eventually('synced again', () => expect(facts.status()).toEqual({ state: 'synced' }), 90_000);
    const watchesAfter = facts.details().caches.map((cache) => cache.watches);
    watchesAfter.forEach((count, i) => expect(count).toBeGreaterThan(watchesBefore[i]!));
    await apply(replica('pvc-x-r-8', 'pvc-x', 'node-a'), node('node-d', true));
    await eventually('events after the restart', () => {
      expect(facts.replicaNodes('pvc-x')).toEqual(['node-a', 'node-c']);
      expect(facts.node('node-d')).toEqual({ ready: true, unschedulable: false });
    });
    expect(log.text()).toContain('cluster cache recovered');
    expect(log.text()).not.toContain('"spec"');
    // WSW_E2E_DUMP_LOG=1 shows what the caches logged (failures, recoveries, relists) through the scenario.
    if (process.env.WSW_E2E_DUMP_LOG === '1') process.stdout.write(log.text());

    await facts.stop();
  });

  it('works with exactly the documented RBAC, and degrades only co-location without the replicas rule', async () => {
    await apply(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'wsw-facts' },
        rules: [
          { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes', 'nodes'], verbs: ['list', 'watch'] },
          { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['list', 'watch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'wsw-facts' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wsw-facts' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wsw-webhook' },
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wsw-no-replicas' },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'wsw-replicas', namespace: LONGHORN },
        rules: [{ apiGroups: ['longhorn.io'], resources: ['replicas'], verbs: ['list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'wsw-replicas', namespace: LONGHORN },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wsw-replicas' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wsw-webhook' }],
      },
    );
    // The admin token impersonating a user (kubeconfig `as`: handled through client-node).
    const kubeconfigAs = (user: string): string => {
      const path = join(cp.dir, `${user}.kubeconfig`);
      writeFileSync(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority': cp.caFile } }],
          users: [{ name: user, user: { token: cp.token, as: user } }],
          contexts: [{ name: 'e2e', context: { cluster: 'e2e', user } }],
          'current-context': 'e2e',
        }),
      );
      return path;
    };

    const allowed = startInformerClusterFacts(await accessFor(kubeconfigAs('wsw-webhook')), {
      longhornNamespace: LONGHORN,
      logger: memoryLogger().logger,
      backoff: BACKOFF,
    });
    started.push(allowed);
    expect(await allowed.waitForSync(60_000)).toEqual({ state: 'synced' });
    expect(allowed.replicaNodes('pvc-x')).toEqual(['node-a', 'node-c']);

    const denied = startInformerClusterFacts(await accessFor(kubeconfigAs('wsw-no-replicas')), {
      longhornNamespace: LONGHORN,
      logger: memoryLogger().logger,
      backoff: BACKOFF,
    });
    started.push(denied);
    expect(await denied.waitForSync(60_000)).toEqual({
      state: 'degraded',
      reason: 'longhorn replicas unavailable: list/watch forbidden (403), check RBAC',
    });
    expect(denied.replicaNodes('pvc-x')).toBeUndefined();
    expect(denied.claim('coder', 'coder-ws-home')).toEqual({ volumeName: 'pvc-x' });
    await Promise.all([allowed.stop(), denied.stop()]);
  });
});

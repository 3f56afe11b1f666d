import { afterEach, describe, expect, it, vi } from 'vitest';
import { InformerClusterFacts } from '../../src/cluster/facts/informer-cluster-facts.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { FakeApi, objects, PATHS } from './fake-api.js';
import { memoryLogger } from './test-logger.js';

/** The day-two gauge's counts, computed from the server's watch caches over a scripted API server. */

const PODS = '/api/v1/pods';
const NAMESPACES = '/api/v1/namespaces';
const running: InformerClusterFacts[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((facts) => facts.stop()));
});

type Labels = Record<string, string>;
const WORKSPACE: Labels = { 'app.kubernetes.io/name': 'coder-pvc' };

function claim(namespace: string, name: string, volumeName = '', labels: Labels = WORKSPACE) {
  const pvc = objects.pvc(namespace, name, volumeName);
  return { ...pvc, metadata: { ...pvc.metadata, labels } };
}

function pod(namespace: string, name: string, claimName: string, nodeName = '', phase = 'Running') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels: { 'app.kubernetes.io/name': 'coder-workspace' } },
    spec: { ...(nodeName ? { nodeName } : {}), volumes: [{ name: 'home', persistentVolumeClaim: { claimName } }] },
    status: { phase },
  };
}

function rwxPv(name: string) {
  const pv = objects.longhornPv(name);
  return { ...pv, spec: { ...(pv.spec as object), accessModes: ['ReadWriteMany'] } };
}

/** One workspace per verdict, plus claims that are no workspace's. */
function seed(api: FakeApi): void {
  const claims = api.collection(PATHS.claims);
  const volumes = api.collection(PATHS.volumes);
  const replicas = api.collection(PATHS.replicas());
  const pods = api.collection(PODS);
  for (const name of ['pvc-beside', 'pvc-away', 'pvc-failed-here', 'pvc-stopped', 'pvc-pending']) volumes.put(objects.longhornPv(name));
  volumes.put(objects.localPathPv('pvc-local', 'node-a'));
  volumes.put(rwxPv('pvc-rwx'));
  volumes.put({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-nfs' }, spec: { nfs: { server: 'nfs', path: '/x' } } });
  replicas.put(objects.replica('r-beside', 'pvc-beside', 'node-a'));
  replicas.put(objects.replica('r-away', 'pvc-away', 'node-b'));
  const failed = objects.replica('r-failed', 'pvc-failed-here', 'node-a');
  replicas.put({ ...failed, spec: { ...(failed.spec as object), failedAt: '2026-12-04T08:12:44Z' } });
  replicas.put(objects.replica('r-failed-2', 'pvc-failed-here', 'node-c'));
  replicas.put(objects.replica('r-stopped', 'pvc-stopped', 'node-b'));

  const workspaces: [claim: string, volume: string, node: string | undefined][] = [
    ['home-beside', 'pvc-beside', 'node-a'], // local
    ['home-away', 'pvc-away', 'node-a'], // remote: the incident
    ['home-failed-here', 'pvc-failed-here', 'node-a'], // remote: the only replica on its node failed
    ['home-stopped', 'pvc-stopped', undefined], // longhorn
    ['home-pending', 'pvc-pending', ''], // pending
    ['home-local-path', 'pvc-local', 'node-a'], // local
    ['home-rwx', 'pvc-rwx', 'node-a'], // shared
    ['home-nfs', 'pvc-nfs', 'node-a'], // other
    ['home-unbound', '', undefined], // unbound
    ['home-lost', 'pvc-gone', undefined], // unknown: the PV is not there
  ];
  for (const [name, volume, node] of workspaces) {
    claims.put(claim('coder', name, volume));
    if (node !== undefined) pods.put(pod('coder', `ws-${name}`, name, node));
  }
  // A finished pod on the stopped workspace's claim does not count as using it.
  pods.put(pod('coder', 'old-run', 'home-stopped', 'node-a', 'Succeeded'));
  // Not a workspace's: unlabelled claims in an ordinary namespace, even remote ones.
  claims.put(claim('db', 'data', 'pvc-away', {}));
  pods.put(pod('db', 'postgres-0', 'data', 'node-a'));
  // ...but every claim of a workspaces=all namespace is.
  api.collection(NAMESPACES).put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'envbox', labels: { 'workspace-storage.dev/workspaces': 'all' } } });
  api.collection(NAMESPACES).put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db' } });
  claims.put(claim('envbox', 'alice-home', 'pvc-away', {}));
  pods.put(pod('envbox', 'alice', 'alice-home', 'node-a'));
}

function start(census: 'census' | 'no census' = 'census', breakApi: (api: FakeApi) => void = () => {}) {
  const workspaceSelectors = census === 'census' ? parseConfig({}).workspaceSelectors : undefined;
  const api = new FakeApi();
  seed(api);
  breakApi(api);
  const facts = new InformerClusterFacts({
    transport: api,
    longhornNamespace: 'longhorn-system',
    logger: memoryLogger().logger,
    backoff: { initialMs: 5, maxMs: 40, jitter: 0 },
    watchTimeoutSeconds: () => 300,
    ...(workspaceSelectors ? { workspaceSelectors } : {}),
  }).start();
  running.push(facts);
  return { api, facts };
}

const counted = (facts: InformerClusterFacts) => vi.waitFor(() => {
  const counts = facts.workspaceLocalities();
  if (counts === undefined) throw new Error('not synced');
  return counts;
}, { timeout: 5_000, interval: 5 });

describe('workspace_volumes: every workspace claim under the report\'s verdict', () => {
  it('counts one claim per verdict from the caches', async () => {
    const { facts } = start();
    expect(await counted(facts)).toEqual({
      local: 2, remote: 3, longhorn: 1, shared: 1, pending: 1, unbound: 1, other: 1, unknown: 1,
    });
    expect(facts.censusCaches().map((cache) => [cache.name, cache.synced, cache.objects])).toEqual([
      // Only the pods that mount a claim and have not finished are kept; only the workspaces=all namespace.
      ['pods', true, 9],
      ['namespaces', true, 1],
    ]);
  });

  it('follows watch events: the pod moves beside its data, a workspace stops, a namespace leaves workspaces=all', async () => {
    const { api, facts } = start();
    await counted(facts);
    api.collection(PODS).put(pod('coder', 'ws-home-away', 'home-away', 'node-b'));
    api.collection(PODS).delete('coder', 'ws-home-beside');
    api.collection(NAMESPACES).put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'envbox', labels: {} } });
    await vi.waitFor(() => expect(facts.workspaceLocalities()).toMatchObject({ local: 2, remote: 1, longhorn: 2 }), { timeout: 5_000, interval: 5 });
  });

  it('replicas unreadable (no Longhorn CRD): Longhorn workspaces with a pod are unknown, the gauge stays', async () => {
    const { facts } = start('census', (api) => api.collection(PATHS.replicas()).fail(404, 'NotFound'));
    expect(await counted(facts)).toMatchObject({ local: 1, remote: 0, unknown: 5, longhorn: 1 });
  });

  it('is off without workspace selectors (no pod or namespace watch at all), and absent until the caches synced', async () => {
    const { api, facts } = start('no census');
    expect(facts.workspaceLocalities()).toBeUndefined();
    await facts.waitForSync(5_000);
    expect(facts.workspaceLocalities()).toBeUndefined();
    expect(facts.censusCaches()).toEqual([]);
    expect(api.collection(PODS).lists + api.collection(NAMESPACES).lists).toBe(0);
  });

  it('pods forbidden: no gauge, the admission facts unaffected', async () => {
    const { facts } = start('census', (api) => api.collection(PODS).fail(403, 'Forbidden'));
    expect(await facts.waitForSync(5_000)).toEqual({ state: 'synced' });
    await vi.waitFor(() => expect(facts.censusCaches()[0]?.lastError).toMatch(/forbidden/i), { timeout: 5_000, interval: 5 });
    expect(facts.workspaceLocalities()).toBeUndefined();
  });
});

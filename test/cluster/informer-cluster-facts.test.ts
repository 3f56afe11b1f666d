import { afterEach, describe, expect, it, vi } from 'vitest';
import { InformerClusterFacts } from '../../src/cluster/facts/informer-cluster-facts.js';
import { FakeApi, objects, PATHS } from './fake-api.js';
import { memoryLogger } from './test-logger.js';

const FAST = { initialMs: 5, maxMs: 40, jitter: 0 };
const running: InformerClusterFacts[] = [];

function setup(seed: (api: FakeApi) => void = () => {}, pageSize = 2) {
  const api = new FakeApi();
  seed(api);
  const log = memoryLogger();
  const facts = new InformerClusterFacts({
    transport: api,
    longhornNamespace: 'longhorn-system',
    logger: log.logger,
    backoff: FAST,
    pageSize,
    watchTimeoutSeconds: () => 300,
  });
  running.push(facts);
  return { api, facts, log, claims: api.collection(PATHS.claims), volumes: api.collection(PATHS.volumes), nodes: api.collection(PATHS.nodes), replicas: api.collection(PATHS.replicas()) };
}

function seedWorkspace(api: FakeApi): void {
  for (const [name, ready] of [['node-a', true], ['node-b', true], ['node-c', false]] as const) {
    api.collection(PATHS.nodes).put(objects.node(name, ready));
  }
  api.collection(PATHS.claims).put(objects.pvc('coder', 'coder-1-home', 'pvc-1'));
  api.collection(PATHS.claims).put(objects.pvc('coder', 'coder-2-home'));
  api.collection(PATHS.volumes).put(objects.longhornPv('pvc-1'));
  api.collection(PATHS.volumes).put(objects.localPathPv('pvc-lp', 'node-a'));
  api.collection(PATHS.replicas()).put(objects.replica('pvc-1-r-1', 'pvc-1', 'node-a'));
  api.collection(PATHS.replicas()).put(objects.replica('pvc-1-r-2', 'pvc-1', 'node-b'));
  api.collection(PATHS.replicas()).put(objects.replica('pvc-1-r-3', 'pvc-1', ''));
  api.collection(PATHS.storageClasses).put(objects.storageClass('longhorn', 'driver.longhorn.io'));
}

const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 5_000, interval: 5 });

afterEach(async () => {
  await Promise.all(running.splice(0).map((facts) => facts.stop()));
});

describe('InformerClusterFacts over a scripted API server', () => {
  it('lists every source page by page, then answers from memory', async () => {
    const { facts, claims, replicas } = setup(seedWorkspace);
    expect(facts.status().state).toBe('syncing');
    expect(facts.replicaNodes('pvc-1')).toBeUndefined();
    facts.start();
    const status = await facts.waitForSync(5_000);
    expect(status).toEqual({ state: 'synced' });
    expect(facts.claim('coder', 'coder-1-home')).toEqual({ volumeName: 'pvc-1' });
    expect(facts.claim('coder', 'coder-2-home')).toEqual({ volumeName: '' });
    expect(facts.claim('other', 'coder-1-home')).toBeUndefined();
    expect(facts.volume('pvc-1')).toEqual({ csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-1', nodeLocal: false, readWriteMany: false });
    expect(facts.volume('pvc-lp')).toEqual({ csiDriver: '', volumeHandle: '', nodeLocal: true, readWriteMany: false });
    expect(facts.node('node-a')).toEqual({ ready: true, unschedulable: false });
    expect(facts.node('node-c')).toEqual({ ready: false, unschedulable: false });
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);
    expect(facts.replicaNodes('pvc-unknown')).toEqual([]);
    // pageSize 2: three replicas take two pages.
    expect(replicas.lists).toBe(2);
    expect(claims.lists).toBe(1);
    const details = facts.details();
    expect(details.caches.map((cache) => [cache.name, cache.synced, cache.objects])).toEqual([
      ['persistentvolumeclaims', true, 2],
      ['persistentvolumes', true, 2],
      ['nodes', true, 3],
      ['replicas.longhorn.io', true, 3],
      ['storageclasses', true, 1],
    ]);
    expect(facts.storageClass('longhorn')).toEqual({ provisioner: 'driver.longhorn.io' });
    expect(facts.storageClass('nfs')).toBeUndefined();
    expect(details.caches.every((cache) => cache.lastError === undefined && cache.lastSyncTime !== undefined)).toBe(true);
  });

  it('reports every complete list with its object count (the first and each relist)', async () => {
    const api = new FakeApi();
    seedWorkspace(api);
    const listed: number[] = [];
    const facts = new InformerClusterFacts({
      transport: api, longhornNamespace: 'longhorn-system', logger: memoryLogger().logger, backoff: FAST, pageSize: 2,
      watchTimeoutSeconds: () => 300, onListed: (objects) => listed.push(objects),
    });
    running.push(facts);
    await facts.start().waitForSync(5_000);
    expect([...listed].sort()).toEqual([1, 2, 2, 3, 3]); // storage classes, PVCs, PVs, nodes, replicas
    const nodes = api.collection(PATHS.nodes);
    nodes.dropWatches();
    nodes.putSilently(objects.node('node-d', true));
    nodes.compact(); // the next watch gets 410 Gone: a relist, which sees the new node
    await waitFor(() => expect(listed).toHaveLength(6));
    expect(listed[5]).toBe(4);
  });

  it('follows watch events: replica moved, scheduled, deleted; node NotReady and cordoned; PVC bound', async () => {
    const { facts, replicas, nodes, claims } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);

    replicas.put(objects.replica('pvc-1-r-2', 'pvc-1', 'node-c'));
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-c']));
    replicas.put(objects.replica('pvc-1-r-3', 'pvc-1', 'node-b'));
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b', 'node-c']));
    replicas.delete('longhorn-system', 'pvc-1-r-1');
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-b', 'node-c']));

    nodes.put(objects.node('node-a', false));
    nodes.put(objects.node('node-b', true, true));
    await waitFor(() => {
      expect(facts.node('node-a')).toEqual({ ready: false, unschedulable: false });
      expect(facts.node('node-b')).toEqual({ ready: true, unschedulable: true });
    });
    nodes.delete('node-c');
    await waitFor(() => expect(facts.node('node-c')).toBeUndefined());

    claims.put(objects.pvc('coder', 'coder-2-home', 'pvc-2'));
    await waitFor(() => expect(facts.claim('coder', 'coder-2-home')).toEqual({ volumeName: 'pvc-2' }));
    expect(facts.details().caches.find((cache) => cache.name === 'nodes')?.events).toBeGreaterThanOrEqual(3);
  });

  it('skips malformed objects in lists and watches without throwing', async () => {
    const { facts, replicas, nodes } = setup((api) => {
      seedWorkspace(api);
      const replicaList = api.collection(PATHS.replicas());
      replicaList.put({ metadata: { name: 'no-spec', namespace: 'longhorn-system' } });
      replicaList.put({ metadata: { name: 'weird', namespace: 'longhorn-system' }, spec: { volumeName: 42, nodeID: ['x'] } });
      api.collection(PATHS.nodes).put({ metadata: { name: 'odd-node' }, status: { conditions: 'Ready' }, spec: { unschedulable: 'yes' } });
    });
    await facts.start().waitForSync(5_000);
    expect(facts.status().state).toBe('synced');
    expect(facts.node('odd-node')).toEqual({ ready: false, unschedulable: false });
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);

    for (const junk of [null, 42, 'text', [], { type: 'ADDED' }, { type: 'ADDED', object: null }, { type: 'ADDED', object: { metadata: {} } }, { type: 'WHATEVER', object: objects.node('x') }]) {
      replicas.sendRaw(junk);
      nodes.sendRaw(junk);
    }
    // A replica that loses its volumeName cannot be indexed: its old entry goes.
    replicas.put({ metadata: { name: 'pvc-1-r-1', namespace: 'longhorn-system' }, spec: { nodeID: 'node-a' } });
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-b']));
    expect(facts.status().state).toBe('synced');
    expect(facts.node('x')).toBeUndefined();
  });

  it('a missing Longhorn CRD degrades co-location only, does not hold up start-up, and is picked up later', async () => {
    const { facts, replicas, log } = setup((api) => {
      seedWorkspace(api);
      api.collection(PATHS.replicas()).fail(404, 'NotFound');
    });
    facts.start();
    const status = await facts.waitForSync(5_000);
    expect(status).toEqual({ state: 'degraded', reason: 'longhorn replicas unavailable: CRD replicas.longhorn.io not found' });
    expect(facts.replicaNodes('pvc-1')).toBeUndefined();
    expect(facts.claim('coder', 'coder-1-home')).toEqual({ volumeName: 'pvc-1' });
    expect(facts.details().caches[3]).toMatchObject({ name: 'replicas.longhorn.io', synced: false, objects: 0 });
    // Retried with backoff (5, 10, 20, 40, 40 ms...) but logged once.
    await waitFor(() => expect(replicas.failure).toBeDefined());
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(log.lines.filter((line) => line.includes('cluster cache degraded')).length).toBe(1);

    replicas.heal();
    await waitFor(() => expect(facts.status()).toEqual({ state: 'synced' }));
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);
    expect(log.text()).toContain('cluster cache recovered');
  });

  it('the CRD deleted mid-run: replicas go away, replicaNodes() is undefined (not stale), and it comes back', async () => {
    const { facts, replicas } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);

    replicas.removeResource();
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toBeUndefined());
    expect(facts.status()).toEqual({ state: 'degraded', reason: 'longhorn replicas unavailable: CRD replicas.longhorn.io not found' });

    replicas.heal();
    replicas.put(objects.replica('pvc-1-r-9', 'pvc-1', 'node-c'));
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-c']));
    expect(facts.status()).toEqual({ state: 'synced' });
  });

  it('a 404 answered to a re-watch (watch ended without DELETED events) also drops the replica facts', async () => {
    const { facts, replicas } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    replicas.fail(404, 'NotFound');
    replicas.endWatches();
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toBeUndefined());
    expect(facts.details().caches[3]?.objects).toBe(0);
  });

  it('forbidden (403) names RBAC in the reason', async () => {
    const { facts } = setup((api) => {
      seedWorkspace(api);
      api.collection(PATHS.replicas()).fail(403, 'Forbidden');
    });
    const status = await facts.start().waitForSync(5_000);
    expect(status.state).toBe('degraded');
    expect(status.reason).toBe('longhorn replicas unavailable: list/watch forbidden (403), check RBAC');
    expect(status.reason!.length).toBeLessThanOrEqual(80);
  });

  it('relists after 410 Gone and converges on changes made while not watching', async () => {
    const { facts, replicas } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    const listsBefore = facts.details().caches[3]!.lists;
    // The watch breaks; meanwhile a replica moves without an event we could see, and history is compacted.
    replicas.dropWatches();
    replicas.putSilently(objects.replica('pvc-1-r-1', 'pvc-1', 'node-c'));
    replicas.compact();
    await waitFor(() => expect(facts.replicaNodes('pvc-1')).toEqual(['node-b', 'node-c']));
    expect(facts.details().caches[3]!.lists).toBe(listsBefore + 1);
    await waitFor(() => expect(facts.status()).toEqual({ state: 'synced' }));
  });

  it('API server down: degraded, stale facts kept; back up: watches resume and new events arrive', async () => {
    const { api, facts, replicas, nodes, log } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    api.stopServer();
    await waitFor(() => expect(facts.status().state).toBe('degraded'));
    expect(facts.status().reason).toMatch(/^PVCs watch failed: (ECONNRESET|ECONNREFUSED) \(\+4 more\)$/);
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);
    expect(facts.node('node-a')).toEqual({ ready: true, unschedulable: false });

    api.startServer();
    await waitFor(() => expect(facts.status()).toEqual({ state: 'synced' }));
    replicas.put(objects.replica('pvc-1-r-4', 'pvc-1', 'node-c'));
    nodes.put(objects.node('node-c', true));
    await waitFor(() => {
      expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b', 'node-c']);
      expect(facts.node('node-c')?.ready).toBe(true);
    });
    expect(log.text()).toContain('cluster cache recovered (watch resumed)');
  });

  it('API server unreachable at start: waitForSync settles as degraded, and the caches fill once it answers', async () => {
    const { api, facts } = setup((fake) => {
      seedWorkspace(fake);
      fake.stopServer();
    });
    const status = await facts.start().waitForSync(5_000);
    expect(status.state).toBe('degraded');
    expect(status.reason).toContain('list failed: ECONNREFUSED');
    expect(facts.claim('coder', 'coder-1-home')).toBeUndefined();
    api.startServer();
    await waitFor(() => expect(facts.status()).toEqual({ state: 'synced' }));
    expect(facts.claim('coder', 'coder-1-home')).toEqual({ volumeName: 'pvc-1' });
  });

  it('a watch that keeps ending at once backs off instead of spinning', async () => {
    const { facts, nodes } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    const opened = nodes.watchesOpened;
    const stop = setInterval(() => nodes.endWatches(), 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    clearInterval(stop);
    // Backoff 5, 10, 20, 40, 40... ms: about 10 reconnects in 300 ms, not hundreds.
    expect(nodes.watchesOpened - opened).toBeLessThan(30);
    expect(facts.status().state).toBe('synced');
  });

  it('stop() ends the watches and resolves pending waiters; waitForSync honours its timeout', async () => {
    const { facts, nodes, replicas } = setup((api) => {
      seedWorkspace(api);
      api.stopServer();
    });
    // Unreachable but not failed yet would be 'syncing'; here nothing was started, so time out.
    const early = await facts.waitForSync(20);
    expect(early.state).toBe('syncing');
    facts.start();
    const waiting = facts.waitForSync(60_000);
    await facts.stop();
    await expect(waiting).resolves.toBeDefined();
    expect(nodes.watchers.size).toBe(0);
    expect(replicas.watchers.size).toBe(0);
  });

  it('never logs object contents', async () => {
    const { facts, claims, replicas, log } = setup(seedWorkspace);
    await facts.start().waitForSync(5_000);
    claims.put(objects.pvc('coder', 'coder-3-home', 'pvc-3'));
    replicas.removeResource();
    await waitFor(() => expect(facts.status().state).toBe('degraded'));
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.text()).not.toContain('DO-NOT-LOG');
    expect(log.text()).not.toContain('dataDirectoryName');
  });
});

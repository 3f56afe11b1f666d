import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { InformerClusterFacts } from '../../src/cluster/facts/informer-cluster-facts.js';
import { OffClusterFacts } from '../../src/cluster/facts/off-cluster-facts.js';
import { startClusterFacts } from '../../src/cluster/facts/start-cluster-facts.js';
import { memoryLogger } from './test-logger.js';

const config = (mode: 'required' | 'preferred' | 'off') => parseConfig({ affinity: { mode } });
const nowhere = { env: {}, serviceAccountDir: '/nonexistent', homeDir: '/nonexistent' };
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('startClusterFacts', () => {
  it('affinity.mode off: off, without looking for cluster access', async () => {
    const running = await startClusterFacts(config('off'), memoryLogger().logger, nowhere);
    expect(running.facts).toBeInstanceOf(OffClusterFacts);
    expect(running.facts.status()).toEqual({ state: 'off', reason: 'affinity.mode is off' });
    expect(running.cacheStates()).toEqual([]);
  });

  it('no cluster access: off with the reason, logged, and every lookup empty', async () => {
    const log = memoryLogger();
    const running = await startClusterFacts(config('required'), log.logger, nowhere);
    const { facts } = running;
    expect(facts.status()).toEqual({ state: 'off', reason: 'no in-cluster service account, no KUBECONFIG, no ~/.kube/config' });
    expect(log.text()).toContain('co-location is off');
    expect([facts.claim('a', 'b'), facts.volume('v'), facts.replicaNodes('v'), facts.node('n')]).toEqual([undefined, undefined, undefined, undefined]);
    await running.stop();
  });

  it('with access: the caches, started (here against a closed port, so degraded)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsw-start-'));
    const path = join(dir, 'config');
    writeFileSync(
      path,
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:9' } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const running = await startClusterFacts(config('preferred'), memoryLogger().logger, { env: { KUBECONFIG: path } });
    try {
      expect(running.facts).toBeInstanceOf(InformerClusterFacts);
      const status = await (running.facts as InformerClusterFacts).waitForSync(10_000);
      expect(status.state).toBe('degraded');
      expect(status.reason).toMatch(/^PVCs list failed: ECONNREFUSED \(\+4 more\)$/);
      expect(running.cacheStates().map((cache) => cache.name)).toEqual(['persistentvolumeclaims', 'persistentvolumes', 'nodes', 'replicas.longhorn.io', 'storageclasses', 'pods', 'namespaces']);
      expect(running.workspaceLocalities()).toBeUndefined();
    } finally {
      await running.stop();
    }
  });
});

// A process that holds the webhook's cluster caches and nothing else: the real InformerClusterFacts (dist/) over
// the real node:https transport, listing and watching the benchmark's kube-apiserver. Prints one JSON object:
// time to sync, object counts, memory, and the cost of decide() on workspace pods with a Longhorn PVC.
//
// env: KUBECONFIG, CLAIMS_FILE (JSON [[namespace, claimName], ...]), DECISIONS (default 200000).
// Run with --expose-gc so that heap figures are after a full collection.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { pino } from 'pino';
import { loadClusterAccess } from '../../dist/cluster/credentials/cluster-access.js';
import { collectAfterLargeLists } from '../../dist/cluster/list-watch/collect-after-lists.js';
import { startInformerClusterFacts } from '../../dist/cluster/facts/informer-cluster-facts.js';
import { OffClusterFacts } from '../../dist/cluster/facts/off-cluster-facts.js';
import { parseConfig } from '../../dist/config/parse-config.js';
import { decide } from '../../dist/core/decide.js';
import { rssBytes } from '../processes.js';
import { LONGHORN_NAMESPACE, workspacePod } from './objects.js';

const gc = globalThis.gc ?? (() => {});
/** How long after sync the settled RSS is read. */
const SETTLE_MS = 10_000;
const cpuMicros = (since) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

gc();
const rssBeforeSync = rssBytes(process.pid);
const started = performance.now();
const cpuStart = process.cpuUsage();
const access = await loadClusterAccess({ env: { KUBECONFIG: process.env.KUBECONFIG }, homeDir: '/nonexistent' });
if (!access.ok) throw new Error(`no cluster access: ${access.reason}`);
// As the server runs them (src/cluster/start-cluster-facts.ts): a full collection after large lists.
const logger = pino({ level: 'warn' });
const facts = startInformerClusterFacts(access.access, {
  longhornNamespace: LONGHORN_NAMESPACE, logger, onListed: collectAfterLargeLists(logger),
  workspaceSelectors: parseConfig({}).workspaceSelectors,
});
const status = await facts.waitForSync(600_000);
// The day-two census (pods, namespaces) as well: the server runs it too, so its memory counts.
while (facts.workspaceLocalities() === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
const syncMs = performance.now() - started;
const syncCpuMs = cpuMicros(cpuStart) / 1000;
const caches = Object.fromEntries([...facts.details().caches, ...facts.censusCaches()].map((cache) => [cache.name, cache.objects]));
const localities = facts.workspaceLocalities();
const rssAfterSync = rssBytes(process.pid);
// Settled: after the post-list collection (1 s after the last list) and V8 returning the freed pages.
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const rssSettled = rssBytes(process.pid);
gc();
gc();
const memory = process.memoryUsage();
const afterGc = {
  rssBytes: rssBytes(process.pid), heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal,
  externalBytes: memory.external, arrayBuffersBytes: memory.arrayBuffers,
  // Committed size of each V8 space: where RSS beyond the live heap sits (new_space is the young generation).
  spaces: Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size])),
};

// decide() on workspace pods, each mounting a different workspace's Longhorn PVC: the tmpfs plan plus the
// co-location lookups (claim -> PV -> 3 replicas -> 3 nodes) and the node-affinity patch.
const config = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });
const claims = JSON.parse(readFileSync(process.env.CLAIMS_FILE, 'utf8'));
const inputs = claims.slice(0, 2000).map(([namespace, claimName], i) => ({
  kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace,
  object: workspacePod(namespace, claimName, `bench-${i}`),
}));
const sample = decide(inputs[0], config, facts);
if (!sample.mutations.some((mutation) => mutation.type === 'affinity')) {
  throw new Error(`decide() did not pin the pod: ${JSON.stringify(sample.reason)} ${JSON.stringify(sample.notes)} ${JSON.stringify(sample.warnings)}`);
}
const rounds = Number(process.env.DECISIONS ?? 200_000);
const off = new OffClusterFacts('benchmark: co-location off');
const timeDecisions = (withFacts) => {
  for (let i = 0; i < rounds / 10; i++) decide(inputs[i % inputs.length], config, withFacts);
  const since = process.cpuUsage();
  let pinned = 0;
  for (let i = 0; i < rounds; i++) pinned += decide(inputs[i % inputs.length], config, withFacts).operations.length;
  return { microsPerDecision: Math.round((cpuMicros(since) / rounds) * 100) / 100, operations: pinned };
};
const withCaches = timeDecisions(facts);
const withoutCaches = timeDecisions(off);
await facts.stop();

process.stdout.write(`${JSON.stringify({
  status,
  syncMs: Math.round(syncMs),
  syncCpuMs: Math.round(syncCpuMs),
  caches,
  localities,
  rssBeforeSyncBytes: rssBeforeSync,
  rssAfterSyncBytes: rssAfterSync,
  rssSettledBytes: rssSettled,
  afterGc,
  decide: {
    rounds,
    pods: inputs.length,
    withCachesMicros: withCaches.microsPerDecision,
    coLocationOffMicros: withoutCaches.microsPerDecision,
    affinityMicros: Math.round((withCaches.microsPerDecision - withoutCaches.microsPerDecision) * 100) / 100,
    sampleMutations: sample.mutations.map((mutation) => mutation.type),
  },
})}\n`);
process.exit(0);

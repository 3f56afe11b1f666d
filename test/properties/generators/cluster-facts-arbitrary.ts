import fc from 'fast-check';
import { InMemoryClusterFacts } from '../../support/in-memory-cluster-facts.js';
import type { FactsStatus, NodeFact, VolumeFact } from '../../../src/core/cluster-facts.js';

/** Claim names pods mount and facts know about (one at the 63-character limit). */
export const CLAIM_POOL = ['home', 'cache', 'ws-data', `c${'x'.repeat(61)}c`] as const;
/** Node names: some Ready, some not, some cordoned, some unknown to the facts. */
export const NODE_POOL = ['node-a', 'node-b', 'node-c', 'node-d'] as const;

const volumeFact: fc.Arbitrary<VolumeFact> = fc.oneof(
  fc.constantFrom('driver.longhorn.io', 'io.rancher.longhorn').map((csiDriver) => ({ csiDriver, volumeHandle: '', nodeLocal: false, readWriteMany: false })),
  fc.constant({ csiDriver: '', volumeHandle: '', nodeLocal: true, readWriteMany: false }),
  fc.constant({ csiDriver: 'ebs.csi.aws.com', volumeHandle: 'vol-1', nodeLocal: false, readWriteMany: false }),
);

/** Everything the generated facts hold, as data (so a failing case prints readably). */
export interface FactsPlan {
  readonly status: FactsStatus;
  readonly replicasUnavailable: boolean;
  readonly claims: ReadonlyArray<{ namespace: 'ns' | 'other'; claim: string; pv: string; volume?: VolumeFact; replicas: string[] }>;
  readonly nodes: ReadonlyArray<{ name: string; fact: NodeFact }>;
}

/** A roll that is true about `percent` per cent of the time. */
const chance = (percent: number) => fc.integer({ min: 1, max: 100 }).map((roll) => roll <= percent);

const claimEntry = (claim: string) => fc.record({
  namespace: fc.constantFrom<'ns' | 'other'>('ns', 'ns', 'ns', 'ns', 'other'),
  claim: fc.constant(claim),
  pv: fc.constantFrom(`pv-${claim.slice(0, 8)}`, `pv-${claim.slice(0, 8)}`, `pv-${claim.slice(0, 8)}`, '', 'pv-shared'),
  volume: fc.oneof(
    { weight: 6, arbitrary: volumeFact.filter((fact) => fact.csiDriver.includes('longhorn')) },
    { weight: 2, arbitrary: volumeFact },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  replicas: fc.array(fc.constantFrom(...NODE_POOL, ...NODE_POOL, ''), { minLength: 1, maxLength: 4 }),
});

/**
 * Facts biased towards what makes co-location act (the pod's claims known, bound to Longhorn PVs with replicas on
 * Ready nodes) while still producing every failure: unknown claims and PVs, unbound claims, local-path and other
 * drivers, NotReady or cordoned nodes, replica facts unavailable, caches degraded, syncing or off.
 */
export const factsPlan: fc.Arbitrary<FactsPlan> = fc.record({
  status: fc.oneof(
    { weight: 8, arbitrary: fc.constant<FactsStatus>({ state: 'synced' }) },
    { weight: 1, arbitrary: fc.constantFrom<FactsStatus>({ state: 'degraded', reason: 'watch failing' }, { state: 'syncing' }, { state: 'off', reason: 'no cluster' }) },
  ),
  replicasUnavailable: chance(8),
  claims: fc.tuple(...CLAIM_POOL.map((claim) => fc.option(claimEntry(claim), { nil: undefined, freq: 8 })))
    .map((entries) => entries.filter((entry) => entry !== undefined)),
  nodes: fc.tuple(...NODE_POOL.map((name) => fc.option(
    fc.record({ name: fc.constant(name), fact: fc.record({ ready: chance(85), unschedulable: chance(10) }) }),
    { nil: undefined, freq: 10 },
  ))).map((entries) => entries.filter((entry) => entry !== undefined)),
});

/** Builds the InMemoryClusterFacts a plan describes; pods are created in namespace `ns`. */
export function buildFacts(plan: FactsPlan): InMemoryClusterFacts {
  const facts = new InMemoryClusterFacts().setStatus(plan.status).setReplicasUnavailable(plan.replicasUnavailable);
  for (const entry of plan.claims) {
    facts.addClaim(entry.namespace, entry.claim, entry.pv);
    if (entry.pv === '' || entry.volume === undefined) continue;
    const handle = entry.volume.volumeHandle || `lh-${entry.pv}`;
    facts.addVolume(entry.pv, { ...entry.volume, volumeHandle: handle });
    for (const node of entry.replicas) facts.addReplica(handle, node);
  }
  for (const node of plan.nodes) facts.addNode(node.name, node.fact);
  return facts;
}

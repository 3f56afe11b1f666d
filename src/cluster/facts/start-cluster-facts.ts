import type { Logger } from 'pino';
import type { Config } from '../../config/config-types.js';
import type { ClusterFacts, FactsStatus } from '../../core/cluster-facts.js';
import type { CacheState } from '../../metrics/webhook-metrics.js';
import { collectAfterLargeLists } from '../list-watch/collect-after-lists.js';
import { loadClusterAccess, type ClusterAccessEnvironment } from '../credentials/cluster-access.js';
import { startInformerClusterFacts, type ClusterFactsDetails } from './informer-cluster-facts.js';
import { OffClusterFacts } from './off-cluster-facts.js';
import type { LocalityCounts } from './workspace-volume-census.js';

/** The facts the server uses, with what /readyz, metrics and shutdown need from them. */
export interface RunningClusterFacts {
  readonly facts: ClusterFacts;
  /** For /readyz. */
  details(): ClusterFactsDetails | { status: ReturnType<ClusterFacts['status']> };
  /** For the cache gauges. */
  cacheStates(): readonly CacheState[];
  /** Workspace claims per locality verdict, for the day-two gauge; undefined while unknown. */
  workspaceLocalities(): LocalityCounts | undefined;
  /** Resolves once every cache has finished its first list (or after `timeoutMs`), with the status then. */
  waitForSync(timeoutMs: number): Promise<FactsStatus>;
  stop(): Promise<void>;
}

/**
 * Starts the watch-fed caches when co-location is on and the cluster is reachable; otherwise facts that say
 * why co-location is off (logged once here: tmpfs and storage-class work go on without a cluster).
 */
export async function startClusterFacts(
  config: Config,
  logger: Logger,
  /** Where to look for credentials (tests); the process environment by default. */
  environment: ClusterAccessEnvironment = {},
): Promise<RunningClusterFacts> {
  const off = (reason: string): RunningClusterFacts => {
    logger.warn({ reason }, 'co-location is off');
    const facts = new OffClusterFacts(reason);
    return {
      facts,
      details: () => ({ status: facts.status() }),
      cacheStates: () => [],
      workspaceLocalities: () => undefined,
      waitForSync: () => Promise.resolve(facts.status()),
      stop: () => Promise.resolve(),
    };
  };
  if (config.affinity.mode === 'off') return off('affinity.mode is off');
  const result = await loadClusterAccess(environment);
  if (!result.ok) return off(result.reason);
  logger.info(
    { source: result.access.source, server: result.access.server },
    'co-location on: watching PVCs, PVs, Nodes, Longhorn replicas, StorageClasses; pods and namespaces for the workspace gauge',
  );
  const facts = startInformerClusterFacts(result.access, {
    longhornNamespace: config.affinity.longhornNamespace,
    logger,
    onListed: collectAfterLargeLists(logger),
    workspaceSelectors: config.workspaceSelectors,
  });
  return {
    facts,
    details: () => facts.details(),
    cacheStates: () =>
      [...facts.details().caches, ...facts.censusCaches()].map((cache) => ({
        name: cache.name,
        synced: cache.synced,
        ageSeconds: cache.lastEventAgeSeconds,
      })),
    workspaceLocalities: () => facts.workspaceLocalities(),
    waitForSync: (timeoutMs) => facts.waitForSync(timeoutMs),
    stop: () => facts.stop(),
  };
}

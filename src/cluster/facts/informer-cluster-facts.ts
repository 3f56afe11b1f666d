/**
 * The real ClusterFacts: five watch-fed caches (PVCs, PVs, Nodes, Longhorn replicas, StorageClasses) answering the
 * core from memory. Nothing here calls the API server while a review is answered.
 *
 * RBAC (ClusterRole bound to the webhook's service account; these verbs only, checked against the API server's
 * audit log by test/e2e/co-location.e2e.test.ts):
 *   - apiGroups: [""]            resources: [persistentvolumeclaims, persistentvolumes, nodes]  verbs: [list, watch]
 *   - apiGroups: ["longhorn.io"] resources: [replicas]                                           verbs: [list, watch]
 *   - apiGroups: ["storage.k8s.io"] resources: [storageclasses]                                  verbs: [list, watch]
 * (replicas are read in one namespace only, so a Role in the Longhorn namespace is enough for them.)
 * Without the replicas rule co-location degrades ("list/watch forbidden (403)"); the rest still works.
 * With the day-two census on (`workspaceSelectors` given) two more caches follow pods (only those mounting a claim,
 * and only their node and claim names) and the namespaces labelled `workspaces=all`:
 *   - apiGroups: [""]            resources: [pods, namespaces]                                     verbs: [list, watch]
 * They feed the `workspace_volumes` gauge only; the admission path never reads them, so they are not part of
 * {@link InformerClusterFacts.status}.
 */
import type { Logger } from 'pino';
import type { LabelSelector } from '../../kube/kube-types.js';
import type { ClaimFact, ClusterFacts, FactsStatus, NodeFact, StorageClassFact, VolumeFact } from '../../core/cluster-facts.js';
import type { ApiTransport } from '../list-watch/api-transport.js';
import type { BackoffOptions } from '../list-watch/backoff.js';
import type { ClusterAccess } from '../credentials/cluster-access.js';
import { KeyedFactStore, NamespacedFactStore } from '../list-watch/fact-store.js';
import { composeStatus } from './facts-status.js';
import { HttpsApiTransport } from '../list-watch/https-api-transport.js';
import { ListGate } from '../list-watch/list-gate.js';
import {
  allWorkspacesNamespaceFact, claimFactDecoder, nodeFact, podClaimsFact, replicaFact, storageClassFact, volumeFact,
  type PodClaimsFact, type ReplicaFact,
} from './object-facts.js';
import { countWorkspaceLocalities, type LocalityCounts } from './workspace-volume-census.js';
import { Reflector, type ReflectorDetails } from '../list-watch/reflector.js';
import { ReplicaIndex } from './replica-index.js';

/** Where and how to follow the cluster. */
export interface InformerClusterFactsOptions {
  /** How list and watch reach the API server (an {@link HttpsApiTransport} in production, a fake in tests). */
  readonly transport: ApiTransport;
  /** Namespace of `replicas.longhorn.io` (config `affinity.longhornNamespace`). */
  readonly longhornNamespace: string;
  readonly logger: Logger;
  /** Retry tuning shared by the caches (default 1 s .. 30 s). */
  readonly backoff?: BackoffOptions;
  /** Objects per list page (default 500). */
  readonly pageSize?: number;
  /** Server-side watch duration in seconds (default random 300..600). */
  readonly watchTimeoutSeconds?: () => number;
  /** Called after every complete list of any cache with the number of objects it held. */
  readonly onListed?: (objects: number) => void;
  /**
   * The config's workspace selectors: when given, claims matching them are marked as workspaces' and the pod and
   * namespace caches of the day-two census run (see {@link InformerClusterFacts.workspaceLocalities}).
   */
  readonly workspaceSelectors?: readonly LabelSelector[];
}

/** The /readyz report: overall status and one entry per cache. */
export interface ClusterFactsDetails {
  readonly status: FactsStatus;
  readonly caches: readonly ReflectorDetails[];
}

/** Group, version and resource of Longhorn replicas (longhorn-manager k8s/pkg/apis/longhorn/v1beta2). */
export const LONGHORN_REPLICAS = 'replicas.longhorn.io';

/**
 * {@link ClusterFacts} backed by list+watch caches. Call {@link start} once, optionally
 * {@link waitForSync}, and {@link stop} on shutdown. Every ClusterFacts method is a synchronous map lookup.
 */
export class InformerClusterFacts implements ClusterFacts {
  private readonly claims = new NamespacedFactStore<ClaimFact>();
  private readonly volumes = new KeyedFactStore<VolumeFact>();
  private readonly nodes = new KeyedFactStore<NodeFact>();
  private readonly replicas = new ReplicaIndex();
  private readonly storageClasses = new KeyedFactStore<StorageClassFact>();
  private readonly pods = new NamespacedFactStore<PodClaimsFact>();
  private readonly allWorkspaceNamespaces = new KeyedFactStore<true>();
  private readonly claimsReflector: Reflector<ClaimFact>;
  private readonly volumesReflector: Reflector<VolumeFact>;
  private readonly nodesReflector: Reflector<NodeFact>;
  private readonly replicasReflector: Reflector<ReplicaFact>;
  private readonly storageClassesReflector: Reflector<StorageClassFact>;
  /** In status order: the first cache with a problem gives the reason. */
  private readonly reflectors: readonly Reflector<unknown>[];
  /** The day-two census's caches (pods, namespaces); empty when it is off. */
  private readonly censusReflectors: readonly Reflector<unknown>[];
  private readonly waiters = new Set<{ readonly check: () => void; readonly finish: () => void }>();

  constructor(options: InformerClusterFactsOptions) {
    const { transport, logger, backoff, pageSize, watchTimeoutSeconds, onListed } = options;
    const common = {
      transport,
      logger,
      backoff,
      pageSize,
      watchTimeoutSeconds,
      // One list at a time across the four caches: see list-gate.ts.
      listGate: new ListGate(),
      onChange: () => { this.wakeWaiters(); },
      onListed,
    };
    this.claimsReflector = new Reflector({
      ...common,
      name: 'persistentvolumeclaims',
      label: 'PVCs',
      path: '/api/v1/persistentvolumeclaims',
      decode: claimFactDecoder(options.workspaceSelectors ?? []),
      sink: this.claims,
    });
    this.volumesReflector = new Reflector({
      ...common,
      name: 'persistentvolumes',
      label: 'PVs',
      path: '/api/v1/persistentvolumes',
      decode: volumeFact,
      sink: this.volumes,
    });
    this.nodesReflector = new Reflector({
      ...common,
      name: 'nodes',
      label: 'nodes',
      path: '/api/v1/nodes',
      decode: nodeFact,
      sink: this.nodes,
    });
    this.replicasReflector = new Reflector({
      ...common,
      name: LONGHORN_REPLICAS,
      label: 'longhorn replicas',
      path: `/apis/longhorn.io/v1beta2/namespaces/${encodeURIComponent(options.longhornNamespace)}/replicas`,
      decode: replicaFact,
      sink: this.replicas,
      notFound: `CRD ${LONGHORN_REPLICAS} not found`,
    });
    this.storageClassesReflector = new Reflector({
      ...common,
      name: 'storageclasses',
      label: 'storage classes',
      path: '/apis/storage.k8s.io/v1/storageclasses',
      decode: storageClassFact,
      sink: this.storageClasses,
    });
    this.reflectors = [
      this.claimsReflector,
      this.volumesReflector,
      this.nodesReflector,
      this.replicasReflector,
      this.storageClassesReflector,
    ] as readonly Reflector<unknown>[];
    this.censusReflectors = options.workspaceSelectors === undefined ? [] : [
      new Reflector({
        ...common, name: 'pods', label: 'pods', path: '/api/v1/pods', decode: podClaimsFact, sink: this.pods,
      }),
      new Reflector({
        ...common,
        name: 'namespaces',
        label: 'namespaces',
        path: '/api/v1/namespaces',
        decode: allWorkspacesNamespaceFact,
        sink: this.allWorkspaceNamespaces,
      }),
    ] as readonly Reflector<unknown>[];
  }

  /** Starts the list+watch loops in the background; returns `this` for chaining. */
  start(): this {
    for (const reflector of [...this.reflectors, ...this.censusReflectors]) reflector.start();
    return this;
  }

  /**
   * Resolves once every cache has finished its first list, successfully or not (a missing CRD does not hold up
   * start-up), or after `timeoutMs`; with the status at that moment.
   */
  waitForSync(timeoutMs: number): Promise<FactsStatus> {
    return new Promise<FactsStatus>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(this.status());
      };
      const check = (): void => {
        if (this.reflectors.every((reflector) => reflector.isSettled)) finish();
      };
      const waiter = { check, finish };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(waiter);
      check();
    });
  }

  /** Ends every watch and retry; resolves when all loops have returned. Pending {@link waitForSync} calls resolve. */
  async stop(): Promise<void> {
    await Promise.all([...this.reflectors, ...this.censusReflectors].map((reflector) => reflector.stop()));
    for (const waiter of [...this.waiters]) waiter.finish();
  }

  /** Overall status plus per-cache details, for /readyz and metrics. */
  details(): ClusterFactsDetails {
    return { status: this.status(), caches: this.reflectors.map((reflector) => reflector.details()) };
  }

  /** The census caches' details (pods, namespaces), for /readyz and the cache gauges; empty when it is off. */
  censusCaches(): readonly ReflectorDetails[] {
    return this.censusReflectors.map((reflector) => reflector.details());
  }

  /**
   * Workspace claims per verdict (see workspace-locality.ts), or undefined while the census is off or any cache it
   * needs (PVCs, PVs, pods, namespaces) has not completed its first list. Replicas that cannot be read make the
   * Longhorn verdicts `unknown` rather than hiding the gauge.
   */
  workspaceLocalities(): LocalityCounts | undefined {
    const needed = [this.claimsReflector, this.volumesReflector, ...this.censusReflectors];
    if (this.censusReflectors.length === 0 || !needed.every((reflector) => reflector.isSynced)) return undefined;
    return countWorkspaceLocalities({
      claims: this.claims,
      pods: this.pods,
      allWorkspaceNamespaces: this.allWorkspaceNamespaces,
      volume: (name) => this.volumes.get(name),
      replicaNodes: (volume) => this.replicaNodes(volume),
    });
  }

  status(): FactsStatus {
    return composeStatus(
      this.reflectors.map((reflector) => ({
        label: reflector.label,
        synced: reflector.isSynced,
        problem: reflector.currentProblem,
      })),
    );
  }

  claim(namespace: string, name: string): ClaimFact | undefined {
    return this.claimsReflector.isSynced ? this.claims.get(namespace, name) : undefined;
  }

  volume(name: string): VolumeFact | undefined {
    return this.volumesReflector.isSynced ? this.volumes.get(name) : undefined;
  }

  replicaNodes(longhornVolume: string): readonly string[] | undefined {
    return this.replicasReflector.isSynced ? this.replicas.nodesOf(longhornVolume) : undefined;
  }

  node(name: string): NodeFact | undefined {
    return this.nodesReflector.isSynced ? this.nodes.get(name) : undefined;
  }

  storageClass(name: string): StorageClassFact | undefined {
    return this.storageClassesReflector.isSynced ? this.storageClasses.get(name) : undefined;
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) waiter.check();
  }
}

/** Production wiring: caches over node:https with `access`, started. */
export function startInformerClusterFacts(
  access: ClusterAccess,
  options: Omit<InformerClusterFactsOptions, 'transport'>,
): InformerClusterFacts {
  return new InformerClusterFacts({ ...options, transport: new HttpsApiTransport(access) }).start();
}

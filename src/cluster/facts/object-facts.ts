import type { ClaimFact, NodeFact, StorageClassFact, VolumeFact } from '../../core/cluster-facts.js';
import { LONGHORN_DRIVERS } from '../../core/co-location.js';
import type { LabelSelector } from '../../kube/kube-types.js';
import { matchesAnySelector } from '../../kube/label-selector.js';
import { boundedMemo } from '../../kube/bounded-memo.js';
import { asString, maybeObject } from '../../kube/json-value.js';

/**
 * Object -> fact transforms, applied to every object as it arrives so that nothing but these few fields outlives
 * the JSON page or watch line it came in (10k workspaces must fit in the memory budget). Every function accepts
 * anything and never throws: a malformed object yields defaults, or undefined when it cannot be a fact at all.
 */

/** A Longhorn `replicas.longhorn.io` object as the index sees it. */
export interface ReplicaFact {
  /** `spec.volumeName`: the Longhorn volume this replica belongs to. */
  readonly volumeName: string;
  /** `spec.nodeID`: the node holding the data (the Node's name); "" while the replica is not scheduled. */
  readonly nodeID: string;
  /** `spec.failedAt` is set: the replica's data cannot be used (longhorn-manager: usable = nodeID != "" && failedAt == ""). */
  readonly failed: boolean;
}

/** The identity fields of `metadata`; undefined when the object has no name (it cannot be keyed). */
export interface ObjectIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
}

/** Reads `metadata.{namespace,name,resourceVersion}`. */
export function objectIdentity(object: unknown): ObjectIdentity | undefined {
  const metadata = maybeObject(maybeObject(object)?.metadata);
  const name = asString(metadata?.name);
  if (name === '') return undefined;
  return { namespace: asString(metadata?.namespace), name, resourceVersion: asString(metadata?.resourceVersion) };
}

const UNBOUND_CLAIM: ClaimFact = Object.freeze({ volumeName: '' });
const UNBOUND_WORKSPACE_CLAIM: ClaimFact = Object.freeze({ volumeName: '', workspace: true });

/** PVC -> `spec.volumeName` ("" while unbound); no claim is marked as a workspace's. */
export function claimFact(object: unknown): ClaimFact | undefined {
  return decodeClaim(object, NO_SELECTORS);
}

const NO_SELECTORS: readonly LabelSelector[] = [];

/** A PVC decoder that also marks claims whose labels match any of `selectors` as a workspace's. */
export function claimFactDecoder(selectors: readonly LabelSelector[]): (object: unknown) => ClaimFact | undefined {
  return (object) => decodeClaim(object, selectors);
}

function decodeClaim(object: unknown, selectors: readonly LabelSelector[]): ClaimFact | undefined {
  const pvc = maybeObject(object);
  if (pvc === undefined) return undefined;
  const volumeName = asString(maybeObject(pvc.spec)?.volumeName);
  const workspace = selectors.length > 0 && matchesAnySelector(selectors, maybeObject(maybeObject(pvc.metadata)?.labels) ?? {});
  if (volumeName === '') return workspace ? UNBOUND_WORKSPACE_CLAIM : UNBOUND_CLAIM;
  const shared = internVolume(volumeName);
  return Object.freeze(workspace ? { volumeName: shared, workspace: true } : { volumeName: shared });
}

/** A pod that uses claims, as the day-two gauge sees it. */
export interface PodClaimsFact {
  /** `spec.nodeName`: "" until the scheduler binds the pod. */
  readonly node: string;
  /** The `persistentVolumeClaim.claimName` of its volumes (in the pod's namespace). */
  readonly claims: readonly string[];
}

const sameString = (text: string): string => text;

/**
 * Node names repeat across every pod and replica on a node: one string per node instead of one per object (10k pods
 * and 30k replicas on ~100 nodes). Bounded, so node churn cannot grow it.
 */
const internNode = boundedMemo(sameString, { limit: 10_000, maxKeyLength: 253 });

/**
 * Longhorn volume names repeat in a claim's `spec.volumeName`, the PV's `csi.volumeHandle` and each of its replicas'
 * `spec.volumeName`: one string per volume instead of five (~56 bytes each, 10k volumes). Bounded at twice the
 * workspaces the memory budget is sized for; past that it empties and sharing starts over, nothing else changes.
 */
const internVolume = boundedMemo(sameString, { limit: 20_000, maxKeyLength: 253 });

/**
 * Pod -> its node and the claims it mounts; undefined for a pod that mounts no claim or has finished
 * (`Succeeded`/`Failed` pods hold no volume), so that only the pods the gauge needs are kept.
 */
export function podClaimsFact(object: unknown): PodClaimsFact | undefined {
  const pod = maybeObject(object);
  if (pod === undefined) return undefined;
  const phase = maybeObject(pod.status)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const spec = maybeObject(pod.spec);
  const volumes = spec?.volumes;
  if (!Array.isArray(volumes)) return undefined;
  const claims: string[] = [];
  for (const volume of volumes) {
    const claimName = asString(maybeObject(maybeObject(volume)?.persistentVolumeClaim)?.claimName);
    if (claimName !== '') claims.push(claimName);
  }
  if (claims.length === 0) return undefined;
  return Object.freeze({ node: internNode(asString(spec?.nodeName)), claims: Object.freeze(claims) });
}

/** The label that puts every claim of a namespace in the webhook's scope (`/mutate-all`). */
export const WORKSPACES_ALL_LABEL = 'workspace-storage.dev/workspaces';

const ALL_WORKSPACES = true as const;

/** Namespace -> true when labelled `workspace-storage.dev/workspaces=all`; undefined (not kept) otherwise. */
export function allWorkspacesNamespaceFact(object: unknown): true | undefined {
  const labels = maybeObject(maybeObject(maybeObject(object)?.metadata)?.labels);
  return labels?.[WORKSPACES_ALL_LABEL] === 'all' ? ALL_WORKSPACES : undefined;
}

// Every PV of a driver would otherwise carry its own copy of the driver name (10k copies at 10k workspaces).
const KNOWN_DRIVERS = new Map([...LONGHORN_DRIVERS].map((driver) => [driver, driver]));

/** Node-level keys: a requirement on one of these names nodes; any other key (a zone, a region) names places. */
const NODE_LEVEL_LABEL = 'kubernetes.io/hostname';
const NODE_LEVEL_FIELD = 'metadata.name';

/** Whether a node selector term names nodes: an `In` on the hostname label or the node's name. */
function namesNodes(term: unknown): boolean {
  const entry = maybeObject(term);
  const names = (requirements: unknown, key: string): boolean =>
    Array.isArray(requirements) &&
    requirements.some((requirement) => {
      const r = maybeObject(requirement);
      return r?.key === key && r.operator === 'In' && Array.isArray(r.values) && r.values.length > 0;
    });
  return names(entry?.matchExpressions, NODE_LEVEL_LABEL) || names(entry?.matchFields, NODE_LEVEL_FIELD);
}

/**
 * PV -> CSI driver and handle; node-local when `spec.nodeAffinity.required` has terms and every one names nodes
 * (terms are ORed: one zone-level term lets the pod run anywhere in the zone); ReadWriteMany from `spec.accessModes`.
 */
export function volumeFact(object: unknown): VolumeFact | undefined {
  const pv = maybeObject(object);
  if (pv === undefined) return undefined;
  const spec = maybeObject(pv.spec);
  const csi = maybeObject(spec?.csi);
  const terms = maybeObject(maybeObject(spec?.nodeAffinity)?.required)?.nodeSelectorTerms;
  const driver = asString(csi?.driver);
  const handle = asString(csi?.volumeHandle);
  return Object.freeze({
    csiDriver: KNOWN_DRIVERS.get(driver) ?? driver,
    volumeHandle: internVolume(handle),
    nodeLocal: Array.isArray(terms) && terms.length > 0 && terms.every(namesNodes),
    readWriteMany: Array.isArray(spec?.accessModes) && spec.accessModes.includes('ReadWriteMany'),
  });
}

// Four possible node facts: share them instead of allocating one per node update (nodes update every few seconds).
const NODE_FACTS: readonly NodeFact[] = [
  Object.freeze({ ready: false, unschedulable: false }),
  Object.freeze({ ready: false, unschedulable: true }),
  Object.freeze({ ready: true, unschedulable: false }),
  Object.freeze({ ready: true, unschedulable: true }),
];

/** Node -> Ready condition is "True", `spec.unschedulable` is true (cordoned). */
export function nodeFact(object: unknown): NodeFact | undefined {
  const node = maybeObject(object);
  if (node === undefined) return undefined;
  const conditions = maybeObject(node.status)?.conditions;
  let ready = false;
  if (Array.isArray(conditions)) {
    for (const condition of conditions) {
      const entry = maybeObject(condition);
      if (entry?.type === 'Ready') {
        ready = entry.status === 'True';
        break;
      }
    }
  }
  const unschedulable = maybeObject(node.spec)?.unschedulable === true;
  return NODE_FACTS[(ready ? 2 : 0) + (unschedulable ? 1 : 0)];
}

/** StorageClass -> provisioner; undefined when the object is not one. */
export function storageClassFact(object: unknown): StorageClassFact | undefined {
  const storageClass = maybeObject(object);
  if (storageClass === undefined) return undefined;
  return Object.freeze({ provisioner: asString(storageClass.provisioner) });
}

/** Replica -> volume, node and failed; undefined without `spec.volumeName` (it could not be indexed by volume). */
export function replicaFact(object: unknown): ReplicaFact | undefined {
  const spec = maybeObject(maybeObject(object)?.spec);
  const volumeName = asString(spec?.volumeName);
  if (volumeName === '') return undefined;
  return Object.freeze({ volumeName: internVolume(volumeName), nodeID: internNode(asString(spec?.nodeID)), failed: asString(spec?.failedAt) !== '' });
}


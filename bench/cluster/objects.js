// The objects of the cache-at-scale benchmark: Coder workspaces as a cluster with Longhorn holds them. Sizes are
// close to real ones (labels, annotations, CSI attributes, replica specs), since listing them is what sync costs.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../test/fixtures/', import.meta.url);
const fixture = (path) => JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8'));

/** Namespace of Longhorn's replicas (the webhook's default `affinity.longhornNamespace`). */
export const LONGHORN_NAMESPACE = 'longhorn-system';
/** Label that puts a namespace under the benchmark's webhook configuration. */
export const BENCH_NAMESPACE_LABEL = 'bench.wsw.dev/workspaces';
const ENGINE_IMAGE = 'longhornio/longhorn-engine:v1.6.2';

/** Workspaces spread over this many namespaces (Coder's per-organisation namespaces). */
export const WORKSPACE_NAMESPACES = 50;

export function namespace(name, labels = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** The `default` ServiceAccount; created by hand because no kube-controller-manager runs here. */
export function serviceAccount(namespaceName) {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: namespaceName } };
}

/** A Ready worker node, as a kubelet reports it (conditions, capacity, node info). */
export function node(name) {
  const time = '2026-01-01T00:00:00Z';
  const condition = (type, status, reason) => ({ type, status, reason, message: reason, lastHeartbeatTime: time, lastTransitionTime: time });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', 'node.longhorn.io/create-default-disk': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] },
    status: {
      capacity: { cpu: '16', memory: '65842896Ki', pods: '110', 'ephemeral-storage': '960109Mi' },
      allocatable: { cpu: '16', memory: '65740496Ki', pods: '110', 'ephemeral-storage': '933986316574' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        condition('Ready', 'True', 'KubeletReady'),
      ],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: {
        machineID: randomUUID().replaceAll('-', ''), systemUUID: randomUUID(), bootID: randomUUID(), kernelVersion: '6.1.0-18-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.13', kubeletVersion: 'v1.20.2',
        kubeProxyVersion: 'v1.20.2', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}

/** One workspace: its home PVC (bound), the Longhorn PV behind it and three replicas on distinct nodes. */
export function workspace(index, nodeCount) {
  const id = randomUUID();
  const volume = `pvc-${randomUUID()}`;
  const ns = `coder-bench-${index % WORKSPACE_NAMESPACES}`;
  const claimName = `coder-${id}-home`;
  const claim = fixture('pvcs/coder-home-longhorn.json');
  claim.metadata.name = claimName;
  claim.metadata.namespace = ns;
  claim.metadata.labels['com.coder.workspace.id'] = id;
  claim.metadata.labels['app.kubernetes.io/instance'] = `coder-pvc-${id}`;
  claim.metadata.annotations = {
    ...claim.metadata.annotations,
    'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes',
    'volume.beta.kubernetes.io/storage-provisioner': 'driver.longhorn.io',
  };
  claim.spec.volumeName = volume;
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volume, annotations: { 'pv.kubernetes.io/provisioned-by': 'driver.longhorn.io' } },
    spec: {
      capacity: { storage: '50Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'longhorn',
      volumeMode: 'Filesystem',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claimName, uid: randomUUID() },
      csi: {
        driver: 'driver.longhorn.io',
        fsType: 'ext4',
        volumeHandle: volume,
        volumeAttributes: {
          numberOfReplicas: '3', staleReplicaTimeout: '30', fromBackup: '', fsType: 'ext4', dataLocality: 'disabled',
          'storage.kubernetes.io/csiProvisionerIdentity': '1767225600000-8081-driver.longhorn.io',
        },
      },
    },
  };
  const first = index % nodeCount;
  const replicas = [0, 1, 2].map((r) => {
    const nodeID = `worker-${(first + r * 7) % nodeCount}`;
    const disk = randomUUID();
    const suffix = randomUUID().slice(0, 8);
    return {
      apiVersion: 'longhorn.io/v1beta2',
      kind: 'Replica',
      metadata: {
        name: `${volume}-r-${suffix}`,
        namespace: LONGHORN_NAMESPACE,
        labels: { longhornnode: nodeID, longhornvolume: volume, longhorndiskuuid: disk },
        finalizers: ['longhorn.io'],
      },
      spec: {
        volumeName: volume, nodeID, diskID: disk, diskPath: '/var/lib/longhorn/', dataDirectoryName: `${volume}-${suffix}`,
        engineImage: ENGINE_IMAGE, image: ENGINE_IMAGE, active: true, volumeSize: '53687091200', desireState: 'running',
        backingImage: '', dataEngine: 'v1', hardNodeAffinity: '', revisionCounterDisabled: false, rebuildRetryCount: 0,
        failedAt: '', lastFailedAt: '', healthyAt: '2026-01-01T00:00:00Z', lastHealthyAt: '2026-01-01T00:00:00Z',
        logRequested: false, salvageRequested: false, unmapMarkDiskChainRemovedEnabled: false,
      },
    };
  });
  return { namespace: ns, claimName, volume, claim, pv, replicas };
}

/**
 * A Coder template pod for workspace `claim` (the test fixture with its PVC renamed), as a Deployment's
 * ReplicaSet creates it. No service-account token is mounted: no token controller runs in the benchmark.
 */
export function workspacePod(namespaceName, claimName, name) {
  const pod = fixture('pods/coder-kubernetes-template.json');
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.metadata.namespace = namespaceName;
  delete pod.metadata.ownerReferences;
  pod.spec.automountServiceAccountToken = false;
  pod.spec.volumes = pod.spec.volumes.map((volume) =>
    volume.persistentVolumeClaim ? { ...volume, persistentVolumeClaim: { ...volume.persistentVolumeClaim, claimName } } : volume);
  return pod;
}

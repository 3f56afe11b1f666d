// The AdmissionReview bodies the benchmark sends: the test fixtures wrapped the way kube-apiserver wraps them.
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../test/fixtures/', import.meta.url);

function fixture(relativePath) {
  return JSON.parse(readFileSync(new URL(relativePath, FIXTURES), 'utf8'));
}

/**
 * What the API server has added to a pod by the time mutating webhooks see it: defaulted fields and the
 * ServiceAccount admission plugin's `kube-api-access-*` projected volume (both run before MutatingAdmissionWebhook).
 * This is what makes a real Coder template pod review ~4 KB rather than the fixture's ~3 KB.
 */
function asAdmitted(pod) {
  const spec = pod.spec;
  const token = 'kube-api-access-x7k2p';
  for (const container of spec.containers) {
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.imagePullPolicy ??= 'IfNotPresent';
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      { name: token, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ];
  }
  Object.assign(spec, {
    restartPolicy: spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
    dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
    serviceAccountName: spec.serviceAccountName ?? 'default',
    serviceAccount: spec.serviceAccountName ?? 'default',
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    tolerations: [
      ...(spec.tolerations ?? []),
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
  });
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: token,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
  return pod;
}

/** An admission.k8s.io/v1 CREATE review of `object`, as the API server sends it. */
export function reviewOf(object, uid) {
  const kind = object.kind;
  const resource = kind === 'Pod' ? 'pods' : 'persistentvolumeclaims';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource },
      requestKind: { group: '', version: 'v1', kind },
      requestResource: { group: '', version: 'v1', resource },
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: 'd2a6a8e3-1c9e-4a63-9b1f-3f1b2d6c0e55',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

/**
 * The three reviews of the benchmark, each with its own uid (the answer must echo it) and a substring that its
 * answer from the webhook must contain (checked on every response; the floor's answers are checked for the uid).
 */
export function benchReviews() {
  const template = asAdmitted(fixture('pods/coder-kubernetes-template.json'));
  const pvc = fixture('pvcs/coder-home-longhorn.json');
  const plain = asAdmitted(fixture('pods/not-a-workspace.json'));
  const make = (name, description, object, uid, expect) => {
    const body = JSON.stringify(reviewOf(object, uid));
    return { name, description, uid, body, bytes: Buffer.byteLength(body), expect };
  };
  return [
    make('template-pod', 'Coder template pod: tmpfs mounts to add', template, '0b5e7a4c-1f0e-4c59-9a7e-6b2d9c1e0001', '"patchType":"JSONPatch"'),
    make('longhorn-pvc', 'workspace PVC: storage class to rewrite', pvc, '0b5e7a4c-1f0e-4c59-9a7e-6b2d9c1e0002', '"patchType":"JSONPatch"'),
    make('plain-pod', 'pod that is not a workspace: skipped', plain, '0b5e7a4c-1f0e-4c59-9a7e-6b2d9c1e0003', '"allowed":true}'),
  ];
}

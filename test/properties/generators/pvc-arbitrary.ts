import fc from 'fast-check';
import type { PersistentVolumeClaim } from '../../../src/kube/kube-types.js';
import { LEGACY_CLASS_ANNOTATION, ORIGINAL_CLASS_ANNOTATION } from '../../../src/core/storage-class-rewrite.js';
import { CLASS_FROM_POOL, CLASS_TO_POOL } from './config-arbitrary.js';
import { dnsLabel, metadataMap, unicodeText } from './names.js';

/** A class as a PVC may carry it: one a rewrite maps from or to, another one, "" (no class). */
const className = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CLASS_FROM_POOL) },
  { weight: 2, arbitrary: fc.constantFrom(...CLASS_TO_POOL, 'nfs', '') },
);

/** How the PVC names its class: spec field, legacy annotation, both (agreeing or not), none, null. */
const classing = fc.oneof(
  fc.record({ spec: className }),
  fc.record({ annotation: className }),
  fc.record({ spec: className, annotation: className }),
  fc.record({ spec: fc.constant(null) }),
  fc.record({ spec: fc.constant(null), annotation: className }),
  fc.constant({}),
) as fc.Arbitrary<{ spec?: string | null; annotation?: string }>;

/**
 * What the claim asks of its class: mostly what local-path serves (RWO or RWOP filesystem, provisioned empty), and
 * sometimes what it cannot (RWX or ROX, Block, a data source, a pre-bound volumeName, a PV selector).
 */
const claimShape = fc.oneof(
  { weight: 30, arbitrary: fc.record({ accessModes: fc.constantFrom(['ReadWriteOnce'], ['ReadWriteOncePod']) }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constantFrom(['ReadWriteMany'], ['ReadWriteOnce', 'ReadOnlyMany']) }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constant(['ReadWriteOnce']), volumeMode: fc.constant('Block') }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constant(['ReadWriteOnce']), dataSourceRef: fc.constant({ kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io', name: 'snap' }) }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constant(['ReadWriteOnce']), dataSource: fc.constant({ kind: 'PersistentVolumeClaim', name: 'src' }) }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constant(['ReadWriteOnce']), volumeName: fc.constant('pv-existing') }) },
  { weight: 1, arbitrary: fc.record({ accessModes: fc.constant(['ReadWriteOnce']), selector: fc.constant({ matchLabels: { disk: 'fast' } }) }) },
) as fc.Arbitrary<Record<string, unknown>>;

/**
 * A workspace PVC as it reaches the webhook on CREATE: any way of naming a class, with or without annotations
 * (awkward keys, unicode values, sometimes the webhook's own original-class annotation already present).
 */
export const validPvc: fc.Arbitrary<PersistentVolumeClaim> = fc.record({
  name: dnsLabel,
  classing,
  annotations: fc.option(metadataMap, { nil: undefined }),
  original: fc.option(className, { nil: undefined, freq: 4 }),
  labels: metadataMap,
  size: fc.constantFrom('10Gi', '1Ti'),
  note: unicodeText,
  shape: claimShape,
}).map(({ name, classing: how, annotations, original, labels, size, note, shape }) => {
  const metadataAnnotations: Record<string, string> | undefined =
    annotations === undefined && how.annotation === undefined && original === undefined ? undefined : { ...annotations };
  if (metadataAnnotations && how.annotation !== undefined) metadataAnnotations[LEGACY_CLASS_ANNOTATION] = how.annotation;
  if (metadataAnnotations && original !== undefined) metadataAnnotations[ORIGINAL_CLASS_ANNOTATION] = original;
  const spec: Record<string, unknown> = {
    volumeMode: 'Filesystem',
    ...shape,
    resources: { requests: { storage: size, note } },
  };
  if (how.spec !== undefined) spec.storageClassName = how.spec;
  return JSON.parse(JSON.stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: 'ns',
      labels: { ...labels, 'app.kubernetes.io/name': 'coder-pvc' },
      ...(metadataAnnotations === undefined ? {} : { annotations: metadataAnnotations }),
    },
    spec,
  })) as PersistentVolumeClaim;
});

/**
 * The objects `migrate` creates and the patches it sends, built from what it read: no I/O here. The procedure
 * (incident report, "permanent fix") is: keep the old volume (reclaim policy Retain), copy the data into a claim
 * on the target class with a Job, verify the copy, then bind the new volume to a claim with the old claim's name
 * so that the Coder template finds it unchanged.
 */
import { createHash } from 'node:crypto';
import { asObject, asString } from '../kube/json-value.js';

type Json = Record<string, unknown>;

/** Annotations and labels `migrate` writes; each names what a re-run needs to resume. */
export const MIGRATION = {
  /** On both PVs: `<namespace>/<claim>` being migrated. The old PV's is `source`, the new PV's `target`. */
  source: 'workspace-storage.dev/migration-source',
  target: 'workspace-storage.dev/migration-target',
  /** On the new PV while it is held with Retain: the reclaim policy to give back once the claim is bound. */
  reclaimPolicy: 'workspace-storage.dev/original-reclaim-policy',
  /** On the new PV: the old claim's metadata and spec (JSON), to recreate it after the old claim is deleted. */
  claim: 'workspace-storage.dev/migration-claim',
  /** On the new PV and the final claim: what the copy Job verified (`entries=N files=N bytes=N`). */
  verified: 'workspace-storage.dev/migration-verified',
  /** On the final claim: the old PV's name. On the old PV: `<namespace>/<claim>` it was migrated to. */
  migratedFrom: 'workspace-storage.dev/migrated-from',
  migratedTo: 'workspace-storage.dev/migrated-to',
  /** Label on the temporary claim and the Job (a hash: claim names can exceed a label value's 63 characters). */
  job: 'workspace-storage.dev/migration',
} as const;

/** Annotations the API server and controllers set on a bound claim: not carried over to the recreated one. */
const BINDING_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed', 'pv.kubernetes.io/bound-by-controller', 'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner', 'volume.kubernetes.io/selected-node', 'volume.beta.kubernetes.io/storage-class',
  'workspace-storage.dev/applied', 'workspace-storage.dev/warnings',
];

/** The names one migration uses, derived from the claim (the same on every re-run). */
export interface MigrationNames {
  readonly namespace: string;
  readonly claim: string;
  /** The temporary claim the data is copied into. */
  readonly copyClaim: string;
  readonly job: string;
  /** Value of the {@link MIGRATION.job} label. */
  readonly label: string;
}

/** Names for migrating `namespace/claim`. */
export function migrationNames(namespace: string, claim: string): MigrationNames {
  const label = createHash('sha256').update(`${namespace}/${claim}`).digest('hex').slice(0, 10);
  // 253 is a claim name's limit; a Job's name goes into its pods' job-name label (63).
  return { namespace, claim, copyClaim: `${claim.slice(0, 230)}-migrate-${label.slice(0, 6)}`, job: `wsw-migrate-${label}`, label };
}

/** What the Job's container writes to its termination message after a verified copy. */
export interface CopyVerification {
  readonly entries: number;
  readonly files: number;
  readonly bytes: number;
}

/**
 * The copy, then the check, in busybox sh (any image with sh, find, stat, sha256sum, sort, cmp, awk).
 * The target is emptied first so that a re-run after an interrupted copy starts clean; the source is mounted
 * read-only. The check compares, for every entry, its path, type, owner, mode (and size for files), then the
 * SHA-256 of every file's content; the top directory's owner and mode are copied too (a local-path directory is
 * created 0777 by root and fsGroup does not apply to it).
 */
export const COPY_SCRIPT = [
  'set -eu',
  // The Job mounts /from and /to; the variables let the script be run against plain directories in tests.
  'SRC="${SRC:-/from}"; DST="${DST:-/to}"; MESSAGE="${MESSAGE:-/dev/termination-log}"; WORK="$(mktemp -d)"',
  'find "$DST" -mindepth 1 -maxdepth 1 -exec rm -rf {} +',
  'cp -a "$SRC/." "$DST/"',
  'chown "$(stat -c %u:%g "$SRC")" "$DST"',
  'chmod "$(stat -c %a "$SRC")" "$DST"',
  'listing() { cd "$1" && { find . -type f -exec stat -c "%n|f|%u:%g|%a|%s" {} + ; find . ! -type f -exec stat -c "%n|%F|%u:%g|%a" {} + ; } | sort; }',
  'sums() { cd "$1" && find . -type f -exec sha256sum {} + | sort -k 2; }',
  'listing "$SRC" > "$WORK/from.list"; listing "$DST" > "$WORK/to.list"',
  'if ! cmp -s "$WORK/from.list" "$WORK/to.list"; then echo "copy differs from the source (path|type|owner|mode|size):"; diff "$WORK/from.list" "$WORK/to.list" | head -20; exit 1; fi',
  'sums "$SRC" > "$WORK/from.sum"; sums "$DST" > "$WORK/to.sum"',
  'if ! cmp -s "$WORK/from.sum" "$WORK/to.sum"; then echo "file contents differ:"; diff "$WORK/from.sum" "$WORK/to.sum" | head -20; exit 1; fi',
  "awk -F'|' '{ entries++ } $2 == \"f\" { files++; bytes += $5 } END { printf \"entries=%d files=%d bytes=%.0f\\n\", entries, files, bytes }' \"$WORK/from.list\" | tee \"$MESSAGE\"",
].join('\n');

/** Parses the Job's termination message; undefined when it is not a verification line. */
export function parseVerification(message: string): CopyVerification | undefined {
  const match = /^entries=(\d+) files=(\d+) bytes=(\d+)\s*$/.exec(message);
  if (match === null) return undefined;
  return { entries: Number(match[1]), files: Number(match[2]), bytes: Number(match[3]) };
}

/** The verification as written into annotations and shown to the user. */
export function verificationText(verification: CopyVerification): string {
  return `entries=${verification.entries} files=${verification.files} bytes=${verification.bytes}`;
}

/** The old claim's parts worth keeping: what the recreated claim is made from. */
export interface ClaimTemplate {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly unknown[];
  readonly accessModes: readonly string[];
  readonly storage: string;
  readonly volumeMode?: string;
}

/** What of `claim` (the PVC as read) the recreated claim keeps; binding annotations are left out. */
export function claimTemplate(claim: Json): ClaimTemplate {
  const metadata = asObject(claim.metadata);
  const spec = asObject(claim.spec);
  const annotations = Object.fromEntries(Object.entries(strings(metadata.annotations)).filter(([key]) => !BINDING_ANNOTATIONS.includes(key)));
  const owners = metadata.ownerReferences;
  const volumeMode = typeof spec.volumeMode === 'string' ? spec.volumeMode : undefined;
  return {
    labels: strings(metadata.labels),
    annotations,
    ...(Array.isArray(owners) && owners.length > 0 ? { ownerReferences: owners } : {}),
    accessModes: Array.isArray(spec.accessModes) ? spec.accessModes.filter((mode): mode is string => typeof mode === 'string') : ['ReadWriteOnce'],
    storage: asString(asObject(asObject(spec.resources).requests).storage),
    ...(volumeMode ? { volumeMode } : {}),
  };
}

/** The temporary claim on `storageClass` the Job copies into (unbound until the Job's pod is scheduled). */
export function copyClaim(names: MigrationNames, template: ClaimTemplate, storageClass: string, sourceVolume: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: names.copyClaim, namespace: names.namespace,
      labels: { [MIGRATION.job]: names.label },
      annotations: { [MIGRATION.source]: `${names.namespace}/${names.claim}`, [MIGRATION.migratedFrom]: sourceVolume },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storageClass,
      resources: { requests: { storage: template.storage } },
      ...(template.volumeMode ? { volumeMode: template.volumeMode } : {}),
    },
  };
}

/** The copy Job: the old claim read-only at /from, the new one at /to, as root (ownership is copied as it is). */
export function copyJob(names: MigrationNames, image: string, node: string | undefined): Json {
  const labels = { [MIGRATION.job]: names.label };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: names.job, namespace: names.namespace, labels },
    spec: {
      // A failed copy is not retried blindly: `migrate` reports it, and a re-run starts a fresh Job.
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          ...(node
            ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } }
            : {}),
          containers: [{
            name: 'copy',
            image,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', COPY_SCRIPT],
            terminationMessagePolicy: 'File',
            volumeMounts: [{ name: 'from', mountPath: '/from', readOnly: true }, { name: 'to', mountPath: '/to' }],
          }],
          volumes: [
            { name: 'from', persistentVolumeClaim: { claimName: names.claim, readOnly: true } },
            { name: 'to', persistentVolumeClaim: { claimName: names.copyClaim } },
          ],
        },
      },
    },
  };
}

/** The claim under the old name, pre-bound to the new volume, on the target class. */
export function finalClaim(names: MigrationNames, template: ClaimTemplate, storageClass: string, volume: string, from: string, verified: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: names.claim, namespace: names.namespace, labels: template.labels,
      annotations: { ...template.annotations, [MIGRATION.migratedFrom]: from, [MIGRATION.verified]: verified },
      ...(template.ownerReferences ? { ownerReferences: template.ownerReferences } : {}),
    },
    spec: {
      accessModes: template.accessModes,
      storageClassName: storageClass,
      volumeName: volume,
      resources: { requests: { storage: template.storage } },
      ...(template.volumeMode ? { volumeMode: template.volumeMode } : {}),
    },
  };
}

/** Merge patch pre-binding a released PV to `namespace/name` (no uid: the PV controller binds the new claim). */
export function preBindPatch(namespace: string, name: string): Json {
  return { spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid: null, resourceVersion: null } } };
}


function strings(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asObject(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}


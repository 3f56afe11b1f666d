import fc from 'fast-check';
import { CONTAINER_STORAGE_ANNOTATION } from '../../../src/core/container-storage-plan.js';
import type { Affinity, Container, NodeSelectorRequirement, NodeSelectorTerm, Pod, Volume } from '../../../src/kube/kube-types.js';
import { PROJECTS_ANNOTATION } from '../../../src/core/project-paths.js';
import { volumeNameForPath } from '../../../src/core/volume-name.js';
import { CLAIM_POOL, NODE_POOL } from './cluster-facts-arbitrary.js';
import { DIR_POOL, ENGINE_PATH_POOL, PROJECT_POOL } from './config-arbitrary.js';
import { dnsLabel, metadataMap, unicodeText } from './names.js';

const ANCESTORS = ['/', '/home', '/home/coder', '/home/coder/', '/workspaces', '/home/coder/projects', '/srv', '/var', '/var/lib', '/root', '/data'];
const TARGETS = PROJECT_POOL.flatMap((project) => DIR_POOL.map((dir) => `${project}/${dir}`));
const ENGINE_PATHS = [...ENGINE_PATH_POOL, '/home/coder/.local/share/containers', '/root/.local/share/containers'];

/** Mount paths around the targets: ancestors (the PVC holding a project), the targets, beside and below them. */
const mountPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ANCESTORS, ...PROJECT_POOL, ...PROJECT_POOL.map((path) => `${path}/`)) },
  { weight: 2, arbitrary: fc.constantFrom(...TARGETS, ...TARGETS.map((path) => `${path}/`), ...ENGINE_PATHS) },
  { weight: 1, arbitrary: fc.constantFrom(...TARGETS.map((path) => `${path}/.cache`), '/home/coder/app/node_modules/a/b', '/tmp', '/etc/config') },
);

/** Names the webhook itself would pick, so generated pods collide with them (a foreign volume under our name). */
const WEBHOOK_NAMES = [...TARGETS.map((path) => volumeNameForPath('tmpfs', path)), ...ENGINE_PATHS.map((path) => volumeNameForPath('containers', path))];

const volumeName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('home', 'cache', 'workspaces', 'data', 'config') },
  { weight: 2, arbitrary: dnsLabel },
  { weight: 2, arbitrary: fc.constantFrom(...WEBHOOK_NAMES) },
);

const volumeSource: fc.Arbitrary<Omit<Volume, 'name'>> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CLAIM_POOL).map((claimName) => ({ persistentVolumeClaim: { claimName } })) },
  { weight: 2, arbitrary: fc.constantFrom<Omit<Volume, 'name'>>({ emptyDir: {} }, { emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }) },
  { weight: 1, arbitrary: fc.constantFrom<Omit<Volume, 'name'>>({ configMap: { name: 'settings' } }, { secret: { secretName: 'token' } }) },
);

const envVar = fc.oneof(
  fc.constantFrom('/home/coder', '/root', 'relative', '/', '/home/coder/').map((value) => ({ name: 'HOME', value })),
  fc.tuple(fc.constantFrom('TOKEN', 'LANG', 'DATABASE_URL'), unicodeText).map(([name, value]) => ({ name, value })),
);

const quantity = fc.constantFrom<string | number>('8Gi', '512Mi', '64Gi', '100M', 1_000_000_000, 'lots');

/** A container before its mounts name volumes: each mount carries an index into the pod's volumes. */
interface RawContainer {
  readonly container: Omit<Container, 'volumeMounts'>;
  readonly mounts: ReadonlyArray<{ path: string; volume: number; readOnly?: boolean }> | undefined;
}

const rawContainer = (name: fc.Arbitrary<string>): fc.Arbitrary<RawContainer> => fc.record({
  container: fc.record({
    name,
    image: fc.constantFrom('codercom/enterprise-base:ubuntu', 'docker:dind-rootless', 'alpine:3'),
    env: fc.array(envVar, { maxLength: 3 }),
    resources: fc.record({ limits: fc.record({ memory: quantity, 'ephemeral-storage': quantity }, { requiredKeys: [] }), requests: fc.record({ memory: quantity }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    securityContext: fc.record({ privileged: fc.boolean(), runAsUser: fc.constant(1000) }, { requiredKeys: [] }),
  }, { requiredKeys: ['name'] }),
  mounts: fc.option(
    fc.uniqueArray(fc.record({ path: mountPath, volume: fc.nat(), readOnly: fc.boolean() }, { requiredKeys: ['path', 'volume'] }), {
      maxLength: 6, selector: (mount) => mount.path,
    }),
    { nil: undefined, freq: 6 },
  ),
});

const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const requirement: fc.Arbitrary<NodeSelectorRequirement> = fc.oneof(
  fc.record({ key: fc.constantFrom('topology.kubernetes.io/zone', 'example.com/a~b', 'gpu'), operator: fc.constantFrom('In', 'NotIn'), values: fc.subarray(['zone-a', 'zone-b', 'eu-1'], { minLength: 1 }) }),
  fc.record({ key: fc.constantFrom('gpu', 'example.com/x'), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
  fc.record({ key: fc.constant('cpus'), operator: fc.constantFrom('Gt', 'Lt'), values: fc.integer({ min: 0, max: 64 }).map((n) => [String(n)]) }),
  fc.subarray([...NODE_POOL], { minLength: 1 }).map((values) => ({ key: HOSTNAME_LABEL, operator: 'In', values })),
);
const fieldRequirement: fc.Arbitrary<NodeSelectorRequirement> = fc.record({
  key: fc.constant('metadata.name'), operator: fc.constantFrom('In', 'NotIn'), values: fc.constantFrom(...NODE_POOL).map((node) => [node]),
});
const term: fc.Arbitrary<NodeSelectorTerm> = fc.oneof(
  fc.record({ matchExpressions: fc.array(requirement, { minLength: 1, maxLength: 3 }) }),
  fc.record({ matchFields: fc.array(fieldRequirement, { minLength: 1, maxLength: 2 }) }),
  fc.record({ matchExpressions: fc.array(requirement, { minLength: 1, maxLength: 2 }), matchFields: fc.array(fieldRequirement, { minLength: 1, maxLength: 1 }) }),
);
const podAffinityTerm = fc.record({
  topologyKey: fc.constantFrom('kubernetes.io/hostname', 'topology.kubernetes.io/zone'),
  labelSelector: fc.record({ matchLabels: metadataMap }),
});

/** Every shape of affinity a pod may arrive with: none, empty, node (required, preferred, both), pod (anti-)affinity. */
export const affinityArbitrary: fc.Arbitrary<Affinity | undefined> = fc.option(
  fc.record({
    nodeAffinity: fc.record({
      requiredDuringSchedulingIgnoredDuringExecution: fc.record({ nodeSelectorTerms: fc.array(term, { minLength: 1, maxLength: 3 }) }),
      preferredDuringSchedulingIgnoredDuringExecution: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), preference: term }), { minLength: 1, maxLength: 2 }),
    }, { requiredKeys: [] }),
    podAffinity: fc.record({ requiredDuringSchedulingIgnoredDuringExecution: fc.array(podAffinityTerm, { minLength: 1, maxLength: 2 }) }),
    podAntiAffinity: fc.record({
      preferredDuringSchedulingIgnoredDuringExecution: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 100 }), podAffinityTerm }), { minLength: 1, maxLength: 2 }),
    }),
  }, { requiredKeys: [] }),
  { nil: undefined, freq: 4 },
);

/** A comma-separated list annotation on about one pod in four, with good and bad entries. */
const listAnnotation = (key: string, entries: readonly string[]): fc.Arbitrary<Record<string, string>> => fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.subarray([...entries]).map((chosen) => ({ [key]: chosen.join(',') })) },
);

const metadata = fc.record({
  naming: fc.oneof(dnsLabel.map((name) => ({ name })), dnsLabel.map((name) => ({ generateName: `${name.slice(0, 57)}-` }))),
  labels: fc.tuple(fc.option(fc.constant({ 'app.kubernetes.io/name': 'coder-workspace' }), { nil: {}, freq: 8 }), metadataMap),
  annotations: fc.tuple(
    metadataMap,
    listAnnotation(PROJECTS_ANNOTATION, [...PROJECT_POOL, 'relative/dir', '/a/../b', '', ' /srv/work ', '/home/coder/app/']),
    listAnnotation(CONTAINER_STORAGE_ANNOTATION, ['docker', 'podman', '/var/lib/docker', '/cache', 'nonsense', '/home/coder/app/node_modules']),
  ),
}).map(({ naming, labels, annotations }) => ({
  ...naming,
  namespace: 'ns',
  labels: { ...labels[1], ...labels[0] },
  annotations: Object.assign({}, ...annotations) as Record<string, string>,
}));

/** Fields the webhook must never touch, with values of every JSON type. */
const untouchedSpec = fc.record({
  nodeSelector: fc.record({ 'kubernetes.io/os': fc.constant('linux'), 'example.com/a~b': unicodeText }, { requiredKeys: [] }),
  tolerations: fc.array(fc.record({ key: fc.constantFrom('node.kubernetes.io/not-ready', 'gpu'), operator: fc.constant('Exists') }), { maxLength: 2 }),
  restartPolicy: fc.constantFrom('Always', 'Never'),
  securityContext: fc.constant({ runAsUser: 1000, fsGroup: 1000 }),
  runtimeClassName: fc.constantFrom('sysbox-runc', 'gvisor'),
  priorityClassName: unicodeText,
  enableServiceLinks: fc.boolean(),
  activeDeadlineSeconds: fc.nat(),
}, { requiredKeys: [] });

/** Turns raw containers into containers whose mounts name the pod's volumes (dropped when the pod has none). */
function resolve(raw: RawContainer, volumes: readonly Volume[]): Container {
  if (raw.mounts === undefined) return { ...raw.container };
  const volumeMounts = volumes.length === 0
    ? []
    : raw.mounts.map((mount) => ({
      name: (volumes[mount.volume % volumes.length] as Volume).name,
      mountPath: mount.path,
      ...(mount.readOnly === undefined ? {} : { readOnly: mount.readOnly }),
    }));
  return { ...raw.container, volumeMounts };
}

/**
 * A Pod the API server would accept (unique DNS-1123 volume names, unique mountPaths per container, no dangling
 * mount) as it reaches a mutating webhook on CREATE: many containers and volumes, mounts at, above and below the
 * tmpfs targets, names near 63 characters, awkward label keys, unicode values, every shape of affinity.
 */
export const validPod: fc.Arbitrary<Pod> = fc.record({
  metadata,
  volumes: fc.option(
    fc.uniqueArray(fc.tuple(volumeName, volumeSource).map(([name, source]) => ({ name, ...source }) as Volume), {
      minLength: 1, maxLength: 8, selector: (volume) => volume.name,
    }),
    { nil: undefined, freq: 12 },
  ),
  containers: fc.uniqueArray(rawContainer(dnsLabel), { minLength: 1, maxLength: 8, selector: (raw) => raw.container.name }),
  initContainers: fc.option(fc.uniqueArray(rawContainer(fc.constantFrom('init-home', 'init-perms')), { maxLength: 2, selector: (raw) => raw.container.name }), { nil: undefined }),
  affinity: affinityArbitrary,
  rest: untouchedSpec,
}).map(({ metadata: meta, volumes, containers, initContainers, affinity, rest }) => {
  const spec: Record<string, unknown> = { ...rest, containers: containers.map((raw) => resolve(raw, volumes ?? [])) };
  if (volumes !== undefined) spec.volumes = volumes;
  if (initContainers !== undefined) spec.initContainers = initContainers.map((raw) => resolve(raw, volumes ?? []));
  if (affinity !== undefined) spec.affinity = affinity;
  // Through JSON, as the webhook receives it (plain prototypes, no undefined members).
  return JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec })) as Pod;
});

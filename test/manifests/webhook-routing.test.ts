/**
 * The shipped MutatingWebhookConfiguration routes every kind of namespace and object where the README says: its
 * selectors are evaluated here with Kubernetes label-selector semantics for each namespace labelling (mode absent,
 * enforce, audit, disabled, a typo; workspaces=all or not; kube-system) and each object labelling (the Coder
 * templates' labels, none). At most one webhook per kind may take an object, so none is ever mutated twice.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import type { LabelSelector } from '../../src/kube/kube-types.js';
import { matchesAnySelector, matchesSelector } from '../../src/kube/label-selector.js';
import { shippedWebhookConfiguration, type WebhookEntry } from '../e2e/support/webhook-configuration.js';

type Labels = Record<string, string>;

const MODE = 'workspace-storage.dev/mode';
const WORKSPACES = 'workspace-storage.dev/workspaces';
const NAME = 'kubernetes.io/metadata.name';

const NAMESPACES: [string, Labels][] = [
  ['unlabelled', { [NAME]: 'coder' }],
  ['mode=enforce', { [NAME]: 'coder', [MODE]: 'enforce' }],
  ['mode=audit', { [NAME]: 'coder', [MODE]: 'audit' }],
  ['mode=disabled', { [NAME]: 'coder', [MODE]: 'disabled' }],
  ['mode=Enforce (a typo)', { [NAME]: 'coder', [MODE]: 'Enforce' }],
  ['mode=audti (a typo)', { [NAME]: 'coder', [MODE]: 'audti' }],
  ['workspaces=all', { [NAME]: 'coder', [WORKSPACES]: 'all' }],
  ['workspaces=all, mode=enforce', { [NAME]: 'coder', [WORKSPACES]: 'all', [MODE]: 'enforce' }],
  ['workspaces=all, mode=audit', { [NAME]: 'coder', [WORKSPACES]: 'all', [MODE]: 'audit' }],
  ['workspaces=all, mode=disabled', { [NAME]: 'coder', [WORKSPACES]: 'all', [MODE]: 'disabled' }],
  ['workspaces=All (not the value)', { [NAME]: 'coder', [WORKSPACES]: 'All' }],
  ['kube-system', { [NAME]: 'kube-system' }],
  ['kube-system, workspaces=all', { [NAME]: 'kube-system', [WORKSPACES]: 'all' }],
];

const OBJECTS: [string, Labels][] = [
  ['kubernetes template pod', { 'app.kubernetes.io/name': 'coder-workspace', 'com.coder.resource': 'true' }],
  ['kubernetes template PVC', { 'app.kubernetes.io/name': 'coder-pvc', 'com.coder.resource': 'true' }],
  ['devcontainer pod (name label only)', { 'app.kubernetes.io/name': 'coder-workspace' }],
  ['devcontainer PVC (com.coder.resource only)', { 'com.coder.resource': 'true' }],
  ['envbox / podman (no labels)', {}],
  ['another app', { 'app.kubernetes.io/name': 'postgres' }],
];

const KINDS = [['pods', 'Pod'], ['persistentvolumeclaims', 'PersistentVolumeClaim']] as const;
const defaults = parseConfig({});

/** Where the README's rollout table sends an object, or undefined for "not called". */
function expectedPath(namespace: Labels, object: Labels): string | undefined {
  if (namespace[NAME] === 'kube-system') return undefined;
  const mode = namespace[MODE];
  const suffix = mode === undefined || mode === 'enforce' ? 'mutate' : mode === 'audit' ? 'audit' : undefined;
  if (suffix === undefined) return undefined;
  if (namespace[WORKSPACES] === 'all') return `/${suffix}-all`;
  return matchesAnySelector(defaults.workspaceSelectors, object) ? `/${suffix}` : undefined;
}

function takes(webhook: WebhookEntry, resource: string, namespace: Labels, object: Labels): boolean {
  const rules = webhook.rules as { operations: string[]; resources: string[] }[];
  if (!rules.some((rule) => rule.resources.includes(resource) && rule.operations.includes('CREATE'))) return false;
  return matchesSelector((webhook.namespaceSelector ?? {}) as LabelSelector, namespace) &&
    matchesSelector((webhook.objectSelector ?? {}) as LabelSelector, object);
}

const { webhooks } = shippedWebhookConfiguration();

describe('the shipped webhook configuration routes', () => {
  for (const [resource, kind] of KINDS) {
    describe(kind, () => {
      it.each(NAMESPACES.flatMap(([ns, nsLabels]) => OBJECTS.map(([obj, objLabels]) => [ns, obj, nsLabels, objLabels] as const)))(
        'namespace %s, %s: to the README\'s path, by at most one webhook',
        (_ns, _obj, nsLabels, objLabels) => {
          const taken = webhooks.filter((webhook) => takes(webhook, resource, nsLabels, objLabels));
          expect(taken.length).toBeLessThanOrEqual(1);
          expect(taken[0]?.clientConfig.service?.path).toBe(expectedPath(nsLabels, objLabels));
        },
      );
    });
  }

  it('fails closed only where it enforces a PVC class: PVC enforce Fail; PVC audit and every pod webhook Ignore', () => {
    for (const webhook of webhooks) {
      const pvc = (webhook.rules as { resources: string[] }[]).some((rule) => rule.resources.includes('persistentvolumeclaims'));
      const enforce = webhook.clientConfig.service?.path?.startsWith('/mutate') === true;
      expect(webhook.failurePolicy, webhook.name).toBe(pvc && enforce ? 'Fail' : 'Ignore');
      expect(webhook.reinvocationPolicy, webhook.name).toBe('IfNeeded');
      expect(webhook.sideEffects, webhook.name).toBe('None');
    }
  });
});

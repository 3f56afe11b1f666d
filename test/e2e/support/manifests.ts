/**
 * The shipped manifests as the API server sees them: `kubectl kustomize` output parsed the way kubectl parses it,
 * and a comparison of what was sent with what a server-side dry run returns (fields a server silently drops are
 * fields it cannot check).
 */
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './cluster.js';

/** The repository's manifests/ directory. */
export const MANIFESTS_DIR = fileURLToPath(new URL('../../../manifests', import.meta.url));

/**
 * Parses a multi-document YAML stream. YAML 1.1, as kubectl (sigs.k8s.io/yaml) reads it: `defaultMode: 0440`
 * is octal there (288), while YAML 1.2 would read the decimal 440.
 */
export function parseManifestStream(text: string): KubeObject[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/** `Kind/name` (and the namespace when there is one), for messages. */
export function describeObject(object: KubeObject): string {
  const namespace = object.metadata.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind}/${namespace}${object.metadata.name}`;
}

/** How kubectl names an object in its `... created (server dry run)` lines: `deployment.apps/name`. */
export function kubectlResourceName(object: KubeObject): string {
  const group = (object.apiVersion ?? '').includes('/') ? (object.apiVersion ?? '').split('/')[0] : '';
  return `${(object.kind ?? '').toLowerCase()}${group ? `.${group}` : ''}/${object.metadata.name}`;
}

/**
 * The JSON pointers of every leaf value in `sent` that `stored` lacks or holds differently: fields the server
 * dropped (a disabled feature gate) or rewrote. Leaves only: what the server adds (defaults, metadata) is fine.
 */
export function fieldsNotKept(sent: unknown, stored: unknown, path = ''): string[] {
  if (sent !== null && typeof sent === 'object') {
    const holder = stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
    return Object.entries(sent as Record<string, unknown>).flatMap(([key, value]) =>
      fieldsNotKept(value, holder[key], `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  return sent === stored ? [] : [path];
}

import type { Pod } from '../../../src/kube/kube-types.js';
import { fixture } from '../../support/fixtures.js';
import { reviewFor } from '../../support/test-app.js';

/** The uid every hostile review carries, so answers and error bodies can be checked for it. */
export const HOSTILE_UID = '0b5e7c1a-hostile-0000-4000-8000-000000000001';

/**
 * The Coder workspace pod fixture (a fresh copy), with the projects annotation a template author sets (the template's
 * own pod has no annotations; hostile keys need an annotations object to go into).
 */
export function workspacePod(): Pod {
  const pod = fixture<Pod>('pods/coder-kubernetes-template.json');
  pod.metadata = { ...pod.metadata, annotations: { 'workspace-storage.dev/projects': '/home/coder/app' } };
  return pod;
}

/** The JSON text of a CREATE review of `object` with {@link HOSTILE_UID}. */
export function reviewText(object: unknown, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(reviewFor(object as Pod, { uid: HOSTILE_UID, ...overrides }));
}

/**
 * The review text of the workspace pod with `value` spliced in as JSON text at a place inside request.object,
 * for values JSON.stringify cannot produce (100k-deep nesting would overflow its recursion).
 */
export function spliceIntoPod(where: 'object' | 'spec' | 'env' | 'annotations', valueText: string): string {
  const text = reviewText(workspacePod());
  switch (where) {
    case 'object': return text.replace(/"object":\{.*\},"oldObject"/, `"object":${valueText},"oldObject"`);
    case 'spec': return text.replace('"spec":{', `"spec":{"deep":${valueText},`);
    case 'env': return text.replace('"env":[', `"env":[{"name":"DEEP","valueFrom":${valueText}},`);
    case 'annotations': return text.replace('"annotations":{', `"annotations":{"deep":${valueText},`);
  }
}

/** The webhook's answer body, parsed, with its patch decoded. */
export function answerOf(body: string): { uid?: string; allowed?: boolean; patch?: unknown[]; warnings?: string[] } {
  const response = (JSON.parse(body) as { response: { uid?: string; allowed?: boolean; patch?: string; warnings?: string[] } }).response;
  const patch = response.patch === undefined ? undefined : JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as unknown[];
  return { ...response, patch };
}

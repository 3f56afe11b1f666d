import type { Config } from '../config/config-types.js';
import type { AdmissionInput } from './admission-input.js';
import { matchesAnySelector } from '../kube/label-selector.js';
import { isRecord } from '../kube/json-value.js';

/** The object kinds the webhook mutates. */
export type WorkspaceKind = 'Pod' | 'PersistentVolumeClaim';

/**
 * Which objects of a namespace are workspace objects: `selectors`, those matching a workspace selector; `namespace`,
 * every Pod and PVC (namespaces labelled `workspace-storage.dev/workspaces=all`, for templates whose objects carry
 * no labels, such as envbox and podman). The webhook configuration routes the two to different paths.
 */
export type WorkspaceScope = 'selectors' | 'namespace';

/**
 * Why the request is none of the webhook's business, or undefined when it is: a CREATE of a core/v1 Pod or PVC
 * that is a workspace object in `scope`. Pod spec and PVC spec are immutable after creation, so only CREATE counts.
 */
export function skipReason(input: AdmissionInput, config: Config, scope: WorkspaceScope = 'selectors'): string | undefined {
  const { kind } = input;
  if (kind.group !== '' || kind.version !== 'v1' || (kind.kind !== 'Pod' && kind.kind !== 'PersistentVolumeClaim')) {
    return `kind ${kind.group ? `${kind.group}/` : ''}${kind.version}/${kind.kind} is not mutated`;
  }
  if (input.operation !== 'CREATE') return `operation ${input.operation} is not CREATE`;
  if (!isRecord(input.object)) return 'request.object is not an object';
  if (scope === 'namespace') return undefined;
  const metadata = input.object.metadata;
  const labels = isRecord(metadata) && isRecord(metadata.labels) ? metadata.labels : {};
  if (!matchesAnySelector(config.workspaceSelectors, labels)) return 'not a workspace: no workspace selector matches';
  return undefined;
}

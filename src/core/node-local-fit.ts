import type { PersistentVolumeClaim } from '../kube/kube-types.js';
import { isRecord } from '../kube/json-value.js';

/** The access modes a node-local provisioner serves ("NodePath only supports ReadWriteOnce and ReadWriteOncePod"). */
const NODE_LOCAL_ACCESS_MODES: ReadonlySet<string> = new Set(['ReadWriteOnce', 'ReadWriteOncePod']);

/**
 * Why a node-local class (rancher/local-path-provisioner, provisioner.go) cannot serve `claim`, or undefined when
 * it can. The claim then keeps its class: rewritten, it would stay Pending for ever (spec is immutable).
 * - an access mode other than ReadWriteOnce / ReadWriteOncePod: one node's directory cannot be shared;
 * - `volumeMode: Block`: local-path makes directories only;
 * - `dataSource` / `dataSourceRef`: a clone or snapshot restore only the original provisioner can do;
 * - `volumeName`: pre-bound to an existing PV, which a claim of another class would never bind;
 * - `selector`: it selects existing PVs, which dynamic provisioning ignores.
 */
export function nodeLocalMisfit(claim: PersistentVolumeClaim): string | undefined {
  const spec = claim.spec;
  if (!isRecord(spec)) return undefined;
  if (Array.isArray(spec.accessModes)) {
    const other = (spec.accessModes as unknown[]).find((mode) => typeof mode !== 'string' || !NODE_LOCAL_ACCESS_MODES.has(mode));
    if (other !== undefined) return `access mode ${typeof other === 'string' ? other : JSON.stringify(other)}`;
  }
  if (spec.volumeMode === 'Block') return 'volumeMode Block';
  if (isRecord(spec.dataSourceRef) || isRecord(spec.dataSource)) {
    const source = isRecord(spec.dataSourceRef) ? spec.dataSourceRef : (spec.dataSource as Record<string, unknown>);
    return `a data source (${typeof source.kind === 'string' ? source.kind : 'clone or restore'})`;
  }
  if (typeof spec.volumeName === 'string' && spec.volumeName !== '') return `pre-bound volumeName ${spec.volumeName}`;
  if (isRecord(spec.selector)) return 'a PV selector';
  return undefined;
}

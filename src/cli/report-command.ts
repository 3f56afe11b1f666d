import { ApiError } from '../cluster/list-watch/api-transport.js';
import { loadClusterAccess } from '../cluster/credentials/cluster-access.js';
import { HttpsApiTransport } from '../cluster/list-watch/https-api-transport.js';
import {
  allWorkspacesNamespaceFact, claimFactDecoder, objectIdentity, podClaimsFact, replicaFact, storageClassFact, volumeFact,
} from '../cluster/facts/object-facts.js';
import { loadConfig } from '../config/load-config.js';
import { asObject, asString } from '../kube/json-value.js';
import { workspaceLocality, type ReplicaPlacement, type WorkspaceVolumeRow } from '../core/workspace-locality.js';
import { listAllPages } from '../cluster/list-watch/list-all-pages.js';
import { parseCommandArgs, type UsageIo } from './command-args.js';

const USAGE = `usage: workspace-storage-webhook report [-o table|json] [-n <namespace>] [--config <file>]

Lists every workspace PVC (matching the workspace selectors, or in a namespace labelled
workspace-storage.dev/workspaces=all) with its class and provisioner, its Longhorn volume and replica nodes
(failed ones marked), the pod using it and the node it runs on, and a verdict:
  local     the pod runs beside a healthy replica, or the volume is node-local (local-path)
  remote    the pod runs away from every healthy replica: every write crosses the network (the incident)
  longhorn  no pod uses it now and it is still on Longhorn: a candidate for migration to local-path
  shared    a ReadWriteMany Longhorn volume (share-manager): locality does not apply
  pending   a pod uses it but is not on a node yet
  unbound   the claim has no volume yet
  other     another kind of volume;  unknown: the PV or Longhorn's replicas could not be read
Read-only; cluster access as the server finds it (in-cluster, KUBECONFIG, ~/.kube/config).
  -o, --output table|json   table (default) or a JSON array of rows
  -n, --namespace <ns>      one namespace only
  --config <file>           the webhook's configuration (selectors, Longhorn namespace); else $CONFIG_FILE
  -h, --help                this text
Exit status: 0, or 3 when any workspace is remote (for cron jobs and scripts), 2 on bad usage or no access.
`;

type Json = Record<string, unknown>;


/** The report rows for the cluster `transport` reaches. Exported for the e2e suite. */
export async function reportRows(
  transport: HttpsApiTransport, options: { namespace?: string; configFile?: string }, notes: string[],
): Promise<WorkspaceVolumeRow[]> {
  const config = loadConfig(options.configFile);
  const signal = AbortSignal.timeout(120_000);
  const scoped = (resource: string) => (options.namespace ? `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/${resource}` : `/api/v1/${resource}`);
  const [namespaces, claims, volumes, classes, pods] = await Promise.all([
    listAllPages(transport, '/api/v1/namespaces', signal),
    listAllPages(transport, scoped('persistentvolumeclaims'), signal),
    listAllPages(transport, '/api/v1/persistentvolumes', signal),
    listAllPages(transport, '/apis/storage.k8s.io/v1/storageclasses', signal),
    listAllPages(transport, scoped('pods'), signal),
  ]);
  let replicas: Json[] | undefined;
  try {
    replicas = await listAllPages(transport, `/apis/longhorn.io/v1beta2/namespaces/${encodeURIComponent(config.affinity.longhornNamespace)}/replicas`, signal);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notes.push(`Longhorn replicas unavailable (${error.status} ${error.reason || error.message}): verdicts that need them are unknown`);
  }

  // Decoded by the server's own fact decoders (object-facts.ts), so report and the workspace_volumes gauge read
  // the objects the same way; only what the rows show beyond the facts (class, pod names) is read here.
  const allNamespaces = new Set(namespaces
    .filter((namespace) => allWorkspacesNamespaceFact(namespace) !== undefined)
    .map((namespace) => objectIdentity(namespace)?.name ?? ''));
  const provisioners = new Map(classes.map((storageClass) => [objectIdentity(storageClass)?.name ?? '', storageClassFact(storageClass)?.provisioner ?? '']));
  const pvs = new Map(volumes.map((pv) => [objectIdentity(pv)?.name ?? '', pv]));
  const replicasByVolume = new Map<string, ReplicaPlacement[]>();
  for (const replica of replicas ?? []) {
    const fact = replicaFact(replica);
    if (fact === undefined) continue;
    const list = replicasByVolume.get(fact.volumeName) ?? [];
    list.push({ node: fact.nodeID, failed: fact.failed });
    replicasByVolume.set(fact.volumeName, list);
  }
  const podsByClaim = new Map<string, { name: string; node: string }[]>();
  for (const pod of pods) {
    const identity = objectIdentity(pod);
    const fact = podClaimsFact(pod);
    if (identity === undefined || fact === undefined) continue;
    for (const claimName of fact.claims) {
      const key = `${identity.namespace}/${claimName}`;
      const list = podsByClaim.get(key) ?? [];
      list.push({ name: identity.name, node: fact.node });
      podsByClaim.set(key, list);
    }
  }

  const rows: WorkspaceVolumeRow[] = [];
  const claimFact = claimFactDecoder(config.workspaceSelectors);
  for (const claim of claims) {
    const fact = claimFact(claim);
    const identity = objectIdentity(claim);
    if (fact === undefined || identity === undefined) continue;
    const { namespace, name } = identity;
    if (!allNamespaces.has(namespace) && fact.workspace !== true) continue;
    const metadata = asObject(claim.metadata);
    const annotations = asObject(metadata.annotations);
    const storageClass = asString(annotations['volume.beta.kubernetes.io/storage-class']) || asString(asObject(claim.spec).storageClassName);
    const { volumeName } = fact;
    const pv = pvs.get(volumeName);
    const volume = pv === undefined ? undefined : volumeFact(pv);
    rows.push(workspaceLocality({
      namespace,
      claim: name,
      storageClass,
      provisioner: provisioners.get(storageClass) ?? '',
      volumeName,
      ...(volume ? { volume } : {}),
      ...(replicas === undefined || volume === undefined ? {} : { replicas: replicasByVolume.get(volume.volumeHandle) ?? [] }),
      pods: podsByClaim.get(`${namespace}/${name}`) ?? [],
    }));
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pvc.localeCompare(b.pvc));
}

/** The rows as an aligned table, kubectl style. */
function table(rows: readonly WorkspaceVolumeRow[]): string {
  const header = ['NAMESPACE', 'PVC', 'CLASS', 'PROVISIONER', 'LONGHORN VOLUME', 'REPLICAS', 'POD', 'NODE', 'VERDICT'];
  const cells = rows.map((row) => [
    row.namespace, row.pvc, row.storageClass || '-', row.provisioner || '-', row.longhornVolume || '-',
    row.replicaNodes.join(',') || '-', row.pod || '-', row.node || '-', row.verdict,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  return [header, ...cells].map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('   ').trimEnd()).join('\n') + '\n';
}

/** `report`: exit 0, 3 when any workspace is remote, 2 on bad usage or no cluster access. */
export async function runReportCommand(args: readonly string[], io: UsageIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const options = parseCommandArgs('report', USAGE, args, {
    output: { type: 'string', short: 'o', default: 'table' }, namespace: { type: 'string', short: 'n' },
    config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, io);
  if (typeof options === 'number') return options;
  if (options.output !== 'table' && options.output !== 'json') {
    io.stderr.write(`report: -o must be table or json, got "${options.output}"\n${USAGE}`);
    return 2;
  }
  const access = await loadClusterAccess();
  if (!access.ok) {
    io.stderr.write(`report: no cluster access: ${access.reason}\n`);
    return 2;
  }
  const notes: string[] = [];
  let rows: WorkspaceVolumeRow[];
  try {
    rows = await reportRows(new HttpsApiTransport(access.access), {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...((options.config ?? env.CONFIG_FILE) ? { configFile: options.config ?? env.CONFIG_FILE } : {}),
    }, notes);
  } catch (error) {
    io.stderr.write(`report: ${(error as Error).message}\n`);
    return 2;
  }
  for (const note of notes) io.stderr.write(`note: ${note}\n`);
  io.stdout.write(options.output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
  return rows.some((row) => row.verdict === 'remote') ? 3 : 0;
}

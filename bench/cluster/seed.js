// Seeding the benchmark cluster: namespaces, service accounts, the Longhorn replicas CRD, nodes and workspaces.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { paths } from './api-client.js';
import {
  BENCH_NAMESPACE_LABEL, LONGHORN_NAMESPACE, WORKSPACE_NAMESPACES, namespace, node, serviceAccount, workspace, workspacePod,
} from './objects.js';

const CRD = new URL('../../test/fixtures/longhorn/replicas-crd.yaml', import.meta.url);

/**
 * Creates `workspaces` workspaces over `nodes` nodes through the API server, `concurrency` requests at a time.
 * Resolves with the workspaces (namespace, claim, volume) and the creation rate.
 */
export async function seed(api, { workspaces: count, nodes, concurrency }, log = () => {}) {
  const labels = { [BENCH_NAMESPACE_LABEL]: 'true' };
  const workspaceNamespaces = Array.from({ length: WORKSPACE_NAMESPACES }, (_, i) => `coder-bench-${i}`);
  await api.createAll([
    [paths.namespaces, namespace(LONGHORN_NAMESPACE)],
    ...workspaceNamespaces.map((name) => [paths.namespaces, namespace(name, labels)]),
  ]);
  await api.createAll(workspaceNamespaces.map((name) => [paths.serviceAccounts(name), serviceAccount(name)]));
  await api.create(paths.crds, parseYaml(readFileSync(CRD, 'utf8')));
  for (let i = 0; ; i++) {
    const got = await api.call('GET', `${paths.crds}/replicas.longhorn.io`);
    if (got.json?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
    if (i > 300) throw new Error('CRD replicas.longhorn.io not Established after 30 s');
    await sleep(100);
  }
  await api.createAll(Array.from({ length: nodes }, (_, n) => [paths.nodes, node(`worker-${n}`)]));
  const workspaces = Array.from({ length: count }, (_, w) => workspace(w, nodes));
  const items = [];
  for (const ws of workspaces) {
    items.push([paths.volumes, ws.pv], [paths.claims(ws.namespace), ws.claim]);
    for (const replica of ws.replicas) items.push([paths.replicas(LONGHORN_NAMESPACE), replica]);
    // Its running workspace pod, bound to the node of its first replica (no scheduler or kubelet here: it stays
    // Pending with spec.nodeName set, which is all the day-two census reads).
    const pod = workspacePod(ws.namespace, ws.claimName, `${ws.claimName.replace(/-home$/, '')}-ws`);
    pod.spec.nodeName = ws.replicas[0].spec.nodeID;
    items.push([paths.pods(ws.namespace), pod]);
  }
  log(`seeding ${items.length} objects (${count} workspaces)`);
  const created = await api.createAll(items, concurrency, (done, total) => log(`  ${done}/${total}`));
  return { workspaces, created };
}

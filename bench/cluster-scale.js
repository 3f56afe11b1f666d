// Cache at scale and end to end through a real kube-apiserver (test/e2e/harness, Kubernetes 1.20 binaries).
//
//   node bench/cluster-scale.js           prints a table
//   node bench/cluster-scale.js --json    prints one JSON object (bench/run.js embeds it in results/latest.json)
//
// 1. Seeds BENCH_WORKSPACES (default 10,000) workspaces: a bound Longhorn PVC, its PV and 3 replicas.longhorn.io
//    each, over 100 Ready nodes, through the API server.
// 2. A process holding only the caches (bench/cluster/cache-holder.js, core 0) lists and watches them: time to
//    sync, RSS, heap, and the CPU cost of decide() on a workspace pod with a Longhorn PVC.
// 3. The real webhook (dist/cli/main.js serve with KUBECONFIG, core 0): time until /readyz reports the caches
//    synced, RSS; then pod creations through the API server with no webhook, the floor server (answering no
//    patch, two annotations, or this webhook's own patch), this webhook's /audit and its /mutate registered.
// BENCH_WEBHOOK_NODE_OPTIONS (e.g. --max-semi-space-size=1) is passed to the webhook and the cache holder.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient, paths } from './cluster/api-client.js';
import { createPods, createPodsInTurn, isMutated, waitForWebhook, webhookConfiguration } from './cluster/pods.js';
import { loadHarness } from './cluster/harness.js';
import { seed } from './cluster/seed.js';
import { workspacePod } from './cluster/objects.js';
import { freePort, httpsGet, httpsPost, pinSelf, rssBytes, startFloor, startWebhook } from './processes.js';
import { reviewOf } from './reviews.js';
import { mb, table } from './report.js';
import { envNumber, webhookNodeOptions } from './settings.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const json = process.argv.includes('--json');
const log = (message) => process.stderr.write(`bench cluster: ${message}\n`);

const settings = {
  workspaces: envNumber('BENCH_WORKSPACES', 10_000),
  nodes: envNumber('BENCH_NODES', 100),
  pods: envNumber('BENCH_PODS', 600),
  podLatencyPods: envNumber('BENCH_POD_LATENCY_PODS', 300),
  podConcurrency: envNumber('BENCH_POD_CONCURRENCY', 4),
  seedConcurrency: envNumber('BENCH_SEED_CONCURRENCY', 16),
};

/** Label on each workspace namespace naming the pod-creation set-up it belongs to. */
const SETUP_LABEL = 'bench.wsw.dev/set-up';

/**
 * Deals the workspace namespaces out to the set-ups in turn (labelling each with SETUP_LABEL) and resolves with
 * each set-up's workspaces.
 */
async function dealNamespaces(api, workspaces, setups) {
  const namespaces = [...new Set(workspaces.map((ws) => ws.namespace))];
  if (namespaces.length < setups.length) throw new Error(`${namespaces.length} workspace namespaces for ${setups.length} set-ups`);
  const setupOf = new Map(namespaces.map((name, i) => [name, i % setups.length]));
  for (const [name, index] of setupOf) {
    const patched = await api.call('PATCH', `${paths.namespaces}/${name}`, { metadata: { labels: { [SETUP_LABEL]: setups[index].key } } }, 'application/merge-patch+json');
    if (patched.status !== 200) throw new Error(`labelling namespace ${name}: ${patched.status} ${patched.text.slice(0, 200)}`);
  }
  return setups.map((_, index) => workspaces.filter((ws) => setupOf.get(ws.namespace) === index));
}

/** Runs the cache holder pinned to core 0 and returns its JSON report. */
function runCacheHolder(kubeconfig, claimsFile) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '0', process.execPath, '--expose-gc', ...webhookNodeOptions(), join(ROOT, 'bench/cluster/cache-holder.js')], {
      env: { ...process.env, KUBECONFIG: kubeconfig, CLAIMS_FILE: claimsFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`cache-holder exited with ${code}: ${out.slice(0, 500)}`));
      else resolve(JSON.parse(out));
    });
  });
}

async function run() {
  const { findControlPlaneAssets, startControlPlane, createCertificateAuthority, issueServingCertificate } = await loadHarness();
  if (!findControlPlaneAssets()) {
    return { status: 'todo', reason: 'no control-plane binaries (run scripts/provision-control-plane.sh or set KUBEBUILDER_ASSETS)' };
  }
  await pinSelf(1);
  const work = mkdtempSync(join(tmpdir(), 'wsw-bench-cluster-'));
  log('starting etcd + kube-apiserver (no controller manager: nothing here needs one)');
  const cp = await startControlPlane({ controllerManager: false });
  const api = new ApiClient(cp, Math.max(settings.seedConcurrency, settings.podConcurrency));
  let webhook;
  const floors = [];
  try {
    const { workspaces, created } = await seed(api, { workspaces: settings.workspaces, nodes: settings.nodes, concurrency: settings.seedConcurrency }, log);
    log(`seeded ${created.objects} objects in ${created.seconds} s (${created.perSecond}/s)`);
    const claimsFile = join(work, 'claims.json');
    writeFileSync(claimsFile, JSON.stringify(workspaces.map((ws) => [ws.namespace, ws.claimName])));

    log('cache holder: list + watch, then decide() cost');
    const holder = await runCacheHolder(cp.kubeconfigPath, claimsFile);

    // The webhook with a certificate for 127.0.0.1 (the API server dials it by URL).
    const ca = createCertificateAuthority('wsw-bench-webhook-ca');
    const serving = issueServingCertificate(ca, { hosts: ['127.0.0.1'] });
    const certDir = join(work, 'certs');
    mkdirSync(certDir);
    writeFileSync(join(certDir, 'ca.crt'), ca.certPem);
    writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
    writeFileSync(join(certDir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    const configFile = join(work, 'config.yaml');
    writeFileSync(configFile, 'tmpfs:\n  projects: [/home/coder/app]\n');
    log('webhook: start, wait for the caches');
    const spawned = performance.now();
    webhook = await startWebhook({
      core: 0, port: await freePort(), certDir, configFile, home: work,
      extraEnv: { KUBECONFIG: cp.kubeconfigPath }, nodeOptions: webhookNodeOptions(),
    });
    let readyz;
    for (;;) {
      readyz = await httpsGet(webhook.port, '/readyz');
      if (readyz.status === 200 && JSON.parse(readyz.body).coLocation?.status?.state === 'synced') break;
      if (performance.now() - spawned > 600_000) throw new Error(`webhook caches not synced: ${readyz.body.slice(0, 300)}`);
      await sleep(50);
    }
    // And the day-two census (pods, namespaces: listed after the co-location caches): the gauge appears then.
    let census;
    for (;;) {
      census = /^workspace_storage_webhook_workspace_volumes\{locality="local"\} (\d+)$/m.exec((await httpsGet(webhook.port, '/metrics')).body);
      if (census) break;
      if (performance.now() - spawned > 600_000) throw new Error('webhook workspace_volumes gauge never appeared');
      await sleep(100);
    }
    const webhookSyncMs = Math.round(performance.now() - spawned);
    const webhookRssSynced = rssBytes(webhook.pid);
    // Settled: after the collection the server runs 1 s after its last large list, and V8 returning the pages.
    await sleep(10_000);
    const webhookRssSettled = rssBytes(webhook.pid);

    // Pod creations in six set-ups: no webhook; the floor server registered (what calling any webhook costs
    // the API server); the floor answering a patch of two annotations (what applying any patch costs it); the
    // floor answering this webhook's own patch for a workspace pod (what applying this patch costs it, with no
    // decision behind it); this webhook on /audit (the full decision, no patch); this webhook on /mutate (the
    // patch, which the API server must apply and re-validate). All six run at once: the workspace namespaces
    // are dealt out to the set-ups by a label, each webhook configuration selects its own, and the pods for
    // latency are created one at a time taking turns between the set-ups, so drift on the machine (etcd, the API
    // server's own GC, other work) weighs on all four alike. Then, per set-up, BENCH_POD_CONCURRENCY at a time
    // for creations per second.
    const floor = await startFloor({ core: 0, port: await freePort(), certDir });
    const patches = await webhookPatches(webhook.port, workspaces[0]);
    const floorAnnotating = await startFloor({ core: 0, port: await freePort(), certDir, patch: patches.annotations });
    const floorSamePatch = await startFloor({ core: 0, port: await freePort(), certDir, patch: patches.full });
    floors.push(floor, floorAnnotating, floorSamePatch);
    const setups = [
      { name: 'no webhook', key: 'none' },
      { name: 'floor webhook (no-op)', key: 'floor', url: `https://127.0.0.1:${floor.port}/mutate` },
      { name: 'floor webhook, 2-annotation patch', key: 'floor-annotations', url: `https://127.0.0.1:${floorAnnotating.port}/mutate` },
      { name: 'floor webhook, this webhook\'s patch', key: 'floor-same-patch', url: `https://127.0.0.1:${floorSamePatch.port}/mutate` },
      { name: 'this webhook, /audit', key: 'audit', url: `https://127.0.0.1:${webhook.port}/audit`, mode: 'audit' },
      { name: 'this webhook, /mutate', key: 'mutate', url: `https://127.0.0.1:${webhook.port}/mutate`, mode: 'mutate' },
    ];
    const groups = await dealNamespaces(api, workspaces, setups);
    for (const setup of setups) {
      if (setup.url) await api.create(paths.mutatingWebhooks, webhookConfiguration(`bench-${setup.key}`, setup.url, ca.certPem, { [SETUP_LABEL]: setup.key }));
    }
    for (const [index, setup] of setups.entries()) if (setup.mode) await waitForWebhook(api, groups[index][0], setup.mode);
    await sleep(1000); // the floor changes nothing a dry run could show; it was created with the others
    log(`pods: ${settings.podLatencyPods} one at a time per set-up (taking turns), then ${settings.pods} ${settings.podConcurrency} at a time per set-up`);
    for (const [index, group] of groups.entries()) await createPods(api, group, 25, settings.podConcurrency, `w${index}`);
    const latencies = await createPodsInTurn(api, groups, settings.podLatencyPods, 'one');
    const pods = [];
    for (const [index, setup] of setups.entries()) {
      const throughput = await createPods(api, groups[index], settings.pods, settings.podConcurrency, `many${index}`);
      pods.push({ setup: setup.name, latency: latencies[index], throughput });
    }
    for (const server of floors.splice(0)) await server.stop();
    // The webhook's set-up mutated its pods, and the floor's copy of its patch did the same to the pods under it.
    for (const key of ['mutate', 'floor-same-patch']) {
      const index = setups.findIndex((setup) => setup.key === key);
      const workspace = groups[index][1 % groups[index].length];
      const stored = await api.call('GET', `${paths.pods(workspace.namespace)}/one${index}-1`);
      if (!isMutated(stored.json)) throw new Error(`a pod created with ${setups[index].name} registered was not mutated`);
    }
    const failures = pods.reduce((sum, p) => sum + p.latency.failures + p.throughput.failures, 0);
    if (failures > 0) throw new Error(`pod creations failed: ${pods.map((p) => p.latency.firstFailure ?? p.throughput.firstFailure).filter(Boolean)[0]}`);
    const baseline = pods[0].latency.latency.p50;
    for (const p of pods) p.addedMedianMs = Math.round((p.latency.latency.p50 - baseline) * 1000) / 1000;
    const addedBy = (setup) => pods.find((p) => p.setup === setup).addedMedianMs;
    const webhookRssAfterPods = rssBytes(webhook.pid);
    // Of which the process's own memory; the rest is pages of the node binary and its libraries (RssFile), shared
    // with every node process and reclaimable by the kernel (bench/README.md, "Findings").
    const webhookRssAnonAfterPods = rssBytes(webhook.pid, 'RssAnon');
    const cacheCounts = JSON.parse((await httpsGet(webhook.port, '/readyz')).body).coLocation.caches.map((c) => [c.name, c.objects]);

    const result = {
      status: 'ok',
      settings,
      seed: created,
      cacheHolder: holder,
      webhook: {
        syncMs: webhookSyncMs, localWorkspaces: Number(census[1]), rssSyncedBytes: webhookRssSynced, rssSettledBytes: webhookRssSettled, rssAfterPodsBytes: webhookRssAfterPods, rssAnonAfterPodsBytes: webhookRssAnonAfterPods,
        caches: Object.fromEntries(cacheCounts),
      },
      pods,
    };
    result.targets = [
      check(`webhook RSS with ${settings.workspaces} workspaces (PVCs, PVs, replicas, pods) cached < 120 MB (settled, after pods)`, Math.round(Math.max(webhookRssSettled, webhookRssAfterPods) / 1048576 * 10) / 10, 120, 'MB'),
      check(`cache-holder RSS with ${settings.workspaces} workspaces < 120 MB (settled)`, Math.round(holder.rssSettledBytes / 1048576 * 10) / 10, 120, 'MB'),
      check('one affinity decision (decide() with caches) < 50 µs', holder.decide.withCachesMicros, 50, 'µs'),
      ratioCheck('added median pod-creation latency (this webhook, /mutate) <= 1.5 x that of the no-op webhook',
        addedBy('this webhook, /mutate'), addedBy('floor webhook (no-op)'), 1.5),
      ratioCheck('added median pod-creation latency (this webhook, /mutate) <= 1.5 x that of the floor answering the same patch',
        addedBy('this webhook, /mutate'), addedBy('floor webhook, this webhook\'s patch'), 1.5),
    ];
    result.table = describe(result);
    return result;
  } finally {
    for (const server of floors) await server.stop();
    if (webhook) await webhook.stop();
    api.close();
    await cp.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The JSONPatch this webhook answers for `workspace`'s pod (base64, as in an AdmissionResponse), and a patch of
 * two annotations only: what the floor server answers in the set-ups that separate the API server's cost of
 * applying a patch from the webhook's cost of deciding it. The review is the one the API server sends for the
 * benchmark's pods (automountServiceAccountToken false: no token volume is added before the webhooks).
 */
async function webhookPatches(port, workspace) {
  const pod = workspacePod(workspace.namespace, workspace.claimName, 'patch-sample');
  const answer = await httpsPost(port, '/mutate', JSON.stringify(reviewOf(pod, 'patch-sample')));
  const full = JSON.parse(answer.body).response?.patch;
  if (answer.status !== 200 || !full) throw new Error(`the webhook answered no patch for a workspace pod: ${answer.status}`);
  const annotations = [{ op: 'add', path: '/metadata/annotations', value: { 'bench.wsw.dev/a': 'applied', 'bench.wsw.dev/b': 'warned' } }];
  return { full, annotations: Buffer.from(JSON.stringify(annotations)).toString('base64') };
}

/** `value` as a multiple of `reference` (both measured in this run), at most `limit` times. */
function ratioCheck(name, value, reference, limit) {
  const ratio = Math.round((value / reference) * 100) / 100;
  const met = reference > 0 && ratio <= limit;
  return { name, value: ratio, limit, unit: 'x', met, margin: `${met ? 'met' : 'missed'} (${value} ms vs ${reference} ms added)` };
}

function check(name, value, limit, unit) {
  const met = value < limit;
  return { name, value, limit, unit, met, margin: `${met ? 'met' : 'missed'} (${Math.round((value / limit) * 100)}% of the limit)` };
}

function describe(result) {
  const { cacheHolder: holder, webhook, pods, settings: s } = result;
  const ms = (value) => (value === null ? '-' : value.toFixed(2));
  const rows = [
    ['seed (API server)', `${result.seed.objects} objects in ${result.seed.seconds} s (${result.seed.perSecond}/s)`],
    ['cache holder: list+watch to synced', `${holder.syncMs} ms wall, ${holder.syncCpuMs} ms CPU`],
    ['cache holder: objects', Object.entries(holder.caches).map(([name, n]) => `${name.split('.')[0]} ${n}`).join(', ')],
    ['cache holder: RSS at sync / settled', `${mb(holder.rssAfterSyncBytes)} MB / ${mb(holder.rssSettledBytes)} MB (live heap ${mb(holder.afterGc.heapUsedBytes)} MB)`],
    ['decide(), pod with Longhorn PVC', `${holder.decide.withCachesMicros} µs (co-location off: ${holder.decide.coLocationOffMicros} µs; affinity part ${holder.decide.affinityMicros} µs)`],
    ['webhook: start to caches synced', `${webhook.syncMs} ms (workspace_volumes local: ${webhook.localWorkspaces})`],
    ['webhook RSS: at sync / settled / after pods', `${mb(webhook.rssSyncedBytes)} MB / ${mb(webhook.rssSettledBytes)} MB / ${mb(webhook.rssAfterPodsBytes)} MB (anonymous ${mb(webhook.rssAnonAfterPodsBytes)} MB, the rest the node binary's pages)`],
    ...pods.map((p) => [
      `pods, ${p.setup}`,
      `one at a time: p50 ${ms(p.latency.latency.p50)} ms (+${ms(p.addedMedianMs)}), p99 ${ms(p.latency.latency.p99)} ms; ${s.podConcurrency} at a time: ${p.throughput.perSecond}/s`,
    ]),
  ];
  return `cluster scale: ${s.workspaces} workspaces (${s.workspaces} PVCs, ${s.workspaces} PVs, ${3 * s.workspaces} replicas), ${s.nodes} nodes, real kube-apiserver 1.20\n\n${table(['measure', 'value'], rows)}`;
}

run().then(
  (result) => {
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${result.table ?? `${result.status}: ${result.reason}`}\n`);
    process.exit(0);
  },
  (error) => {
    log(error.stack ?? String(error));
    if (json) process.stdout.write(`${JSON.stringify({ status: 'failed', reason: String(error.message ?? error).slice(0, 500) })}\n`);
    process.exit(1);
  },
);


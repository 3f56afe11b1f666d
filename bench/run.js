// `npm run bench`: the webhook against the floor, side by side in one run. See bench/README.md.
//
// Server processes run on core 0 (taskset -c 0), this process (the load generator) on core 1. The webhook is the
// real `dist/cli/main.js serve` with LOG_LEVEL=info: it decides, logs one audit line and counts metrics per review.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from './closed-loop.js';
import { inTurns } from './turns.js';
import { busyFraction, coreTimes, machineDescription } from './machine.js';
import { openLoop } from './open-loop.js';
import { cpuSeconds, freePort, httpsGet, httpsPost, pinSelf, rssBytes, startAgnhost, startFloor, startWebhook } from './processes.js';
import { provisionedAssetsDir } from '../test/e2e/harness/assets.ts';
import { collectGarbage } from './inspector-gc.js';
import { httpTable, mb, table } from './report.js';
import { benchReviews } from './reviews.js';
import { envNumber, webhookNodeOptions } from './settings.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const SERVER_CORE = 0;
const LOADGEN_CORE = 1;

const settings = {
  seconds: envNumber('BENCH_SECONDS', 10),
  turns: envNumber('BENCH_TURNS', 5),
  warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 5),
  connections: envNumber('BENCH_CONNECTIONS', 8),
  rate: envNumber('BENCH_RATE', 1000),
  rateSeconds: envNumber('BENCH_RATE_SECONDS', 30),
  rateConnections: envNumber('BENCH_RATE_CONNECTIONS', 8),
  leakReviews: envNumber('BENCH_LEAK_REVIEWS', 1_000_000),
  profile: process.env.BENCH_PROFILE === '1',
  cluster: process.env.BENCH_CLUSTER !== '0',
  webhookNodeOptions: webhookNodeOptions(),
};

const log = (message) => process.stderr.write(`bench: ${message}\n`);

/** Reads heap statistics from the webhook's own /metrics (its process metrics). */
async function webhookHeap(port) {
  const { body } = await httpsGet(port, '/metrics');
  const value = (name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, "m").exec(body);
    return match ? Number(match[1]) : undefined;
  };
  return { heapUsedBytes: value('nodejs_heap_size_used_bytes'), heapTotalBytes: value('nodejs_heap_size_total_bytes') };
}

/** One review of each kind, checked in full before any load: the webhook must be doing the real work. */
async function checkAnswers(server, reviews, webhook) {
  for (const review of reviews) {
    const { status, body } = await httpsPost(server.port, server.path ?? '/mutate', review.body);
    const answer = JSON.parse(body);
    const ok = status === 200 && answer.response?.uid === review.uid && answer.response?.allowed === true
      && (!webhook || body.includes(review.expect));
    if (!ok) throw new Error(`${server.name} answered ${review.name} wrongly: ${status} ${body.slice(0, 300)}`);
  }
}

/** Runs `load` against `server`, measuring the server's CPU use and what else ran on the two cores. */
async function measured(server, load) {
  const cpuBefore = cpuSeconds(server.pid);
  const coresBefore = coreTimes();
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  const result = await load();
  const wall = (performance.now() - started) / 1000;
  const coresAfter = coreTimes();
  const serverCpu = (cpuSeconds(server.pid) - cpuBefore) / wall;
  const self = process.cpuUsage(selfBefore);
  const loadgenCpu = (self.user + self.system) / 1e6 / wall;
  const answered = result.answered ?? 0;
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  return {
    ...result,
    wallSeconds: wall,
    cpuSeconds: cpu,
    serverCpu: Math.round(serverCpu * 100) / 100,
    // CPU the server spent per answered review (all its threads): unlike rps, barely affected by other work on the
    // machine, so it still compares webhook and floor when the core was shared.
    cpuMicrosPerReview: answered > 0 ? Math.round((cpu / answered) * 1e6 * 10) / 10 : null,
    loadgenCpu: Math.round(loadgenCpu * 100) / 100,
    core0Busy: Math.round(busyFraction(coresBefore, coresAfter, String(SERVER_CORE)) * 100) / 100,
    core1Busy: Math.round(busyFraction(coresBefore, coresAfter, String(LOADGEN_CORE)) * 100) / 100,
    rssBytes: rssBytes(server.pid),
  };
}

function gitDescription() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

function targetCheck(name, value, limit, better, unit) {
  const met = better === 'higher' ? value >= limit : value <= limit;
  const margin = limit === 0
    ? (met ? 'met' : `missed by ${value} ${unit}`)
    : `${met ? 'met' : 'missed'} (${((value / limit) * 100).toFixed(0)}% of the ${better === 'higher' ? 'minimum' : 'limit'})`;
  return { name, value, limit, unit, met, margin };
}

async function main() {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm run bench does)');
  await pinSelf(LOADGEN_CORE);
  const work = mkdtempSync(join(tmpdir(), 'wsw-bench-'));
  const certDir = join(work, 'certs');
  const configFile = join(work, 'config.yaml');
  writeFileSync(configFile, 'tmpfs:\n  projects: [/home/coder/app]\n');
  const reviews = benchReviews();
  const machine = machineDescription();
  log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m}`);
  if (machine.loadAverage1m > 1.5) log('WARNING: the machine is busy with other work; absolute numbers will be low and noisy');

  const nodeOptions = [...webhookNodeOptions(), ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS}`, '--cpu-prof-name=webhook.cpuprofile'] : [])];
  if (settings.profile) mkdirSync(RESULTS, { recursive: true });
  const webhook = await startWebhook({ core: SERVER_CORE, port: await freePort(), certDir, configFile, home: work, nodeOptions });
  const floor = await startFloor({ core: SERVER_CORE, port: await freePort(), certDir });
  const fastifyFloor = await startFloor({ core: SERVER_CORE, port: await freePort(), certDir, script: 'bench/fastify-floor.js', name: 'fastify-floor' });
  // Kubernetes' own Go e2e webhook, for the template pod (its handler mutates pods only), when it has been built.
  const agnhostBinary = join(provisionedAssetsDir(), 'agnhost');
  const templatePod = reviews.find((review) => review.name === 'template-pod');
  const agnhost = existsSync(agnhostBinary)
    ? await startAgnhost({ core: SERVER_CORE, port: await freePort(), certDir, binary: agnhostBinary, probe: templatePod.body })
    : undefined;
  if (!agnhost) log(`no agnhost at ${agnhostBinary} (WSW_AGNHOST=1 scripts/provision-control-plane.sh builds it): the comparison with it is skipped`);
  // Audit lines against answered reviews, per webhook process (the memory phase runs its own).
  const audit = { answered: 0, lines: 0, inFlightSlack: 0 };
  let mainAnswered = 0;
  const countAudit = async (answered, slack) => {
    mainAnswered += answered;
    audit.answered += answered;
    audit.inFlightSlack += slack;
    await webhook.logs.waitFor(mainAnswered);
  };
  try {
    await checkAnswers(webhook, reviews, true);
    await checkAnswers(floor, reviews, false);
    await checkAnswers(fastifyFloor, reviews, false);
    if (agnhost) await checkAnswers(agnhost, [templatePod], false);
    await countAudit(reviews.length, 0);

    const mix = { name: 'mix', reviews };
    const scenarios = [mix, ...reviews.map((review) => ({ name: review.name, reviews: [review] }))];
    const runs = [];
    const throughput = async (server, scenario, seconds, latencies) => {
      const result = await measured(server, () =>
        closedLoop({ port: server.port, path: server.path, reviews: scenario.reviews, connections: settings.connections, seconds, latencies, checkExpect: server === webhook }));
      if (server === webhook) await countAudit(result.answered, settings.connections);
      return { scenario: scenario.name, server: server.name, kind: 'throughput', ...result };
    };

    log(`warm-up: ${settings.warmupSeconds} s each`);
    await throughput(webhook, mix, settings.warmupSeconds);
    await throughput(floor, mix, Math.max(1, settings.warmupSeconds / 2));
    await throughput(fastifyFloor, mix, Math.max(1, settings.warmupSeconds / 2));
    const afterWarmup = { rssBytes: rssBytes(webhook.pid), ...(await webhookHeap(webhook.port)) };
    log(`webhook RSS after warm-up: ${mb(afterWarmup.rssBytes)} MB`);

    const ratios = (run, to) => {
      run.ratioToFloor = Math.round((run.rps / to.rps) * 100) / 100;
      run.cpuRatioToFloor = Math.round((to.cpuMicrosPerReview / run.cpuMicrosPerReview) * 100) / 100;
    };
    for (const scenario of scenarios) {
      // The mix also runs the framework floor, so the report splits the webhook's distance from the floor into
      // Fastify's share and the webhook's own work.
      const servers = scenario === mix ? [floor, fastifyFloor, webhook] : [floor, webhook];
      if (agnhost && scenario.name === 'template-pod') servers.push(agnhost);
      log(`throughput ${scenario.name}: ${servers.map((server) => server.name).join(', ')} take ${settings.turns} turns, ${settings.seconds} s each in all, ${settings.connections} connections`);
      const merged = await inTurns(servers, { turns: settings.turns, seconds: settings.seconds },
        (server, seconds, latencies) => throughput(server, scenario, seconds, latencies));
      const [floorRun] = merged;
      for (const run of merged.slice(1)) ratios(run, floorRun);
      if (scenario === mix) {
        const [, frameworkRun, webhookRun] = merged;
        webhookRun.ratioToFastifyFloor = Math.round((webhookRun.rps / frameworkRun.rps) * 100) / 100;
      }
      if (servers.includes(agnhost)) {
        const [, webhookRun, agnhostRun] = merged;
        webhookRun.ratioToAgnhost = Math.round((webhookRun.rps / agnhostRun.rps) * 100) / 100;
      }
      runs.push(...merged);
    }

    log(`fixed rate: ${settings.rate} reviews/s (mix), floor and webhook take ${settings.turns} turns, ${settings.rateSeconds} s each in all`);
    const fixedRate = async (server, seconds, latencies) => {
      const result = await measured(server, () =>
        openLoop({ port: server.port, reviews, rate: settings.rate, seconds, latencies, connections: settings.rateConnections, checkExpect: server === webhook }));
      if (server === webhook) await countAudit(result.answered, 0);
      return { scenario: `mix @ ${settings.rate}/s`, server: server.name, kind: 'fixed-rate', ...result };
    };
    const [floorRate, webhookRate] = await inTurns([floor, webhook], { turns: settings.turns, seconds: settings.rateSeconds }, fixedRate);
    runs.push(floorRate, webhookRate);

    let leak;
    if (settings.leakReviews > 0) {
      // A leak shows as a live heap (what survives a full collection) that grows; RSS alone cannot tell it from V8
      // sizing its heap up under load (RSS steps, then flat). The bench asks the fresh webhook for a full
      // collection through its inspector after the warm-up and after the reviews, and reads the heap then. V8's
      // own full collections (--trace-gc) are reported too, but cannot be relied on: with an 8 MB young generation
      // a million reviews may promote too little to cause any.
      log(`memory: a fresh webhook (--inspect, --trace-gc), warm-up, then ${settings.leakReviews} reviews (mix) at full speed`);
      const inspectPort = await freePort();
      const fresh = await startWebhook({
        core: SERVER_CORE, port: await freePort(), certDir, configFile, home: work,
        nodeOptions: [...webhookNodeOptions(), '--trace-gc', `--inspect=127.0.0.1:${inspectPort}`],
      });
      const liveHeap = async () => {
        await collectGarbage(inspectPort);
        return (await webhookHeap(fresh.port)).heapUsedBytes;
      };
      try {
        const warm = await closedLoop({ port: fresh.port, reviews, connections: settings.connections, seconds: settings.warmupSeconds, checkExpect: true });
        const warmedUp = { rssBytes: rssBytes(fresh.pid), ...(await webhookHeap(fresh.port)) };
        const liveBefore = await liveHeap();
        const gcsBefore = fresh.logs.fullGcs.length;
        const samples = [];
        const result = await measured(fresh, () =>
          closedLoop({
            port: fresh.port, reviews, connections: settings.connections, amount: settings.leakReviews, checkExpect: true,
            onProgress: (answered) => samples.push({ answered, rssBytes: rssBytes(fresh.pid) }),
          }));
        audit.answered += warm.answered + result.answered;
        audit.inFlightSlack += 2 * settings.connections;
        audit.lines += await fresh.logs.waitFor(warm.answered + result.answered);
        const after = { rssBytes: rssBytes(fresh.pid), ...(await webhookHeap(fresh.port)) };
        const liveAfter = await liveHeap();
        const fullGcs = fresh.logs.fullGcs.slice(gcsBefore);
        const firstGc = fullGcs[0];
        const lastGc = fullGcs.at(-1);
        leak = {
          reviews: result.answered, seconds: result.seconds, rps: result.rps, errors: result.errors,
          afterWarmup: warmedUp, after, peakRssBytes: Math.max(...samples.map((sample) => sample.rssBytes ?? 0), after.rssBytes ?? 0),
          rssGrowthBytes: after.rssBytes - warmedUp.rssBytes,
          fullGcs: fullGcs.length, firstGc, lastGc,
          liveHeapBeforeBytes: liveBefore, liveHeapAfterBytes: liveAfter,
          liveHeapGrowthMB: Math.round(((liveAfter - liveBefore) / 1048576) * 10) / 10,
          samples: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 20)) === 0),
        };
        runs.push({ scenario: `mix x ${result.answered}`, server: 'webhook', kind: 'memory', ...result });
      } finally {
        await fresh.stop();
      }
    }

    const floorMix = runs.find((run) => run.server === 'floor' && run.scenario === 'mix');
    const webhookMix = runs.find((run) => run.server === 'webhook' && run.scenario === 'mix');
    // The performance contract (issue "Standard parts ..."): every timing a ratio to what ran beside it.
    const ratio = (value, to) => Math.round((value / to) * 100) / 100;
    const webhookTemplate = runs.find((run) => run.server === 'webhook' && run.scenario === 'template-pod');
    const targets = [
      targetCheck('throughput (mix) >= 0.7 x floor', webhookMix.ratioToFloor, 0.7, 'higher', 'x floor'),
      webhookTemplate.ratioToAgnhost === undefined
        ? { name: 'throughput (template-pod) >= 1.5 x agnhost', value: '-', limit: 1.5, unit: '', met: false, margin: 'todo: no agnhost built' }
        : targetCheck('throughput (template-pod) >= 1.5 x agnhost', webhookTemplate.ratioToAgnhost, 1.5, 'higher', 'x agnhost'),
      targetCheck(`p99 at ${settings.rate}/s <= 1.5 x floor's`, ratio(webhookRate.latency.p99, floorRate.latency.p99), 1.5, 'lower', `x floor (${webhookRate.latency.p99} vs ${floorRate.latency.p99} ms)`),
      targetCheck(`p99.9 at ${settings.rate}/s <= 2 x floor's`, ratio(webhookRate.latency.p999, floorRate.latency.p999), 2, 'lower', `x floor (${webhookRate.latency.p999} vs ${floorRate.latency.p999} ms)`),
      targetCheck(`errors at ${settings.rate}/s = 0`, webhookRate.errors, 0, 'lower', 'errors'),
    ];
    if (leak) {
      targets.push(targetCheck(`no leak: live heap after full GC grows <= 5 MB over ${leak.reviews} reviews`, leak.liveHeapGrowthMB, 5, 'lower', 'MB'));
    }
    audit.lines += webhook.logs.auditLines;
    audit.ok = audit.lines >= audit.answered && audit.lines <= audit.answered + audit.inFlightSlack;
    targets.push({ name: 'one audit line per answered review', value: audit.lines, limit: audit.answered, unit: 'lines', met: audit.ok, margin: audit.ok ? 'met' : 'missed' });

    let cluster;
    if (settings.cluster) {
      log('cluster scale: bench/cluster-scale.js');
      const child = spawnSync(process.execPath, [join(ROOT, 'bench/cluster-scale.js'), '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
      try {
        cluster = JSON.parse(child.stdout);
      } catch {
        cluster = { status: 'failed', reason: `bench/cluster-scale.js exited ${child.status}: ${child.stdout?.slice(0, 300)}` };
      }
    } else {
      cluster = { status: 'skipped', reason: 'BENCH_CLUSTER=0' };
    }
    if (cluster.targets) targets.push(...cluster.targets);

    const results = {
      date: new Date().toISOString(), commit: gitDescription(), machine: { ...machine, loadAverageAtEnd: machineDescription().loadAverage1m },
      settings, reviews: reviews.map(({ name, description, bytes }) => ({ name, description, bytes })),
      runs, memory: leak, audit, cluster, targets,
      webhookErrorLines: webhook.logs.otherLines.filter((line) => /"level":(50|60)/.test(line)),
    };
    // A profiled run is slower (the profiler samples): its numbers do not replace the committed results.
    const out = settings.profile ? undefined : join(RESULTS, 'latest.json');
    if (out) {
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    }

    process.stdout.write(`\nPOST /mutate over HTTPS keep-alive; server on core ${SERVER_CORE}, load generator on core ${LOADGEN_CORE}; node ${machine.node}, ${machine.cpu}\n`);
    process.stdout.write(`reviews: ${reviews.map((r) => `${r.name} ${r.bytes} B`).join(', ')}; mix = round-robin of the three\n\n`);
    process.stdout.write(`${httpTable(runs)}\n\n`);
    const frameworkMix = runs.find((run) => run.server === 'fastify-floor' && run.scenario === 'mix');
    process.stdout.write(`mix: fastify-floor ${frameworkMix.ratioToFloor.toFixed(2)} x floor (the framework's share); webhook ${webhookMix.ratioToFastifyFloor.toFixed(2)} x fastify-floor (its own work)\n`);
    if (webhookTemplate.ratioToAgnhost !== undefined) process.stdout.write(`template-pod: webhook ${webhookTemplate.ratioToAgnhost.toFixed(2)} x agnhost (Kubernetes' Go e2e webhook, /mutating-pods-sidecar, one core)\n`);
    process.stdout.write('\n');
    if (leak) {
      const gc = (entry) => (entry ? `${entry.liveMB} MB live (${entry.committedMB} MB committed) at ${entry.auditLines} lines` : 'none');
      process.stdout.write(`memory (fresh webhook): RSS ${mb(leak.afterWarmup.rssBytes)} MB after warm-up, ${mb(leak.after.rssBytes)} MB after ${leak.reviews} reviews (peak ${mb(leak.peakRssBytes)} MB); live heap after a full GC ${mb(leak.liveHeapBeforeBytes)} -> ${mb(leak.liveHeapAfterBytes)} MB; full GCs in --trace-gc meanwhile: ${leak.fullGcs} (first ${gc(leak.firstGc)}, last ${gc(leak.lastGc)})\n`);
    }
    process.stdout.write(`audit lines: ${audit.lines} for ${audit.answered} answered reviews (+ up to ${audit.inFlightSlack} in flight when a run stopped)\n\n`);
    if (cluster.table) process.stdout.write(`${cluster.table}\n\n`);
    else process.stdout.write(`cluster scale: ${cluster.status}: ${cluster.reason}\n\n`);
    process.stdout.write(`${table(['target', 'value', 'result'], targets.map((t) => [t.name, `${t.value} ${t.unit}`, t.margin]))}\n\n`);
    process.stdout.write(out ? `written: ${out}\n` : 'profiled run: results not written\n');
    if (machine.loadAverage1m > 1.5) process.stdout.write(`WARNING: load average was ${machine.loadAverage1m} at the start: other work was running, numbers are noisy\n`);
  } finally {
    await Promise.all([webhook.stop(), floor.stop(), fastifyFloor.stop(), agnhost?.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
  if (settings.profile) {
    const summary = spawnSync(process.execPath, [join(ROOT, 'bench/profile-summary.js'), join(RESULTS, 'webhook.cpuprofile')], { encoding: 'utf8' });
    process.stdout.write(summary.stdout);
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});

/**
 * Inside its own memory limit under hostile load: the server runs in a memory cgroup of the Deployment's limit
 * (manifests/base/deployment.yaml) with the image's NODE_OPTIONS (Dockerfile), and gets eight large reviews at a
 * time, all under the body limit: 50,000 containers, a 3 MiB annotation, 100,000-deep nesting. Past what it can
 * hold it must answer 429/503 at once, and it must stay up: every request gets an answer, the kernel kills nothing.
 * In the e2e project: it needs root and cgroup v1's memory controller (what these machines have).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js';
import { MANIFESTS_DIR } from '../e2e/support/manifests.js';
import { certDir, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { reviewText, spliceIntoPod, workspacePod } from './support/reviews.js';

const MEMORY_ROOT = '/sys/fs/cgroup/memory';
const ROOT = new URL('../../', import.meta.url).pathname;

interface EnvVar { name: string; valueFrom?: { resourceFieldRef?: { containerName?: string; resource?: string } } }
interface WebhookContainer { name: string; env: EnvVar[]; resources: { limits: { memory: string } } }

function webhookContainer(): WebhookContainer {
  const deployment = parse(readFileSync(join(MANIFESTS_DIR, 'base', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: WebhookContainer[] } } };
  };
  return deployment.spec.template.spec.containers[0]!;
}

/** The container's memory limit from the Deployment, in bytes. */
function deploymentMemoryLimit(): number {
  const limit = webhookContainer().resources.limits.memory;
  const match = /^(\d+)Mi$/.exec(limit);
  if (!match) throw new Error(`unexpected memory limit ${limit}`);
  return Number(match[1]) * 1024 * 1024;
}

/**
 * The environment the Deployment gives the server from its own limit with the downward API, as the kubelet fills it
 * in (`limits.memory` in bytes); throws when the Deployment does not pass it.
 */
function downwardApiEnv(): Record<string, string> {
  const container = webhookContainer();
  const env: Record<string, string> = {};
  for (const variable of container.env) {
    const field = variable.valueFrom?.resourceFieldRef;
    if (field?.resource === 'limits.memory' && field.containerName === container.name) env[variable.name] = String(deploymentMemoryLimit());
  }
  if (Object.keys(env).length === 0) throw new Error('the Deployment does not pass its memory limit to the server');
  return env;
}

/** NODE_OPTIONS as the image sets it. */
function imageNodeOptions(): string {
  const match = /NODE_OPTIONS=(\S+(?: --\S+)*)/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('no NODE_OPTIONS in the Dockerfile');
  return match[1]!.replace(/^"|"$/g, '');
}

function hostileBodies(): { name: string; body: string }[] {
  const many = workspacePod();
  many.spec!.containers = Array.from({ length: 50_000 }, (_, index) => ({
    name: `c${index}`, image: 'busybox', volumeMounts: [{ name: 'home', mountPath: '/home/coder' }],
  }));
  const annotated = workspacePod();
  annotated.metadata!.annotations!.blob = 'x'.repeat(3 * 1024 * 1024);
  const depth = 100_000;
  const bodies = [
    { name: '50,000 containers', body: reviewText(many) },
    { name: '3 MiB annotation', body: reviewText(annotated) },
    { name: '100,000-deep nesting', body: spliceIntoPod('spec', '['.repeat(depth) + ']'.repeat(depth)) },
  ];
  for (const { body } of bodies) expect(Buffer.byteLength(body)).toBeLessThan(BODY_LIMIT_BYTES);
  return bodies;
}

describe.runIf(existsSync(join(MEMORY_ROOT, 'cgroup.procs')))('the server inside its memory limit under hostile load', () => {
  const cgroup = join(MEMORY_ROOT, `wsw-ceiling-${randomUUID().slice(0, 8)}`);
  let server: ServerProcess;
  let ca: string;

  beforeAll(async () => {
    await mkdir(cgroup);
    await writeFile(join(cgroup, 'memory.limit_in_bytes'), String(deploymentMemoryLimit()));
    const certs = await certDir();
    ca = readFileSync(join(certs.dir, 'ca.crt'), 'utf8');
    server = await startServerProcess(
      { CERT_DIR: certs.dir, NODE_OPTIONS: imageNodeOptions(), KUBECONFIG: '/nonexistent', ...downwardApiEnv() },
      // Join the cgroup first, then become node: everything the server allocates is charged to the limit.
      (command, args) => ['sh', ['-c', `echo $$ > ${join(cgroup, 'cgroup.procs')} && exec "$0" "$@"`, command, ...args]],
    );
  }, 60_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await rmdir(cgroup).catch(() => undefined);
  });

  it('answers every review (200, or 429/503 past what it can hold) and is never OOM-killed', async () => {
    const bodies = hostileBodies();
    const agent = new Agent({ ca, keepAlive: true, maxSockets: 8 });
    const post = (body: string) => new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/mutate', method: 'POST', agent, timeout: 60_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(-1));
      });
      req.on('error', () => resolve(-1));
      req.on('timeout', () => req.destroy());
      req.end(body);
    });
    const statuses: Record<string, number[]> = {};
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: 8 }, (_, index) => bodies[(round + index) % bodies.length]!);
      const answers = await Promise.all(batch.map(async ({ name, body }) => [name, await post(body)] as const));
      for (const [name, status] of answers) (statuses[name] ??= []).push(status);
    }
    // Then, the load passed: an ordinary workspace review and the deep one (cheap to hold) are answered in full.
    const after: Record<string, number> = {};
    for (const { name, body } of [{ name: 'workspace pod', body: reviewText(workspacePod()) }, bodies[2]!]) after[name] = await post(body);
    agent.destroy();
    const oom = await readFile(join(cgroup, 'memory.oom_control'), 'utf8');
    const peak = Number(await readFile(join(cgroup, 'memory.max_usage_in_bytes'), 'utf8'));
    const summary = (table: Record<string, number[]>) => Object.entries(table).map(([name, list]) => `${name}: ${list.join(' ')}`).join('; ');
    process.stdout.write(`[memory-ceiling] peak ${(peak / 1048576).toFixed(0)} MiB of ${(deploymentMemoryLimit() / 1048576).toFixed(0)}; under load: ${summary(statuses)}; after: ${JSON.stringify(after)}\n`);
    expect(server.child.exitCode, server.output().slice(-2000)).toBeNull();
    expect(/oom_kill (\d+)/.exec(oom)?.[1] ?? '0').toBe('0');
    const all = Object.values(statuses).flat();
    expect(all).toHaveLength(80);
    expect(all.filter((status) => ![200, 429, 503].includes(status))).toEqual([]);
    // Shedding is not refusing everything: a large review was answered in full when it fitted (which one depends on
    // the order they met the gate), the deep one whenever the byte budget had room, and ordinary reviews still are.
    expect([...statuses['50,000 containers']!, ...statuses['3 MiB annotation']!]).toContain(200);
    expect(statuses['100,000-deep nesting']).toContain(200);
    expect(after).toEqual({ 'workspace pod': 200, '100,000-deep nesting': 200 });
  }, 600_000);
});

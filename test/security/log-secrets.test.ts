import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterFacts } from '../../src/core/cluster-facts.js';
import type { PersistentVolumeClaim, Pod } from '../../src/kube/kube-types.js';
import { fixture } from '../support/fixtures.js';
import { testApp, type LogCapture } from '../support/test-app.js';
import { post, startWebhook, type RunningWebhook } from '../hostile/support/running-webhook.js';
import { reviewText } from '../hostile/support/reviews.js';

/** Values that must never reach a log line, in any of the places objects carry them. */
const SECRETS = {
  env: 'env-SECRET-9f3b1c7e-do-not-log',
  annotation: 'annotation-SECRET-4d2a8b60-do-not-log',
  data: 'data-SECRET-7c1e5f33-do-not-log',
  args: 'args-SECRET-2b9d4e81-do-not-log',
  pvc: 'pvc-SECRET-6a3f0d92-do-not-log',
};
const FORMS = Object.values(SECRETS).flatMap((secret) => [secret, Buffer.from(secret).toString('base64').slice(0, 24)]);

/** The workspace pod carrying every secret: env value, annotation, configMap-style data, container args. */
function secretPod(): Pod & Record<string, unknown> {
  const pod = fixture<Pod>('pods/coder-kubernetes-template.json') as Pod & Record<string, unknown>;
  const container = pod.spec!.containers![0]!;
  container.env!.push({ name: 'DB_PASSWORD', value: SECRETS.env });
  container.args = ['--token', SECRETS.args];
  (pod.metadata!.annotations ??= {})['example.com/api-key'] = SECRETS.annotation;
  pod.data = { 'password.txt': SECRETS.data };
  return pod;
}

function secretPvc(): PersistentVolumeClaim {
  const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
  pvc.metadata!.annotations = { ...pvc.metadata!.annotations, 'example.com/token': SECRETS.pvc };
  return pvc;
}

/** Every way a request carrying the secrets can go: mutated, audited, skipped, malformed, refused, unparsable. */
function hostileBodies(): { name: string; body: string | Buffer; headers?: Record<string, string> }[] {
  const malformed = secretPod();
  (malformed.spec as Record<string, unknown>).containers = 'x';
  (malformed.spec as Record<string, unknown>).initContainers = [{ name: 'init', env: [{ name: 'P', value: SECRETS.env }] }];
  const badVolumes = secretPod();
  (badVolumes.spec as Record<string, unknown>).volumes = 5;
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'creds', namespace: 'coder' }, data: { password: SECRETS.data } };
  const valid = reviewText(secretPod());
  return [
    { name: 'workspace pod', body: valid },
    { name: 'workspace PVC', body: reviewText(secretPvc()) },
    { name: 'malformed pod (containers "x")', body: reviewText(malformed) },
    { name: 'malformed pod (volumes 5)', body: reviewText(badVolumes) },
    { name: 'a ConfigMap', body: reviewText(configMap, { kind: { group: '', version: 'v1', kind: 'ConfigMap' } }) },
    { name: 'an UPDATE with oldObject', body: reviewText(secretPod(), { operation: 'UPDATE', oldObject: secretPod() }) },
    { name: 'a wrong apiVersion', body: valid.replace('admission.k8s.io/v1', 'admission.k8s.io/v9') },
    { name: 'invalid JSON right after a secret', body: valid.replace(`"${SECRETS.env}"`, `"${SECRETS.env}"}}}`) },
    { name: 'invalid JSON inside a secret', body: valid.replace(SECRETS.env, `${SECRETS.env.slice(0, 10)}"${SECRETS.env.slice(10)}`) },
    { name: 'a gzip body', body: gzipSync(valid), headers: { 'content-encoding': 'gzip' } },
    { name: 'a text/plain body', body: valid, headers: { 'content-type': 'text/plain' } },
    { name: 'an oversized body', body: valid.replace(SECRETS.env, SECRETS.env.repeat(300_000)) },
  ];
}

/** Lines that contain any form of any secret. */
function leaks(raw: readonly string[]): string[] {
  return raw.filter((line) => FORMS.some((form) => line.includes(form))).map((line) => line.slice(0, 300));
}

describe('logs never carry object contents (app.inject)', () => {
  const throwing: ClusterFacts = {
    status: () => { throw new Error('facts exploded'); },
    claim: () => { throw new Error('facts exploded'); },
    volume: () => { throw new Error('facts exploded'); },
    replicaNodes: () => { throw new Error('facts exploded'); },
    node: () => { throw new Error('facts exploded'); },
    storageClass: () => { throw new Error('facts exploded'); },
  };
  const apps: { name: string; app: FastifyInstance; logs: LogCapture }[] = [];
  beforeAll(() => {
    for (const [name, facts] of [['in-memory facts', undefined], ['facts that throw', throwing]] as const) {
      apps.push({ name, ...testApp({ config: { tmpfs: { projects: ['/home/coder/app'] } }, ...(facts ? { facts } : {}) }) });
    }
  });
  afterAll(() => Promise.all(apps.map(({ app }) => app.close())));

  it('not in any line, for every request on /mutate and /audit, on success and on every error path', async () => {
    for (const { app } of apps) {
      for (const url of ['/mutate', '/audit']) {
        for (const { body, headers } of hostileBodies()) {
          const response = await app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', ...headers } });
          expect(response.statusCode).toBeLessThan(500);
        }
      }
    }
    for (const { name, logs } of apps) {
      expect({ name, leaks: leaks(logs.raw) }).toEqual({ name, leaks: [] });
    }
    // The scan covered every kind of line: decisions, refusals, framework errors and internal errors.
    const messages = apps.flatMap(({ logs }) => logs.lines.map((line) => line.msg));
    for (const message of ['admission review', 'not an admission review', 'bad request', 'admission review failed']) {
      expect(messages).toContain(message);
    }
    // With throwing facts, both workspace pod reviews (/mutate, /audit) reach the facts and fail inside the decision.
    expect(messages.filter((message) => message === 'admission review failed')).toHaveLength(2);
  });
});

describe('logs never carry object contents (real HTTPS server)', () => {
  let webhook: RunningWebhook;
  beforeAll(async () => {
    webhook = await startWebhook({ LOG_LEVEL: 'debug' });
  });
  afterAll(() => webhook.stop());

  it('not in any line from start-up to shutdown', async () => {
    for (const url of ['/mutate', '/audit']) {
      for (const { body, headers } of hostileBodies()) {
        const response = await post(webhook, url, body, headers ? { headers } : {}).catch((error: Error) => ({ status: 0, body: error.message }));
        expect(response.status).toBeLessThan(500);
      }
    }
    await webhook.stop();
    expect(webhook.logs.lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['serving admission reviews', 'admission review', 'shut down']));
    expect(leaks(webhook.logs.raw)).toEqual([]);
  });
});

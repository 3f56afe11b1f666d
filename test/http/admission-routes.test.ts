import { afterEach, describe, expect, it } from 'vitest';
import fastJsonPatch from 'fast-json-patch';
import type { FastifyInstance } from 'fastify';
import type { ClusterFacts } from '../../src/core/cluster-facts.js';
import type { PersistentVolumeClaim, Pod } from '../../src/kube/kube-types.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor, testApp } from '../support/test-app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function decodePatch(patch: string): fastJsonPatch.Operation[] {
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as fastJsonPatch.Operation[];
}

describe('POST /mutate and /audit', () => {
  it('answers a Coder pod review with a JSON patch that mounts tmpfs, echoing uid and apiVersion', async () => {
    const built = testApp();
    app = built.app;
    const pod = fixture('pods/coder-kubernetes-template.json');
    const response = await app.inject({ method: 'POST', url: '/mutate?timeout=10s', payload: reviewFor(pod) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002');
    expect(body.response.allowed).toBe(true);
    expect(body.response.patchType).toBe('JSONPatch');
    const patched = fastJsonPatch.applyPatch(structuredClone(pod), decodePatch(body.response.patch), true, false).newDocument as Pod;
    const paths = patched.spec!.containers![0]!.volumeMounts!.map((m) => m.mountPath);
    expect(paths).toEqual(['/home/coder', '/home/coder/app/node_modules', '/home/coder/app/.next']);
    expect(body.response.warnings).toEqual(['workspace-storage: container dev: memory limit 2Gi < tmpfs 24Gi + request 512Mi']);
    expect(body.response.auditAnnotations).toMatchObject({
      mode: 'enforce', outcome: 'mutated',
      tmpfs: '/home/coder/app/node_modules=16Gi in dev; /home/coder/app/.next=8Gi in dev; project dirs /home/coder/app created as uid 1000',
    });
    expect(patched.spec!.initContainers!.map((init) => init.name)).toEqual(['workspace-storage-project-dirs']);
  });

  it.each([
    ['/mutate', 'skipped', undefined],
    ['/audit', 'skipped', undefined],
    ['/mutate-all', 'mutated', 'JSONPatch'],
    ['/audit-all', 'would-mutate', undefined],
  ])('an unlabelled envbox pod on %s (only workspaces=all namespaces route to the -all paths): %s', async (url, outcome, patchType) => {
    app = testApp().app;
    const pod = fixture('pods/coder-envbox.json');
    const body = (await app.inject({ method: 'POST', url, payload: reviewFor(pod) })).json();
    expect(body.response.allowed).toBe(true);
    expect(body.response.patchType).toBe(patchType);
    if (outcome === 'skipped') expect(body.response.auditAnnotations).toBeUndefined();
    else expect(body.response.auditAnnotations).toMatchObject({ outcome });
    if (patchType !== undefined) {
      const patched = fastJsonPatch.applyPatch(structuredClone(pod), decodePatch(body.response.patch), true, false).newDocument as Pod;
      expect(patched.spec!.containers![0]!.volumeMounts!.map((m) => m.mountPath)).toContain('/home/coder/app/node_modules');
    }
  });

  it('echoes admission.k8s.io/v1beta1', async () => {
    app = testApp().app;
    const review = { ...reviewFor(fixture('pods/coder-kubernetes-template.json')), apiVersion: 'admission.k8s.io/v1beta1' };
    const body = (await app.inject({ method: 'POST', url: '/mutate', payload: review })).json();
    expect(body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(body.response.patchType).toBe('JSONPatch');
  });

  it('in audit mode makes the same decision but sends no patch, only warnings', async () => {
    app = testApp().app;
    const body = (await app.inject({ method: 'POST', url: '/audit', payload: reviewFor(fixture('pods/coder-kubernetes-template.json')) })).json();
    expect(body.response.allowed).toBe(true);
    expect(body.response.patch).toBeUndefined();
    expect(body.response.patchType).toBeUndefined();
    expect(body.response.warnings).toContain('workspace-storage: would mount tmpfs /home/coder/app/node_modules=16Gi in dev');
    expect(body.response.auditAnnotations).toMatchObject({ mode: 'audit', outcome: 'would-mutate' });
  });

  it('allows non-workspace objects and other operations unchanged', async () => {
    app = testApp().app;
    for (const review of [
      reviewFor(fixture('pods/not-a-workspace.json')),
      reviewFor(fixture('pods/coder-kubernetes-template.json'), { operation: 'UPDATE' }),
      reviewFor(fixture('pods/coder-kubernetes-template.json'), { operation: 'DELETE', object: null }),
    ]) {
      const body = (await app.inject({ method: 'POST', url: '/mutate', payload: review })).json();
      expect(body.response).toEqual({ uid: review.request.uid, allowed: true });
    }
  });

  it('rewrites a workspace PVC', async () => {
    app = testApp().app;
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    const body = (await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(pvc) })).json();
    const patched = fastJsonPatch.applyPatch(structuredClone(pvc), decodePatch(body.response.patch), true, false).newDocument;
    expect(patched.spec?.storageClassName).toBe('local-path');
    expect(body.response.auditAnnotations['storage-class']).toBe('longhorn->local-path');
  });

  it('writes one audit line per review with identifiers and operations, never the object', async () => {
    const built = testApp();
    app = built.app;
    const pod = fixture('pods/coder-kubernetes-template.json');
    await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(pod, { dryRun: true }) });
    const reviews = built.logs.lines.filter((line) => line.msg === 'admission review');
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002', kind: 'Pod', operation: 'CREATE', namespace: 'coder-workspaces',
      generateName: pod.metadata!.generateName, user: 'system:serviceaccount:kube-system:replicaset-controller',
      dryRun: true, mode: 'enforce', outcome: 'mutated', reason: 'workspace pod: tmpfs',
    });
    expect(reviews[0]!.operations).toEqual([
      { op: 'add', path: '/spec/volumes/-' }, { op: 'add', path: '/spec/volumes/-' },
      { op: 'add', path: '/spec/containers/0/volumeMounts/-' }, { op: 'add', path: '/spec/containers/0/volumeMounts/-' },
      { op: 'add', path: '/spec/initContainers' }, { op: 'add', path: '/metadata/annotations' },
    ]);
    expect(typeof reviews[0]!.durationMs).toBe('number');
    const everything = built.logs.raw.join('\n');
    expect(everything).not.toContain('s3cr3t-agent-token-do-not-log');
    expect(everything).not.toContain('alice@example.com');
  });

  it('answers an error inside the decision with allowed, a warning and an error log, never a 500', async () => {
    const broken: ClusterFacts = {
      status: () => { throw new Error('cache exploded'); },
      claim: () => undefined, volume: () => undefined, replicaNodes: () => undefined, node: () => undefined, storageClass: () => undefined,
    };
    const built = testApp({ facts: broken });
    app = built.app;
    const response = await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(fixture('pods/coder-kubernetes-template.json')) });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.response).toMatchObject({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(body.response.patch).toBeUndefined();
    expect(body.response.warnings[0]).toMatch(/internal error; the object was admitted unchanged/);
    const errors = built.logs.lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ outcome: 'error', err: { message: 'cache exploded' } });
  });
});

describe('bad input', () => {
  it.each([
    ['not JSON', '{"apiVersion": ', 'application/json', 400, /body is not valid JSON/],
    ['a JSON array', '[1,2]', 'application/json', 400, /body must be a JSON object/],
    ['no request', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', 'application/json', 400, /request is missing/],
    ['no uid', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}', 'application/json', 400, /request.uid must be/],
    ['wrong apiVersion', '{"apiVersion":"v1","kind":"AdmissionReview","request":{"uid":"u1"}}', 'application/json', 400, /apiVersion must be admission.k8s.io\/v1/],
    ['wrong kind', '{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u1"}}', 'application/json', 400, /kind must be AdmissionReview/],
    ['text/plain', 'hello', 'text/plain', 415, /Unsupported Media Type|content-type/i],
  ])('%s -> %i with a JSON error', async (_name, payload, contentType, status, message) => {
    app = testApp().app;
    const response = await app.inject({ method: 'POST', url: '/mutate', payload, headers: { 'content-type': contentType } });
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(body.statusCode).toBe(status);
    expect(body.message).toMatch(message);
  });

  it('carries the uid in the error when the body had one', async () => {
    app = testApp().app;
    const response = await app.inject({
      method: 'POST', url: '/mutate',
      payload: { apiVersion: 'admission.k8s.io/v9', kind: 'AdmissionReview', request: { uid: 'abc-123' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().uid).toBe('abc-123');
  });

  it('refuses gzip bodies with 415', async () => {
    app = testApp().app;
    const response = await app.inject({
      method: 'POST', url: '/mutate', payload: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().message).toMatch(/Content-Encoding gzip is not supported/);
  });

  it('accepts a 6 MiB review and answers 413 above 7 MiB', async () => {
    app = testApp().app;
    const pod = fixture('pods/coder-kubernetes-template.json');
    (pod.metadata!.annotations ??= {}).big = 'x'.repeat(6 * 1024 * 1024);
    const ok = await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(pod) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().response.patchType).toBe('JSONPatch');
    (pod.metadata!.annotations ??= {}).big = 'x'.repeat(7 * 1024 * 1024 + 1);
    const tooLarge = await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(pod) });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error).toBe('Payload Too Large');
  });

  it('answers 404 with JSON for unknown routes', async () => {
    app = testApp().app;
    const response = await app.inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toBe('no route GET /nope');
  });
});

describe('health, readiness, metrics', () => {
  it('reports liveness, readiness with detail and Prometheus metrics', async () => {
    let ready = false;
    const built = testApp({ readiness: () => ({ ready, detail: { coLocation: { state: ready ? 'synced' : 'syncing' } } }) });
    app = built.app;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ status: 'not ready', coLocation: { state: 'syncing' } });
    ready = true;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready' });

    await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(fixture('pods/coder-kubernetes-template.json')) });
    await app.inject({ method: 'POST', url: '/mutate', payload: 'nope', headers: { 'content-type': 'application/json' } });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('workspace_storage_webhook_reviews_total{kind="Pod",operation="CREATE",mode="enforce",outcome="mutated"} 1');
    expect(metrics).toContain('workspace_storage_webhook_mutations_total{type="tmpfs",mode="enforce"} 1');
    expect(metrics).toContain('workspace_storage_webhook_invalid_requests_total{code="400"} 1');
    expect(metrics).toContain('workspace_storage_webhook_review_duration_seconds_count{mode="enforce"} 1');
  });
});

describe('warning cap', () => {
  it('sends at most 20 warnings, the last one counting the rest', async () => {
    app = testApp().app;
    const pod = fixture('pods/coder-kubernetes-template.json');
    const dev = pod.spec!.containers![0]!;
    pod.spec!.containers = Array.from({ length: 30 }, (_, index) => ({ ...structuredClone(dev), name: `dev-${index}` }));
    const body = (await app.inject({ method: 'POST', url: '/mutate', payload: reviewFor(pod) })).json();
    expect(body.response.patchType).toBe('JSONPatch');
    expect(body.response.warnings).toHaveLength(20);
    expect(body.response.warnings[0]).toMatch(/container dev-0: memory limit 2Gi/);
    expect(body.response.warnings[19]).toBe('workspace-storage: and 11 more warnings (see the webhook log)');
  });
});

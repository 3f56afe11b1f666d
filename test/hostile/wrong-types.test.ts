import fastJsonPatch from 'fast-json-patch';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type LogCapture } from '../support/test-app.js';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';

let app: FastifyInstance;
let logs: LogCapture;
beforeAll(() => {
  // Every plan on: tmpfs, engine storage (podman reads env HOME), co-location facts (empty, synced).
  ({ app, logs } = testApp({ config: { tmpfs: { projects: ['/home/coder/app'] }, containerStorage: { paths: ['/var/lib/docker'] } } }));
});
afterAll(() => app.close());

async function send(payload: string) {
  return app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload });
}

const WRONG_VALUES: readonly unknown[] = [5, 'x', null, true, [], {}, [null], [5], [{}]];
const PLACES: readonly (readonly (string | number)[])[] = [
  ['spec'], ['metadata'], ['metadata', 'labels'], ['metadata', 'annotations'], ['metadata', 'name'],
  ['spec', 'containers'], ['spec', 'containers', 0], ['spec', 'containers', 0, 'name'],
  ['spec', 'containers', 0, 'volumeMounts'], ['spec', 'containers', 0, 'volumeMounts', 0], ['spec', 'containers', 0, 'volumeMounts', 0, 'mountPath'],
  ['spec', 'containers', 0, 'env'], ['spec', 'containers', 0, 'env', 0], ['spec', 'containers', 0, 'resources'],
  ['spec', 'containers', 0, 'resources', 'limits'], ['spec', 'containers', 0, 'resources', 'limits', 'memory'],
  ['spec', 'containers', 0, 'securityContext'], ['spec', 'containers', 0, 'image'],
  ['spec', 'volumes'], ['spec', 'volumes', 0], ['spec', 'volumes', 0, 'name'], ['spec', 'volumes', 0, 'persistentVolumeClaim'],
  ['spec', 'volumes', 0, 'persistentVolumeClaim', 'claimName'], ['spec', 'runtimeClassName'],
  ['spec', 'affinity'], ['spec', 'affinity', 'nodeAffinity'],
];

/** The workspace pod (asking for podman storage too) with the value at `path` replaced. */
function podWith(path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const pod = workspacePod() as unknown as Record<string, unknown>;
  ((pod.metadata as { annotations?: Record<string, string> }).annotations ??= {})['workspace-storage.dev/container-storage'] = 'podman';
  let cursor = pod as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  cursor[path.at(-1) as string | number] = structuredClone(value);
  return pod;
}

describe('values of the wrong type inside request.object', () => {
  const cases = PLACES.flatMap((path) => WRONG_VALUES.map((value) => [path.join('.'), JSON.stringify(value), path, value] as const));
  it.each(cases)('%s = %s: allowed with the uid, no internal error, any patch applies', async (_path, _text, path, value) => {
    const pod = podWith(path, value);
    const response = await send(reviewText(pod));
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response.body);
    expect(answer).toMatchObject({ uid: HOSTILE_UID, allowed: true });
    expect(answer.warnings ?? []).not.toContainEqual(expect.stringMatching(/internal error/));
    if (answer.patch) fastJsonPatch.applyPatch(pod, answer.patch as fastJsonPatch.Operation[], true, false);
  });

  it('logged no failure for any of them', () => {
    expect(logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

describe('envelopes of the wrong shape', () => {
  const review = () => JSON.parse(reviewText(workspacePod())) as Record<string, unknown> & { request: Record<string, unknown> };
  it.each([
    ['apiVersion missing', (r: ReturnType<typeof review>) => { delete r.apiVersion; }],
    ['apiVersion admission.k8s.io/v2', (r: ReturnType<typeof review>) => { r.apiVersion = 'admission.k8s.io/v2'; }],
    ['apiVersion a number', (r: ReturnType<typeof review>) => { r.apiVersion = 1; }],
    ['kind missing', (r: ReturnType<typeof review>) => { delete r.kind; }],
    ['kind Pod', (r: ReturnType<typeof review>) => { r.kind = 'Pod'; }],
    ['kind an object', (r: ReturnType<typeof review>) => { r.kind = { kind: 'AdmissionReview' }; }],
    ['request.kind a string', (r: ReturnType<typeof review>) => { r.request.kind = 'Pod'; }],
    ['request.operation a number', (r: ReturnType<typeof review>) => { r.request.operation = 1; }],
    ['request.namespace an object', (r: ReturnType<typeof review>) => { r.request.namespace = {}; }],
  ])('%s: 400 with a JSON error body that carries the uid', async (_name, spoil) => {
    const body = review();
    spoil(body);
    const response = await send(JSON.stringify(body));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String), uid: HOSTILE_UID });
  });

  it.each([
    ['request missing', (r: ReturnType<typeof review>) => { Reflect.deleteProperty(r, 'request'); }],
    ['request an array', (r: ReturnType<typeof review>) => { r.request = [] as never; }],
    ['request.uid a number', (r: ReturnType<typeof review>) => { r.request.uid = 42; }],
    ['request.uid empty', (r: ReturnType<typeof review>) => { r.request.uid = ''; }],
  ])('%s: 400 with a JSON error body', async (_name, spoil) => {
    const body = review();
    spoil(body);
    const response = await send(JSON.stringify(body));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/request/) });
  });

  it.each([null, 5, 'pod', []])('request.object %j: allowed unchanged with the uid', async (object) => {
    const body = review();
    body.request.object = object;
    const response = await send(JSON.stringify(body));
    expect(response.statusCode).toBe(200);
    expect(response.json().response).toEqual({ uid: HOSTILE_UID, allowed: true });
  });
});

describe('duplicate JSON keys (hand-written text)', () => {
  it('the last uid wins, as in JSON.parse and Go: answered with it', async () => {
    const text = reviewText(workspacePod()).replace(`"uid":"${HOSTILE_UID}"`, `"uid":"first","uid":"${HOSTILE_UID}"`);
    expect(answerOf((await send(text)).body).uid).toBe(HOSTILE_UID);
  });

  it('a second "object" replaces the first: the decision is on the last one', async () => {
    const text = reviewText(workspacePod()).replace('"object":{', '"object":{"kind":"Pod"},"object":{');
    const answer = answerOf((await send(text)).body);
    expect(answer.patch).toEqual(expect.any(Array));
  });

  it('a duplicated label key: the last value decides whether the pod is a workspace', async () => {
    // The devcontainer template's pods carry only this one label.
    const pod = workspacePod();
    pod.metadata!.labels = { 'app.kubernetes.io/name': 'coder-workspace' };
    const duplicated = (first: string, last: string) => reviewText(pod)
      .replace('"app.kubernetes.io/name":"coder-workspace"', `"app.kubernetes.io/name":"${first}","app.kubernetes.io/name":"${last}"`);
    expect(answerOf((await send(duplicated('coder-workspace', 'other'))).body).patch).toBeUndefined();
    expect(answerOf((await send(duplicated('other', 'coder-workspace'))).body).patch).toEqual(expect.any(Array));
  });

  it('duplicate volumeMounts keys in a container: the patch still applies to what the API server parsed', async () => {
    const text = reviewText(workspacePod()).replace('"volumeMounts":[', '"volumeMounts":{},"volumeMounts":[');
    const response = await send(text);
    const answer = answerOf(response.body);
    fastJsonPatch.applyPatch(JSON.parse(text).request.object, answer.patch as fastJsonPatch.Operation[], true, false);
  });
});

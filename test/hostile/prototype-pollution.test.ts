import fastJsonPatch from 'fast-json-patch';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim, Pod } from '../../src/kube/kube-types.js';
import { fixture } from '../support/fixtures.js';
import { testApp } from '../support/test-app.js';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';

const POISON = '{"polluted":"yes","toString":"pwned","workspace-storage.dev/projects":"/etc","app.kubernetes.io/name":"coder-workspace"}';
const KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Object.prototype as it was before any request: names and descriptors of its own properties. */
function prototypeSnapshot(): string {
  return Object.getOwnPropertyNames(Object.prototype).sort()
    .map((name) => `${name}:${typeof Object.getOwnPropertyDescriptor(Object.prototype, name)?.value}`).join(',');
}

/** Inserts `"key": POISON` as the first member of the object that starts right after `anchor` in the JSON text. */
function poisonAfter(text: string, anchor: string, key: string): string {
  const at = text.indexOf(anchor);
  if (at === -1) throw new Error(`anchor ${anchor} not found`);
  const open = text.indexOf('{', at + anchor.length - 1);
  return `${text.slice(0, open + 1)}"${key}":${key === 'constructor' ? `{"prototype":${POISON}}` : POISON},${text.slice(open + 1)}`;
}

let app: FastifyInstance;
const before = prototypeSnapshot();
beforeAll(() => {
  app = testApp({ config: { tmpfs: { projects: ['/home/coder/app'] } } }).app;
});
afterAll(() => app.close());

async function send(payload: string, url = '/mutate') {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
}

const PLACES = [
  ['the body', '{'], ['request', '"request":{'], ['request.kind', '"kind":{"group"'], ['request.object', '"object":{'],
  ['metadata', '"metadata":{'], ['labels', '"labels":{'], ['annotations', '"annotations":{'], ['spec', '"spec":{'],
  ['a container', '"containers":[{'], ['a volume mount', '"volumeMounts":[{'], ['a volume', '"volumes":[{'],
  ['affinity', '"affinity":{'], ['userInfo', '"userInfo":{'],
] as const;

describe.each(KEYS)('"%s" keys in the request', (key) => {
  it.each(PLACES)('in %s: answered like the clean review, no prototype polluted', async (_where, anchor) => {
    const clean = await send(reviewText(workspacePod()));
    const response = await send(poisonAfter(reviewText(workspacePod()), anchor, key));
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response.body);
    expect(answer.uid).toBe(HOSTILE_UID);
    // The same decision as without the key: the poison's projects and labels were not read through the prototype.
    expect(answer.patch).toEqual(answerOf(clean.body).patch);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toBe(before);
  });
});

describe('prototype keys where the webhook looks things up by name', () => {
  it('labels holding only "__proto__": {workspace label} do not make a pod a workspace', async () => {
    const pod = workspacePod();
    const text = reviewText(pod).replace(/"labels":\{[^}]*\}/, `"labels":{"__proto__":${POISON}}`);
    const answer = answerOf((await send(text)).body);
    expect(answer.patch).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('a PVC whose class is "%s" is left alone', async (className) => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.spec!.storageClassName = className;
    pvc.metadata!.annotations = { 'volume.beta.kubernetes.io/storage-class': className };
    const response = await send(reviewText(pvc));
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toMatchObject({ uid: HOSTILE_UID, allowed: true });
    expect(answerOf(response.body).patch).toBeUndefined();
  });

  it('volume and container names "__proto__" / "constructor" still get a patch that applies', async () => {
    const pod = workspacePod();
    const text = reviewText(pod).replaceAll('"name":"home"', '"name":"__proto__"').replace('"name":"dev"', '"name":"constructor"');
    const answer = answerOf((await send(text)).body);
    const patched = fastJsonPatch.applyPatch(JSON.parse(text).request.object, answer.patch as fastJsonPatch.Operation[], true, false).newDocument as Pod;
    expect(patched.spec!.containers![0]!.volumeMounts!.map((mount) => mount.mountPath)).toContain('/home/coder/app/node_modules');
  });

  it('the audit endpoint too leaves Object.prototype as it was', async () => {
    const response = await send(poisonAfter(reviewText(workspacePod()), '"object":{', '__proto__'), '/audit');
    expect(response.statusCode).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toBe(before);
  });
});

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retainedHeapMiB } from './support/heap.js';
import { quietApp, type LogTally } from './support/quiet-app.js';
import { answerOf, HOSTILE_UID, reviewText, spliceIntoPod, workspacePod } from './support/reviews.js';

const DEPTH = 100_000;
const deepArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const deepObject = '{"a":'.repeat(DEPTH) + 'null' + '}'.repeat(DEPTH);

let app: FastifyInstance;
let logs: LogTally;
beforeAll(() => {
  ({ app, logs } = quietApp());
});
afterAll(() => app.close());

async function send(payload: string) {
  const started = performance.now();
  const response = await app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload });
  return { response, ms: Math.round(performance.now() - started) };
}

describe('100,000-deep JSON', () => {
  it.each([
    ['an array as request.object', 'object', deepArray, false],
    ['an object as request.object', 'object', deepObject, false],
    ['an object beside spec.containers', 'spec', deepObject, true],
    ['an array inside a container env var', 'env', deepArray, true],
    ['an object among the annotations', 'annotations', deepObject, true],
  ] as const)('%s: answered 200 with the uid, the pod still patched when it is one', async (name, where, value, patched) => {
    const { response, ms } = await send(spliceIntoPod(where, value));
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response.body);
    expect(answer).toMatchObject({ uid: HOSTILE_UID, allowed: true });
    expect(answer.patch !== undefined).toBe(patched);
    expect(ms).toBeLessThan(5_000);
    console.info(`100k-deep JSON (${name}): answered in ${ms} ms`);
  });

  it('as the whole body: 400 with a JSON error body', async () => {
    const { response } = await send(deepArray);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/AdmissionReview/) });
  });

  it('leaves the app answering, nothing logged as failed, and the heap near where it started', async () => {
    const before = retainedHeapMiB();
    for (let round = 0; round < 10; round++) await send(spliceIntoPod('spec', deepObject));
    const after = retainedHeapMiB();
    const { response } = await send(reviewText(workspacePod()));
    expect(response.statusCode).toBe(200);
    expect(logs.count('request failed') + logs.count('admission review failed')).toBe(0);
    expect(logs.count('admission review')).toBeGreaterThanOrEqual(16);
    expect(after - before).toBeLessThan(16);
  });
});

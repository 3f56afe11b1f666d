import fastJsonPatch from 'fast-json-patch';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/kube/kube-types.js';
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js';
import { retainedHeapMiB } from './support/heap.js';
import { quietApp, type LogTally } from './support/quiet-app.js';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';

const MiB = 1024 * 1024;
let app: FastifyInstance;
let logs: LogTally;
let baselineMiB: number;

beforeAll(async () => {
  ({ app, logs } = quietApp());
  await send(reviewText(workspacePod()));
  baselineMiB = retainedHeapMiB();
});
afterAll(() => app.close());

async function send(payload: string) {
  const started = performance.now();
  const response = await app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload });
  return { response, ms: Math.round(performance.now() - started) };
}

/** The workspace pod review padded with an annotation so that the whole body is exactly `bytes` long. */
function reviewOfSize(bytes: number): string {
  const pod = workspacePod();
  (pod.metadata!.annotations ??= {}).filler = '';
  const bare = reviewText(pod);
  (pod.metadata!.annotations ??= {}).filler = 'f'.repeat(bytes - Buffer.byteLength(bare));
  return reviewText(pod);
}

describe('big bodies', () => {
  it('50,000 containers mounting the home PVC: each gets its tmpfs, in one patch that applies', async () => {
    const pod = workspacePod();
    pod.spec!.containers = Array.from({ length: 50_000 }, (_, index) => ({
      name: `c${index}`, image: 'busybox', volumeMounts: [{ name: 'home', mountPath: '/home/coder' }],
    }));
    const body = reviewText(pod);
    expect(Buffer.byteLength(body)).toBeLessThan(BODY_LIMIT_BYTES);
    const { response, ms } = await send(body);
    expect(response.statusCode).toBe(200);
    const answer = answerOf(response.body);
    expect(answer.uid).toBe(HOSTILE_UID);
    const patched = fastJsonPatch.applyPatch(pod, answer.patch as fastJsonPatch.Operation[], true, false).newDocument as Pod;
    const withTmpfs = patched.spec!.containers!.filter((container) => container.volumeMounts?.length === 3).length;
    expect(withTmpfs).toBe(50_000);
    console.info(`50,000 containers (${(Buffer.byteLength(body) / MiB).toFixed(1)} MiB): answered in ${ms} ms`);
  });

  it.each([1, 3, 6.5])('a %s MiB string value inside the pod: answered 200 with the patch', async (mebibytes) => {
    const pod = workspacePod();
    pod.spec!.containers![0]!.env!.push({ name: 'BLOB', value: 'x'.repeat(Math.floor(mebibytes * MiB)) });
    const { response, ms } = await send(reviewText(pod));
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toMatchObject({ uid: HOSTILE_UID, allowed: true, patch: expect.any(Array) });
    console.info(`${mebibytes} MiB string: answered in ${ms} ms`);
  });

  it('a body of exactly 7 MiB is answered; one byte more is 413 with a JSON error body', async () => {
    const atLimit = await send(reviewOfSize(BODY_LIMIT_BYTES));
    expect(atLimit.response.statusCode).toBe(200);
    expect(answerOf(atLimit.response.body).uid).toBe(HOSTILE_UID);
    const over = await send(reviewOfSize(BODY_LIMIT_BYTES + 1));
    expect(over.response.statusCode).toBe(413);
    expect(over.response.json()).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.any(String) });
  });

  it('20 MiB: 413, answered before the whole body is parsed', async () => {
    const { response, ms } = await send('{"pad":"' + 'x'.repeat(20 * MiB) + '"}');
    expect(response.statusCode).toBe(413);
    expect(ms).toBeLessThan(5_000);
  });

  it('a client posting reviews with megabyte kinds and operations does not grow the heap or /metrics', async () => {
    for (let index = 0; index < 20; index++) {
      const huge = `${index}`.padEnd(MiB, 'K');
      const { response } = await send(reviewText(workspacePod(), { kind: { group: '', version: 'v1', kind: huge }, operation: huge }));
      expect(response.statusCode).toBe(200);
    }
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body.length).toBeLessThan(64 * 1024);
  });

  it('afterwards: the app answers, nothing failed, and the retained heap is back near the baseline', async () => {
    const { response } = await send(reviewText(workspacePod()));
    expect(response.statusCode).toBe(200);
    expect(logs.count('request failed') + logs.count('admission review failed')).toBe(0);
    // Tolerant bound: these requests moved ~200 MiB through the heap; a leak of one body per request would show.
    const grownMiB = retainedHeapMiB() - baselineMiB;
    console.info(`retained heap after the big bodies: ${grownMiB.toFixed(1)} MiB above the baseline of ${baselineMiB.toFixed(1)} MiB`);
    expect(grownMiB).toBeLessThan(16);
  });
});

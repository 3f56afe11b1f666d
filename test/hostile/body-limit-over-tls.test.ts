import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/http/body-limit.js';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';
import { post, startWebhook, type RunningWebhook } from './support/running-webhook.js';

let webhook: RunningWebhook;
beforeAll(async () => {
  webhook = await startWebhook();
});
afterAll(() => webhook.stop());

/** The workspace pod review with a string of `bytes` in an env value. */
function reviewWithBlob(bytes: number): string {
  const pod = workspacePod();
  pod.spec!.containers![0]!.env!.push({ name: 'BLOB', value: 'x'.repeat(bytes) });
  return reviewText(pod);
}

describe('the body limit on the real listening server', () => {
  it('a 6 MiB review is answered with its patch', async () => {
    const response = await post(webhook, '/mutate', reviewWithBlob(6 * 1024 * 1024));
    expect(response.status).toBe(200);
    expect(answerOf(response.body)).toMatchObject({ uid: HOSTILE_UID, patch: expect.any(Array) });
  });

  it.each([
    ['Content-Length', {}],
    ['chunked transfer encoding (no length up front)', { 'transfer-encoding': 'chunked' }],
  ])('a body over 7 MiB sent with %s: 413 with a JSON error body', async (_how, headers) => {
    const body = reviewWithBlob(BODY_LIMIT_BYTES);
    const response = await post(webhook, '/mutate', body, { headers });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.any(String) });
  });

  it('the server answers the next review on a new connection', async () => {
    const response = await post(webhook, '/mutate', reviewText(workspacePod()));
    expect(response.status).toBe(200);
  });
});

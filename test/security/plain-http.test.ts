import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewText, workspacePod } from '../hostile/support/reviews.js';
import { post, startWebhook, type RunningWebhook } from '../hostile/support/running-webhook.js';

let webhook: RunningWebhook;
beforeAll(async () => {
  webhook = await startWebhook();
});
afterAll(() => webhook.stop());

/** Sends a review in plain HTTP to the webhook's port; resolves with what came back, or the client error. */
function plainPost(path: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: webhook.port, method: 'POST', path, headers: { 'content-type': 'application/json' }, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(reviewText(workspacePod()));
  });
}

describe('the admission endpoints over plain HTTP', () => {
  it.each(['/mutate', '/audit', '/healthz'])('%s: no answer, the connection is dropped', async (path) => {
    const result = await plainPost(path);
    expect(result).not.toHaveProperty('status');
    expect(result).toEqual({ error: expect.stringMatching(/ECONNRESET|socket hang up|EPIPE/) });
  });

  it('the same review over TLS is answered (the port is the webhook)', async () => {
    const response = await post(webhook, '/mutate', reviewText(workspacePod()));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).kind).toBe('AdmissionReview');
  });
});

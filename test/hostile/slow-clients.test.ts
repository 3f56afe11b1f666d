import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';
import { drip, ending, openTls, silentTcp } from './support/raw-clients.js';
import { post, startWebhook, type RunningWebhook } from './support/running-webhook.js';

// Small timeouts so the test takes seconds; production defaults are 10 s (headers) and 30 s (request).
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
// Deadlines are enforced when Node sweeps its connections (at most every second here), plus scheduling slack.
const SLACK_MS = 2_500;

let webhook: RunningWebhook;
beforeAll(async () => {
  webhook = await startWebhook({ HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_MS / 1000), REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_MS / 1000) });
});
afterAll(() => webhook.stop());

const requestHead = (length: number) =>
  `POST /mutate HTTP/1.1\r\nHost: ${'x'}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow and silent clients are cut off', () => {
  it('a TCP connection that never starts the TLS handshake: closed after the headers timeout', async () => {
    const started = performance.now();
    const socket = await silentTcp(webhook);
    const end = await ending(socket, started, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(end.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
  });

  it('a TLS connection that sends nothing: closed after the headers timeout', async () => {
    const started = performance.now();
    const socket = await openTls(webhook);
    const end = await ending(socket, started, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(end.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
  });

  it('headers sent one byte at a time, never finished: 408 and closed after the headers timeout', async () => {
    const started = performance.now();
    const socket = await openTls(webhook);
    drip(socket, requestHead(10).repeat(20), 50);
    const end = await ending(socket, started, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(end.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(end.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
  });

  it('headers complete, body never finished: 408 and closed after the request timeout', async () => {
    const started = performance.now();
    const socket = await openTls(webhook);
    const body = reviewText(workspacePod());
    socket.write(requestHead(Buffer.byteLength(body)));
    drip(socket, body.slice(0, 100), 100);
    const end = await ending(socket, started, REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(end.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(end.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
  });

  it('200 slow-loris connections at once: all cut off, and a real review is answered meanwhile', async () => {
    const started = performance.now();
    const sockets = await Promise.all(Array.from({ length: 200 }, async (_, index) => {
      const socket = index % 2 === 0 ? await openTls(webhook) : await silentTcp(webhook);
      if (index % 2 === 0) drip(socket, requestHead(10).repeat(10), 200);
      return socket;
    }));
    const endings = sockets.map((socket) => ending(socket, started, REQUEST_TIMEOUT_MS + SLACK_MS));
    const answer = await post(webhook, '/mutate', reviewText(workspacePod()));
    expect(answer.status).toBe(200);
    expect(answerOf(answer.body).uid).toBe(HOSTILE_UID);
    const results = await Promise.allSettled(endings);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(200);
  });

  it('after all that the server still answers, and nothing was logged as failed', async () => {
    const answer = await post(webhook, '/mutate', reviewText(workspacePod()));
    expect(answer.status).toBe(200);
    expect(webhook.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

import { deflateSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/test-app.js';
import { answerOf, HOSTILE_UID, reviewText, workspacePod } from './support/reviews.js';

let app: FastifyInstance;
beforeAll(() => {
  app = testApp().app;
});
afterAll(() => app.close());

const review = () => reviewText(workspacePod());
const post = (payload: string | Buffer, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/mutate', headers, payload });

/** The review's bytes with `bytes` put in place of the first occurrence of `marker`. */
function withBytes(marker: string, bytes: number[]): Buffer {
  const text = Buffer.from(review());
  const at = text.indexOf(marker);
  return Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at + Buffer.byteLength(marker))]);
}

const INVALID_UTF8 = [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80];

describe('invalid UTF-8 inside JSON strings', () => {
  it('in a label value: decoded with U+FFFD, answered 200 with the uid and the patch', async () => {
    const response = await post(withBytes('alice', INVALID_UTF8), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toMatchObject({ uid: HOSTILE_UID, allowed: true, patch: expect.any(Array) });
  });

  it('in an env value (where secrets live): answered 200 with the patch', async () => {
    const response = await post(withBytes('s3cr3t', INVALID_UTF8), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body).patch).toEqual(expect.any(Array));
  });

  it('in the uid: answered 200 echoing the uid as decoded (the API server never sends one: Go replaces them too)', async () => {
    const response = await post(withBytes('0b5e7c1a', [0xff]), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body).uid).toBe(HOSTILE_UID.replace('0b5e7c1a', '\ufffd'));
  });

  it('a NUL and lone surrogate escapes (valid JSON): answered 200', async () => {
    const text = review().replace('"alice"', '"a\\u0000\\ud800\\udfff\\ud800"');
    const response = await post(text, { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
  });
});

describe('compressed and mislabelled bodies', () => {
  it.each([
    ['gzip', gzipSync], ['deflate', deflateSync], ['br', gzipSync], ['identity, gzip', gzipSync],
  ] as const)('Content-Encoding %s: 415 with a JSON error body naming the encoding', async (encoding, compress) => {
    const response = await post(compress(review()), { 'content-type': 'application/json', 'content-encoding': encoding });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringContaining(encoding) });
  });

  it('gzip bytes sent as plain JSON: 400, not valid JSON', async () => {
    const response = await post(gzipSync(review()), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/not valid JSON/) });
  });

  it.each([
    'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-seq',
    'application/merge-patch+json', 'application/yaml', 'application/octet-stream',
  ])('Content-Type %s: 415 with a JSON error body', async (type) => {
    const response = await post(review(), { 'content-type': type });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
  });

  it('no Content-Type: 415', async () => {
    const response = await app.inject({ method: 'POST', url: '/mutate', payload: Buffer.from(review()) });
    expect(response.statusCode).toBe(415);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])('Content-Type %s: answered', async (type) => {
    const response = await post(review(), { 'content-type': type });
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body).uid).toBe(HOSTILE_UID);
  });

  it.each([
    ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(review())])],
    ['an empty body', Buffer.alloc(0)],
    ['a truncated review', Buffer.from(review().slice(0, 500))],
    ['NUL bytes', Buffer.alloc(64)],
  ])('%s: 400 with a JSON error body', async (_name, payload) => {
    const response = await post(payload, { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
  });
});

describe('the log line of a body that is not JSON', () => {
  it.each([
    ['a secret where a value should be quoted', '{"request": {"uid": "u", "token": s3cr3t-in-the-body}}'],
    ['a long unquoted run', `{"request": ${'x'.repeat(40)}s3cr3t-in-the-body${'z'.repeat(40)}}`],
    ['a secret after a truncated body', '{"request": {"env": "s3cr3t-in-the-body'],
  ])('%s: the parser\'s reason and position, never the body', async (_name, body) => {
    const built = testApp();
    try {
      const response = await built.app.inject({ method: 'POST', url: '/mutate', headers: { 'content-type': 'application/json' }, payload: body });
      expect(response.statusCode).toBe(400);
      const line = built.logs.lines.find((entry) => entry.msg === 'bad request');
      expect(line).toMatchObject({ statusCode: 400, url: '/mutate' });
      expect(String(line?.reason)).toMatch(/^body is not valid JSON: .*(JSON|position)/);
      expect(built.logs.raw.join('\n')).not.toContain('s3cr3t');
    } finally {
      await built.app.close();
    }
  });
});

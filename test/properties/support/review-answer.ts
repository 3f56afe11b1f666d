import fastJsonPatch from 'fast-json-patch';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** The request's uid when it is one the webhook must echo: a non-empty string of at most 256 characters. */
export function echoableUid(body: unknown): string | undefined {
  const request = (body as { request?: { uid?: unknown } } | null)?.request;
  const uid = typeof request === 'object' && request !== null ? request.uid : undefined;
  return typeof uid === 'string' && uid !== '' && uid.length <= 256 ? uid : undefined;
}

/**
 * Asserts the webhook's answer to `sent` is well formed: a 200 AdmissionReview (uid echoed, allowed, a patch that
 * is base64 of a JSON array and applies to request.object, warnings of at most 120 characters), or a 4xx with a
 * JSON error body {statusCode, error, message} carrying the uid when the request had one. Never a 5xx.
 */
export function expectWellFormedAnswer(response: LightMyRequestResponse, sent: unknown, mode: 'enforce' | 'audit'): void {
  expect(response.statusCode).toBeLessThan(500);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as Record<string, unknown>;
  const uid = echoableUid(sent);
  if (response.statusCode !== 200) {
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(body).toMatchObject({ statusCode: response.statusCode, error: expect.any(String), message: expect.any(String) });
    if (uid !== undefined) expect(body.uid).toBe(uid);
    return;
  }
  const review = sent as { apiVersion: string; request: { uid: string; object: unknown } };
  expect(body.kind).toBe('AdmissionReview');
  expect(body.apiVersion).toBe(review.apiVersion);
  const answer = body.response as Record<string, unknown>;
  expect(answer.uid).toBe(review.request.uid);
  expect(answer.allowed).toBe(true);
  for (const warning of (answer.warnings ?? []) as unknown[]) {
    expect(typeof warning).toBe('string');
    expect((warning as string).length).toBeLessThanOrEqual(120);
  }
  if (answer.patch === undefined) {
    expect(answer.patchType).toBeUndefined();
    return;
  }
  expect(mode).toBe('enforce');
  expect(answer.patchType).toBe('JSONPatch');
  const operations = JSON.parse(Buffer.from(answer.patch as string, 'base64').toString('utf8')) as unknown;
  expect(Array.isArray(operations)).toBe(true);
  // What the API server does next: apply it. A patch that does not apply fails the pod's creation.
  fastJsonPatch.applyPatch(structuredClone(review.request.object), operations as fastJsonPatch.Operation[], true, false);
}

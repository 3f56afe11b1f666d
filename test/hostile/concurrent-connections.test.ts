import fastJsonPatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/kube/kube-types.js';
import { fixture } from '../support/fixtures.js';
import { reviewFor } from '../support/test-app.js';
import { retainedHeapMiB } from './support/heap.js';
import { exchange, openTls } from './support/raw-clients.js';
import { post, startWebhook, type RunningWebhook } from './support/running-webhook.js';

const CONNECTIONS = 1_000;
let webhook: RunningWebhook;

beforeAll(async () => {
  // Generous deadlines: opening 1,000 TLS connections from this same process takes seconds, and the first ones
  // must not be cut off as slow clients while the last ones still handshake (slow-clients.test.ts covers that).
  webhook = await startWebhook({ HEADERS_TIMEOUT_SECONDS: '60', REQUEST_TIMEOUT_SECONDS: '60' });
});
afterAll(() => webhook.stop());

const pod = () => fixture<Pod>('pods/coder-kubernetes-template.json');
const openConnections = () => new Promise<number>((resolve, reject) =>
  webhook.server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

/** Whether `body` answers review `uid` with a patch that mounts node_modules on tmpfs in the pod. */
function answersCorrectly(status: number, body: string, uid: string): boolean {
  if (status !== 200) return false;
  const answer = JSON.parse(body).response;
  if (answer.uid !== uid || answer.allowed !== true) return false;
  const operations = JSON.parse(Buffer.from(answer.patch, 'base64').toString()) as fastJsonPatch.Operation[];
  const patched = fastJsonPatch.applyPatch(pod(), operations, true, false).newDocument as Pod;
  return patched.spec?.containers?.[0]?.volumeMounts?.some((mount) => mount.mountPath === '/home/coder/app/node_modules') ?? false;
}

describe('1,000 concurrent TLS connections', () => {
  it('held open together, then each sending one review at the same moment: all 1,000 answered correctly', async () => {
    await post(webhook, '/mutate', JSON.stringify(reviewFor(pod())));
    const baselineMiB = retainedHeapMiB();
    const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => openTls(webhook)));
    expect(await openConnections()).toBeGreaterThanOrEqual(CONNECTIONS);
    const started = performance.now();
    const responses = await Promise.all(sockets.map((socket, index) =>
      exchange(socket, '/mutate?timeout=10s', JSON.stringify(reviewFor(pod(), { uid: `held-${index}` })))));
    const elapsedMs = Math.round(performance.now() - started);
    const correct = responses.filter((response, index) => answersCorrectly(response.status, response.body, `held-${index}`)).length;
    expect(correct).toBe(CONNECTIONS);
    const logged = webhook.logs.lines.filter((line) => line.msg === 'admission review' && String(line.uid).startsWith('held-'));
    expect(logged).toHaveLength(CONNECTIONS);
    const grownMiB = retainedHeapMiB() - baselineMiB;
    console.info(`${CONNECTIONS} connections held open: ${correct} answered correctly, ${elapsedMs} ms from first request to last answer; retained heap +${grownMiB.toFixed(1)} MiB`);
    // Tolerant: this test still holds its 1,000 sockets and responses, and the log lines are captured in memory.
    expect(grownMiB).toBeLessThan(32);
  });

  it('1,000 requests in flight at once, each on a fresh connection: all answered correctly', async () => {
    const results = await Promise.allSettled(Array.from({ length: CONNECTIONS }, async (_, index) => {
      const response = await post(webhook, '/mutate', JSON.stringify(reviewFor(pod(), { uid: `fresh-${index}` })));
      return answersCorrectly(response.status, response.body, `fresh-${index}`);
    }));
    expect(results.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason))).toEqual([]);
    expect(results.filter((result) => result.status === 'fulfilled' && result.value)).toHaveLength(CONNECTIONS);
  });

  it('leave the server answering, with its connections closed again', async () => {
    const response = await post(webhook, '/mutate', JSON.stringify(reviewFor(pod())));
    expect(response.status).toBe(200);
    expect(await openConnections()).toBeLessThan(10);
  });
});

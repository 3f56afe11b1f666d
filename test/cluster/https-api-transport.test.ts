import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/cluster/list-watch/api-transport.js';
import type { ClusterAccess } from '../../src/cluster/credentials/cluster-access.js';
import { HttpsApiTransport } from '../../src/cluster/list-watch/https-api-transport.js';
import { kubeconfigAccess } from '../../src/cluster/credentials/kubeconfig-access.js';
import { createCertificateAuthority, issueServingCertificate } from '../e2e/harness/pki.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let server: Server;
let access: ClusterAccess;
let dir: string;
const seen: { url: string; authorization: string | undefined; accept: string | undefined }[] = [];

const event = (type: string, name: string) => JSON.stringify({ type, object: { metadata: { name, resourceVersion: '5' } } });

function status(res: ServerResponse, code: number, reason: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `${reason} for test` }));
}

beforeAll(async () => {
  const ca = createCertificateAuthority('transport-test-ca');
  const serving = issueServingCertificate(ca, { hosts: ['127.0.0.1'] });
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization, accept: req.headers.accept });
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    switch (path) {
      case '/list':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a' } }] }));
        return;
      case '/missing':
        status(res, 404, 'NotFound');
        return;
      case '/plain-500':
        res.writeHead(500);
        res.end('oops');
        return;
      case '/watch': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // One event torn across writes, two in one write, a blank line: framing must not depend on chunking.
        const all = `${event('ADDED', 'one')}\n${event('MODIFIED', 'two')}\n\n${event('DELETED', 'three')}\n`;
        res.write(all.slice(0, 17));
        setTimeout(() => res.write(all.slice(17, 90)), 10);
        setTimeout(() => res.end(all.slice(90)), 20);
        return;
      }
      case '/watch-gone':
        status(res, 410, 'Expired');
        return;
      case '/watch-cut':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${event('ADDED', 'one')}\n`);
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      case '/watch-torn':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":\n');
        return;
      case '/watch-hang':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${event('ADDED', 'one')}\n`);
        return;
      default:
        status(res, 404, 'NotFound');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), 'wsw-transport-'));
  const config = join(dir, 'config');
  writeFileSync(
    config,
    JSON.stringify({
      clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
      users: [{ name: 'u', user: { token: 'secret-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  const result = await kubeconfigAccess([config], 'test');
  if (!result.ok) throw new Error(result.reason);
  access = result.access;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const signal = () => new AbortController().signal;

function collect(path: string, abort = new AbortController()) {
  const events: unknown[] = [];
  let opened = 0;
  const done = new HttpsApiTransport(access).watch(path, abort.signal, { onOpen: () => (opened += 1), onEvent: (e) => events.push(e) });
  return { events, done, opened: () => opened, abort };
}

describe('HttpsApiTransport (TLS with the kubeconfig CA, bearer token)', () => {
  it('GETs JSON with the credentials', async () => {
    const body = await new HttpsApiTransport(access).getJson('/list?limit=500', signal());
    expect(body).toEqual({ metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a' } }] });
    expect(seen.at(-1)).toEqual({ url: '/list?limit=500', authorization: 'Bearer secret-token', accept: 'application/json' });
  });

  it('turns a Status answer into an ApiError with code and reason', async () => {
    const error = await new HttpsApiTransport(access).getJson('/missing', signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, reason: 'NotFound', message: 'NotFound for test' });
    const plain = await new HttpsApiTransport(access).getJson('/plain-500', signal()).catch((e: unknown) => e);
    expect(plain).toMatchObject({ status: 500, reason: '', message: 'HTTP 500' });
  });

  it('splits a watch stream into events whatever the chunking, and resolves at its end', async () => {
    const watch = collect('/watch?watch=1');
    await watch.done;
    expect(watch.opened()).toBe(1);
    expect(watch.events.map((e) => (e as { type: string }).type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('rejects a refused watch with the ApiError, before onOpen', async () => {
    const watch = collect('/watch-gone');
    await expect(watch.done).rejects.toMatchObject({ status: 410, reason: 'Expired' });
    expect(watch.opened()).toBe(0);
  });

  it('rejects when the connection is cut mid-stream, after delivering what came before', async () => {
    const watch = collect('/watch-cut');
    await expect(watch.done).rejects.toThrow();
    expect(watch.events).toHaveLength(1);
  });

  it('rejects on an unparsable line rather than skipping an event', async () => {
    await expect(collect('/watch-torn').done).rejects.toThrow('unparsable watch event');
  });

  it('ends a watch on abort', async () => {
    const watch = collect('/watch-hang');
    await vi.waitFor(() => expect(watch.events).toHaveLength(1), { timeout: 5_000, interval: 10 });
    watch.abort.abort();
    await expect(watch.done).rejects.toThrow();
  });

  it('an exception from onEvent ends the stream with it', async () => {
    const done = new HttpsApiTransport(access).watch('/watch?watch=1', signal(), {
      onOpen: () => {},
      onEvent: () => {
        throw new ApiError(410, 'Expired', 'too old');
      },
    });
    await expect(done).rejects.toMatchObject({ status: 410 });
  });
});

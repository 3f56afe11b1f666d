import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CertificatePair } from '../../src/tls/certificate-pair.js';
import { certificatePaths, type CertificatePaths } from '../../src/tls/certificate-paths.js';
import { CertificateReloader, type CertificateReloaderOptions } from '../../src/tls/certificate-reloader.js';
import { generateCertificates, type GeneratedCertificates } from '../../src/tls/generate-certificates.js';
import { loadCertificates } from '../../src/tls/load-certificates.js';
import { captureLogs, WARN, type CapturedLogs } from './support/log-capture.js';
import { writeSecretVolume } from './support/secret-volume.js';
import { handshake } from './support/tls-probe.js';

const REJECTED = 'changed certificate files rejected; still serving the previous certificate';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Resolves once `probe` returns a truthy value; fails after `timeoutMs`. */
async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const secretFiles = (set: GeneratedCertificates) => ({
  'ca.crt': set.ca.cert,
  'tls.crt': set.serving.cert,
  'tls.key': set.serving.key,
});

describe('CertificateReloader with a real HTTPS server', () => {
  // Three unrelated CAs: A serves first, B replaces it, C's key is the wrong one for B's certificate.
  let pairA: GeneratedCertificates;
  let pairB: GeneratedCertificates;
  let pairC: GeneratedCertificates;
  let dir: string;
  let paths: CertificatePaths;
  let logs: CapturedLogs;
  let server: Server;
  let port: number;
  let reloader: CertificateReloader | undefined;
  let reloads: CertificatePair[];
  let releaseSlow: () => void;
  let slowArrived: Promise<void>;

  beforeAll(async () => {
    [pairA, pairB, pairC] = await Promise.all(
      ['a', 'b', 'c'].map(() => generateCertificates({ serviceName: 'workspace-storage-webhook', namespace: 'wsw' })),
    ) as [GeneratedCertificates, GeneratedCertificates, GeneratedCertificates];
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsw-reload-'));
    paths = certificatePaths(dir);
    logs = captureLogs();
    reloads = [];
    let arrived!: () => void;
    slowArrived = new Promise((resolve) => (arrived = resolve));
    const release = new Promise<void>((resolve) => (releaseSlow = resolve));
    server = createServer({ key: pairA.serving.key, cert: pairA.serving.cert, minVersion: 'TLSv1.2' }, (req, res) => {
      if (req.url === '/slow') {
        arrived();
        void release.then(() => res.end('slow done'));
      } else {
        res.end('ok');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    reloader?.stop();
    reloader = undefined;
    releaseSlow();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** Loads CERT_DIR like the server does at start-up and wires the reloader to setSecureContext. */
  async function startReloader(options: Partial<CertificateReloaderOptions> = {}): Promise<CertificateReloader> {
    const initial = await loadCertificates({ dir, logger: logs.logger });
    expect(fingerprint(initial.cert)).toBe(fingerprint(pairA.serving.cert));
    reloader = new CertificateReloader({
      paths,
      initial,
      logger: logs.logger,
      intervalMs: 200,
      watch: false,
      onReload: (pair) => {
        server.setSecureContext({ key: pair.key, cert: pair.cert, minVersion: 'TLSv1.2' });
        reloads.push(pair);
      },
      ...options,
    });
    reloader.start();
    return reloader;
  }

  const servedFingerprint = async () =>
    (await handshake({ port, ca: [pairA.ca.cert, pairB.ca.cert], servername: 'localhost' })).peer.fingerprint256;

  it('serves a swapped Secret volume to new connections within seconds; a request in flight completes', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    const running = await startReloader();

    // A slow request whose handshake happened under A, still open when the files change.
    const slowResponse = new Promise<{ status: number; body: string; peer: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/slow', ca: pairA.ca.cert, servername: 'localhost', agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body,
              peer: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    await slowArrived;

    const swappedAt = Date.now();
    await writeSecretVolume(dir, secretFiles(pairB));
    await waitFor(async () => (await servedFingerprint()) === fingerprint(pairB.serving.cert), 5000);
    expect(Date.now() - swappedAt).toBeLessThan(5000);

    // A client trusting only B's CA now completes a full HTTPS request.
    const status = await new Promise<number>((resolve, reject) => {
      const options = { host: '127.0.0.1', port, path: '/', ca: pairB.ca.cert, servername: 'localhost', agent: false };
      request(options, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);

    releaseSlow();
    expect(await slowResponse).toEqual({ status: 200, body: 'slow done', peer: fingerprint(pairA.serving.cert) });
    expect(reloads).toHaveLength(1);
    expect(running.current.digest).toBe(reloads[0]!.digest);
    expect(running.current.ca).toBe(pairB.ca.cert);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ msg: 'serving certificate reloaded', path: paths.cert }),
    );
  });

  it('reacts to an fs.watch event before the next poll', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    await startReloader({ intervalMs: 60_000, watch: true });
    await writeSecretVolume(dir, secretFiles(pairB));
    await waitFor(async () => (await servedFingerprint()) === fingerprint(pairB.serving.cert), 3000);
  });

  it('rejects a mismatched pair with one log line naming the file, and keeps serving the old pair', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    await startReloader();
    await writeSecretVolume(dir, { ...secretFiles(pairB), 'tls.key': pairC.serving.key });

    const rejection = await waitFor(() => logs.lines.find((line) => line.msg === REJECTED));
    expect(rejection).toMatchObject({
      level: WARN,
      path: paths.key,
      reason: `private key does not match the certificate in ${paths.cert}`,
      servingNotAfter: new Date(new X509Certificate(pairA.serving.cert).validTo).toISOString(),
    });
    expect(await servedFingerprint()).toBe(fingerprint(pairA.serving.cert));
    await new Promise((resolve) => setTimeout(resolve, 700)); // several more polls
    expect(logs.lines.filter((line) => line.msg === REJECTED)).toHaveLength(1);
    expect(reloads).toEqual([]);
    expect(logs.raw.join('')).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);

    // Once the pair is consistent again it is picked up.
    await writeSecretVolume(dir, secretFiles(pairB));
    await waitFor(async () => (await servedFingerprint()) === fingerprint(pairB.serving.cert));
  });

  it('rejects a half-written tls.crt and picks up the completed write', async () => {
    await writeFile(paths.cert, pairA.serving.cert);
    await writeFile(paths.key, pairA.serving.key, { mode: 0o600 });
    await startReloader();

    // A writer that is not atomic (cp, an editor): the first half of the new certificate.
    await writeFile(paths.cert, pairB.serving.cert.slice(0, pairB.serving.cert.length / 2));
    const rejection = await waitFor(() => logs.lines.find((line) => line.msg === REJECTED && line.path === paths.cert));
    expect(rejection.reason).toMatch(/^not a valid PEM certificate/);
    expect(await servedFingerprint()).toBe(fingerprint(pairA.serving.cert));
    expect(reloads).toEqual([]);

    await writeFile(paths.key, pairB.serving.key);
    await writeFile(paths.cert, pairB.serving.cert);
    await waitFor(async () => (await servedFingerprint()) === fingerprint(pairB.serving.cert));
    expect(reloads).toHaveLength(1);
  });

  it('rejects an expired certificate', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    await startReloader();
    const expired = await generateCertificates({
      serviceName: 'x',
      namespace: 'y',
      now: new Date(Date.now() - 400 * DAY_MS),
    });
    await writeSecretVolume(dir, secretFiles(expired));
    const rejection = await waitFor(() => logs.lines.find((line) => line.msg === REJECTED));
    expect(rejection).toMatchObject({ path: paths.cert, reason: expect.stringMatching(/^certificate expired at /) });
    expect(await servedFingerprint()).toBe(fingerprint(pairA.serving.cert));
  });

  it('keeps the old pair when the callback throws', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    const running = await startReloader({
      onReload: () => {
        throw new Error('setSecureContext failed');
      },
    });
    const initialDigest = running.current.digest;
    await writeSecretVolume(dir, secretFiles(pairB));
    const rejection = await waitFor(() => logs.lines.find((line) => line.msg === REJECTED));
    expect(rejection).toMatchObject({ path: dir, reason: 'setSecureContext failed' });
    expect(running.current.digest).toBe(initialDigest);
  });

  it('warns on reload when the new certificate expires within 30 days', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    await startReloader();
    const shortLived = await generateCertificates({ serviceName: 'x', namespace: 'y', validityDays: 29.5 });
    await writeSecretVolume(dir, secretFiles(shortLived));
    const warning = await waitFor(() => logs.lines.find((line) => line.msg === 'certificate expires in 29 days'));
    expect(warning).toMatchObject({ level: WARN, path: paths.cert, daysLeft: 29 });
    expect(reloads).toHaveLength(1);
  });

  it('stop() ends polling; its timers never held the event loop', async () => {
    await writeSecretVolume(dir, secretFiles(pairA));
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const running = await startReloader({ watch: true });
    expect(timers()).toBe(before); // unref'd
    running.stop();
    await writeSecretVolume(dir, secretFiles(pairB));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(reloads).toEqual([]);
    expect(await running.check()).toBe('unchanged');
    expect(await servedFingerprint()).toBe(fingerprint(pairA.serving.cert));
  });
});

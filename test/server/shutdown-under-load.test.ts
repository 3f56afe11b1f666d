import { request as httpsRequest, Agent } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate, randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCertificateAuthority, issueServingCertificate } from '../../src/tls/generate-certificates.js';
import { fixture } from '../support/fixtures.js';
import { certDir, configFile, startServerProcess } from '../support/server-process.js';
import { reviewFor } from '../support/test-app.js';

type Outcome = 'ok' | 'refused' | 'failed';

/**
 * Sends one review; `refused` means the connection was refused before anything was sent (a fail-over case).
 * `closing`: the answer said `Connection: close`.
 */
function sendReview(port: number, agent: Agent, body: string, uid: string): Promise<{ outcome: Outcome; closing: boolean }> {
  return new Promise((settle) => {
    let closing = false;
    const resolve = (outcome: Outcome) => settle({ outcome, closing });
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/mutate?timeout=5s', method: 'POST', agent, servername: 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        closing = res.headers.connection === 'close';
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          try {
            const answer = JSON.parse(text);
            resolve(res.statusCode === 200 && answer.response?.uid === uid && answer.response?.allowed === true ? 'ok' : 'failed');
          } catch {
            resolve('failed');
          }
        });
        res.on('error', () => resolve('failed'));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'failed'));
    req.end(body);
  });
}

/** The fingerprint of the certificate a fresh TLS connection is served. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('certificate rotation and SIGTERM under continuous load', () => {
  it('fails zero reviews: rotation is picked up by new connections, and shutdown drains to the other replica', async () => {
    const ca = await generateCertificateAuthority();
    const [dirA, dirB] = [await certDir(ca), await certDir(ca)];
    const config = configFile('tmpfs: {projects: [/home/coder/app]}\naffinity: {mode: "off"}\n');
    const a = await startServerProcess({ CERT_DIR: dirA.dir, CONFIG_FILE: config, SHUTDOWN_DELAY_SECONDS: '1', CERT_RELOAD_INTERVAL_SECONDS: '0.2' });
    const b = await startServerProcess({ CERT_DIR: dirB.dir, CONFIG_FILE: config, SHUTDOWN_DELAY_SECONDS: '0' });
    const agents = [a.port, b.port].map(() => new Agent({ keepAlive: true, maxSockets: 8, ca: ca.cert }));
    const pod = fixture('pods/coder-kubernetes-template.json');
    const counts = { ok: 0, failed: 0, failover: 0, afterSigterm: 0, closingBeforeSigterm: 0, closingAfterSigterm: 0 };
    let stopping = false;
    let sigtermSent = false;
    let aIsEndpoint = true;

    // Like a Service: requests go to A while it is an endpoint, then to B. A refused connection (not sent) also
    // goes to B. Every response is checked; anything but a correct answer counts as a failed review.
    const loop = async () => {
      while (!stopping) {
        const uid = randomUUID();
        const body = JSON.stringify(reviewFor(pod, { uid }));
        let outcome: Outcome = 'refused';
        if (aIsEndpoint) {
          const answer = await sendReview(a.port, agents[0]!, body, uid);
          outcome = answer.outcome;
          if (outcome === 'ok' && sigtermSent) counts.afterSigterm++;
          if (answer.closing) counts[sigtermSent ? 'closingAfterSigterm' : 'closingBeforeSigterm']++;
        }
        if (outcome === 'refused') {
          counts.failover++;
          outcome = (await sendReview(b.port, agents[1]!, body, uid)).outcome;
        }
        if (outcome === 'ok') counts.ok++;
        else counts.failed++;
      }
    };
    const loops = Array.from({ length: 8 }, loop);

    await new Promise((resolve) => setTimeout(resolve, 700));
    const before = await servedFingerprint(a.port, ca.cert);
    const renewed = await issueServingCertificate(ca, { serviceName: 'workspace-storage-webhook', namespace: 'workspace-storage-webhook' });
    // Written as a Secret volume update lands: new files, then an atomic rename into place.
    writeFileSync(join(dirA.dir, 'tls.key.new'), renewed.key, { mode: 0o600 });
    writeFileSync(join(dirA.dir, 'tls.crt.new'), renewed.cert);
    renameSync(join(dirA.dir, 'tls.key.new'), join(dirA.dir, 'tls.key'));
    renameSync(join(dirA.dir, 'tls.crt.new'), join(dirA.dir, 'tls.crt'));
    const expected = new X509Certificate(renewed.cert).fingerprint256;
    let served = before;
    for (let attempt = 0; attempt < 50 && served !== expected; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      served = await servedFingerprint(a.port, ca.cert);
    }
    expect(served).not.toBe(before);
    expect(served).toBe(expected);

    a.child.kill('SIGTERM');
    sigtermSent = true;
    // The endpoints controller removes A from the Service shortly after the pod starts terminating; the server's
    // SHUTDOWN_DELAY_SECONDS (1 s here, 5 s in the manifests) is there to cover that propagation.
    setTimeout(() => (aIsEndpoint = false), 200);
    const exitCode = await a.exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    stopping = true;
    await Promise.all(loops);
    for (const agent of agents) agent.destroy();
    b.child.kill('SIGTERM');
    await b.exited;

    expect(exitCode).toBe(0);
    expect(counts.failed).toBe(0);
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.afterSigterm).toBeGreaterThan(0);
    // While draining, A's answers tell the client to drop the pooled connection; before, they never do.
    expect(counts.closingBeforeSigterm).toBe(0);
    expect(counts.closingAfterSigterm).toBeGreaterThan(0);
    expect(counts.failover).toBeGreaterThan(0); // requests that went to B after A left the Service
    expect(a.output()).toContain('serving certificate reloaded');
    expect(a.output()).toContain('"msg":"shut down"');
  }, 60_000);
});

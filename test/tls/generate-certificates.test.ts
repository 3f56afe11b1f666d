import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateCertificates,
  serviceDnsNames,
  type GeneratedCertificates,
} from '../../src/tls/generate-certificates.js';
import { handshake } from './support/tls-probe.js';

const SERVICE = 'workspace-storage-webhook';
const NAMESPACE = 'storage-system';
const SVC = `${SERVICE}.${NAMESPACE}.svc`;

describe('generateCertificates', () => {
  let generated: GeneratedCertificates;
  let ca: X509Certificate;
  let leaf: X509Certificate;
  const now = new Date();

  beforeAll(async () => {
    generated = await generateCertificates({ serviceName: SERVICE, namespace: NAMESPACE, now });
    ca = new X509Certificate(generated.ca.cert);
    leaf = new X509Certificate(generated.serving.cert);
  });

  it('signs the serving certificate with the CA', () => {
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.verify(new X509Certificate(generated.serving.cert).publicKey)).toBe(false);
  });

  it('writes keys that belong to their certificates', () => {
    expect(leaf.checkPrivateKey(createPrivateKey(generated.serving.key))).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(generated.ca.key))).toBe(true);
    expect(createPrivateKey(generated.serving.key).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('lists the loopback and in-cluster Service names as SANs', () => {
    const sans = leaf.subjectAltName?.split(', ') ?? [];
    expect(sans).toEqual(
      expect.arrayContaining([
        'DNS:localhost',
        `DNS:${SERVICE}`,
        `DNS:${SERVICE}.${NAMESPACE}`,
        `DNS:${SVC}`,
        `DNS:${SVC}.cluster.local`,
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
      ]),
    );
    expect(sans).toHaveLength(7);
  });

  it('marks the CA as a CA and the serving certificate as a serverAuth leaf', () => {
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const forgeCa = forge.pki.certificateFromPem(generated.ca.cert);
    const forgeLeaf = forge.pki.certificateFromPem(generated.serving.cert);
    expect(forgeCa.getExtension('basicConstraints')).toMatchObject({ cA: true, critical: true });
    expect(forgeCa.getExtension('keyUsage')).toMatchObject({
      keyCertSign: true,
      cRLSign: true,
      digitalSignature: false,
    });
    expect(forgeLeaf.getExtension('keyUsage')).toMatchObject({
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: false,
    });
    // The leaf's authorityKeyIdentifier names the CA's subjectKeyIdentifier (chain building relies on it).
    const caSki = forgeCa.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    const caKeyId = caSki.subjectKeyIdentifier;
    const akiDer = (forgeLeaf.getExtension('authorityKeyIdentifier') as { value: string }).value;
    expect(forge.util.bytesToHex(akiDer)).toContain(caKeyId);
  });

  it('uses SHA-256 and random positive serial numbers', () => {
    for (const pem of [generated.ca.cert, generated.serving.cert]) {
      expect(forge.pki.certificateFromPem(pem).siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    }
    expect(leaf.serialNumber).not.toBe(ca.serialNumber);
    for (const serial of [leaf.serialNumber, ca.serialNumber]) {
      expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
    }
  });

  it('back-dates notBefore for clock skew; one year for the leaf, about ten for the CA', () => {
    const day = 24 * 60 * 60 * 1000;
    const notBefore = new Date(leaf.validFrom).getTime();
    expect(now.getTime() - notBefore).toBeGreaterThanOrEqual(60_000);
    expect(now.getTime() - notBefore).toBeLessThanOrEqual(10 * 60_000);
    expect(Math.round((new Date(leaf.validTo).getTime() - now.getTime()) / day)).toBe(365);
    expect(Math.round((new Date(ca.validTo).getTime() - now.getTime()) / day)).toBe(3650);
  });

  it('rejects a service name that cannot be a DNS name', () => {
    expect(() => serviceDnsNames('Bad_Name', 'ns')).toThrow(/service name "Bad_Name"/);
  });

  describe('in a real TLS handshake with the CA pinned', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer(
        { key: generated.serving.key, cert: generated.serving.cert, minVersion: 'TLSv1.2' },
        (_request, response) => response.end('ok'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it.each([
      ['the IP 127.0.0.1', undefined],
      ['localhost', 'localhost'],
      ['the Service name', SVC],
      ['the short Service name', SERVICE],
      ['the fully qualified Service name', `${SVC}.cluster.local`],
    ])('verifies for %s', async (_what, servername) => {
      const result = await handshake({ port, ca: generated.ca.cert, ...(servername ? { servername } : {}) });
      expect(result.authorizationError).toBeUndefined();
      expect(result.authorized).toBe(true);
    });

    it('fails for a name not in the certificate', async () => {
      const result = await handshake({ port, ca: generated.ca.cert, servername: 'other.example' });
      expect(result.authorized).toBe(false);
      expect(result.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('fails with a different CA pinned', async () => {
      const other = await generateCertificates({ serviceName: SERVICE, namespace: NAMESPACE });
      const result = await handshake({ port, ca: other.ca.cert, servername: 'localhost' });
      expect(result.authorized).toBe(false);
    });

    it('passes checkServerIdentity for ::1 on the certificate the server presented', async () => {
      const { peerCertificate } = await handshake({ port, ca: generated.ca.cert });
      expect(checkServerIdentity('::1', peerCertificate)).toBeUndefined();
      expect(checkServerIdentity('127.0.0.1', peerCertificate)).toBeUndefined();
      expect(checkServerIdentity('10.0.0.1', peerCertificate)).toBeInstanceOf(Error);
    });
  });
});

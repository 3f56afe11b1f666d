/**
 * Throw-away PKI for end-to-end tests: a CA, serving certificates signed by it,
 * and a bare key pair (for service-account tokens).
 *
 * Keys come from node:crypto (native RSA generation is ~50 ms; node-forge's pure
 * JS one takes seconds); node-forge only assembles and signs the X.509 structures,
 * which node:crypto cannot do.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A PEM key pair. `privateKeyPem` is PKCS#1 ("RSA PRIVATE KEY"), which every Kubernetes component reads. */
export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A certificate with its key, both PEM. */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** Options for {@link issueServingCertificate}. */
export interface ServingCertificateOptions {
  commonName?: string;
  /** Subject alternative names: IP literals become IP SANs, anything else a DNS SAN. */
  hosts: string[];
  /** Validity in days (default 2). */
  days?: number;
}

/** Generates a 2048-bit RSA key pair. */
export function generateRsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function newCertificate(publicKeyPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // Go's crypto/x509 rejects negative serials: a leading 0x01 byte keeps the DER integer positive.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  // Back-date a little so a clock a few seconds off does not make it "not yet valid".
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  return cert;
}

/** Creates a self-signed CA certificate (valid 2 days) and its key. */
export function createCertificateAuthority(commonName = 'wsw-e2e-ca'): CertificateAndKey {
  const keys = generateRsaKeyPair();
  const cert = newCertificate(keys.publicKeyPem, 2);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/**
 * Issues a TLS serving certificate signed by `ca`. Also usable as a client
 * certificate (extKeyUsage serverAuth + clientAuth).
 */
export function issueServingCertificate(ca: CertificateAndKey, opts: ServingCertificateOptions): CertificateAndKey {
  const keys = generateRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = newCertificate(keys.publicKeyPem, opts.days ?? 2);
  cert.setSubject([{ name: 'commonName', value: opts.commonName ?? opts.hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  // Go ignores the CN for host names since 1.15: the SANs are what is checked.
  const altNames = opts.hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

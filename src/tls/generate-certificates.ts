import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { isDnsLabel } from '../kube/rfc1123-names.js';

/** A certificate and its private key, both PEM. */
export interface PemKeyPair {
  readonly cert: string;
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`), which node:tls and Go's crypto/tls both read. */
  readonly key: string;
}

/** A freshly generated CA and a serving certificate it signed. */
export interface GeneratedCertificates {
  readonly ca: PemKeyPair;
  readonly serving: PemKeyPair;
}

/** Names the serving certificate is issued for. */
export interface ServingCertificateOptions {
  /** Name of the Service in front of the webhook (the API server dials `<service>.<namespace>.svc`). */
  readonly serviceName: string;
  readonly namespace: string;
  /** Clock for notBefore/notAfter (tests). Defaults to the current time. */
  readonly now?: Date;
  /** Validity of the serving certificate; default 365 days, capped at the CA's notAfter. */
  readonly validityDays?: number;
}

/** Options for {@link generateCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  readonly commonName?: string;
  readonly now?: Date;
  /** Default 3650 days (about ten years). */
  readonly validityDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far notBefore is back-dated, so a client whose clock is a little behind still accepts a new certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const RSA_MODULUS_BITS = 2048;
const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * The DNS names a serving certificate needs: the API server addresses a webhook Service as
 * `<service>.<namespace>.svc`; the shorter and the fully qualified forms are for clients inside the cluster.
 * https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#service-reference
 */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  for (const [what, value] of [['service name', serviceName], ['namespace', namespace]] as const) {
    if (!isDnsLabel(value)) {
      throw new Error(`${what} "${value}" is not a DNS label (RFC 1123): cannot put it in a certificate`);
    }
  }
  return [
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
  ];
}

/** Generates a self-signed CA (RSA 2048, SHA-256) for signing the webhook's serving certificates. */
export async function generateCertificateAuthority(options: CertificateAuthorityOptions = {}): Promise<PemKeyPair> {
  const now = options.now ?? new Date();
  const keys = await newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublicKey;
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = truncateToSeconds(new Date(now.getTime() - CLOCK_SKEW_MS));
  cert.validity.notAfter = truncateToSeconds(new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS));
  const subject = [{ name: 'commonName', value: options.commonName ?? 'workspace-storage-webhook CA' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.forgePrivateKey, forge.md.sha256.create());
  return { cert: toPem(cert), key: keys.privateKeyPem };
}

/**
 * Issues a serving certificate (RSA 2048, SHA-256, serverAuth) signed by `ca`, valid for the Service's DNS names,
 * `localhost`, 127.0.0.1 and ::1 (the loopback names let a port-forward or a local run be verified too).
 */
export async function issueServingCertificate(ca: PemKeyPair, options: ServingCertificateOptions): Promise<PemKeyPair> {
  const now = options.now ?? new Date();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = await newRsaKeyPair();
  const dnsNames = ['localhost', ...serviceDnsNames(options.serviceName, options.namespace)];
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublicKey;
  cert.serialNumber = randomSerialNumber();
  cert.validity.notBefore = truncateToSeconds(new Date(now.getTime() - CLOCK_SKEW_MS));
  const wanted = new Date(now.getTime() + (options.validityDays ?? 365) * DAY_MS);
  // A certificate outliving its issuer fails verification after the CA expires anyway; say so in the dates.
  cert.validity.notAfter = truncateToSeconds(wanted < caCert.validity.notAfter ? wanted : caCert.validity.notAfter);
  cert.setSubject([{ name: 'commonName', value: `${options.serviceName}.${options.namespace}.svc` }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      // 2 = dNSName, 7 = iPAddress (RFC 5280 GeneralName). Go's TLS stack (the API server) ignores the CN and
      // matches only these.
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    // forge's `keyIdentifier: true` would take the key id of this certificate, not of its issuer: pass the CA's.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: toPem(cert), key: keys.privateKeyPem };
}

/** Generates a new CA and a serving certificate signed by it. */
export async function generateCertificates(options: ServingCertificateOptions): Promise<GeneratedCertificates> {
  const ca = await generateCertificateAuthority(options.now === undefined ? {} : { now: options.now });
  const serving = await issueServingCertificate(ca, options);
  return { ca, serving };
}

/**
 * An RSA key pair from node:crypto (OpenSSL, on the libuv thread pool), handed to forge through PEM: forge's
 * pure-JavaScript prime search takes seconds for 2048 bits and would block the event loop meanwhile.
 */
async function newRsaKeyPair() {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: RSA_MODULUS_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKeyPem: privateKey,
    forgePublicKey: forge.pki.publicKeyFromPem(publicKey),
    forgePrivateKey: forge.pki.privateKeyFromPem(privateKey),
  };
}

/**
 * A random positive serial number of 128 bits (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B Forum asks
 * for at least 64 random bits). forge writes the hex as the INTEGER's content octets as-is, so the top bit must be
 * clear (else the number is negative) and the first octet non-zero (else the encoding is not minimal DER).
 */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}

/** forge ends PEM lines with CRLF; LF matches the key files node:crypto writes and what kubectl shows. */
function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** X.509 times have one-second resolution; truncating keeps `notAfter` equal to what a parser reads back. */
function truncateToSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

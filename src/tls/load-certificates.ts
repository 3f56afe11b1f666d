import { mkdir, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { CertificateFileError } from './certificate-file-error.js';
import { logCertificateExpiry } from './certificate-expiry.js';
import {
  parseCertificate,
  parsePrivateKey,
  readCertificatePair,
  readOptionalFile,
  type CertificatePair,
} from './certificate-pair.js';
import { certificatePaths, type CertificatePaths } from './certificate-paths.js';
import type { PemKeyPair, ServingCertificateOptions } from './generate-certificates.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** Where to find (or put) the certificates and whom to issue them for. */
export interface LoadCertificatesOptions {
  /** CERT_DIR. Created (mode 0700) when certificates must be generated and it does not exist. */
  readonly dir: string;
  /** Service name in the generated certificate's SANs; default `workspace-storage-webhook`. */
  readonly serviceName?: string;
  /** Service namespace in the generated certificate's SANs; default `workspace-storage-webhook`. */
  readonly namespace?: string;
  readonly logger: Logger;
  /** Clock for generation and the expiry warning (tests). */
  readonly now?: Date;
}

/** The serving pair in use at start-up. */
export interface LoadedCertificates extends CertificatePair {
  /** True when this call generated `tls.crt`/`tls.key` (and possibly the CA). */
  readonly generated: boolean;
  readonly paths: CertificatePaths;
}

const DEFAULT_NAME = 'workspace-storage-webhook';
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/**
 * Start-up certificate handling. `tls.crt` + `tls.key` present: used as they are (`ca.crt` optional). None of the
 * four files present: a CA and a serving certificate are generated. `ca.crt` + `ca.key` only: a serving
 * certificate is issued under that CA, so a caBundle already registered with the API server stays valid. Any
 * other combination, an unreadable or unparsable file, or a key not matching its certificate: throws a
 * {@link CertificateFileError} naming the file, and the server exits with it rather than serve something unusable.
 */
export async function loadCertificates(options: LoadCertificatesOptions): Promise<LoadedCertificates> {
  const paths = certificatePaths(options.dir);
  const { logger } = options;
  const now = options.now ?? new Date();
  const [hasCert, hasKey, hasCaCert, hasCaKey] = await Promise.all([
    fileExists(paths.cert),
    fileExists(paths.key),
    fileExists(paths.caCert),
    fileExists(paths.caKey),
  ]);

  if (hasCert !== hasKey) {
    const [missing, present] = hasCert ? [paths.key, paths.cert] : [paths.cert, paths.key];
    throw new CertificateFileError(
      missing,
      `missing while ${present} exists: a serving certificate needs both files ` +
        `(remove ${present} to have a new pair generated)`,
    );
  }
  const generated = !hasCert;
  if (generated) {
    const identity = {
      serviceName: options.serviceName ?? DEFAULT_NAME,
      namespace: options.namespace ?? DEFAULT_NAME,
      now,
    };
    try {
      await createServingPair(paths, { hasCaCert, hasCaKey }, identity, logger);
    } catch (error) {
      throw generationError(paths, error);
    }
  }

  const pair = await readCertificatePair(paths);
  if (!generated) logger.info({ paths, notAfter: pair.notAfter.toISOString() }, 'using existing serving certificate');
  logCertificateExpiry(logger, { path: paths.cert, notAfter: pair.notAfter }, now);
  if (pair.caNotAfter !== undefined) {
    logCertificateExpiry(logger, { path: paths.caCert, notAfter: pair.caNotAfter }, now);
  }
  return { ...pair, generated, paths };
}

/**
 * A failure to write generated files, said as the operator needs it: which files are missing, that they could not be
 * generated, why (the system error code), and the two ways out. Other errors pass through as they are.
 */
function generationError(paths: CertificatePaths, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof CertificateFileError || typeof code !== 'string') return error;
  return new CertificateFileError(
    paths.cert,
    `missing (and ${paths.key}), and could not be generated: cannot write to ${paths.dir} (${code}); mount a TLS ` +
      'Secret there (tls.crt, tls.key, ca.crt) or make the directory writable',
    { cause: error },
  );
}

/** Generates the serving pair (and the CA unless both CA files exist) into CERT_DIR. */
async function createServingPair(
  paths: CertificatePaths,
  existing: { readonly hasCaCert: boolean; readonly hasCaKey: boolean },
  identity: ServingCertificateOptions,
  logger: Logger,
): Promise<void> {
  const fields = { paths, serviceName: identity.serviceName, namespace: identity.namespace };
  if (existing.hasCaCert !== existing.hasCaKey) {
    const [missing, present] = existing.hasCaCert ? [paths.caKey, paths.caCert] : [paths.caCert, paths.caKey];
    throw new CertificateFileError(
      missing,
      `missing while ${present} exists and ${paths.cert} and ${paths.key} do not: cannot issue a serving certificate`,
    );
  }
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  if (existing.hasCaCert) {
    const ca = await readCertificateAuthority(paths);
    const { issueServingCertificate } = await loadGenerator();
    await writeServingPair(paths, await issueServingCertificate(ca, identity));
    logger.info(fields, 'issued a serving certificate under the existing CA');
    return;
  }
  const { generateCertificates } = await loadGenerator();
  const { ca, serving } = await generateCertificates(identity);
  // CA first: a crash part-way leaves ca.crt + ca.key, from which the next start issues the serving pair.
  await writeFileAtomic(paths.caKey, ca.key, KEY_MODE);
  await writeFileAtomic(paths.caCert, ca.cert, CERT_MODE);
  await writeServingPair(paths, serving);
  logger.info(fields, 'generated a CA and a serving certificate');
}

/**
 * node-forge is loaded only when a certificate must be generated: it adds ~10 MB of RSS to a process that, in a
 * cluster, always finds its certificate mounted from a Secret.
 */
function loadGenerator(): Promise<typeof import('./generate-certificates.js')> {
  return import('./generate-certificates.js');
}

async function writeServingPair(paths: CertificatePaths, pair: PemKeyPair): Promise<void> {
  // Key first: a crash in between leaves tls.key alone, which the next start reports instead of serving a
  // certificate whose key is lost.
  await writeFileAtomic(paths.key, pair.key, KEY_MODE);
  await writeFileAtomic(paths.cert, pair.cert, CERT_MODE);
}

/** Reads `ca.crt` + `ca.key` and checks that they are a CA certificate and its key. */
async function readCertificateAuthority(paths: CertificatePaths): Promise<PemKeyPair> {
  const [cert, key] = await Promise.all([readOptionalFile(paths.caCert), readOptionalFile(paths.caKey)]);
  if (cert === undefined) throw new CertificateFileError(paths.caCert, 'missing');
  if (key === undefined) throw new CertificateFileError(paths.caKey, 'missing');
  const x509 = parseCertificate(cert, paths.caCert);
  if (!x509.ca) throw new CertificateFileError(paths.caCert, 'not a CA certificate (basicConstraints cA is not true)');
  if (!x509.checkPrivateKey(parsePrivateKey(key, paths.caKey))) {
    throw new CertificateFileError(paths.caKey, `private key does not match the certificate in ${paths.caCert}`);
  }
  return { cert, key };
}

/** True when `path` exists (following symlinks: a Secret volume's files are links into `..data/`). */
async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    throw new CertificateFileError(path, `cannot stat (${code ?? String(error)})`, { cause: error });
  }
}

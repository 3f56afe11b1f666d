import { parseCertificate } from './certificate-pair.js';
import { generateCertificates, type GeneratedCertificates } from './generate-certificates.js';

/**
 * The serving-certificate Secret that the certificate Job creates once and every webhook replica mounts as
 * CERT_DIR, so that all replicas serve the same certificate and one caBundle trusts them all.
 *
 * The Secret holds `tls.crt`, `tls.key` and `ca.crt`, never the CA's private key: that key lives only in the
 * memory of the Job run that generated it, so nothing in the cluster can sign another certificate the webhook
 * configuration would trust. The price: a certificate cannot be re-issued under the same CA. To re-issue (expiry,
 * suspected key compromise), delete the Secret and re-run the Job; it creates a new CA and serving pair and
 * patches the new CA into the caBundle. The running replicas pick up the new files without a restart once the
 * kubelet has refreshed the Secret volume (about a minute), so there is a short window in which the API server
 * already trusts only the new CA while a replica still serves the old certificate.
 *
 * The Secret is deliberately not `immutable`: the kubelet stops refreshing an immutable Secret's volume, and a
 * deleted and re-created one would then stay stale in running pods.
 * https://kubernetes.io/docs/concepts/configuration/secret/#secret-immutable
 */

/** Where the Secret lives. */
export interface SecretRef {
  readonly name: string;
  readonly namespace: string;
}

/** The fields of a v1 Secret this module reads or writes (structurally a client-node `V1Secret`). */
export interface TlsSecretObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  type?: string;
  /** Base64 values, as the API server returns them. */
  data?: Record<string, string>;
}

/**
 * The two Secret calls the Job makes, with the answers it acts on already told apart (so this module needs no
 * Kubernetes client, and tests can race it).
 */
export interface SecretStore {
  /** The Secret, or undefined when the API server answers 404. */
  get(): Promise<TlsSecretObject | undefined>;
  /** Creates the Secret; `exists` when the API server answers 409 AlreadyExists. */
  create(secret: TlsSecretObject): Promise<'created' | 'exists'>;
}

/** Whom a generated serving certificate is for, and the clock (tests). */
export interface TlsSecretIdentity {
  /** The Service in front of the webhook; its namespace is the Secret's. */
  readonly serviceName: string;
  readonly now?: Date;
}

/** What {@link ensureTlsSecret} did and the caBundle to write. */
export interface EnsuredTlsSecret {
  /** `created`: by this call; `existing`: found; `raced`: created meanwhile by another run (409), then read. */
  readonly outcome: 'created' | 'existing' | 'raced';
  /** Base64 of the Secret's `ca.crt`, exactly as stored: the value for `clientConfig.caBundle`. */
  readonly caBundle: string;
  /** notAfter of the certificates, when this call generated them. */
  readonly generated?: { readonly caNotAfter: Date; readonly servingNotAfter: Date };
}

/** `type` of the Secret: the kubelet and kubectl know its `tls.crt`/`tls.key` keys. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
const LABELS = { 'app.kubernetes.io/name': 'workspace-storage-webhook', 'app.kubernetes.io/component': 'certs' };

/**
 * Returns the caBundle of the Secret, creating the Secret first (a new CA and a serving certificate for
 * `<service>.<namespace>.svc`) when it does not exist. Two runs racing converge on whichever Secret was created
 * first: the loser's create answers 409, it reads the winner's Secret and discards its own certificates.
 */
export async function ensureTlsSecret(
  store: SecretStore,
  ref: SecretRef,
  identity: TlsSecretIdentity,
): Promise<EnsuredTlsSecret> {
  const existing = await store.get();
  if (existing !== undefined) return { outcome: 'existing', caBundle: caBundleOfSecret(existing, ref) };

  const generated = await generateCertificates({
    serviceName: identity.serviceName,
    namespace: ref.namespace,
    ...(identity.now === undefined ? {} : { now: identity.now }),
  });
  if ((await store.create(tlsSecretManifest(ref, generated))) === 'created') {
    return {
      outcome: 'created',
      caBundle: base64(generated.ca.cert),
      generated: {
        caNotAfter: new Date(parseCertificate(generated.ca.cert, 'ca.crt').validTo),
        servingNotAfter: new Date(parseCertificate(generated.serving.cert, 'tls.crt').validTo),
      },
    };
  }
  const winner = await store.get();
  if (winner === undefined) {
    throw new Error(`${describeRef(ref)}: create answered AlreadyExists but the Secret is gone again; re-run`);
  }
  return { outcome: 'raced', caBundle: caBundleOfSecret(winner, ref) };
}

/** The Secret for `generated`: type kubernetes.io/tls with `tls.crt`, `tls.key`, `ca.crt`; no CA key. */
export function tlsSecretManifest(ref: SecretRef, generated: GeneratedCertificates): TlsSecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ref.namespace, labels: { ...LABELS } },
    type: TLS_SECRET_TYPE,
    data: {
      'tls.crt': base64(generated.serving.cert),
      'tls.key': base64(generated.serving.key),
      'ca.crt': base64(generated.ca.cert),
    },
  };
}

/**
 * The Secret's `ca.crt` as a caBundle (its base64 as stored), after checking that it decodes to a PEM
 * certificate. Throws an error naming the Secret when the key is missing or holds something else.
 */
export function caBundleOfSecret(secret: TlsSecretObject, ref: SecretRef): string {
  const value = secret.data?.['ca.crt'];
  if (value === undefined || value === '') {
    throw new Error(
      `${describeRef(ref)} has no ca.crt: the caBundle must be the CA that signed its tls.crt ` +
        '(add ca.crt, or delete the Secret to have a new one generated)',
    );
  }
  parseCertificate(Buffer.from(value, 'base64').toString('utf8'), `${describeRef(ref)} key ca.crt`);
  return value;
}

/** `secret/<name> in namespace <namespace>`, the way messages name the Secret. */
export function describeRef(ref: SecretRef): string {
  return `secret/${ref.name} in namespace ${ref.namespace}`;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCertificates } from '../../src/tls/generate-certificates.js';
import {
  caBundleOfSecret,
  ensureTlsSecret,
  tlsSecretManifest,
  type SecretStore,
  type TlsSecretObject,
} from '../../src/tls/tls-secret.js';

const REF = { name: 'workspace-storage-webhook-tls', namespace: 'workspace-storage-webhook' };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A store over one in-memory slot; `beforeCreate` lets a test slip in a competing Secret. */
function memoryStore(initial?: TlsSecretObject, beforeCreate?: (store: { secret?: TlsSecretObject }) => void) {
  const state: { secret?: TlsSecretObject; gets: number; creates: TlsSecretObject[] } = {
    ...(initial === undefined ? {} : { secret: initial }),
    gets: 0,
    creates: [],
  };
  const store: SecretStore = {
    get: async () => {
      state.gets += 1;
      return state.secret;
    },
    create: async (secret) => {
      beforeCreate?.(state);
      state.creates.push(secret);
      if (state.secret !== undefined) return 'exists';
      state.secret = secret;
      return 'created';
    },
  };
  return { store, state };
}

describe('ensureTlsSecret', () => {
  it('creates a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt, never the CA key', async () => {
    const { store, state } = memoryStore();
    const ensured = await ensureTlsSecret(store, REF, { serviceName: 'workspace-storage-webhook' });

    expect(ensured.outcome).toBe('created');
    expect(state.creates).toHaveLength(1);
    const secret = state.creates[0]!;
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: REF });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(ensured.caBundle).toBe(secret.data!['ca.crt']);
    // One private key in the whole Secret (tls.key's): the CA key stays in memory.
    expect(Object.values(secret.data!).map(unb64).join('').match(/BEGIN [A-Z ]*PRIVATE KEY/g)).toHaveLength(1);

    const ca = new X509Certificate(unb64(secret.data!['ca.crt']!));
    const leaf = new X509Certificate(unb64(secret.data!['tls.crt']!));
    expect(ca.ca).toBe(true);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(unb64(secret.data!['tls.key']!)))).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:workspace-storage-webhook.workspace-storage-webhook.svc');
    // ... and it is the serving key, not the CA's.
    expect(ca.checkPrivateKey(createPrivateKey(unb64(secret.data!['tls.key']!)))).toBe(false);
    expect(ensured.generated?.servingNotAfter.getTime()).toBe(new Date(leaf.validTo).getTime());
    expect(ensured.generated?.caNotAfter.getTime()).toBe(new Date(ca.validTo).getTime());
  });

  it('issues the certificate for the given Service in the Secret namespace', async () => {
    const { store, state } = memoryStore();
    await ensureTlsSecret(store, { name: 'tls', namespace: 'other-ns' }, { serviceName: 'hooks' });
    const leaf = new X509Certificate(unb64(state.creates[0]!.data!['tls.crt']!));
    expect(leaf.subjectAltName).toContain('DNS:hooks.other-ns.svc');
  });

  it('uses an existing Secret as it is and creates nothing', async () => {
    const { ca } = await generateCertificates({ serviceName: 's', namespace: 'n' });
    const { store, state } = memoryStore({ type: 'kubernetes.io/tls', data: { 'ca.crt': b64(ca.cert) } });
    const ensured = await ensureTlsSecret(store, REF, { serviceName: 's' });
    expect(ensured).toEqual({ outcome: 'existing', caBundle: b64(ca.cert) });
    expect(state.creates).toHaveLength(0);
  });

  it('on AlreadyExists (another run won the race) reads the winner and uses its CA, not its own', async () => {
    const winner = await generateCertificates({ serviceName: 's', namespace: 'n' });
    const winnerSecret = tlsSecretManifest(REF, winner);
    const { store, state } = memoryStore(undefined, (slot) => {
      slot.secret ??= winnerSecret;
    });
    const ensured = await ensureTlsSecret(store, REF, { serviceName: 's' });
    expect(ensured).toEqual({ outcome: 'raced', caBundle: b64(winner.ca.cert) });
    expect(state.gets).toBe(2);
    expect(state.creates[0]!.data!['ca.crt']).not.toBe(b64(winner.ca.cert));
  });

  it('says so when the Secret vanished between the AlreadyExists and the second read', async () => {
    const store: SecretStore = { get: async () => undefined, create: async () => 'exists' };
    await expect(ensureTlsSecret(store, REF, { serviceName: 's' })).rejects.toThrow(
      'secret/workspace-storage-webhook-tls in namespace workspace-storage-webhook: create answered AlreadyExists ' +
        'but the Secret is gone again; re-run',
    );
  });

  it('passes API errors through unchanged', async () => {
    const failure = new Error('forbidden');
    const store: SecretStore = { get: async () => Promise.reject(failure), create: async () => 'created' };
    await expect(ensureTlsSecret(store, REF, { serviceName: 's' })).rejects.toBe(failure);
  });
});

describe('caBundleOfSecret', () => {
  it.each([
    ['no data', {}],
    ['no ca.crt (a plain TLS Secret)', { data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }],
    ['an empty ca.crt', { data: { 'ca.crt': '' } }],
  ])('names the Secret when it has %s', (_what, secret: TlsSecretObject) => {
    expect(() => caBundleOfSecret(secret, REF)).toThrow(
      /^secret\/workspace-storage-webhook-tls in namespace workspace-storage-webhook has no ca\.crt/,
    );
  });

  it('names the Secret and key when ca.crt is not a certificate', () => {
    expect(() => caBundleOfSecret({ data: { 'ca.crt': b64('not a certificate') } }, REF)).toThrow(
      /^secret\/workspace-storage-webhook-tls in namespace workspace-storage-webhook key ca\.crt: not a valid PEM/,
    );
  });
});

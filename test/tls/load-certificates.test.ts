import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateFileError } from '../../src/tls/certificate-file-error.js';
import { certificatePaths, type CertificatePaths } from '../../src/tls/certificate-paths.js';
import { generateCertificates } from '../../src/tls/generate-certificates.js';
import { loadCertificates } from '../../src/tls/load-certificates.js';
import { captureLogs, WARN } from './support/log-capture.js';
import { writeSecretVolume } from './support/secret-volume.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('loadCertificates', () => {
  let dir: string;
  let paths: CertificatePaths;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsw-certs-'));
    paths = certificatePaths(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = (logs = captureLogs()) => loadCertificates({ dir, logger: logs.logger });

  describe('with no certificate files', () => {
    it('generates a CA and a serving certificate signed by it, under the Kubernetes TLS Secret names', async () => {
      const loaded = await loadCertificates({
        dir,
        serviceName: 'hook',
        namespace: 'infra',
        logger: captureLogs().logger,
      });
      expect(loaded.generated).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      expect(await readFile(paths.cert, 'utf8')).toBe(loaded.cert);
      expect(await readFile(paths.key, 'utf8')).toBe(loaded.key);
      expect(await readFile(paths.caCert, 'utf8')).toBe(loaded.ca);
      const leaf = new X509Certificate(loaded.cert);
      expect(leaf.verify(new X509Certificate(loaded.ca!).publicKey)).toBe(true);
      expect(leaf.subjectAltName).toContain('DNS:hook.infra.svc,');
      expect(loaded.notAfter).toEqual(new Date(leaf.validTo));
      expect(loaded.paths).toEqual(paths);
    });

    it('writes the key files with mode 0600 and the certificates 0644', async () => {
      await load();
      for (const [path, mode] of [
        [paths.key, 0o600],
        [paths.caKey, 0o600],
        [paths.cert, 0o644],
        [paths.caCert, 0o644],
      ] as const) {
        expect({ path, mode: (await stat(path)).mode & 0o777 }).toEqual({ path, mode });
      }
    });

    it('creates a missing CERT_DIR', async () => {
      const nested = join(dir, 'a', 'b');
      const loaded = await loadCertificates({ dir: nested, logger: captureLogs().logger });
      expect(loaded.generated).toBe(true);
      expect((await readdir(nested)).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    });

    it('issues a serving certificate under an existing ca.crt + ca.key, keeping the CA', async () => {
      const { ca } = await generateCertificates({ serviceName: 'x', namespace: 'y' });
      await writeFile(paths.caCert, ca.cert);
      await writeFile(paths.caKey, ca.key, { mode: 0o600 });
      const loaded = await load();
      expect(loaded.generated).toBe(true);
      expect(await readFile(paths.caCert, 'utf8')).toBe(ca.cert);
      expect(new X509Certificate(loaded.cert).verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    });
  });

  describe('with existing certificate files', () => {
    it('uses them as they are and does not regenerate', async () => {
      const first = await load();
      const before = await Promise.all([paths.cert, paths.key, paths.caCert].map((path) => stat(path)));
      const second = await load();
      expect(second.generated).toBe(false);
      expect(second.cert).toBe(first.cert);
      expect(second.key).toBe(first.key);
      expect(second.digest).toBe(first.digest);
      const after = await Promise.all([paths.cert, paths.key, paths.caCert].map((path) => stat(path)));
      expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
    });

    it('accepts a plain kubernetes.io/tls Secret volume without ca.crt', async () => {
      const { serving } = await generateCertificates({ serviceName: 'x', namespace: 'y' });
      await writeSecretVolume(dir, { 'tls.crt': serving.cert, 'tls.key': serving.key });
      const loaded = await load();
      expect(loaded).toMatchObject({ generated: false, cert: serving.cert, key: serving.key });
      expect(loaded.ca).toBeUndefined();
      expect(await readdir(dir)).not.toContain('ca.key');
    });

    it('reads ca.crt from a cert-manager style Secret volume', async () => {
      const { ca, serving } = await generateCertificates({ serviceName: 'x', namespace: 'y' });
      await writeSecretVolume(dir, { 'ca.crt': ca.cert, 'tls.crt': serving.cert, 'tls.key': serving.key });
      const loaded = await load();
      expect(loaded.ca).toBe(ca.cert);
      expect(loaded.caNotAfter).toEqual(new Date(new X509Certificate(ca.cert).validTo));
    });
  });

  describe('refuses to start', () => {
    let pair: { cert: string; key: string; caCert: string; caKey: string };

    beforeEach(async () => {
      const { ca, serving } = await generateCertificates({ serviceName: 'x', namespace: 'y' });
      pair = { cert: serving.cert, key: serving.key, caCert: ca.cert, caKey: ca.key };
    });

    it.each([
      ['tls.crt without tls.key', { cert: true }, 'key'],
      ['tls.key without tls.crt', { key: true }, 'cert'],
      ['tls.crt and ca.crt without tls.key', { cert: true, caCert: true }, 'key'],
      ['ca.crt alone', { caCert: true }, 'caKey'],
      ['ca.key alone', { caKey: true }, 'caCert'],
    ] as const)('with %s, naming the missing file', async (_case, present, missing) => {
      for (const name of Object.keys(present) as Array<keyof typeof pair>) await writeFile(paths[name], pair[name]);
      const error = await load().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CertificateFileError);
      expect((error as CertificateFileError).path).toBe(paths[missing]);
      expect((error as Error).message).toContain(`${paths[missing]}: missing`);
      // Nothing was generated over the partial set.
      const written = Object.keys(present).map((name) => basename(paths[name as keyof typeof pair]));
      expect((await readdir(dir)).sort()).toEqual(written.sort());
    });

    it.each([
      ['a garbage tls.crt', 'cert', 'this is not a certificate', /not a valid PEM certificate/],
      ['an empty tls.crt', 'cert', '', /empty file/],
      ['a truncated tls.crt', 'cert', 'HALF', /not a valid PEM certificate/],
      ['a garbage tls.key', 'key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /not a valid PEM/],
      ['a garbage ca.crt', 'caCert', 'garbage', /not a valid PEM certificate/],
    ] as const)('with %s, naming the file', async (_case, bad, content, reason) => {
      await writeFile(paths.cert, pair.cert);
      await writeFile(paths.key, pair.key);
      await writeFile(paths[bad], content === 'HALF' ? pair.cert.slice(0, pair.cert.length / 2) : content);
      const error = await load().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CertificateFileError);
      expect((error as CertificateFileError).path).toBe(paths[bad]);
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message.startsWith(`${paths[bad]}: `)).toBe(true);
    });

    it('when tls.key does not belong to tls.crt', async () => {
      const other = await generateCertificates({ serviceName: 'x', namespace: 'y' });
      await writeFile(paths.cert, pair.cert);
      await writeFile(paths.key, other.serving.key);
      await expect(load()).rejects.toThrow(`${paths.key}: private key does not match the certificate in ${paths.cert}`);
    });

    it('when a file cannot be read', async () => {
      await writeFile(paths.key, pair.key);
      await mkdir(paths.cert);
      await expect(load()).rejects.toThrow(`${paths.cert}: cannot read (EISDIR)`);
    });

    it('without putting key material into the message', async () => {
      await writeFile(paths.cert, pair.cert);
      await writeFile(paths.key, pair.key.replace('-----END', 'x-----END'));
      const error = (await load().catch((caught: unknown) => caught)) as Error;
      expect(error.message).toContain(paths.key);
      expect(error.message).not.toContain(pair.key.split('\n')[1]);
    });
  });

  describe('expiry warning at start-up', () => {
    it('warns with days left and the path when the certificate expires within 30 days', async () => {
      const now = new Date();
      const { serving } = await generateCertificates({ serviceName: 'x', namespace: 'y', now, validityDays: 29.5 });
      await writeFile(paths.cert, serving.cert);
      await writeFile(paths.key, serving.key);
      const logs = captureLogs();
      await loadCertificates({ dir, logger: logs.logger, now });
      const warnings = logs.lines.filter((line) => line.level === WARN);
      expect(warnings).toEqual([
        expect.objectContaining({ path: paths.cert, daysLeft: 29, msg: 'certificate expires in 29 days' }),
      ]);
    });

    it('is silent with more than 30 days left', async () => {
      const now = new Date();
      const { serving } = await generateCertificates({ serviceName: 'x', namespace: 'y', now, validityDays: 31 });
      await writeFile(paths.cert, serving.cert);
      await writeFile(paths.key, serving.key);
      const logs = captureLogs();
      const loaded = await loadCertificates({ dir, logger: logs.logger, now });
      expect(logs.lines.filter((line) => (line.level as number) >= WARN)).toEqual([]);
      expect(loaded.notAfter.getTime() - now.getTime()).toBeGreaterThan(30 * DAY_MS);
    });
  });
});

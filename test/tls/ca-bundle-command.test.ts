import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCaBundleCommand } from '../../src/cli/ca-bundle-command.js';
import { loadCertificates } from '../../src/tls/load-certificates.js';
import { captureLogs } from './support/log-capture.js';

/** Collects what the command writes. */
function memoryIo() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (chunk: string) => (out.stdout += chunk) },
      stderr: { write: (chunk: string) => (out.stderr += chunk) },
    },
  };
}

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('runCaBundleCommand', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsw-ca-bundle-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the base64 of CERT_DIR/ca.crt', async () => {
    await loadCertificates({ dir, logger: captureLogs().logger });
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand([], io, { CERT_DIR: dir })).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^[A-Za-z0-9+/]+=*\n$/);
    expect(Buffer.from(out.stdout.trim(), 'base64').toString('utf8')).toBe(await readFile(join(dir, 'ca.crt'), 'utf8'));
  });

  it('names the missing ca.crt', async () => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand([], io, { CERT_DIR: dir })).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${join(dir, 'ca.crt')}: not found`);
  });

  it('names a ca.crt that is not a certificate', async () => {
    await writeFile(join(dir, 'ca.crt'), 'not a certificate');
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand([], io, { CERT_DIR: dir })).toBe(1);
    expect(out.stderr).toContain(`${join(dir, 'ca.crt')}: not a valid PEM certificate`);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--name', 'x'], /--name only makes sense with --apply/],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(args, io, { CERT_DIR: dir })).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain('usage: workspace-storage-webhook ca-bundle');
  });

  it('prints the usage for --help', async () => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(['--help'], io, {})).toBe(0);
    expect(out.stdout).toContain('--apply');
  });

  describe('--apply without a reachable cluster', () => {
    beforeEach(async () => {
      await loadCertificates({ dir, logger: captureLogs().logger });
    });

    it('reports a kubeconfig that cannot be loaded', async () => {
      const { io, out } = memoryIo();
      const env = { CERT_DIR: dir, KUBECONFIG: join(dir, 'absent.kubeconfig') };
      expect(await runCaBundleCommand(['--apply'], io, env)).toBe(1);
      expect(out.stderr).toMatch(/^ca-bundle: no cluster access: cannot load the kubeconfig/);
    });

    it('reports an API server that does not answer', async () => {
      const server = `https://127.0.0.1:${await closedPort()}`;
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
          users: [{ name: 'u', user: { token: 'x' } }],
          contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'ctx',
        }),
      );
      const { io, out } = memoryIo();
      expect(await runCaBundleCommand(['--apply'], io, { CERT_DIR: dir, KUBECONFIG: kubeconfig })).toBe(1);
      expect(out.stderr).toContain(`cannot reach the API server at ${server}`);
      expect(out.stderr).toContain('ECONNREFUSED');
    });

    it.skipIf(existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))(
      'says there is no cluster access when no kubeconfig or service account exists',
      async () => {
        // client-node's loadFromDefault reads HOME and KUBECONFIG from process.env itself.
        const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
        process.env.HOME = dir;
        delete process.env.KUBECONFIG;
        try {
          const { io, out } = memoryIo();
          expect(await runCaBundleCommand(['--apply'], io, { CERT_DIR: dir })).toBe(1);
          expect(out.stderr).toBe(
            'ca-bundle: no cluster access: no KUBECONFIG, no ~/.kube/config and no in-cluster service account\n',
          );
        } finally {
          for (const [name, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
          }
        }
      },
    );
  });
});

import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCaBundleCommand } from '../../src/cli/ca-bundle-command.js';
import { resolveNamespace } from '../../src/cli/secret-ca-bundle.js';
import { generateCertificates } from '../../src/tls/generate-certificates.js';
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

/** One request the fake API server received. */
interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** What the fake API server answers: a status and JSON body, or nothing at all (`hang`). */
type Answer = { readonly status: number; readonly body?: unknown } | 'hang';

/** A plain-HTTP stand-in for kube-apiserver that records every call and answers with `answer`. */
async function fakeApiServer(answer: (call: ApiCall, calls: readonly ApiCall[]) => Answer) {
  const calls: ApiCall[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const call = {
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: raw === '' ? undefined : JSON.parse(raw),
      };
      calls.push(call);
      const reply = answer(call, calls);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A metav1.Status failure body, as kube-apiserver sends it. */
function statusAnswer(code: number, reason: string, message: string): Answer {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code } };
}

/** A kubeconfig for `server`, a plain-HTTP fake API server. */
async function writeKubeconfig(path: string, server: string, namespace?: string): Promise<void> {
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
      'current-context': 'ctx',
    }),
  );
}

const SECRETS = '/api/v1/namespaces/workspace-storage-webhook/secrets';
const CONFIGURATION = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/workspace-storage-webhook';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

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
    [['--secret', 'tls'], /--secret only makes sense with --apply/],
    [['--timeout', '5'], /--timeout only makes sense with --apply/],
    [['--apply', '--namespace', 'ns'], /--namespace only makes sense with --secret/],
    [['--apply', '--service', 'svc'], /--service only makes sense with --secret/],
    [['--apply', '--secret'], /argument missing/],
    [['--apply', '--secret', 'Bad_Name'], /--secret "Bad_Name" is not a valid Secret name/],
    [['--apply', '--secret', `${'a'.repeat(254)}`], /is not a valid Secret name/],
    [['--apply', '--secret', 'tls', '--namespace', 'a.b'], /--namespace "a.b" is not a DNS label/],
    [['--apply', '--secret', 'tls', '--service', 'Svc'], /--service "Svc" is not a DNS label/],
    [['--apply', '--timeout', '0'], /--timeout "0" is not a number of seconds/],
    [['--apply', '--timeout', '30s'], /--timeout "30s" is not a number of seconds/],
    [['--apply', '--timeout', ''], /--timeout "" is not a number of seconds/],
    [['--apply', '--timeout', '3601'], /--timeout "3601" is not a number of seconds/],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(args, io, { CERT_DIR: dir })).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain('usage: workspace-storage-webhook ca-bundle');
  });

  it('prints the usage for --help', async () => {
    const { io, out } = memoryIo();
    expect(await runCaBundleCommand(['--help'], io, {})).toBe(0);
    for (const flag of ['--apply', '--name', '--secret', '--namespace', '--service', '--timeout']) {
      expect(out.stdout).toContain(flag);
    }
  });

  it.each([
    [{ flag: 'flag', context: 'context', pod: 'pod' }, 'flag'],
    [{ context: 'context', pod: 'pod' }, 'context'],
    [{ context: '', pod: 'pod\n' }, 'pod'],
    [{ pod: '  ' }, 'workspace-storage-webhook'],
    [{}, 'workspace-storage-webhook'],
  ])('resolveNamespace(%j) is %s', (sources, expected) => {
    expect(resolveNamespace(sources)).toBe(expected);
  });

  describe('--apply without a reachable cluster', () => {
    beforeEach(async () => {
      await loadCertificates({ dir, logger: captureLogs().logger });
    });

    it('reports a kubeconfig that cannot be loaded', async () => {
      const { io, out } = memoryIo();
      const env = { CERT_DIR: dir, KUBECONFIG: join(dir, 'absent.kubeconfig') };
      expect(await runCaBundleCommand(['--apply'], io, env)).toBe(1);
      // The reason as the server and the other commands word it (loadClusterAccess).
      expect(out.stderr).toBe(`ca-bundle: no cluster access: KUBECONFIG ${join(dir, 'absent.kubeconfig')}: no such file\n`);
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
        // ~/.kube/config is looked up in the process's own HOME.
        const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
        process.env.HOME = dir;
        delete process.env.KUBECONFIG;
        try {
          const { io, out } = memoryIo();
          expect(await runCaBundleCommand(['--apply'], io, { CERT_DIR: dir })).toBe(1);
          expect(out.stderr).toBe(
            'ca-bundle: no cluster access: no in-cluster service account, no KUBECONFIG, no ~/.kube/config\n',
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

  describe('--apply --secret against a fake API server', () => {
    let api: Awaited<ReturnType<typeof fakeApiServer>> | undefined;
    const configuration = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'workspace-storage-webhook' },
      webhooks: [
        { name: 'a.workspace-storage.dev', clientConfig: { url: 'https://a' } },
        { name: 'b.workspace-storage.dev', clientConfig: { url: 'https://b' } },
      ],
    };
    /** The Job's arguments. */
    const jobArgs = ['--apply', '--name', 'workspace-storage-webhook', '--secret', 'tls'];

    afterEach(async () => {
      await api?.close();
      api = undefined;
    });

    /** Runs the command against `answer`; CERT_DIR is the empty `dir`, and no pod namespace file exists. */
    async function run(args: string[], answer: Parameters<typeof fakeApiServer>[0], namespace?: string) {
      api = await fakeApiServer(answer);
      const kubeconfig = join(dir, 'kubeconfig');
      await writeKubeconfig(kubeconfig, api.url, namespace);
      const { io, out } = memoryIo();
      const env = { CERT_DIR: join(dir, 'certs'), KUBECONFIG: kubeconfig };
      const code = await runCaBundleCommand(args, io, env, { podNamespaceFile: join(dir, 'no-pod-namespace') });
      return { code, out, calls: api.calls, url: api.url };
    }

    it('creates the Secret when it is absent, then writes its ca.crt into every webhook', async () => {
      const { code, out, calls } = await run(jobArgs, (call) => {
        if (call.method === 'GET' && call.path === `${SECRETS}/tls`) {
          return statusAnswer(404, 'NotFound', 'secrets "tls" not found');
        }
        if (call.method === 'POST' && call.path === SECRETS) return { status: 201, body: call.body };
        if (call.method === 'GET' && call.path === CONFIGURATION) return { status: 200, body: configuration };
        if (call.method === 'PATCH' && call.path === CONFIGURATION) return { status: 200, body: configuration };
        return statusAnswer(500, 'InternalError', `unexpected ${call.method} ${call.path}`);
      });

      expect(out.stderr).toBe('');
      expect(code).toBe(0);
      expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([
        `GET ${SECRETS}/tls`,
        `POST ${SECRETS}`,
        `GET ${CONFIGURATION}`,
        `PATCH ${CONFIGURATION}`,
      ]);
      const secret = calls[1]!.body as { type: string; metadata: { name: string }; data: Record<string, string> };
      expect(secret.type).toBe('kubernetes.io/tls');
      expect(secret.metadata.name).toBe('tls');
      expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
      const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt']!, 'base64'));
      expect(leaf.subjectAltName).toContain('DNS:workspace-storage-webhook.workspace-storage-webhook.svc');

      expect(calls[3]!.contentType).toBe('application/json-patch+json');
      expect(calls[3]!.body).toEqual([
        { op: 'test', path: '/webhooks/0/name', value: 'a.workspace-storage.dev' },
        { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: secret.data['ca.crt'] },
        { op: 'test', path: '/webhooks/1/name', value: 'b.workspace-storage.dev' },
        { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: secret.data['ca.crt'] },
      ]);
      const lines = out.stdout.split('\n');
      expect(lines[0]).toMatch(
        new RegExp(
          '^secret/tls in namespace workspace-storage-webhook: created with a new CA \\(until \\S+\\) and a ' +
            'serving certificate for workspace-storage-webhook\\.workspace-storage-webhook\\.svc \\(until \\S+\\)$',
        ),
      );
      expect(lines.slice(1)).toEqual([
        'mutatingwebhookconfiguration/workspace-storage-webhook: caBundle set on ' +
          'a.workspace-storage.dev, b.workspace-storage.dev',
        '',
      ]);
      // CERT_DIR is neither read nor written: the CA key never touches a disk.
      expect(existsSync(join(dir, 'certs'))).toBe(false);
      expect(await readdir(dir)).toEqual(['kubeconfig']);
    });

    it('uses an existing Secret without writing it, and patches only stale webhooks', async () => {
      const { ca } = await generateCertificates({ serviceName: 's', namespace: 'n' });
      const upToDate = {
        ...configuration,
        webhooks: [
          { name: 'a.workspace-storage.dev', clientConfig: { url: 'https://a', caBundle: b64(ca.cert) } },
          configuration.webhooks[1],
        ],
      };
      const { code, out, calls } = await run(jobArgs, (call) => {
        if (call.method === 'GET' && call.path === `${SECRETS}/tls`) {
          return { status: 200, body: { kind: 'Secret', data: { 'ca.crt': b64(ca.cert), 'tls.crt': 'eA==' } } };
        }
        if (call.path === CONFIGURATION) return { status: 200, body: upToDate };
        return statusAnswer(500, 'InternalError', `unexpected ${call.method} ${call.path}`);
      });
      expect(out.stderr).toBe('');
      expect(code).toBe(0);
      expect(calls.map((call) => call.method)).toEqual(['GET', 'GET', 'PATCH']);
      expect(out.stdout).toBe(
        'secret/tls in namespace workspace-storage-webhook: exists; using its ca.crt\n' +
          'mutatingwebhookconfiguration/workspace-storage-webhook: caBundle set on b.workspace-storage.dev\n',
      );
    });

    it('on 409 AlreadyExists reads the Secret another run created and uses its CA', async () => {
      const winner = await generateCertificates({ serviceName: 's', namespace: 'n' });
      let secretReads = 0;
      const { code, out, calls } = await run(jobArgs, (call) => {
        if (call.method === 'GET' && call.path === `${SECRETS}/tls`) {
          secretReads += 1;
          return secretReads === 1
            ? statusAnswer(404, 'NotFound', 'secrets "tls" not found')
            : { status: 200, body: { kind: 'Secret', data: { 'ca.crt': b64(winner.ca.cert) } } };
        }
        if (call.method === 'POST') return statusAnswer(409, 'AlreadyExists', 'secrets "tls" already exists');
        if (call.method === 'GET') return { status: 200, body: configuration };
        return { status: 200, body: configuration };
      });
      expect(out.stderr).toBe('');
      expect(code).toBe(0);
      expect(calls.map((call) => call.method)).toEqual(['GET', 'POST', 'GET', 'GET', 'PATCH']);
      const operations = calls[4]!.body as Array<{ op: string; value: string }>;
      expect(operations.filter((op) => op.op === 'add').map((op) => op.value)).toEqual([
        b64(winner.ca.cert),
        b64(winner.ca.cert),
      ]);
      expect(out.stdout).toContain(
        'secret/tls in namespace workspace-storage-webhook: created meanwhile by another run; using its ca.crt\n',
      );
    });

    it.each([
      [
        'an existing Secret without ca.crt',
        (call: ApiCall): Answer =>
          call.method === 'GET' && call.path.startsWith(SECRETS)
            ? { status: 200, body: { kind: 'Secret', type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } } }
            : { status: 200, body: configuration },
        'ca-bundle: secret/tls in namespace workspace-storage-webhook has no ca.crt: the caBundle must be the CA ' +
          'that signed its tls.crt (add ca.crt, or delete the Secret to have a new one generated)\n',
      ],
      [
        'a forbidden get',
        (): Answer => statusAnswer(403, 'Forbidden', 'secrets "tls" is forbidden'),
        'ca-bundle: cannot get secret/tls in namespace workspace-storage-webhook: forbidden (the service account ' +
          'needs get on this Secret and create on secrets in namespace workspace-storage-webhook)\n',
      ],
      [
        'a forbidden create',
        (call: ApiCall): Answer =>
          call.method === 'GET'
            ? statusAnswer(404, 'NotFound', 'secrets "tls" not found')
            : statusAnswer(403, 'Forbidden', 'secrets is forbidden'),
        'ca-bundle: cannot create secret/tls in namespace workspace-storage-webhook: forbidden (the service ' +
          'account needs get on this Secret and create on secrets in namespace workspace-storage-webhook)\n',
      ],
      [
        'a missing namespace',
        (call: ApiCall): Answer =>
          call.method === 'GET'
            ? statusAnswer(404, 'NotFound', 'secrets "tls" not found')
            : statusAnswer(404, 'NotFound', 'namespaces "workspace-storage-webhook" not found'),
        'ca-bundle: cannot create secret/tls in namespace workspace-storage-webhook: the namespace does not exist\n',
      ],
      [
        'another refusal, with the API server\'s message',
        (call: ApiCall): Answer =>
          call.method === 'GET'
            ? statusAnswer(404, 'NotFound', 'secrets "tls" not found')
            : statusAnswer(422, 'Invalid', 'Secret "tls" is invalid: data[tls.key]: Required value'),
        'ca-bundle: cannot create secret/tls in namespace workspace-storage-webhook: API server answered 422: ' +
          'Secret "tls" is invalid: data[tls.key]: Required value\n',
      ],
    ])('exits 1 and patches nothing on %s', async (_what, answer, message) => {
      const { code, out, calls } = await run(jobArgs, answer);
      expect(out.stderr).toBe(message);
      expect(out.stdout).toBe('');
      expect(code).toBe(1);
      expect(calls.some((call) => call.method === 'PATCH')).toBe(false);
    });

    it('reports a created Secret even when the patch is then refused', async () => {
      const { code, out } = await run(jobArgs, (call) => {
        if (call.method === 'GET' && call.path.startsWith(SECRETS)) return statusAnswer(404, 'NotFound', 'not found');
        if (call.method === 'POST') return { status: 201, body: call.body };
        return statusAnswer(403, 'Forbidden', 'forbidden');
      });
      expect(code).toBe(1);
      expect(out.stdout).toMatch(/^secret\/tls in namespace workspace-storage-webhook: created with a new CA .*\n$/);
      expect(out.stderr).toBe(
        'ca-bundle: cannot get mutatingwebhookconfiguration/workspace-storage-webhook: ' +
          'forbidden (the service account needs get and patch on it)\n',
      );
    });

    it.each([
      ['--namespace', ['--namespace', 'from-flag'], 'from-context', 'from-pod', 'from-flag'],
      ['the kubeconfig context', [], 'from-context', 'from-pod', 'from-context'],
      ['the pod namespace file', [], undefined, 'from-pod\n', 'from-pod'],
      ['the default', [], undefined, undefined, 'workspace-storage-webhook'],
    ])('takes the namespace from %s', async (_what, extra, contextNamespace, podNamespace, expected) => {
      api = await fakeApiServer(() => statusAnswer(403, 'Forbidden', 'no'));
      const kubeconfig = join(dir, 'kubeconfig');
      await writeKubeconfig(kubeconfig, api.url, contextNamespace);
      const podNamespaceFile = join(dir, 'namespace');
      if (podNamespace !== undefined) await writeFile(podNamespaceFile, podNamespace);
      const { io, out } = memoryIo();
      const env = { CERT_DIR: dir, KUBECONFIG: kubeconfig };
      expect(await runCaBundleCommand([...jobArgs, ...extra], io, env, { podNamespaceFile })).toBe(1);
      expect(api.calls.map((call) => call.path)).toEqual([`/api/v1/namespaces/${expected}/secrets/tls`]);
      expect(out.stderr).toContain(`cannot get secret/tls in namespace ${expected}: forbidden`);
    });

    it('issues the certificate for --service in the namespace', async () => {
      const { code, calls } = await run(
        [...jobArgs, '--namespace', 'hooks-system', '--service', 'hooks'],
        (call) =>
          call.method === 'GET' && call.path.includes('/secrets/')
            ? statusAnswer(404, 'NotFound', 'not found')
            : call.method === 'POST'
              ? { status: 201, body: call.body }
              : { status: 200, body: configuration },
      );
      expect(code).toBe(0);
      expect(calls[1]!.path).toBe('/api/v1/namespaces/hooks-system/secrets');
      const data = (calls[1]!.body as { data: Record<string, string> }).data;
      const leaf = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64'));
      expect(leaf.subjectAltName).toContain('DNS:hooks.hooks-system.svc');
    });

    it.each([
      ['with --secret', [...jobArgs], 'cannot get secret/tls in namespace workspace-storage-webhook'],
      ['without --secret', ['--apply'], 'cannot get mutatingwebhookconfiguration/workspace-storage-webhook'],
    ])('gives up after --timeout when the API server never answers (%s)', async (_what, args, action) => {
      await loadCertificates({ dir: join(dir, 'certs'), logger: captureLogs().logger });
      const started = Date.now();
      const { code, out, url } = await run([...args, '--timeout', '0.5'], () => 'hang');
      expect(out.stderr).toBe(
        `ca-bundle: ${action}: no answer from the API server at ${url} within 0.5 s (--timeout)\n`,
      );
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});

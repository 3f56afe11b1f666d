import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadClusterAccess, type ClusterAccessResult } from '../../src/cluster/credentials/cluster-access.js';

let dir: string;
const none = (): string => join(dir, 'nothing-here');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsw-access-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function serviceAccount(token = 'sa-token'): string {
  const sa = join(dir, 'sa');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), `${token}\n`);
  writeFileSync(join(sa, 'ca.crt'), 'not really a PEM, only read');
  return sa;
}

function kubeconfig(name: string, document: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(document));
  return path;
}

const simple = (server = 'https://127.0.0.1:6443', user: Record<string, unknown> = { token: 'kc-token' }) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server, 'certificate-authority': 'ca.crt' } }],
  users: [{ name: 'u', user }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'ctx',
});

function access(result: ClusterAccessResult) {
  if (!result.ok) throw new Error(`expected access, got: ${result.reason}`);
  return result.access;
}

describe('loadClusterAccess', () => {
  it('no service account, no KUBECONFIG, no ~/.kube/config: a reason, not an exception', async () => {
    const result = await loadClusterAccess({ env: {}, serviceAccountDir: none(), homeDir: none() });
    expect(result).toEqual({ ok: false, reason: 'no in-cluster service account, no KUBECONFIG, no ~/.kube/config' });
  });

  it('KUBERNETES_SERVICE_HOST without a mounted token says so', async () => {
    const result = await loadClusterAccess({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: none(), homeDir: none() });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('no service-account token at');
  });

  it('in-cluster: service host and port, mounted token as bearer', async () => {
    const sa = serviceAccount();
    const result = access(
      await loadClusterAccess({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa, homeDir: none() }),
    );
    expect(result.server).toBe('https://[fd00::1]:443');
    expect(result.source).toBe('in-cluster service account');
    expect((await result.requestOptions()).headers).toEqual({ Authorization: 'Bearer sa-token' });
  });

  it('KUBECONFIG wins over the service account; relative paths are relative to the file', async () => {
    const sa = serviceAccount();
    writeFileSync(join(dir, 'ca.crt'), 'ca');
    const path = kubeconfig('config', simple());
    const result = access(
      await loadClusterAccess({ env: { KUBECONFIG: path, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa, homeDir: none() }),
    );
    expect(result.server).toBe('https://127.0.0.1:6443');
    expect(result.source).toBe(`KUBECONFIG ${path} (context ctx)`);
    expect((await result.requestOptions()).headers).toEqual({ Authorization: 'Bearer kc-token' });
  });

  it('a missing CA file is a reason', async () => {
    const path = kubeconfig('config', simple());
    const result = await loadClusterAccess({ env: { KUBECONFIG: path }, homeDir: none(), serviceAccountDir: none() });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/ENOENT .*ca\.crt/);
  });

  it('merges a KUBECONFIG list like kubectl: first definition wins, missing files skipped', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'ca');
    const first = kubeconfig('a', { users: [{ name: 'u', user: { token: 'first' } }], 'current-context': 'ctx' });
    const second = kubeconfig('b', { ...simple(), 'current-context': 'other' });
    const result = access(await loadClusterAccess({ env: { KUBECONFIG: [join(dir, 'missing'), first, second].join(':') }, homeDir: none() }));
    expect((await result.requestOptions()).headers).toEqual({ Authorization: 'Bearer first' });
  });

  it('~/.kube/config as the last resort; tokenFile and anonymous users', async () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'ca.crt'), 'ca');
    writeFileSync(join(dir, '.kube', 'token'), 'from-file\n');
    writeFileSync(join(dir, '.kube', 'config'), JSON.stringify(simple('https://h:1/', { tokenFile: 'token' })));
    const result = access(await loadClusterAccess({ env: {}, serviceAccountDir: none(), homeDir: dir }));
    expect(result.server).toBe('https://h:1');
    expect(result.source).toContain('~/.kube/config');
    expect((await result.requestOptions()).headers).toEqual({ Authorization: 'Bearer from-file' });

    writeFileSync(join(dir, '.kube', 'config'), JSON.stringify(simple('http://127.0.0.1:8001', {})));
    const proxy = access(await loadClusterAccess({ env: {}, serviceAccountDir: none(), homeDir: dir }));
    expect((await proxy.requestOptions()).headers).toEqual({});
  });

  it.each([
    ['no current-context', { ...simple(), 'current-context': undefined }, /no current-context/],
    ['unknown context', { ...simple(), 'current-context': 'nope' }, /context "nope" not found/],
    ['unknown cluster', { ...simple(), contexts: [{ name: 'ctx', context: { cluster: 'x', user: 'u' } }] }, /cluster "x" not found/],
    ['no server', { ...simple(), clusters: [{ name: 'c', cluster: {} }] }, /has no http\(s\) server/],
  ])('bad kubeconfig (%s) is a reason', async (_name, document, reason) => {
    const path = kubeconfig('config', document);
    const result = await loadClusterAccess({ env: { KUBECONFIG: path }, homeDir: none() });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('unparsable YAML is a reason', async () => {
    const path = join(dir, 'config');
    writeFileSync(path, 'clusters: [\n  - {');
    const result = await loadClusterAccess({ env: { KUBECONFIG: path }, homeDir: none() });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(`KUBECONFIG ${path}:`);
  });

  it('exec credential plugins are run through client-node', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'ca');
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'exec-token' } });
    const path = kubeconfig(
      'config',
      simple('https://127.0.0.1:6443', {
        exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: ['-e', `console.log(${JSON.stringify(credential)})`] },
      }),
    );
    const result = access(await loadClusterAccess({ env: { KUBECONFIG: path }, homeDir: none() }));
    expect(result.source).toContain('via client-node');
    const options = await result.requestOptions();
    expect(options.headers.Authorization).toBe('Bearer exec-token');
    expect(options.agent).toBeDefined();
  }, 30_000);
});

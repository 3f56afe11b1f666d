import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { runPreviewCommand } from '../../src/cli/preview-command.js';

/** Runs the command with `input` on stdin, capturing both streams. */
async function preview(args: string[], input = '', env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runPreviewCommand(args, {
    stdin: Readable.from([input]),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  }, env);
  return { code, stdout, stderr };
}

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wsw-preview-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

const CODER_TEMPLATE = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coder-7f3e2b1c
  namespace: coder-workspaces
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app.kubernetes.io/name: coder-workspace}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: coder-workspace
        com.coder.resource: "true"
      annotations:
        workspace-storage.dev/projects: /home/coder/web
    spec:
      containers:
        - name: dev
          image: codercom/enterprise-base:ubuntu
          env: [{name: CODER_AGENT_TOKEN, value: secret}]
          resources: {limits: {memory: 4Gi}}
          volumeMounts: [{name: home, mountPath: /home/coder}]
      volumes:
        - name: home
          persistentVolumeClaim: {claimName: coder-7f3e2b1c-home}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: coder-7f3e2b1c-home
  namespace: coder-workspaces
  labels: {app.kubernetes.io/name: coder-pvc}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: longhorn
  resources: {requests: {storage: 10Gi}}
`;

describe('preview CLI', () => {
  it('mutates a Deployment pod template and a PVC as the server would, with warnings on stderr', async () => {
    const { code, stdout, stderr } = await preview(['-f', '-'], CODER_TEMPLATE);
    expect(code).toBe(0);
    const [deployment, pvc] = parseAllDocuments(stdout).map((doc) => doc.toJS());
    const template = deployment.spec.template;
    expect(template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath))
      .toEqual(['/home/coder', '/home/coder/web/node_modules', '/home/coder/web/.next']);
    expect(template.spec.volumes.filter((v: { emptyDir?: { medium?: string } }) => v.emptyDir?.medium === 'Memory')).toHaveLength(2);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(pvc.spec.storageClassName).toBe('local-path');
    expect(pvc.metadata.annotations['workspace-storage.dev/original-storage-class']).toBe('longhorn');
    expect(stderr).toContain('warning: Deployment/coder-7f3e2b1c: container dev: memory limit 4Gi < tmpfs 24Gi + request 0');
    expect(stderr).toContain('change: PersistentVolumeClaim/coder-7f3e2b1c-home: storage-class: longhorn->local-path');
  });

  it('prints a unified diff with --diff and exits 1 because something would change (as diff and kubectl diff)', async () => {
    const { code, stdout } = await preview(['-f', '-', '--diff'], CODER_TEMPLATE);
    expect(code).toBe(1);
    expect(stdout).toContain('--- a/Deployment/coder-7f3e2b1c');
    expect(stdout).toContain('+++ b/Deployment/coder-7f3e2b1c');
    expect(stdout).toMatch(/^\+ +mountPath: \/home\/coder\/web\/node_modules$/m);
    expect(stdout).toMatch(/^- +storageClassName: longhorn$/m);
    expect(stdout).toMatch(/^\+ +storageClassName: local-path$/m);
  });

  it('rewrites StatefulSet volumeClaimTemplates and uses --config', async () => {
    const statefulSet = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ws, namespace: coder}
spec:
  serviceName: ws
  selector: {matchLabels: {app: ws}}
  template:
    metadata: {labels: {com.coder.resource: "true", app: ws}}
    spec:
      containers: [{name: dev, image: x, volumeMounts: [{name: home, mountPath: /home/coder}]}]
  volumeClaimTemplates:
    - metadata: {name: home, labels: {com.coder.resource: "true"}}
      spec: {storageClassName: longhorn-fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
    const config = configFile('storageClass: {rewrite: {longhorn-fast: local-path}}\ntmpfs: {projects: [/home/coder/app]}\n');
    const { code, stdout } = await preview(['-f', '-', '--config', config], statefulSet);
    expect(code).toBe(0);
    const result = parseAllDocuments(stdout)[0]!.toJS();
    expect(result.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('local-path');
    expect(result.spec.volumeClaimTemplates[0].kind).toBeUndefined();
    expect(result.spec.template.spec.containers[0].volumeMounts).toHaveLength(3);
  });

  it('--diff exits 0 and prints nothing when nothing would change', async () => {
    const unchanged = 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: done, labels: {com.coder.resource: "true"}}\nspec: {storageClassName: local-path}\n';
    const { code, stdout, stderr } = await preview(['-f', '-', '--diff', '--offline'], unchanged);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('unchanged: PersistentVolumeClaim/done');
  });

  it('passes kinds it does not mutate through unchanged, with a note on stderr (what kubectl kustomize prints)', async () => {
    const stream = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---${CODER_TEMPLATE}`;
    const { code, stdout, stderr } = await preview(['-f', '-', '--offline'], stream);
    expect(code).toBe(0);
    const [configMap, service, deployment] = parseAllDocuments(stdout).map((doc) => doc.toJS());
    expect(configMap).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } });
    expect(service.kind).toBe('Service');
    expect(deployment.spec.template.spec.containers[0].volumeMounts).toHaveLength(3);
    expect(stderr).toContain('note: passed through: ConfigMap/settings (not a kind the webhook mutates)');
    expect(stderr).toContain('note: passed through: Service/web (not a kind the webhook mutates)');
    const diff = await preview(['-f', '-', '--offline', '--diff'], stream);
    expect(diff.stdout).not.toContain('ConfigMap/settings');
  });

  it('previews the items of a kind: List one by one (what kubectl get -o yaml prints)', async () => {
    const [deployment, pvc] = parseAllDocuments(CODER_TEMPLATE).map((doc) => doc.toJS());
    const list = stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [deployment, pvc, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }] });
    const { code, stdout, stderr } = await preview(['-f', '-', '--offline'], list);
    expect(code).toBe(0);
    const result = parseAllDocuments(stdout)[0]!.toJS();
    expect(result.kind).toBe('List');
    expect(result.items).toHaveLength(3);
    expect(result.items[0].spec.template.spec.containers[0].volumeMounts).toHaveLength(3);
    expect(result.items[1].spec.storageClassName).toBe('local-path');
    expect(result.items[2]).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    expect(stderr).toContain('change: PersistentVolumeClaim/coder-7f3e2b1c-home: storage-class: longhorn->local-path');
    expect((await preview(['-f', '-', '--offline', '--diff'], list)).code).toBe(1);
  });

  it('without cluster access says on stderr that node affinity is not previewed, and why', async () => {
    const { stderr } = await preview(['-f', '-'], CODER_TEMPLATE);
    expect(stderr).toMatch(/^note: node affinity not previewed: .+$/m);
    expect((await preview(['-f', '-', '--offline'], CODER_TEMPLATE)).stderr).toMatch(/^note: node affinity not previewed: --offline$/m);
  });

  it.each([
    ['invalid YAML', 'kind: Pod\n  metadata: [', /document 1 is not valid YAML/],
    ['no objects', '# nothing\n', /no Kubernetes objects found/],
    ['a scalar document', '42\n', /not a Kubernetes object/],
    ['a mapping without kind', 'metadata: {name: x}\n', /unsupported kind "\(none\)"/],
  ])('exits 2 with a clear message on %s', async (_name, input, message) => {
    const { code, stderr, stdout } = await preview(['-f', '-', '--offline'], input);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });

  it('exits 2 on bad usage and on a missing file', async () => {
    expect((await preview([])).code).toBe(2);
    expect((await preview(['--frobnicate'])).code).toBe(2);
    const missing = await preview(['-f', '/nonexistent.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT.*nonexistent.yaml|nonexistent.yaml.*ENOENT/);
  });
});

/**
 * Issue "Prove it where workspaces live": a real kube-scheduler and kubelet (containerd + runc) run a Coder-shaped
 * workspace mutated by the real server, registered as the manifests register it. Its home claim asks for
 * `longhorn` and is stored on `local-path` (a local PV, WaitForFirstConsumer), on a brand-new, empty home volume.
 * The workspace container writes what it sees (its mounts, whether it can write its project directory, the
 * result of extracting ~20,000 small files into node_modules) into its home, which the test reads from the node's
 * disk: what the kubelet did, observed, not inferred.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E, freePort, startControlPlane, type ControlPlane } from './harness/control-plane.js';
import { BUSYBOX_IMAGE, startRealNode, type RealNode } from './harness/real-node.js';
import { Cluster, type KubeObject } from './support/cluster.js';
import { localWebhookConfiguration, waitForWebhook } from './support/webhook-configuration.js';
import { WebhookServer } from './support/webhook-server.js';
import { fixtureObject } from './support/workspace-objects.js';

const run = promisify(execFile);
const NS = 'coder';
const NODE = 'node-real';
const PROJECT = '/home/coder/app';
const FILES = 20_000;
const SERVER_CONFIG = `tmpfs:\n  projects: [${PROJECT}]\n  dirs: {node_modules: 256Mi, .next: 64Mi}\n`;

/** What the workspace container does on its first start, writing its observations into its home. */
const WORKSPACE_SCRIPT = [
  'set -u',
  'mkdir -p /home/coder/report',
  'cat /proc/mounts > /home/coder/report/mounts',
  'id -u > /home/coder/report/uid',
  // The project is cloned after the first start: the user must be able to write its directory.
  `if touch ${PROJECT}/package.json 2>/home/coder/report/touch.err; then echo ok; else echo denied; fi > /home/coder/report/touch`,
  // The incident's workload: a tarball of small files extracted into node_modules, then every file read back.
  `tar -xf /home/coder/pkg.tar -C ${PROJECT}/node_modules 2>/home/coder/report/tar.err; echo $? > /home/coder/report/tar`,
  `find ${PROJECT}/node_modules -type f | wc -l > /home/coder/report/files`,
  `cat $(find ${PROJECT}/node_modules -type f) | wc -c > /home/coder/report/bytes`,
  'touch /home/coder/report/done',
  'exec sleep 2147483647',
].join('\n');

describeE2E('a real node runs the mutated workspace (kube-scheduler, kubelet, containerd)', () => {
  let cp: ControlPlane;
  let cluster: Cluster;
  let node: RealNode | undefined;
  let server: WebhookServer | undefined;
  let home: string;
  let expectedBytes = 0;

  beforeAll(async () => {
    cp = await startControlPlane({ scheduler: true, extraApiServerArgs: ['--kubelet-preferred-address-types=InternalIP'] });
    cluster = new Cluster(cp);
    node = await startRealNode(cp, { name: NODE, port: await freePort() });

    // local-path as the cluster sees it: WaitForFirstConsumer, a PV pinned to the node, a directory made 0777
    // (as the provisioner makes them), empty: a brand-new workspace.
    home = join(node.volumesDir, 'home');
    await mkdir(home);
    await chmod(home, 0o777);
    await cluster.apply(
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
      {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'local-home' },
        spec: {
          capacity: { storage: '100Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local-path',
          persistentVolumeReclaimPolicy: 'Retain', local: { path: home },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } },
        },
      },
    );
    // The package tarball, put where the workspace will find it (as a user would download it).
    const source = await mkdtemp(join(node.dir, 'pkg-'));
    for (let dir = 0; dir < FILES / 100; dir++) {
      await mkdir(join(source, `pkg-${dir}`, 'lib'), { recursive: true });
      for (let index = 0; index < 100; index++) {
        const content = `module.exports = ${dir * 100 + index};\n`;
        expectedBytes += content.length;
        await writeFile(join(source, `pkg-${dir}`, 'lib', `f${index}.js`), content);
      }
    }
    await run('tar', ['-C', source, '-cf', join(home, 'pkg.tar'), '.']);
    await rm(source, { recursive: true, force: true });

    await cluster.createNamespace(NS);
    server = await WebhookServer.start({ config: SERVER_CONFIG, kubeconfig: cp.kubeconfigPath });
    await cluster.apply(localWebhookConfiguration(server.port, server.caPem));
    await waitForWebhook(cluster, NS, workspacePod('probe'));
  }, 600_000);

  afterAll(async () => {
    await cluster?.kubectl(['delete', 'deployment', '-n', NS, '--all', '--wait=false']).catch(() => undefined);
    await node?.stop();
    await server?.dispose();
    await cp?.stop();
  }, 180_000);

  function workspacePod(name: string): KubeObject {
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': 'coder-workspace' } },
      spec: {
        securityContext: { runAsUser: 1000, fsGroup: 1000 },
        containers: [{
          name: 'dev', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', WORKSPACE_SCRIPT],
          securityContext: { runAsUser: 1000 },
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
          volumeMounts: [{ name: 'home', mountPath: '/home/coder' }],
        }],
        volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'coder-home' } }],
      },
    };
  }

  it('a claim asking for longhorn is stored on local-path, binds to the node\'s volume, and the workspace runs there', async () => {
    const claim = fixtureObject('pvcs/coder-home-longhorn.json');
    claim.metadata = { ...claim.metadata, name: 'coder-home', namespace: NS };
    await cluster.create(claim);
    const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/coder-home`);
    expect(stored.spec?.storageClassName).toBe('local-path');

    const pod = workspacePod('coder-workspace');
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'coder-workspace', namespace: NS },
      spec: {
        replicas: 1, strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': 'coder-workspace' } },
        template: { metadata: { labels: pod.metadata.labels }, spec: pod.spec },
      },
    };
    await cluster.create(deployment);
    try {
      await cluster.poll('the workspace to report', async () => (existsSync(join(home, 'report', 'done')) ? true : undefined), 150_000, 1_000);
    } catch (error) {
      const state = await cluster.kubectlResult(['get', 'pods,pvc,events', '-n', NS, '-o', 'wide']);
      throw new Error(`${(error as Error).message}\n${state.stdout}${state.stderr}`);
    }
    const bound = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/coder-home`);
    expect(bound.status?.phase).toBe('Bound');
    const [running] = await cluster.pods(NS, 'app.kubernetes.io/name=coder-workspace');
    expect((running?.spec as { nodeName?: string }).nodeName).toBe(NODE);
    expect((running?.status as { phase?: string }).phase).toBe('Running');
  });

  it('node_modules and .next are tmpfs of the configured size where the build writes', async () => {
    const mounts = (await readFile(join(home, 'report', 'mounts'), 'utf8')).split('\n').map((line) => line.split(' '));
    const at = (path: string) => mounts.find((fields) => fields[1] === path);
    expect(at(`${PROJECT}/node_modules`)?.[2]).toBe('tmpfs');
    expect(at(`${PROJECT}/node_modules`)?.[3]).toMatch(/(^|,)size=262144k(,|$)/);
    expect(at(`${PROJECT}/.next`)?.[2]).toBe('tmpfs');
    expect(at(`${PROJECT}/.next`)?.[3]).toMatch(/(^|,)size=65536k(,|$)/);
  });

  it('on a brand-new empty home, the workspace user owns its project directory and can write it', async () => {
    expect((await readFile(join(home, 'report', 'uid'), 'utf8')).trim()).toBe('1000');
    expect((await readFile(join(home, 'report', 'touch'), 'utf8')).trim()).toBe('ok');
    const project = statSync(join(home, 'app'));
    expect(project.uid).toBe(1000);
    expect(existsSync(join(home, 'app', 'package.json'))).toBe(true);
  });

  it(`extracting ${FILES.toLocaleString('en')} small files into node_modules leaves every one present and readable`, async () => {
    expect((await readFile(join(home, 'report', 'tar'), 'utf8')).trim()).toBe('0');
    expect(await readFile(join(home, 'report', 'tar.err'), 'utf8')).toBe('');
    expect(Number((await readFile(join(home, 'report', 'files'), 'utf8')).trim())).toBe(FILES);
    expect(Number((await readFile(join(home, 'report', 'bytes'), 'utf8')).trim())).toBe(expectedBytes);
    // On tmpfs, not on the home volume: nothing of it reached the node's disk.
    expect(existsSync(join(home, 'app', 'node_modules', 'pkg-0'))).toBe(false);
  });

  it('stopped, the node leaves the machine as it found it: no mounts, cgroups, links, shims or directories of its own', async () => {
    await cluster.kubectl(['delete', 'deployment', '-n', NS, 'coder-workspace', '--wait=false']);
    await node!.stop();
    expect(await node!.leftovers()).toEqual([]);
  });
});

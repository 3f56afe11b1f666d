/**
 * Issue "Prove it where workspaces live": a real kube-scheduler and kubelet (containerd + runc) run a Coder-shaped
 * workspace mutated by the real server, registered as the manifests register it. Its home claim asks for
 * `longhorn` and is stored on `local-path` (a local PV, WaitForFirstConsumer), on a brand-new, empty home volume.
 * The workspace container writes what it sees (its mounts, whether it can write its project directory, the
 * result of extracting ~20,000 small files into node_modules) into its home, which the test reads from the node's
 * disk: what the kubelet did, observed, not inferred.
 */
import { execFile } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN } from '../support/server-process.js';
import { describeE2E, freePort, startControlPlane, type ControlPlane } from './harness/control-plane.js';
import { DOCKER_IMAGE, dockerImageTar } from './harness/docker-image.js';
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
const LEGACY_CLAIM = 'coder-legacy-home';
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
  let legacy: string;
  let target: string;
  let legacyLabels: Record<string, string>;

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
    await setUpLegacyWorkspace();
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

  /**
   * The day-two case: a workspace created before the webhook, its home on `longhorn` (here a local PV of that class
   * standing in for Longhorn's CSI volume, reclaim policy Delete as Longhorn's dynamic PVs have), full of the user's
   * files; and the free local-path volume `migrate` will move it to (reclaim policy Delete, as the provisioner's).
   */
  async function setUpLegacyWorkspace(): Promise<void> {
    legacy = join(node!.volumesDir, 'legacy');
    target = join(node!.volumesDir, 'migrated');
    await mkdir(legacy);
    await mkdir(target);
    await chmod(target, 0o777);
    const file = async (path: string, content: string, uid = 1000, mode = 0o644): Promise<void> => {
      await mkdir(dirname(join(legacy, path)), { recursive: true });
      await writeFile(join(legacy, path), content);
      await chown(join(legacy, path), uid, uid);
      await chmod(join(legacy, path), mode);
    };
    for (let dir = 0; dir < 20; dir++) {
      for (let index = 0; index < 100; index++) await file(`app/src/d${dir}/m${index}.ts`, `export const value${index} = ${dir * 100 + index};\n`);
    }
    await file('app/package.json', '{"name":"app","private":true}\n');
    await file('.ssh/id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n', 1000, 0o600);
    await file('.gitconfig', '[user]\n\tname = coder\n');
    await file('notes/empty.txt', '');
    await file('system.log', 'written by root\n', 0, 0o644);
    await writeFile(join(legacy, 'big.bin'), randomBytes(3 * 1024 * 1024));
    await chown(join(legacy, 'big.bin'), 1000, 1000);
    await symlink('app/package.json', join(legacy, 'package-link'));
    await run('chown', ['-h', '1000:1000', join(legacy, 'package-link')]);
    for (const dir of ['', 'app', 'app/src', '.ssh', 'notes']) await chown(join(legacy, dir), 1000, 1000);
    for (let dir = 0; dir < 20; dir++) await chown(join(legacy, `app/src/d${dir}`), 1000, 1000);
    await chmod(join(legacy, '.ssh'), 0o700);
    await chmod(legacy, 0o755);

    const hostname = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } };
    await cluster.apply(
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'longhorn' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' },
      {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-legacy-home' },
        spec: {
          capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'longhorn',
          persistentVolumeReclaimPolicy: 'Delete', local: { path: legacy }, nodeAffinity: hostname,
        },
      },
      {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'local-migrated' },
        spec: {
          capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local-path',
          persistentVolumeReclaimPolicy: 'Delete', local: { path: target }, nodeAffinity: hostname,
        },
      },
    );
    const claim = fixtureObject('pvcs/coder-home-longhorn.json');
    claim.metadata = { ...claim.metadata, name: LEGACY_CLAIM, namespace: NS };
    claim.spec = { ...claim.spec, volumeName: 'pvc-legacy-home', resources: { requests: { storage: '10Gi' } } };
    await cluster.create(claim);
    legacyLabels = (claim.metadata.labels ?? {}) as Record<string, string>;
    await cluster.poll('the legacy claim to bind', async () => {
      const stored = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/${LEGACY_CLAIM}`);
      return stored.status?.phase === 'Bound' ? true : undefined;
    });
  }

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

  describe('migrate: a workspace home moved from longhorn to local-path with its data', () => {
    const claimPath = `/api/v1/namespaces/${NS}/persistentvolumeclaims/${LEGACY_CLAIM}`;
    const MIGRATE_ARGS = ['-n', NS, '--pvc', LEGACY_CLAIM, '--image', BUSYBOX_IMAGE, '--node', NODE, '--timeout', '300'];
    /** What the workspace started on the migrated claim sees: every entry's owner and mode, every file's SHA-256. */
    const VERIFY_SCRIPT = [
      'set -u', 'cd /home/coder',
      "find . -path ./.report -prune -o -exec stat -c '%n|%u:%g|%a' {} + | sort > /tmp/list",
      "find . -path ./.report -prune -o -type f -exec sha256sum {} + | sort -k 2 > /tmp/sums",
      'mkdir -p .report && cp /tmp/list /tmp/sums .report/ && touch .report/done', 'exec sleep 2147483647',
    ].join('\n');

    /** Runs `migrate`; with `killOn`, SIGKILLs it as soon as a line of its output matches (an interruption). */
    function migrate(args: string[], killOn?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [MAIN, 'migrate', ...args], { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (killOn?.test(stdout)) child.kill('SIGKILL');
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    }

    function legacyPod(name: string, script: string): KubeObject {
      const pod = workspacePod(name);
      const spec = pod.spec as { containers: { command: string[] }[]; volumes: { persistentVolumeClaim: { claimName: string } }[] };
      spec.containers[0]!.command = ['sh', '-c', script];
      spec.volumes[0]!.persistentVolumeClaim.claimName = LEGACY_CLAIM;
      return pod;
    }

    /** `path|uid:gid|mode` of every entry and `sha256  path` of every file under `root`, as the pod's busybox prints them. */
    async function expectedTree(root: string): Promise<{ list: string; sums: string }> {
      const list: string[] = [];
      const sums: string[] = [];
      const walk = async (relative: string): Promise<void> => {
        const path = join(root, relative);
        const info = await lstat(path);
        list.push(`${relative === '' ? '.' : `./${relative}`}|${info.uid}:${info.gid}|${(info.mode & 0o7777).toString(8)}`);
        if (info.isFile()) sums.push(`${createHash('sha256').update(await readFile(path)).digest('hex')}  ./${relative}`);
        if (info.isDirectory()) for (const entry of await readdir(path)) await walk(relative === '' ? entry : `${relative}/${entry}`);
      };
      await walk('');
      // busybox sort is byte order in the C locale of the container; so is this.
      const sorted = (lines: string[], key: (line: string) => string) => lines.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      return {
        list: `${sorted(list, (line) => line).join('\n')}\n`,
        sums: `${sorted(sums, (line) => line.slice(66)).join('\n')}\n`,
      };
    }

    it('refuses while a pod uses the claim, naming the pod (exit 4), and changes nothing', async () => {
      await cluster.create(legacyPod('legacy-workspace', 'exec sleep 2147483647'));
      await cluster.poll('the legacy workspace to run', async () => {
        const pod = await cluster.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/legacy-workspace`);
        return (pod.status as { phase?: string } | undefined)?.phase === 'Running' ? true : undefined;
      }, 120_000, 1_000);
      const before = await cluster.get<KubeObject>('/api/v1/persistentvolumes/pvc-legacy-home');
      const refused = await migrate(MIGRATE_ARGS);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(`refused: ${NS}/${LEGACY_CLAIM} is in use by legacy-workspace (${NODE}); stop the workspace in Coder first`);
      const after = await cluster.get<KubeObject>('/api/v1/persistentvolumes/pvc-legacy-home');
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      await cluster.kubectl(['delete', 'pod', '-n', NS, 'legacy-workspace', '--grace-period=1', '--wait=true', '--timeout=120s']);
    });

    it('--dry-run prints the plan and changes nothing', async () => {
      const versions = async () => [
        (await cluster.get<KubeObject>(claimPath)).metadata.resourceVersion,
        (await cluster.get<KubeObject>('/api/v1/persistentvolumes/pvc-legacy-home')).metadata.resourceVersion,
        (await cluster.get<KubeObject>('/api/v1/persistentvolumes/local-migrated')).metadata.resourceVersion,
      ];
      const before = await versions();
      const planned = await migrate([...MIGRATE_ARGS, '--dry-run']);
      expect(planned.code).toBe(0);
      expect(planned.stdout).toMatch(/dry run, nothing changed/);
      expect(planned.stdout).toMatch(/1\. set PV pvc-legacy-home \(the old volume\) to reclaim policy Retain/);
      expect(planned.stdout).toMatch(/run Job wsw-migrate-\w+ \(image localhost\/busybox:latest\): copy/);
      expect(await versions()).toEqual(before);
      expect((await cluster.kubectlResult(['get', 'jobs', '-n', NS, '-o', 'name'])).stdout.trim()).toBe('');
    });

    it('interrupted twice (during the copy, after the old claim is gone), re-runs complete it; the old volume stays', async () => {
      const first = await migrate(MIGRATE_ARGS, /copy Job \S+ created/);
      expect(first.code).toBeNull();
      expect(first.stdout).toMatch(/kept: PV pvc-legacy-home set to reclaim policy Retain/);
      const second = await migrate(MIGRATE_ARGS, /deleted: the old claim/);
      expect(second.code).toBeNull();
      expect(second.stdout).toMatch(/copy Job \S+ exists: waiting for it/);
      expect(second.stdout).toMatch(/copied and verified: entries=\d+ files=2006 bytes=\d+/);
      const third = await migrate(MIGRATE_ARGS);
      expect(third.stderr).toBe('');
      expect(third.code).toBe(0);
      expect(third.stdout).toMatch(/resuming: the old claim is gone, the copy is on PV local-migrated/);
      expect(third.stdout).toMatch(/done: coder\/coder-legacy-home is on PV local-migrated \(local-path\); verified entries=\d+ files=2006/);

      const claim = await cluster.get<KubeObject>(claimPath);
      expect(claim.spec).toMatchObject({ storageClassName: 'local-path', volumeName: 'local-migrated' });
      expect(claim.status?.phase).toBe('Bound');
      expect(claim.metadata.labels).toEqual(legacyLabels);
      expect(claim.metadata.annotations?.['workspace-storage.dev/migrated-from']).toBe('pvc-legacy-home');
      const old = await cluster.get<KubeObject>('/api/v1/persistentvolumes/pvc-legacy-home');
      expect((old.spec as { persistentVolumeReclaimPolicy?: string }).persistentVolumeReclaimPolicy).toBe('Retain');
      expect(old.status?.phase).toBe('Released');
      expect(old.metadata.annotations?.['workspace-storage.dev/migrated-to']).toBe(`${NS}/${LEGACY_CLAIM}`);
      const moved = await cluster.get<KubeObject>('/api/v1/persistentvolumes/local-migrated');
      expect((moved.spec as { persistentVolumeReclaimPolicy?: string }).persistentVolumeReclaimPolicy).toBe('Delete');
      expect((await cluster.kubectlResult(['get', 'jobs,pvc', '-n', NS, '-o', 'name'])).stdout).not.toMatch(/wsw-migrate|-migrate-/);

      // A re-run of a finished migration says so and changes nothing.
      const again = await migrate(MIGRATE_ARGS);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/done: coder\/coder-legacy-home is on PV local-migrated/);
    });

    it('the workspace started on the migrated claim finds every file, byte for byte and owned as before', async () => {
      await cluster.create(legacyPod('migrated-workspace', VERIFY_SCRIPT));
      try {
        await cluster.poll('the migrated workspace to report', async () => (existsSync(join(target, '.report', 'done')) ? true : undefined), 120_000, 1_000);
      } catch (error) {
        const state = await cluster.kubectlResult(['get', 'pods,pvc,events', '-n', NS, '-o', 'wide']);
        throw new Error(`${(error as Error).message}\n${state.stdout}${state.stderr}`);
      }
      const expected = await expectedTree(legacy);
      expect(expected.sums.split('\n').length - 1).toBe(2006);
      expect(await readFile(join(target, '.report', 'sums'), 'utf8')).toBe(expected.sums);
      // The two project directories the webhook puts tmpfs on are, inside the pod, the tmpfs roots (mode 3777), not
      // the directories on the volume (created by the init container when the refused workspace first ran).
      const tmpfsRoots = (list: string) => list.split('\n').filter((line) => !/^\.\/app\/(node_modules|\.next)\|/.test(line)).join('\n');
      const seen = await readFile(join(target, '.report', 'list'), 'utf8');
      expect(seen).toMatch(/^\.\/app\/node_modules\|0:1000\|3777$/m);
      expect(tmpfsRoots(seen)).toBe(tmpfsRoots(expected.list));
      // Owners as written (uid 0 stays 0); modes as the kubelet left them (fsGroup 1000 adds group rw on this volume).
      expect(expected.list).toMatch(/^\.\/\.ssh\/id_ed25519\|1000:1000\|660$/m);
      expect(expected.list).toMatch(/^\.\/system\.log\|0:1000\|664$/m);
      expect(await readlink(join(target, 'package-link'))).toBe('app/package.json');
      // The old volume's data is untouched (kept until the operator deletes it).
      expect(existsSync(join(legacy, '.report'))).toBe(false);
      await cluster.kubectl(['delete', 'pod', '-n', NS, 'migrated-workspace', '--grace-period=1', '--wait=false']);
    });
  });

  describe('Docker inside a privileged workspace', () => {
    /**
     * What a Docker-in-workspace user does, recorded into a hostPath report directory: start dockerd with its
     * defaults, note the storage driver it chose, build an image with a RUN step (a container inside the workspace)
     * and run it, then measure what the engine's storage took. Debian's docker.io 20.10; the classic builder.
     */
    const DOCKER_SCRIPT = [
      'set -u',
      'R=/report',
      'mkdir -p /var/lib/docker',
      "grep ' /var/lib/docker ' /proc/mounts > $R/mount",
      // Forced to overlay2 (data under /var/lib/docker too): stopped after 20 s if it starts (exit 124).
      'timeout 20 dockerd --storage-driver overlay2 --data-root /var/lib/docker/forced --exec-root /run/forced -H unix:///run/forced.sock -p /run/forced.pid > $R/forced.log 2>&1; echo $? > $R/forced',
      'rm -rf /var/lib/docker/forced',
      'dockerd > $R/dockerd.log 2>&1 &',
      'i=0; until docker version > /dev/null 2>&1 || [ $i -ge 90 ]; do i=$((i+1)); sleep 1; done',
      "docker info --format '{{.Driver}}' > $R/driver 2> $R/info.err",
      'mkdir -p /tmp/ctx && cp /bin/busybox /tmp/ctx/busybox',
      // A 16 MiB layer, then a small one on top: overlay2 stores the small one alone, vfs copies the 16 MiB below it.
      `printf '%s\\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir /out && /bin/busybox dd if=/dev/zero of=/out/blob bs=1M count=16"]' 'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo built > /out/proof"]' > /tmp/ctx/Dockerfile`,
      'DOCKER_BUILDKIT=0 docker build --network none -t proof /tmp/ctx > $R/build.log 2>&1; echo $? > $R/build',
      'docker run --rm --network none proof /bin/busybox cat /out/proof > $R/run 2> $R/run.err',
      'du -sk /var/lib/docker | cut -f1 > $R/kib',
      'touch $R/done',
      'exec sleep 2147483647',
    ].join('\n');
    const reports = new Map<string, string>();

    function dockerPod(name: string, annotated: boolean): KubeObject {
      const report = join(node!.volumesDir, name);
      reports.set(name, report);
      return {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          name, namespace: NS, labels: { 'app.kubernetes.io/name': 'coder-workspace' },
          annotations: annotated ? { 'workspace-storage.dev/container-storage': 'docker' } : {},
        },
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'dev', image: DOCKER_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', DOCKER_SCRIPT],
            securityContext: { privileged: true },
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
            volumeMounts: [{ name: 'report', mountPath: '/report' }],
          }],
          volumes: [{ name: 'report', hostPath: { path: report, type: 'DirectoryOrCreate' } }],
        },
      };
    }
    const read = (pod: string, file: string): Promise<string> => readFile(join(reports.get(pod)!, file), 'utf8').then((text) => text.trim());

    beforeAll(async () => {
      await node!.importImage(await dockerImageTar(), DOCKER_IMAGE.replace(/:latest$/, ''));
      await cluster.create(dockerPod('docker-overlay', true));
      await cluster.create(dockerPod('docker-plain', false));
      for (const pod of ['docker-overlay', 'docker-plain']) {
        try {
          await cluster.poll(`${pod} to report`, async () => (existsSync(join(reports.get(pod)!, 'done')) ? true : undefined), 240_000, 1_000);
        } catch (error) {
          const state = await cluster.kubectlResult(['get', 'pods,events', '-n', NS, '-o', 'wide']);
          const log = await readFile(join(reports.get(pod)!, 'dockerd.log'), 'utf8').catch(() => '(no dockerd log)');
          throw new Error(`${(error as Error).message}\n${state.stdout}${state.stderr}\n${log.slice(-4000)}`);
        }
      }
    }, 600_000);

    afterAll(async () => {
      await cluster.kubectl(['delete', 'pod', '-n', NS, 'docker-overlay', 'docker-plain', '--grace-period=1', '--wait=false']).catch(() => undefined);
    });

    it('annotated container-storage: docker, dockerd chooses overlay2 on the node-disk emptyDir, builds and runs an image', async () => {
      const mount = (await read('docker-overlay', 'mount')).split(' ');
      expect(mount[1]).toBe('/var/lib/docker');
      expect(mount[2]).toMatch(/^(ext4|xfs|btrfs)$/);
      expect(await read('docker-overlay', 'driver')).toBe('overlay2');
      expect(await read('docker-overlay', 'build')).toBe('0');
      expect(await read('docker-overlay', 'run')).toBe('built');
      // Forced to overlay2 it starts and serves until stopped.
      expect(await read('docker-overlay', 'forced')).toBe('124');
    });

    it('without the annotation, dockerd fails to mount overlay and silently falls back to vfs, which stores every layer in full', async () => {
      expect(await read('docker-plain', 'mount')).toBe('');
      expect(await read('docker-plain', 'dockerd.log')).toMatch(/level=error msg="failed to mount overlay: invalid argument" storage-driver=overlay2/);
      expect(await read('docker-plain', 'driver')).toBe('vfs');
      // The build still succeeds, at the cost of a full copy of the 16 MiB layer under the last one.
      expect(await read('docker-plain', 'build')).toBe('0');
      expect(await read('docker-plain', 'run')).toBe('built');
      const overlayKiB = Number(await read('docker-overlay', 'kib'));
      const plainKiB = Number(await read('docker-plain', 'kib'));
      expect(plainKiB - overlayKiB).toBeGreaterThanOrEqual(16 * 1024);
      // Forced to overlay2 it refuses to start.
      expect(await read('docker-plain', 'forced')).not.toBe('124');
      expect(await read('docker-plain', 'forced')).not.toBe('0');
      expect(await read('docker-plain', 'forced.log')).toMatch(/failed to start daemon: error initializing graphdriver: driver not supported/);
      process.stdout.write(`Docker storage after the same build: overlay2 ${overlayKiB} KiB, vfs ${plainKiB} KiB; forced overlay2 on overlayfs: ${(await read('docker-plain', 'forced.log')).split('\n').slice(-2).join(' | ')}\n`);
    });
  });

  it('stopped, the node leaves the machine as it found it: no mounts, cgroups, links, shims or directories of its own', async () => {
    await cluster.kubectl(['delete', 'deployment', '-n', NS, 'coder-workspace', '--wait=false']);
    await node!.stop();
    expect(await node!.leftovers()).toEqual([]);
  });
});

/**
 * A real node for the e2e suites: Debian's containerd and runc, and the kubelet built by
 * scripts/provision-control-plane.sh, registered with a {@link ControlPlane}. Everything lives under one temporary
 * directory; {@link RealNode.stop} stops what it started and leaves the machine as it found it: containers,
 * mounts, the kubelet's cgroups, its pod log directories, the CNI bridge and IPAM state.
 *
 * Quirks of these VMs (DOMAIN.md): root lacks CAP_SYS_RESOURCE, so the CRI plugin needs
 * `restrict_oom_score_adj = true`; no image registry is reachable, so images are built locally (busybox-static,
 * packed as OCI with umoci) and imported with `ctr images import`; in 1.20 a memory emptyDir is capped at its
 * sizeLimit only with the SizeMemoryBackedVolumes feature gate.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findControlPlaneAssets } from './assets.js';
import type { ControlPlane } from './control-plane.js';
import { ManagedProcess } from './managed-process.js';
import { packImage } from './oci-image.js';
import { installMissingPackages } from './debian-packages.js';
import { waitUntil } from './wait-until.js';

const run = promisify(execFile);

/** The image every real-node pod runs: busybox-static with a passwd naming uid 1000 `coder`. */
export const BUSYBOX_IMAGE = 'localhost/busybox:latest';

/** Debian packages the node needs; `provisionNodePackages` installs the missing ones. */
const PACKAGES: Readonly<Record<string, string>> = {
  '/usr/bin/containerd': 'containerd',
  '/usr/sbin/runc': 'runc',
  '/usr/bin/busybox': 'busybox-static',
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
  '/usr/bin/umoci': 'umoci',
};

/**
 * Directories the node's parts create outside its own directory whatever they are told: the kubelet's pod logs
 * (1.20: pkg/kubelet/kuberuntime podLogsRootDirectory), the runc shims' state and sockets, the CNI plugins' IPAM
 * state. Each is removed on stop when it did not exist before.
 */
const FIXED_DIRS = ['/var/log/pods', '/run/containerd', '/var/lib/cni'];
/** The CNI network's name and bridge: removed on stop. */
const CNI_NETWORK = 'wsw-e2e';
const CNI_BRIDGE = 'wsw0';
/**
 * The node's address: the kubelet refuses a loopback --node-ip, so an interface of the suite's own (a bridge: this
 * kernel has no dummy links) carries one
 * (removed on stop). Nothing connects to it: the kubelet listens on 127.0.0.1, and the suites read what pods
 * report from the node's disk instead of through exec or logs.
 */
const NODE_LINK = 'wsw-node0';
const NODE_IP = '10.244.78.1';

/** A running node. */
export interface RealNode {
  /** The Node's name (and the kubelet's --hostname-override). */
  readonly name: string;
  /** The temporary directory holding containerd's and the kubelet's state, images and logs. */
  readonly dir: string;
  /** A directory on the node's own disk for local PVs (kept until {@link stop}). */
  readonly volumesDir: string;
  /** Imports an OCI layout tar into the node's containerd as `baseName:latest` (pods use imagePullPolicy Never). */
  importImage(tar: string, baseName: string): Promise<void>;
  /** Stops the kubelet and containerd and cleans up what they left. Safe to call twice. */
  stop(): Promise<void>;
  /** What the node left on the machine after {@link stop}: empty when it left it as it found it. */
  leftovers(): Promise<string[]>;
}

/** Installs the Debian packages the node needs, with apt, when they are missing (progress on stderr). */
export async function provisionNodePackages(): Promise<void> {
  await installMissingPackages(PACKAGES, 'the real node');
}

/** Builds the busybox image as an OCI layout tar with umoci (a second or so): no registry is reachable. */
async function buildBusyboxImage(dir: string): Promise<string> {
  const tar = join(dir, 'busybox.tar');
  await packImage(dir, tar, {
    path: '/bin',
    cmd: ['/bin/sleep', '2147483647'],
    fill: async (root) => {
      for (const sub of ['bin', 'tmp', 'etc']) await mkdir(join(root, sub), { recursive: true });
      await chmod(join(root, 'tmp'), 0o1777);
      await copyFile('/usr/bin/busybox', join(root, 'bin', 'busybox'));
      await chmod(join(root, 'bin', 'busybox'), 0o755);
      const { stdout } = await run('/usr/bin/busybox', ['--list']);
      for (const applet of stdout.split('\n').filter((name) => name !== '' && name !== 'busybox')) {
        await symlink('busybox', join(root, 'bin', applet));
      }
      await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\ncoder:x:1000:1000:coder:/home/coder:/bin/sh\n');
      await writeFile(join(root, 'etc', 'group'), 'root:x:0:\ncoder:x:1000:\n');
    },
  });
  return tar;
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  return text.split('\n').map((line) => line.split(' ')[1] ?? '').map((path) => path.replace(/\\040/g, ' '))
    .filter((path) => path === dir || path.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Removes a cgroup directory tree (cgroupfs: only empty directories can go, deepest first). */
async function removeCgroupTree(path: string): Promise<void> {
  if (!existsSync(path)) return;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroupTree(join(path, entry.name));
  }
  await rmdir(path).catch(() => undefined);
}

/**
 * Starts containerd and a kubelet registering Node `name` with `cp`, and waits until the Node is Ready. The control
 * plane must have been started with `--kubelet-preferred-address-types=InternalIP` for exec and logs.
 */
export async function startRealNode(cp: ControlPlane, options: { name: string; port: number }): Promise<RealNode> {
  const assets = findControlPlaneAssets();
  if (assets === undefined) throw new Error('no kubelet binary: run scripts/provision-control-plane.sh');
  await provisionNodePackages();
  const dir = await mkdtemp('/tmp/wsw-node-');
  const file = (...parts: string[]): string => join(dir, ...parts);
  for (const sub of ['containerd/root', 'containerd/state', 'cni', 'kubelet', 'image', 'volumes']) await mkdir(file(sub), { recursive: true });
  const socket = file('containerd', 'containerd.sock');
  const createdDirs = FIXED_DIRS.filter((path) => !existsSync(path));

  await writeFile(file('cni', '10-wsw.conflist'), JSON.stringify({
    cniVersion: '0.4.0', name: CNI_NETWORK,
    plugins: [
      { type: 'bridge', bridge: CNI_BRIDGE, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.77.0/24' }]] } },
      { type: 'loopback' },
    ],
  }));
  await writeFile(file('containerd', 'config.toml'), [
    'version = 2',
    `root = "${file('containerd', 'root')}"`,
    `state = "${file('containerd', 'state')}"`,
    '[grpc]', `  address = "${socket}"`,
    '[ttrpc]', `  address = "${socket}.ttrpc"`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = "${BUSYBOX_IMAGE}"`,
    // Root lacks CAP_SYS_RESOURCE here: without this every sandbox fails ("can't get final child's PID from pipe").
    '  restrict_oom_score_adj = true',
    '  disable_apparmor = true',
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    '    bin_dir = "/usr/lib/cni"',
    `    conf_dir = "${file('cni')}"`,
    '',
  ].join('\n'));

  const containerd = new ManagedProcess({
    name: 'containerd', command: '/usr/bin/containerd', args: ['--config', file('containerd', 'config.toml')], logPath: file('containerd.log'),
  });
  const ctr = (args: string[]) => run('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { timeout: 300_000 });
  const kubeletDir = file('kubelet');
  await writeFile(file('kubelet.yaml'), JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '127.0.0.1',
    port: options.port,
    readOnlyPort: 0,
    healthzPort: 0,
    // Test-only: the API server's exec and logs calls come from 127.0.0.1 without client certificates.
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    enforceNodeAllocatable: [],
    makeIPTablesUtilChains: false,
    featureGates: { SizeMemoryBackedVolumes: true },
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    volumePluginDir: file('kubelet', 'plugins'),
    staticPodPath: '',
  }));
  const kubelet = new ManagedProcess({
    name: 'kubelet',
    command: join(assets, 'kubelet'),
    logPath: file('kubelet.log'),
    args: [
      `--config=${file('kubelet.yaml')}`,
      `--kubeconfig=${cp.kubeconfigPath}`,
      '--container-runtime=remote',
      `--container-runtime-endpoint=unix://${socket}`,
      `--root-dir=${kubeletDir}`,
      `--cert-dir=${file('kubelet', 'pki')}`,
      `--hostname-override=${options.name}`,
      `--node-ip=${NODE_IP}`,
      '--v=1',
    ],
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Pods first, so the kubelet tears down their volumes; then force what is left.
    await cp.request('DELETE', `/api/v1/nodes/${options.name}`).catch(() => undefined);
    await kubelet.stop(5_000);
    if (containerd.running) {
      const tasks = await ctr(['tasks', 'ls', '-q']).then((r) => r.stdout.split('\n').filter(Boolean), () => [] as string[]);
      for (const task of tasks) await ctr(['tasks', 'kill', '-s', 'KILL', task]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const task of tasks) await ctr(['tasks', 'delete', '-f', task]).catch(() => undefined);
      const containers = await ctr(['containers', 'ls', '-q']).then((r) => r.stdout.split('\n').filter(Boolean), () => [] as string[]);
      for (const container of containers) await ctr(['containers', 'delete', container]).catch(() => undefined);
    }
    await containerd.stop(5_000);
    for (const mount of await mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => undefined);
    for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      await removeCgroupTree(join('/sys/fs/cgroup', controller, 'kubepods'));
    }
    await run('ip', ['link', 'delete', CNI_BRIDGE]).catch(() => undefined);
    await run('ip', ['link', 'delete', NODE_LINK]).catch(() => undefined);
    await rm(join('/var/lib/cni/networks', CNI_NETWORK), { recursive: true, force: true });
    for (const path of createdDirs) await rm(path, { recursive: true, force: true });
    if (process.env.WSW_E2E_KEEP_DIR !== '1') await rm(dir, { recursive: true, force: true });
  };

  try {
    await run('ip', ['link', 'add', NODE_LINK, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${NODE_IP}/32`, 'dev', NODE_LINK]);
    await run('ip', ['link', 'set', NODE_LINK, 'up']);
    containerd.start();
    await waitUntil('containerd', async () => existsSync(socket) && (await ctr(['version'])).stdout.includes('Server'), [containerd], 30_000);
    await ctr(['images', 'import', '--base-name', BUSYBOX_IMAGE.replace(/:latest$/, ''), await buildBusyboxImage(file('image'))]);
    kubelet.start();
    await waitUntil(`Node ${options.name} Ready`, async () => {
      const response = await cp.request('GET', `/api/v1/nodes/${options.name}`);
      const conditions = (response.json as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status?.conditions ?? [];
      return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
    }, [containerd, kubelet], 120_000);
  } catch (error) {
    // waitUntil's errors carry the components' log tails.
    await stop();
    throw error;
  }
  const leftovers = async (): Promise<string[]> => {
    const found = (await mountsUnder(dir)).map((mount) => `mount ${mount}`);
    for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      if (existsSync(join('/sys/fs/cgroup', controller, 'kubepods'))) found.push(`cgroup ${controller}/kubepods`);
    }
    for (const link of [CNI_BRIDGE, NODE_LINK]) if (existsSync(join('/sys/class/net', link))) found.push(`link ${link}`);
    for (const path of createdDirs) if (existsSync(path)) found.push(`directory ${path}`);
    if (containerd.running || kubelet.running) found.push('a running containerd or kubelet');
    const shims = await run('pgrep', ['-f', `containerd-shim.*${socket}`]).then((r) => r.stdout.trim(), () => '');
    if (shims !== '') found.push(`containerd shims ${shims.replace(/\n/g, ',')}`);
    return found;
  };
  const importImage = async (tar: string, baseName: string): Promise<void> => {
    await ctr(['images', 'import', '--base-name', baseName, tar]);
  };
  return { name: options.name, dir, volumesDir: file('volumes'), importImage, stop, leftovers };
}

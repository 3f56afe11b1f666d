/**
 * The image the real node's Docker-in-workspace pods run: a Debian root filesystem with Debian's docker.io (dockerd,
 * the docker CLI, containerd, runc) and busybox-static (a base for the image built inside), made by debootstrap from
 * the machine's own apt source, since no image registry can be reached. Packed as an OCI layout tar with umoci and
 * cached beside the cluster binaries: the first build takes a minute or two, later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from './assets.js';
import { installMissingPackages } from './debian-packages.js';
import { packImage } from './oci-image.js';

const run = promisify(execFile);

/** The image's name once imported into the node's containerd. */
export const DOCKER_IMAGE = 'localhost/debian-docker:latest';
/** Bump when what goes into the image changes, so a cached tar of the old recipe is not reused. */
const RECIPE = 1;
const PACKAGES = ['docker.io', 'busybox-static'];
const TRIMMED = ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info'];

/** The machine's Debian archive and release, as apt is set up here (deb822 sources or a classic sources.list). */
async function debianSource(): Promise<{ mirror: string; suite: string }> {
  const osRelease = await readFile('/etc/os-release', 'utf8');
  const suite = /^VERSION_CODENAME=(\S+)$/m.exec(osRelease)?.[1];
  const texts: string[] = [];
  for (const path of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (existsSync(path)) texts.push(await readFile(path, 'utf8'));
  }
  const mirrors = texts.join('\n').split('\n')
    .map((line) => /^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/.exec(line.trim())?.[1])
    .filter((uri): uri is string => uri !== undefined && !uri.includes('security'));
  if (suite === undefined || mirrors[0] === undefined) throw new Error('no Debian release or apt source found on this machine for debootstrap');
  return { mirror: mirrors[0], suite };
}

/** Unmounts what debootstrap may leave mounted under `dir` when it fails half-way (proc, sys, dev/pts). */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const mount of mounts) await run('umount', ['-l', mount]).catch(() => undefined);
}

/**
 * The OCI layout tar of {@link DOCKER_IMAGE}, built when not cached (progress on stderr). The image's config sets
 * PATH; its command is left to the pod.
 */
export async function dockerImageTar(): Promise<string> {
  const cached = join(cacheRoot(), 'images', `debian-docker-${RECIPE}.tar`);
  if (existsSync(cached)) return cached;
  await installMissingPackages({ '/usr/sbin/debootstrap': 'debootstrap', '/usr/bin/umoci': 'umoci' }, 'the Docker image');
  const { mirror, suite } = await debianSource();
  process.stderr.write(`e2e: building ${DOCKER_IMAGE} (debootstrap ${suite} with ${PACKAGES.join(', ')}); cached in ${cached}\n`);
  const dir = await mkdtemp('/tmp/wsw-docker-image-');
  try {
    await mkdir(join(cacheRoot(), 'images'), { recursive: true });
    await packImage(dir, `${cached}.partial`, {
      path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      fill: async (root) => {
        await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, suite, root, mirror], {
          timeout: 900_000, maxBuffer: 64 * 1024 * 1024,
        });
        for (const path of TRIMMED) await rm(join(root, path), { recursive: true, force: true });
      },
    });
    await rename(`${cached}.partial`, cached);
    return cached;
  } finally {
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Packing a root filesystem as an OCI image layout tar with umoci: the node's images are built here, not pulled. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Makes a one-layer image in `dir`: `fill` writes the root filesystem into the (empty) directory it is given, the
 * image config gets `PATH` (and `cmd` when given), and the layout is written as a tar to `tar`.
 */
export async function packImage(
  dir: string, tar: string, options: { path: string; cmd?: readonly string[]; fill: (root: string) => Promise<void> },
): Promise<void> {
  const layout = join(dir, 'layout');
  const bundle = join(dir, 'bundle');
  const image = `${layout}:latest`;
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', image]);
  await run('umoci', ['unpack', '--image', image, bundle]);
  await options.fill(join(bundle, 'rootfs'));
  await run('umoci', ['repack', '--image', image, bundle], { timeout: 600_000 });
  const cmd = (options.cmd ?? []).flatMap((part) => ['--config.cmd', part]);
  await run('umoci', ['config', '--image', image, '--config.env', `PATH=${options.path}`, ...cmd]);
  await run('tar', ['-C', layout, '-cf', tar, '.'], { timeout: 600_000 });
}

import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

/**
 * Writes `files` the way the kubelet updates a Secret volume (its AtomicWriter): the data goes into a fresh
 * `..<timestamp>` directory, a `..data_tmp` symlink to it is renamed over `..data`, and each visible name is a
 * symlink `name -> ..data/name` (created once). Readers never see a mix of old and new files.
 */
export async function writeSecretVolume(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  generation += 1;
  const dataDir = `..${new Date().toISOString().replace(/[-:.]/g, '_')}_${generation}`;
  await mkdir(join(dir, dataDir), { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, dataDir, name), content);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(dataDir, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

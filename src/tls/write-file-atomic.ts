import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never a prefix:
 * write a temporary file in the same directory (rename is only atomic within one file system), fsync it, rename
 * it over `path`. The mode is given to open(2) with O_EXCL, so a key file is never readable by others, not even
 * for the moment between a create and a chmod. (The process umask can only remove bits, and 0600 has none that
 * a usual umask removes.)
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      // Without the fsync a crash right after the rename can leave an empty file under the final name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

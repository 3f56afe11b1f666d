/**
 * The copy Job's script, run by busybox sh (what the default busybox image runs) against plain directories: it
 * copies everything with owners and modes, reports what it verified, and fails when the copy differs from the
 * source. In the e2e project: it needs Debian's busybox-static (installed when missing) and root (chown).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COPY_SCRIPT, parseVerification } from '../../src/migrate/migration-objects.js';
import { installMissingPackages } from '../e2e/harness/debian-packages.js';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A home as a workspace leaves it: the user's files, a root-owned one, a private key, a symlink, dotfiles. */
async function home(): Promise<{ src: string; dst: string; message: string; bytes: number }> {
  const root = await mkdtemp(join(tmpdir(), 'wsw-copy-'));
  dirs.push(root);
  const src = join(root, 'from');
  const dst = join(root, 'to');
  await mkdir(join(src, 'app', 'src'), { recursive: true });
  await mkdir(join(src, '.ssh'));
  await mkdir(dst);
  let bytes = 0;
  const file = async (path: string, content: string, uid = 1000, mode = 0o644) => {
    await writeFile(join(src, path), content);
    await chown(join(src, path), uid, uid);
    await chmod(join(src, path), mode);
    bytes += Buffer.byteLength(content);
  };
  for (let index = 0; index < 200; index++) await file(`app/src/m${index}.js`, `export const n = ${index};\n`);
  await file('app/package.json', '{"name":"app"}\n');
  await file('.ssh/id_ed25519', 'PRIVATE KEY\n', 1000, 0o600);
  await file('.bashrc', 'export PATH=$HOME/bin:$PATH\n');
  await file('empty', '');
  await file('root-owned.log', 'written by root\n', 0);
  await symlink('app/package.json', join(src, 'link'));
  await chown(join(src, 'link'), 1000, 1000).catch(() => undefined);
  for (const dir of ['', 'app', 'app/src', '.ssh']) await chown(join(src, dir), 1000, 1000);
  await chmod(join(src, '.ssh'), 0o700);
  await chmod(src, 0o755);
  // Leftovers of an interrupted earlier copy in the target: removed.
  await writeFile(join(dst, 'stale'), 'from an interrupted run');
  return { src, dst, message: join(root, 'message'), bytes };
}

/** Runs the script; `faultyCp` (a shell function named cp, which busybox sh prefers to its own applet) breaks the copy. */
function copy(env: Record<string, string>, faultyCp = '') {
  return run(BUSYBOX, ['sh', '-c', `${faultyCp}\n${COPY_SCRIPT}`], { env: { ...env, PATH: process.env.PATH ?? '' } });
}

describe('the copy Job script (busybox sh)', () => {
  beforeAll(async () => {
    await installMissingPackages({ [BUSYBOX]: 'busybox-static' }, 'the copy script');
  }, 900_000);

  it('copies every file, owner, mode and link, and reports what it verified', async () => {
    const { src, dst, message, bytes } = await home();
    const { stdout } = await copy({ SRC: src, DST: dst, MESSAGE: message });
    // 200 + 5 files, 1 link, 4 directories (., app, app/src, .ssh).
    const verified = parseVerification(await readFile(message, 'utf8'));
    expect(verified).toEqual({ entries: 210, files: 205, bytes });
    expect(stdout.trim()).toBe(`entries=210 files=205 bytes=${bytes}`);
    expect(await readFile(join(dst, 'app', 'src', 'm7.js'), 'utf8')).toBe('export const n = 7;\n');
    const key = await lstat(join(dst, '.ssh', 'id_ed25519'));
    expect([key.uid, key.mode & 0o777]).toEqual([1000, 0o600]);
    expect((await lstat(join(dst, 'root-owned.log'))).uid).toBe(0);
    expect((await lstat(join(dst, '.ssh'))).mode & 0o777).toBe(0o700);
    expect(await readlink(join(dst, 'link'))).toBe('app/package.json');
    const top = await lstat(dst);
    expect([top.uid, top.mode & 0o777]).toEqual([1000, 0o755]);
    await expect(lstat(join(dst, 'stale'))).rejects.toThrow(/ENOENT/);
  });

  it('fails, naming the difference, when the copy does not match (a cp that corrupts one file)', async () => {
    const { src, dst, message } = await home();
    const faulty = `cp() { ${BUSYBOX} cp "$@" && echo corrupted >> "$DST/app/src/m3.js"; }`;
    const failed = await copy({ SRC: src, DST: dst, MESSAGE: message }, faulty).then(() => undefined, (error: { code: number; stdout: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/copy differs from the source/);
    expect(failed?.stdout).toMatch(/\.\/app\/src\/m3\.js\|f\|1000:1000\|644\|/);
    await expect(readFile(message, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('fails on a changed content of the same size (the checksums, not only the listing)', async () => {
    const { src, dst, message } = await home();
    const faulty = `cp() { ${BUSYBOX} cp "$@" && printf 'export const n = X;\\n' > "$DST/app/src/m4.js"; }`;
    const failed = await copy({ SRC: src, DST: dst, MESSAGE: message }, faulty).then(() => undefined, (error: { code: number; stdout: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/file contents differ/);
  });
});

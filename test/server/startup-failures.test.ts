import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN, configFile } from '../support/server-process.js';

/** Runs `serve` and returns its exit code and output; it must exit by itself (never serve half-loaded). */
function serve(env: Record<string, string>, user?: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', PORT: '0', HOST: '127.0.0.1', ...env },
      ...(user === undefined ? {} : { uid: user, gid: user }),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Lets another user reach `paths` for the duration of `run`: each ancestor directory without the others' search
 * bit (a checkout in a 0700 `mktemp -d` directory) gets it, and loses it again afterwards. Nothing is made readable.
 */
async function traversable<T>(paths: readonly string[], run: () => Promise<T>): Promise<T> {
  const opened: [string, number][] = [];
  for (const path of paths) {
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      const mode = statSync(dir).mode & 0o7777;
      if ((mode & 0o001) === 0 && !opened.some(([done]) => done === dir)) {
        chmodSync(dir, mode | 0o001);
        opened.push([dir, mode]);
      }
    }
  }
  try {
    return await run();
  } finally {
    for (const [dir, mode] of opened) chmodSync(dir, mode);
  }
}

function certDirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsw-badcerts-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return dir;
}

describe('start-up refuses to serve with a bad configuration or certificate', () => {
  it.each([
    ['a config key with a bad value', () => {
      const path = configFile('affinity: {mode: sometimes}\n');
      return { env: { CONFIG_FILE: path, CERT_DIR: certDirWith({}) }, message: new RegExp(`config file ${path}: config key "affinity.mode"`) };
    }],
    ['an unknown config key', () => {
      const path = configFile('tmpfs: {projectz: []}\n');
      return { env: { CONFIG_FILE: path, CERT_DIR: certDirWith({}) }, message: /config key "tmpfs.projectz": unknown key/ };
    }],
    ['a missing config file', () => ({ env: { CONFIG_FILE: '/nonexistent/config.yaml' }, message: /config file \/nonexistent\/config.yaml: cannot read it: ENOENT/ })],
    ['a garbage serving certificate', () => {
      const dir = certDirWith({ 'tls.crt': 'not a certificate', 'tls.key': 'not a key' });
      return { env: { CERT_DIR: dir }, message: new RegExp(`${join(dir, 'tls.crt')}`) };
    }],
    ['a key without its certificate', () => {
      const dir = certDirWith({ 'tls.key': 'x' });
      return { env: { CERT_DIR: dir }, message: new RegExp(`${join(dir, 'tls.crt')}: missing`) };
    }],
    ['an unreadable certificate (a directory where tls.crt should be)', () => {
      // Tests run as root, which reads a mode-000 file anyway: a directory is unreadable as a file for everyone.
      const dir = certDirWith({ 'tls.key': 'y' });
      mkdirSync(join(dir, 'tls.crt'));
      return { env: { CERT_DIR: dir }, message: new RegExp(`${join(dir, 'tls.crt')}.*EISDIR|EISDIR.*${join(dir, 'tls.crt')}`) };
    }],
    ['a bad environment variable', () => ({ env: { PORT: 'eighty' }, message: /environment variable PORT: "eighty"/ })],
  ])('exits 1 naming the problem: %s', async (_name, make) => {
    const { env, message } = make();
    const { code, output } = await serve(env);
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toContain('serving admission reviews');
  });

  it('exits 1 when CERT_DIR is empty and unwritable: names the missing files and why they could not be generated', async () => {
    // The image's user (65532) and a directory it cannot write, as with a read-only mount. Tests run as root, which
    // writes anywhere, so the server runs as that user here; as anyone else, root's directory is unwritable anyway.
    const dir = mkdtempSync(join(tmpdir(), 'wsw-unwritable-'));
    chmodSync(dir, 0o755);
    const user = process.getuid?.() === 0 ? 65532 : undefined;
    const { code, output } = await traversable([MAIN, process.execPath, dir], () => serve({ CERT_DIR: dir }, user));
    expect(code).toBe(1);
    expect(output).toContain(
      `${join(dir, 'tls.crt')}: missing (and ${join(dir, 'tls.key')}), and could not be generated: cannot write to ${dir} (EACCES); ` +
        'mount a TLS Secret there (tls.crt, tls.key, ca.crt) or make the directory writable',
    );
  });
});

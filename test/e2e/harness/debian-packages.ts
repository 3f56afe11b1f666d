/** Debian packages the e2e suite runs (containerd, prometheus, ...): installed with apt on first use. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Installs, with apt, the packages of `packages` (binary path -> package name) whose binary is missing; progress
 * on stderr naming `purpose`. A no-op when all are there (the usual case after the first run).
 */
export async function installMissingPackages(packages: Readonly<Record<string, string>>, purpose: string): Promise<void> {
  const missing = [...new Set(Object.entries(packages).filter(([path]) => !existsSync(path)).map(([, name]) => name))];
  if (missing.length === 0) return;
  process.stderr.write(`e2e: installing ${missing.join(' ')} (apt) for ${purpose}\n`);
  await run('apt-get', ['update', '-qq'], { timeout: 300_000 });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stdoutPipe } from './stdout-pipe.js';
import { generateCertificateAuthority, issueServingCertificate, type PemKeyPair } from '../../src/tls/generate-certificates.js';

/** The compiled CLI (`npm test` builds it first). */
export const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A CA plus a directory holding a serving pair it signed, as a TLS Secret would be mounted. */
export interface CertDir {
  readonly dir: string;
  readonly ca: PemKeyPair;
}

/** Writes `ca.crt`, `tls.crt`, `tls.key` issued by `ca` (a new CA when none is given) into a new directory. */
export async function certDir(ca?: PemKeyPair): Promise<CertDir> {
  const authority = ca ?? (await generateCertificateAuthority());
  const serving = await issueServingCertificate(authority, { serviceName: 'workspace-storage-webhook', namespace: 'workspace-storage-webhook' });
  const dir = mkdtempSync(join(tmpdir(), 'wsw-certs-'));
  writeFileSync(join(dir, 'ca.crt'), authority.cert);
  writeFileSync(join(dir, 'tls.crt'), serving.cert);
  writeFileSync(join(dir, 'tls.key'), serving.key, { mode: 0o600 });
  return { dir, ca: authority };
}

/** A server child process with its captured output. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `dist/cli/main.js serve` on a free port with `env`, waiting for the "serving admission reviews" log line.
 * KUBECONFIG is pointed at nothing and affinity is off unless the caller's config says otherwise.
 */
export async function startServerProcess(
  env: Record<string, string>,
  /** Runs the server through a wrapper (e.g. a shell that first joins a cgroup, then execs node with these args). */
  wrap: (command: string, args: string[]) => [string, string[]] = (command, args) => [command, args],
): Promise<ServerProcess> {
  const stdout = stdoutPipe();
  const [command, args] = wrap(process.execPath, [MAIN, 'serve']);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', stdout.writeEnd, 'pipe'],
  });
  closeSync(stdout.writeEnd); // the child has its own copy; the stream ends when the child's closes
  let output = '';
  stdout.stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${output}`)), 20_000);
    const check = () => {
      const match = /"port":(\d+)[^\n]*"msg":"serving admission reviews"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    stdout.stream.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving:\n${output}`));
    });
  });
  return { child, port, output: () => output, exited };
}

/** Writes a config file and returns its path. */
export function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wsw-config-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

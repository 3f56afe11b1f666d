// Child processes of the benchmark: the real webhook and the floor server, each pinned to a core, and how to
// read their memory and stop them.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { stdoutPipe } from '../test/support/stdout-pipe.ts';
import { LogSink } from './log-sink.js';

const ROOT = new URL('../', import.meta.url);

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Resident set size of `pid` in bytes (VmRSS; `RssAnon` for its anonymous part, `RssFile` for the mapped files'),
 * or undefined when it has gone.
 */
export function rssBytes(pid, field = 'VmRSS') {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) used by `pid` so far, in seconds. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** GET `path` over HTTPS; resolves with status and body, never rejects (status 0 on a connection error). */
export function httpsGet(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** POST a body to `path` over HTTPS; resolves with status and body. */
export function httpsPost(port, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitUntil(what, child, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}

/**
 * A pinned child process: `taskset -c <core> node <args>`. taskset execs node, so `pid` is node's pid (its RSS
 * and CPU time are the server's). stdout is a named pipe read by `stdout` (test/support/stdout-pipe.ts: as a container
 * runtime hands it over, not Node's socket pair) when `pipeStdout`, else /dev/null; stderr is inherited.
 */
function startPinned({ core, args, env, pipeStdout = false }) {
  const pipe = pipeStdout ? stdoutPipe() : undefined;
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...args], {
    cwd: new URL('.', ROOT).pathname,
    env,
    stdio: ['ignore', pipe ? pipe.writeEnd : 'ignore', 'inherit'],
  });
  if (pipe) closeSync(pipe.writeEnd); // the child has its own copy; the stream ends when the child's closes
  return { child, stdout: pipe?.stream };
}

async function stopChild(child, timeoutMs = 20_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The real webhook: `dist/cli/main.js serve` as in production (LOG_LEVEL=info, one audit line per review, stdout a
 * pipe read by a {@link LogSink} in this process, as a container runtime reads it), with no cluster access
 * (co-location off: HOME has no ~/.kube/config, KUBECONFIG and the in-cluster variables unset) unless `extraEnv`
 * gives a KUBECONFIG. `main` may point at another build (A/B comparisons).
 */
export async function startWebhook({ core, port, certDir, configFile, home, nodeOptions = [], logLevel = 'info', main = 'dist/cli/main.js', extraEnv = {}, discardLogs = false }) {
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', CERT_DIR: certDir, CONFIG_FILE: configFile, LOG_LEVEL: logLevel, SHUTDOWN_DELAY_SECONDS: '0', HOME: home };
  for (const key of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_OPTIONS']) delete env[key];
  Object.assign(env, extraEnv);
  const { child, stdout } = startPinned({ core, args: [...nodeOptions, main, 'serve'], env, pipeStdout: !discardLogs });
  const logs = stdout ? new LogSink(stdout, { traceGc: nodeOptions.includes('--trace-gc') }) : undefined;
  await waitUntil('webhook', child, async () => (await httpsGet(port, '/healthz')).status === 200);
  return { name: 'webhook', pid: child.pid, port, child, logs, stop: () => stopChild(child) };
}

/** The floor server (bench/floor-server.js, or `script`: bench/fastify-floor.js) with the same certificate. */
export async function startFloor({ core, port, certDir, nodeOptions = [], script = 'bench/floor-server.js', name = 'floor', patch }) {
  const env = { ...process.env, PORT: String(port), CERT_DIR: certDir, ...(patch ? { FLOOR_PATCH: patch } : {}) };
  delete env.NODE_OPTIONS;
  const { child } = startPinned({ core, args: [...nodeOptions, script], env });
  const probe = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'probe' } });
  await waitUntil(`${name} server`, child, async () => {
    try {
      return (await httpsPost(port, '/mutate', probe)).status === 200;
    } catch {
      return false;
    }
  });
  return { name, pid: child.pid, port, child, stop: () => stopChild(child) };
}

/**
 * Kubernetes' own e2e webhook, agnhost (`webhook` subcommand, built by `WSW_AGNHOST=1
 * scripts/provision-control-plane.sh` from the same Debian source as the API server), serving its
 * `/mutating-pods-sidecar` handler over the same certificate. Pinned to `core`, Go sees one CPU (GOMAXPROCS 1).
 */
export async function startAgnhost({ core, port, certDir, binary, probe }) {
  const child = spawn('taskset', ['-c', String(core), binary, 'webhook', `--tls-cert-file=${certDir}/tls.crt`, `--tls-private-key-file=${certDir}/tls.key`, `--port=${port}`, '--sidecar-image=busybox:1.36'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'ignore'],
  });
  const path = '/mutating-pods-sidecar';
  await waitUntil('agnhost webhook', child, async () => {
    try {
      return (await httpsPost(port, path, probe)).status === 200;
    } catch {
      return false;
    }
  });
  return { name: 'agnhost', pid: child.pid, port, path, child, stop: () => stopChild(child) };
}

/** Pins this process (all its threads) to `core`. */
export function pinSelf(core) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`taskset exited with ${code}`))));
    child.on('error', reject);
  });
}

/**
 * A real, throw-away Kubernetes control plane for end-to-end tests: etcd,
 * kube-apiserver and kube-controller-manager on 127.0.0.1, random ports, a
 * temporary directory, everything gone after {@link ControlPlane.stop}.
 *
 * There is no scheduler and no kubelet: pods stay Pending. What runs is enough
 * for admission (webhooks, DefaultStorageClass, ServiceAccount), the audit log,
 * ServiceAccount tokens, Deployment -> ReplicaSet -> Pod and PV/PVC binding.
 *
 * The binaries are Kubernetes 1.20 (see scripts/provision-control-plane.sh and
 * /work/shared/DOMAIN.md for what that version lacks), so flags target 1.20.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findControlPlaneAssets } from './assets.js';
import { ManagedProcess } from './managed-process.js';
import { logTails, waitUntil } from './wait-until.js';
import { createCertificateAuthority, generateRsaKeyPair, issueServingCertificate } from './pki.js';

export { findControlPlaneAssets, provisionedAssetsDir } from './assets.js';
export { describeE2E, E2E_MISSING_MESSAGE } from './describe-e2e.js';

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Directory holding etcd, kube-apiserver, kube-controller-manager. Default: {@link findControlPlaneAssets}. */
  assetsDir?: string;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Start kube-scheduler, which binds pods to Nodes (default false: most suites read stored objects only). */
  scheduler?: boolean;
  /** How long each component may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last (so they win over ours). */
  extraApiServerArgs?: string[];
  /** Extra kube-controller-manager flags, appended last. */
  extraControllerManagerArgs?: string[];
  /** kubectl binary (default $KUBECTL or /usr/bin/kubectl). */
  kubectlPath?: string;
  /** Keep the temporary directory after stop (default: env WSW_E2E_KEEP_DIR=1). */
  keepDir?: boolean;
}

/** Result of a kubectl run. Never throws on a non-zero exit: check `code`. */
export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Result of {@link ControlPlane.request}. `json` is the parsed body when it is JSON. */
export interface ApiResponse {
  status: number;
  body: string;
  json: unknown;
}

/** The fields of an audit.k8s.io/v1 Event that tests look at. */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user?: { username?: string; groups?: string[] };
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** A running control plane. */
export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Bearer token of `admin`, a member of system:masters. */
  token: string;
  /** CA that signed the API server's serving certificate. */
  caFile: string;
  /** Kubeconfig with the admin token, for kubectl and @kubernetes/client-node. */
  kubeconfigPath: string;
  /** kube-apiserver audit log, JSON lines (level Metadata for every request). */
  auditLogPath: string;
  /** The temporary directory holding all of the above, the logs and etcd's data. */
  dir: string;
  /** Runs kubectl with this control plane's kubeconfig. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** A raw API request as admin (path like `/api/v1/namespaces`). */
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Parsed audit events written so far. */
  auditEvents(): Promise<AuditEvent[]>;
  /**
   * Waits until the ServiceAccount has a token secret. In 1.20 the ServiceAccount
   * admission plugin rejects pods until it has: wait after creating a namespace.
   */
  waitForServiceAccount(namespace: string, name?: string, timeoutMs?: number): Promise<void>;
  /**
   * Throws, with the tail of its log, if a component has exited on its own (a
   * crash). Cheap: use it as `pollUntil`'s `guard` so a dead API server fails
   * a test at once instead of as a timeout.
   */
  assertRunning(): void;
  /**
   * Stops kube-apiserver only (etcd and kube-controller-manager keep running):
   * SIGTERM, then SIGKILL after `graceMs` (default 2 s). It stops listening at
   * once on SIGTERM but can take 10 s+ to exit while long-running requests drain.
   */
  stopApiServer(opts?: { graceMs?: number }): Promise<void>;
  /** Starts kube-apiserver again on the same port and etcd, and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Stops everything and removes {@link dir}. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 90_000;
/** SIGTERM-to-SIGKILL delay when stopping components. */
const STOP_GRACE_MS = 2_000;

const DIR_PREFIX = 'wsw-control-plane-';
const OWNER_FILE = 'owner.pid';

/**
 * A test process killed outright (SIGKILL, OOM) takes its control plane down
 * with it (see managed-process.ts) but cannot remove its directory, which lives
 * in RAM under /dev/shm: remove those whose owner process is gone.
 */
async function removeOrphanedDirs(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(DIR_PREFIX))) {
    const dir = join(base, entry);
    const pid = Number.parseInt(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => ''), 10);
    // No owner file: a directory being created right now, or one kept on purpose.
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reserves a free TCP port on 127.0.0.1 (racy by nature, fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

interface HttpResult {
  status: number;
  body: string;
}

/** A small HTTP(S) client: no dependency, a hard timeout, never throws on a status code. */
function httpCall(
  url: string,
  opts: { method?: string; ca?: string; token?: string; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  const doRequest = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  }
  return new Promise((resolve, reject) => {
    const req = doRequest(
      u,
      { method: opts.method ?? 'GET', headers, ...(opts.ca ? { ca: opts.ca } : {}), timeout: opts.timeoutMs ?? 5_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

// Level Metadata keeps request/response bodies out but records annotations:
// that is where mutating webhooks' `mutation.webhook.admission.k8s.io/*`
// entries and their auditAnnotations land. RequestReceived only duplicates.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
`;

/**
 * Starts etcd, kube-apiserver and (unless disabled) kube-controller-manager and
 * waits until the API server answers /readyz and the controller manager has
 * issued the `default` ServiceAccount token. On failure everything started so
 * far is stopped and the error includes the tail of the component logs.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const assets = opts.assetsDir ?? findControlPlaneAssets();
  if (!assets) {
    throw new Error('no control-plane binaries: run scripts/provision-control-plane.sh or set KUBEBUILDER_ASSETS');
  }
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const kubectlPath = opts.kubectlPath ?? process.env.KUBECTL ?? '/usr/bin/kubectl';
  const keepDir = opts.keepDir ?? process.env.WSW_E2E_KEEP_DIR === '1';

  // etcd fsyncs on every write and 3.4 has no --unsafe-no-fsync: tmpfs keeps it cheap.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  await removeOrphanedDirs(base);
  const dir = await mkdtemp(join(base, DIR_PREFIX));
  const file = (name: string): string => join(dir, name);
  await writeFile(file(OWNER_FILE), String(process.pid));

  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const token = randomBytes(24).toString('hex');

  // PKI: the API server's serving cert, and the service-account signing key.
  const ca = createCertificateAuthority('wsw-e2e-ca');
  const serving = issueServingCertificate(ca, {
    commonName: 'kube-apiserver',
    // 10.0.0.1 is the `kubernetes` Service's IP in --service-cluster-ip-range.
    hosts: [
      '127.0.0.1',
      '10.0.0.1',
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  });
  const sa = generateRsaKeyPair();
  const caFile = file('ca.crt');
  const kubeconfigPath = file('admin.kubeconfig');
  const auditLogPath = file('audit.log');
  await Promise.all([
    writeFile(caFile, ca.certPem),
    writeFile(file('ca.key'), ca.keyPem, { mode: 0o600 }),
    writeFile(file('apiserver.crt'), serving.certPem),
    writeFile(file('apiserver.key'), serving.keyPem, { mode: 0o600 }),
    writeFile(file('sa.key'), sa.privateKeyPem, { mode: 0o600 }),
    writeFile(file('sa.pub'), sa.publicKeyPem),
    // token,user,uid,"groups"
    writeFile(file('tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 }),
    writeFile(file('audit-policy.yaml'), AUDIT_POLICY),
    // JSON is valid YAML, and kubeconfig loaders accept it.
    writeFile(
      kubeconfigPath,
      JSON.stringify(
        {
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': caFile } }],
          users: [{ name: 'admin', user: { token } }],
          contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'admin' } }],
          'current-context': 'e2e',
        },
        null,
        2,
      ),
      { mode: 0o600 },
    ),
    mkdir(file('etcd-data'), { mode: 0o700 }),
  ]);

  const etcd = new ManagedProcess({
    name: 'etcd',
    command: join(assets, 'etcd'),
    logPath: file('etcd.log'),
    args: [
      '--name=e2e',
      `--data-dir=${file('etcd-data')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=warn',
    ],
  });

  const apiServer = new ManagedProcess({
    name: 'kube-apiserver',
    command: join(assets, 'kube-apiserver'),
    logPath: file('kube-apiserver.log'),
    args: [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--insecure-port=0',
      `--cert-dir=${file('apiserver-certs')}`,
      `--tls-cert-file=${file('apiserver.crt')}`,
      `--tls-private-key-file=${file('apiserver.key')}`,
      `--client-ca-file=${caFile}`,
      `--token-auth-file=${file('tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      // Required from 1.20 on; the key file may hold the private key, we give the public one.
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${file('sa.pub')}`,
      `--service-account-signing-key-file=${file('sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // Added to the default plugin set (which already has them in 1.20): said
      // explicitly because the tests depend on them.
      '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,DefaultStorageClass,ServiceAccount',
      '--allow-privileged=true',
      `--audit-policy-file=${file('audit-policy.yaml')}`,
      `--audit-log-path=${auditLogPath}`,
      '--audit-log-format=json',
      // Write each event before answering, so a test can read it right after.
      '--audit-log-mode=blocking',
      // CPU: nothing here needs profiling or API Priority and Fairness.
      '--profiling=false',
      '--enable-priority-and-fairness=false',
      ...(opts.extraApiServerArgs ?? []),
    ],
  });

  const controllerManager = new ManagedProcess({
    name: 'kube-controller-manager',
    command: join(assets, 'kube-controller-manager'),
    logPath: file('kube-controller-manager.log'),
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      '--controllers=*',
      `--service-account-private-key-file=${file('sa.key')}`,
      `--root-ca-file=${caFile}`,
      // The CSR signer is in the default set; give it a CA rather than have it fail on /etc/kubernetes paths.
      `--cluster-signing-cert-file=${caFile}`,
      `--cluster-signing-key-file=${file('ca.key')}`,
      // No serving at all: readiness is observed through the API instead, and no port can clash.
      '--port=0',
      '--secure-port=0',
      // A claim that raced its volume waits for the next resync (default 15 s);
      // with a handful of objects a short period costs nothing.
      '--pvclaimbinder-sync-period=3s',
      '--profiling=false',
      ...(opts.extraControllerManagerArgs ?? []),
    ],
  });

  const scheduler = new ManagedProcess({
    name: 'kube-scheduler',
    command: join(assets, 'kube-scheduler'),
    logPath: file('kube-scheduler.log'),
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      // No serving: nothing scrapes it, and no port can clash.
      '--port=0',
      '--secure-port=0',
      '--profiling=false',
    ],
  });

  const all = [scheduler, controllerManager, apiServer, etcd];
  let stopped = false;
  // Components stopped on purpose (stopApiServer) are not crashes.
  const expectedDown = new Set<ManagedProcess>();

  const request = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const res = await httpCall(`${server}${path}`, {
      method,
      ca: ca.certPem,
      token,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: 30_000,
    });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.status, body: res.body, json };
  };

  const waitForApiServer = (): Promise<void> =>
    waitUntil(
      `kube-apiserver ${server}/readyz`,
      async () => (await httpCall(`${server}/readyz`, { ca: ca.certPem, token })).status === 200,
      [apiServer, etcd],
      readyTimeoutMs,
    );

  const waitForServiceAccount = async (namespace: string, name = 'default', timeoutMs = 60_000): Promise<void> => {
    const watched = controllerManager.running ? [apiServer, controllerManager] : [apiServer];
    await waitUntil(
      `ServiceAccount ${namespace}/${name} token`,
      async () => {
        const res = await request('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`);
        const secrets = (res.json as { secrets?: unknown[] } | undefined)?.secrets;
        return res.status === 200 && Array.isArray(secrets) && secrets.length > 0;
      },
      watched,
      timeoutMs,
    );
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Clients first, etcd last, so nothing logs a storm of connection errors.
    // Nothing is kept, so there is no point in long graceful drains.
    for (const p of all) await p.stop(STOP_GRACE_MS);
    // A kept directory loses its owner file so that removeOrphanedDirs leaves it alone.
    await (keepDir ? rm(file(OWNER_FILE), { force: true }) : rm(dir, { recursive: true, force: true }));
  };

  try {
    etcd.start();
    await waitUntil(
      `etcd http://127.0.0.1:${etcdPort}/health`,
      async () => {
        const res = await httpCall(`http://127.0.0.1:${etcdPort}/health`);
        return res.status === 200 && res.body.includes('"true"');
      },
      [etcd],
      readyTimeoutMs,
    );
    apiServer.start();
    await waitForApiServer();
    if (opts.controllerManager ?? true) {
      controllerManager.start();
      // The token controller issuing default/default proves the controllers run.
      await waitForServiceAccount('default', 'default', readyTimeoutMs);
    }
    if (opts.scheduler ?? false) scheduler.start();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    server,
    token,
    caFile,
    kubeconfigPath,
    auditLogPath,
    dir,
    request,
    waitForServiceAccount,
    kubectl: (args, kopts = {}) => runKubectl(kubectlPath, ['--kubeconfig', kubeconfigPath, ...args], kopts),
    auditEvents: async () => {
      const text = await readFile(auditLogPath, 'utf8').catch(() => '');
      // The line being written may be incomplete: skip what does not parse.
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as AuditEvent];
          } catch {
            return [];
          }
        });
    },
    assertRunning: () => {
      if (stopped) throw new Error('the control plane has been stopped');
      const crashed = all.filter((p) => p.exit !== undefined && !expectedDown.has(p));
      if (crashed.length > 0) {
        const what = crashed.map((p) => p.describe()).join('; ');
        throw new Error(`control plane component died: ${what}\n${logTails(crashed)}`);
      }
    },
    stopApiServer: async ({ graceMs = STOP_GRACE_MS } = {}) => {
      expectedDown.add(apiServer);
      await apiServer.stop(graceMs);
    },
    startApiServer: async () => {
      apiServer.start();
      expectedDown.delete(apiServer);
      await waitForApiServer();
    },
    stop,
  };
}

function runKubectl(
  kubectl: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number },
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectl,
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const note = err && typeof err.code !== 'number' ? `\n[harness] kubectl failed: ${err.message}` : '';
        resolve({ stdout, stderr: stderr + note, code });
      },
    );
    child.stdin?.end(opts.input);
  });
}

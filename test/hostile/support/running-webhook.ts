import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { serverSettings } from '../../../src/config/server-settings.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { LogCapture } from '../../support/test-app.js';

/** The DNS name the generated serving certificate is issued for (service.namespace.svc). */
export const SERVICE_HOST = 'workspace-storage-webhook.workspace-storage-webhook.svc';

/** A webhook started the way `serve` starts it: real settings, certificates generated in a temp CERT_DIR, HTTPS. */
export interface RunningWebhook {
  readonly server: RunningServer;
  readonly port: number;
  readonly certDir: string;
  /** The generated CA, to pin in clients. */
  readonly ca: string;
  readonly logs: LogCapture;
  stop(): Promise<void>;
}

/**
 * Starts the real server (src/server.ts) on 127.0.0.1 and a free port, with a config that puts
 * /home/coder/app's node_modules and .next on tmpfs and co-location off (no cluster here), logging into memory.
 * `env` adds or overrides environment settings (e.g. HEADERS_TIMEOUT_SECONDS).
 */
export async function startWebhook(env: Record<string, string> = {}): Promise<RunningWebhook> {
  const certDir = await mkdtemp(join(tmpdir(), 'wsw-hostile-'));
  const configFile = join(certDir, 'config.yaml');
  await writeFile(configFile, 'tmpfs:\n  projects: [/home/coder/app]\naffinity:\n  mode: "off"\n');
  const settings = serverSettings({
    PORT: '0', HOST: '127.0.0.1', CERT_DIR: join(certDir, 'certs'), CONFIG_FILE: configFile,
    SHUTDOWN_DELAY_SECONDS: '0', CERT_RELOAD_INTERVAL_SECONDS: '60', ...env,
  });
  const logs = new LogCapture();
  const server = await startServer(settings, pino({ level: 'debug' }, logs.stream));
  const ca = await readFile(join(certDir, 'certs', 'ca.crt'), 'utf8');
  return {
    server, port: server.port, certDir: join(certDir, 'certs'), ca, logs,
    stop: async () => {
      await server.shutdown();
      await rm(certDir, { recursive: true, force: true });
    },
  };
}

/** One HTTP response as a client saw it. */
export interface ClientResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** POSTs `body` over HTTPS to the webhook, verifying its certificate against the generated CA. */
export function post(webhook: RunningWebhook, path: string, body: string | Buffer, options: { agent?: Agent; headers?: Record<string, string> } = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: webhook.port, servername: SERVICE_HOST, ca: webhook.ca, method: 'POST', path,
      agent: options.agent ?? false,
      headers: { 'content-type': 'application/json', ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

import type { FastifyInstance } from 'fastify';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { LineSink } from './logging/audit-log.js';
import { startClusterFacts, type RunningClusterFacts } from './cluster/facts/start-cluster-facts.js';
import { loadConfig } from './config/load-config.js';
import type { ServerSettings } from './config/server-settings.js';
import { buildApp } from './http/build-app.js';
import { TLS_OPTIONS, transportOptions } from './http/transport-options.js';
import { WebhookMetrics } from './metrics/webhook-metrics.js';
import { packageVersion } from './package-version.js';
import { CertificateReloader } from './tls/certificate-reloader.js';
import { expiryTimestampSeconds } from './tls/certificate-expiry.js';
import { loadCertificates } from './tls/load-certificates.js';

/** How long /readyz waits for the caches' first sync before reporting ready with co-location degraded. */
const INITIAL_SYNC_GRACE_MS = 60_000;

/** A started server and how to stop it. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** The port actually bound (PORT=0 picks one). */
  readonly port: number;
  /** Graceful shutdown: see shutdown(). Resolves when everything is closed. */
  shutdown(): Promise<void>;
}

/**
 * Loads configuration and certificates (any problem throws before anything listens: never serve half-loaded),
 * starts the cluster caches, listens over HTTPS and reloads renewed certificates. Shutdown: not ready at once;
 * every response then carries `Connection: close` so clients drop pooled connections to this replica; after
 * `shutdownDelaySeconds` (the endpoint has left the Service) the listener closes, in-flight reviews finish and
 * idle connections are closed.
 */
export async function startServer(settings: ServerSettings, logger: Logger, auditDestination?: LineSink): Promise<RunningServer> {
  const config = loadConfig(settings.configFile);
  if (config.tmpfs.projects.length === 0) {
    logger.warn(
      { key: 'tmpfs.projects' },
      'tmpfs.projects is empty: only pods annotated workspace-storage.dev/projects get tmpfs (set one or the other)',
    );
  }
  const certificates = await loadCertificates({
    dir: settings.certDir, serviceName: config.service.name, namespace: config.service.namespace, logger,
  });
  logger.info(
    { certDir: settings.certDir, generated: certificates.generated, notAfter: certificates.notAfter.toISOString() },
    'serving certificate loaded',
  );

  const metrics = new WebhookMetrics({ version: packageVersion() });
  metrics.setCertificateExpiry(expiryTimestampSeconds(certificates.notAfter));
  const cluster: RunningClusterFacts = await startClusterFacts(config, logger);
  metrics.watchCaches(() => cluster.cacheStates());
  metrics.watchWorkspaceLocalities(() => cluster.workspaceLocalities());

  const startedAt = Date.now();
  let shuttingDown = false;
  const readiness = () => {
    const detail = cluster.details();
    const state = detail.status.state;
    const syncing = state === 'syncing' && Date.now() - startedAt < INITIAL_SYNC_GRACE_MS;
    return { ready: !shuttingDown && !syncing, detail: { shuttingDown, coLocation: detail } };
  };

  const app = buildApp(
    {
      config, facts: cluster.facts, logger, metrics, readiness,
      ...(auditDestination ? { auditDestination } : {}),
      ...(settings.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: settings.memoryLimitBytes }),
    },
    transportOptions(settings, certificates),
  );
  await app.listen({ port: settings.port, host: settings.host });
  const server = app.server as HttpsServer;
  server.headersTimeout = settings.headersTimeoutMs;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  logger.info({ port, host: settings.host, config: settings.configFile ?? '(defaults)' }, 'serving admission reviews');

  const reloader = new CertificateReloader({
    paths: certificates.paths,
    initial: certificates,
    logger,
    intervalMs: settings.certReloadIntervalMs,
    onReload: (pair) => {
      server.setSecureContext({ key: pair.key, cert: pair.cert, ...TLS_OPTIONS });
      metrics.setCertificateExpiry(expiryTimestampSeconds(pair.notAfter));
    },
  });
  reloader.start();

  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      // From now on every response says Connection: close (Node merges it into whatever the route writes), so the
      // API server drops its pooled connections to this replica. A listener added only now: nothing per request
      // before shutdown.
      server.prependListener('request', (_request, response) => response.setHeader('connection', 'close'));
      logger.info({ delaySeconds: settings.shutdownDelaySeconds }, 'shutting down: draining before closing the listener');
      await new Promise((resolve) => setTimeout(resolve, settings.shutdownDelaySeconds * 1000));
      reloader.stop();
      await app.close();
      await cluster.stop();
      logger.info('shut down');
    })();
    return closing;
  };
  return { app, port, shutdown };
}

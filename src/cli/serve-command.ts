import { pino, type Logger } from 'pino';
import { BatchedLineWriter } from '../logging/batched-line-writer.js';
import { loggerOptions } from '../logging/log-format.js';
import { reopenNonBlocking } from '../logging/reopen-non-blocking.js';
import { serverSettings } from '../config/server-settings.js';
import { startServer } from '../server.js';
import { errorText } from '../logging/error-text.js';

/**
 * Log lines go to stdout in batches of at least this many bytes (about forty audit lines): line-by-line writes made
 * a review cost ~15-20 µs more than with no audit line, and 32 KiB batches measured 1-3 µs a review cheaper than
 * 12 KiB ones (bench/README.md, "Findings"). Half a pipe's default capacity (64 KiB).
 */
const LOG_BATCH_BYTES = 32 * 1024;

/** A partial batch is written after at most this long, so the audit line of a lone review shows up promptly. */
const LOG_FLUSH_INTERVAL_MS = 1000;

/** Log bytes kept while stdout does not take them (a stalled pipe); beyond that lines are dropped and counted. */
const LOG_MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** How long exiting waits for buffered log lines to be written. */
const LOG_FLUSH_TIMEOUT_MS = 2000;

/**
 * The production logger: JSON lines on stdout, batched, never waiting for the pipe: a pipe (a container's stdout) is
 * reopened non-blocking and written from the event loop, anything else is written by the thread pool. What is left
 * is written on exit.
 */
function serverLogger(level: string): { logger: Logger; destination: BatchedLineWriter } {
  const pipe = reopenNonBlocking(1);
  const destination = new BatchedLineWriter({
    fd: pipe ?? 1, inline: pipe !== undefined,
    batchBytes: LOG_BATCH_BYTES, flushIntervalMs: LOG_FLUSH_INTERVAL_MS, maxPendingBytes: LOG_MAX_PENDING_BYTES,
  });
  process.on('exit', () => { destination.flushSync(); });
  return { logger: pino(loggerOptions(level), destination), destination };
}

/** Exits with `code` once the buffered log lines are written (or after LOG_FLUSH_TIMEOUT_MS). */
function exitAfterFlush(logger: Logger, code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), LOG_FLUSH_TIMEOUT_MS).unref();
  logger.flush(() => process.exit(code));
}

/** `serve --help`: serve takes no flags; everything comes from the environment (as a container's would). */
export const SERVE_USAGE = `usage: workspace-storage-webhook serve

Runs the admission webhook over HTTPS until SIGTERM or SIGINT, then drains and exits 0; exits 1 naming the problem
when start-up fails. Settings come from the environment:
  PORT (8443), HOST (0.0.0.0), CERT_DIR (./certs: ca.crt, tls.crt, tls.key; generated when the directory is empty),
  CONFIG_FILE (YAML; the defaults when unset), LOG_LEVEL (info), SHUTDOWN_DELAY_SECONDS (5),
  SHUTDOWN_TIMEOUT_SECONDS (25), CERT_RELOAD_INTERVAL_SECONDS (2), HEADERS_TIMEOUT_SECONDS (10),
  REQUEST_TIMEOUT_SECONDS (30); cluster access from KUBECONFIG, ~/.kube/config or the in-cluster service account.
Endpoints: POST /mutate, /audit, /mutate-all, /audit-all; GET /healthz, /readyz, /metrics.
`;

/**
 * `serve` (the default command): runs the webhook until SIGTERM or SIGINT, then shuts down gracefully and exits
 * 0; exits 1 with the reason when start-up fails (bad config, unreadable certificate, port in use).
 */
export async function runServeCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let logger: Logger = pino(loggerOptions('info'));
  try {
    const settings = serverSettings(env);
    const built = serverLogger(settings.logLevel);
    logger = built.logger;
    const running = await startServer(settings, logger, built.destination);
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'signal received');
      const guard = setTimeout(() => {
        logger.error({ timeoutSeconds: settings.shutdownTimeoutSeconds }, 'shutdown took too long; exiting');
        exitAfterFlush(logger, 1);
      }, settings.shutdownTimeoutSeconds * 1000);
      guard.unref();
      running.shutdown().then(
        () => { exitAfterFlush(logger, 0); },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          exitAfterFlush(logger, 1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  } catch (error) {
    const message = errorText(error);
    logger.fatal({ error: message }, 'start-up failed');
    process.stderr.write(`workspace-storage-webhook: start-up failed: ${message}\n`);
    process.exitCode = 1;
  }
}

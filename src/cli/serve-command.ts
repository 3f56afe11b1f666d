import { pino, type Logger } from 'pino';
import { serverSettings } from '../config/server-settings.js';
import { startServer } from '../server.js';

/**
 * `serve` (the default command): runs the webhook until SIGTERM or SIGINT, then shuts down gracefully and exits
 * 0; exits 1 with the reason when start-up fails (bad config, unreadable certificate, port in use).
 */
export async function runServeCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let logger: Logger = pino({ base: { service: 'workspace-storage-webhook' } });
  try {
    const settings = serverSettings(env);
    logger = pino({ level: settings.logLevel, base: { service: 'workspace-storage-webhook' } });
    const running = await startServer(settings, logger);
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'signal received');
      const guard = setTimeout(() => {
        logger.error({ timeoutSeconds: settings.shutdownTimeoutSeconds }, 'shutdown took too long; exiting');
        logger.flush();
        process.exit(1);
      }, settings.shutdownTimeoutSeconds * 1000);
      guard.unref();
      running.shutdown().then(
        () => {
          logger.flush();
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ error: message }, 'start-up failed');
    process.stderr.write(`workspace-storage-webhook: start-up failed: ${message}\n`);
    process.exitCode = 1;
  }
}

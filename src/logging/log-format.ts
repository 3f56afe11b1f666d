import { pino, type LoggerOptions } from 'pino';

/** The one binding on every log line. */
export const LOG_SERVICE = 'workspace-storage-webhook';

/**
 * The server's line format, for pino and for the pre-serialised audit line alike: ISO-8601 `time` and level names
 * (`"level":"info"`), which log tools read without a pino-specific mapping of 30 to info.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: LOG_SERVICE },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

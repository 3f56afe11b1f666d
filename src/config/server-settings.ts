/** Process settings from the environment (the stable operator interface), validated once at start-up. */
export interface ServerSettings {
  readonly port: number;
  readonly host: string;
  readonly certDir: string;
  readonly configFile: string | undefined;
  readonly logLevel: string;
  /** Seconds between SIGTERM and closing the listener, while the endpoint leaves the Service. */
  readonly shutdownDelaySeconds: number;
  /** Seconds the whole shutdown may take before the process exits anyway (below the pod's grace period). */
  readonly shutdownTimeoutSeconds: number;
  /** How often the certificate files are checked for a renewed pair. */
  readonly certReloadIntervalMs: number;
  /** Time a client has for the TLS handshake and the request headers; slower clients are cut off (slow-loris). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included; the API server's own webhook timeout is at most 30 s. */
  readonly requestTimeoutMs: number;
  /**
   * The container's memory limit in bytes (`MEMORY_LIMIT_BYTES`, set by the Deployment from `limits.memory` with
   * the downward API); undefined when not set: large reviews are then held by the byte budget alone.
   */
  readonly memoryLimitBytes: number | undefined;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function number(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`environment variable ${key}: "${raw}" must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Reads and validates the settings; throws an Error naming the variable. */
export function serverSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const port = number(env, 'PORT', 8443, 0, 65535);
  if (!Number.isInteger(port)) throw new Error(`environment variable PORT: "${env.PORT}" must be an integer`);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`environment variable LOG_LEVEL: "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const headersTimeoutMs = number(env, 'HEADERS_TIMEOUT_SECONDS', 10, 0.1, 300) * 1000;
  const requestTimeoutMs = number(env, 'REQUEST_TIMEOUT_SECONDS', 30, 0.1, 300) * 1000;
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new Error(`environment variable HEADERS_TIMEOUT_SECONDS: "${env.HEADERS_TIMEOUT_SECONDS}" must not exceed REQUEST_TIMEOUT_SECONDS (${requestTimeoutMs / 1000})`);
  }
  return Object.freeze({
    port,
    host: env.HOST || '0.0.0.0',
    certDir: env.CERT_DIR || './certs',
    configFile: env.CONFIG_FILE || undefined,
    logLevel,
    shutdownDelaySeconds: number(env, 'SHUTDOWN_DELAY_SECONDS', 5, 0, 300),
    shutdownTimeoutSeconds: number(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 600),
    certReloadIntervalMs: number(env, 'CERT_RELOAD_INTERVAL_SECONDS', 2, 0.1, 3600) * 1000,
    headersTimeoutMs,
    requestTimeoutMs,
    memoryLimitBytes: env.MEMORY_LIMIT_BYTES === undefined || env.MEMORY_LIMIT_BYTES === ''
      ? undefined : number(env, 'MEMORY_LIMIT_BYTES', 0, 64 * 1024 * 1024, Number.MAX_SAFE_INTEGER),
  });
}
